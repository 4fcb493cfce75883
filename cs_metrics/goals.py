"""Customer goals and how far each has come: the value proof of a success plan.

Definitions (one goal = one row of the ``goals`` table):

* **Attainment** = (current − baseline) / (target − baseline). 0 at the baseline, 1 at the
  target, above 1 past it, negative when the figure moved the wrong way. The same formula
  serves lower-is-better goals (target < baseline, e.g. fewer tickets): both differences
  change sign. A goal whose target equals its baseline, or that lacks any of the three
  figures, has no attainment (``None``).
* **Elapsed share** of a goal's time = (as-of − start) / (due date − start), clipped to
  0 … 1. The **start** is the goal's own start if the file has one (a column named
  ``start_date``, ``created_at``, ``created``, ``set_date`` or ``goal_start``), else the
  account's start date; goals tables rarely carry a creation date, and the contract start
  is the earliest moment a goal can have been agreed, so the elapsed share is an upper
  bound (it errs towards "behind", which is the cautious side for a CSM). No start, no
  due date, or a due date not after the start: ``None``.
* **On track** = attainment ≥ elapsed share (progress at least in proportion to time).
* **State**: ``achieved`` (attainment ≥ 1), ``missed`` (due date before the as-of date and
  not achieved), ``on_track`` / ``behind`` (by the rule above), ``unknown`` when
  attainment or elapsed share is ``None``.
* The **as-of date** defaults to the end of the data: the last day of the latest MRR month,
  else the latest usage, ticket or NPS date (never the wall clock, so a file exported last
  year reads as it did then).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import duckdb
import pandas as pd

from cs_metrics.scope import Scope, quote_ident, table_columns

START_COLUMNS = ("start_date", "created_at", "created", "set_date", "goal_start")
STATES = ("achieved", "on_track", "behind", "missed", "unknown")


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
        "AND table_schema = current_schema()", [table]).fetchone()
    return bool(row and row[0])


def attainment(baseline: Any, target: Any, current: Any) -> float | None:
    """(current − baseline) / (target − baseline); ``None`` if undefined.

    >>> attainment(20, 5, 10)      # hours per week, lower is better: 10 of 15 hours cut
    0.6666666666666666
    >>> attainment(0, 120, 45) , attainment(3, 3, 4)
    (0.375, None)
    """
    values = [_number(v) for v in (baseline, target, current)]
    if any(v is None for v in values):
        return None
    b, t, c = values
    if t == b:
        return None
    return (c - b) / (t - b) + 0.0


def elapsed_share(start: Any, due: Any, as_of: Any) -> float | None:
    """Share of the time from ``start`` to ``due`` that has passed at ``as_of``, in 0 … 1.

    >>> elapsed_share(dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2026, 7, 2))
    0.5
    """
    s, d, a = (to_date(v) for v in (start, due, as_of))
    if s is None or d is None or a is None or d <= s:
        return None
    return min(max((a - s).days / (d - s).days, 0.0), 1.0)


def goal_state(attained: float | None, elapsed: float | None, due: Any, as_of: Any) -> str:
    """achieved / missed / on_track / behind / unknown, as defined in the module docstring."""
    if attained is None:
        return "unknown"
    if attained >= 1:
        return "achieved"
    d, a = to_date(due), to_date(as_of)
    if d is not None and a is not None and d < a:
        return "missed"
    if elapsed is None:
        return "unknown"
    return "on_track" if attained >= elapsed else "behind"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def to_date(value: Any) -> dt.date | None:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(ts) else ts.date()


def latest_data_date(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The as-of date of the data: last day of the latest MRR month, else the latest
    usage / ticket / NPS date; ``None`` for a workspace without dated facts."""
    if _has_table(con, "mrr") and "month" in table_columns(con, "mrr"):
        row = con.execute(
            "SELECT last_day(max(month)) FROM mrr WHERE account_id IS NOT NULL AND mrr > 0").fetchone()
        if row and row[0] is not None:
            return to_date(row[0])
    candidates = []
    for table, column in (("subscriptions", "start_date"), ("usage", "date"),
                          ("tickets", "created_at"), ("nps", "date")):
        if _has_table(con, table) and column in table_columns(con, table):
            row = con.execute(
                f"SELECT CAST(max({quote_ident(column)}) AS DATE) FROM {quote_ident(table)}").fetchone()
            if row and row[0] is not None:
                candidates.append(to_date(row[0]))
    return max(candidates) if candidates else None


