"""One account on one page: the data behind Account 360 and the QBR deck.

Everything here is read for a single account with parameterised SQL, so the page stays
fast on 100k accounts. Figures follow docs/metrics.md:

* **MRR history**: from the ``mrr`` table (a month with no row is 0), else from
  ``subscriptions`` (a subscription counts in month m when live on the last day of m;
  trials add nothing). The **index** is MRR / MRR of the account's first month with MRR
  × 100, the money-free view used in presenter mode.
* **ARR** = the accounts table's ``arr``; without it 12 × the latest MRR.
* **Tenure** = whole months from the start date (else the first month with MRR) to the
  as-of date, or to the churn date for a churned account.
* **Days to renewal** = renewal date − as-of date (negative when the date has passed).
* **CSAT** = mean ticket satisfaction on the scale of the data, over tickets created in
  the 12 months up to the as-of date; the peer CSAT is the same over the account's segment.
* **NPS** of the account = % promoters (9–10) − % detractors (0–6) over its responses in
  the 12 months up to the as-of date; its *latest answer* is shown beside it.

Health, risk reasons and expansion opportunities come from the modules that own them
(:mod:`cs_metrics.health`, :mod:`cs_metrics.risk`, :mod:`cs_metrics.growth`) when present;
when one is missing or cannot answer, the figure is ``None`` ("n/a").
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import duckdb
import pandas as pd

from cs_metrics import goals as goals_mod
from cs_metrics import northstar as northstar_mod
from cs_metrics.scope import Scope, quote_ident, table_columns

log = logging.getLogger(__name__)

HEADER_COLUMNS = ("account_name", "segment", "industry", "region", "plan", "owner", "status",
                  "start_date", "renewal_date", "churn_date", "arr", "mrr", "seats", "manual_health")


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
        "AND table_schema = current_schema()", [table]).fetchone()
    return bool(row and row[0])


def _none(value: Any) -> Any:
    """NaN / NaT -> None, numpy scalars -> Python."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    return value.item() if hasattr(value, "item") else value


# Finding an account ------------------------------------------------------------------
def account_count(con: duckdb.DuckDBPyConnection, scope: Scope | None = None) -> int:
    if not has_table(con, "accounts"):
        return 0
    sql, params = (scope or Scope()).account_filter(con)
    return int(con.execute(f"SELECT count(*) FROM accounts WHERE {sql}", params).fetchone()[0])


def search_accounts(con: duckdb.DuckDBPyConnection, text: str = "", scope: Scope | None = None,
                    limit: int = 50) -> pd.DataFrame:
    """Accounts whose ID or name contains ``text`` (case-insensitive), best matches first.

    An exact ID match ranks first, then names starting with the text, then by ARR
    (largest first, where known) and name. Columns: account_id, account_name, segment.
    """
    out_cols = ["account_id", "account_name", "segment"]
    if not has_table(con, "accounts"):
        return pd.DataFrame(columns=out_cols)
    cols = set(table_columns(con, "accounts"))
    name = "CAST(account_name AS VARCHAR)" if "account_name" in cols else "CAST(NULL AS VARCHAR)"
    segment = "CAST(segment AS VARCHAR)" if "segment" in cols else "CAST(NULL AS VARCHAR)"
    arr = "arr" if "arr" in cols else ("mrr" if "mrr" in cols else "NULL")
    sql, params = (scope or Scope()).account_filter(con)
    needle = (text or "").strip()
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    params = {**params, "pattern": pattern, "needle": needle, "prefix": pattern[1:], "limit": int(limit)}
    return con.execute(
        f"""SELECT account_id, {name} AS account_name, {segment} AS segment FROM accounts
            WHERE account_id IS NOT NULL AND {sql}
              AND ($needle = '' OR account_id ILIKE $pattern ESCAPE '\\'
                   OR {name} ILIKE $pattern ESCAPE '\\')
            ORDER BY (lower(account_id) = lower($needle)) DESC,
                     ({name} ILIKE $prefix ESCAPE '\\') DESC, {arr} DESC NULLS LAST,
                     account_name, account_id
            LIMIT $limit""", params).df()[out_cols]


