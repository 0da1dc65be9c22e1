"""The ways of running connscope the HTTP benchmarks compare, from the options they share."""
from harness.connscope import BINARY


def add_mode_options(parser):
    parser.add_argument("--sample", type=int, help="also run with --http-sample N")
    parser.add_argument("--other-build", help="also capture with this connscope binary")


def connscope_modes(args):
    """mode → (binary, arguments): --no-http, HTTP capture, and the runs --sample and
    --other-build add."""
    modes = {"connscope --no-http": (BINARY, ["--no-http"]), "connscope (HTTP capture)": (BINARY, [])}
    if args.sample:
        modes[f"connscope --http-sample {args.sample}"] = (BINARY, ["--http-sample", str(args.sample)])
    if args.other_build:
        modes[f"{args.other_build} (HTTP capture)"] = (args.other_build, [])
    return modes
