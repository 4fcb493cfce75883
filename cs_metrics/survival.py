"""Customer lifetimes: Kaplan–Meier survival by segment, median lifetime, log-rank test.

A customer's lifetime (``docs/metrics.md``, Survival) runs from its first month with MRR
to its first churn, in months: an account paying in months f … c−1 and nothing in c
lived c − f months (event); one still paying at the as-of month b has lived at least
b − f + 1 months (censored). A later return does not undo the first churn.

Accounts already paying when the data starts began at some unknown earlier month. When the
accounts table gives their ``start_date``, lifetimes are counted from that month and the
account enters the risk set only at the data's first month (left truncation,
``entry``); without it they are counted from the data's first month.

Estimates use statsmodels (``SurvfuncRight``: Kaplan–Meier with Greenwood standard errors;
``survdiff``: log-rank). Bands are pointwise, on the log(−log) scale (they stay inside
0 … 1), at ``1 − alpha`` confidence. The median lifetime is the first month where the
curve is at or below 0.5; None when it never gets there.

>>> import duckdb
>>> con = duckdb.connect()
>>> _ = revenue.execute(con, "CREATE TABLE mrr AS SELECT * FROM (VALUES ('a', DATE '2024-01-01', 1.0),"
...     " ('b', DATE '2024-02-01', 1.0), ('b', DATE '2024-03-01', 1.0), ('a', DATE '2024-02-01', 1.0)) t(account_id, month, mrr)")
>>> lifetimes(con)[["account_id", "duration", "churned"]].to_dict("records")
[{'account_id': 'a', 'duration': 2, 'churned': True}, {'account_id': 'b', 'duration': 2, 'churned': False}]
"""

from __future__ import annotations

import datetime as dt
from statistics import NormalDist
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from cs_metrics import revenue
from cs_metrics.errors import InputError
from cs_metrics.scope import Scope, quote_ident

ALL = "__all__"
MAX_GROUPS = 8


def _group_sql(con: duckdb.DuckDBPyConnection, by: str | None) -> tuple[str, str]:
    """(select expression, join) for the split-by column of the accounts table."""
    if by is None:
        return f"'{ALL}'", ""
    if by not in revenue._columns(con, "accounts"):
        raise InputError(f"'{by}' is not a column of the accounts table, so it cannot split lifetimes.")
    return (f"CAST(acc.grp AS VARCHAR)",
            f"LEFT JOIN (SELECT account_id, any_value({quote_ident(by)}) AS grp FROM accounts "
            "GROUP BY account_id) acc ON acc.account_id = a.account_id")


def _base_sql(con: duckdb.DuckDBPyConnection, by: str | None, scope: Scope | None) -> tuple[str, dict]:
    """SQL of one row per account that paid by $b: account_id, grp, first_mi, churned, lived, entry."""
    group_sql, group_join = _group_sql(con, by)
    start_sql, start_join = "NULL", ""
    if "start_date" in revenue._columns(con, "accounts"):
        start_sql = "st.start_mi"
        start_join = (f"LEFT JOIN (SELECT account_id, {revenue._mi('min(start_date)')} AS start_mi "
                      "FROM accounts GROUP BY account_id) st ON st.account_id = a.account_id")
    scope_sql, params = revenue._scope_sql(con, scope, "a")
    return f"""
        SELECT a.account_id, {group_sql} AS grp, a.first_mi,
               a.first_churn_mi IS NOT NULL AND a.first_churn_mi <= $b AS churned,
               CASE WHEN a.first_churn_mi IS NOT NULL AND a.first_churn_mi <= $b
                    THEN a.first_churn_mi - a.first_mi ELSE $b - a.first_mi + 1 END AS lived,
               CASE WHEN a.first_mi = $d0 AND {start_sql} < $d0 THEN $d0 - {start_sql} ELSE 0 END AS entry
        FROM {revenue._ACCOUNTS} a {group_join} {start_join}
        WHERE a.first_mi IS NOT NULL AND a.first_mi <= $b AND {scope_sql}""", params


