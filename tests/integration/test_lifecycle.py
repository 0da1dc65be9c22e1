"""Connection lifecycles: connscope's records and totals against the kernel's own counters
(nstat, in the test's network namespace) and against what the peers themselves saw."""
import collections
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.connscope import Connscope  # noqa: E402
from harness.netns import NetNs  # noqa: E402

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers", "lifecycle_peer.py")

# First SYN to 8082 dropped; first handshake ACK to 8083 dropped (the server retransmits
# its SYN-ACK); first large data packet to 8084 dropped (retransmitted as several segments).
DROPS = """
table inet connscope_test {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 8082 tcp flags & (syn | ack) == syn quota until 100 bytes drop
    tcp dport 8083 tcp flags & (syn | ack | fin | rst | psh) == ack meta length < 80 quota until 100 bytes drop
    tcp dport 8084 meta length > 20000 quota until 70000 bytes drop
  }
}
"""

# Summary field → the kernel counter it must equal.
KERNEL_COUNTERS = {
    "connections_active": "TcpActiveOpens",
    "connections_passive": "TcpPassiveOpens",
    "retransmits": "TcpRetransSegs",
    "syn_retransmits": "TcpExtTCPSynRetrans",
    "resets_sent": "TcpOutRsts",
}

# kind → (client close, client time_wait, server close, server time_wait)
EXPECTED_CLOSE = {
    "client_closes_first": ("local_fin", True, "peer_fin", False),
    "synack_retransmitted": ("local_fin", True, "peer_fin", False),
    "server_closes_first": ("peer_fin", False, "local_fin", True),
    "client_aborts": ("reset_sent", False, "reset_received", False),
    "server_closes_unread": ("reset_received", False, "reset_sent", False),
}


