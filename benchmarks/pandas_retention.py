"""A straightforward pandas implementation of the retention report, for the benchmark.

It computes what :func:`cs_metrics.revenue.retention_summary` computes for a workspace with
an ``mrr`` table (plus accounts and NPS answers), the way an analyst would in a notebook:
aggregate to one value per account and month, pivot to a dense account × month matrix,
then compare columns. Vectorised pandas/numpy throughout (no Python loop over accounts),
so the comparison is with good pandas, not with a strawman. The definitions are those of
docs/metrics.md; the benchmark checks that both give the same report.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def pandas_report(mrr: pd.DataFrame, accounts: pd.DataFrame | None = None, nps: pd.DataFrame | None = None,
                  as_of: str | None = None, window_months: int = 12) -> dict[str, Any]:
    """The retention report from DataFrames of the canonical ``mrr``, ``accounts`` and ``nps`` tables."""
    rows = mrr.loc[mrr["account_id"].notna() & mrr["month"].notna() & mrr["mrr"].notna(),
                   ["account_id", "month", "mrr"]]
    month = pd.to_datetime(rows["month"])
    rows = rows.assign(mi=month.dt.year * 12 + month.dt.month - 1)
    d0, d1 = int(rows["mi"].min()), int(rows["mi"].max())
    per_month = rows.groupby(["account_id", "mi"], sort=False)["mrr"].sum().round(6)
    per_month = per_month[per_month > 0]
    matrix = per_month.unstack("mi", fill_value=0.0).reindex(columns=range(d0, d1 + 1), fill_value=0.0)
    values = matrix.to_numpy()

    b = d1 if as_of is None else int(as_of[:4]) * 12 + int(as_of[5:7]) - 1
    a = b - window_months
    label = lambda i: f"{i // 12:04d}-{i % 12 + 1:02d}"  # noqa: E731
    report: dict[str, Any] = {"as_of": label(b), "window": {"start": label(a), "end": label(b)}}

    col_b = values[:, b - d0]
    paid_by_b = (values[:, : b - d0 + 1] > 0).any(axis=1)
    active = int((col_b > 0).sum())
    lapsed = int((paid_by_b & (col_b <= 0)).sum())
    other_total = other_churned = 0
    if accounts is not None:
        never = accounts.loc[~accounts["account_id"].isin(matrix.index)]
        other_total = len(never)
        if "status" in never:
            other_churned = int((never["status"].str.lower() == "churned").sum())
    report["accounts"] = {"total": active + lapsed + other_total, "active": active,
                          "churned": lapsed + other_churned}
    total_b = float(col_b.sum())
    report["mrr"], report["arr"] = _r(total_b, 2), _r(12 * total_b, 2)

    if a >= d0:
        col_a = values[:, a - d0]
        cohort = col_a > 0
        start = col_a[cohort].sum()
        report["grr"] = _r(np.minimum(col_a[cohort], col_b[cohort]).sum() / start, 4) if start else None
        report["nrr"] = _r(col_b[cohort].sum() / start, 4) if start else None
        logo = (col_b[cohort] > 0).sum() / cohort.sum() if cohort.any() else None
        report["logo_retention"] = _r(logo, 4) if logo is not None else None
        report["logo_churn_rate"] = _r(1 - logo, 4) if logo is not None else None
        cur = values[:, a + 1 - d0: b + 1 - d0]
        prev = values[:, a - d0: b - d0]
        # Paid in some month before m−1: running "ever paid" of the columns up to m−2.
        ever = np.maximum.accumulate(values > 0, axis=1)
        paid_before_prev = np.zeros_like(prev, dtype=bool)
        if a - d0 >= 1:
            paid_before_prev[:, :] = ever[:, a - 1 - d0: b - 1 - d0]
        else:
            paid_before_prev[:, 1:] = ever[:, a - d0: b - 1 - d0]
        starts = (prev <= 0) & (cur > 0)
        moves = {
            "new": float(cur[starts & ~paid_before_prev].sum()),
            "expansion": float((cur - prev)[(prev > 0) & (cur > prev)].sum()),
            "contraction": float((prev - cur)[(cur > 0) & (cur < prev)].sum()),
            "churn": float(prev[(prev > 0) & (cur <= 0)].sum()),
            "reactivation": float(cur[starts & paid_before_prev].sum()),
        }
        report["movements"] = {k: _r(v, 2) for k, v in moves.items()}
        losses = moves["contraction"] + moves["churn"]
        gains = moves["new"] + moves["expansion"] + moves["reactivation"]
        report["quick_ratio"] = _r(gains / losses, 4) if losses else None
    else:
        report.update({"grr": None, "nrr": None, "logo_retention": None, "logo_churn_rate": None,
                       "movements": None, "quick_ratio": None})

    report["nps"] = None
    if nps is not None and len(nps):
        lo = pd.Timestamp(f"{label(a + 1)}-01")
        hi = pd.Timestamp(f"{label(b + 1)}-01")
        dates = pd.to_datetime(nps["date"])
        scores = nps.loc[nps["account_id"].notna() & (dates >= lo) & (dates < hi), "score"].dropna()
        if len(scores):
            report["nps"] = _r(100.0 * ((scores >= 9).sum() - (scores <= 6).sum()) / len(scores), 2)
    order = ["as_of", "window", "accounts", "mrr", "arr", "grr", "nrr", "logo_retention", "logo_churn_rate",
             "movements", "quick_ratio", "nps"]
    return {key: report[key] for key in order}
