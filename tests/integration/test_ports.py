"""TIME_WAIT and source-port exhaustion in a namespace whose ephemeral range is 40 ports:
connscope's timewait/ports records against `ss -tan state time-wait` in that namespace, its
connect_error records against the failures the client saw, its warning against the client's
own clock."""
import collections
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.connscope import Connscope  # noqa: E402
from harness.netns import NetNs  # noqa: E402

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers", "port_peer.py")
RANGE = (40000, 40039)
POOL = RANGE[1] - RANGE[0] + 1


def time_wait_sockets(ns):
    """(local, peer) of every TIME_WAIT socket, as ss lists them."""
    out = subprocess.run(ns.exec_args("ss", "-Htan", "state", "time-wait"), check=True,
                         capture_output=True, text=True).stdout
    return [tuple(line.split()[-2:]) for line in out.splitlines() if line.strip()]


def by_destination(sockets):
    return dict(collections.Counter(peer for _, peer in sockets))


def by_holder_and_destination(sockets):
    """As the timewait record groups them: a socket whose local port is outside the namespace's
    ephemeral range is the server's, grouped by the client's address only (port 0)."""
    def key(local, peer):
        if RANGE[0] <= int(local.rsplit(":", 1)[1]) <= RANGE[1]:
            return ("client", peer)
        return ("server", peer.rsplit(":", 1)[0] + ":0")
    return dict(collections.Counter(key(local, peer) for local, peer in sockets))


def recorded_by_destination(timewait, holder="client"):
    """As ss writes them: [v6]:port."""
    return {(f"[{d['raddr']}]" if ":" in d["raddr"] else d["raddr"]) + f":{d['rport']}": d["count"]
            for d in timewait["by_destination"] if d["holder"] == holder}


def recorded_by_holder_and_destination(timewait):
    return {(holder, dest): count for holder in ("client", "server")
            for dest, count in recorded_by_destination(timewait, holder).items()}


class Scenario:
    """Runs port_peer.py MODE in a fresh namespace under connscope; keeps what each saw."""

    def __init__(self, name, mode, ports, max_connections=None, before=None, whole_host=False,
                 host="127.0.0.1"):
        with NetNs(name) as ns:
            ns.sysctl("net.ipv4.ip_local_port_range", f"{RANGE[0]} {RANGE[1]}")
            ns.sysctl("net.ipv4.tcp_tw_reuse", 0)
            if before:
                before(ns)
            # Without --netns, connscope reads a namespace when its first event arrives: the
            # client gives it time before racing to exhaustion.
            pause = "0.5" if whole_host else "0"
            args = ["python3", PEER, mode, ",".join(map(str, ports)), str(max_connections or 100000), pause, host]
            scope = [] if whole_host else ["--netns", ns.path]
            with Connscope(*scope, "--max-peers", "100") as cs:
                self.at_start = time_wait_sockets(ns)
                out = ns.run(*args, capture_output=True, text=True, timeout=120).stdout
                made = {c["lport"] for c in json.loads(out)["made"]}
                cs.wait_for(lambda records: made <= {r["lport"] for r in records
                                                     if r["type"] == "conn" and r["role"] == "client"})
                time.sleep(0.5)  # quiescent: every connection closed
                self.ss = time_wait_sockets(ns)
            self.ss_after = time_wait_sockets(ns)
            self.netns = os.stat(ns.path).st_ino
        self.cs = cs
        self.peer = json.loads(out)
        here = [r for r in cs.records if r.get("netns") == self.netns]
        self.timewait = [r for r in here if r["type"] == "timewait"][-1]
        self.ports = [r for r in here if r["type"] == "ports"][-1]
        self.errors = [r for r in here if r["type"] == "connect_error"]
        self.warnings = [r for r in here if r["type"] == "port_warning"]


class PortTestBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise RuntimeError("integration tests load BPF programs: run them as root")

    def assert_matches_ss(self, s):
        self.assertEqual(s.cs.returncode, 0, s.cs.stderr)
        # No TIME_WAIT socket expired between ss and connscope's read at exit.
        self.assertEqual(s.ss, s.ss_after)
        self.assertEqual(s.timewait["total"], len(s.ss))
        if len(by_holder_and_destination(s.ss)) <= 100:
            self.assertEqual(recorded_by_holder_and_destination(s.timewait), by_holder_and_destination(s.ss))

    def assert_failures_reported(self, s, syscall, errno_name):
        seen = [f for f in s.peer["failures"]]
        self.assertEqual(len(seen), 3, s.peer)
        self.assertTrue(all(f["syscall"] == syscall and f["errno"] == errno_name for f in seen), seen)
        self.assertEqual([(e["syscall"], e["errno"]) for e in s.errors], [(syscall, errno_name)] * len(seen))
        self.assertEqual(s.cs.summary["connect_errors"], {errno_name: len(seen)})
        for e in s.errors:
            self.assertEqual(e["port_utilization"], 1.0)
        # The warning came before the client's first failure, by the client's own clock.
        first_failure = min(f["ts"] for f in seen)
        self.assertTrue(s.warnings, "no port_warning")
        self.assertLess(max(w["ts"] for w in s.warnings), first_failure)
        order = [r["type"] for r in s.cs.records if r["type"] in ("port_warning", "connect_error")]
        self.assertEqual(order[0], "port_warning")


