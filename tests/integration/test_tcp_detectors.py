"""TCP pathologies: delayed ACKs, Nagle × delayed-ACK stalls, retransmits by kind and CLOSE_WAIT,
against the kernel's own counters (nstat, in the test's network namespace), the peers' own
timings and ss."""
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.connscope import Connscope  # noqa: E402
from harness.netns import NetNs  # noqa: E402

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers", "tcp_peer.py")
HTTP_PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers", "http_wwr_peer.py")
REQUESTS = 10
# Linux's minimum delayed-ACK timeout is 40 ms; under load the timer and the wake-up run late.
STALL_MIN_US = 35_000
STALL_MAX_US = 300_000

# 8091: the third large packet of a bulk transfer dropped (SACK recovery: fast retransmits).
# 8092: the first two data packets of a single request dropped (the original and its tail-loss
# probe), so the retransmission timer fires.
DROPS = """
table inet connscope_test {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 8091 meta length > 1000 numgen inc mod 1000000 == 3 drop
    tcp dport 8092 meta length > 150 numgen inc mod 1000000 < 2 drop
  }
}
"""

# Summary field → the kernel counter it must equal.
RETRANSMIT_COUNTERS = {
    "retransmits": "TcpRetransSegs",
    "fast_retransmits": "TcpExtTCPFastRetrans",
    "slow_start_retransmits": "TcpExtTCPSlowStartRetrans",
    "timeouts": "TcpExtTCPTimeouts",
    "loss_probes": "TcpExtTCPLossProbes",
}


def require_root():
    if os.geteuid() != 0:
        raise RuntimeError("integration tests load BPF programs: run them as root")


def delta(before, after):
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}


def write_write_read(nodelay, mechanism="auto"):
    """(connscope, the peer's report, nstat delta) for one write-write-read run."""
    with NetNs("wwr") as ns:
        before = ns.nstat()
        with Connscope("--netns", ns.path, "--mechanism", mechanism) as cs:
            out = ns.run("python3", PEER, "wwr", "8090", str(REQUESTS), "1" if nodelay else "0",
                         capture_output=True, text=True, timeout=60).stdout
        after = ns.nstat()
    return cs, json.loads(out), delta(before, after)


