"""Customer voice: NPS from survey answers and CSAT from support tickets (``docs/metrics.md``).

- **NPS** over the responses in a period = % promoters (scores 9–10) − % detractors
  (0–6), on a −100 … 100 scale; every response in the period counts once.
- An account's own NPS answer is its latest response (:func:`account_nps`).
- **CSAT** = the mean satisfaction score of tickets, on the scale of the data (a 1–5
  scale stays 1–5; Good/Bad answers were read as 1/0 by the loader).

Periods are inclusive; a bound may be a date or a month 'YYYY-MM' (a start month means
its first day, an end month its last day). Rows without an account are ignored.

>>> import duckdb
>>> con = duckdb.connect()
>>> _ = execute(con, "CREATE TABLE nps AS SELECT * FROM (VALUES ('a', DATE '2024-01-05', 10),"
...                 " ('b', DATE '2024-01-09', 6), ('c', DATE '2024-02-01', 8)) t(account_id, date, score)")
>>> nps_score(con)
0.0
>>> nps_score(con, start="2024-02")
0.0
>>> nps_summary(con, end="2024-01")["promoters"]
1
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd

from cs_metrics.errors import InputError
from cs_metrics.revenue import _columns, execute
from cs_metrics.scope import Scope

PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def _has(con: duckdb.DuckDBPyConnection, table: str, needed: set[str]) -> bool:
    return needed <= _columns(con, table)


def _bound(value: str | dt.date | None, end: bool) -> dt.date | None:
    """A period bound as a date: 'YYYY-MM' is the month's first (start) or last (end) day."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) <= 7:
            first = dt.date.fromisoformat(f"{text[:7]}-01")
            if not end:
                return first
            nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise InputError(f"'{value}' is not a date or month: expected YYYY-MM-DD or YYYY-MM.") from None


def _period(column: str, start: Any, end: Any) -> tuple[str, dict[str, Any]]:
    lo, hi = _bound(start, end=False), _bound(end, end=True)
    parts, params = [], {}
    if lo is not None:
        parts.append(f"CAST({column} AS DATE) >= $period_lo")
        params["period_lo"] = lo
    if hi is not None:
        parts.append(f"CAST({column} AS DATE) <= $period_hi")
        params["period_hi"] = hi
    return (" AND ".join(parts) or "TRUE"), params


def nps_summary(con: duckdb.DuckDBPyConnection, start: str | dt.date | None = None,
                end: str | dt.date | None = None, scope: Scope | None = None) -> dict[str, Any] | None:
    """NPS over the responses dated ``start`` … ``end`` with its parts.

    Returns ``{"nps", "responses", "promoters", "passives", "detractors", "accounts"}``
    (counts, and ``nps`` on −100 … 100); None without an nps table or without responses.
    """
    if not _has(con, "nps", {"account_id", "date", "score"}):
        return None
    period_sql, params = _period("date", start, end)
    scope_sql, scope_params = (scope or Scope()).account_filter(con)
    responses, promoters, detractors, accounts = execute(con, f"""
        SELECT count(*), count(*) FILTER (WHERE score >= {PROMOTER_MIN}),
               count(*) FILTER (WHERE score <= {DETRACTOR_MAX}), count(DISTINCT account_id)
        FROM nps
        WHERE account_id IS NOT NULL AND score IS NOT NULL AND score BETWEEN 0 AND 10
          AND {period_sql} AND {scope_sql}""", {**params, **scope_params}).fetchone()
    if not responses:
        return None
    return {"nps": 100.0 * (promoters - detractors) / responses, "responses": int(responses),
            "promoters": int(promoters), "passives": int(responses - promoters - detractors),
            "detractors": int(detractors), "accounts": int(accounts)}


def nps_score(con: duckdb.DuckDBPyConnection, start: str | dt.date | None = None,
              end: str | dt.date | None = None, scope: Scope | None = None) -> float | None:
    """NPS (−100 … 100) over the responses in the period; None when there are none."""
    summary = nps_summary(con, start=start, end=end, scope=scope)
    return None if summary is None else summary["nps"]


def account_nps(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                scope: Scope | None = None) -> pd.DataFrame:
    """Each account's NPS answer: its latest response on or before ``as_of`` (end of that month).

    Columns ``account_id``, ``date``, ``score``, ``category`` ('promoter' / 'passive' /
    'detractor'). Two answers on the same latest day: the lower score is kept (the
    cautious reading).
    """
    columns = ["account_id", "date", "score", "category"]
    if not _has(con, "nps", {"account_id", "date", "score"}):
        return pd.DataFrame(columns=columns)
    period_sql, params = _period("date", None, as_of)
    scope_sql, scope_params = (scope or Scope()).account_filter(con)
    return execute(con, f"""
        SELECT account_id, CAST(arg_min(date, (-epoch(date), score)) AS DATE) AS date,
               arg_min(score, (-epoch(date), score)) AS score,
               CASE WHEN arg_min(score, (-epoch(date), score)) >= {PROMOTER_MIN} THEN 'promoter'
                    WHEN arg_min(score, (-epoch(date), score)) <= {DETRACTOR_MAX} THEN 'detractor'
                    ELSE 'passive' END AS category
        FROM nps
        WHERE account_id IS NOT NULL AND score IS NOT NULL AND date IS NOT NULL
          AND {period_sql} AND {scope_sql}
        GROUP BY account_id ORDER BY account_id""", {**params, **scope_params}).df()[columns]


def csat(con: duckdb.DuckDBPyConnection, start: str | dt.date | None = None,
         end: str | dt.date | None = None, scope: Scope | None = None) -> dict[str, Any] | None:
    """CSAT = mean satisfaction of the tickets created ``start`` … ``end`` that were rated.

    Returns ``{"csat", "rated", "tickets", "scale_min", "scale_max"}`` (the observed range
    of the scale, so a page can say "4.2 on 1–5"); None without tickets.satisfaction or
    without a rated ticket.
    """
    if not _has(con, "tickets", {"account_id", "created_at", "satisfaction"}):
        return None
    period_sql, params = _period("created_at", start, end)
    scope_sql, scope_params = (scope or Scope()).account_filter(con)
    mean, rated, tickets, lo, hi = execute(con, f"""
        SELECT avg(satisfaction), count(satisfaction), count(*), min(satisfaction), max(satisfaction)
        FROM tickets WHERE account_id IS NOT NULL AND {period_sql} AND {scope_sql}""",
        {**params, **scope_params}).fetchone()
    if not rated:
        return None
    return {"csat": float(mean), "rated": int(rated), "tickets": int(tickets),
            "scale_min": float(lo), "scale_max": float(hi)}