def find_account(con: duckdb.DuckDBPyConnection, account_id: str) -> pd.DataFrame:
    """The account with exactly this ID as (account_id, account_name, segment); empty if none."""
    out_cols = ["account_id", "account_name", "segment"]
    if not has_table(con, "accounts") or not account_id:
        return pd.DataFrame(columns=out_cols)
    cols = set(table_columns(con, "accounts"))
    name = "CAST(account_name AS VARCHAR)" if "account_name" in cols else "CAST(NULL AS VARCHAR)"
    segment = "CAST(segment AS VARCHAR)" if "segment" in cols else "CAST(NULL AS VARCHAR)"
    return con.execute(f"SELECT account_id, {name} AS account_name, {segment} AS segment FROM accounts "
                       "WHERE account_id = $account_id LIMIT 1", {"account_id": str(account_id)}).df()[out_cols]


def account_exists(con: duckdb.DuckDBPyConnection, account_id: str) -> bool:
    if not has_table(con, "accounts") or not account_id:
        return False
    return con.execute("SELECT count(*) FROM accounts WHERE account_id = ?",
                       [str(account_id)]).fetchone()[0] > 0


# Header --------------------------------------------------------------------------------
def account_header(con: duckdb.DuckDBPyConnection, account_id: str,
                   as_of: dt.date | None = None, history: pd.DataFrame | None = None
                   ) -> dict[str, Any] | None:
    """The account's identity and commercial facts; ``None`` if the account is unknown.

    Keys: account_id plus each of HEADER_COLUMNS (None when the table lacks it), and
    derived ``tenure_months``, ``days_to_renewal``, ``as_of``.
    """
    if not account_exists(con, account_id):
        return None
    cols = set(table_columns(con, "accounts"))
    select = ", ".join(quote_ident(c) if c in cols else f"NULL AS {quote_ident(c)}" for c in HEADER_COLUMNS)
    row = con.execute(f"SELECT {select} FROM accounts WHERE account_id = ? LIMIT 1",
                      [str(account_id)]).fetchone()
    header = {"account_id": str(account_id), **{c: _none(v) for c, v in zip(HEADER_COLUMNS, row)}}
    as_of = as_of or goals_mod.latest_data_date(con) or dt.date.today()
    header["as_of"] = as_of
    for key in ("start_date", "renewal_date", "churn_date"):
        header[key] = goals_mod.to_date(header[key])
    if history is None:
        history = mrr_history(con, account_id, as_of=as_of)
    latest_mrr = None
    if not history.empty:
        latest_mrr = float(history["mrr"].iloc[-1])
    if header["mrr"] is None and latest_mrr is not None:
        header["mrr"] = latest_mrr
    if header["arr"] is None and header["mrr"] is not None:
        header["arr"] = 12 * float(header["mrr"])
    start = header["start_date"]
    if start is None and not history.empty:
        paying = history[history["mrr"] > 0]
        start = goals_mod.to_date(paying["month"].iloc[0]) if not paying.empty else None
    end = header["churn_date"] if header["churn_date"] and header["churn_date"] < as_of else as_of
    header["tenure_months"] = _whole_months(start, end) if start else None
    header["days_to_renewal"] = (header["renewal_date"] - as_of).days if header["renewal_date"] else None
    return header


def _whole_months(start: dt.date, end: dt.date) -> int | None:
    if end < start:
        return None
    months = (end.year - start.year) * 12 + (end.month - start.month)
    return months - (1 if end.day < start.day else 0)


