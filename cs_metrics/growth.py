"""Growth: where do we expand, and who will vouch for us?

Seed 001 rates expansion and customer marketing (references, testimonials, referrals) from
"found by hand" to "automatic opportunity alerts". These lists are the alerts; every entry
carries the evidence that put it there. All is measured at the as-of month (default: the
latest month of the data).

**Expansion candidates** — active accounts with no open risk (no reason in the risk
register under the saved rules), green health (when a health model scores anybody), and
at least one signal of demand:

* seat utilisation ≥ ``min_utilisation`` (90 %): active users (their mean over the last 28
  days of usage) ÷ seats (the latest seats of the usage table, else ``accounts.seats``);
* usage growth ≥ ``min_growth`` (20 %) over 3 months (:func:`cs_metrics.segments.usage_trend_sql`),
  for accounts in use on every usage date of the baseline window (a new account ramping
  up is onboarding, not demand).

Estimated expansion ARR: with seat pressure, the seats needed to bring utilisation back to
80 % (at least one) × the account's ARR per seat; otherwise ARR × this workspace's typical
expansion (the median of MRR_b / MRR_a − 1 over the accounts that expanded in the trailing
12 months, over the whole workspace whatever the filter). None when neither can be measured.

**Advocacy candidates** — active accounts with no open risk, green health (when scored),
tenure ≥ ``min_tenure_months`` (6; from ``accounts.start_date``, else the first month with
MRR) and a promoter answer (9–10) as their latest NPS answer in the last 12 months. The
suggested ask: a **reference** for accounts of at least 12 months whose ARR is at or
above the median of the workspace's active accounts, else a **testimonial** when they left
a comment, else a **referral**.

A filter (scope) narrows the lists without changing any entry: every account is judged
against the same workspace-wide figures, so a one-account call (Account 360) gives that
account's row of the full list. Each query reads only the accounts in scope.

**NPS over time** — per calendar month, over the responses dated in it (as
:func:`cs_metrics.voice.nps_summary`): % promoters − % detractors.

**Churn by NPS category** — the accounts paying at the month ``horizon`` (12) months
before the as-of month, grouped by their latest NPS answer in the 12 months up to then;
churn rate = share with no MRR at the as-of month (the logo churn of docs/metrics.md over
that window).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd

from cs_metrics import formatting
from cs_metrics.i18n import t
from cs_metrics.scope import Scope
from cs_metrics.segments import (
    _empty_bands, _nullify, account_bands, account_base_sql, add_months, column_names, execute,
    has_table, level_measure, month_end, one_schema_read, reference, registered, resolve_as_of, revenue_source,
    scope_filter, sql_text, template_sql, usage_trend_sql,
)

TARGET_UTILISATION = 0.8
CATEGORIES = ("promoter", "passive", "detractor")
EXPANSION_COLUMNS = ["account_id", "account_name", "owner", "arr", "seats", "active_users", "utilisation",
                     "usage_change", "band", "score", "method", "extra_seats", "expansion_arr", "evidence"]
ADVOCACY_COLUMNS = ["account_id", "account_name", "owner", "arr", "nps_score", "nps_date", "comment",
                    "tenure_months", "band", "ask", "evidence"]


@one_schema_read
def open_risk_ids(con: duckdb.DuckDBPyConnection, month: dt.date, scope: Scope | None,
                   bands: pd.DataFrame | None = None, trend: pd.DataFrame | None = None) -> pd.DataFrame:
    """(account_id) of the accounts with an open risk under the workspace's saved rules."""
    from cs_metrics import risk

    reasons = risk.risk_reasons(con, month, None, scope, bands=bands, trend=trend)
    return pd.DataFrame({"account_id": reasons["account_id"].drop_duplicates().astype(str).to_numpy(dtype=object)})


@one_schema_read
def typical_expansion_rate(con: duckdb.DuckDBPyConnection, as_of: Any = None, scope: Scope | None = None,
                           window_months: int = 12) -> float | None:
    """Median of MRR_b / MRR_a − 1 over the accounts that expanded in the window; None if none.

    Without a scope it is the workspace's own figure, kept per data version (every
    expansion estimate uses it, whatever the filter, so an account's estimate is the same
    on every page)."""
    month = resolve_as_of(con, as_of)
    if month is None or revenue_source(con) is None:
        return None

    def compute() -> float | None:
        base_sql, params = account_base_sql(con, scope, month, start=add_months(month, -window_months),
                                            prefix="gx")
        if base_sql is None:
            return None
        row = execute(con, f"SELECT median(mrr_b / mrr_a - 1) FROM ({base_sql}) WHERE mrr_a > 0 AND mrr_b > mrr_a",
                      params).fetchall()
        return float(row[0][0]) if row and row[0][0] is not None else None

    if scope is not None and not scope.is_empty:
        return compute()
    return reference(con, "typical_expansion", (month, int(window_months)), compute)


