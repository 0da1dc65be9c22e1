"""Bad input and hostile conditions: a clear one-line error and a non-zero exit, never a
crash or a hang; a stop by signal or by --duration always ends with the summary."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.connscope import BINARY, Connscope  # noqa: E402
from harness.netns import NetNs  # noqa: E402

PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers")


def connscope(*args, timeout=30, **kwargs):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout, **kwargs)


class BadInputTest(unittest.TestCase):
    def assert_one_line_error(self, result, code, fragment):
        self.assertEqual(result.returncode, code, result.stderr)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith("connscope: "), lines[0])
        self.assertIn(fragment, lines[0])

    def test_bad_flags(self):
        for args, fragment in ((["--bogus"], "--bogus"), (["--format", "xml"], "xml"),
                               (["--duration", "0"], "seconds from 0.001"), (["--port", "70000"], "--port"),
                               (["run", "--interval", "-3"], "seconds from 0.001"), (["check", "--format", "json"], "--format")):
            with self.subTest(args=args):
                self.assert_one_line_error(connscope(*args), 2, fragment)

    def test_not_root(self):
        for command in (["check"], ["run", "--duration", "1"]):
            with self.subTest(command=command):
                result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                         BINARY, *command], capture_output=True, text=True, timeout=30)
                self.assert_one_line_error(result, 1, "root")

    def test_root_without_bpf_capabilities(self):
        for command in (["check"], ["run", "--duration", "1"]):
            with self.subTest(command=command):
                result = subprocess.run(["setpriv", "--bounding-set", "-bpf,-perfmon,-sys_admin", BINARY,
                                         *command], capture_output=True, text=True, timeout=30)
                self.assert_one_line_error(result, 1, "CAP_BPF")

    def test_netns_that_is_not_a_namespace(self):
        self.assert_one_line_error(connscope("--netns", "/etc/hostname", "--duration", "1"), 1,
                                   "not a network namespace")

    def test_unwritable_output(self):
        self.assert_one_line_error(connscope("--output", "/proc/no/such/file", "--duration", "1"), 1,
                                   "/proc/no/such/file")

    def test_closed_stdout(self):
        read_end, write_end = os.pipe()
        os.close(read_end)
        proc = subprocess.Popen([BINARY, "--format", "json", "--duration", "20"], stdout=write_end,
                                stderr=subprocess.PIPE, text=True)
        os.close(write_end)
        _, stderr = proc.communicate(timeout=15)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(stderr.splitlines(), ["connscope: cannot write to stdout: Broken pipe"])

    def test_stdout_closed_on_a_quiet_host(self):
        # `connscope | head -1`: no record comes after the start record to find the pipe
        # closed, in a namespace where nothing happens.
        def attached_links():
            return subprocess.run(["bpftool", "link", "list"], capture_output=True, text=True, check=True).stdout

        with NetNs("quiet-stdout") as ns:
            links_before = attached_links()
            proc = subprocess.Popen([BINARY, "--format", "json", "--netns", ns.path, "--duration", "30"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(json.loads(proc.stdout.readline())["type"], "start")
            proc.stdout.close()
            closed = time.monotonic()
            proc.wait(timeout=10)
            self.assertLess(time.monotonic() - closed, 1.0)
            self.assertEqual(proc.returncode, 1)
            self.assertEqual(proc.stderr.read().splitlines(),
                             ["connscope: cannot write to stdout: its reader has gone"])
            proc.stderr.close()
            self.assertEqual(attached_links(), links_before)

    def test_duration_stops_with_a_summary(self):
        started = time.monotonic()
        result = connscope("--format", "json", "--duration", "1", "--interval", "0.3")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertLess(time.monotonic() - started, 8)
        records = [json.loads(line) for line in result.stdout.splitlines()]
        self.assertEqual(records[0]["type"], "start")
        self.assertEqual(records[-1]["type"], "summary")
        self.assertGreaterEqual(len([r for r in records if r["type"] == "interval"]), 2)

    def test_sigterm_stops_with_a_summary(self):
        with tempfile.NamedTemporaryFile(suffix=".ndjson") as out:
            proc = subprocess.Popen([BINARY, "--output", out.name], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 20
            while os.path.getsize(out.name) == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=15)
            self.assertEqual(proc.returncode, 0, stderr)
            self.assertEqual(stdout, "")  # --output takes the records; json when not a terminal
            with open(out.name) as f:
                records = [json.loads(line) for line in f]
            self.assertEqual([records[0]["type"], records[-1]["type"]], ["start", "summary"])

    def test_table_format_is_readable(self):
        with NetNs("table") as ns:
            proc = subprocess.Popen([BINARY, "--format", "table", "--netns", ns.path, "--duration", "3"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
            ns.run("python3", os.path.join(PEERS, "burst_peer.py"), "2", capture_output=True)
            stdout, stderr = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0, stderr)
        self.assertIn("PROCESS", stdout)
        self.assertRegex(stdout, r"client +python3\[\d+\] +127\.0\.0\.1:\d+ → 127\.0\.0\.1:8090")
        self.assertRegex(stdout, r"connections  opened: 2 active, 2 passive")

    def test_full_ring_buffer_counts_lost_events_and_keeps_totals_exact(self):
        # A stopped reader lets the smallest ring buffer overflow; the totals are counted in
        # the kernel, so they must still equal the kernel's own counters.
        with NetNs("lost") as ns:
            before = ns.nstat()
            with Connscope("--netns", ns.path, "--ring-buffer-kib", "64") as cs:
                cs.proc.send_signal(signal.SIGSTOP)
                ns.run("python3", os.path.join(PEERS, "burst_peer.py"), "1500", capture_output=True)
                cs.proc.send_signal(signal.SIGCONT)
            after = ns.nstat()
        summary = cs.summary
        self.assertGreater(summary["events_lost"], 0)
        self.assertEqual(summary["connections_active"], after["TcpActiveOpens"] - before.get("TcpActiveOpens", 0))
        self.assertEqual(summary["connections_active"], 1500)
        self.assertEqual(summary["connections_passive"], 1500)
        self.assertLess(len(cs.of_type("conn")), 3000)


if __name__ == "__main__":
    unittest.main(verbosity=2)
