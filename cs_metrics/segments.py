"""Segments: which groups of accounts behave how, and do our tiers deserve their touch model?

Three ways to group accounts (seeds 001, 003, 004), and one table that compares the groups.

* **Tiers by ARR** (003: large / mid / small by contract value). An active account's tier
  is ``enterprise`` when ARR ≥ the enterprise threshold, ``mid_market`` when ARR ≥ the
  mid-market threshold, else ``smb``; each tier has its touch model (high / standard /
  tech touch). Thresholds are the user's (setting ``segments.tiers``); the default fits
  the data: the 60th and 90th percentiles of the ARR of active accounts, rounded to two
  significant digits, so the top tenth is enterprise, the next three tenths mid-market.
* **RFM** (004: recency of use, frequency of use, amount paid), over the active accounts:

  - recency = days from the account's last use *at its usual level* to the end of the
    as-of month; usual = activity of at least 75 % of the account's mean activity per
    usage row over the last 180 days (one row per account and date in a usual export).
    With weekly exports every paying account was "seen" last week, so plain last-use
    recency cannot tell a fading account from a thriving one. No use in 180 days: the
    lowest score. Activity = active users, else events, else the North Star;
  - frequency = events (else activity) over the last 90 days ÷ usage dates in them ÷
    seats when known (logins per seat per week, for weekly data);
  - monetary = ARR.

  Each becomes a quintile score 1–5 with ``NTILE(5)`` (5 = most recent / most frequent /
  largest); accounts with equal values get the same score (the highest quintile any of
  them reached), so a tie never splits arbitrarily. The R and F scores name the segment
  with the usual RFM grid (champions, loyal, at risk, hibernating …, :data:`RFM_GRID`).
* **Needs-based**: any categorical column of the accounts table (industry, plan, region,
  CSM), as listed by :func:`cs_metrics.scope.categorical_columns`.

The segment × metrics table (:func:`segment_table`) gives per group: active accounts and
their ARR (as of the as-of month), NRR, GRR and logo churn over the trailing window
(docs/metrics.md), the health mix of the active accounts, and the NPS of the active
accounts (each account's latest answer in the window).

The helpers at the end of the module (as-of month, MRR at a month, account base, health
bands, usage levels) are shared by :mod:`cs_metrics.risk`, :mod:`cs_metrics.renewals` and
:mod:`cs_metrics.growth`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import math
import re
import threading
import uuid
import weakref
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import duckdb
import pandas as pd

from cs_metrics.errors import InputError
from cs_metrics.scope import Scope, quote_ident

TIERS = ("enterprise", "mid_market", "smb")
TOUCH_MODEL = {"enterprise": "high", "mid_market": "standard", "smb": "tech"}
SETTING_TIERS = "segments.tiers"
SETTING_SAVED = "segments.saved"
BANDS = ("green", "yellow", "red", "unscored")
NONE_KEY = "__none__"  # the group of accounts whose segment value is empty
# Segments saved as a fixed list of account ids (RFM groups) stay small enough to filter fast.
MAX_SAVED_MEMBERS = 5000

# (R scores, F scores) -> segment, the common RFM grid; covers all 25 cells exactly once.
RFM_GRID: tuple[tuple[tuple[int, ...], tuple[int, ...], str], ...] = (
    ((5,), (4, 5), "champions"),
    ((3, 4), (4, 5), "loyal"),
    ((4, 5), (2, 3), "potential_loyalists"),
    ((5,), (1,), "new"),
    ((4,), (1,), "promising"),
    ((3,), (3,), "need_attention"),
    ((3,), (1, 2), "about_to_sleep"),
    ((1, 2), (3, 4), "at_risk"),
    ((1, 2), (5,), "cant_lose"),
    ((1, 2), (1, 2), "hibernating"),
)
RFM_SEGMENTS = tuple(name for _, _, name in RFM_GRID)
RFM_WINDOW_DAYS = 90
USUAL_WINDOW_DAYS = 180
USUAL_SHARE = 0.75


# Schema -----------------------------------------------------------------------------
# (connection, schema, facts read once per call such as the file and data version).
_SCHEMA: contextvars.ContextVar[tuple[Any, dict[str, dict[str, str]], dict[str, Any]] | None] = \
    contextvars.ContextVar("polaris_segments_schema", default=None)


def _read_schema(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE NOT internal "
        "AND database_name = current_database() AND schema_name = current_schema() "
        "ORDER BY table_name, column_index").fetchall()
    schema: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        schema.setdefault(table, {})[column] = str(kind).upper()
    return schema


def schema(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """{table: {column: type}} of the workspace's tables; one read per call of a public function."""
    held = _SCHEMA.get()
    if held is not None and held[0] is con:
        return held[1]
    return _read_schema(con)


def one_schema_read(func: Callable) -> Callable:
    """Decorator: read the schema once for the whole call (each read costs a few ms, and a
    function here asks which tables and columns exist dozens of times)."""
    @functools.wraps(func)
    def wrapper(con: duckdb.DuckDBPyConnection, *args: Any, **kwargs: Any) -> Any:
        held = _SCHEMA.get()
        if held is not None and held[0] is con:
            return func(con, *args, **kwargs)
        token = _SCHEMA.set((con, _read_schema(con), {}))
        try:
            return func(con, *args, **kwargs)
        finally:
            _SCHEMA.reset(token)
    return wrapper


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return table in schema(con)