def lifetimes(con: duckdb.DuckDBPyConnection, by: str | None = None, as_of: str | dt.date | None = None,
              scope: Scope | None = None) -> pd.DataFrame:
    """One row per account that paid by the as-of month.

    Columns ``account_id``, ``group`` (value of ``by``; '__all__' without it; None where
    blank), ``first_month``, ``duration`` (months), ``churned`` (event observed),
    ``entry`` (months already lived when the data starts; 0 unless left-truncated).
    """
    columns = ["account_id", "group", "first_month", "duration", "churned", "entry"]
    matrix, b = revenue._as_of(con, as_of)
    if not revenue._covers(matrix, b):
        return pd.DataFrame(columns=columns)
    base, params = _base_sql(con, by, scope)
    frame = revenue.execute(con, f"""
        SELECT account_id, grp AS "group",
               make_date(CAST(first_mi // 12 AS BIGINT), CAST(first_mi % 12 + 1 AS BIGINT), 1) AS first_month,
               CAST(lived + entry AS INTEGER) AS duration, churned, CAST(entry AS INTEGER) AS entry
        FROM ({base}) ORDER BY account_id""", {"b": b, "d0": matrix.d0, **params}).df()
    frame["first_month"] = pd.to_datetime(frame["first_month"])
    return frame[columns]


def _lifetime_counts(con: duckdb.DuckDBPyConnection, by: str | None, as_of: str | dt.date | None,
                     scope: Scope | None) -> pd.DataFrame:
    """Lifetimes grouped (group, duration, churned, entry, accounts): a few hundred rows
    instead of one per account, expanded again with ``np.repeat`` for the estimators."""
    matrix, b = revenue._as_of(con, as_of)
    if not revenue._covers(matrix, b):
        return pd.DataFrame(columns=["group", "duration", "churned", "entry", "accounts"])
    base, params = _base_sql(con, by, scope)
    return revenue.execute(con, f"""
        SELECT grp AS "group", CAST(lived + entry AS INTEGER) AS duration, churned,
               CAST(entry AS INTEGER) AS entry, count(*) AS accounts
        FROM ({base}) GROUP BY ALL ORDER BY ALL""", {"b": b, "d0": matrix.d0, **params}).df()