@one_schema_read
def median_active_arr(con: duckdb.DuckDBPyConnection, as_of: Any = None) -> float | None:
    """The median ARR of the workspace's active accounts at the as-of month (kept per data
    version): the line above which a promoter is asked for a reference."""
    month = resolve_as_of(con, as_of)
    if month is None:
        return None

    def compute() -> float | None:
        base_sql, params = account_base_sql(con, None, month, prefix="gm")
        if base_sql is None:
            return None
        row = execute(con, f"SELECT median(arr) FROM ({base_sql}) WHERE is_active", params).fetchall()
        return float(row[0][0]) if row and row[0][0] is not None else None

    return reference(con, "median_active_arr", (month,), compute)


@one_schema_read
def usage_trends(con: duckdb.DuckDBPyConnection, as_of: Any = None,
                 scope: Scope | None = None) -> pd.DataFrame | None:
    """Each account's usage trend for the growth lists and the risk rules, in one scan.

    Columns of :func:`cs_metrics.segments.usage_trend_sql` for ``users`` (active users) and
    ``lvl`` (the level measure: the North Star, else active users), with ``latest_seats``;
    the accounts in ``scope`` only. None without usage.
    """
    if not has_table(con, "usage"):
        return None
    ucols = set(column_names(con, "usage"))
    measures = {name: col for name, col in (("users", "active_users" if "active_users" in ucols else None),
                                             ("lvl", level_measure(con))) if col}
    sql, params = usage_trend_sql(con, measures, as_of, prefix="gt", seats=True, scope=scope)
    if sql is None:
        return None
    frame = execute(con, sql, params).df()
    for name in ("users", "lvl"):
        if name not in measures:
            for part in ("recent", "baseline", "change"):
                frame[f"{name}_{part}"] = float("nan")
    return frame


