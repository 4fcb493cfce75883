"""The risk register: every active account with a reason to worry, and the ARR behind it.

Seed 001 rates risk management from "none" to "active risk alerts": risks found
proactively, by rules everybody can read. Each rule below gives an account a **reason**
(a code, the numbers behind it, and a translated sentence). Thresholds are the user's
(workspace setting ``risk.rules``, merged over :data:`DEFAULT_RULES`); a rule whose data
is not loaded simply finds nothing. Everything is measured at the as-of month (default:
the latest month of the data), "as-of date" being its last day.

==================  ==========================================================================
code                the account is flagged when …
==================  ==========================================================================
``red_health``      its computed health band at the as-of month is red (cs_metrics.health)
``manual_red``      the CSM's own colour (``accounts.manual_health``) is red — kept beside the
                    computed band, never in place of it
``notice``          it has given notice (status 'notice' / 'cancelling')
``usage_drop``      usage fell by ≥ ``min_drop`` (default 30 %) over 3 months: the level of the
                    last 28 days against the 28 days ending 91 days earlier (see
                    :func:`cs_metrics.segments.usage_trend_sql`; North Star, else active users)
``detractor``       its latest NPS answer in the last ``months`` (12) is a detractor (0–6)
``p1_open``         it has ≥ ``min_tickets`` (1) urgent (priority rank 1) tickets open at the
                    as-of date
``ticket_aging``    it has a ticket open at the as-of date for more than ``days`` (14) days
``renewal_soon``    its next renewal falls within ``days`` (90) days after the as-of date and
                    its health band is not green (yellow, red or unscored)
``overdue``         payment is overdue, from an accounts column where present: days overdue
                    ≥ ``days`` (30), an overdue flag, or a payment status such as overdue /
                    late / collections / unpaid
==================  ==========================================================================

A ticket is open at the as-of date when it was created by then and was resolved after it
(or is unresolved and its status is not 'closed'). The next renewal is the recorded
renewal date, or — when that date has passed and the account still pays — the date
rolled forward by whole contract terms (12 months).

**ARR flagged** = Σ ARR of the active accounts with at least one reason (each account
once). Note it is wider than docs/metrics.md's *ARR at risk* (red band only), which is
the ARR of the ``red_health`` reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import duckdb
import pandas as pd

from cs_metrics import formatting
from cs_metrics.errors import InputError
from cs_metrics.i18n import t
from cs_metrics.scope import Scope, quote_ident
from cs_metrics.segments import (
    _empty_bands, _nullify, account_bands, account_base_sql, column_names, execute, has_table,
    level_measure, month_end, one_schema_read, read_setting, registered, resolve_as_of, scope_filter,
    sql_text, template_sql, usage_trend_sql,
)

SETTING_RULES = "risk.rules"
RULE_CODES = ("red_health", "manual_red", "notice", "usage_drop", "detractor", "p1_open",
              "ticket_aging", "renewal_soon", "overdue")
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "red_health": {"enabled": True},
    "manual_red": {"enabled": True},
    "notice": {"enabled": True},
    "usage_drop": {"enabled": True, "min_drop": 0.30},
    "detractor": {"enabled": True, "months": 12},
    "p1_open": {"enabled": True, "min_tickets": 1},
    "ticket_aging": {"enabled": True, "days": 14},
    "renewal_soon": {"enabled": True, "days": 90},
    "overdue": {"enabled": True, "days": 30},
}
# (rule, parameter) -> (lowest, highest) allowed value.
LIMITS = {("usage_drop", "min_drop"): (0.01, 1.0), ("detractor", "months"): (1, 60),
          ("p1_open", "min_tickets"): (1, 1000), ("ticket_aging", "days"): (1, 3650),
          ("renewal_soon", "days"): (1, 730), ("overdue", "days"): (1, 3650)}
TERM_MONTHS = 12
OVERDUE_DAYS_COLUMNS = ("days_overdue", "overdue_days", "days_past_due", "past_due_days", "dpd")
OVERDUE_FLAG_COLUMNS = ("overdue", "is_overdue", "payment_overdue", "past_due", "is_past_due")
PAYMENT_STATUS_COLUMNS = ("payment_status", "billing_status", "invoice_status", "collection_status")
_OVERDUE_STATUS = ("overdue", "late", "past due", "past_due", "collections", "unpaid", "failed",
                   "defaulted", "suspended", "逾期", "欠费", "催收", "未付", "坏账")
_TRUE = ("true", "yes", "y", "1", "是", "overdue", "t")
_MANUAL_RED = ("red", "红", "红色")

REASON_COLUMNS = ["account_id", "code", "value", "extra", "note", "arr"]
REGISTER_COLUMNS = ["account_id", "account_name", "owner", "segment", "arr", "band", "renewal_date",
                    "reason_count", "reason_codes", "reasons"]


# Rules -------------------------------------------------------------------------------
def validate_rules(rules: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The rules to apply: ``rules`` (partial is fine) merged over :data:`DEFAULT_RULES`.

    Unknown rules are refused; every threshold must be a number in its allowed range.
    """
    merged = {code: dict(values) for code, values in DEFAULT_RULES.items()}
    for code, values in (rules or {}).items():
        if code not in DEFAULT_RULES:
            raise InputError(f"'{code}' is not a risk rule (rules: {', '.join(RULE_CODES)}).")
        if not isinstance(values, dict):
            raise InputError(f"Risk rule '{code}' needs its settings as a mapping.")
        for key, value in values.items():
            if key == "enabled":
                merged[code]["enabled"] = bool(value)
                continue
            if key not in DEFAULT_RULES[code]:
                raise InputError(f"Risk rule '{code}' has no setting '{key}'.")
            lo, hi = LIMITS[(code, key)]
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise InputError(f"Risk rule '{code}': '{key}' must be a number, not {value!r}.") from None
            if not lo <= number <= hi:
                raise InputError(f"Risk rule '{code}': '{key}' must lie between {lo} and {hi} (got {number}).")
            merged[code][key] = number
    return merged