# MRR ----------------------------------------------------------------------------------
def mrr_history(con: duckdb.DuckDBPyConnection, account_id: str,
                as_of: dt.date | None = None) -> pd.DataFrame:
    """Monthly MRR of one account from its first month with MRR to the as-of month.

    Columns: month (first day), mrr, index (MRR / first month's MRR × 100).
    """
    params: dict[str, Any] = {"account_id": str(account_id)}
    last = as_of or goals_mod.latest_data_date(con)
    if has_table(con, "mrr"):
        raw = con.execute(
            "SELECT CAST(date_trunc('month', month) AS DATE) AS month, sum(mrr) AS mrr FROM mrr "
            "WHERE account_id = $account_id AND month IS NOT NULL GROUP BY 1 HAVING sum(mrr) <> 0 "
            "ORDER BY 1", params).df()
    elif has_table(con, "subscriptions"):
        cols = set(table_columns(con, "subscriptions"))
        end = "end_date" if "end_date" in cols else "CAST(NULL AS DATE)"
        trial = "AND NOT coalesce(is_trial, FALSE)" if "is_trial" in cols else ""
        params["last"] = last or dt.date.today()
        raw = con.execute(
            f"""WITH s AS (SELECT start_date, {end} AS end_date, mrr FROM subscriptions
                           WHERE account_id = $account_id AND start_date IS NOT NULL
                             AND coalesce(mrr, 0) > 0 {trial}),
                months AS (SELECT CAST(m AS DATE) AS month FROM range(
                             (SELECT date_trunc('month', min(start_date)) FROM s),
                             date_trunc('month', CAST($last AS DATE)) + INTERVAL 1 MONTH,
                             INTERVAL 1 MONTH) t(m))
                SELECT months.month, sum(s.mrr) AS mrr FROM months JOIN s
                  ON s.start_date <= last_day(months.month)
                 AND (s.end_date IS NULL OR s.end_date > last_day(months.month))
                GROUP BY 1 ORDER BY 1""", params).df()
    else:
        return pd.DataFrame(columns=["month", "mrr", "index"])
    if raw.empty:
        return pd.DataFrame(columns=["month", "mrr", "index"])
    raw["month"] = pd.to_datetime(raw["month"])
    end_month = pd.Timestamp(last).to_period("M").to_timestamp() if last else raw["month"].max()
    months = pd.date_range(raw["month"].min(), max(end_month, raw["month"].max()), freq="MS")
    history = raw.set_index("month").reindex(months, fill_value=0.0).rename_axis("month").reset_index()
    first = history.loc[history["mrr"] > 0, "mrr"]
    base = float(first.iloc[0]) if len(first) else None
    history["index"] = history["mrr"] / base * 100 if base else None
    return history


def mrr_change(history: pd.DataFrame, months: int = 12) -> float | None:
    """MRR of the latest month ÷ MRR ``months`` earlier − 1; ``None`` when the earlier is 0
    or not in the history (a change from nothing is not a rate)."""
    if len(history) <= months:
        return None
    earlier = float(history["mrr"].iloc[-1 - months])
    if earlier <= 0:
        return None
    return float(history["mrr"].iloc[-1]) / earlier - 1


# Tickets and voice ----------------------------------------------------------------------
def segment_csat(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None,
                 account_id: str | None = None) -> pd.DataFrame | None:
    """CSAT over the 12 months to the as-of date per segment: (segment, csat_12m).

    All segments in one scan (so a page can cache it), or only ``account_id``'s segment.
    ``None`` without tickets with satisfaction or accounts with a segment.
    """
    if not (has_table(con, "tickets") and "satisfaction" in table_columns(con, "tickets")
            and has_table(con, "accounts") and "segment" in table_columns(con, "accounts")):
        return None
    as_of = as_of or goals_mod.latest_data_date(con) or dt.date.today()
    params: dict[str, Any] = {"as_of": as_of}
    only = ""
    if account_id is not None:
        only = ("AND coalesce(CAST(a.segment AS VARCHAR), '') = (SELECT coalesce(CAST(segment AS VARCHAR), '') "
                "FROM accounts WHERE account_id = $account_id LIMIT 1)")
        params["account_id"] = str(account_id)
    return con.execute(
        f"""SELECT coalesce(CAST(a.segment AS VARCHAR), '') AS segment, avg(t.satisfaction) AS csat_12m
            FROM tickets t JOIN accounts a ON a.account_id = t.account_id
            WHERE t.created_at > CAST($as_of AS TIMESTAMP) - INTERVAL 12 MONTH
              AND t.created_at < CAST($as_of AS TIMESTAMP) + INTERVAL 1 DAY {only}
            GROUP BY 1""", params).df()


