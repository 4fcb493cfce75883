"""Write large benchmark inputs from the sample company's generator.

    python benchmarks/make_bench_data.py [--out benchmarks/out] [--mrr-rows 1000000]
                                         [--usage-rows 10000000] [--seed 20261123]

Writes ``mrr.csv`` (account_id,month,mrr; long form) and ``usage.csv``
(account_id,date,active_users,seats,events,reports_created; weekly rows) with exactly the
requested number of rows: the first rows (ordered by account, then date) of a company
simulated by ``sample_data.generator`` over 60 months with enough accounts to fill them.
The numbers stay as numpy arrays; DuckDB formats the keys and dates and writes the CSVs,
so no Python object is made per row. Prints the rows, bytes and seconds of each step.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sample_data.generator import DEFAULT_SEED, _simulate, _usage_arrays  # noqa: E402

MONTHS = 60
END_MONTH = "2026-10"
# Rows per account at 60 months with the default mix; a first guess, corrected once.
_USAGE_ROWS_PER_ACCOUNT = 118


def _company(usage_rows: int, mrr_rows: int, seed: int):
    n = max(1, int(usage_rows / _USAGE_ROWS_PER_ACCOUNT * 1.03) + 1)
    for _ in range(4):
        co = _simulate(n, MONTHS, END_MONTH, seed)
        usage = _usage_arrays(co, seed)
        got_usage, got_mrr = usage["account"].size, int((co.mrr > 0).sum())
        if got_usage >= usage_rows and got_mrr >= mrr_rows:
            return co, usage
        n = int(n * 1.05 * max(usage_rows / max(got_usage, 1), mrr_rows / max(got_mrr, 1))) + 1
    raise RuntimeError("could not simulate enough rows")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write benchmark-size MRR and usage CSVs.")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--mrr-rows", type=int, default=1_000_000)
    parser.add_argument("--usage-rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    co, usage = _company(args.usage_rows, args.mrr_rows, args.seed)
    t_sim = time.perf_counter() - t0

    account, month = np.nonzero(co.mrr > 0)
    take = args.mrr_rows
    mrr_frame = pd.DataFrame({
        "a": account[:take].astype(np.int32),
        "d": (co.window_start + month[:take].astype("timedelta64[M]")).astype("datetime64[D]")
        .astype(np.int64).astype(np.int32),
        "mrr": co.mrr[account[:take], month[:take]],
    })
    take = args.usage_rows
    usage_frame = pd.DataFrame({
        "a": usage["account"][:take].astype(np.int32),
        "d": usage["date"][:take].astype(np.int64).astype(np.int32),
        **{k: usage[k][:take].astype(np.int64) for k in ("active_users", "seats", "events", "reports_created")},
    })
    del usage

    con = duckdb.connect()
    con.register("mrr_frame", mrr_frame)
    con.register("usage_frame", usage_frame)
    key = "'KH' || (100000 + a)::VARCHAR AS account_id"
    timings = {}
    for name, select in (
        ("mrr.csv", f"SELECT {key}, DATE '1970-01-01' + d AS month, mrr FROM mrr_frame"),
        ("usage.csv", f"SELECT {key}, DATE '1970-01-01' + d AS date, active_users, seats, events, "
                      "reports_created FROM usage_frame"),
    ):
        path = args.out / name
        t = time.perf_counter()
        con.execute(f"COPY ({select}) TO '{path.as_posix()}' (HEADER, DELIMITER ',')")
        timings[name] = (time.perf_counter() - t, path)

    print(f"simulated {co.n:,} accounts x {MONTHS} months in {t_sim:.1f} s")
    for name, rows in (("mrr.csv", len(mrr_frame)), ("usage.csv", len(usage_frame))):
        seconds, path = timings[name]
        print(f"{path}: {rows:,} rows, {path.stat().st_size / 1e6:,.1f} MB, written in {seconds:.1f} s")
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
