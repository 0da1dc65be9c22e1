#!/usr/bin/env python3
"""Cost of HTTP capture at loopback saturation: wrk against nginx in a network namespace,
alternating runs without connscope, with `connscope --no-http`, and with HTTP capture.

    sudo bench/http_overhead.py [--seconds 5] [--rounds 2] [--connections 32] [--path /big.bin] [--sample N]
                                [--other-build PATH] [--server-only]

The default path is a 19-byte file: the most requests a second, the worst case per byte.
/big.bin (200 KB) fills loopback's bandwidth instead. --sample N adds runs with --http-sample N;
--other-build PATH adds capture runs with another build of connscope (say, of the previous commit).
--server-only adds capture runs with --pid of nginx: one end of each connection traced, as on a
server whose clients are elsewhere.

Prints a markdown table for bench/RESULTS.md. Not a test: the numbers depend on the machine.
"""
import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "integration"))
from harness.connscope import BINARY, Connscope  # noqa: E402
from compared_modes import add_mode_options, connscope_modes  # noqa: E402
from harness.http_servers import NGINX_PORT, Servers  # noqa: E402
from harness.netns import NetNs  # noqa: E402


def wrk(ns, seconds, connections, path):
    """(requests a second, requests)"""
    out = ns.run("wrk", "-t2", f"-c{connections}", f"-d{seconds}s", f"http://127.0.0.1:{NGINX_PORT}{path}",
                 capture_output=True, text=True).stdout
    return (float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            int(re.search(r"(\d+) requests in", out).group(1)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--path", default="/index.html", help="/index.html (19 bytes) or /big.bin (200 KB)")
    add_mode_options(parser)
    parser.add_argument("--server-only", action="store_true", help="also capture nginx's side alone (--pid)")
    args = parser.parse_args()
    # mode → (binary, arguments); None: without connscope
    modes = {"without connscope": None, **connscope_modes(args)}
    results = {mode: [] for mode in modes}
    recorded = {mode: [] for mode in modes}  # share of requests with their http records
    lost = 0
    with NetNs("bench-http") as ns:
        servers = Servers(ns)
        ends = {mode: 2 for mode in modes}  # http records a request makes: client's and server's
        try:
            if args.server_only:
                with open(os.path.join(servers.dir, "nginx.pid")) as f:
                    nginx_pid = f.read().strip()
                mode = "connscope --pid (nginx's side only)"
                modes[mode], results[mode], recorded[mode], ends[mode] = (BINARY, ["--pid", nginx_pid]), [], [], 1
            for _ in range(args.rounds):
                for mode, run in modes.items():
                    if run is None:
                        results[mode].append(wrk(ns, args.seconds, args.connections, args.path)[0])
                        continue
                    binary, extra = run
                    with Connscope("--netns", ns.path, "--ring-buffer-kib", "65536", *extra, binary=binary) as cs:
                        rate, requests = wrk(ns, args.seconds, args.connections, args.path)
                    results[mode].append(rate)
                    recorded[mode].append(cs.summary.get("http_transactions", 0) / (ends[mode] * requests))
                    lost += cs.summary["events_lost"]
        finally:
            servers.stop()
    base = statistics.mean(results["without connscope"])
    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s {args.path}, {args.rounds} rounds, nginx on loopback, "
          f"{os.cpu_count()} CPUs")
    print()
    print("| mode | requests/s (mean) | runs | ratio to without | share of requests recorded |")
    print("|---|---|---|---|---|")
    for mode, values in results.items():
        mean = statistics.mean(values)
        share = ", ".join(f"{r:.2f}" for r in recorded[mode]) or "-"
        print(f"| {mode} | {mean:.0f} | {', '.join(f'{v:.0f}' for v in values)} | {mean / base:.3f} | {share} |")
    print()
    print(f"events lost while capturing: {lost}")


if __name__ == "__main__":
    main()
