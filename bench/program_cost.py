#!/usr/bin/env python3
"""Run time of connscope's BPF programs per HTTP request at loopback saturation: wrk against
nginx in a network namespace, with kernel.bpf_stats_enabled, for `connscope --no-http`, HTTP
capture, and optionally --http-sample N and another build, in alternating rounds.

    sudo bench/program_cost.py [--seconds 4] [--rounds 3] [--connections 32] [--sample N]
                               [--other-build PATH]

On a small VM the throughput ratios of bench/http_overhead.py move by ±10 % from one set to
the next; the programs' run times, and connscope's own CPU, are the stable measures of what a
change to the probes or to user space does. The statistics themselves add two clock reads to
every run: compare modes and builds with each other, not with the runs in http_overhead.py.

Prints a markdown table for bench/RESULTS.md. Not a test: the numbers depend on the machine.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "integration"))
from harness.connscope import Connscope  # noqa: E402
from compared_modes import add_mode_options, connscope_modes  # noqa: E402
from harness.http_servers import NGINX_PORT, Servers  # noqa: E402
from harness.netns import NetNs  # noqa: E402

def program_stats():
    """{program id: (name, run time ns, runs)} of every loaded program."""
    progs = json.loads(subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True,
                                      check=True).stdout)
    return {p["id"]: (p.get("name", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0)) for p in progs}


def measure(ns, args, binary, extra):
    """({program: (ns per request, runs per request)}, connscope's CPU µs per request)"""
    with Connscope("--netns", ns.path, "--ring-buffer-kib", "65536", *extra, binary=binary) as cs:
        before, own = program_stats(), cs.cpu_seconds()
        out = ns.run("wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s",
                     f"http://127.0.0.1:{NGINX_PORT}/index.html", capture_output=True, text=True).stdout
        after, own = program_stats(), cs.cpu_seconds() - own
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    programs = {}
    for pid, (name, run_ns, runs) in after.items():
        _, run_ns_before, runs_before = before.get(pid, (name, 0, 0))
        if runs > runs_before:
            programs[name] = ((run_ns - run_ns_before) / requests, (runs - runs_before) / requests)
    return programs, own / requests * 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    add_mode_options(parser)
    args = parser.parse_args()
    modes = connscope_modes(args)
    runs = {mode: [] for mode in modes}
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        stats_were = f.read().strip()
    subprocess.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=1"], check=True)
    try:
        with NetNs("bench-progs") as ns:
            servers = Servers(ns)
            try:
                for _ in range(args.rounds):
                    for mode, (binary, extra) in modes.items():
                        runs[mode].append(measure(ns, args, binary, extra))
            finally:
                servers.stop()
    finally:
        subprocess.run(["sysctl", "-qw", f"kernel.bpf_stats_enabled={stats_were}"], check=True)

    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s /index.html (19 bytes), {args.rounds} rounds, "
          f"nginx on loopback, {os.cpu_count()} CPUs; medians over the rounds")
    print()
    print("| mode | program | runs per request | ns per run | µs per request |")
    print("|---|---|---|---|---|")
    for mode, results in runs.items():
        per_program = defaultdict(list)
        for programs, _ in results:
            for name, value in programs.items():
                per_program[name].append(value)
        rows = sorted(((statistics.median(v[0] for v in values), statistics.median(v[1] for v in values), name)
                       for name, values in per_program.items()), reverse=True)
        for ns_per_request, runs_per_request, name in rows:
            if runs_per_request >= 0.01:
                print(f"| {mode} | {name} | {runs_per_request:.2f} | {ns_per_request / runs_per_request:.0f} | "
                      f"{ns_per_request / 1000:.2f} |")
        total = statistics.median(sum(v[0] for v in programs.values()) for programs, _ in results)
        own = statistics.median(own for _, own in results)
        print(f"| {mode} | **all programs** | | | **{total / 1000:.2f}** |")
        print(f"| {mode} | connscope's own CPU | | | {own:.2f} |")


if __name__ == "__main__":
    main()
