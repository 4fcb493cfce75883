"""Benchmark of the Retention issue: 100,000 accounts × 60 months of the sample company.

Prints:
- the time to build the workspace (generate + write_frame; not part of the targets);
- the full retention report (``retention_summary``) on a freshly opened workspace — the
  MRR matrix is built inside this call — and again once the matrix exists (target ≤ 1 s);
- the same report by a straightforward pandas implementation
  (``benchmarks/pandas_retention.py``), with and without reading the tables out of DuckDB,
  and the speed-up (target ≥ 2×), after checking both reports are identical;
- the Retention page's first render on that workspace, as the server time of the script
  run (AppTest; Streamlit's cache empty, the workspace freshly opened, the matrix built
  inside the render; target ≤ 1.5 s), in a warm process and in a cold one.

The machine's load average is printed too: on a shared machine the wall times stretch
with it, the CPU times much less.

Usage: ``python benchmarks/bench_retention.py [--accounts 100000] [--months 60] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from cs_metrics import revenue  # noqa: E402
from cs_metrics.workspace import Workspace  # noqa: E402
from pandas_retention import pandas_report  # noqa: E402


def build(folder: Path, accounts: int, months: int) -> Path:
    from sample_data.generator import generate

    path = folder / "bench_retention.duckdb"
    if path.exists():
        return path
    started = time.perf_counter()
    tables = generate(accounts, months)
    ws = Workspace.create(path)
    for kind in ("accounts", "mrr", "nps"):
        ws.write_frame(kind, tables[kind], source_file="benchmark")
    ws.set_setting("currency", "USD")
    ws.con.execute("CHECKPOINT")
    ws.close()
    print(f"workspace: {accounts:,} accounts x {months} months, {len(tables['mrr']):,} MRR rows, "
          f"built in {time.perf_counter() - started:.1f} s (not a target)")
    return path


def best_of(n: int, func) -> tuple[float, object]:
    times, result = [], None
    for _ in range(n):
        gc.collect()
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return min(times), result


def cpu_of(func) -> float:
    gc.collect()
    started = time.process_time()
    func()
    return time.process_time() - started


def report_timings(path: Path) -> None:
    import os

    print(f"(machine load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    cold, cpu = [], []
    for _ in range(3):
        ws = Workspace.open(path)
        started, cpu_started = time.perf_counter(), time.process_time()
        ours = revenue.retention_summary(ws.con)
        cold.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        warm, _ = best_of(3, lambda: revenue.retention_summary(ws.con))
        ws.close()
    print(f"retention_summary, fresh workspace (builds the MRR matrix): {min(cold):.3f} s, CPU {min(cpu):.3f} s "
          f"(best of 3 fresh opens; runs {', '.join(f'{c:.3f}' for c in cold)})  target <= 1 s")
    print(f"retention_summary, matrix already built:                   {warm:.3f} s")

    ws = Workspace.open(path)

    def read_tables():
        return (ws.con.execute("SELECT account_id, month, mrr FROM mrr").df(),
                ws.con.execute("SELECT account_id, status FROM accounts").df(),
                ws.con.execute("SELECT account_id, date, score FROM nps").df())

    read_time, frames = best_of(3, read_tables)
    compute_time, theirs = best_of(3, lambda: pandas_report(*frames))
    compute_cpu = cpu_of(lambda: pandas_report(*frames))
    ws.close()
    same = theirs == ours
    print(f"pandas reference: reading the tables {read_time:.3f} s + computing {compute_time:.3f} s "
          f"= {read_time + compute_time:.3f} s; identical report: {same}")
    if not same:
        print("  DuckDB :", ours)
        print("  pandas :", theirs)
    print(f"speed-up, fresh DuckDB report vs pandas compute only (tables already in memory): "
          f"{compute_time / min(cold):.1f}x  target >= 2x")
    print(f"speed-up, fresh DuckDB report vs pandas read + compute:                          "
          f"{(read_time + compute_time) / min(cold):.1f}x")
    print(f"CPU seconds (less sensitive to a shared machine): DuckDB fresh report {min(cpu):.3f} s vs "
          f"pandas compute {compute_cpu:.3f} s = {compute_cpu / min(cpu):.1f}x")


PAGE_WRAPPER = """
import sys, time
sys.path.insert(0, {root!r})
import runpy
import streamlit as st
_started, _cpu = time.perf_counter(), time.process_time()
try:
    runpy.run_path({page!r}, run_name="__main__")
finally:
    st.session_state["_bench"] = (time.perf_counter() - _started, time.process_time() - _cpu)
"""


def _render(wrapper: Path, path: Path, lang: str) -> tuple[float, float, float, int] | None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    at = AppTest.from_file(str(wrapper), default_timeout=300)
    at.session_state["lang"] = lang
    ws = Workspace.open(path)
    at.session_state["polaris_ws"] = ws
    started = time.perf_counter()
    at.run()
    wall = time.perf_counter() - started
    ws.close()
    if at.exception:
        print("page raised:", at.exception)
        return None
    server, cpu = at.session_state["_bench"]
    return server, cpu, wall, len(at.metric)


def page_timing(path: Path, folder: Path) -> None:
    """First render of the page on a freshly opened workspace with Streamlit's cache empty.

    The first render in a fresh Python process also pays one-off process costs (importing
    scipy/statsmodels, loading Altair's JSON schema, Streamlit's bare-mode checks); a
    running server has paid them on its first page, so the target figure is the render
    after a warm-up on another script. Both are printed.
    """
    import os

    import altair as alt
    import pandas as pd
    from streamlit.testing.v1 import AppTest

    os.environ["POLARIS_DATA_DIR"] = str(folder)
    wrapper = folder / "retention_page_timed.py"
    wrapper.write_text(textwrap.dedent(PAGE_WRAPPER.format(root=str(ROOT),
                                                           page=str(ROOT / "pages" / "retention.py"))))
    cold = _render(wrapper, path, "en")
    # Warm-up of the process, not of the page: another script, a chart, the imports.
    AppTest.from_string("import streamlit as st\nst.title('warm-up')").run()
    alt.Chart(pd.DataFrame({"x": [1]})).mark_bar().encode(x="x:Q").to_dict()
    # Every run is a first render (cache cleared, workspace reopened); the best of three
    # is reported because the machine is shared.
    warm = []
    for lang in ("en", "zh"):
        runs = [r for r in (_render(wrapper, path, lang) for _ in range(3)) if r]
        if runs:
            warm.append((lang, min(runs), runs))
    load = os.getloadavg()[0]
    if cold:
        print(f"Retention page first render, cold Python process (en): server time {cold[0]:.3f} s, "
              f"CPU {cold[1]:.3f} s (not the target: one-off imports)")
    for lang, (server, cpu, wall, tiles), runs in warm:
        print(f"Retention page first render ({lang}): server time {server:.3f} s, CPU {cpu:.3f} s "
              f"(best of 3; runs {', '.join(f'{r[0]:.3f}' for r in runs)}; AppTest wall {wall:.3f} s, "
              f"{tiles} KPI tiles)  target <= 1.5 s")
    print(f"(machine load average during the page runs: {load:.1f} on {os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--keep", help="folder to keep (and reuse) the benchmark workspace in")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = build(folder, args.accounts, args.months)
        report_timings(path)
        page_timing(path, folder)


if __name__ == "__main__":
    main()
