"""Health and lifecycle on a big workspace: prints the figures issue 4 asks for.

Targets: scores for 100k accounts × 24 months in ≤ 3 s; the backtest in ≤ 5 s; the Health
and Lifecycle pages' first render ≤ 1.5 s server time (sample company, warm server).

    python benchmarks/bench_health.py                 # builds generate(100_000, 24) in a temp dir
    python benchmarks/bench_health.py --workspace W   # reuses a workspace file built before

Wall time and CPU time (all threads) are printed: on a machine shared with other work the
wall time says more about the neighbours than about the code.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import build_workspace  # noqa: E402


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, func, *args, **kwargs):
    wall, started = time.perf_counter(), cpu()
    result = func(*args, **kwargs)
    print(f"{label:<44} {time.perf_counter() - wall:7.2f} s wall {cpu() - started:7.2f} s cpu")
    return result


def bench_core(path: Path) -> None:
    import sklearn.linear_model  # noqa: F401  (imported once, as in a running server)

    from cs_metrics import health, lifecycle
    from cs_metrics.workspace import Workspace

    # As in a running server, the code has run before (on other data): a fresh process
    # would otherwise add about a second of one-off library start-up (pyarrow's compute
    # kernels, NumPy's and DuckDB's first conversions) to the first figure.
    warm = path.with_name("warm_up.duckdb")
    build_workspace(warm, 50, 6, quiet=True)
    small = Workspace.open(warm)
    health.health_scores(small.con, raw=True)
    small.close()
    ws = Workspace.open(path)
    comps = timed("component scores (first run on this data)", health.component_scores, ws.con)
    comps = timed("component scores (second run)", health.component_scores, ws.con)
    scored = timed("weights and bands on all rows", health.apply_weights, comps)
    print(f"  {len(scored):,} account-months, {scored['account_id'].nunique():,} accounts, "
          f"{scored['month'].nunique()} months")
    timed("health_scores (components + weights)", health.health_scores, ws.con)
    result = timed("backtest (3 months)", health.backtest, scored, 3)
    print(f"  AUC {result.auc:.3f}, lift red/green {result.lift or float('nan'):.1f}, "
          f"{result.events:,} churn events")
    fit = timed("fitted weights (logistic regression)", health.fit_weights, comps, 3)
    print(f"  AUC after {fit.auc_after:.3f} on held-out months" if fit.judgeable else f"  {fit.reason}")
    states = timed("lifecycle states", lifecycle.lifecycle_states, ws.con)
    timed("migration matrix (3 dimensions)", lambda: [lifecycle.migrations(states, d) for d in lifecycle.DIMENSIONS])
    timed("intervention queue", lifecycle.intervention_queue, states)
    timed("health summary (CLI report)", health.health_summary, ws.con)
    ws.close()


def bench_pages() -> None:
    """First render of each page for a new session in a warm server: imports done and the
    sample built, but nothing of this session cached (Streamlit's cache is cleared)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from cs_metrics.workspace import session_workspace

    data = Path(tempfile.mkdtemp(prefix="polaris_bench_pages_"))
    os.environ["POLARIS_DATA_DIR"] = str(data)
    try:
        for page in ("pages/health.py", "pages/lifecycle.py"):
            warm = AppTest.from_file(str(ROOT / page), default_timeout=300)
            warm.session_state["polaris_ws"] = session_workspace()
            warm.run()
            st.cache_data.clear()
            at = AppTest.from_file(str(ROOT / page), default_timeout=300)
            at.session_state["polaris_ws"] = session_workspace()
            timed(f"{page} first render (new session)", at.run)
            assert not at.exception, at.exception
            timed(f"{page} rerun (a widget changed)", at.run)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--skip-pages", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="polaris_bench_health_"))
    try:
        path = tmp / "bench.duckdb"
        if args.workspace:
            shutil.copyfile(args.workspace, path)
        else:
            build_workspace(path, args.accounts, args.months)
        bench_core(path)
        if not args.skip_pages:
            bench_pages()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