def goal_attainment(con: duckdb.DuckDBPyConnection, scope: Scope | None = None,
                    account_id: str | None = None, as_of: Any = None) -> pd.DataFrame:
    """Every goal (of one account, or of the accounts in scope) with its attainment.

    Columns: account_id, goal, metric, baseline, target, current, due_date, start_date,
    direction ('higher' / 'lower' is better, None when target = baseline), attainment,
    elapsed_share, on_track (bool or None), state. Rows without an account are ignored.
    """
    columns = ["account_id", "goal", "metric", "baseline", "target", "current", "due_date",
               "start_date", "direction", "attainment", "elapsed_share", "on_track", "state"]
    if not _has_table(con, "goals"):
        return pd.DataFrame(columns=columns)
    as_of_date = to_date(as_of) or latest_data_date(con) or dt.date.today()
    goal_cols = set(table_columns(con, "goals"))
    has_accounts = _has_table(con, "accounts")
    account_cols = set(table_columns(con, "accounts")) if has_accounts else set()

    def col(name: str, cast: str) -> str:
        return f"CAST(g.{quote_ident(name)} AS {cast})" if name in goal_cols else f"CAST(NULL AS {cast})"

    own_start = next((c for c in START_COLUMNS if c in goal_cols), None)
    start_parts = []
    if own_start:
        start_parts.append(f"TRY_CAST(g.{quote_ident(own_start)} AS DATE)")
    if "start_date" in account_cols:
        start_parts.append("a.start_date")
    start_sql = f"coalesce({', '.join(start_parts)})" if start_parts else "CAST(NULL AS DATE)"
    join = "LEFT JOIN accounts a ON a.account_id = g.account_id" if "start_date" in account_cols else ""

    scope_sql, params = (scope or Scope()).account_filter(con, column="account_id") if has_accounts \
        else ("TRUE", {})
    where = ["account_id IS NOT NULL", scope_sql]
    params = dict(params)
    params["as_of"] = as_of_date
    if account_id is not None:
        where.append("account_id = $account_id")
        params["account_id"] = str(account_id)
    frame = con.execute(
        f"""
        WITH base AS (
            SELECT g.account_id, CAST(g.goal AS VARCHAR) AS goal, {col('metric', 'VARCHAR')} AS metric,
                   {col('baseline', 'DOUBLE')} AS baseline, {col('target', 'DOUBLE')} AS target,
                   {col('current', 'DOUBLE')} AS current, {col('due_date', 'DATE')} AS due_date,
                   {start_sql} AS start_date
            FROM (SELECT * FROM goals WHERE {' AND '.join(where)}) g {join}
        ), measured AS (
            SELECT *,
                   CASE WHEN target > baseline THEN 'higher' WHEN target < baseline THEN 'lower' END
                       AS direction,
                   CASE WHEN target <> baseline AND current IS NOT NULL
                        THEN (current - baseline) / (target - baseline) + 0.0 END AS attainment,
                   CASE WHEN due_date > start_date
                        THEN least(greatest(date_diff('day', start_date, $as_of)
                                            / date_diff('day', start_date, due_date), 0.0), 1.0)
                   END AS elapsed_share
            FROM base
        )
        SELECT *,
               CASE WHEN attainment >= 1 THEN TRUE
                    WHEN attainment IS NOT NULL AND due_date < $as_of THEN FALSE
                    ELSE attainment >= elapsed_share END AS on_track,
               CASE WHEN attainment IS NULL THEN 'unknown'
                    WHEN attainment >= 1 THEN 'achieved'
                    WHEN due_date < $as_of THEN 'missed'
                    WHEN elapsed_share IS NULL THEN 'unknown'
                    WHEN attainment >= elapsed_share THEN 'on_track'
                    ELSE 'behind' END AS state
        FROM measured
        ORDER BY account_id, due_date NULLS LAST, goal
        """,
        params,
    ).df()
    return frame[columns]


def goal_summary(con: duckdb.DuckDBPyConnection, scope: Scope | None = None,
                 as_of: Any = None) -> dict[str, Any]:
    """Counts of goals by state, accounts with goals, and the median attainment.

    ``median_attainment`` is over goals with an attainment; ``None`` when there are none.
    """
    frame = goal_attainment(con, scope=scope, as_of=as_of)
    counts = {state: int((frame["state"] == state).sum()) for state in STATES}
    measured = frame["attainment"].dropna()
    return {
        "goals": int(len(frame)),
        "accounts": int(frame["account_id"].nunique()),
        "measurable": int(len(measured)),
        **counts,
        "median_attainment": float(measured.median()) if len(measured) else None,
    }