class LifecycleTest(unittest.TestCase):
    mechanism = "auto"

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise RuntimeError("integration tests load BPF programs: run them as root")
        with NetNs("life") as ns:
            ns.nft(DROPS)
            before = ns.nstat()
            with Connscope("--netns", ns.path, "--mechanism", cls.mechanism) as cs:
                out = ns.run("python3", PEER, capture_output=True, text=True, timeout=120).stdout
            after = ns.nstat()
        cls.cs = cs
        cls.peer = json.loads(out)
        cls.kernel = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
        cls.conns = cs.of_type("conn")

    def find(self, role, lport, rport):
        found = [c for c in self.conns if c["role"] == role and c["lport"] == lport and c["rport"] == rport]
        self.assertEqual(len(found), 1, f"{role} records for {lport}→{rport}: {found}")
        return found[0]

    def test_exits_cleanly_with_summary_last(self):
        self.assertEqual(self.cs.returncode, 0, self.cs.stderr)
        self.assertEqual(self.cs.records[0]["type"], "start")
        self.assertEqual(self.cs.records[-1]["type"], "summary")
        self.assertEqual(self.cs.summary["events_lost"], 0)

    def test_hooks_use_the_requested_mechanism(self):
        # listen_drops is read through a socket iterator whatever the attach kind; what only
        # syscalls know comes from the per-syscall tracepoints with tp_btf, from the raw syscall
        # tracepoints with raw_tp.
        syscall_signals = {"accept", "connect_error", "bind_error"}
        hooks = {h["signal"]: h["mechanism"] for h in self.cs.start["hooks"] if h["signal"] != "listen_drops"}
        if self.mechanism == "auto":
            self.assertEqual({s for s, m in hooks.items() if m == "tracepoint"}, syscall_signals)
            self.assertEqual({m for s, m in hooks.items() if s not in syscall_signals}, {"tp_btf"})
        else:
            self.assertEqual(set(hooks.values()), {self.mechanism})

    def test_totals_equal_kernel_counters(self):
        summary = self.cs.summary
        for field, counter in KERNEL_COUNTERS.items():
            with self.subTest(field=field):
                self.assertEqual(summary[field], self.kernel.get(counter, 0), counter)
        # The scenario must have exercised every counter, or equality proves little.
        self.assertGreaterEqual(self.kernel["TcpExtTCPSynRetrans"], 2)  # a SYN and a SYN-ACK
        self.assertGreater(self.kernel["TcpRetransSegs"], self.kernel["TcpExtTCPSynRetrans"])
        self.assertGreaterEqual(self.kernel["TcpOutRsts"], 5)
        self.assertEqual(summary["connections_active"], len(self.peer["connections"]) + 3)

    def test_connect_errors_match_what_connect_returned(self):
        seen = sorted((e["errno"], e["async"], e["port"]) for e in self.peer["connect_errors"])
        records = sorted((e["errno"], e["async"], e["rport"]) for e in self.cs.of_type("connect_error"))
        self.assertEqual(records, seen)
        self.assertEqual(self.cs.summary["connect_errors"],
                         dict(collections.Counter(e["errno"] for e in self.peer["connect_errors"])))
        for e in self.cs.of_type("connect_error"):
            self.assertEqual(e["pid"], self.peer["pid"])
            self.assertEqual(e["raddr"], "127.0.0.1")

    def test_refused_connections_never_established(self):
        refused = [c for c in self.conns if c["rport"] == 9]
        self.assertEqual(len(refused), len(self.peer["connect_errors"]))
        for c in refused:
            self.assertEqual((c["role"], c["close"], c["error"], c["time_wait"]),
                             ("client", "never_established", "ECONNREFUSED", False))

    def test_one_record_per_side_of_every_connection(self):
        self.assertEqual(len(self.conns), 2 * len(self.peer["connections"]) + len(self.peer["connect_errors"]))
        for conn in self.peer["connections"]:
            with self.subTest(conn=conn):
                client = self.find("client", conn["client_port"], conn["server_port"])
                server = self.find("server", conn["server_port"], conn["client_port"])
                self.assertEqual(client["family"], conn["family"])
                for record in (client, server):
                    self.assertEqual(record["pid"], self.peer["pid"])
                    self.assertTrue(record["observed_open"])
                    self.assertGreater(record["handshake_us"], 0)
                self.assertEqual(client["bytes_sent"], conn["client_sent"])
                self.assertEqual(client["bytes_received"], conn["client_received"])
                self.assertEqual(server["bytes_received"], conn["client_sent"])
                self.assertEqual(server["bytes_sent"], conn["client_received"])
                close = EXPECTED_CLOSE[conn["kind"]]
                self.assertEqual((client["close"], client["time_wait"], server["close"], server["time_wait"]), close)

    def test_ipv4_mapped_peer_is_shown_as_ipv4(self):
        mapped = [c for c in self.conns if c["role"] == "client" and c["rport"] == 8086 and c["family"] == "ipv6"]
        self.assertEqual(sorted(c["raddr"] for c in mapped), ["127.0.0.1", "::1"])

    def test_dropped_syn_makes_a_slow_handshake(self):
        conn = next(c for c in self.peer["connections"] if c["server_port"] == 8082)
        client = self.find("client", conn["client_port"], 8082)
        self.assertEqual(client["syn_retransmits"], 1)
        self.assertGreaterEqual(client["handshake_us"], 1_000_000)
        # connect() itself took the handshake plus the syscall around it.
        self.assertLessEqual(client["handshake_us"], conn["connect_s"] * 1e6 + 1000)
        server = self.find("server", 8082, conn["client_port"])
        self.assertEqual(server["syn_retransmits"], 0)

    def test_slow_handshakes_make_handshake_records(self):
        slow = {(h["role"], h["lport"], h["rport"]): h for h in self.cs.of_type("handshake")}
        syn_dropped = next(c for c in self.peer["connections"] if c["server_port"] == 8082)
        client = slow.pop(("client", syn_dropped["client_port"], 8082))
        self.assertGreaterEqual(client["handshake_us"], 1_000_000)
        self.assertEqual(client["syn_retransmits"], 1)
        self.assertEqual(client["handshake_us"], self.find("client", syn_dropped["client_port"], 8082)["handshake_us"])
        ack_dropped = next(c for c in self.peer["connections"] if c["server_port"] == 8083)
        server = slow.pop(("server", 8083, ack_dropped["client_port"]))
        self.assertGreaterEqual(server["handshake_us"], 1_000_000)
        self.assertEqual(server["syn_retransmits"], 1)
        # Every other handshake took less than the default 200 ms.
        self.assertEqual(slow, {})
        self.assertEqual(sum(h["syn_retransmits"] for h in self.cs.of_type("handshake")),
                         self.kernel["TcpExtTCPSynRetrans"])

    def test_dropped_handshake_ack_retransmits_the_synack(self):
        conn = next(c for c in self.peer["connections"] if c["server_port"] == 8083)
        server = self.find("server", 8083, conn["client_port"])
        self.assertEqual(server["syn_retransmits"], 1)
        self.assertGreaterEqual(server["handshake_us"], 1_000_000)
        self.assertEqual(self.find("client", conn["client_port"], 8083)["syn_retransmits"], 0)

    def test_dropped_data_is_retransmitted_on_its_connection(self):
        conn = next(c for c in self.peer["connections"] if c["server_port"] == 8084)
        client = self.find("client", conn["client_port"], 8084)
        self.assertGreaterEqual(client["retransmits"], 1)
        self.assertGreater(client["bytes_retransmitted"], 20000)
        self.assertEqual(client["syn_retransmits"], 0)
        per_connection = sum(c["retransmits"] for c in self.conns)
        self.assertEqual(per_connection, self.kernel["TcpRetransSegs"])


class LifecycleRawTpTest(LifecycleTest):
    """The same lifecycles through the raw_tp fallback that kernels without tp_btf use."""
    mechanism = "raw_tp"


if __name__ == "__main__":
    unittest.main(verbosity=2)
