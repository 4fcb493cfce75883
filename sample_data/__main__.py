"""``python -m sample_data [--accounts N] [--months M] [--end-month YYYY-MM] [--seed S] [--out DIR]``

Writes the sample company's export files (see ``sample_data.generator.export_files``);
by default the committed set in ``sample_data/output/``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sample_data.generator import DEFAULT_SEED, export_files, generate

DEFAULT_OUT = Path(__file__).resolve().parent / "output"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sample_data", description=__doc__.splitlines()[2])
    parser.add_argument("--accounts", type=int, default=1000, help="number of accounts (default 1000)")
    parser.add_argument("--months", type=int, default=36, help="months of MRR history (default 36)")
    parser.add_argument("--end-month", default="2026-10", help="as-of month, YYYY-MM (default 2026-10)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default sample_data/output)")
    args = parser.parse_args(argv)
    try:
        tables = generate(args.accounts, args.months, args.end_month, args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in export_files(args.out, tables):
        print(f"{path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