@one_schema_read
def expansion_candidates(con: duckdb.DuckDBPyConnection, as_of: Any = None, scope: Scope | None = None,
                         min_utilisation: float = 0.9, min_growth: float = 0.2, lang: str = "en",
                         bands: pd.DataFrame | None = None, risky: pd.DataFrame | None = None,
                         typical: float | None = None, trend: pd.DataFrame | None = None) -> pd.DataFrame:
    """Expansion candidates, largest estimated expansion first (see the module docstring).

    ``bands``, ``risky`` (account ids with an open risk), ``typical`` (the typical
    expansion) and ``trend`` (:func:`usage_trends`) are computed here unless given; the
    typical expansion is the workspace's (:func:`typical_expansion_rate` without a scope),
    so a scoped call lists the same rows, with the same figures, as the whole list filtered
    to the scope. Only the accounts in ``scope`` are read.
    """
    month = resolve_as_of(con, as_of)
    base_sql, params = account_base_sql(con, scope, month, prefix="gb",
                                        extra_columns=["account_name", "owner", "seats"])
    if month is None or base_sql is None or not has_table(con, "usage"):
        return pd.DataFrame(columns=EXPANSION_COLUMNS)
    ucols = set(column_names(con, "usage"))
    measure = level_measure(con)
    users = "active_users" if "active_users" in ucols else None
    if bands is None:
        bands = account_bands(con, month, scope)
    use_bands = bands is not None
    if trend is None:
        trend = usage_trends(con, month, scope)
    if trend is None:
        return pd.DataFrame(columns=EXPANSION_COLUMNS)
    if risky is None:
        risky = open_risk_ids(con, month, scope, bands, trend)
    if typical is None:
        typical = typical_expansion_rate(con, month)
    params.update({"g_min_util": float(min_utilisation), "g_min_growth": float(min_growth),
                   "g_target": TARGET_UTILISATION, "g_typical": typical})
    users_recent = "gt.users_recent" if users else "CAST(NULL AS DOUBLE)"
    # A new account ramping up is onboarding, not demand: growth counts only for accounts
    # that were in use on every usage date of the baseline window.
    change = ("CASE WHEN gt.baseline_rows >= gt.baseline_dates THEN gt.lvl_change END" if measure
              else "CAST(NULL AS DOUBLE)")
    green = "hb.band = 'green'" if use_bands else "TRUE"
    typical_sql = "CAST($g_typical AS DOUBLE)" if typical is not None else "CAST(NULL AS DOUBLE)"
    evidence = [
        f"CASE WHEN utilisation >= $g_min_util THEN " + template_sql(
            t("growth.evidence.seats", lang), util="format('{:.0f}%', utilisation * 100)",
            users="format('{:,.0f}', CAST(active_users AS DOUBLE))",
            seats="format('{:,.0f}', CAST(seats AS DOUBLE))") + " END",
        "CASE WHEN usage_change >= $g_min_growth THEN " + template_sql(
            t("growth.evidence.usage", lang), change="format('{:+.0f}%', usage_change * 100)") + " END",
    ]
    if use_bands:
        evidence.append("CASE WHEN band = 'green' THEN " + template_sql(
            t("growth.evidence.green", lang),
            score="CASE WHEN score IS NULL OR isnan(score) THEN '' ELSE format('{:,.0f}', score) END") + " END")
    if typical is not None:
        evidence.append("CASE WHEN method = 'typical' THEN " + sql_text(
            t("growth.evidence.typical", lang, rate=formatting.pct(typical, lang, decimals=0))) + " END")
    with registered(con, bands if use_bands else _empty_bands(), "g_bands") as bview, \
            registered(con, risky, "g_risky") as rview, registered(con, trend, "g_trend") as tview:
        frame = execute(con, f"""
            WITH c AS (
                SELECT b.account_id, CAST(b.account_name AS VARCHAR) AS account_name,
                       CAST(b.owner AS VARCHAR) AS owner, b.arr,
                       coalesce(gt.latest_seats, TRY_CAST(b.seats AS DOUBLE)) AS seats,
                       {users_recent} AS active_users, {change} AS usage_change, hb.band,
                       CAST(hb.score AS DOUBLE) AS score
                FROM ({base_sql}) b
                LEFT JOIN {tview} gt USING (account_id)
                LEFT JOIN {bview} hb USING (account_id)
                WHERE b.is_active AND b.arr > 0 AND {green}
                  AND b.account_id NOT IN (SELECT account_id FROM {rview})),
            u AS (SELECT *, active_users / NULLIF(seats, 0) AS utilisation FROM c
                  WHERE active_users / NULLIF(seats, 0) >= $g_min_util OR usage_change >= $g_min_growth),
            -- Seat pressure: the seats that bring utilisation back to the target (at least
            -- one) at the account's ARR per seat; otherwise ARR x the typical expansion.
            e AS (SELECT *, coalesce(utilisation >= $g_min_util, FALSE) AND coalesce(seats > 0, FALSE) AS seat_based
                  FROM u),
            x AS (SELECT *, CASE WHEN seat_based THEN ceil(greatest(active_users / $g_target - seats, 1)) END
                              AS extra_seats,
                         CASE WHEN seat_based THEN 'seats' WHEN {typical_sql} IS NOT NULL THEN 'typical' END AS method
                  FROM e)
            SELECT account_id, account_name, owner, arr, seats, active_users, utilisation, usage_change, band,
                   score, method, extra_seats,
                   CASE WHEN seat_based THEN extra_seats * (arr / CASE WHEN seats > 0 THEN seats END)
                        ELSE arr * {typical_sql} END AS expansion_arr,
                   concat_ws('; ', {', '.join(evidence)}) AS evidence
            FROM x
            ORDER BY expansion_arr DESC NULLS LAST, arr DESC NULLS LAST, account_id""", params).df()
    return _nullify(frame[EXPANSION_COLUMNS])


