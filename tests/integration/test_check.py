"""`connscope check` on the running kernel, against what the kernel itself exposes."""
import functools
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.connscope import BINARY  # noqa: E402

# Signals whose mechanism is fixed, not a tracepoint attach kind.
FIXED = {"listen_drops": "iter"}
# Signals on the per-syscall tracepoints with tp_btf, on the raw syscall tracepoints with raw_tp.
SYSCALL_SIGNALS = {"accept", "connect_error", "bind_error"}
SIGNALS = {"http_data", "active_open", "passive_open", "state_change", "retransmit", "synack_retransmit",
           "reset_sent", "reset_received", "accept", "connect_error", "bind_error", "delayed_ack",
           "delayed_ack_stall", "idle_restart", "listen_drops"}


@functools.cache
def tracefs_events():
    """The events tracefs lists, from a mount of our own (connscope mounts it only while it runs)."""
    mnt = tempfile.mkdtemp(prefix="connscope-tracefs-")
    try:
        subprocess.run(["mount", "-t", "tracefs", "nodev", mnt], check=True)
        try:
            events = os.path.join(mnt, "events")
            return {f"{system}/{event}" for system in os.listdir(events)
                    if os.path.isdir(os.path.join(events, system)) for event in os.listdir(os.path.join(events, system))}
        finally:
            subprocess.run(["umount", mnt], check=True)
    finally:
        os.rmdir(mnt)


@functools.cache
def kernel_tracepoints():
    """The kernel's BTF, where every tracepoint has a btf_trace_<name> typedef."""
    return subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux"],
                          capture_output=True, text=True, check=True).stdout


def check(*args):
    return subprocess.run([BINARY, "check", *args], capture_output=True, text=True, timeout=60)


class BpfObjectsTest(unittest.TestCase):
    def test_every_program_variant_passes_the_verifier(self):
        # connscope loads one variant per hook (tp_btf with direct loads, tp_btf or raw_tp, as
        # the kernel allows); the ones this kernel does not pick must still load where others run.
        # bpftool pins what it loads: on a bpffs of the test's own, gone with its unmount.
        pin = tempfile.mkdtemp(prefix="connscope-verify-")
        subprocess.run(["mount", "-t", "bpf", "bpf", pin], check=True)
        try:
            for name in ("conn", "http"):
                obj = os.path.join(os.path.dirname(BINARY), "bpf", f"{name}.bpf.o")
                result = subprocess.run(["bpftool", "prog", "loadall", obj, os.path.join(pin, name)],
                                        capture_output=True, text=True, timeout=120)
                self.assertEqual(result.returncode, 0, result.stderr[-3000:])
                self.assertGreater(len(os.listdir(os.path.join(pin, name))), 0)
        finally:
            subprocess.run(["umount", pin], check=True)
            os.rmdir(pin)


class CheckTest(unittest.TestCase):
    def test_every_signal_has_a_tracepoint_mechanism(self):
        result = check("--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        report = json.loads(result.stdout)
        self.assertTrue(report["ok"])
        self.assertEqual({s["signal"] for s in report["signals"]}, SIGNALS)
        for signal in report["signals"]:
            if signal["mechanism"] == "iter":  # a BPF socket iterator, bpf_iter__<hook> in BTF
                for hook in signal["hooks"]:
                    self.assertIn(f"'bpf_iter__{hook}'", kernel_tracepoints(), hook)
                continue
            if signal["signal"] in SYSCALL_SIGNALS:
                self.assertEqual(signal["mechanism"], "tracepoint", signal)
                for hook in signal["hooks"]:
                    self.assertIn(hook, tracefs_events())
                continue
            self.assertEqual(signal["mechanism"], "tp_btf", signal)
            for hook in signal["hooks"]:
                self.assertIn(f"'btf_trace_{hook}'", kernel_tracepoints(), hook)

    def test_features_agree_with_the_kernel(self):
        features = json.loads(check("--json").stdout)["features"]
        self.assertEqual(features["btf"], os.path.exists("/sys/kernel/btf/vmlinux"))
        # Without CONFIG_KPROBES the kernel registers no kprobe PMU.
        self.assertEqual(features["kprobe"], os.path.exists("/sys/bus/event_source/devices/kprobe"))
        with open("/proc/mounts") as mounts:
            cgroup2 = [line.split()[1] for line in mounts if line.split()[2] == "cgroup2"]
        self.assertEqual(features["cgroup_v2_path"], cgroup2[0] if cgroup2 else "")
        self.assertTrue(features["tp_btf"] and features["raw_tp"] and features["ringbuf"])
        self.assertEqual(features["rdonly_cast"], "bpf_rdonly_cast" in kernel_tracepoints())

    def test_cpu_yield_follows_the_capabilities(self):
        # Going back from SCHED_IDLE needs CAP_SYS_NICE, or CAP_SYS_RESOURCE to raise RLIMIT_NICE.
        self.assertTrue(json.loads(check("--json").stdout)["features"]["cpu_yield"])
        without = subprocess.run(["setpriv", "--bounding-set", "-sys_nice,-sys_resource", BINARY, "check", "--json"],
                                 capture_output=True, text=True)
        self.assertFalse(json.loads(without.stdout)["features"]["cpu_yield"])

    def test_this_kernel_refuses_kprobes_and_fentry(self):
        # The CI kernel is built without CONFIG_KPROBES and refuses fentry; connscope must
        # say so rather than claim them.
        if not os.path.exists("/proc/config.gz"):
            self.skipTest("no /proc/config.gz to tell how this kernel was built")
        config = subprocess.run(["zcat", "/proc/config.gz"], capture_output=True, text=True).stdout
        features = json.loads(check("--json").stdout)["features"]
        if "# CONFIG_KPROBES is not set" in config:
            self.assertFalse(features["kprobe"])
            self.assertFalse(features["fentry"])

    def test_http_data_comes_from_the_socket_tracepoints_unless_told(self):
        def http_hooks(*args):
            report = json.loads(check("--json", *args).stdout)
            return [s["hooks"] for s in report["signals"] if s["signal"] == "http_data"][0]
        self.assertEqual(http_hooks(), ["sock_send_length", "sock_recv_length", "tcp_sendmsg_locked"])
        self.assertEqual(http_hooks("--http-syscall-hooks"), ["sys_enter", "sys_exit"])
        self.assertEqual(http_hooks("--mechanism", "raw_tp"), ["sys_enter", "sys_exit"])

    def test_tracefs_is_left_as_it_was_found(self):
        def tracefs_mounts():
            with open("/proc/mounts") as mounts:
                return [line for line in mounts if line.split()[2] == "tracefs"]
        before = tracefs_mounts()
        self.assertEqual(check().returncode, 0)
        self.assertEqual(tracefs_mounts(), before)

    def test_raw_tp_can_be_forced(self):
        report = json.loads(check("--json", "--mechanism", "raw_tp").stdout)
        self.assertEqual({s["mechanism"] for s in report["signals"] if s["signal"] not in FIXED}, {"raw_tp"})

    def test_text_report_names_each_signal_and_its_mechanism(self):
        result = check()
        self.assertEqual(result.returncode, 0, result.stderr)
        for signal in SIGNALS:
            mechanism = "tracepoint" if signal in SYSCALL_SIGNALS else FIXED.get(signal, "tp_btf")
            self.assertRegex(result.stdout, rf"\n  {signal} +{mechanism} ")
        self.assertRegex(result.stdout, r"\n  kprobe +(yes|no) ")
        self.assertRegex(result.stdout, r"\n  fentry +(yes|no) ")
        self.assertIn("every required signal has a mechanism", result.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
