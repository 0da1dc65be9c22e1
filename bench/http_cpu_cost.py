#!/usr/bin/env python3
"""CPU cost of connscope per HTTP request below saturation: wrk paced against nginx in a network
namespace, alternating runs without connscope, with `connscope --no-http`, and with HTTP capture.

    sudo bench/http_cpu_cost.py [--seconds 8] [--rounds 3] [--connections 32] [--delay-ms 5]
                                [--sample N] [--other-build PATH]

Each wrk connection waits --delay-ms between a response and its next request (wrk's delay()
hook), so the request rate is set by the client, not by the CPUs: what connscope costs shows
as CPU time, not as lost throughput. For each run: the machine's busy CPU time (/proc/stat:
user, nice, system, irq, softirq) per request, connscope's own share of it (/proc/PID/stat),
and wrk's latency percentiles. What connscope adds per request, times a host's request rate,
is the CPU it would take there. --sample N adds runs with --http-sample N.

Prints a markdown table for bench/RESULTS.md. Not a test: the numbers depend on the machine.
"""
import argparse
import os
import re
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "integration"))
from harness.connscope import Connscope  # noqa: E402
from compared_modes import add_mode_options, connscope_modes  # noqa: E402
from harness.http_servers import NGINX_PORT, Servers  # noqa: E402
from harness.netns import NetNs  # noqa: E402

TICK_S = 1 / os.sysconf("SC_CLK_TCK")
LATENCY_UNITS_US = {"us": 1, "ms": 1000, "s": 1000000}


def busy_seconds():
    """CPU time spent on anything but idle (and the hypervisor's steal), all CPUs."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, f.readline().split()[1:8])
    return (user + nice + system + irq + softirq) * TICK_S


def wrk(ns, args, script):
    """(requests, {percentile: latency µs})"""
    out = ns.run("wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", "-s", script,
                 f"http://127.0.0.1:{NGINX_PORT}/index.html", capture_output=True, text=True).stdout
    latency = {p: float(v) * LATENCY_UNITS_US[unit]
               for p, v, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", out, re.M)}
    return int(re.search(r"(\d+) requests in", out).group(1)), latency


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--delay-ms", type=int, default=5, help="each connection's pause between requests")
    add_mode_options(parser)
    args = parser.parse_args()
    # mode → (binary, arguments); None: without connscope
    modes = {"without connscope": None, **connscope_modes(args)}
    runs = {mode: [] for mode in modes}  # (requests, busy s, connscope s, latency)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script, NetNs("bench-cpu") as ns:
        script.write(f"function delay() return {args.delay_ms} end\n")
        script.flush()
        servers = Servers(ns)
        try:
            for _ in range(args.rounds):
                for mode, run in modes.items():
                    if run is None:
                        before = busy_seconds()
                        requests, latency = wrk(ns, args, script.name)
                        runs[mode].append((requests, busy_seconds() - before, 0.0, latency))
                        continue
                    binary, extra = run
                    with Connscope("--netns", ns.path, *extra, binary=binary) as cs:
                        before, own_before = busy_seconds(), cs.cpu_seconds()
                        requests, latency = wrk(ns, args, script.name)
                        busy, own = busy_seconds() - before, cs.cpu_seconds() - own_before
                    runs[mode].append((requests, busy, own, latency))
        finally:
            servers.stop()

    def per_request_us(mode, index):
        return statistics.mean(run[index] / run[0] * 1e6 for run in runs[mode])

    base = per_request_us("without connscope", 1)
    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.delay_ms} ms between requests on each "
          f"connection, /index.html (19 bytes), {args.rounds} rounds, nginx on loopback, {os.cpu_count()} CPUs")
    print()
    print("| mode | requests/s | busy CPU per request | added | of which connscope's process | "
          "latency p50 | latency p99 |")
    print("|---|---|---|---|---|---|---|")
    for mode in modes:
        rate = statistics.mean(run[0] for run in runs[mode]) / args.seconds
        busy = per_request_us(mode, 1)
        added = "-" if mode == "without connscope" else f"{busy - base:.1f} µs"
        own = "-" if mode == "without connscope" else f"{per_request_us(mode, 2):.1f} µs"
        p50 = statistics.median(run[3].get("50", 0) for run in runs[mode])
        p99 = statistics.median(run[3].get("99", 0) for run in runs[mode])
        print(f"| {mode} | {rate:.0f} | {busy:.1f} µs | {added} | {own} | {p50:.0f} µs | {p99:.0f} µs |")


if __name__ == "__main__":
    main()