@one_schema_read
def advocacy_candidates(con: duckdb.DuckDBPyConnection, as_of: Any = None, scope: Scope | None = None,
                        min_tenure_months: int = 6, lang: str = "en",
                        bands: pd.DataFrame | None = None, risky: pd.DataFrame | None = None) -> pd.DataFrame:
    """Promoters to ask for a reference, testimonial or referral (see the module docstring).

    "Large" (ARR at or above the median) compares with every active account of the
    workspace (:func:`median_active_arr`), so a scoped call lists the same rows and asks as
    the whole list filtered to the scope. Only the accounts in ``scope`` are read.
    """
    month = resolve_as_of(con, as_of)
    base_sql, params = account_base_sql(con, scope, month, prefix="ab",
                                        extra_columns=["account_name", "owner", "start_date"])
    if (month is None or base_sql is None or not has_table(con, "nps")
            or not {"date", "score"} <= set(column_names(con, "nps"))):
        return pd.DataFrame(columns=ADVOCACY_COLUMNS)
    if bands is None:
        bands = account_bands(con, month, scope)
    use_bands = bands is not None
    if risky is None:
        risky = open_risk_ids(con, month, scope, bands)
    comment = "arg_max(CAST(comment AS VARCHAR), (date, -score))" if "comment" in column_names(con, "nps") else "NULL"
    # The first month with revenue is only needed where the contract start date is missing.
    first_sql = _first_revenue_sql(con, within="SELECT account_id FROM b WHERE start_date IS NULL "
                                               "AND account_id IN (SELECT account_id FROM ans)")
    scope_sql, scope_params = scope_filter(con, scope)
    end = month_end(month)
    params.update({**scope_params, "a_end": end, "a_from": add_months(month, -11), "a_month": month,
                   "a_tenure": int(min_tenure_months), "a_median": median_active_arr(con, month)})
    green = "hb.band = 'green'" if use_bands else "TRUE"
    promoter = template_sql(t("growth.evidence.promoter", lang), score="format('{:,.0f}', CAST(nps_score AS DOUBLE))",
                         date="left(CAST(nps_date AS VARCHAR), 10)",
                         months="format('{:,.0f}', CAST(tenure_months AS DOUBLE))")
    green_text = sql_text("; " + t("growth.evidence.green_plain", lang)) if use_bands else "''"
    with registered(con, bands if use_bands else _empty_bands(), "a_bands") as bview, \
            registered(con, risky, "a_risky") as rview:
        frame = execute(con, f"""
            WITH ans AS (SELECT account_id, arg_max(score, (date, -score)) AS nps_score,
                                CAST(max(date) AS DATE) AS nps_date, {comment} AS comment
                         FROM nps WHERE account_id IS NOT NULL AND score IS NOT NULL
                           AND CAST(date AS DATE) >= $a_from AND CAST(date AS DATE) <= $a_end AND {scope_sql}
                         GROUP BY account_id),
            b AS (SELECT * FROM ({base_sql}) WHERE is_active),
            c AS (SELECT b.account_id, CAST(b.account_name AS VARCHAR) AS account_name,
                         CAST(b.owner AS VARCHAR) AS owner, b.arr, ans.nps_score, ans.nps_date,
                         nullif(trim(ans.comment), '') AS comment,
                         datediff('month', coalesce(CAST(b.start_date AS DATE), fr.first_month), $a_month)
                           AS tenure_months,
                         hb.band, b.arr >= $a_median AS large
                  FROM b JOIN ans USING (account_id)
                  LEFT JOIN ({first_sql}) fr USING (account_id)
                  LEFT JOIN {bview} hb USING (account_id)
                  WHERE ans.nps_score >= 9 AND {green}
                    AND b.account_id NOT IN (SELECT account_id FROM {rview}))
            SELECT *, CASE WHEN tenure_months >= 12 AND coalesce(large, FALSE) THEN 'reference'
                           WHEN comment IS NOT NULL THEN 'testimonial' ELSE 'referral' END AS ask,
                   concat({promoter}, {green_text}) AS evidence
            FROM c WHERE tenure_months >= $a_tenure
            ORDER BY nps_score DESC, arr DESC, account_id""", params).df()
    return _nullify(frame[ADVOCACY_COLUMNS])


def _first_revenue_sql(con: duckdb.DuckDBPyConnection, within: str = "SELECT account_id FROM accounts") -> str:
    """(account_id, first_month): the first month with MRR > 0 of the accounts ``within``
    selects (empty without revenue)."""
    source = revenue_source(con)
    if source == "mrr":
        return ("SELECT account_id, CAST(date_trunc('month', min(month)) AS DATE) AS first_month FROM mrr "
                f"WHERE account_id IN ({within}) AND mrr > 0 GROUP BY account_id")
    if source == "subscriptions":
        return ("SELECT account_id, CAST(date_trunc('month', min(start_date)) AS DATE) AS first_month "
                f"FROM subscriptions WHERE account_id IN ({within}) AND mrr > 0 GROUP BY account_id")
    return "SELECT NULL::VARCHAR AS account_id, NULL::DATE AS first_month WHERE FALSE"


