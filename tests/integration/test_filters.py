"""--netns, --port and --pid: only the traffic asked for is reported and counted."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.connscope import Connscope  # noqa: E402
from harness.netns import NetNs  # noqa: E402

PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers")


class Peer:
    """A filter_peer.py process in a namespace, held at its start line until go()."""

    def __init__(self, ns, role, port, count):
        self.proc = subprocess.Popen(ns.exec_args("python3", os.path.join(PEERS, "filter_peer.py"),
                                                  role, str(port), str(count)),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = int(self.proc.stdout.readline())

    def go(self):
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def result(self):
        out, _ = self.proc.communicate(timeout=60)
        return json.loads(out)


def traffic(ns, port, count):
    server = Peer(ns, "server", port, count)
    client = Peer(ns, "client", port, count)
    return server, client


def run(server, client):
    server.go()
    client.go()
    return server.result(), client.result()


class FilterTest(unittest.TestCase):
    def test_netns_sees_only_its_namespace(self):
        with NetNs("a") as a, NetNs("b") as b:
            inode = os.stat(a.path).st_ino
            before = a.nstat()
            with Connscope("--netns", a.path) as cs:
                in_a = traffic(a, 8080, 3)
                in_b = traffic(b, 8080, 5)
                run(*in_b)
                run(*in_a)
            after = a.nstat()
        conns = cs.of_type("conn")
        self.assertEqual(len(conns), 6)
        self.assertEqual({c["netns"] for c in conns}, {inode})
        self.assertEqual(cs.summary["connections_active"], after["TcpActiveOpens"] - before.get("TcpActiveOpens", 0))
        self.assertEqual(cs.summary["connections_active"], 3)

    def test_port_keeps_one_service(self):
        with NetNs("port") as ns:
            with Connscope("--netns", ns.path, "--port", "8081") as cs:
                wanted = traffic(ns, 8081, 4)
                other = traffic(ns, 8080, 2)
                run(*other)
                _, client = run(*wanted)
        conns = cs.of_type("conn")
        self.assertEqual(len(conns), 8)
        self.assertTrue(all(8081 in (c["lport"], c["rport"]) for c in conns))
        self.assertEqual(sorted(c["lport"] for c in conns if c["role"] == "client"), sorted(client["ports"]))
        self.assertEqual((cs.summary["connections_active"], cs.summary["connections_passive"]), (4, 4))

    def test_pid_keeps_one_client_process(self):
        with NetNs("pidc") as ns:
            # The server accepts all five: one that exits after three refuses the rest.
            server = Peer(ns, "server", 8080, 5)
            client = Peer(ns, "client", 8080, 3)
            other = Peer(ns, "client", 8080, 2)
            server_two = Peer(ns, "server", 8081, 2)
            other_two = Peer(ns, "client", 8081, 2)
            with Connscope("--netns", ns.path, "--pid", str(client.pid)) as cs:
                for peer in (server, client, other, server_two, other_two):
                    peer.go()
                for peer in (server, other, server_two, other_two):
                    peer.result()
                mine = client.result()
        conns = cs.of_type("conn")
        self.assertEqual(sorted(c["lport"] for c in conns), sorted(mine["ports"]))
        self.assertEqual({(c["role"], c["pid"]) for c in conns}, {("client", client.pid)})
        self.assertEqual((cs.summary["connections_active"], cs.summary["connections_passive"]), (3, 0))

    def test_pid_keeps_one_accepting_process(self):
        with NetNs("pids") as ns:
            server, client = traffic(ns, 8080, 3)
            server_two = Peer(ns, "server", 8081, 2)
            client_two = Peer(ns, "client", 8081, 2)
            with Connscope("--netns", ns.path, "--pid", str(server.pid)) as cs:
                for peer in (server, client, server_two, client_two):
                    peer.go()
                for peer in (client, server_two, client_two):
                    peer.result()
                accepted = server.result()
        conns = cs.of_type("conn")
        self.assertEqual(sorted(c["rport"] for c in conns), sorted(accepted["ports"]))
        self.assertEqual({(c["role"], c["pid"], c["lport"]) for c in conns}, {("server", server.pid, 8080)})
        self.assertEqual((cs.summary["connections_active"], cs.summary["connections_passive"]), (0, 3))


if __name__ == "__main__":
    unittest.main(verbosity=2)