def ticket_summary(con: duckdb.DuckDBPyConnection, account_id: str, as_of: dt.date | None = None,
                   peers: pd.DataFrame | None = None) -> dict[str, Any] | None:
    """Support load and satisfaction of one account; ``None`` without a tickets table.

    Keys: total, open, open_urgent (priority rank 1), last_90d, csat_12m, csat_responses,
    peer_csat_12m (same segment, from ``peers`` = :func:`segment_csat` when given),
    median_first_response_min (12 months), monthly (DataFrame month, tickets, urgent) over
    the last 24 months.
    """
    if not has_table(con, "tickets"):
        return None
    cols = set(table_columns(con, "tickets"))
    as_of = as_of or goals_mod.latest_data_date(con) or dt.date.today()
    params = {"account_id": str(account_id), "as_of": as_of}
    open_sql = ("status = 'open'" if "status" in cols
                else ("resolved_at IS NULL" if "resolved_at" in cols else "NULL"))
    urgent = "priority_rank = 1" if "priority_rank" in cols else "NULL"
    csat = "satisfaction" if "satisfaction" in cols else "CAST(NULL AS DOUBLE)"
    frt = "first_response_minutes" if "first_response_minutes" in cols else "CAST(NULL AS DOUBLE)"
    window = "created_at > CAST($as_of AS TIMESTAMP) - INTERVAL 12 MONTH AND created_at < CAST($as_of AS TIMESTAMP) + INTERVAL 1 DAY"
    row = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE {open_sql}),
                   count(*) FILTER (WHERE {open_sql} AND {urgent}),
                   count(*) FILTER (WHERE created_at > CAST($as_of AS TIMESTAMP) - INTERVAL 90 DAY
                                    AND created_at < CAST($as_of AS TIMESTAMP) + INTERVAL 1 DAY),
                   avg({csat}) FILTER (WHERE {window}), count({csat}) FILTER (WHERE {window}),
                   median({frt}) FILTER (WHERE {window})
            FROM tickets WHERE account_id = $account_id""", params).fetchone()
    peer = None
    if peers is None:
        peers = segment_csat(con, as_of, account_id=account_id)
    if peers is not None and not peers.empty:
        seg = con.execute("SELECT coalesce(CAST(segment AS VARCHAR), '') FROM accounts WHERE account_id = ?",
                          [str(account_id)]).fetchone() if has_table(con, "accounts") \
            and "segment" in table_columns(con, "accounts") else None
        mine = peers[peers["segment"] == (seg[0] if seg else "")]
        peer = _none(mine["csat_12m"].iloc[0]) if len(mine) else None
    monthly = con.execute(
        f"""SELECT CAST(date_trunc('month', created_at) AS DATE) AS month, count(*) AS tickets,
                   count(*) FILTER (WHERE {urgent}) AS urgent
            FROM tickets WHERE account_id = $account_id AND created_at IS NOT NULL
              AND created_at > CAST($as_of AS TIMESTAMP) - INTERVAL 24 MONTH
            GROUP BY 1 ORDER BY 1""", params).df()
    if len(monthly):
        # Months inside the span with no ticket are real zeros (nothing was filed).
        months = pd.date_range(pd.to_datetime(monthly["month"]).min(),
                               pd.Timestamp(as_of).to_period("M").to_timestamp(), freq="MS")
        monthly = (monthly.assign(month=pd.to_datetime(monthly["month"])).set_index("month")
                   .reindex(months, fill_value=0).rename_axis("month").reset_index())
    return {
        "total": int(row[0]), "open": int(row[1]) if "status" in cols or "resolved_at" in cols else None,
        "open_urgent": int(row[2]) if "priority_rank" in cols else None,
        "last_90d": int(row[3]), "csat_12m": _none(row[4]), "csat_responses": int(row[5]),
        "peer_csat_12m": peer, "median_first_response_min": _none(row[6]), "monthly": monthly,
    }


def nps_category(score: Any) -> str | None:
    """'promoter' (9–10), 'passive' (7–8), 'detractor' (0–6)."""
    if score is None or pd.isna(score):
        return None
    return "promoter" if score >= 9 else ("passive" if score >= 7 else "detractor")


def nps_history(con: duckdb.DuckDBPyConnection, account_id: str,
                as_of: dt.date | None = None) -> dict[str, Any] | None:
    """NPS responses of one account, newest first; ``None`` without an nps table.

    Keys: responses (DataFrame date, score, category, comment, respondent), nps_12m,
    responses_12m, latest_score, latest_date.
    """
    if not has_table(con, "nps"):
        return None
    cols = set(table_columns(con, "nps"))
    as_of = as_of or goals_mod.latest_data_date(con) or dt.date.today()
    comment = "CAST(comment AS VARCHAR)" if "comment" in cols else "CAST(NULL AS VARCHAR)"
    respondent = "CAST(respondent AS VARCHAR)" if "respondent" in cols else "CAST(NULL AS VARCHAR)"
    responses = con.execute(
        f"""SELECT CAST(date AS DATE) AS date, score, {comment} AS comment, {respondent} AS respondent
            FROM nps WHERE account_id = $account_id AND score IS NOT NULL
            ORDER BY date DESC NULLS LAST""", {"account_id": str(account_id)}).df()
    responses.insert(2, "category", responses["score"].map(nps_category))
    dates = pd.to_datetime(responses["date"])
    recent = responses[(dates > pd.Timestamp(as_of) - pd.DateOffset(months=12)) & (dates <= pd.Timestamp(as_of))]
    nps_value = None
    if len(recent):
        nps_value = 100.0 * ((recent["score"] >= 9).mean() - (recent["score"] <= 6).mean())
    latest = responses.iloc[0] if len(responses) else None
    return {
        "responses": responses,
        "nps_12m": nps_value,
        "responses_12m": int(len(recent)),
        "latest_score": None if latest is None else int(latest["score"]),
        "latest_date": None if latest is None else goals_mod.to_date(latest["date"]),
    }


# Other modules, when present ------------------------------------------------------------
def optional_module(name: str) -> Any:
    try:
        return importlib.import_module(f"cs_metrics.{name}")
    except ImportError:
        return None


def call_optional(func: Callable | None, *args: Any, **kwargs: Any) -> Any:
    """Call another area's function; its absence or failure degrades to ``None``."""
    if func is None:
        return None
    try:
        return func(*args, **kwargs)
    except Exception as exc:  # another area's module must not take this page down
        log.warning("%s failed: %s", getattr(func, "__qualname__", func), exc)
        return None


