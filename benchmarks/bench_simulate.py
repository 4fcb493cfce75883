"""The leaky-bucket simulator: prints the figures issue 6 asks for.

Targets: a full page update after moving a slider ≤ 0.3 s server time (AppTest run time);
the sensitivity heatmap (40 × 40 cells: computed, charted, serialised) ≤ 0.5 s.

    python benchmarks/bench_simulate.py            # median of 15 slider moves per case
    python benchmarks/bench_simulate.py --moves 30
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLIDER_TARGET_S = 0.3
HEATMAP_TARGET_S = 0.5


def timed(action, repeats: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each call. On a shared machine the CPU time (this
    process, all threads: AppTest runs the script in a thread) is the steadier figure."""
    wall, cpu = [], []
    for i in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        action(i)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu


def report(name: str, times: tuple[list[float], list[float]], target: float) -> bool:
    wall, cpu = times
    median = statistics.median(wall)
    ok = median <= target
    print(f"{name:<46} wall median {median * 1000:6.1f} ms (min {min(wall) * 1000:6.1f})   "
          f"cpu median {statistics.median(cpu) * 1000:6.1f} ms   target {target * 1000:.0f} ms   "
          f"{'OK' if ok else 'SLOW'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--moves", type=int, default=15)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="polaris_bench_simulate_"))
    os.environ["POLARIS_DATA_DIR"] = str(tmp)
    os.chdir(ROOT)
    try:
        from streamlit.testing.v1 import AppTest

        from cs_metrics import simulate as sim
        from cs_metrics.charts import simulate as charts
        from cs_metrics.workspace import ensure_sample

        ensure_sample(tmp)
        ok = True

        # the heatmap on its own: grid + chart + the serialisation Streamlit does
        a = sim.Assumptions()

        def heatmap(i: int) -> None:
            grid = sim.sensitivity_grid(a, 0.20 + 0.005 * (i % 10), "annual_churn", "cac_payback",
                                        cells=40)
            chart = charts.heatmap_chart(grid, x_title="churn", y_title="payback", x_percent=True,
                                         y_percent=False, marker=(0.25, 33.3))
            chart.to_dict()

        heatmap(0)
        ok &= report("heatmap 40x40: grid + chart + to_dict", timed(heatmap, args.moves), HEATMAP_TARGET_S)

        def grid_only(i: int) -> None:
            sim.sensitivity_grid(sim.Assumptions(monthly_expansion=0.01), 0.25, "annual_churn",
                                 "cac_payback", cells=40)

        print(f"{'  (grid alone, with expansion: bisection)':<46} wall median "
              f"{statistics.median(timed(grid_only, args.moves)[0]) * 1000:6.1f} ms")

        page = str(ROOT / "pages" / "leaky_bucket.py")
        cases = [("page update, slider move (break-even tab)", None),
                 ("page update, slider move (CS lever tab)", "The CS lever"),
                 ("page update, slider move (company tab)", "The company"),
                 ("page update, slider move (sensitivity tab)", "Sensitivity")]
        for name, tab in cases:
            at = AppTest.from_file(page, default_timeout=120)
            at.session_state["lang"] = "en"
            if tab:
                at.session_state["sim_tab"] = tab
            at.run()
            for warm in (30.0, 20.0):  # first runs compile and fill caches
                at.slider(key="sim_annual_churn_s").set_value(warm).run()

            def move(i: int) -> None:
                at.slider(key="sim_annual_churn_s").set_value(10.0 + (i % 20) * 1.5).run()

            times = timed(move, args.moves)
            assert not at.exception, at.exception
            target = HEATMAP_TARGET_S if tab == "Sensitivity" else SLIDER_TARGET_S
            ok &= report(name, times, target)
        print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