class ClientClosesFirst(PortTestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s = Scenario("tw-client", "client_first", [8080])

    def test_time_wait_equals_ss(self):
        self.assert_matches_ss(self.s)
        self.assertEqual(len(self.s.ss), POOL)
        self.assertEqual(self.s.timewait["client_side"], POOL)
        self.assertEqual(self.s.timewait["entered_client_closed_first"], POOL)

    def test_eaddrnotavail_counted_with_warning_first(self):
        self.assertEqual(len(self.s.peer["made"]), POOL)
        self.assert_failures_reported(self.s, "connect", "EADDRNOTAVAIL")
        self.assertEqual(len(self.s.warnings), 1)
        w = self.s.warnings[0]
        self.assertEqual((w["raddr"], w["rport"], w["shared_pool"]), ("127.0.0.1", 8080, False))
        self.assertGreaterEqual(w["utilization"], 0.8)

    def test_ports_record_shows_the_exhausted_destination(self):
        self.assertEqual((self.s.ports["range"], self.s.ports["pool"], self.s.ports["tw_reuse"]),
                         (list(RANGE), POOL, 0))
        [d] = self.s.ports["destinations"]
        self.assertEqual((d["raddr"], d["rport"], d["in_use"], d["time_wait"], d["available"], d["utilization"]),
                         ("127.0.0.1", 8080, POOL, POOL, 0, 1.0))
        self.assertEqual((d["reusable"], d["shared_pool"], d["bound_before_connect"]), (0, False, 0))
        self.assertGreater(d["opens_per_s"], 0)


class ClientClosesFirstIPv6(PortTestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s = Scenario("tw-v6", "client_first", [8080], host="::1")

    def test_time_wait_equals_ss(self):
        self.assert_matches_ss(self.s)
        self.assertEqual(by_destination(self.s.ss), {"[::1]:8080": POOL})

    def test_exhausted_with_warning_first(self):
        self.assert_failures_reported(self.s, "connect", "EADDRNOTAVAIL")
        [d] = self.s.ports["destinations"]
        self.assertEqual((d["laddr"], d["raddr"], d["in_use"], d["utilization"]), ("::1", "::1", POOL, 1.0))
        self.assertEqual({e["raddr"] for e in self.s.errors}, {"::1"})


class BoundBeforeConnect(PortTestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s = Scenario("tw-bound", "bound", [8080, 8081])

    def test_time_wait_equals_ss(self):
        self.assert_matches_ss(self.s)
        self.assertEqual(by_destination(self.s.ss), {"127.0.0.1:8080": POOL // 2, "127.0.0.1:8081": POOL // 2})

    def test_shared_pool_detected(self):
        destinations = {d["rport"]: d for d in self.s.ports["destinations"]}
        self.assertEqual(set(destinations), {8080, 8081})
        for d in destinations.values():
            self.assertTrue(d["shared_pool"])
            self.assertEqual(d["bound_before_connect"], POOL // 2)
            # Each destination holds half the ports, but the pool they share is full.
            self.assertEqual((d["time_wait"], d["in_use"], d["utilization"]), (POOL // 2, POOL, 1.0))

    def test_eaddrinuse_counted_with_warning_first(self):
        self.assertEqual(len(self.s.peer["made"]), POOL)
        self.assert_failures_reported(self.s, "bind", "EADDRINUSE")
        self.assertTrue(all(w["shared_pool"] for w in self.s.warnings))


class ServerClosesFirst(PortTestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s = Scenario("tw-server", "server_first", [8080], max_connections=2 * POOL)

    def test_time_wait_is_on_the_server_side(self):
        self.assert_matches_ss(self.s)
        self.assertGreater(len(self.s.ss), 0)
        self.assertTrue(all(local.endswith(":8080") for local, _ in self.s.ss), self.s.ss)
        self.assertEqual(self.s.timewait["server_side"], len(self.s.ss))
        self.assertEqual(self.s.timewait["client_side"], 0)
        self.assertEqual(self.s.timewait["entered_server_closed_first"], 2 * POOL)

    def test_client_ports_not_at_risk(self):
        self.assertEqual(len(self.s.peer["made"]), 2 * POOL)
        self.assertEqual(self.s.peer["failures"], [])
        self.assertEqual(self.s.errors, [])
        self.assertEqual(self.s.warnings, [])
        [d] = self.s.ports["destinations"]
        self.assertEqual((d["rport"], d["in_use"], d["utilization"], d["exhaustion_in_s"]), (8080, 0, 0.0, None))
        self.assertGreater(d["opens_per_s"], 0)


class WholeHost(PortTestBase):
    """Without --netns: connscope's own namespace, and the test's, found from its events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s = Scenario("tw-host", "client_first", [8080], whole_host=True)

    def test_namespace_seen_in_events_is_read(self):
        self.assert_matches_ss(self.s)
        self.assertEqual(len(self.s.ss), POOL)
        own = os.stat("/proc/self/ns/net").st_ino
        self.assertIn(own, {r["netns"] for r in self.s.cs.of_type("ports")})
        [d] = self.s.ports["destinations"]
        self.assertEqual((d["in_use"], d["utilization"]), (POOL, 1.0))
        self.assertEqual([e["errno"] for e in self.s.errors], ["EADDRNOTAVAIL"] * 3)
        self.assertEqual(len(self.s.warnings), 1)
        self.assertLess(self.s.warnings[0]["ts"], min(f["ts"] for f in self.s.peer["failures"]))


def make_time_wait_before_start(ns):
    """Ten connections to port 9090 closed by the client before connscope starts."""
    ns.run("python3", PEER, "client_first", "9090", "10", capture_output=True, timeout=60)


class TimeWaitBeforeStart(PortTestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s = Scenario("tw-before", "client_first", [8080], max_connections=5, before=make_time_wait_before_start)

    def test_sockets_in_time_wait_before_start_are_counted(self):
        self.assertEqual(by_destination(self.s.at_start), {"127.0.0.1:9090": 10})
        self.assert_matches_ss(self.s)
        self.assertEqual(recorded_by_destination(self.s.timewait), {"127.0.0.1:9090": 10, "127.0.0.1:8080": 5})
        # Only the five connections made under connscope were seen entering TIME_WAIT.
        self.assertEqual(self.s.timewait["entered_client_closed_first"], 5)
        destinations = {d["rport"]: d["in_use"] for d in self.s.ports["destinations"]}
        self.assertEqual(destinations, {9090: 10, 8080: 5})


if __name__ == "__main__":
    unittest.main(verbosity=2)