def _account_scope(account_id: str) -> Scope:
    return Scope.from_dict({"account_id": [str(account_id)]})


def _rows_of(result: Any, account_id: str) -> pd.DataFrame | None:
    """A DataFrame (or list of dicts) narrowed to one account, if it has an account_id."""
    if result is None:
        return None
    frame = result if isinstance(result, pd.DataFrame) else pd.DataFrame(result)
    if "account_id" in frame.columns:
        frame = frame[frame["account_id"].astype(str) == str(account_id)]
    return frame.reset_index(drop=True)


def health_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame | None:
    """Health scores of every account and month (:func:`cs_metrics.health.health_scores`,
    unfiltered). ``None`` when the health module is absent or fails."""
    health = optional_module("health")
    if health is None:
        return None
    return call_optional(getattr(health, "health_scores", None), con)


def account_health_scores(con: duckdb.DuckDBPyConnection, account_id: str) -> pd.DataFrame | None:
    """Health scores of one account in every month (:func:`cs_metrics.health.account_scores`):
    only its own rows are read, and it is compared with the medians of all accounts that the
    workspace keeps from the last scoring of everyone, so the figures equal that account's
    rows of :func:`health_table`. ``None`` when the health module is absent or fails."""
    health = optional_module("health")
    if health is None:
        return None
    return call_optional(getattr(health, "account_scores", None), con, [str(account_id)])


