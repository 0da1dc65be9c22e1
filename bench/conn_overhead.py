#!/usr/bin/env python3
"""What attaching connscope costs: each workload timed without and with connscope, in
alternating rounds of one run, reported as medians and their ratio. Run as root from the
repo root after building: python3 bench/conn_overhead.py [--rounds N]."""
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
        times = {name: {"without": [], "with": []} for name in workloads(ns)}
        for _ in range(rounds):
            for name, cmd in workloads(ns).items():
                times[name]["without"].append(timed(cmd))
                with Connscope("--netns", ns.path):
                    times[name]["with"].append(timed(cmd))
    print(f"{'workload':<46} {'without (s)':>11} {'with (s)':>9} {'ratio':>6}")
    for name, t in times.items():
        without, with_ = statistics.median(t["without"]), statistics.median(t["with"])
        print(f"{name:<46} {without:>11.3f} {with_:>9.3f} {with_ / without:>6.2f}")


if __name__ == "__main__":
    main()
