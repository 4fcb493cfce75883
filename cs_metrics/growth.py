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
12 months). None when neither can be measured.

**Advocacy candidates** — active accounts with no open risk, green health (when scored),
tenure ≥ ``min_tenure_months`` (6; from ``accounts.start_date``, else the first month with
MRR) and a promoter answer (9–10) as their latest NPS answer in the last 12 months. The
suggested ask: a **reference** for accounts of at least 12 months whose ARR is at or
above the median of active accounts, else a **testimonial** when they left a comment,
else a **referral**.

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
    has_table, level_measure, month_end, one_schema_read, registered, resolve_as_of, revenue_source,
    usage_trend_sql,
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
    """Median of MRR_b / MRR_a − 1 over the accounts that expanded in the window; None if none."""
    month = resolve_as_of(con, as_of)
    if month is None or revenue_source(con) is None:
        return None
    base_sql, params = account_base_sql(con, scope, month, start=add_months(month, -window_months), prefix="gx")
    if base_sql is None:
        return None
    row = execute(con, f"SELECT median(mrr_b / mrr_a - 1) FROM ({base_sql}) WHERE mrr_a > 0 AND mrr_b > mrr_a",
                  params).fetchall()
    return float(row[0][0]) if row and row[0][0] is not None else None


@one_schema_read
def usage_trends(con: duckdb.DuckDBPyConnection, as_of: Any = None) -> pd.DataFrame | None:
    """Each account's usage trend for the growth lists and the risk rules, in one scan.

    Columns of :func:`cs_metrics.segments.usage_trend_sql` for ``users`` (active users) and
    ``lvl`` (the level measure: the North Star, else active users), with ``latest_seats``.
    None without usage.
    """
    if not has_table(con, "usage"):
        return None
    ucols = set(column_names(con, "usage"))
    measures = {name: col for name, col in (("users", "active_users" if "active_users" in ucols else None),
                                             ("lvl", level_measure(con))) if col}
    sql, params = usage_trend_sql(con, measures, as_of, prefix="gt", seats=True)
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
    expansion) and ``trend`` (:func:`usage_trends`) are computed here unless given.
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
        trend = usage_trends(con, month)
    if trend is None:
        return pd.DataFrame(columns=EXPANSION_COLUMNS)
    if risky is None:
        risky = open_risk_ids(con, month, scope, bands, trend)
    params.update({"g_min_util": float(min_utilisation), "g_min_growth": float(min_growth)})
    users_recent = "gt.users_recent" if users else "CAST(NULL AS DOUBLE)"
    # A new account ramping up is onboarding, not demand: growth counts only for accounts
    # that were in use on every usage date of the baseline window.
    change = ("CASE WHEN gt.baseline_rows >= gt.baseline_dates THEN gt.lvl_change END" if measure
              else "CAST(NULL AS DOUBLE)")
    green = "hb.band = 'green'" if use_bands else "TRUE"
    with registered(con, bands if use_bands else _empty_bands(), "g_bands") as bview, \
            registered(con, risky, "g_risky") as rview, registered(con, trend, "g_trend") as tview:
        frame = execute(con, f"""
            WITH c AS (
                SELECT b.account_id, CAST(b.account_name AS VARCHAR) AS account_name,
                       CAST(b.owner AS VARCHAR) AS owner, b.arr,
                       coalesce(gt.latest_seats, TRY_CAST(b.seats AS DOUBLE)) AS seats,
                       {users_recent} AS active_users, {change} AS usage_change, hb.band, hb.score
                FROM ({base_sql}) b
                LEFT JOIN {tview} gt USING (account_id)
                LEFT JOIN {bview} hb USING (account_id)
                WHERE b.is_active AND b.arr > 0 AND {green}
                  AND b.account_id NOT IN (SELECT account_id FROM {rview}))
            SELECT *, active_users / NULLIF(seats, 0) AS utilisation FROM c
            WHERE active_users / NULLIF(seats, 0) >= $g_min_util OR usage_change >= $g_min_growth""",
            params).df()
    if typical is None:
        typical = typical_expansion_rate(con, month, scope)
    seat_based = frame["utilisation"].ge(min_utilisation).fillna(False) & frame["seats"].gt(0).fillna(False)
    need = (frame["active_users"] / TARGET_UTILISATION - frame["seats"]).clip(lower=1)
    frame["extra_seats"] = need.where(seat_based).apply(lambda v: None if pd.isna(v) else float(-(-v // 1)))
    per_seat = frame["arr"] / frame["seats"].where(frame["seats"] > 0)
    seat_arr = frame["extra_seats"].astype("float64") * per_seat
    typical_arr = frame["arr"] * typical if typical is not None else pd.Series([float("nan")] * len(frame))
    frame["expansion_arr"] = seat_arr.where(seat_based, typical_arr.to_numpy())
    frame["method"] = ["seats" if s else ("typical" if typical is not None else None) for s in seat_based]
    frame["evidence"] = _expansion_evidence(frame, min_utilisation, min_growth, use_bands, typical, lang)
    frame = frame.sort_values(["expansion_arr", "arr"], ascending=[False, False], na_position="last")
    return _nullify(frame.reset_index(drop=True)[EXPANSION_COLUMNS])


def _expansion_evidence(frame: pd.DataFrame, min_util: float, min_growth: float, use_bands: bool,
                        typical: float | None, lang: str) -> list[str]:
    """One sentence per candidate: the signals that put it on the list (translated)."""
    seats_text, usage_text = t("growth.evidence.seats", lang), t("growth.evidence.usage", lang)
    green_text = t("growth.evidence.green", lang)
    typical_text = (t("growth.evidence.typical", lang, rate=formatting.pct(typical, lang, decimals=0))
                    if typical is not None else None)
    out = []
    for util, users, seats, change, band, score, method in zip(
            frame["utilisation"], frame["active_users"], frame["seats"], frame["usage_change"],
            frame["band"], frame["score"], frame["method"]):
        parts = []
        if pd.notna(util) and util >= min_util:
            parts.append(seats_text.format(util=f"{util * 100:.0f}%", users=f"{users:,.0f}", seats=f"{seats:,.0f}"))
        if pd.notna(change) and change >= min_growth:
            parts.append(usage_text.format(change=f"{change * 100:+.0f}%"))
        if use_bands and band == "green":
            parts.append(green_text.format(score="" if pd.isna(score) else f"{score:,.0f}"))
        if method == "typical" and typical_text:
            parts.append(typical_text)
        out.append("; ".join(parts))
    return out


@one_schema_read
def advocacy_candidates(con: duckdb.DuckDBPyConnection, as_of: Any = None, scope: Scope | None = None,
                        min_tenure_months: int = 6, lang: str = "en",
                        bands: pd.DataFrame | None = None, risky: pd.DataFrame | None = None) -> pd.DataFrame:
    """Promoters to ask for a reference, testimonial or referral (see the module docstring)."""
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
    first_sql = _first_revenue_sql(con, within="SELECT account_id FROM ans")
    end = month_end(month)
    params.update({"a_end": end, "a_from": add_months(month, -11), "a_month": month,
                   "a_tenure": int(min_tenure_months)})
    green = "hb.band = 'green'" if use_bands else "TRUE"
    with registered(con, bands if use_bands else _empty_bands(), "a_bands") as bview, \
            registered(con, risky, "a_risky") as rview:
        frame = execute(con, f"""
            WITH ans AS (SELECT account_id, arg_max(score, (date, -score)) AS nps_score,
                                CAST(max(date) AS DATE) AS nps_date, {comment} AS comment
                         FROM nps WHERE account_id IS NOT NULL AND score IS NOT NULL
                           AND CAST(date AS DATE) >= $a_from AND CAST(date AS DATE) <= $a_end
                         GROUP BY account_id),
            b AS (SELECT * FROM ({base_sql}) WHERE is_active),
            c AS (SELECT b.account_id, CAST(b.account_name AS VARCHAR) AS account_name,
                         CAST(b.owner AS VARCHAR) AS owner, b.arr, ans.nps_score, ans.nps_date,
                         nullif(trim(ans.comment), '') AS comment,
                         datediff('month', coalesce(CAST(b.start_date AS DATE), fr.first_month), $a_month)
                           AS tenure_months,
                         hb.band, b.arr >= (SELECT median(arr) FROM b) AS large
                  FROM b JOIN ans USING (account_id)
                  LEFT JOIN ({first_sql}) fr USING (account_id)
                  LEFT JOIN {bview} hb USING (account_id)
                  WHERE ans.nps_score >= 9 AND {green}
                    AND b.account_id NOT IN (SELECT account_id FROM {rview}))
            SELECT * FROM c WHERE tenure_months >= $a_tenure
            ORDER BY nps_score DESC, arr DESC, account_id""", params).df()
    frame["ask"] = ["reference" if (ten >= 12 and bool(lg)) else ("testimonial" if isinstance(cm, str) else "referral")
                    for ten, lg, cm in zip(frame["tenure_months"], frame["large"],
                                           frame["comment"].astype(object).where(frame["comment"].notna(), None))]
    promoter = t("growth.evidence.promoter", lang)
    green_text = "; " + t("growth.evidence.green_plain", lang) if use_bands else ""
    frame["evidence"] = [promoter.format(score=f"{s:,.0f}", date=str(d)[:10], months=f"{m:,.0f}") + green_text
                         for s, d, m in zip(frame["nps_score"], frame["nps_date"], frame["tenure_months"])]
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
    """Expansion and advocacy candidates computed together (one health and risk pass)."""
    month = resolve_as_of(con, as_of)
    bands = account_bands(con, month, scope) if month is not None else None
    trend = usage_trends(con, month) if month is not None else None
    risky = open_risk_ids(con, month, scope, bands, trend) if month is not None else None
    typical = typical_expansion_rate(con, month, scope)
    return {
        "as_of": month,
        "expansion": expansion_candidates(con, month, scope, min_utilisation, min_growth, lang,
                                          bands=bands, risky=risky, typical=typical, trend=trend),
        "advocacy": advocacy_candidates(con, month, scope, min_tenure_months, lang, bands=bands, risky=risky),
        "typical_expansion": typical,
        "health_available": bands is not None,
    }

