#!/usr/bin/env python3
"""What attaching connscope costs: each workload timed without connscope, with connscope
--no-http (the connection probes alone) and with connscope as it runs by default (HTTP capture
on), in alternating rounds of one run, reported as medians and their ratio to the run without.
Run as root from the repo root after building: python3 bench/conn_overhead.py [--rounds N]."""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from harness.connscope import Connscope  # noqa: E402
from harness.netns import NetNs  # noqa: E402

BURST = os.path.join(HERE, "..", "tests", "integration", "peers", "burst_peer.py")


def workloads(ns):
    return {
        # Every syscall takes the traced path while the raw syscall tracepoints are attached.
        "null syscalls (dd bs=1, 2M reads+writes)":
            ["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=1000000", "status=none"],
        "connection churn (3000 connect/accept/close)":
            ns.exec_args("python3", BURST, "3000"),
    }


def timed(cmd):
    started = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    with NetNs("bench") as ns:
        modes = {"without": None, "--no-http": ["--no-http"], "default": []}
        times = {name: {mode: [] for mode in modes} for name in workloads(ns)}
        for _ in range(rounds):
            for name, cmd in workloads(ns).items():
                for mode, args in modes.items():
                    if args is None:
                        times[name][mode].append(timed(cmd))
                        continue
                    with Connscope("--netns", ns.path, *args):
                        times[name][mode].append(timed(cmd))
    print(f"{'workload':<46} {'without (s)':>11} {'--no-http':>14} {'default':>14}")
    for name, t in times.items():
        base = statistics.median(t["without"])
        cells = [f"{statistics.median(t[m]):.3f} ({statistics.median(t[m]) / base:.2f}x)" for m in ("--no-http", "default")]
        print(f"{name:<46} {base:>11.3f} {cells[0]:>14} {cells[1]:>14}")


if __name__ == "__main__":
    main()