def saved_rules(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """The workspace's rules (setting ``risk.rules``), the defaults where unset or invalid."""
    saved = read_setting(con, SETTING_RULES)
    try:
        return validate_rules(saved if isinstance(saved, dict) else None)
    except InputError:
        return validate_rules(None)


def next_renewal_sql(column: str, end_param: str, term_months: int = TERM_MONTHS) -> str:
    """The next renewal after the as-of date: ``column`` when later, else rolled forward by terms."""
    rolled = (f"CAST({column} + to_months(CAST({term_months} * (floor(datediff('month', {column}, ${end_param}) "
              f"/ {term_months}) + 1) AS INTEGER)) AS DATE)")
    return (f"CASE WHEN {column} IS NULL THEN NULL WHEN {column} > ${end_param} THEN {column} "
            f"WHEN {rolled} > ${end_param} THEN {rolled} "
            f"ELSE CAST({rolled} + to_months({term_months}) AS DATE) END")


def _overdue_sql(acols: set[str], days_param: str) -> tuple[str, str, str] | None:
    """(condition on accounts ``a`` meaning "payment overdue", the column it reads, its kind)."""
    for col in OVERDUE_DAYS_COLUMNS:
        if col in acols:
            return f"TRY_CAST(a.{quote_ident(col)} AS DOUBLE) >= ${days_param}", col, "days"
    for col in OVERDUE_FLAG_COLUMNS:
        if col in acols:
            values = ", ".join(f"'{v}'" for v in _TRUE)
            return f"lower(trim(CAST(a.{quote_ident(col)} AS VARCHAR))) IN ({values})", col, "flag"
    for col in PAYMENT_STATUS_COLUMNS:
        if col in acols:
            values = ", ".join(f"'{v}'" for v in _OVERDUE_STATUS)
            return f"lower(trim(CAST(a.{quote_ident(col)} AS VARCHAR))) IN ({values})", col, "status"
    return None


def _reason_queries(con: duckdb.DuckDBPyConnection, rules: dict[str, dict[str, Any]], month: dt.date,
                    bands_view: str, has_bands: bool, trend_view: str | None = None,
                    scope: Scope | None = None) -> tuple[list[str], dict[str, Any], list[str]]:
    """One SELECT (account_id, code, value, extra, note) per applicable enabled rule, their
    parameters, and the CTEs they read (``name AS (…)``, to put in front of the query).

    ``trend_view`` names an already computed usage trend (with ``lvl_*`` columns of the
    level measure), so a caller that needs the trend too scans the usage table once.
    Every table is read for the accounts in ``scope`` only, before anything is grouped,
    so a one-account call reads one account's rows.
    """
    end = month_end(month)
    in_scope, scope_params = scope_filter(con, scope)
    params: dict[str, Any] = {"rk_end": end, "rk_end_ts": dt.datetime.combine(end, dt.time.max), **scope_params}
    parts: list[str] = []
    ctes: list[str] = []
    acols = set(column_names(con, "accounts"))

    def on(code: str) -> bool:
        return bool(rules[code]["enabled"])

    def part(code: str, select: str) -> None:
        parts.append(f"SELECT account_id, '{code}' AS code, CAST(value AS DOUBLE) AS value, "
                     f"CAST(extra AS DOUBLE) AS extra, CAST(note AS VARCHAR) AS note FROM ({select})")

    if on("red_health") and has_bands:
        part("red_health", f"SELECT account_id, score AS value, NULL AS extra, NULL AS note "
                           f"FROM {bands_view} WHERE band = 'red' AND {in_scope}")
    if on("manual_red") and "manual_health" in acols:
        values = ", ".join(f"'{v}'" for v in _MANUAL_RED)
        part("manual_red", f"SELECT account_id, NULL AS value, NULL AS extra, NULL AS note FROM accounts a "
                           f"WHERE lower(trim(CAST(manual_health AS VARCHAR))) IN ({values}) AND {in_scope}")
    if on("notice") and "status" in acols:
        part("notice", "SELECT account_id, NULL AS value, NULL AS extra, NULL AS note FROM accounts "
                       "WHERE lower(trim(CAST(status AS VARCHAR))) IN ('notice', 'cancelling', '已提出解约') "
                       f"AND {in_scope}")
    measure = level_measure(con)
    if on("usage_drop") and measure:
        if trend_view is not None:
            trend_sql, trend_params = f"SELECT * FROM {trend_view}", {}
        else:
            trend_sql, trend_params = usage_trend_sql(con, {"lvl": measure}, month, prefix="rk_trend",
                                                      scope=scope)
        if trend_sql:
            params.update(trend_params)
            params["rk_min_drop"] = float(rules["usage_drop"]["min_drop"])
            part("usage_drop", f"SELECT account_id, -lvl_change AS value, lvl_baseline AS extra, "
                               f"CAST(lvl_recent AS VARCHAR) AS note FROM ({trend_sql}) "
                               f"WHERE lvl_baseline > 0 AND lvl_change <= -$rk_min_drop")
    if on("detractor") and has_table(con, "nps") and {"date", "score"} <= set(column_names(con, "nps")):
        params["rk_nps_from"] = end - dt.timedelta(days=round(30.4375 * rules["detractor"]["months"]))
        part("detractor", "SELECT account_id, arg_max(score, (date, -score)) AS value, NULL AS extra, "
                          "CAST(max(CAST(date AS DATE)) AS VARCHAR) AS note FROM nps "
                          "WHERE account_id IS NOT NULL AND score IS NOT NULL "
                          "AND CAST(date AS DATE) > $rk_nps_from AND CAST(date AS DATE) <= $rk_end "
                          f"AND {in_scope} GROUP BY account_id HAVING arg_max(score, (date, -score)) <= 6")
    open_sql = _open_tickets_sql(con, in_scope)
    p1 = open_sql and on("p1_open") and "priority_rank" in column_names(con, "tickets")
    aging = open_sql and on("ticket_aging")
    if p1 and aging:
        # Both rules read the open tickets: read them once.
        ctes.append(f"open_tickets AS MATERIALIZED ({open_sql})")
        open_sql = "SELECT * FROM open_tickets"
    if p1:
        params["rk_min_p1"] = int(rules["p1_open"]["min_tickets"])
        part("p1_open", f"SELECT account_id, count(*) AS value, max(age_days) AS extra, NULL AS note "
                        f"FROM ({open_sql}) WHERE priority_rank = 1 GROUP BY account_id "
                        f"HAVING count(*) >= $rk_min_p1")
    if aging:
        params["rk_age"] = int(rules["ticket_aging"]["days"])
        part("ticket_aging", f"SELECT account_id, count(*) AS value, max(age_days) AS extra, NULL AS note "
                             f"FROM ({open_sql}) WHERE age_days > $rk_age GROUP BY account_id")
    if on("renewal_soon") and "renewal_date" in acols:
        params["rk_renew_by"] = end + dt.timedelta(days=int(rules["renewal_soon"]["days"]))
        nxt = next_renewal_sql("CAST(a.renewal_date AS DATE)", "rk_end")
        part("renewal_soon", f"SELECT a.account_id, datediff('day', $rk_end, nr) AS value, NULL AS extra, "
                             f"coalesce(hb.band, 'unscored') AS note "
                             f"FROM (SELECT account_id, {nxt} AS nr FROM accounts a WHERE {in_scope}) a "
                             f"LEFT JOIN {bands_view} hb USING (account_id) "
                             f"WHERE nr <= $rk_renew_by AND hb.band IS DISTINCT FROM 'green'")
    overdue = _overdue_sql(acols, "rk_overdue_days") if on("overdue") else None
    if overdue:
        condition, column, kind = overdue
        params["rk_overdue_days"] = float(rules["overdue"]["days"])
        value = f"TRY_CAST(a.{quote_ident(column)} AS DOUBLE)" if kind == "days" else "NULL"
        part("overdue", f"SELECT account_id, {value} AS value, NULL AS extra, "
                        f"CAST(a.{quote_ident(column)} AS VARCHAR) AS note FROM accounts a "
                        f"WHERE {condition} AND {in_scope}")
    return parts, params, ctes


def _open_tickets_sql(con: duckdb.DuckDBPyConnection, where: str = "TRUE") -> str | None:
    """Tickets open at the as-of date ($rk_end_ts) with their age in days (``where``: the scope)."""
    if not has_table(con, "tickets"):
        return None
    cols = set(column_names(con, "tickets"))
    if "created_at" not in cols:
        return None
    rank = "priority_rank" if "priority_rank" in cols else "CAST(NULL AS INTEGER) AS priority_rank"
    status_open = ("lower(trim(CAST(status AS VARCHAR))) IS DISTINCT FROM 'closed'" if "status" in cols else "TRUE")
    if "resolved_at" in cols:
        still_open = f"(resolved_at > $rk_end_ts OR (resolved_at IS NULL AND {status_open}))"
    else:
        still_open = status_open
    return (f"SELECT account_id, {rank}, datediff('day', CAST(created_at AS TIMESTAMP), $rk_end_ts) AS age_days "
            f"FROM tickets WHERE account_id IS NOT NULL AND CAST(created_at AS TIMESTAMP) <= $rk_end_ts "
            f"AND {still_open} AND {where}")


# The register ------------------------------------------------------------------------
@one_schema_read
def risk_reasons(con: duckdb.DuckDBPyConnection, as_of: Any = None, rules: dict[str, Any] | None = None,
                 scope: Scope | None = None, bands: pd.DataFrame | None = None,
                 trend: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (active account, reason): account_id, code, value, extra, note, arr.

    ``value`` / ``extra`` / ``note`` are the numbers behind the reason (health score; usage
    drop as a fraction, baseline level and recent level; NPS score and answer date; open
    ticket count and oldest age in days; days to renewal and band; days overdue or the
    overdue column's text). ``rules`` default to the workspace's saved rules. ``bands`` and
    ``trend`` (the level measure's trend, columns ``account_id`` and ``lvl_*`` of
    :func:`cs_metrics.segments.usage_trend_sql`) are computed here unless given.
    """
    month = resolve_as_of(con, as_of)
    base_sql, base_params = account_base_sql(con, scope, month, prefix="rk_base")
    if month is None or base_sql is None:
        return pd.DataFrame(columns=REASON_COLUMNS)
    applied = validate_rules(rules) if rules is not None else saved_rules(con)
    if bands is None:
        bands = account_bands(con, month, scope)
    with registered(con, bands if bands is not None else _empty_bands(), "rk_bands") as view, \
            contextlib.ExitStack() as stack:
        trend_view = stack.enter_context(registered(con, trend, "rk_trend_given")) if trend is not None else None
        parts, params, ctes = _reason_queries(con, applied, month, view, bands is not None, trend_view, scope)
        if not parts:
            return pd.DataFrame(columns=REASON_COLUMNS)
        order = "CASE r.code " + " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(RULE_CODES)) + " END"
        shared = "".join(c + ", " for c in ctes)
        frame = execute(
            con, f"""WITH {shared}b AS (SELECT account_id, arr FROM ({base_sql}) WHERE is_active),
                     r AS ({' UNION ALL '.join(parts)})
                SELECT r.account_id, r.code, r.value, r.extra, r.note, b.arr
                FROM r JOIN b USING (account_id)
                ORDER BY b.arr DESC, r.account_id, {order}""", {**params, **base_params}).df()
    return frame[REASON_COLUMNS]


def arr_at_risk_by_reason(reasons: pd.DataFrame) -> pd.DataFrame:
    """Accounts and ARR flagged by each rule (an account counts under each of its reasons).

    Columns: code, accounts, arr; in rule order, rules that found nothing left out.
    """
    if reasons.empty:
        return pd.DataFrame({"code": pd.Series(dtype="object"), "accounts": pd.Series(dtype="int64"),
                             "arr": pd.Series(dtype="float64")})
    grouped = (reasons.groupby("code", as_index=False)
               .agg(accounts=("account_id", "nunique"), arr=("arr", "sum")))
    grouped["_o"] = grouped["code"].map({c: i for i, c in enumerate(RULE_CODES)})
    return grouped.sort_values("_o").drop(columns="_o").reset_index(drop=True)


def risk_totals(reasons: pd.DataFrame) -> dict[str, Any]:
    """``{"accounts", "arr"}``: accounts with at least one reason and their ARR, each once."""
    once = reasons.drop_duplicates("account_id")
    return {"accounts": int(len(once)), "arr": float(once["arr"].fillna(0).sum())}


def describe_reason(code: str, value: Any, extra: Any, note: Any, lang: str = "en",
                    measure: str | None = None) -> str:
    """The reason as one translated sentence, with its numbers."""
    def num(v: Any, decimals: int = 0) -> str:
        return formatting.number(v, lang, decimals=decimals)

    if code == "red_health":
        return t("risk.reason.red_health", lang, score=num(value))
    if code == "usage_drop":
        return t("risk.reason.usage_drop", lang, drop=formatting.pct(value, lang, decimals=0),
                 before=num(extra, 1), now=num(_float(note), 1), measure=_measure_label(measure, lang))
    if code == "detractor":
        return t("risk.reason.detractor", lang, score=num(value), date=str(note or "")[:10])
    if code == "p1_open":
        return t("risk.reason.p1_open", lang, n=num(value), days=num(extra))
    if code == "ticket_aging":
        return t("risk.reason.ticket_aging", lang, n=num(value), days=num(extra))
    if code == "renewal_soon":
        band = note if note in ("green", "yellow", "red", "unscored") else "unscored"
        return t("risk.reason.renewal_soon", lang, days=num(value), band=t(f"band.{band}", lang))
    if code == "overdue":
        if value is not None and not formatting.is_missing(value):
            return t("risk.reason.overdue_days", lang, days=num(value))
        return t("risk.reason.overdue", lang, status=str(note or ""))
    return t(f"risk.reason.{code}", lang)


def _none(value: Any) -> Any:
    """NaN / NA -> None, anything else unchanged."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _measure_label(measure: str | None, lang: str) -> str:
    from cs_metrics.i18n import has

    if not measure:
        return ""
    key = f"col.{measure}"
    return t(key, lang) if has(key) else measure


@one_schema_read
def risk_register(con: duckdb.DuckDBPyConnection, as_of: Any = None, rules: dict[str, Any] | None = None,
                  scope: Scope | None = None, lang: str = "en",
                  bands: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per flagged active account, largest ARR first.

    Columns: account_id, account_name, owner, segment, arr, band (computed health band or
    None), renewal_date (the next renewal), reason_count, reason_codes (comma-separated, in
    rule order), reasons (the sentences, joined with "; ").
    """
    month = resolve_as_of(con, as_of)
    if bands is None and month is not None:
        bands = account_bands(con, month, scope)
    reasons = risk_reasons(con, month, rules, scope, bands=bands)
    return register_from_reasons(con, reasons, month, bands, lang)


def _template_sql(key: str, lang: str, **fields: str) -> str:
    """The translated sentence ``key`` as a SQL expression (see :func:`segments.template_sql`)."""
    return template_sql(t(key, lang), **fields)


def _missing_sql(expr: str) -> str:
    return f"(({expr}) IS NULL OR isnan({expr}))"


def _number_sql(expr: str, lang: str, decimals: int = 0) -> str:
    """:func:`cs_metrics.formatting.number` in SQL (DuckDB's format() rounds as Python does)."""
    value = f"CAST({expr} AS DOUBLE)"
    return (f"CASE WHEN {_missing_sql(value)} THEN {sql_text(t('common.na', lang))} "
            f"WHEN isinf({value}) THEN {sql_text(t('common.unbounded', lang))} "
            f"ELSE format('{{:,.{decimals}f}}', {value}) END")


def _pct_sql(expr: str, lang: str, decimals: int = 0) -> str:
    """:func:`cs_metrics.formatting.pct` in SQL."""
    value = f"CAST({expr} AS DOUBLE)"
    return (f"CASE WHEN {_missing_sql(value)} THEN {sql_text(t('common.na', lang))} "
            f"ELSE format('{{:.{decimals}f}}%', {value} * 100) END")


def sentence_sql(lang: str = "en", measure: str | None = None, alias: str = "r") -> str:
    """:func:`describe_reason` as one SQL expression over a reasons relation ``alias``
    (columns code, value, extra, note), so a whole register is worded in the query that
    groups it: the same sentences, with no Python per reason (a test checks they agree)."""
    code, value, extra, note = (f"{alias}.{c}" for c in ("code", "value", "extra", "note"))
    empty = "''"
    band = "CASE " + " ".join(f"WHEN {note} = '{b}' THEN {sql_text(t(f'band.{b}', lang))}"
                              for b in ("green", "yellow", "red")) + f" ELSE {sql_text(t('band.unscored', lang))} END"
    whens = {
        "red_health": _template_sql("risk.reason.red_health", lang, score=_number_sql(value, lang)),
        "usage_drop": _template_sql("risk.reason.usage_drop", lang, drop=_pct_sql(value, lang),
                                    before=_number_sql(extra, lang, 1),
                                    now=_number_sql(f"TRY_CAST({note} AS DOUBLE)", lang, 1),
                                    measure=sql_text(_measure_label(measure, lang))),
        "detractor": _template_sql("risk.reason.detractor", lang, score=_number_sql(value, lang),
                                   date=f"left(coalesce({note}, {empty}), 10)"),
        "p1_open": _template_sql("risk.reason.p1_open", lang, n=_number_sql(value, lang),
                                 days=_number_sql(extra, lang)),
        "ticket_aging": _template_sql("risk.reason.ticket_aging", lang, n=_number_sql(value, lang),
                                      days=_number_sql(extra, lang)),
        "renewal_soon": _template_sql("risk.reason.renewal_soon", lang, days=_number_sql(value, lang), band=band),
        "overdue": (f"CASE WHEN NOT {_missing_sql(f'CAST({value} AS DOUBLE)')} THEN "
                    f"{_template_sql('risk.reason.overdue_days', lang, days=_number_sql(value, lang))} "
                    f"ELSE {_template_sql('risk.reason.overdue', lang, status=f'coalesce({note}, {empty})')} END"),
    }
    cases = " ".join(f"WHEN {code} = '{c}' THEN {whens[c] if c in whens else sql_text(t(f'risk.reason.{c}', lang))}"
                     for c in RULE_CODES)
    return f"CASE {cases} ELSE concat('risk.reason.', {code}) END"


@one_schema_read
def register_from_reasons(con: duckdb.DuckDBPyConnection, reasons: pd.DataFrame, month: dt.date | None,
                          bands: pd.DataFrame | None, lang: str = "en") -> pd.DataFrame:
    """The register (see :func:`risk_register`) from already computed reasons, worded and
    grouped per account in one query."""
    if reasons.empty or month is None:
        return pd.DataFrame(columns=REGISTER_COLUMNS)
    acols = set(column_names(con, "accounts"))
    labels = ", ".join(f"CAST(a.{c} AS VARCHAR) AS {c}" if c in acols else f"CAST(NULL AS VARCHAR) AS {c}"
                       for c in ("account_name", "owner", "segment"))
    renewal = (next_renewal_sql("CAST(a.renewal_date AS DATE)", "lbl_end") if "renewal_date" in acols
               else "CAST(NULL AS DATE)")
    order = "CASE r.code " + " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(RULE_CODES)) + " END"
    with registered(con, reasons[["account_id", "code", "value", "extra", "note", "arr"]], "rk_reasons") as rview, \
            registered(con, bands if bands is not None else _empty_bands(), "rk_reg_bands") as bview:
        frame = execute(con, f"""
            WITH g AS (
                SELECT r.account_id, any_value(r.arr) AS arr, count(*) AS reason_count,
                       string_agg(r.code, ', ' ORDER BY {order}) AS reason_codes,
                       string_agg({sentence_sql(lang, level_measure(con))}, '; ' ORDER BY {order}) AS reasons
                FROM {rview} r GROUP BY r.account_id),
            a AS (SELECT account_id, {labels}, {renewal} AS renewal_date
                  FROM accounts a WHERE account_id IN (SELECT account_id FROM g)
                  QUALIFY row_number() OVER (PARTITION BY account_id) = 1)
            SELECT g.account_id, a.account_name, a.owner, a.segment, g.arr, hb.band, a.renewal_date,
                   g.reason_count, g.reason_codes, g.reasons
            FROM g LEFT JOIN a USING (account_id) LEFT JOIN {bview} hb USING (account_id)
            ORDER BY g.arr DESC, g.account_id""", {"lbl_end": month_end(month)}).df()
    return _nullify(frame[REGISTER_COLUMNS])


@one_schema_read
def risk_overview(con: duckdb.DuckDBPyConnection, as_of: Any = None, rules: dict[str, Any] | None = None,
                  scope: Scope | None = None, lang: str = "en") -> dict[str, Any]:
    """Everything the risk section shows, from one pass over the rules.

    ``{"as_of", "reasons", "register", "by_reason", "flagged_accounts", "flagged_arr",
    "active_accounts", "active_arr", "red_arr", "health_available", "rules"}``. ``red_arr``
    is docs/metrics.md's ARR at risk (red band; None without a health model).
    """
    month = resolve_as_of(con, as_of)
    applied = validate_rules(rules) if rules is not None else saved_rules(con)
    bands = account_bands(con, month, scope) if month is not None else None
    reasons = risk_reasons(con, month, applied, scope, bands=bands)
    totals = risk_totals(reasons)
    base_sql, params = account_base_sql(con, scope, month, prefix="ov_base")
    active, red_arr = (0, 0.0), None
    if base_sql is not None:
        with registered(con, bands if bands is not None else _empty_bands(), "ov_bands") as view:
            row = execute(con, f"SELECT count(*), coalesce(sum(arr), 0), "
                               f"coalesce(sum(arr) FILTER (WHERE hb.band = 'red'), 0) "
                               f"FROM ({base_sql}) b LEFT JOIN {view} hb USING (account_id) WHERE b.is_active",
                          params).fetchall()[0]
        active = (int(row[0]), float(row[1]))
        red_arr = float(row[2]) if bands is not None else None
    return {"as_of": month, "reasons": reasons, "register": register_from_reasons(con, reasons, month, bands, lang),
            "by_reason": arr_at_risk_by_reason(reasons), "flagged_accounts": totals["accounts"],
            "flagged_arr": totals["arr"], "active_accounts": active[0], "active_arr": active[1],
            "red_arr": red_arr, "health_available": bands is not None, "rules": applied}


# Export ------------------------------------------------------------------------------
def export_frame(register: pd.DataFrame, lang: str = "en", currency: str = "") -> pd.DataFrame:
    """The register with translated column headers, ready for CSV / Excel."""
    from cs_metrics.i18n import has

    out = register.copy()
    if "band" in out:
        out["band"] = [t(f"band.{b}", lang) if isinstance(b, str) else t("band.unscored", lang)
                       for b in out["band"]]
    if "renewal_date" in out:
        out["renewal_date"] = [None if v is None or pd.isna(v) else str(v)[:10] for v in out["renewal_date"]]
    headers = {}
    for col in out.columns:
        key = f"risk.col.{col}"
        headers[col] = t(key, lang) if has(key) else (t(f"col.{col}", lang) if has(f"col.{col}") else col)
    if currency and "arr" in headers:
        headers["arr"] = f"{headers['arr']} ({currency})"
    return out.rename(columns=headers)


def export_csv(register: pd.DataFrame, lang: str = "en", currency: str = "") -> bytes:
    """The register as UTF-8 CSV; text that would run as a formula is written as text."""
    from cs_metrics.export import to_csv_bytes

    return to_csv_bytes(export_frame(register, lang, currency))


def export_xlsx(register: pd.DataFrame, by_reason: pd.DataFrame | None = None, lang: str = "en",
                currency: str = "") -> bytes:
    """The register (and the ARR by reason) as an Excel workbook, formula-injection safe."""
    from cs_metrics.export import to_xlsx_bytes

    sheets = {t("risk.sheet.register", lang): export_frame(register, lang, currency)}
    if by_reason is not None:
        frame = by_reason.assign(code=[t(f"risk.rule.{c}", lang) for c in by_reason["code"]])
        sheets[t("risk.sheet.by_reason", lang)] = export_frame(frame, lang, currency)
    arr_header = t("risk.col.arr", lang) + (f" ({currency})" if currency else "")
    return to_xlsx_bytes(sheets, {name: {arr_header: "#,##0"} for name in sheets})