def account_health(con: duckdb.DuckDBPyConnection, account_id: str,
                   scores: pd.DataFrame | None = None) -> dict[str, Any] | None:
    """Health of one account, from the health model's scores; ``None`` when unavailable.

    ``scores`` is :func:`health_table` or :func:`account_health_scores` (the latter is
    computed when not given; pass either in to share a cache). Keys: history (DataFrame month, score, band), score, band (latest month),
    trend (score change over the last three months, None with fewer than four months),
    components (the explanation of the latest score: component, score, weight, points,
    lost; None without the health module's ``explain``), coverage.
    """
    health = optional_module("health")
    if health is None:
        return None
    scores = account_health_scores(con, account_id) if scores is None else scores
    if scores is None or "score" not in scores.columns or "account_id" not in scores.columns:
        return None
    mine = scores[scores["account_id"].astype(str) == str(account_id)]
    if "month" in mine.columns:
        mine = mine.sort_values("month")
    history = mine[[c for c in ("month", "score", "band") if c in mine.columns]].reset_index(drop=True)
    valid = mine.dropna(subset=["score"])
    if valid.empty:
        return None
    latest = valid.iloc[-1]
    earlier = valid.iloc[-4] if len(valid) >= 4 else None
    components = None
    explain = getattr(health, "explain", None)
    settings = call_optional(getattr(health, "health_settings", None), con)
    if explain is not None and settings is not None:
        explanation = call_optional(explain, latest.to_dict(), settings.get("weights"), settings.get("bands"))
        components = getattr(explanation, "contributions", None)
    return {
        "history": history,
        "score": float(latest["score"]),
        "band": _none(latest.get("band")),
        "trend": None if earlier is None else float(latest["score"] - earlier["score"]),
        "components": components,
        "coverage": _none(latest.get("coverage")),
    }


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _bands_at(scores: pd.DataFrame | None, account_id: str, as_of: dt.date) -> pd.DataFrame:
    """The account's health band at the as-of month as the risk and growth modules take it
    (account_id, band, score); empty when health is not scored (they then count it unscored)."""
    empty = pd.DataFrame({"account_id": pd.Series([], dtype="object"), "band": pd.Series([], dtype="object"),
                          "score": pd.Series([], dtype="float64")})
    if scores is None or not {"account_id", "month", "band", "score"} <= set(scores.columns):
        return empty
    month = pd.Timestamp(_month_start(as_of))
    rows = scores[(scores["account_id"].astype(str) == str(account_id))
                  & (pd.to_datetime(scores["month"]) == month) & scores["band"].notna()]
    if rows.empty:
        return empty
    return pd.DataFrame({"account_id": rows["account_id"].astype(str).to_numpy(dtype=object),
                         "band": rows["band"].astype(str).to_numpy(dtype=object),
                         "score": rows["score"].astype("float64").to_numpy()})


