"""Loading speed and memory: Polaris' ingest against DuckDB's own CSV reader on the same files.

    python benchmarks/bench_load.py [--out benchmarks/out] [--mrr-rows 1000000]
                                    [--usage-rows 10000000] [--runs 1] [--threads 0]

For each file (a long MRR CSV and a weekly usage CSV) two runs are timed, each in its own
Python process so that peak memory (max RSS) is that run's alone, and each writing a new
DuckDB database file that is closed (checkpointed) inside the timed span:

* ``duckdb``: ``connect``, ``CREATE TABLE t AS SELECT * FROM read_csv('file')`` (DuckDB's
  sniffer picks the types), ``close``;
* ``polaris``: ``Workspace.create``, ``cs_metrics.ingest.load_path`` (inspect, detect kind and
  mapping, type every column in SQL, validate, load in one transaction), ``close``. Its table
  has the canonical columns plus ``_source_key`` and ``_source_file``.

After the clock stops, each run reopens its database file and counts the rows of the table it
wrote, so both figures are for a persisted, complete table. The fastest of ``--runs`` runs is
kept (the two sides alternate, so a busy machine slows both alike); the median is shown beside
it, with the machine's load average, since the cores may be shared.

Prints seconds, the ratio polaris / duckdb (target: at most 1.5) and peak RSS (target:
under 2 GB). Inputs are reused from ``--out`` when present; otherwise they are written by
``benchmarks/make_bench_data.py`` (the sample company's generator), or, if that script is
missing or fails, by a plain DuckDB generator with the same columns.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.5
TARGET_RSS_MB = 2048


def _child(mode: str, csv_path: str, db_path: str, threads: str = "0") -> None:
    """One timed run (in a fresh process); prints a JSON line with seconds, rows, max RSS and
    the rows found in the table when its file is opened again.

    ``threads`` > 0 pins DuckDB's worker threads on both sides, for comparisons on a busy machine.
    """
    sys.path.insert(0, str(ROOT))
    import duckdb

    if mode != "duckdb":
        # Imported before the clock starts: in the app these modules are loaded already.
        from cs_metrics import ingest
        from cs_metrics.workspace import Workspace
    started = time.perf_counter()
    if mode == "duckdb":
        con = duckdb.connect(db_path)
        if int(threads):
            con.execute(f"SET threads = {int(threads)}")
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}')")
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
        con.close()
        table = "t"
    else:
        ws = Workspace.create(db_path)
        if int(threads):
            ws.con.execute(f"SET threads = {int(threads)}")
        result = ingest.load_path(ws, csv_path)
        rows, table = result.rows, result.kind
        ws.close()
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    check = duckdb.connect(db_path, read_only=True)
    stored = check.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    check.close()
    print(json.dumps({"seconds": seconds, "rows": rows, "stored": stored, "rss_mb": rss_mb,
                      "kind": "" if mode == "duckdb" else table}))


def _run(mode: str, csv_path: Path, threads: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="polaris_bench_") as tmp:
        db = Path(tmp) / "bench.duckdb"
        out = subprocess.run([sys.executable, __file__, "--child", mode, str(csv_path), str(db), str(threads)],
                             capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{mode} run on {csv_path.name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _simple_inputs(out: Path, mrr_rows: int, usage_rows: int) -> None:
    """Plain equivalents of make_bench_data's files: 20,000 accounts, monthly MRR, weekly usage."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 'KH' || (100000 + i % 20000)::VARCHAR AS account_id,
        (DATE '2020-01-01' + to_months(CAST(i // 20000 AS INTEGER)))::DATE AS month,
        round(100 + (i * 7919) % 100000 / 10.0, 2) AS mrr FROM range({mrr_rows}) t(i))
        TO '{(out / 'mrr.csv').as_posix()}' (HEADER)""")
    con.execute(f"""COPY (SELECT 'KH' || (100000 + i % 20000)::VARCHAR AS account_id,
        (DATE '2020-01-06' + to_days(CAST(7 * (i // 20000) AS INTEGER)))::DATE AS date,
        (i * 7) % 50 AS active_users, 50 AS seats, (i * 13) % 1000 AS events, (i * 3) % 17 AS reports_created
        FROM range({usage_rows}) t(i)) TO '{(out / 'usage.csv').as_posix()}' (HEADER)""")


def _ensure_inputs(out: Path, mrr_rows: int, usage_rows: int) -> str:
    out.mkdir(parents=True, exist_ok=True)
    if (out / "mrr.csv").exists() and (out / "usage.csv").exists():
        return "reused"
    maker = ROOT / "benchmarks" / "make_bench_data.py"
    if maker.exists():
        done = subprocess.run([sys.executable, str(maker), "--out", str(out), "--mrr-rows", str(mrr_rows),
                               "--usage-rows", str(usage_rows)], capture_output=True, text=True, check=False)
        if done.returncode == 0 and (out / "mrr.csv").exists() and (out / "usage.csv").exists():
            return "make_bench_data.py"
    _simple_inputs(out, mrr_rows, usage_rows)
    return "simple generator"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        _child(*argv[1:5])
        return 0
    parser = argparse.ArgumentParser(description="Time Polaris' ingest against DuckDB's read_csv.")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--mrr-rows", type=int, default=1_000_000)
    parser.add_argument("--usage-rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=1, help="runs per measurement; the fastest is kept")
    parser.add_argument("--threads", type=int, default=0,
                        help="DuckDB threads on both sides (0 = DuckDB's default: all cores)")
    args = parser.parse_args(argv)
    origin = _ensure_inputs(args.out, args.mrr_rows, args.usage_rows)
    print(f"inputs: {args.out} ({origin}); DuckDB threads: {args.threads or 'default'}; "
          f"{os.cpu_count()} cores, {_load()}")
    print(f"best of {args.runs} run(s) each (median in brackets)")
    print(f"{'file':<10} {'rows':>12} {'duckdb s':>15} {'polaris s':>15} {'ratio':>6} "
          f"{'duckdb MB':>10} {'polaris MB':>11}  verdict")
    ok = True
    for name in ("mrr.csv", "usage.csv"):
        path = args.out / name
        # Alternate the two so that a busy machine slows both alike.
        runs = [(_run("duckdb", path, args.threads), _run("polaris", path, args.threads)) for _ in range(args.runs)]
        base = min((b for b, _ in runs), key=lambda r: r["seconds"])
        ours = min((o for _, o in runs), key=lambda r: r["seconds"])
        base_med = statistics.median(b["seconds"] for b, _ in runs)
        ours_med = statistics.median(o["seconds"] for _, o in runs)
        ratio = ours["seconds"] / base["seconds"]
        complete = all(r["rows"] == r["stored"] == base["rows"] for pair in runs for r in pair)
        good = ratio <= TARGET_RATIO and max(o["rss_mb"] for _, o in runs) < TARGET_RSS_MB and complete
        ok &= good
        verdict = "ok" if good else ("MISSED" if complete else "ROWS DIFFER")
        print(f"{name:<10} {ours['rows']:>12,} {base['seconds']:>6.2f} ({base_med:>5.2f}) "
              f"{ours['seconds']:>6.2f} ({ours_med:>5.2f}) {ratio:>6.2f} "
              f"{max(b['rss_mb'] for b, _ in runs):>10.0f} {max(o['rss_mb'] for _, o in runs):>11.0f}  "
              f"{verdict} ({ours['kind']})")
    print(f"targets: ratio <= {TARGET_RATIO}, peak RSS < {TARGET_RSS_MB} MB; {_load()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