@one_schema_read
def nps_trend(con: duckdb.DuckDBPyConnection, as_of: Any = None, months: int = 24,
              scope: Scope | None = None) -> pd.DataFrame:
    """NPS per month over the ``months`` up to the as-of month (months without answers absent).

    Columns: month (first day), responses, promoters, passives, detractors, nps.
    """
    columns = ["month", "responses", "promoters", "passives", "detractors", "nps"]
    month = resolve_as_of(con, as_of)
    if month is None or not has_table(con, "nps") or not {"date", "score"} <= set(column_names(con, "nps")):
        return pd.DataFrame(columns=columns)
    scope_sql, params = (scope or Scope()).account_filter(con)
    params = {**params, "nt_from": add_months(month, -months + 1), "nt_end": month_end(month)}
    return execute(con, f"""
        SELECT CAST(date_trunc('month', date) AS DATE) AS month, count(*) AS responses,
               count(*) FILTER (WHERE score >= 9) AS promoters,
               count(*) FILTER (WHERE score BETWEEN 7 AND 8) AS passives,
               count(*) FILTER (WHERE score <= 6) AS detractors,
               100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6)) / count(*) AS nps
        FROM nps
        WHERE account_id IS NOT NULL AND score IS NOT NULL AND score BETWEEN 0 AND 10
          AND CAST(date AS DATE) >= $nt_from AND CAST(date AS DATE) <= $nt_end AND {scope_sql}
        GROUP BY ALL ORDER BY month""", params).df()[columns]


@one_schema_read
def churn_by_nps_category(con: duckdb.DuckDBPyConnection, as_of: Any = None, horizon_months: int = 12,
                          scope: Scope | None = None) -> pd.DataFrame | None:
    """Churn rate of promoters, passives and detractors (see the module docstring).

    Columns: category, accounts, churned, churn_rate (None for an empty category),
    arr_start (ARR at the start month), start_month. None without revenue or NPS.
    """
    month = resolve_as_of(con, as_of)
    if (month is None or revenue_source(con) is None or not has_table(con, "nps")
            or not {"date", "score"} <= set(column_names(con, "nps"))):
        return None
    start = add_months(month, -horizon_months)
    base_sql, params = account_base_sql(con, scope, month, start=start, prefix="cn")
    if base_sql is None:
        return None
    params.update({"cn_from": add_months(start, -11), "cn_cut": month_end(start)})
    frame = execute(con, f"""
        WITH ans AS (SELECT account_id, arg_max(score, (date, -score)) AS score FROM nps
                     WHERE account_id IS NOT NULL AND score IS NOT NULL
                       AND CAST(date AS DATE) >= $cn_from AND CAST(date AS DATE) <= $cn_cut
                     GROUP BY account_id),
        c AS (SELECT CASE WHEN ans.score >= 9 THEN 'promoter' WHEN ans.score >= 7 THEN 'passive'
                          ELSE 'detractor' END AS category, b.mrr_a, b.mrr_b
              FROM ({base_sql}) b JOIN ans USING (account_id) WHERE b.mrr_a > 0)
        SELECT category, count(*) AS accounts, count(*) FILTER (WHERE mrr_b = 0) AS churned,
               12 * sum(mrr_a) AS arr_start
        FROM c GROUP BY category""", params).df()
    out = pd.DataFrame({"category": list(CATEGORIES)}).merge(frame, on="category", how="left")
    out["accounts"] = out["accounts"].fillna(0).astype("int64")
    out["churned"] = out["churned"].fillna(0).astype("int64")
    out["churn_rate"] = (out["churned"] / out["accounts"].where(out["accounts"] > 0)).astype("float64")
    out["start_month"] = start
    return _nullify(out[["category", "accounts", "churned", "churn_rate", "arr_start", "start_month"]])


@one_schema_read
def growth_lists(con: duckdb.DuckDBPyConnection, as_of: Any = None, scope: Scope | None = None,
                 lang: str = "en", min_utilisation: float = 0.9, min_growth: float = 0.2,
                 min_tenure_months: int = 6) -> dict[str, Any]:
    """Expansion and advocacy candidates computed together (one health, usage and risk pass).

    ``{"as_of", "expansion", "advocacy", "typical_expansion", "health_available"}``;
    ``typical_expansion`` is the workspace's (see :func:`expansion_candidates`)."""
    month = resolve_as_of(con, as_of)
    bands = account_bands(con, month, scope) if month is not None else None
    trend = usage_trends(con, month, scope) if month is not None else None
    risky = open_risk_ids(con, month, scope, bands, trend) if month is not None else None
    typical = typical_expansion_rate(con, month)
    return {
        "as_of": month,
        "expansion": expansion_candidates(con, month, scope, min_utilisation, min_growth, lang,
                                          bands=bands, risky=risky, typical=typical, trend=trend),
        "advocacy": advocacy_candidates(con, month, scope, min_tenure_months, lang, bands=bands, risky=risky),
        "typical_expansion": typical,
        "health_available": bands is not None,
    }