def column_names(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Columns of ``table`` in order ([] when it does not exist)."""
    return list(schema(con).get(table, {}))


def is_numeric(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    kind = schema(con).get(table, {}).get(column, "")
    return kind.startswith(("DOUBLE", "FLOAT", "REAL", "INT", "BIGINT", "SMALLINT", "TINYINT",
                            "HUGEINT", "DECIMAL", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"))


def scope_filter(con: duckdb.DuckDBPyConnection, scope: Scope | None,
                 column: str = "account_id") -> tuple[str, dict[str, Any]]:
    """:meth:`Scope.account_filter` checked against the schema already read for this call.

    It goes into every scan of an account's rows (usage, tickets, NPS, MRR) before they are
    grouped, so a one-account call reads only that account's rows.
    """
    return (scope or Scope()).account_filter(con, column, known=column_names(con, "accounts"))


# Tiers ---------------------------------------------------------------------------------
def nice_round(value: float) -> float:
    """Round to two significant digits: 20,601.6 -> 21,000; 102,345 -> 100,000.

    >>> nice_round(20601.6), nice_round(102345.6), nice_round(0)
    (21000.0, 100000.0, 0.0)
    """
    if not value or not math.isfinite(value) or value <= 0:
        return 0.0
    step = 10 ** (math.floor(math.log10(value)) - 1)
    return float(round(value / step) * step)


@one_schema_read
def default_tier_thresholds(con: duckdb.DuckDBPyConnection, scope: Scope | None = None,
                            as_of: Any = None) -> dict[str, float] | None:
    """``{"mid_market": p60, "enterprise": p90}`` of active ARR, rounded; None without ARR."""
    base_sql, params = account_base_sql(con, scope, as_of)
    if base_sql is None:
        return None
    row = execute(
        con, f"SELECT quantile_cont(arr, 0.6), quantile_cont(arr, 0.9), count(*) "
        f"FROM ({base_sql}) WHERE is_active AND arr > 0", params).fetchall()[0]
    if not row or not row[2]:
        return None
    mid, ent = nice_round(float(row[0])), nice_round(float(row[1]))
    # Too few distinct ARRs to separate three tiers: keep them valid (enterprise above mid).
    return {"mid_market": mid, "enterprise": ent if ent > mid else nice_round(2 * mid)}


def validate_thresholds(thresholds: dict[str, Any]) -> dict[str, float]:
    """Check user thresholds: both positive numbers, mid-market below enterprise."""
    try:
        mid = float(thresholds["mid_market"])
        ent = float(thresholds["enterprise"])
    except (KeyError, TypeError, ValueError):
        raise InputError("Tier thresholds need a number for mid-market and for enterprise.") from None
    if not (math.isfinite(mid) and math.isfinite(ent)) or mid <= 0 or ent <= mid:
        raise InputError(
            f"Tier thresholds must be positive with mid-market ({mid:,.0f}) below enterprise ({ent:,.0f}).")
    return {"mid_market": mid, "enterprise": ent}


@one_schema_read
def tier_thresholds(con: duckdb.DuckDBPyConnection, scope: Scope | None = None,
                    as_of: Any = None) -> dict[str, float] | None:
    """The saved thresholds (setting ``segments.tiers``) when valid, else the data's default."""
    saved = read_setting(con, SETTING_TIERS)
    if isinstance(saved, dict):
        try:
            return validate_thresholds(saved)
        except InputError:
            pass
    return default_tier_thresholds(con, scope, as_of)


def tier_case_sql(arr_expr: str) -> str:
    """CASE expression mapping an ARR expression to a tier (params $tier_mid, $tier_ent)."""
    return (f"CASE WHEN {arr_expr} IS NULL OR {arr_expr} <= 0 THEN NULL "
            f"WHEN {arr_expr} >= $tier_ent THEN 'enterprise' "
            f"WHEN {arr_expr} >= $tier_mid THEN 'mid_market' ELSE 'smb' END")


def _tier_params(thresholds: dict[str, float]) -> dict[str, float]:
    clean = validate_thresholds(thresholds)
    return {"tier_mid": clean["mid_market"], "tier_ent": clean["enterprise"]}


@one_schema_read
def assign_tiers(con: duckdb.DuckDBPyConnection, thresholds: dict[str, Any] | None = None,
                 scope: Scope | None = None, as_of: Any = None) -> pd.DataFrame:
    """Every active account with its ARR, tier and touch model.

    Columns: account_id, arr, tier, touch. Empty when there is no ARR to tier.
    """
    columns = ["account_id", "arr", "tier", "touch"]
    base_sql, params = account_base_sql(con, scope, as_of)
    thresholds = thresholds or tier_thresholds(con, scope, as_of)
    if base_sql is None or thresholds is None:
        return pd.DataFrame(columns=columns)
    frame = execute(
        con, f"SELECT account_id, arr, {tier_case_sql('arr')} AS tier FROM ({base_sql}) "
        "WHERE is_active ORDER BY arr DESC, account_id",
        {**params, **_tier_params(thresholds)}).df()
    frame["touch"] = frame["tier"].map(TOUCH_MODEL)
    return frame[columns]


@one_schema_read
def tier_crosstab(con: duckdb.DuckDBPyConnection, column: str = "segment",
                  thresholds: dict[str, Any] | None = None, scope: Scope | None = None,
                  as_of: Any = None) -> pd.DataFrame | None:
    """Active accounts by the tier recorded in ``column`` × the tier their ARR earns.

    Columns: recorded, tier, accounts, arr. ``None`` when the column is not in the accounts
    table. Off-diagonal cells are accounts served on a touch model their ARR does not earn.
    """
    if not has_table(con, "accounts") or column not in column_names(con, "accounts"):
        return None
    base_sql, params = account_base_sql(con, scope, as_of, extra_columns=[column])
    thresholds = thresholds or tier_thresholds(con, scope, as_of)
    if base_sql is None or thresholds is None:
        return None
    return execute(
        con, f"SELECT coalesce(CAST({quote_ident(column)} AS VARCHAR), '{NONE_KEY}') AS recorded, "
        f"coalesce({tier_case_sql('arr')}, '{NONE_KEY}') AS tier, count(*) AS accounts, sum(arr) AS arr "
        f"FROM ({base_sql}) WHERE is_active GROUP BY ALL ORDER BY recorded, tier",
        {**params, **_tier_params(thresholds)}).df()


# RFM -----------------------------------------------------------------------------------
def rfm_segment_sql(r: str, f: str) -> str:
    """CASE expression naming the RFM segment of R and F score expressions."""
    whens = " ".join(
        f"WHEN {r} IN ({', '.join(map(str, rs))}) AND {f} IN ({', '.join(map(str, fs))}) THEN '{name}'"
        for rs, fs, name in RFM_GRID)
    return f"CASE {whens} END"


def _rfm_sql(con: duckdb.DuckDBPyConnection, scope: Scope | None, as_of: Any,
             prefix: str = "rfm") -> tuple[str | None, dict[str, Any]]:
    """SQL of the RFM scores of the active accounts at ``as_of`` (see the module docstring)."""
    if not has_table(con, "usage"):
        return None, {}
    activity = activity_measure(con)
    base_sql, params = account_base_sql(con, scope, as_of, extra_columns=["seats"], prefix=prefix)
    month = resolve_as_of(con, as_of)
    if activity is None or base_sql is None or month is None:
        return None, {}
    ucols = set(column_names(con, "usage"))
    freq_measure = "events" if "events" in ucols and is_numeric(con, "usage", "events") else activity
    end = min(month_end(month), usage_end(con) or month_end(month))
    seats_expr = "NULLIF(coalesce(us.seats, b.seats), 0)" if "seats" in ucols else "NULLIF(b.seats, 0)"
    seats_sql = ("arg_max(seats, date) FILTER (WHERE seats IS NOT NULL)" if "seats" in ucols
                 else "CAST(NULL AS DOUBLE)")
    scope_sql, scope_params = scope_filter(con, scope)
    params = {**params, **scope_params, f"{prefix}_end": end, f"{prefix}_asof_end": month_end(month),
              f"{prefix}_from": end - dt.timedelta(days=RFM_WINDOW_DAYS),
              f"{prefix}_usual_from": end - dt.timedelta(days=USUAL_WINDOW_DAYS),
              f"{prefix}_usual_share": USUAL_SHARE,
              f"{prefix}_dates": usage_dates(con, end - dt.timedelta(days=RFM_WINDOW_DAYS), end)}
    act, frq, p = quote_ident(activity), quote_ident(freq_measure), prefix
    seats_col = ", seats" if "seats" in ucols else ""
    # Usage rows are read as they come (one per account and date in the usual export):
    # grouping millions of rows by (account, date) first would cost more than the rest.
    # The window's rows are read once (only the accounts in scope); the usual level and
    # the last date at it are both taken from that one read.
    sql = f"""
        WITH b AS (SELECT * FROM ({base_sql}) WHERE is_active),
        u AS MATERIALIZED (SELECT account_id, date, {act} AS act, {frq} AS frq{seats_col} FROM usage
               WHERE account_id IS NOT NULL AND date > ${p}_usual_from AND date <= ${p}_end AND {scope_sql}),
        us AS (SELECT account_id, avg(act) AS usual,
                      sum(frq) FILTER (WHERE date > ${p}_from) AS volume, {seats_sql} AS seats,
                      max(date) FILTER (WHERE act > 0) AS last_active
               FROM u GROUP BY account_id),
        rec AS (SELECT u.account_id, max(u.date) AS last_usual
                FROM u JOIN us USING (account_id)
                WHERE u.act > 0 AND u.act >= ${p}_usual_share * us.usual
                GROUP BY u.account_id),
        x AS (SELECT b.account_id, b.arr,
                     datediff('day', coalesce(rec.last_usual, us.last_active), ${p}_asof_end) AS recency_days,
                     coalesce(us.volume, 0) / NULLIF(${p}_dates, 0)
                       / coalesce({seats_expr}, 1) AS frequency
              FROM b LEFT JOIN us USING (account_id) LEFT JOIN rec USING (account_id)),
        nt AS (SELECT *,
                 ntile(5) OVER (ORDER BY coalesce(recency_days, 1e9) DESC, account_id) AS r0,
                 ntile(5) OVER (ORDER BY coalesce(frequency, 0), account_id) AS f0,
                 ntile(5) OVER (ORDER BY arr, account_id) AS m0
               FROM x),
        sc AS (SELECT account_id, arr, recency_days, frequency,
                 max(r0) OVER (PARTITION BY recency_days) AS r,
                 max(f0) OVER (PARTITION BY coalesce(frequency, 0)) AS f,
                 max(m0) OVER (PARTITION BY arr) AS m
               FROM nt)
        SELECT account_id, arr, recency_days, frequency, r, f, m,
               CAST(r AS VARCHAR) || CAST(f AS VARCHAR) || CAST(m AS VARCHAR) AS rfm,
               {rfm_segment_sql('r', 'f')} AS rfm_segment
        FROM sc"""
    return sql, params


@one_schema_read
def rfm_scores(con: duckdb.DuckDBPyConnection, scope: Scope | None = None,
               as_of: Any = None) -> pd.DataFrame | None:
    """RFM scores and segment of every active account; ``None`` without usage or revenue.

    Columns: account_id, account_name, arr, recency_days, frequency, r, f, m, rfm,
    rfm_segment; sorted by segment order, then ARR (largest first).
    """
    sql, params = _rfm_sql(con, scope, as_of)
    if sql is None:
        return None
    name = ("a.account_name" if "account_name" in column_names(con, "accounts")
            else "CAST(NULL AS VARCHAR)") if has_table(con, "accounts") else "CAST(NULL AS VARCHAR)"
    join = "LEFT JOIN accounts a USING (account_id)" if has_table(con, "accounts") else ""
    order = "CASE rfm_segment " + " ".join(
        f"WHEN '{s}' THEN {i}" for i, s in enumerate(RFM_SEGMENTS)) + " END"
    return execute(
        con, f"SELECT s.account_id, {name} AS account_name, s.arr, s.recency_days, s.frequency, "
        f"s.r, s.f, s.m, s.rfm, s.rfm_segment FROM ({sql}) s {join} "
        f"ORDER BY {order}, s.arr DESC, s.account_id", params).df()


def rfm_grid(scores: pd.DataFrame) -> pd.DataFrame:
    """Accounts and ARR in each (R, F) cell, with its segment: the data of the RFM heatmap."""
    cells = pd.MultiIndex.from_product([range(1, 6), range(1, 6)], names=["r", "f"]).to_frame(index=False)
    counts = (scores.groupby(["r", "f"], as_index=False)
              .agg(accounts=("account_id", "size"), arr=("arr", "sum"))
              if not scores.empty else pd.DataFrame(columns=["r", "f", "accounts", "arr"]))
    counts = counts.astype({"r": "int64", "f": "int64"})
    grid = cells.merge(counts, on=["r", "f"], how="left")
    grid["accounts"] = grid["accounts"].fillna(0).astype("int64")
    grid["arr"] = grid["arr"].astype("float64").fillna(0.0)
    lookup = {(r, f): name for rs, fs, name in RFM_GRID for r in rs for f in fs}
    grid["rfm_segment"] = [lookup[(r, f)] for r, f in zip(grid["r"], grid["f"])]
    return grid


@one_schema_read
def rfm_migration(con: duckdb.DuckDBPyConnection, scope: Scope | None = None, as_of: Any = None,
                  months_back: int = 3) -> pd.DataFrame | None:
    """How accounts moved between RFM segments (004: "the core is state migration").

    Each account's segment ``months_back`` months before the as-of month (or ``churned`` /
    ``new_account`` when it was not active then) against its segment now (or ``churned``).
    Columns: before, now, accounts, arr_now. ``None`` without usage or revenue.
    """
    month = resolve_as_of(con, as_of)
    if month is None:
        return None
    earlier = add_months(month, -months_back)
    now_sql, now_params = _rfm_sql(con, scope, month, prefix="rnow")
    then_sql, then_params = _rfm_sql(con, scope, earlier, prefix="rthen")
    base_sql, base_params = account_base_sql(con, scope, month, start=earlier, prefix="rmig")
    if now_sql is None or then_sql is None or base_sql is None:
        return None
    return execute(
        con, f"""SELECT coalesce(t.rfm_segment, CASE WHEN b.mrr_a > 0 OR NOT b.has_revenue THEN 'churned'
                                              ELSE 'new_account' END) AS before,
                   coalesce(n.rfm_segment, 'churned') AS now,
                   count(*) AS accounts, sum(CASE WHEN n.rfm_segment IS NOT NULL THEN b.arr END) AS arr_now
            FROM ({base_sql}) b
            LEFT JOIN ({now_sql}) n USING (account_id)
            LEFT JOIN ({then_sql}) t USING (account_id)
            WHERE n.account_id IS NOT NULL OR t.account_id IS NOT NULL
            GROUP BY ALL ORDER BY before, now""",
        {**now_params, **then_params, **base_params}).df()


# The segment x metrics table -----------------------------------------------------------
@one_schema_read
def segment_table(con: duckdb.DuckDBPyConnection, by: str = "tier", as_of: Any = None,
                  window_months: int = 12, scope: Scope | None = None,
                  thresholds: dict[str, Any] | None = None) -> pd.DataFrame:
    """One row per segment, plus a final ``is_total`` row over all accounts in scope.

    ``by`` is ``"tier"``, ``"rfm"`` or a categorical column of the accounts table.
    Columns: segment (tier / RFM key, the column's value, or :data:`NONE_KEY` for an empty
    value), is_total, accounts (active), arr (their ARR), arr_share, csms (distinct owners),
    accounts_per_csm, cohort (accounts with MRR at the window start), nrr, grr, logo_churn,
    green, yellow, red, unscored (health mix of the active accounts; None without a health
    model), nps, nps_responses.

    Retention over the window a = as-of − ``window_months`` … b = as-of: with S the accounts
    of the segment with MRR_a > 0, NRR = Σ MRR_b / Σ MRR_a, GRR = Σ min(MRR_a, MRR_b) / Σ MRR_a,
    logo churn = 1 − |{MRR_b > 0}| / |S|. An account belongs to the retention cohort of the
    tier its ARR at the window start (12 × MRR_a) earned, so an account that shrank does not
    drag its new tier's GRR; RFM describes current behaviour only, so RFM rows have no
    retention figures. NPS = % promoters − % detractors of the active accounts' latest
    answers in the window.
    """
    month = resolve_as_of(con, as_of)
    out_cols = ["segment", "is_total", "accounts", "arr", "arr_share", "csms", "accounts_per_csm",
                "cohort", "nrr", "grr", "logo_churn", *BANDS, "nps", "nps_responses"]
    if month is None or not has_table(con, "accounts"):
        return pd.DataFrame(columns=out_cols)
    start = add_months(month, -window_months)
    acols = set(column_names(con, "accounts"))
    extra = [c for c in ("owner",) if c in acols]
    params: dict[str, Any] = {}
    if by == "tier":
        thresholds = thresholds or tier_thresholds(con, scope, month)
        if thresholds is None:
            return pd.DataFrame(columns=out_cols)
        params.update(_tier_params(thresholds))
        seg_now, seg_start, rfm_join = tier_case_sql("b.arr"), tier_case_sql("12 * b.mrr_a"), ""
    elif by == "rfm":
        rfm_sql, rfm_params = _rfm_sql(con, scope, month)
        if rfm_sql is None:
            return pd.DataFrame(columns=out_cols)
        params.update(rfm_params)
        seg_now, seg_start = "rf.rfm_segment", "CAST(NULL AS VARCHAR)"
        rfm_join = f"LEFT JOIN ({rfm_sql}) rf USING (account_id)"
    else:
        if by not in acols:
            raise InputError(f"'{by}' is not a column of the accounts table.")
        extra.append(by)
        seg_now = seg_start = f"CAST(b.{quote_ident(by)} AS VARCHAR)"
        rfm_join = ""
    with_cohort = by != "rfm" and has_revenue(con)
    # RFM rows have no retention figures, so they need no revenue at the window start.
    base_sql, base_params = account_base_sql(con, scope, month, start=start if by != "rfm" else None,
                                             extra_columns=extra)
    if base_sql is None:
        return pd.DataFrame(columns=out_cols)
    params.update(base_params)
    owner = "b.owner" if "owner" in extra else "CAST(NULL AS VARCHAR)"
    bands = account_bands(con, month, scope)
    scope_sql, scope_params = scope_filter(con, scope)
    params.update(scope_params)
    nps_sql = ("SELECT account_id, arg_max(score, date) AS score FROM nps WHERE account_id IS NOT NULL "
               f"AND score IS NOT NULL AND date > $seg_nps_from AND date <= $seg_asof_end AND {scope_sql} "
               "GROUP BY account_id"
               if has_table(con, "nps") else
               "SELECT CAST(NULL AS VARCHAR) AS account_id, CAST(NULL AS INTEGER) AS score WHERE FALSE")
    params.update({"seg_nps_from": month_end(start), "seg_asof_end": month_end(month)})
    # One query: the accounts are read and joined once, then grouped twice — by their
    # segment now (active accounts) and, for retention, by their segment at the window start.
    cohort_sql = f"""
        UNION ALL BY NAME
        SELECT 'cohort' AS part, seg_start AS segment, GROUPING(seg_start) = 1 AS is_total,
               count(*) AS cohort, sum(mrr_b) / sum(mrr_a) AS nrr,
               sum(least(mrr_a, mrr_b)) / sum(mrr_a) AS grr,
               1 - count(*) FILTER (WHERE mrr_b > 0) / count(*) AS logo_churn
        FROM m WHERE mrr_a > 0 GROUP BY GROUPING SETS ((seg_start), ())""" if with_cohort else ""
    with registered(con, bands if bands is not None else _empty_bands(), "seg_bands") as bands_view:
        frame = execute(
            con, f"""WITH m AS MATERIALIZED (
                    SELECT b.account_id, b.arr, b.is_active, b.mrr_a, b.mrr_b, {owner} AS owner,
                           coalesce({seg_now}, '{NONE_KEY}') AS seg_now,
                           coalesce({seg_start}, '{NONE_KEY}') AS seg_start,
                           coalesce(hb.band, 'unscored') AS band, nps.score
                    FROM ({base_sql}) b {rfm_join}
                    LEFT JOIN {bands_view} hb USING (account_id)
                    LEFT JOIN ({nps_sql}) nps USING (account_id))
                SELECT 'now' AS part, seg_now AS segment, GROUPING(seg_now) = 1 AS is_total,
                       count(*) AS accounts, sum(arr) AS arr, count(DISTINCT owner) AS csms,
                       {', '.join(f"count(*) FILTER (WHERE band = '{b}') AS {b}" for b in BANDS)},
                       100.0 * (count(score) FILTER (WHERE score >= 9) - count(score) FILTER (WHERE score <= 6))
                         / NULLIF(count(score), 0) AS nps,
                       count(score) AS nps_responses
                FROM m WHERE is_active GROUP BY GROUPING SETS ((seg_now), ()){cohort_sql}""", params).df()
    now_cols = ["segment", "is_total", "accounts", "arr", "csms", *BANDS, "nps", "nps_responses"]
    now = frame[frame["part"] == "now"].reset_index(drop=True)[now_cols]
    now["is_total"] = now["is_total"].astype(bool)
    cohort = None
    if with_cohort:
        cohort = frame[frame["part"] == "cohort"].reset_index(drop=True)[
            ["segment", "is_total", "cohort", "nrr", "grr", "logo_churn"]]
        cohort["is_total"] = cohort["is_total"].astype(bool)
    now.loc[now["is_total"], "segment"] = None
    table = now
    if cohort is not None:
        cohort.loc[cohort["is_total"], "segment"] = None
        table = now.merge(cohort, on=["segment", "is_total"], how="outer")
    else:
        for col in ("cohort", "nrr", "grr", "logo_churn"):
            table[col] = None
    for col in ("accounts", "cohort", "csms", *BANDS, "nps_responses"):
        table[col] = table[col].astype("Float64").fillna(0).astype("int64") if col in table else 0
    if bands is None:
        for band in BANDS:
            table[band] = None
    if not extra or "owner" not in extra:
        table["csms"] = None
    total_arr = table.loc[table["is_total"], "arr"]
    total = float(total_arr.iloc[0]) if len(total_arr) and pd.notna(total_arr.iloc[0]) else None
    table["arr_share"] = table["arr"].astype("float64") / total if total else None
    table["accounts_per_csm"] = (table["accounts"] / table["csms"].where(table["csms"] > 0)
                                 if table["csms"].notna().all() else None)
    table = table.astype({"nrr": "float64", "grr": "float64", "logo_churn": "float64", "nps": "float64"},
                         errors="ignore")
    table["_order"] = _segment_order(table["segment"], by)
    table = table.sort_values(["is_total", "_order", "arr"], ascending=[True, True, False],
                              na_position="last").drop(columns="_order").reset_index(drop=True)
    return _nullify(table[out_cols])


def _segment_order(segments: pd.Series, by: str) -> pd.Series:
    order = {"tier": TIERS, "rfm": RFM_SEGMENTS}.get(by)
    if order is None:
        return pd.Series([0] * len(segments), index=segments.index)
    rank = {name: i for i, name in enumerate(order)}
    return segments.map(lambda s: rank.get(s, len(order)))


def _nullify(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns with a missing value become objects holding None ('no figure', never a number);
    complete columns keep their type."""
    out = frame.copy()
    for column in out.columns:
        if out[column].isna().any():
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out


def touch_model_findings(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Does each tier earn its touch model? Checks on a tier :func:`segment_table`.

    For every pair of tiers where the first gets more touch (enterprise > mid-market > SMB):
    ``churn_inverted`` when the higher-touch tier loses a larger share of its logos;
    ``coverage_inverted`` when its CSMs carry more accounts each (no more attention per
    account than the lower tier). ``consistent`` when neither happens anywhere; nothing
    when there are fewer than two tiers with figures. Each finding is
    ``{"code", "high", "low", "high_value", "low_value"}``.
    """
    rows = {r["segment"]: r for r in table.to_dict("records") if not r["is_total"] and r["segment"] in TIERS}
    present = [tier for tier in TIERS if tier in rows]
    findings: list[dict[str, Any]] = []
    checked = False
    for i, high in enumerate(present):
        for low in present[i + 1:]:
            for code, column in (("churn_inverted", "logo_churn"), ("coverage_inverted", "accounts_per_csm")):
                hv, lv = rows[high].get(column), rows[low].get(column)
                if hv is None or lv is None or pd.isna(hv) or pd.isna(lv):
                    continue
                checked = True
                if hv > lv:
                    findings.append({"code": code, "high": high, "low": low,
                                     "high_value": float(hv), "low_value": float(lv)})
    if checked and not findings:
        findings.append({"code": "consistent", "high": None, "low": None, "high_value": None, "low_value": None})
    return findings


# Saved segments (the sidebar's global filter) -------------------------------------------
def saved_segments(ws: Any) -> dict[str, dict[str, list[str]]]:
    """The saved segments ``{name: {column: [values]}}`` of a workspace."""
    value = ws.get_setting(SETTING_SAVED, {})
    return value if isinstance(value, dict) else {}


def save_segment(ws: Any, name: str, filters: dict[str, list[Any]]) -> dict[str, list[str]]:
    """Save ``filters`` (existing account columns -> values) under ``name``.

    Accounts are never changed: a tier or RFM group is saved as values of existing columns
    (the recorded tier column, or a fixed list of account ids of at most
    :data:`MAX_SAVED_MEMBERS`).
    """
    clean_name = (name or "").strip()
    if not clean_name or len(clean_name) > 60:
        raise InputError("A segment needs a name of 1 to 60 characters.")
    if not ws.has("accounts"):
        raise InputError("Load an accounts table before saving a segment.")
    known = set(ws.columns("accounts"))
    clean = Scope.from_dict(filters).to_dict()
    if not clean:
        raise InputError("A segment needs at least one value to filter on.")
    unknown = [c for c in clean if c not in known]
    if unknown:
        raise InputError(f"'{unknown[0]}' is not a column of the accounts table.")
    if sum(len(v) for v in clean.values()) > MAX_SAVED_MEMBERS:
        raise InputError(f"A saved segment can list at most {MAX_SAVED_MEMBERS:,} values.")
    saved = saved_segments(ws)
    saved[clean_name] = clean
    ws.set_setting(SETTING_SAVED, saved)
    return clean


def delete_segment(ws: Any, name: str) -> None:
    saved = saved_segments(ws)
    if name in saved:
        del saved[name]
        ws.set_setting(SETTING_SAVED, saved)


# Shared helpers (used by risk, renewals and growth too) ---------------------------------
def read_setting(con: duckdb.DuckDBPyConnection, key: str, default: Any = None) -> Any:
    """A workspace setting read straight from the connection (core functions get ``con``)."""
    import json

    if not has_table(con, "_polaris_settings"):
        return default
    rows = con.execute("SELECT value FROM _polaris_settings WHERE key = ?", [key]).fetchall()
    if not rows:
        return default
    value = rows[0][0]
    return json.loads(value) if isinstance(value, str) else value


def to_month(value: Any) -> dt.date | None:
    """'2026-10', a date or a timestamp -> the first day of that month; None stays None."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, 1)
    match = _MONTH.match(str(value))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputError(f"'{value}' is not a month (expected YYYY-MM).")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?(?:[ T].*)?\s*$")


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


@one_schema_read
def revenue_source(con: duckdb.DuckDBPyConnection) -> str | None:
    """'mrr' when a monthly MRR table is loaded, else 'subscriptions', else None."""
    if has_table(con, "mrr") and {"account_id", "month", "mrr"} <= set(column_names(con, "mrr")):
        return "mrr"
    if has_table(con, "subscriptions") and {"account_id", "start_date", "mrr"} <= set(
            column_names(con, "subscriptions")):
        return "subscriptions"
    return None


def has_revenue(con: duckdb.DuckDBPyConnection) -> bool:
    return revenue_source(con) is not None


@one_schema_read
def resolve_as_of(con: duckdb.DuckDBPyConnection, as_of: Any = None) -> dt.date | None:
    """The as-of month (first day): the given month, else the latest month with revenue,
    else the month of the latest usage / ticket / NPS date, else — an accounts table alone
    being a snapshot of today — the current month; None for an empty workspace."""
    if as_of is not None:
        return to_month(as_of)
    source = revenue_source(con)
    if source == "mrr":
        # The last month of the MRR table, as cs_metrics.revenue reads it.
        row = con.execute("SELECT max(month) FROM mrr WHERE account_id IS NOT NULL "
                          "AND mrr IS NOT NULL").fetchall()[0]
        if row[0] is not None:
            return to_month(row[0])
    if source == "subscriptions":
        try:
            from cs_metrics import revenue
        except ImportError:
            revenue = None
        if revenue is not None and callable(getattr(revenue, "latest_month", None)):
            latest = revenue.latest_month(con)
            if latest:
                return to_month(latest)
    candidates = []
    if source == "subscriptions":
        cols = set(column_names(con, "subscriptions"))
        end = "end_date" if "end_date" in cols else "start_date"
        # The latest month a subscription was live at month end, never past today.
        row = con.execute(
            f"SELECT least(greatest(max(start_date), max({end}) - 1), current_date) FROM subscriptions "
            "WHERE account_id IS NOT NULL").fetchall()[0]
        if row[0] is not None:
            return to_month(row[0])
    for table, column in (("usage", "date"), ("tickets", "created_at"), ("nps", "date")):
        if has_table(con, table) and column in column_names(con, table):
            row = con.execute(f"SELECT CAST(max({quote_ident(column)}) AS DATE) FROM {table}").fetchall()[0]
            if row[0] is not None:
                candidates.append(row[0])
    if not candidates and has_table(con, "accounts"):
        # An accounts table alone is a snapshot of today.
        candidates.append(dt.date.today())
    return to_month(max(candidates)) if candidates else None


@one_schema_read
def mrr_at_sql(con: duckdb.DuckDBPyConnection, param: str, where: str = "TRUE") -> str | None:
    """SQL of (account_id, mrr) in the month named by parameter ``$param`` (a DATE, 1st).

    From the MRR table: the sum of the month's rows. From subscriptions: the month-end rule
    of docs/metrics.md (live on the last day of the month, trials excluded). ``where`` is an
    extra condition on the rows read (the scope), applied before they are summed.
    """
    source = revenue_source(con)
    if source == "mrr":
        return (f"SELECT account_id, sum(mrr) AS mrr FROM mrr WHERE account_id IS NOT NULL "
                f"AND month = ${param} AND {where} GROUP BY account_id")
    if source == "subscriptions":
        cols = set(column_names(con, "subscriptions"))
        end = f"(end_date IS NULL OR end_date > last_day(${param}))" if "end_date" in cols else "TRUE"
        trial = "NOT coalesce(is_trial, FALSE)" if "is_trial" in cols else "TRUE"
        return (f"SELECT account_id, sum(mrr) AS mrr FROM subscriptions WHERE account_id IS NOT NULL "
                f"AND start_date <= last_day(${param}) AND {end} AND {trial} AND mrr > 0 AND {where} "
                f"GROUP BY account_id")
    return None


@one_schema_read
def account_base_sql(con: duckdb.DuckDBPyConnection, scope: Scope | None, as_of: Any,
                     start: Any = None, extra_columns: list[str] | None = None,
                     prefix: str = "base") -> tuple[str | None, dict[str, Any]]:
    """SQL of every account in scope with its revenue state at the as-of month.

    Columns: account_id, arr, is_active, mrr_b (MRR at the as-of month), mrr_a (MRR at
    ``start``, NULL without ``start``), has_revenue, plus ``extra_columns`` of the accounts
    table that exist (missing ones are NULL). With revenue data (MRR table or
    subscriptions): ARR = 12 × MRR_b and active = MRR_b > 0. With an accounts table alone:
    ARR = its ``arr`` (or 12 × ``mrr``) and active = status not churned and no churn date
    on or before the end of the as-of month. ``(None, {})`` without accounts or a month.
    The scope filters the revenue rows as they are read, so a one-account base reads one
    account's rows.
    """
    month = resolve_as_of(con, as_of)
    if month is None or not has_table(con, "accounts"):
        return None, {}
    acols = set(column_names(con, "accounts"))
    scope_sql, params = scope_filter(con, scope)
    params = dict(params)
    p_now, p_start, p_end = f"{prefix}_now", f"{prefix}_start", f"{prefix}_end"
    params[p_now] = month
    params[p_end] = month_end(month)
    extras = []
    for column in extra_columns or []:
        expr = f"a.{quote_ident(column)}" if column in acols else "NULL"
        extras.append(f"{expr} AS {quote_ident(column)}")
    extra_sql = "".join(", " + e for e in extras)
    source = revenue_source(con)
    accounts = f"(SELECT * FROM accounts WHERE account_id IS NOT NULL AND {scope_sql})"
    if source == "mrr" and start is not None:
        # Both months in one read of the MRR table.
        params[p_start] = to_month(start)
        pair = (f"SELECT account_id, sum(mrr) FILTER (WHERE month = ${p_now}) AS mrr, "
                f"sum(mrr) FILTER (WHERE month = ${p_start}) AS mrr_a FROM mrr "
                f"WHERE account_id IS NOT NULL AND month IN (${p_now}, ${p_start}) AND {scope_sql} "
                f"GROUP BY account_id")
        sql = (f"SELECT a.account_id, 12 * coalesce(nb.mrr, 0) AS arr, coalesce(nb.mrr, 0) > 0 AS is_active, "
               f"coalesce(nb.mrr, 0) AS mrr_b, coalesce(nb.mrr_a, 0) AS mrr_a, TRUE AS has_revenue{extra_sql} "
               f"FROM {accounts} a LEFT JOIN ({pair}) nb ON nb.account_id = a.account_id")
        return sql, params
    now_sql = mrr_at_sql(con, p_now, scope_sql)
    if now_sql is not None:
        start_join, mrr_a = "", "CAST(NULL AS DOUBLE)"
        if start is not None:
            params[p_start] = to_month(start)
            start_join = f"LEFT JOIN ({mrr_at_sql(con, p_start, scope_sql)}) sa ON sa.account_id = a.account_id"
            mrr_a = "coalesce(sa.mrr, 0)"
        sql = (f"SELECT a.account_id, 12 * coalesce(nb.mrr, 0) AS arr, coalesce(nb.mrr, 0) > 0 AS is_active, "
               f"coalesce(nb.mrr, 0) AS mrr_b, {mrr_a} AS mrr_a, TRUE AS has_revenue{extra_sql} "
               f"FROM {accounts} a LEFT JOIN ({now_sql}) nb ON nb.account_id = a.account_id {start_join}")
        return sql, params
    if "arr" in acols and "mrr" in acols:
        arr = "coalesce(CAST(a.arr AS DOUBLE), 12 * CAST(a.mrr AS DOUBLE))"
    elif "arr" in acols:
        arr = "CAST(a.arr AS DOUBLE)"
    elif "mrr" in acols:
        arr = "12 * CAST(a.mrr AS DOUBLE)"
    else:
        arr = "CAST(NULL AS DOUBLE)"
    status = ("coalesce(lower(CAST(a.status AS VARCHAR)), '') NOT IN ('churned', 'cancelled', 'canceled')"
              if "status" in acols else "TRUE")
    churn = f"(a.churn_date IS NULL OR a.churn_date > ${p_end})" if "churn_date" in acols else "TRUE"
    started = f"(a.start_date IS NULL OR a.start_date <= ${p_end})" if "start_date" in acols else "TRUE"
    active = f"({status} AND {churn} AND {started})"
    sql = (f"SELECT a.account_id, CASE WHEN {active} THEN {arr} END AS arr, {active} AS is_active, "
           f"CAST(NULL AS DOUBLE) AS mrr_b, CAST(NULL AS DOUBLE) AS mrr_a, FALSE AS has_revenue{extra_sql} "
           f"FROM {accounts} a")
    return sql, params


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, prefix: str) -> Iterator[str]:
    """Expose ``frame`` to SQL under a unique name for the duration of a block."""
    name = f"_{prefix}_{uuid.uuid4().hex[:10]}"
    # A result left unfinished by a fetchone() (here or in a module we call) blocks
    # register() and unregister() in DuckDB 2.0; a fully fetched statement releases it.
    con.execute("SELECT 1").fetchall()
    con.register(name, frame)
    try:
        yield name
    finally:
        con.execute("SELECT 1").fetchall()
        con.unregister(name)


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None):
    """``con.execute`` with only the named parameters the SQL uses (DuckDB refuses extras)."""
    used = set(_PARAM.findall(sql))
    return con.execute(sql, {k: v for k, v in (params or {}).items() if k in used})


def sql_text(text: str) -> str:
    """A SQL string literal of ``text``."""
    return "'" + text.replace("'", "''") + "'"


_FIELD = re.compile(r"\{(\w+)\}")


def template_sql(template: str, **fields: str) -> str:
    """A translated ``str.format`` template as a SQL expression, each ``{field}`` filled by the
    SQL expression given for it (none may be NULL): sentences for thousands of rows are
    then written by the query that selects them, with no Python per row."""
    parts, pos = [], 0
    for match in _FIELD.finditer(template):
        if match.start() > pos:
            parts.append(sql_text(template[pos:match.start()]))
        parts.append(fields[match.group(1)])
        pos = match.end()
    if pos < len(template):
        parts.append(sql_text(template[pos:]))
    return f"concat({', '.join(parts)})" if parts else "''"


def _empty_bands() -> pd.DataFrame:
    return pd.DataFrame({"account_id": pd.Series([], dtype="object"),
                         "band": pd.Series([], dtype="object"), "score": pd.Series([], dtype="float64")})


@one_schema_read
def account_bands(con: duckdb.DuckDBPyConnection, as_of: Any = None,
                  scope: Scope | None = None) -> pd.DataFrame | None:
    """Each account's health band at the as-of month, from :mod:`cs_metrics.health`.

    Columns: account_id, band ('green' / 'yellow' / 'red'), score. Accounts without a
    score are absent (they count as 'unscored'). None when the health model is missing or
    scores nobody that month (the data says nothing about health then).

    The health model scores every account and then filters to a scope (an account scores
    the same whatever filter is on), so the bands come from the one shared, unscoped
    :func:`health_history` and are then narrowed to ``scope``. The month's slice is kept
    with the history it came from; callers must not modify it.
    """
    history = health_history(con)
    month = resolve_as_of(con, as_of)
    if history is None or month is None:
        return None
    bands = _month_bands(history, month)
    if bands is None:
        return None
    scope = scope or Scope()
    if scope.is_empty or bands.empty:
        return bands
    scope_sql, params = scope_filter(con, scope)
    ids = con.execute(f"SELECT account_id FROM accounts WHERE {scope_sql}", params).fetchall()
    keep = bands["account_id"].isin([row[0] for row in ids])
    return bands[keep.to_numpy()].reset_index(drop=True)


# The band slice of the last few (history, month) pairs: the segment table, the risk
# register, the renewal outlook and the growth lists all ask for the same month.
_BANDS_MEMO: dict[tuple[int, dt.date], tuple[Any, pd.DataFrame | None]] = {}
_BANDS_MEMO_SIZE = 8


def _month_bands(history: pd.DataFrame, month: dt.date) -> pd.DataFrame | None:
    """(account_id, band, score) of the scored accounts of ``month``; None when nobody is."""
    key = (id(history), month)
    with _MEMO_LOCK:
        held = _BANDS_MEMO.get(key)
    if held is not None and held[0]() is history:
        return held[1]
    rows = history[history["month"] == pd.Timestamp(month)]
    bands = None
    if not rows.empty:
        bands = pd.DataFrame({"account_id": rows["account_id"].astype(str).to_numpy(dtype=object),
                              "band": rows["band"].astype(str).to_numpy(dtype=object),
                              "score": rows["score"].astype("float64").to_numpy()})
    with _MEMO_LOCK:
        _bounded_put(_BANDS_MEMO, key, (weakref.ref(history), bands), _BANDS_MEMO_SIZE)
    return bands


# Health results by content key (few: each can hold millions of account-months), and the
# content key of each workspace file and data version (many: one per browser session).
_HEALTH_MEMO: dict[tuple, pd.DataFrame | None] = {}
_HEALTH_MEMO_SIZE = 3
_CONTENT_OF: dict[tuple, tuple] = {}
_PATHS_KEPT = 512
_MEMO_LOCK = threading.Lock()  # Streamlit runs each browser session in its own thread


@one_schema_read
def health_history(con: duckdb.DuckDBPyConnection, scope: Scope | None = None) -> pd.DataFrame | None:
    """Band of every scored account and month: (account_id, month, band, score), or None.

    From ``cs_metrics.health.health_scores`` under the workspace's saved health settings.
    Scoring every month costs about a second on a thousand accounts, and the segment table,
    risk register, renewal forecast and growth lists all need it, so the result is kept per
    workspace file and data version (any load or setting change raises the version), and
    per content (row hashes of the input tables and settings), so every private session copy
    of the same data — the sample company — shares one result. Callers must not modify it.
    """
    try:
        from cs_metrics import health
    except ImportError:
        return None
    if not callable(getattr(health, "health_scores", None)):
        return None
    path_key = _memo_key(con, scope)
    with _MEMO_LOCK:
        known = _CONTENT_OF.get(path_key) if path_key is not None else None
        if known is not None and known in _HEALTH_MEMO:
            return _HEALTH_MEMO[known]
    # Private session copies of the same workspace (the sample company) share one result.
    content = _content_key(con, scope) if path_key is not None else None
    with _MEMO_LOCK:
        if content is not None:
            _bounded_put(_CONTENT_OF, path_key, content, _PATHS_KEPT)
            if content in _HEALTH_MEMO:
                return _HEALTH_MEMO[content]
    scored = health.health_scores(con, scope)
    history = None
    if scored is not None and not scored.empty and {"account_id", "month", "band"} <= set(scored.columns):
        rows = scored[scored["band"].isin(["green", "yellow", "red"])]
        if not rows.empty:
            # Categories keep a big history small (millions of account-months).
            history = pd.DataFrame({
                "account_id": pd.Categorical(rows["account_id"].astype(str)),
                "month": pd.to_datetime(rows["month"]).dt.to_period("M").dt.to_timestamp().to_numpy(),
                "band": pd.Categorical(rows["band"].astype(str), categories=["green", "yellow", "red"]),
                "score": (rows["score"].astype("float32").to_numpy() if "score" in rows
                          else [None] * len(rows)),
            })
    if content is not None:
        with _MEMO_LOCK:
            _bounded_put(_HEALTH_MEMO, content, history, _HEALTH_MEMO_SIZE)
    return history


def _bounded_put(memo: dict, key: tuple, value: Any, size: int) -> None:
    """``memo[key] = value``, dropping the oldest entries beyond ``size`` (hold _MEMO_LOCK)."""
    memo.pop(key, None)
    while len(memo) >= size:
        memo.pop(next(iter(memo)))
    memo[key] = value


def _content_key(con: duckdb.DuckDBPyConnection, scope: Scope | None) -> tuple:
    """What the health model reads — every input table's rows and the settings — as a key.

    An unchanged private copy of the sample (``origin`` recorded, its data version still the
    one it was copied at, as :attr:`Workspace.cache_key` reads it) is keyed by its origin
    without hashing anything, and so is a file with a data stamp (every file whose data changed
    through :meth:`Workspace.bump_version`); other files hash every row of every input table
    (about a third of a second on 100k accounts, still far less than scoring them).
    """
    meta = dict(con.execute("SELECT key, value FROM _polaris_meta "
                            "WHERE key IN ('data_version', 'origin', 'origin_version', 'data_stamp')").fetchall())
    month = dt.date.today().strftime("%Y-%m")
    if meta.get("origin") and meta.get("origin_version") == meta.get("data_version", "0"):
        return ("origin", meta["origin"], meta["origin_version"], month, scope or Scope())
    if meta.get("data_stamp"):
        # A random stamp renewed by every change of data (Workspace.bump_version): nothing
        # to hash, and a workspace made again under the same name cannot meet the old result.
        return ("stamp", meta["data_stamp"], month, scope or Scope())
    parts = []
    for table in ("accounts", "mrr", "subscriptions", "usage", "tickets", "nps", "goals", "_polaris_settings"):
        if has_table(con, table):
            count, total = con.execute(f"SELECT count(*), sum(hash(t)) FROM {quote_ident(table)} t").fetchall()[0]
            parts.append((table, count, total))
    return ("content", tuple(parts), month, scope or Scope())


def _memo_key(con: duckdb.DuckDBPyConnection, scope: Scope | None) -> tuple | None:
    """(database file, data version, scope) for a workspace file; None otherwise (no memo)."""
    held = _SCHEMA.get()
    facts = held[2] if held is not None and held[0] is con else {}
    if "file_version" not in facts:
        facts["file_version"] = _file_version(con)
    found = facts["file_version"]
    return None if found is None else (*found, scope or Scope())


def _file_version(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(database file, data version) of a workspace file; None for other connections."""
    if not has_table(con, "_polaris_meta"):
        return None
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    version = con.execute("SELECT value FROM _polaris_meta WHERE key = 'data_version'").fetchall()
    if not path or not path[0][0]:
        return None
    return (path[0][0], version[0][0] if version else "0")


# Small workspace-wide figures (the last usage date, usage dates in a window, the typical
# expansion, the median ARR) by workspace file, data version and question. A one-account
# call needs them as much as a whole-table one, and they cost a scan of a whole table.
_REFERENCE: dict[tuple, Any] = {}
_REFERENCE_SIZE = 256


def reference(con: duckdb.DuckDBPyConnection, name: str, args: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept per workspace file and data version under ``(name, args)``.

    For figures of the whole workspace that every call needs whatever its scope. Any load
    or setting change raises the data version, so a kept figure is never stale; connections
    without a workspace file (no data version) compute every time.
    """
    path_key = _memo_key(con, None)
    if path_key is None:
        return compute()
    key = (path_key[0], path_key[1], name, args)
    with _MEMO_LOCK:
        if key in _REFERENCE:
            return _REFERENCE[key]
    value = compute()
    with _MEMO_LOCK:
        _bounded_put(_REFERENCE, key, value, _REFERENCE_SIZE)
    return value


@one_schema_read
def usage_end(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The last usage date in the data (a usage export can end before the revenue data)."""
    if not has_table(con, "usage"):
        return None
    return reference(con, "usage_end", (), lambda: con.execute(
        "SELECT CAST(max(date) AS DATE) FROM usage WHERE account_id IS NOT NULL").fetchall()[0][0])


@one_schema_read
def usage_dates(con: duckdb.DuckDBPyConnection, after: dt.date, until: dt.date) -> int:
    """Distinct usage dates in (``after``, ``until``] over the whole usage table: the
    periods a level is averaged over (missing rows count as 0), whatever the scope."""
    if not has_table(con, "usage"):
        return 0
    return reference(con, "usage_dates", (after, until), lambda: int(con.execute(
        "SELECT count(DISTINCT date) FROM usage WHERE date > $lo AND date <= $hi",
        {"lo": after, "hi": until}).fetchall()[0][0]))


def _numeric_usage(con: duckdb.DuckDBPyConnection) -> list[str]:
    skip = {"account_id", "date", "_source_key", "_source_file", "seats"}
    return [c for c in column_names(con, "usage") if c not in skip and is_numeric(con, "usage", c)]


@one_schema_read
def activity_measure(con: duckdb.DuckDBPyConnection) -> str | None:
    """The usage column that says "used": active_users, else events, else the North Star,
    else the first numeric measure."""
    if not has_table(con, "usage"):
        return None
    measures = _numeric_usage(con)
    for name in ("active_users", "events", northstar_metric(con)):
        if name and name in measures:
            return name
    return measures[0] if measures else None


@one_schema_read
def level_measure(con: duckdb.DuckDBPyConnection) -> str | None:
    """The usage column whose trend counts: the North Star when set, else active_users,
    else events, else the first numeric measure."""
    if not has_table(con, "usage"):
        return None
    measures = _numeric_usage(con)
    for name in (northstar_metric(con), "active_users", "events"):
        if name and name in measures:
            return name
    return measures[0] if measures else None


def northstar_metric(con: duckdb.DuckDBPyConnection) -> str | None:
    setting = read_setting(con, "northstar")
    if isinstance(setting, dict):
        return setting.get("metric") or None
    return setting if isinstance(setting, str) else None


TREND_WINDOW_DAYS = 28
TREND_LAG_DAYS = 91


@one_schema_read
def usage_trend_sql(con: duckdb.DuckDBPyConnection, measures: dict[str, str], as_of: Any,
                    prefix: str = "trend", seats: bool = False,
                    scope: Scope | None = None) -> tuple[str | None, dict[str, Any]]:
    """SQL of each account's usage level now and three months ago, in one scan of the usage table.

    ``measures`` maps an output name to a usage column; for each, the columns
    ``<name>_recent``, ``<name>_baseline`` and ``<name>_change`` (plus ``latest_seats``, the
    account's latest seats in the scanned window, with ``seats=True``), and
    ``baseline_rows`` / ``baseline_dates``: the account's usage rows in the baseline window
    and the usage dates there (equal when it was in use for the whole window). The level of a
    window = Σ measure of the account over the window / number of distinct usage dates in
    the window (missing rows count as 0, so weekly and daily data both give a per-period
    mean). recent = the 28 days ending at the last usage date (capped at the end of the
    as-of month); baseline = the 28 days ending 91 days (3 months) earlier;
    change = recent / baseline − 1 (NULL when the baseline is 0 or empty).

    Only the accounts in ``scope`` are read; the dates of each window are those of the whole
    usage table (:func:`usage_dates`), so an account's level does not depend on the scope.
    """
    month = resolve_as_of(con, as_of)
    last = usage_end(con)
    if month is None or last is None or not measures:
        return None, {}
    end = min(month_end(month), last)
    w, lag = TREND_WINDOW_DAYS, TREND_LAG_DAYS
    p = prefix
    r_lo, r_hi = end - dt.timedelta(days=w), end
    b_lo, b_hi = end - dt.timedelta(days=lag + w), end - dt.timedelta(days=lag)
    scope_sql, params = scope_filter(con, scope)
    params = {**params, f"{p}_r_hi": r_hi, f"{p}_r_lo": r_lo, f"{p}_b_hi": b_hi, f"{p}_b_lo": b_lo,
              f"{p}_nr": usage_dates(con, r_lo, r_hi), f"{p}_nb": usage_dates(con, b_lo, b_hi)}
    recent_in = f"date > ${p}_r_lo AND date <= ${p}_r_hi"
    base_in = f"date > ${p}_b_lo AND date <= ${p}_b_hi"
    sums, levels = [], []
    for name, column in measures.items():
        col = quote_ident(column)
        sums.append(f"coalesce(sum({col}) FILTER (WHERE {recent_in}), 0) AS {name}_r, "
                    f"sum({col}) FILTER (WHERE {base_in}) AS {name}_b")
        recent, baseline = f"{name}_r / NULLIF(${p}_nr, 0)", f"{name}_b / NULLIF(${p}_nb, 0)"
        levels.append(f"{recent} AS {name}_recent, {baseline} AS {name}_baseline, "
                      f"({recent}) / NULLIF({baseline}, 0) - 1 AS {name}_change")
    if seats and "seats" in column_names(con, "usage"):
        sums.append("arg_max(seats, date) FILTER (WHERE seats IS NOT NULL) AS latest_seats")
        levels.append("latest_seats")
    elif seats:
        levels.append("CAST(NULL AS DOUBLE) AS latest_seats")
    sql = f"""
        WITH s AS (SELECT account_id, {', '.join(sums)}, count(*) FILTER (WHERE {base_in}) AS baseline_rows
                   FROM usage WHERE account_id IS NOT NULL AND date > ${p}_b_lo AND date <= ${p}_r_hi
                     AND {scope_sql}
                   GROUP BY account_id)
        SELECT account_id, {', '.join(levels)}, baseline_rows, CAST(${p}_nb AS BIGINT) AS baseline_dates FROM s"""
    return sql, params