def account_risks(con: duckdb.DuckDBPyConnection, account_id: str, as_of: dt.date | None = None,
                  scores: pd.DataFrame | None = None, lang: str = "en") -> pd.DataFrame | None:
    """Risk reasons of one account from :mod:`cs_metrics.risk` at the as-of month, as
    (code, reason) with the reason as a sentence in ``lang``; ``None`` when unavailable.

    The health band comes from ``scores`` (:func:`health_table` or
    :func:`account_health_scores`).
    """
    risk = optional_module("risk")
    func = getattr(risk, "risk_reasons", None) if risk is not None else None
    if func is None:
        return None
    as_of = as_of or goals_mod.latest_data_date(con) or dt.date.today()
    frame = call_optional(func, con, as_of=_month_start(as_of), scope=_account_scope(account_id),
                 bands=_bands_at(scores, account_id, as_of))
    if frame is None:
        return None
    frame = _rows_of(frame, account_id)
    describe = getattr(risk, "describe_reason", None)
    measure = None
    segments = optional_module("segments")
    if segments is not None and hasattr(segments, "level_measure"):
        measure = call_optional(segments.level_measure, con)
    reasons = [(call_optional(describe, row.code, row.value, row.extra, row.note, lang, measure) if describe else None)
               or str(row.code) for row in frame.itertuples()]
    return pd.DataFrame({"code": frame["code"].astype(str).tolist(), "reason": reasons})


