"""What the benchmark scripts share: a big generated workspace on disk."""

from __future__ import annotations

import time
from pathlib import Path


def build_workspace(path: Path | str, n_accounts: int, months: int, *, quiet: bool = False) -> None:
    """Write ``sample_data.generator.generate(n_accounts, months)`` into a new workspace file
    (currency USD), checkpointed and closed, as a load would leave it."""
    from cs_metrics.workspace import Workspace
    from sample_data.generator import generate

    started = time.perf_counter()
    ws = Workspace.create(path)
    for kind, frame in generate(n_accounts, months).items():
        ws.write_frame(kind, frame, source_file="benchmark")
    ws.set_setting("currency", "USD")
    ws.con.execute("CHECKPOINT")
    ws.close()
    if not quiet:
        print(f"built {n_accounts:,} accounts x {months} months in {time.perf_counter() - started:.1f} s")


def percentile(q: float, values: list[float]) -> float:
    """The q-th percentile (inclusive method) of ``values``; NaN when there are none."""
    import statistics

    data = sorted(values)
    if not data:
        return float("nan")
    if len(data) == 1:
        return data[0]
    return statistics.quantiles(data, n=100, method="inclusive")[int(q) - 1]