class NagleDelayedAckTest(unittest.TestCase):
    mechanism = "auto"

    @classmethod
    def setUpClass(cls):
        require_root()
        cls.cs, cls.peer, cls.kernel = write_write_read(nodelay=False, mechanism=cls.mechanism)

    def stalls(self, side):
        return [s for s in self.cs.of_type("stall") if s["side"] == side]

    def test_delayed_acks_equal_the_kernel_counter(self):
        self.assertEqual(self.cs.returncode, 0, self.cs.stderr)
        self.assertGreater(self.kernel["TcpExtDelayedACKs"], 0)
        self.assertEqual(self.cs.summary["delayed_acks"], self.kernel["TcpExtDelayedACKs"])
        self.assertEqual(self.cs.summary["delayed_acks_locked"], self.kernel["TcpExtDelayedACKLocked"])
        per_conn = sum(c["delayed_acks"] for c in self.cs.of_type("conn"))
        self.assertEqual(per_conn, self.kernel["TcpExtDelayedACKs"])

    def test_each_delayed_ack_held_the_next_part_back(self):
        server = next(c for c in self.cs.of_type("conn") if c["role"] == "server")
        # The first request is answered with quick ACKs; the rest wait for the delayed ACK.
        self.assertGreaterEqual(len(self.stalls("receiver")), REQUESTS // 2)
        self.assertEqual(len(self.stalls("receiver")), server["delayed_acks"])
        # Both ends are on this host: each stall is seen from both.
        self.assertEqual(len(self.stalls("sender")), len(self.stalls("receiver")))

    def test_every_stall_made_a_request_slow(self):
        # The client's own timing; a busy machine can make a request slow without a stall.
        slow = [us for us in self.peer["latencies_us"] if us >= STALL_MIN_US]
        self.assertGreaterEqual(len(slow), len(self.stalls("sender")), self.peer)

    def test_stalls_are_nagle_behind_a_delayed_ack_of_about_40ms(self):
        for stall in self.cs.of_type("stall"):
            self.assertEqual(stall["kind"], "nagle_delayed_ack")
            self.assertGreaterEqual(stall["stall_us"], STALL_MIN_US, stall)
            self.assertLessEqual(stall["stall_us"], STALL_MAX_US, stall)

    def test_sides_and_nodelay(self):
        port = self.peer["client_port"]
        for stall in self.stalls("sender"):
            self.assertEqual((stall["lport"], stall["rport"]), (port, 8090))
            self.assertIs(stall["nodelay"], False)
        for stall in self.stalls("receiver"):
            self.assertEqual((stall["lport"], stall["rport"]), (8090, port))
            self.assertIsNone(stall["nodelay"])

    def test_conn_records_carry_the_stalls(self):
        for conn in self.cs.of_type("conn"):
            side = "sender" if conn["role"] == "client" else "receiver"
            stalls = self.stalls(side)
            self.assertEqual(conn["stalls"], len(stalls))
            self.assertEqual(conn["stall_us"], sum(s["stall_us"] for s in stalls))


class NagleDelayedAckRawTpTest(NagleDelayedAckTest):
    """The same with raw_tp programs, which key sockets by address, not cookie."""
    mechanism = "raw_tp"


class NoDelayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_root()
        cls.cs, cls.peer, cls.kernel = write_write_read(nodelay=True)

    def test_no_stalls(self):
        self.assertEqual(self.cs.returncode, 0, self.cs.stderr)
        self.assertEqual(self.cs.of_type("stall"), [])
        self.assertTrue(all(c["stalls"] == 0 for c in self.cs.of_type("conn")))
        self.assertTrue(all(us < STALL_MIN_US for us in self.peer["latencies_us"][1:]), self.peer)

    def test_delayed_acks_equal_the_kernel_counter(self):
        self.assertEqual(self.cs.summary["delayed_acks"], self.kernel["TcpExtDelayedACKs"])


def http_write_write_read(nodelay):
    """(connscope, the client's report) for HTTP requests whose head goes out in two writes."""
    with NetNs("http-wwr") as ns:
        with Connscope("--netns", ns.path) as cs:
            out = ns.run("python3", HTTP_PEER, "8097", str(REQUESTS), "1" if nodelay else "0",
                         capture_output=True, text=True, timeout=60).stdout
    return cs, json.loads(out)


class HttpStallsTest(unittest.TestCase):
    """Stalls land in the http record of the transaction they held up."""

    @classmethod
    def setUpClass(cls):
        require_root()
        cls.runs = {nodelay: http_write_write_read(nodelay) for nodelay in (False, True)}

    def transactions(self, nodelay, role):
        cs, _ = self.runs[nodelay]
        self.assertEqual(cs.returncode, 0, cs.stderr)
        http = [h for h in cs.of_type("http") if h["role"] == role and 8097 in (h["lport"], h["rport"])]
        self.assertEqual(len(http), REQUESTS, role)
        return http

    def test_nagle_stalls_are_in_the_transactions_they_slowed(self):
        cs, peer = self.runs[False]
        for role, side in (("client", "sender"), ("server", "receiver")):
            http = self.transactions(False, role)
            stalls = [s for s in cs.of_type("stall") if s["side"] == side]
            self.assertGreaterEqual(len(stalls), REQUESTS // 2, role)
            # Every stall of the connection held up a request head: each is in one transaction.
            self.assertEqual(sum(h["stalls"] for h in http), len(stalls), role)
            self.assertEqual(sum(h["stall_us"] for h in http), sum(s["stall_us"] for s in stalls), role)
            for h, latency_us in zip(http, peer["latencies_us"]):
                self.assertLessEqual(h["stalls"], 1, h)
                if h["stalls"]:
                    self.assertGreaterEqual(h["stall_us"], STALL_MIN_US, h)
                    self.assertLessEqual(h["stall_us"], STALL_MAX_US, h)
                    # The client's own clock saw the request wait as long.
                    self.assertGreaterEqual(latency_us, h["stall_us"] * 0.9, (h, latency_us))
        # The server's delayed ACKs are the ones that released the held parts.
        self.assertEqual(sum(h["delayed_acks"] for h in self.transactions(False, "server")),
                         sum(h["stalls"] for h in self.transactions(False, "server")))

    def test_summary_compares_new_and_reused_connections(self):
        cs, _ = self.runs[False]
        http = cs.of_type("http")
        new = [h["ttfb_us"] for h in http if h["new_connection"]]
        reused = [h["ttfb_us"] for h in http if h["seq"] > 1]
        self.assertEqual(len(new), 2)
        self.assertEqual(cs.summary["http_ttfb_us_new_mean"], sum(new) // len(new))
        self.assertEqual(cs.summary["http_ttfb_us_reused_mean"], sum(reused) // len(reused))
        # Here the reused connection is the slow one: its requests wait for delayed ACKs.
        self.assertGreater(cs.summary["http_ttfb_us_reused_mean"], cs.summary["http_ttfb_us_new_mean"])

    def test_no_stalls_with_nodelay(self):
        for role in ("client", "server"):
            for h in self.transactions(True, role):
                self.assertEqual((h["stalls"], h["stall_us"]), (0, 0), h)
                self.assertIs(h["idle_restart"], False, h)


class RetransmitKindsTest(unittest.TestCase):
    mechanism = "auto"

    @classmethod
    def setUpClass(cls):
        require_root()
        with NetNs("rtx") as ns:
            # Segments of an ordinary size, so one drop loses one segment's worth.
            ns.ip("link", "set", "lo", "mtu", "1500")
            ns.nft(DROPS)
            before = ns.nstat()
            with Connscope("--netns", ns.path, "--verbose-events", "--mechanism", cls.mechanism) as cs:
                cls.bulk = json.loads(ns.run("python3", PEER, "bulk", "8091", "400000",
                                             capture_output=True, text=True, timeout=60).stdout)
                cls.message = json.loads(ns.run("python3", PEER, "message", "8092", "300",
                                                capture_output=True, text=True, timeout=60).stdout)
            after = ns.nstat()
        cls.cs = cs
        cls.kernel = delta(before, after)

    def conn(self, rport):
        found = [c for c in self.cs.of_type("conn") if c["role"] == "client" and c["rport"] == rport]
        self.assertEqual(len(found), 1)
        return found[0]

    def test_counts_by_kind_equal_the_kernel_counters(self):
        self.assertEqual(self.cs.returncode, 0, self.cs.stderr)
        for field, counter in RETRANSMIT_COUNTERS.items():
            with self.subTest(field=field):
                self.assertEqual(self.cs.summary[field], self.kernel.get(counter, 0))

    def test_a_mid_transfer_drop_is_fast_retransmitted(self):
        conn = self.conn(8091)
        self.assertGreater(conn["fast_retransmits"], 0)
        self.assertEqual(conn["timeouts"], 0)
        # Each retransmitted segment has one kind (a tail-loss probe may join in at the end).
        kinds = ("fast_retransmits", "slow_start_retransmits", "timeouts", "loss_probes")
        self.assertEqual(conn["retransmits"], sum(conn[k] for k in kinds))

    def test_a_lost_tail_and_probe_end_in_a_timeout(self):
        conn = self.conn(8092)
        self.assertEqual((conn["loss_probes"], conn["timeouts"]), (1, 1))
        # The peer waited for the retransmission timer (at least 200 ms on Linux).
        self.assertGreaterEqual(self.message["elapsed_us"], 200_000)

    def test_retransmit_records_with_rto_and_srtt(self):
        records = [r for r in self.cs.of_type("retransmit") if r["rport"] == 8092]
        self.assertEqual([r["kind"] for r in records], ["loss_probe", "timeout"])
        for r in records:
            self.assertGreaterEqual(r["rto_us"], 200_000)
            self.assertGreater(r["srtt_us"], 0)
        segs = sum(r["segs"] for r in self.cs.of_type("retransmit"))
        self.assertEqual(segs, self.kernel["TcpRetransSegs"])


class IdleCloseRaceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_root()
        with NetNs("race") as ns:
            before = ns.nstat()
            with Connscope("--netns", ns.path) as cs:
                cls.peer = json.loads(ns.run("python3", PEER, "race", "8094",
                                             capture_output=True, text=True, timeout=60).stdout)
            cls.kernel = delta(before, ns.nstat())
        cls.cs = cs

    def test_the_reused_connection_is_reported(self):
        self.assertEqual(self.cs.returncode, 0, self.cs.stderr)
        self.assertIn(self.peer["answer"], ("eof", "ECONNRESET"))
        races = self.cs.of_type("idle_close_race")
        self.assertEqual(len(races), 1, races)
        race = races[0]
        self.assertEqual((race["lport"], race["rport"]), (self.peer["client_port"], 8094))
        self.assertEqual(race["state"], "CLOSE_WAIT")
        self.assertIs(race["peer_fin_first"], True)
        self.assertLessEqual(race["since_send_us"], 15_000)

    def test_the_servers_kernel_answered_the_request_with_a_reset(self):
        # The server's socket was closed (a timewait socket held the tuple): one reset out.
        self.assertEqual(self.kernel["TcpOutRsts"], 1)
        self.assertEqual(self.cs.summary["resets_sent"], 1)
        self.assertEqual(self.cs.summary["resets_received"], 1)
        client = next(c for c in self.cs.of_type("conn") if c["role"] == "client")
        self.assertEqual(client["close"], "reset_received")


class HalfCloseTest(unittest.TestCase):
    RESPONSE = 300_000

    @classmethod
    def setUpClass(cls):
        require_root()
        with NetNs("half") as ns:
            with Connscope("--netns", ns.path) as cs:
                cls.peer = json.loads(ns.run("python3", PEER, "halfclose", "8095", str(cls.RESPONSE),
                                             capture_output=True, text=True, timeout=60).stdout)
        cls.cs = cs

    def test_data_after_the_first_fin_on_both_sides(self):
        self.assertEqual(self.cs.returncode, 0, self.cs.stderr)
        self.assertEqual(self.peer["received_after_fin"], self.RESPONSE)
        conns = {c["role"]: c for c in self.cs.of_type("conn")}
        self.assertEqual(conns["client"]["close"], "local_fin")
        self.assertEqual(conns["server"]["close"], "peer_fin")
        for role in ("client", "server"):
            self.assertEqual(conns[role]["bytes_after_fin"], self.RESPONSE, role)


class RetransmitKindsRawTpTest(RetransmitKindsTest):
    mechanism = "raw_tp"


def idle_between_requests(congestion_control, slow_start_after_idle):
    with NetNs("idle") as ns:
        # Segments of an ordinary size, so a megabyte grows the window well past its start.
        ns.ip("link", "set", "lo", "mtu", "1500")
        ns.sysctl("net.ipv4.tcp_slow_start_after_idle", slow_start_after_idle)
        with Connscope("--netns", ns.path) as cs:
            # 0.5 s idle: longer than the RTO (200 ms minimum on Linux).
            peer = json.loads(ns.run("python3", PEER, "idle", "8096", "0.5", congestion_control,
                                     capture_output=True, text=True, timeout=60).stdout)
    return cs, peer, {c["role"]: c for c in cs.of_type("conn")}


class IdleRestartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_root()
        cls.runs = {
            "cubic": idle_between_requests("cubic", 1),
            "sysctl off": idle_between_requests("cubic", 0),
            # BBR has cong_control: the kernel never restarts its window.
            "bbr": idle_between_requests("bbr", 1),
        }

    def test_each_side_restarts_once_after_the_idle_period(self):
        cs, peer, conns = self.runs["cubic"]
        self.assertEqual(cs.returncode, 0, cs.stderr)
        for role in ("client", "server"):
            self.assertEqual(conns[role]["idle_restarts"], 1, role)
        # The window the restart threw away, as the server read it (TCP_INFO) just before.
        self.assertEqual(conns["server"]["restart_cwnd"], peer["server_cwnd_before_second"])
        self.assertGreater(conns["server"]["restart_cwnd"], 10)

    def test_the_request_after_the_idle_period_is_marked(self):
        cs, peer, _ = self.runs["cubic"]
        for role in ("client", "server"):
            http = sorted((h for h in cs.of_type("http") if h["role"] == role), key=lambda h: h["seq"])
            self.assertEqual([(h["path"], h["idle_restart"]) for h in http], [("/1", False), ("/2", True)], role)
            # The first transaction starts from the initial window; the second from the window
            # the first one grew, which the idle period then threw away.
            self.assertEqual(http[0]["cwnd"], 10, role)
        server = sorted((h for h in cs.of_type("http") if h["role"] == "server"), key=lambda h: h["seq"])
        self.assertEqual(server[1]["cwnd"], peer["server_cwnd_before_second"])

    def test_no_restart_with_the_sysctl_off_or_bbr(self):
        for run in ("sysctl off", "bbr"):
            cs, _, conns = self.runs[run]
            self.assertEqual(cs.returncode, 0, cs.stderr)
            for role in ("client", "server"):
                self.assertEqual((conns[role]["idle_restarts"], conns[role]["restart_cwnd"]), (0, 0),
                                 f"{run} {role}")
                http = [h for h in cs.of_type("http") if h["role"] == role]
                self.assertEqual([h["idle_restart"] for h in http], [False, False], f"{run} {role}")


def clients_meet_a_listener(name, port, clients, prepare=lambda ns: None):
    """The backlog peer: a listener with a backlog of 1 that never accepts, and clients that
    connect to it. Returns connscope's records, the namespace's counters over the run, and
    the listener's queues as ss saw them as connscope stopped (accept queue: the listener's
    Recv-Q; SYN queue: its SYN-RECV sockets)."""
    with NetNs(name) as ns:
        prepare(ns)
        before = ns.nstat()
        with Connscope("--netns", ns.path) as cs:
            peer = subprocess.Popen(ns.exec_args("python3", PEER, "backlog", str(port), str(clients)),
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            json.loads(peer.stdout.readline())
            ss = {state: subprocess.run(ns.exec_args("ss", "-Htn", "state", state, f"( sport = :{port} )"),
                                        capture_output=True, text=True, check=True).stdout.splitlines()
                  for state in ("listening", "syn-recv")}
            cs.stop()
        kernel = delta(before, ns.nstat())
        peer.communicate("\n", timeout=30)
    queues = {"accept_queue": int(ss["listening"][0].split()[0]), "syn_queue": len(ss["syn-recv"])}
    return cs, kernel, queues


class FullAcceptQueueTest(unittest.TestCase):
    CLIENTS = 8

    @classmethod
    def setUpClass(cls):
        require_root()
        cls.cs, cls.kernel, cls.ss = clients_meet_a_listener("backlog", 8097, cls.CLIENTS)

    def test_listen_drops_equal_the_kernel_counters(self):
        self.assertEqual(self.cs.returncode, 0, self.cs.stderr)
        listens = [r for r in self.cs.of_type("listen") if r["lport"] == 8097]
        self.assertEqual(len(listens), 1, self.cs.of_type("listen"))
        listen = listens[0]
        self.assertGreater(self.kernel["TcpExtListenOverflows"], 0)
        # A listener that never accepts drops only for its full accept queue.
        self.assertEqual(listen["drops"], self.kernel["TcpExtListenOverflows"])
        self.assertEqual(listen["drops"], self.kernel["TcpExtListenDrops"])
        # The namespace's own counters, split by cause, in the summary.
        self.assertEqual(self.cs.summary["listen_overflows"], self.kernel["TcpExtListenOverflows"])
        self.assertEqual(self.cs.summary["listen_drops"], self.kernel["TcpExtListenDrops"])
        # listen(1) lets two connections wait; the clients that got in are still queued.
        self.assertEqual(listen["accept_queue_max"], 1)
        self.assertEqual(listen["accept_queue"], 2)
        self.assertEqual((listen["accept_queue"], listen["syn_queue"]), (self.ss["accept_queue"], self.ss["syn_queue"]))


class AcceptQueueWaitTest(unittest.TestCase):
    def test_time_in_the_accept_queue(self):
        require_root()
        with NetNs("acceptq") as ns:
            with Connscope("--netns", ns.path) as cs:
                peer = json.loads(ns.run("python3", PEER, "slow_accept", "8099", "0.3",
                                         capture_output=True, text=True, timeout=30).stdout)
                cs.wait_for(lambda records: sum(r["type"] == "conn" for r in records) == 2)
        conns = {c["role"]: c for c in cs.of_type("conn")}
        # From the handshake's end (before connect() returned) to accept()'s return.
        self.assertGreaterEqual(conns["server"]["accept_wait_us"], 300_000)
        self.assertLessEqual(conns["server"]["accept_wait_us"], peer["waited_us"] + 1000)
        self.assertEqual(conns["client"]["accept_wait_us"], 0)


class FullSynQueueTest(unittest.TestCase):
    """No SYN-ACK gets out and syncookies are off: the SYN queue fills, the accept queue stays
    empty. Every drop is a listen drop, none an overflow."""
    CLIENTS = 8
    DROP_SYN_ACKS = """
table inet connscope_syn_queue {
  chain output {
    type filter hook output priority 0; policy accept;
    tcp sport 8098 tcp flags & (syn | ack) == (syn | ack) drop
  }
}
"""

    @classmethod
    def setUpClass(cls):
        require_root()

        def prepare(ns):
            ns.sysctl("net.ipv4.tcp_syncookies", 0)
            ns.nft(cls.DROP_SYN_ACKS)

        cls.cs, cls.kernel, cls.ss = clients_meet_a_listener("synq", 8098, cls.CLIENTS, prepare)

    def test_drops_without_overflows(self):
        self.assertEqual(self.cs.returncode, 0, self.cs.stderr)
        self.assertGreater(self.kernel["TcpExtListenDrops"], 0)
        self.assertEqual(self.kernel.get("TcpExtListenOverflows", 0), 0)
        self.assertEqual(self.cs.summary["listen_drops"], self.kernel["TcpExtListenDrops"])
        self.assertEqual(self.cs.summary["listen_overflows"], 0)
        listens = [r for r in self.cs.of_type("listen") if r["lport"] == 8098]
        # listen(1): as in the accept queue, two handshakes fit in the SYN queue (the kernel
        # drops once it holds more than the backlog), and stay there without their SYN-ACKs.
        self.assertEqual([(r["drops"], r["accept_queue"], r["syn_queue"], r["accept_queue_max"]) for r in listens],
                         [(self.kernel["TcpExtListenDrops"], 0, 2, 1)])
        self.assertEqual((listens[0]["accept_queue"], listens[0]["syn_queue"]),
                         (self.ss["accept_queue"], self.ss["syn_queue"]))


class CloseWaitTest(unittest.TestCase):
    HOLD_S = 4

    @classmethod
    def setUpClass(cls):
        require_root()
        with NetNs("cw") as ns:
            with Connscope("--netns", ns.path, "--interval", "0.5") as cs:
                peer = subprocess.Popen(ns.exec_args("python3", PEER, "close_wait", "8093", str(cls.HOLD_S)),
                                        stdout=subprocess.PIPE, text=True)
                cls.first = json.loads(peer.stdout.readline())
                time.sleep(1.5)
                cls.ss = subprocess.run(ns.exec_args("ss", "-Htn", "state", "close-wait"),
                                        capture_output=True, text=True, check=True).stdout
                cls.stopped_after_s = time.monotonic() - cls.first["closed_at"]
                cs.stop()
            peer.wait(timeout=30)
            peer.stdout.close()
        cls.cs = cs

    def test_ss_sees_the_connection_in_close_wait(self):
        self.assertIn("127.0.0.1:8093", self.ss)
        self.assertIn(f"127.0.0.1:{self.first['client_port']}", self.ss)

    def test_reported_at_exit_with_its_age(self):
        self.assertEqual(self.cs.returncode, 0, self.cs.stderr)
        waits = self.cs.of_type("close_wait")
        final = [w for w in waits if w["ts"] == max(x["ts"] for x in waits)]
        self.assertEqual(len(final), 1, waits)
        w = final[0]
        self.assertEqual((w["lport"], w["rport"]), (8093, self.first["client_port"]))
        self.assertGreater(w["pid"], 0)
        self.assertGreaterEqual(w["age_us"], int(self.stopped_after_s * 1e6) - 100_000)
        self.assertLessEqual(w["age_us"], int(self.stopped_after_s * 1e6) + 2_000_000)

    def test_reported_with_each_interval(self):
        types = [r["type"] for r in self.cs.records]
        first_wait = types.index("close_wait")
        self.assertIn("interval", types[first_wait:])
        self.assertGreaterEqual(types.count("close_wait"), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