def account_opportunities(con: duckdb.DuckDBPyConnection, account_id: str, as_of: dt.date | None = None,
                          scores: pd.DataFrame | None = None, lang: str = "en",
                          risks: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Expansion and advocacy opportunities of one account from :mod:`cs_metrics.growth`:
    (kind 'expansion' / 'advocacy', evidence, expansion_arr); ``None`` when unavailable.

    ``risks`` (from :func:`account_risks`) spares the growth module finding them again.
    """
    growth = optional_module("growth")
    if growth is None:
        return None
    as_of = as_of or goals_mod.latest_data_date(con) or dt.date.today()
    bands = _bands_at(scores, account_id, as_of)
    risky = None
    if risks is not None:
        risky = pd.DataFrame({"account_id": pd.Series([str(account_id)] if len(risks) else [], dtype="object")})
    found = []
    for kind, name in (("expansion", "expansion_candidates"), ("advocacy", "advocacy_candidates")):
        func = getattr(growth, name, None)
        if func is None:
            continue
        frame = call_optional(func, con, as_of=_month_start(as_of), scope=_account_scope(account_id),
                     lang=lang, bands=bands, risky=risky)
        frame = _rows_of(frame, account_id)
        if frame is None:
            continue
        for row in frame.to_dict("records"):
            found.append({"kind": kind, "evidence": row.get("evidence") or row.get("ask"),
                          "expansion_arr": _none(row.get("expansion_arr"))})
    if not found and not any(hasattr(growth, n) for n in ("expansion_candidates", "advocacy_candidates")):
        return None
    return pd.DataFrame(found, columns=["kind", "evidence", "expansion_arr"])


# The whole page -------------------------------------------------------------------------
@dataclass
class AccountView:
    """Everything Account 360 and the QBR deck show for one account."""

    header: dict[str, Any]
    mrr: pd.DataFrame
    northstar: dict[str, Any] | None
    goals: pd.DataFrame
    tickets: dict[str, Any] | None
    nps: dict[str, Any] | None
    health: dict[str, Any] | None
    risks: pd.DataFrame | None
    opportunities: pd.DataFrame | None
    next_steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def account_view(con: duckdb.DuckDBPyConnection, account_id: str, as_of: dt.date | None = None,
                 peers: pd.DataFrame | None = None, health_scores: pd.DataFrame | None = None,
                 with_health: bool = True, lang: str = "en", with_signals: bool = True,
                 csat_peers: pd.DataFrame | None = None,
                 northstar_config: northstar_mod.NorthStarConfig | None = None) -> AccountView | None:
    """The one-pager of ``account_id``; ``None`` when the account is not in the data.

    ``peers`` (:func:`cs_metrics.northstar.peer_medians`), ``csat_peers``
    (:func:`segment_csat`) and ``health_scores`` (:func:`health_table`, or
    :func:`account_health_scores` of this account) are passed in so a page can cache them
    (and ``northstar_config`` when it has loaded it already); without them this account alone
    is scored. ``with_health=False`` skips the health model. ``lang`` is the language of the
    risk and opportunity sentences; ``with_signals=False`` skips risk reasons and
    opportunities.
    """
    if not account_exists(con, account_id):
        return None
    as_of = as_of or goals_mod.latest_data_date(con) or dt.date.today()
    history = mrr_history(con, account_id, as_of=as_of)
    header = account_header(con, account_id, as_of=as_of, history=history)
    if with_health and health_scores is None:
        health_scores = account_health_scores(con, account_id)
    view = AccountView(
        header=header,
        mrr=history,
        northstar=northstar_mod.account_northstar(con, account_id, config=northstar_config, peers=peers),
        goals=goals_mod.goal_attainment(con, account_id=account_id, as_of=as_of),
        tickets=ticket_summary(con, account_id, as_of=as_of, peers=csat_peers),
        nps=nps_history(con, account_id, as_of=as_of),
        health=account_health(con, account_id, health_scores) if with_health else None,
        risks=None,
        opportunities=None,
    )
    if with_signals:
        scores = health_scores if with_health else None
        view.risks = account_risks(con, account_id, as_of, scores, lang)
        view.opportunities = account_opportunities(con, account_id, as_of, scores, lang, risks=view.risks)
    view.next_steps = next_steps(view, lang)
    return view


RENEWAL_HORIZON_DAYS = 120


def next_steps(view: AccountView, lang: str = "en") -> list[tuple[str, dict[str, Any]]]:
    """Concrete next steps read off the data, as (message key, format values).

    Rules, in order of urgency: a renewal within 120 days; each goal behind schedule
    (attainment below the elapsed share of time); each goal missed; a North Star below its
    target; urgent tickets open; a detractor as latest NPS answer; a red health band;
    the other risk reasons; expansion and advocacy opportunities; goals achieved (to
    celebrate in the review).
    """
    steps: list[tuple[str, dict[str, Any]]] = []
    header = view.header
    days = header.get("days_to_renewal")
    if header.get("status") != "churned" and days is not None and 0 <= days <= RENEWAL_HORIZON_DAYS:
        steps.append(("account.step.renewal", {"days": days, "date": str(header["renewal_date"])}))
    for row in view.goals.itertuples():
        if row.state == "behind":
            steps.append(("account.step.goal_behind", {
                "goal": row.goal, "attainment": round(100 * row.attainment),
                "elapsed": round(100 * row.elapsed_share)}))
        elif row.state == "missed":
            steps.append(("account.step.goal_missed", {"goal": row.goal, "attainment": round(100 * row.attainment)}))
    ns = view.northstar
    if ns and ns.get("reaching") is False:
        steps.append(("account.step.northstar_below",
                      {"metric": northstar_mod.measure_label(ns["config"].metric, lang)}))
    if view.tickets and view.tickets.get("open_urgent"):
        steps.append(("account.step.urgent_tickets", {"n": view.tickets["open_urgent"]}))
    if view.nps and view.nps.get("latest_score") is not None and view.nps["latest_score"] <= 6:
        steps.append(("account.step.detractor", {"score": view.nps["latest_score"]}))
    if view.health and view.health.get("band") == "red":
        steps.append(("account.step.health_red", {}))
    covered = {"p1_open", "detractor", "red_health", "renewal_soon"}  # already a step above
    if view.risks is not None:
        for row in view.risks.itertuples():
            if row.code not in covered:
                steps.append(("account.step.risk_reason", {"reason": row.reason}))
    if view.opportunities is not None:
        for row in view.opportunities.itertuples():
            steps.append((f"account.step.{row.kind}", {"evidence": row.evidence or ""}))
    achieved = int((view.goals["state"] == "achieved").sum()) if len(view.goals) else 0
    if achieved:
        steps.append(("account.step.celebrate", {"n": achieved}))
    return steps
