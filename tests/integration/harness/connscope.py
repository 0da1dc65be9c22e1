"""Runs build/connscope as a child process and collects its NDJSON records."""
import json
import os
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BINARY = os.environ.get("CONNSCOPE", os.path.join(ROOT, "build", "connscope"))
# Scheduling policies (sched.h), as /proc/PID/stat field 41 shows them.
SCHED_OTHER, SCHED_IDLE = 0, 5


class Connscope:
    """`with Connscope("--netns", path) as cs:` attaches before the body runs; records after."""

    def __init__(self, *args, wrapper=(), binary=BINARY):
        """wrapper: a command that runs connscope, e.g. setpriv with fewer capabilities;
        binary: another build of it, for side-by-side benchmarks."""
        self.args = [*wrapper, binary, "run", "--format", "json", *args]
        self.records = []
        self.returncode = None
        self.stderr = ""

    def __enter__(self):
        self.out = tempfile.NamedTemporaryFile(mode="w+", suffix=".ndjson")
        self.err = tempfile.NamedTemporaryFile(mode="w+", suffix=".err")
        self.proc = subprocess.Popen(self.args, stdout=self.out, stderr=self.err)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"connscope exited {self.proc.returncode}: {self._stderr()}")
            with open(self.out.name) as f:
                first = f.readline()
            if first.endswith("\n"):
                self.start = json.loads(first)
                return self
            time.sleep(0.05)
        self.proc.kill()  # its probes stay attached for as long as it lives
        self.proc.wait()
        raise RuntimeError("connscope did not print its start record within 20 s")

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.returncode is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        self.returncode = self.proc.wait(timeout=20)
        self.stderr = self._stderr()
        with open(self.out.name) as f:
            self.records = [json.loads(line) for line in f]
        self.out.close()
        self.err.close()

    def wait_for(self, condition, timeout=20):
        """Waits until condition(records written so far) holds; records are written with a
        grace after each close, so a fixed sleep is not enough on a loaded machine."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.out.name) as f:
                records = [json.loads(line) for line in f if line.endswith("\n")]
            if condition(records):
                return
            time.sleep(0.1)
        raise RuntimeError(f"connscope's records did not reach the expected state within {timeout} s")

    def _stderr(self):
        with open(self.err.name) as f:
            return f.read()

    def reader_policy(self):
        """The scheduling policy of connscope's main thread, which reads the event ring."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[38])

    def cpu_seconds(self):
        """CPU time connscope has used so far, user and system, all threads."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wakeups(self, reader=True):
        """Times connscope's threads have gone to sleep and woken up, all threads together, or
        all but the main thread, which reads the event ring (reader=False)."""
        total = 0
        for task in os.listdir(f"/proc/{self.proc.pid}/task"):
            if not reader and int(task) == self.proc.pid:
                continue
            with open(f"/proc/{self.proc.pid}/task/{task}/status") as f:
                total += sum(int(line.split()[1]) for line in f if line.startswith("voluntary_ctxt_switches"))
        return total

    def of_type(self, record_type):
        return [r for r in self.records if r["type"] == record_type]

    @property
    def summary(self):
        summaries = self.of_type("summary")
        assert len(summaries) == 1, f"expected one summary, got {len(summaries)}"
        assert self.records[-1]["type"] == "summary", "the summary is not the last line"
        return summaries[0]