def _expand(counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = counts["accounts"].to_numpy(int)
    return (np.repeat(counts["duration"].to_numpy(int), n), np.repeat(counts["churned"].to_numpy(bool), n),
            np.repeat(counts["entry"].to_numpy(int), n))


@dataclass(frozen=True)
class SurvivalResult:
    """Kaplan–Meier estimates per group.

    ``curves``: ``group``, ``month`` (0 … longest lifetime), ``survival`` (share still a
    customer after that many months), ``lower`` / ``upper`` (band), ``at_risk``,
    ``events``. ``counts``: the lifetimes the fit came from (group, duration, churned,
    entry, accounts). ``summary``: ``group``, ``accounts``, ``churned``, ``median`` (months or
    None), ``median_lower`` / ``median_upper`` (its confidence interval, None when
    unbounded), ``survival_12`` / ``survival_24`` (S at 12 and 24 months, None past the
    data). ``left_out``: groups beyond the largest ``max_groups``.
    """

    curves: pd.DataFrame
    summary: pd.DataFrame
    alpha: float
    left_out: tuple[str, ...] = ()
    counts: pd.DataFrame | None = None

    def logrank(self, groups: tuple[str, str] | None = None) -> dict | None:
        """:func:`logrank` between groups of this fit, without reading the data again."""
        return None if self.counts is None else logrank_counts(self.counts, groups)


def _km(durations: np.ndarray, events: np.ndarray, entry: np.ndarray, alpha: float) -> tuple[pd.DataFrame, dict]:
    truncated = entry.any()
    fit = SurvfuncRight(durations, events.astype(float), entry=entry if truncated else None)
    horizon = int(durations.max())
    months = np.arange(0, horizon + 1)
    times = np.asarray(fit.surv_times)
    idx = np.searchsorted(times, months, side="right") - 1
    has = idx >= 0
    take = np.where(has, idx, 0)
    survival = np.where(has, np.asarray(fit.surv_prob)[take], 1.0)
    se = np.where(has, np.asarray(fit.surv_prob_se)[take], 0.0)
    # At risk in month t: lived at least t months and already observed before t (entry < t).
    ordered_d, ordered_e = np.sort(durations), np.sort(entry)
    n = durations.size
    at_risk = ((n - np.searchsorted(ordered_d, months, side="left"))
               - (n - np.searchsorted(ordered_e, months, side="left"))).astype(float)
    at_risk[0] = float((entry == 0).sum())
    n_events = np.bincount(durations[events], minlength=horizon + 1)[: horizon + 1].astype(float)
    z = NormalDist().inv_cdf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(survival)
        # Greenwood SE of S on the log(-log S) scale (delta method), as lifelines does.
        spread = z * se / np.abs(survival * log_s)
        lower = np.exp(-np.exp(np.log(-log_s) + spread))
        upper = np.exp(-np.exp(np.log(-log_s) - spread))
    inside = (survival > 0) & (survival < 1)
    lower = np.where(inside, lower, survival)
    upper = np.where(inside, upper, survival)
    curve = pd.DataFrame({"month": months, "survival": survival, "lower": lower, "upper": upper,
                          "at_risk": at_risk, "events": n_events})
    below = np.flatnonzero(survival <= 0.5)
    median = float(months[below[0]]) if below.size else None
    lo_ci = hi_ci = None
    if median is not None:
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                lo, hi = fit.quantile_ci(0.5, alpha=alpha)
            lo_ci = float(lo) if np.isfinite(lo) else None
            hi_ci = float(hi) if np.isfinite(hi) else None
        except (ValueError, IndexError, ZeroDivisionError):
            lo_ci = hi_ci = None

    def at(month: int) -> float | None:
        return float(survival[month]) if month <= horizon else None

    return curve, {"accounts": int(durations.size), "churned": int(events.sum()), "median": median,
                   "median_lower": lo_ci, "median_upper": hi_ci,
                   "survival_12": at(12), "survival_24": at(24)}


def kaplan_meier(con: duckdb.DuckDBPyConnection, by: str | None = None, as_of: str | dt.date | None = None,
                 scope: Scope | None = None, alpha: float = 0.05, max_groups: int = MAX_GROUPS) -> SurvivalResult:
    """Kaplan–Meier survival curves of customer lifetimes, one per value of ``by``.

    Groups are the ``max_groups`` largest values, ties by name (accounts with a blank value
    form their own group, None); without ``by`` there is one group, '__all__'.
    """
    life = _lifetime_counts(con, by, as_of, scope)
    curve_cols = ["group", "month", "survival", "lower", "upper", "at_risk", "events"]
    summary_cols = ["group", "accounts", "churned", "median", "median_lower", "median_upper",
                    "survival_12", "survival_24"]
    if life.empty:
        return SurvivalResult(pd.DataFrame(columns=curve_cols), pd.DataFrame(columns=summary_cols), alpha)
    sizes = life.groupby("group", dropna=False)["accounts"].sum().sort_values(ascending=False, kind="stable")
    keep = list(sizes.index[:max_groups])
    left_out = tuple(str(g) for g in sizes.index[max_groups:])
    curves, rows = [], []
    for group in keep:
        part = life[life["group"].isna()] if pd.isna(group) else life[life["group"] == group]
        curve, stats = _km(*_expand(part), alpha)
        label = None if pd.isna(group) else group
        curve.insert(0, "group", label)
        curves.append(curve)
        rows.append({"group": label, **stats})
    return SurvivalResult(pd.concat(curves, ignore_index=True)[curve_cols],
                          pd.DataFrame(rows, columns=summary_cols), alpha, left_out, life)


def logrank(con: duckdb.DuckDBPyConnection, by: str, groups: tuple[str, str] | None = None,
            as_of: str | dt.date | None = None, scope: Scope | None = None) -> dict | None:
    """Log-rank test of whether lifetimes differ between groups of ``by``.

    ``groups``: the two values to compare (default: every value with an account).
    Returns ``{"chi2", "p_value", "dof", "groups"}``; None when fewer than two groups
    have accounts or no account churned.
    """
    return logrank_counts(_lifetime_counts(con, by, as_of, scope), groups)


def logrank_counts(counts: pd.DataFrame, groups: tuple[str, str] | None = None) -> dict | None:
    """:func:`logrank` from grouped lifetimes (group, duration, churned, entry, accounts)."""
    life = counts[counts["group"].notna()]
    if groups is not None:
        life = life[life["group"].isin([str(g) for g in groups])]
    names = sorted(life["group"].unique())
    if len(names) < 2 or not life["churned"].any():
        return None
    duration, churned, entry = _expand(life)
    group = np.repeat(life["group"].to_numpy(str), life["accounts"].to_numpy(int))
    chi2, p_value = survdiff(duration.astype(float), churned.astype(float), group,
                             entry=entry.astype(float) if entry.any() else None)
    return {"chi2": float(chi2), "p_value": float(p_value), "dof": len(names) - 1, "groups": names}
