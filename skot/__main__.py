"""Command-line entry: ``python -m skot demo``."""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m skot", description="skot command-line tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="fit every skot family on bundled data, print a table, write figures",
    )
    demo.add_argument(
        "--out", default="skot-demo", help="folder for the PNG figures (default: %(default)s)"
    )
    demo.add_argument(
        "--quick", action="store_true", help="smaller problem sizes (used by the tests)"
    )
    demo.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from skot._demo import run_demo

        return run_demo(out=args.out, quick=args.quick, random_state=args.random_state)
    return 2  # pragma: no cover - argparse already rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
