"""Health: a 0–100 score per account and month, its explanation, and proof that it predicts churn.

The score of account *a* in month *m* is the weighted mean of the component scores that
the workspace's data can support (each 0–100, by the visible rules in :data:`RULES`)::

    score(a, m) = Σ_i w_i · s_i(a, m) / Σ_i w_i        over components i with data for (a, m)

so a missing input drops out and its weight is spread over the others in proportion.
**Coverage** = Σ w_i over the components with data ÷ Σ w_i over all components with a
weight: the share of the model that stands behind the score.

Components (each scored 0–100; "month end" is the last day of *m*):

* ``usage_level`` — usage per seat in the month (events, else active users, per reported
  date of the usage table, ÷ seats) against the median account that month: none → 0,
  the median → 50, twice the median or more → 100 (linear: 50 × usage ÷ median).
* ``usage_trend`` — usage in the month against the account's own average of the 3 months
  before: ratio ≥ 1 → 100, 0.75 → 50, ≤ 0.5 → 0 (linear: 200 × (ratio − 0.5)).
  No usage now and before → 0; no earlier month → no score.
* ``breadth`` — average active users ÷ seats; 80 % or more → 100, linear to 0.
* ``northstar`` — the North Star measure (setting ``northstar`` = a usage column; default
  the first extra numeric usage column, e.g. ``reports_created``) per seat, against the
  median account that month (like ``usage_level``).
* ``support`` — 100 − 25 per urgent (P1) ticket open at month end − 10 per other ticket
  open at month end for more than 14 days − 5 per ticket opened in the month, floored at 0.
* ``csat`` — mean ticket satisfaction over the last 6 months, rescaled from the data's
  scale (0–1, 1–5, 0–10 or 0–100, read from the data) to 0–100.
* ``nps`` — the account's latest NPS answer (mean of the month's answers) in the last 12
  months × 10.
* ``recency`` — days from the last usage with any activity to month end: ≤ 7 days → 100,
  ≥ 60 days → 0, linear between; never active → 0.
* ``payment`` — from an accounts column where present: days overdue (0 → 100, ≥ 60 → 0),
  an overdue flag (yes → 0, no → 100) or a payment status (paid/current → 100, overdue/late
  → 25, collections/unpaid/failed → 0). A snapshot: scored in the latest month only.
* ``goals`` — mean attainment of the account's goals: (current − baseline) ÷ (target −
  baseline), clipped to 0…1, × 100 (status achieved 100 / on track 75 / at risk 35 /
  missed 0 where the numbers are missing). A snapshot: scored in the latest month only.

Usage, tickets and NPS count only inside the months their table covers; inside that
range an account with no rows has none (no usage is a usage level of 0, no tickets is
a support score of 100).

Bands: green ≥ 70, yellow 40–69.99, red < 40 (movable). A CSM's manual colour
(``accounts.manual_health``) is reported beside the computed band, never in place of it.

The model is judged by what it predicts (:func:`backtest`): for every month, the score
against churn within the next N months (churn = MRR drops to 0, or the churn date),
as an AUC and the churn rate of each band.

>>> scored = apply_weights(pd.DataFrame({"usage_level": [80.0], "support": [40.0], "nps": [np.nan]}),
...                        {"usage_level": 3, "support": 1, "nps": 1})
>>> round(float(scored.loc[0, "score"]), 1), round(float(scored.loc[0, "coverage"]), 2)
(70.0, 0.8)
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd

from cs_metrics import derived
from cs_metrics.errors import InputError
from cs_metrics.scope import Scope, quote_ident, table_columns

COMPONENTS: tuple[str, ...] = (
    "usage_level", "usage_trend", "breadth", "northstar", "support", "csat", "nps",
    "recency", "payment", "goals",
)
DEFAULT_WEIGHTS: dict[str, float] = {
    "usage_level": 15, "usage_trend": 15, "breadth": 15, "northstar": 10, "support": 10,
    "csat": 5, "nps": 10, "recency": 10, "payment": 5, "goals": 5,
}
DEFAULT_BANDS: dict[str, float] = {"green": 70.0, "red": 40.0}
BANDS: tuple[str, ...] = ("green", "yellow", "red")
DEFAULT_HORIZON = 3
# Fewer distinct churn events than this and a backtest or a fit says "too few to judge".
MIN_CHURN_EVENTS = 10

# The visible rules of the component scores (see the module docstring).
RULES: dict[str, float] = {
    "trend_months": 3,
    "breadth_full": 0.8,
    "support_p1": 25,
    "support_old": 10,
    "support_new": 5,
    "support_old_days": 14,
    "csat_months": 6,
    "nps_months": 12,
    "recency_full_days": 7,
    "recency_zero_days": 60,
    "overdue_zero_days": 60,
}
# Inputs that are a snapshot of today (an accounts column, the goals table): scored in the
# latest month only, so history neither credits nor blames them.
SNAPSHOT_COMPONENTS = ("payment", "goals")

_USAGE_CANONICAL = {"account_id", "date", "active_users", "seats", "events", "_source_key", "_source_file"}
_NUMERIC_TYPES = ("DOUBLE", "FLOAT", "REAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT",
                  "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "DECIMAL")
_OVERDUE_DAYS = ("days_overdue", "overdue_days", "days_past_due", "past_due_days", "dpd")
_OVERDUE_FLAG = ("overdue", "is_overdue", "payment_overdue", "past_due", "is_past_due")
_PAYMENT_STATUS = ("payment_status", "billing_status", "invoice_status", "collection_status")


# Settings
def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
        "AND table_schema = current_schema()", [name]).fetchone()
    return bool(row and row[0])


def _saved_settings(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    import json

    if not _table_exists(con, "_polaris_settings"):
        return {}
    rows = con.execute(
        "SELECT key, value FROM _polaris_settings WHERE key IN ('health.weights', 'health.bands', 'northstar')"
    ).fetchall()
    return {key: json.loads(value) for key, value in rows}


def health_settings(con: duckdb.DuckDBPyConnection | None = None,
                    settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The health model's settings: defaults ← the workspace's saved settings ← ``settings``.

    ``settings`` uses the workspace keys: ``{"health.weights": {...}, "health.bands":
    {"green": 70, "red": 40}, "northstar": "reports_created"}`` (the North Star may also be
    the North Star page's ``{"metric": column, ...}``). Returns ``{"weights": {component:
    weight}, "bands": {"green", "red"}, "northstar": …}`` with weights and bands validated.
    """
    merged: dict[str, Any] = {}
    if con is not None:
        merged.update(_saved_settings(con))
    merged.update({k: v for k, v in (settings or {}).items() if v is not None})
    weights = merged.get("health.weights")
    return {
        "weights": validate_weights(weights if weights is not None else DEFAULT_WEIGHTS),
        "bands": validate_bands(merged.get("health.bands") or DEFAULT_BANDS),
        "northstar": merged.get("northstar") or None,
    }


def validate_weights(weights: Mapping[str, Any]) -> dict[str, float]:
    """Every component's weight as a float ≥ 0 (a component not given weighs 0).

    Raises InputError for a negative or non-numeric weight, an unknown component, or
    weights that are all 0.
    """
    unknown = sorted(set(weights) - set(COMPONENTS))
    if unknown:
        raise InputError(f"Unknown health component(s): {', '.join(unknown)}. "
                         f"Known: {', '.join(COMPONENTS)}.")
    out: dict[str, float] = {}
    for name in COMPONENTS:
        value = weights.get(name, 0)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"The weight of '{name}' must be a number, got {value!r}.") from None
        if math.isnan(number) or number < 0:
            raise InputError(f"The weight of '{name}' must be 0 or more, got {value!r}.")
        out[name] = number
    if sum(out.values()) <= 0:
        raise InputError("At least one health component needs a weight above 0.")
    return out


def normalise_weights(weights: Mapping[str, Any]) -> dict[str, float]:
    """Weights as shares of 1: w_i / Σ w (components with weight 0 get 0)."""
    valid = validate_weights(weights)
    total = sum(valid.values())
    return {k: v / total for k, v in valid.items()}


def validate_bands(bands: Mapping[str, Any]) -> dict[str, float]:
    """``{"green": g, "red": r}`` with 0 ≤ r ≤ g ≤ 100; green ≥ g, red < r, yellow between."""
    try:
        green, red = float(bands.get("green", DEFAULT_BANDS["green"])), float(bands.get("red", DEFAULT_BANDS["red"]))
    except (TypeError, ValueError):
        raise InputError(f"Band thresholds must be numbers, got {dict(bands)!r}.") from None
    if not (0 <= red <= green <= 100):
        raise InputError(f"Band thresholds need 0 ≤ red ({red:g}) ≤ green ({green:g}) ≤ 100.")
    return {"green": green, "red": red}


# Inputs
def _numeric_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() ORDER BY ordinal_position", [table]).fetchall()
    return [name for name, dtype in rows if str(dtype).upper().split("(")[0] in _NUMERIC_TYPES]


@dataclass(frozen=True)
class HealthInputs:
    """Which data feeds which component, as found in the workspace.

    ``revenue`` is 'mrr', 'subscriptions' (through ``cs_metrics.revenue``), 'accounts'
    (status and dates only) or None; ``components`` lists the components that have an
    input; ``northstar`` is the usage column used as the North Star.
    """

    revenue: str | None
    components: tuple[str, ...]
    usage_measure: str | None = None
    northstar: str | None = None
    seats_source: str | None = None
    csat_scale: tuple[float, float] | None = None
    payment_column: str | None = None
    columns: dict[str, frozenset[str]] = field(default_factory=dict)


def northstar_candidates(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Extra numeric usage columns (not active_users / seats / events): North Star candidates."""
    if not _table_exists(con, "usage"):
        return []
    return [c for c in _numeric_columns(con, "usage") if c not in _USAGE_CANONICAL]


def health_inputs(con: duckdb.DuckDBPyConnection, settings: Mapping[str, Any] | None = None) -> HealthInputs:
    """What the workspace can feed into the health model (see :class:`HealthInputs`)."""
    cfg = health_settings(con, settings)
    cols = {k: frozenset(table_columns(con, k)) for k in
            ("accounts", "mrr", "subscriptions", "usage", "tickets", "nps", "goals") if _table_exists(con, k)}
    for kind in list(cols):
        if "account_id" not in cols[kind]:
            del cols[kind]
    if "mrr" in cols and {"month", "mrr"} <= cols["mrr"]:
        revenue: str | None = "mrr"
    elif "subscriptions" in cols and _revenue_module() is not None:
        revenue = "subscriptions"
    elif "accounts" in cols:
        revenue = "accounts"
    else:
        revenue = None
    components: list[str] = []
    usage_measure = northstar = seats_source = payment_column = None
    csat_scale = None
    usage = cols.get("usage", frozenset())
    if "date" in usage:
        usage_measure = "events" if "events" in usage else ("active_users" if "active_users" in usage else None)
        if "seats" in usage:
            seats_source = "usage"
        elif "seats" in cols.get("accounts", frozenset()):
            seats_source = "accounts"
        candidates = northstar_candidates(con)
        wanted = cfg["northstar"]
        # The North Star page saves {"metric": column, ...}; older settings hold the bare name.
        if isinstance(wanted, dict):
            wanted = wanted.get("metric")
        numeric = [c for c in _numeric_columns(con, "usage") if c not in ("seats", "_source_key", "_source_file")]
        northstar = wanted if wanted in numeric else (candidates[0] if candidates else None)
        if usage_measure:
            components += ["usage_level", "usage_trend"]
        if "active_users" in usage and seats_source:
            components.append("breadth")
        if northstar:
            components.append("northstar")
        if usage_measure or northstar or "active_users" in usage:
            components.append("recency")
    tickets = cols.get("tickets", frozenset())
    if "created_at" in tickets:
        components.append("support")
        if "satisfaction" in tickets:
            csat_scale = _csat_scale(con)
            if csat_scale is not None:
                components.append("csat")
    if {"date", "score"} <= cols.get("nps", frozenset()):
        components.append("nps")
    accounts = cols.get("accounts", frozenset())
    payment_column = next((c for c in _OVERDUE_DAYS + _OVERDUE_FLAG + _PAYMENT_STATUS if c in accounts), None)
    if payment_column:
        components.append("payment")
    goals = cols.get("goals", frozenset())
    if {"baseline", "target", "current"} <= goals or "status" in goals:
        components.append("goals")
    ordered = tuple(c for c in COMPONENTS if c in components)
    return HealthInputs(revenue, ordered, usage_measure, northstar, seats_source, csat_scale,
                        payment_column, cols)


def _csat_scale(con: duckdb.DuckDBPyConnection) -> tuple[float, float] | None:
    """The satisfaction scale, read from the data: 0–1, 1–5 (0–5), 0–10 or 0–100."""
    lo, hi = con.execute(
        "SELECT min(satisfaction), max(satisfaction) FROM tickets WHERE satisfaction IS NOT NULL").fetchone()
    if hi is None:
        return None
    if hi <= 1:
        return (0.0, 1.0)
    if hi <= 5:
        return (1.0, 5.0) if lo >= 1 else (0.0, 5.0)
    if hi <= 10:
        return (0.0, 10.0)
    return (0.0, 100.0)


def _revenue_module() -> Any:
    try:
        from cs_metrics import revenue
    except ImportError:
        return None
    return revenue if hasattr(revenue, "mrr_monthly") else None


# SQL helpers
def _mi(expr: str) -> str:
    """Month index (year × 12 + month − 1) of a DATE/TIMESTAMP expression."""
    return f"(year({expr}) * 12 + month({expr}) - 1)"


def _month_start(mi_expr: str) -> str:
    return f"make_date(CAST(({mi_expr}) // 12 AS INTEGER), CAST(({mi_expr}) % 12 + 1 AS INTEGER), 1)"


def _clamp(expr: str) -> str:
    # DuckDB's greatest/least skip NULLs, so a missing input would become 0 or 100.
    return f"(CASE WHEN ({expr}) IS NULL THEN NULL ELSE greatest(0.0, least(100.0, {expr})) END)"


def _scope_sql(con: duckdb.DuckDBPyConnection, scope: Scope | None) -> tuple[str, dict[str, Any]]:
    scope = scope or Scope()
    if scope.is_empty or not _table_exists(con, "accounts"):
        return "TRUE", {}
    return scope.account_filter(con)


def _range(con: duckdb.DuckDBPyConnection, table: str, column: str) -> tuple[int | None, int | None]:
    col = quote_ident(column)
    lo, hi = con.execute(
        f"SELECT min({_mi(col)}), max({_mi(col)}) FROM {quote_ident(table)} "
        f"WHERE account_id IS NOT NULL AND {col} IS NOT NULL").fetchone()
    return (int(lo) if lo is not None else None, int(hi) if hi is not None else None)


# Component scores
def component_scores(con: duckdb.DuckDBPyConnection, scope: Scope | None = None,
                     settings: Mapping[str, Any] | None = None, raw: bool = False, *,
                     accounts: Sequence[str] | None = None, _typical_out: dict | None = None) -> pd.DataFrame:
    """Component scores of every account in every month it was active.

    Rows: account × month with MRR > 0 (from the ``mrr`` table; else the MRR matrix of
    ``cs_metrics.revenue`` from subscriptions; else, with an accounts table alone, the
    months of the activity tables between an account's start and churn dates).

    Columns: ``account_id``, ``month`` (first day), ``arr`` (12 × MRR of the month),
    ``months_to_churn`` (months from this month to the next churn: MRR back to 0 or the
    churn date; NaN when none is seen in the data), ``months_after`` (months of data after
    this one) and one column per component in :data:`COMPONENTS` (0–100, NaN = no data);
    with ``raw=True`` also the measures behind them: ``utilisation`` (average active users
    ÷ seats), ``events_month``, ``seats``, ``usage_rate`` (usage per reported date),
    ``usage_prev`` (its mean over the 3 months before), ``northstar_rate``, ``open_p1``,
    ``open_old``, ``tickets_new``, ``csat_mean`` (data scale), ``nps_latest`` (0–10) and
    ``days_since_activity``.

    Scores are computed over every account and then filtered to ``scope``, so an account
    scores the same whatever filter is on (the medians are those of all accounts).
    DuckDB aggregates each input by account and month in one set-based query per table;
    the paying months come back sorted by account and month, and everything after that
    (aligning the inputs, the look-backs over earlier months, the medians and the rules)
    is whole-column array arithmetic, with no loop over accounts or rows. Rows come sorted
    by account and month.

    ``accounts`` (a few account ids) scores only those accounts, reading only their rows;
    the monthly medians of all accounts come from :func:`typical_medians` (kept in the
    workspace by the last scoring of every account), so the scores are the same as in the
    whole-workspace result. Used by the one-account pages of big workspaces.
    """
    inputs = health_inputs(con, settings)
    if inputs.revenue is None:
        return _empty_components(raw)
    typical: dict[int, tuple[float, float]] | None = None
    calendar: np.ndarray | None = None
    only, only_params = "", {}
    if accounts is not None:
        typical, calendar = _typical(con, settings, inputs)
        only_params = {f"only_{i}": str(a) for i, a in enumerate(accounts)}
        if not only_params:
            return _empty_components(raw)
        # A constant IN list, so DuckDB prunes row groups of the tables it scans.
        only = " AND account_id IN (" + ", ".join(f"${k}" for k in only_params) + ")"
    scope_sql, scope_params = _scope_sql(con, scope)
    params: dict[str, Any] = {}
    cols = inputs.columns
    accounts = cols.get("accounts", frozenset())
    usage = cols.get("usage", frozenset())
    tickets = cols.get("tickets", frozenset())
    comps = set(inputs.components)
    ctes: dict[str, str] = {}

    # Revenue: the paying months.
    if inputs.revenue in ("mrr", "subscriptions"):
        source = "mrr" if inputs.revenue == "mrr" else _revenue_module().mrr_monthly(con)
        if source is None:
            return _empty_components(raw)
        last = con.execute(f"SELECT max({_mi('month')}) FROM {source} WHERE month IS NOT NULL").fetchone()[0]
        if last is None:
            return _empty_components(raw)
        ids_from = f"SELECT DISTINCT account_id FROM {source} WHERE account_id IS NOT NULL{only}"
        # Numbered first, then summed by integers (cheaper than by id strings).
        rev_sql = (f"SELECT i.aid, {_mi('month')} AS mi, sum(mrr) AS mrr FROM {source} JOIN {{ids}} i "
                   f"USING (account_id) WHERE month IS NOT NULL{only} GROUP BY 1, 2 HAVING sum(mrr) > 0")
    else:
        spans = [_range(con, k, c) for k, c in (("usage", "date"), ("tickets", "created_at"), ("nps", "date"))
                 if c in cols.get(k, frozenset())]
        los = [lo for lo, _ in spans if lo is not None]
        if not los:
            return _empty_components(raw)
        last = max(hi for _, hi in spans if hi is not None)
        params["first_mi"] = min(los)
        mrr_expr = "a.mrr" if "mrr" in accounts else "NULL::DOUBLE"
        if "arr" in accounts:
            mrr_expr = f"coalesce({mrr_expr}, a.arr / 12.0)"
        conds = ["a.account_id IS NOT NULL" + only.replace("account_id", "a.account_id")]
        if "start_date" in accounts:
            conds.append(f"(a.start_date IS NULL OR {_mi('a.start_date')} <= m.mi)")
        if "churn_date" in accounts:
            conds.append(f"(a.churn_date IS NULL OR {_mi('a.churn_date')} > m.mi)")
            if "status" in accounts:
                conds.append("NOT (lower(coalesce(a.status, '')) = 'churned' AND a.churn_date IS NULL)")
        elif "status" in accounts:
            conds.append("lower(coalesce(a.status, '')) <> 'churned'")
        ids_from = f"SELECT DISTINCT account_id FROM accounts WHERE account_id IS NOT NULL{only}"
        # One row per account and month even if an account id repeats in the accounts table.
        ctes["rev0"] = (f"SELECT a.account_id, m.mi, max({mrr_expr}) AS mrr FROM accounts a "
                        "CROSS JOIN (SELECT unnest(range($first_mi, $last_mi + 1)) AS mi) m WHERE "
                        + " AND ".join(conds) + " GROUP BY 1, 2")
        rev_sql = "SELECT i.aid, r.mi, r.mrr FROM rev0 r JOIN {ids} i USING (account_id)"
    last = int(last)
    params["last_mi"] = last
    # Accounts are numbered once (a temporary table) so that every input comes back keyed
    # by integers, and so that the account ids cross into pandas once per account rather
    # than once per row.
    ids = f"_health_ids_{uuid.uuid4().hex[:12]}"
    con.execute(f"CREATE TEMP TABLE {ids} AS SELECT account_id, CAST(row_number() OVER (ORDER BY account_id) - 1 "
                f"AS INTEGER) AS aid FROM ({ids_from})", only_params)
    ctes["rev"] = rev_sql.format(ids=ids)

    # Usage per account and month; with a feature column there are several rows a date.
    has_usage = "date" in usage and bool(comps & {"usage_level", "usage_trend", "breadth", "northstar", "recency"})
    present: dict[str, str] = {}
    if has_usage:
        src_cols = {"au": "active_users", "seats_u": "seats", "ev": "events", "ns": inputs.northstar}
        present = {alias: col for alias, col in src_cols.items() if col and col in usage}
        usage_from = "usage"
        if "feature" in usage:
            day = {"au": "max", "seats_u": "max", "ev": "sum", "ns": "sum"}
            ctes["u_day"] = ("SELECT account_id, date, " + ", ".join(
                f"{day[a]}({quote_ident(c)}) AS {quote_ident(c)}" for a, c in present.items())
                + f" FROM usage WHERE account_id IS NOT NULL AND date IS NOT NULL{only} GROUP BY 1, 2")
            usage_from = "u_day"
        month_agg = {"au": "sum", "seats_u": "max", "ev": "sum", "ns": "sum"}
        active = " OR ".join(f"{quote_ident(c)} > 0" for a, c in present.items() if a != "seats_u") or "FALSE"
        ctes["u_m0"] = (
            f"SELECT account_id, {_mi('date')} AS mi, "
            + "".join(f"{_nan(f'{month_agg[a]}({quote_ident(c)})')} AS {a}, " for a, c in present.items())
            + f"{_nan(_days(f'max(date) FILTER (WHERE {active})'))} AS last_active, "
            f"{_days('min(date)')} AS first_in_month "
            f"FROM {usage_from} WHERE account_id IS NOT NULL AND date IS NOT NULL{only} GROUP BY 1, 2")
        # The reporting calendar: the usage table's distinct dates per month. Rates are per
        # reported date (a missing row is no usage); in the month of an account's first
        # usage row only the dates from that row on count, so a customer who starts
        # mid-month does not look half idle.
        ctes["u_cal"] = (
            f"SELECT {_days('date')} AS day, mi, count(*) OVER (PARTITION BY mi ORDER BY date DESC) AS n_rest, "
            "count(*) OVER (PARTITION BY mi) AS n_dates FROM "
            f"(SELECT DISTINCT date, {_mi('date')} AS mi FROM usage WHERE account_id IS NOT NULL AND date IS NOT NULL)")

    # Tickets: opened in the month, and open at month end (one row per ticket and month).
    voice: list[str] = []
    voice_aggs: list[str] = []
    t_lo = t_hi = None
    if "support" in comps:
        t_lo, t_hi = _range(con, "tickets", "created_at")
        params["old_days"] = int(RULES["support_old_days"])
        if "resolved_at" in tickets:
            closed = ("lower(coalesce(status, '')) IN ('closed', 'solved', 'resolved')"
                      if "status" in tickets else "FALSE")
            open_to = (f"CASE WHEN resolved_at IS NOT NULL THEN {_mi('resolved_at')} - 1 "
                       f"WHEN {closed} THEN {_mi('created_at')} - 1 ELSE $last_mi END")
        elif "status" in tickets:
            open_to = f"CASE WHEN lower(coalesce(status, '')) = 'open' THEN $last_mi ELSE {_mi('created_at')} - 1 END"
        else:
            open_to = f"{_mi('created_at')} - 1"
        p1 = "coalesce(priority_rank = 1, FALSE)" if "priority_rank" in tickets else "FALSE"
        sat = "satisfaction" if "csat" in comps else "NULL::DOUBLE"
        ctes["t0"] = (
            f"SELECT account_id, created_at, {_mi('created_at')} AS cmi, {open_to} AS open_to, "
            f"{p1} AS p1, {sat} AS sat FROM tickets "
            f"WHERE account_id IS NOT NULL AND created_at IS NOT NULL{only}")
        voice.append("SELECT account_id, cmi AS mi, 1 AS t_new, sat FROM t0")
        voice.append(
            "SELECT account_id, mi, CAST(p1 AS INTEGER) AS open_p1, CAST(NOT p1 AND created_at < "
            f"{_month_start('mi + 1')} - to_days($old_days) AS INTEGER) AS open_old FROM "
            "(SELECT account_id, created_at, p1, unnest(range(cmi, open_to + 1)) AS mi FROM t0 WHERE open_to >= cmi)")
        voice_aggs += [f"{_nan('sum(t_new)')} AS t_new", f"{_nan('sum(open_p1)')} AS open_p1",
                       f"{_nan('sum(open_old)')} AS open_old", f"{_nan('sum(sat)')} AS sat_sum",
                       "CAST(count(sat) AS DOUBLE) AS sat_n"]
    if "nps" in comps:
        voice.append(f"SELECT account_id, {_mi('date')} AS mi, score AS nps_score FROM nps "
                     f"WHERE account_id IS NOT NULL AND date IS NOT NULL AND score BETWEEN 0 AND 10{only}")
        voice_aggs.append(f"{_nan('avg(nps_score)')} AS nps_avg")
    if voice:
        # Tickets and NPS answers by account and month in one aggregation.
        ctes["voice"] = ("SELECT i.aid, v.* EXCLUDE (account_id) FROM (SELECT account_id, mi, "
                         + ", ".join(voice_aggs) + " FROM (" + " UNION ALL BY NAME ".join(voice)
                         + f") GROUP BY 1, 2) v JOIN {ids} i USING (account_id)")

    # Account attributes, and the snapshots scored in the latest month only.
    acc_cols = []
    if "seats" in accounts:
        acc_cols.append("CAST(any_value(seats) AS DOUBLE) AS seats")
    if "churn_date" in accounts:
        acc_cols.append(f"CAST(min({_mi('churn_date')}) AS DOUBLE) AS churn_mi")
    if inputs.payment_column:
        acc_cols.append(f"CAST(any_value({_payment_expr(inputs.payment_column)}) AS DOUBLE) AS payment")

    def fetch(select: str, *names: str) -> dict[str, np.ndarray]:
        """Run ``select`` after the named CTEs (and the ones they use); columns as arrays, NULL → NaN."""
        needed = {"rev": ("rev0", "rev"), "u_m0": ("u_day", "u_m0"), "voice": ("t0", "voice")}
        chosen = [c for name in names for c in needed.get(name, (name,))]
        sql = ("WITH " + ",\n".join(f"{c} AS ({ctes[c]})" for c in ctes if c in chosen) + "\n" if chosen else "")
        sql += select
        used = {k: v for k, v in {**params, **scope_params, **only_params}.items() if f"${k}" in sql}
        return {k: (np.ma.filled(v.astype("float64"), np.nan) if np.ma.isMaskedArray(v) else v)
                for k, v in con.execute(sql, used).fetchnumpy().items()}

    try:
        rev = fetch("SELECT aid, CAST(mi AS INTEGER) AS mi, CAST(mrr AS DOUBLE) AS mrr FROM rev ORDER BY aid, mi",
                    "rev")
        names = con.execute(f"SELECT account_id FROM {ids} ORDER BY aid").fetchnumpy()["account_id"]
        in_scope = None
        if scope_sql != "TRUE":
            in_scope = fetch(f"SELECT aid FROM {ids} WHERE {scope_sql}")["aid"]
        u = fetch("SELECT i.aid, u.* EXCLUDE (account_id) FROM u_m0 u JOIN " + ids + " i USING (account_id)",
                  "u_m0") if has_usage else None
        cal = None
        if has_usage:
            cal = _calendar(calendar) if calendar is not None else fetch(
                "SELECT day, mi, n_rest, n_dates FROM u_cal", "u_cal")
        v = fetch("SELECT * FROM voice", "voice") if voice else None
        acc = (fetch(f"SELECT i.aid, {', '.join(acc_cols)} FROM accounts JOIN {ids} i USING (account_id) GROUP BY 1")
               if acc_cols else None)
        gl = (fetch(f"SELECT i.aid, CAST(100.0 * avg({_goal_expr(cols['goals'])}) AS DOUBLE) AS goals FROM goals "
                    f"JOIN {ids} i USING (account_id) GROUP BY 1") if "goals" in comps else None)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {ids}")
    n_accounts = len(names)
    names = pd.array(np.asarray(names, dtype=object), dtype="str")
    if len(rev["aid"]) == 0:
        return _empty_components(raw)

    grid = _MonthGrid(np.asarray(rev["aid"], dtype="int64"), np.asarray(rev["mi"], dtype="int64"), n_accounts, last)
    aid, mi = grid.aid, grid.mi
    n = len(mi)
    nan = np.full(n, np.nan)

    def per_account(frame: dict[str, np.ndarray] | None, column: str) -> np.ndarray:
        """An account attribute on every row (NaN where the account has none)."""
        if frame is None or column not in frame:
            return nan
        dense = np.full(n_accounts, np.nan)
        dense[np.asarray(frame["aid"], dtype="int64")] = frame[column]
        return dense[aid]

    is_last = mi == last
    out: dict[str, np.ndarray] = {"arr": 12.0 * rev["mrr"]}
    payment = np.where(is_last, per_account(acc, "payment"), np.nan)
    goals = np.where(is_last, per_account(gl, "goals"), np.nan)
    churn_mi = per_account(acc, "churn_mi")

    # The end of each run of paying months: the next month has no row, before the last month.
    run_ends = grid.run_ends() & (mi < last)
    ends = np.flatnonzero(run_ends)
    k = np.minimum(np.searchsorted(ends, np.arange(n)), max(len(ends) - 1, 0))
    next_end = (np.where((ends[k] >= np.arange(n)) & (aid[ends[k]] == aid), mi[ends[k]], np.nan)
                if len(ends) else nan)
    with np.errstate(invalid="ignore"):
        churn_ahead = np.where((churn_mi > mi) & (churn_mi <= last), churn_mi - mi, np.nan)
    out["months_to_churn"] = np.fmin(next_end + 1 - mi, churn_ahead)

    # Usage measures, only inside the months the usage table covers.
    seats = utilisation = events_month = usage_rate = northstar_rate = last_active = nan
    covered = np.zeros(n, dtype=bool)
    if has_usage and u is not None:
        u_aid = np.asarray(u["aid"], dtype="int64")
        place_usage = grid.scatter(u_aid, np.asarray(u["mi"], dtype="int64"))

        def usage_col(alias: str) -> np.ndarray:
            return place_usage(u.get(alias))

        month_dates = np.full(grid.span, np.nan)
        cal_mi = np.asarray(cal["mi"], dtype="int64")
        inside = (cal_mi >= grid.lo) & (cal_mi <= last)
        month_dates[cal_mi[inside] - grid.lo] = cal["n_dates"][inside]
        n_dates = month_dates[mi - grid.lo]
        u_lo, u_hi = (cal_mi.min(), cal_mi.max()) if len(cal_mi) else (None, None)
        covered = ((mi >= u_lo) & (mi <= u_hi) & (n_dates > 0)) if u_lo is not None else covered
        # Reported dates in the month; from the first usage row on in the month it appears.
        first_usage = np.full(n_accounts, np.inf)
        np.minimum.at(first_usage, u_aid, u["first_in_month"])
        dates = n_dates
        if len(cal_mi):
            order = np.argsort(cal["day"])
            cal_day, cal_rest, cal_month = cal["day"][order], cal["n_rest"][order], cal_mi[order]
            fu = first_usage[aid]
            j = np.clip(np.searchsorted(cal_day, fu), 0, len(cal_day) - 1)
            starts_here = np.isfinite(fu) & (cal_month[j] == mi) & (cal_day[j] == fu)
            dates = np.where(starts_here, cal_rest[j], n_dates)
        acc_seats = per_account(acc, "seats")
        if inputs.seats_source == "usage":
            seats_u = usage_col("seats_u")
            seats = np.where(np.isnan(seats_u), acc_seats, seats_u)
        elif inputs.seats_source == "accounts":
            seats = acc_seats
        seats = np.where(covered & (seats != 0), seats, np.nan)
        measure = {"events": "ev", "active_users": "au"}.get(inputs.usage_measure or "")
        with np.errstate(invalid="ignore", divide="ignore"):
            if "events" in usage:
                events_month = np.where(covered, np.nan_to_num(usage_col("ev")), np.nan)
            if measure:
                usage_rate = np.where(covered, np.nan_to_num(usage_col(measure)) / dates, np.nan)
            if "active_users" in usage:
                utilisation = np.where(covered, np.nan_to_num(usage_col("au")) / dates / seats, np.nan)
            if inputs.northstar:
                northstar_rate = np.where(covered, np.nan_to_num(usage_col("ns")) / dates, np.nan)
        last_active = np.where(covered, usage_col("last_active"), np.nan)

    # Tickets and NPS by account and month.
    t_new = open_p1 = open_old = sat_sum = sat_n = nps_avg = nan
    if v is not None:
        place_voice = grid.scatter(np.asarray(v["aid"], dtype="int64"), np.asarray(v["mi"], dtype="int64"))

        def voice_col(name: str) -> np.ndarray:
            return place_voice(v.get(name))

        if "support" in comps:
            in_t = (mi >= t_lo) & (mi <= t_hi) if t_lo is not None else np.zeros(n, dtype=bool)
            t_new, open_p1, open_old = (np.where(in_t, np.nan_to_num(voice_col(c)), np.nan)
                                        for c in ("t_new", "open_p1", "open_old"))
            sat_sum, sat_n = voice_col("sat_sum"), voice_col("sat_n")
        if "nps" in comps:
            nps_avg = voice_col("nps_avg")

    # Look-backs over the account's own earlier paying months (a month without a row is
    # not in the window, as with a RANGE frame).
    usage_prev = last_active_cum = csat_mean = nps_latest = nan
    with np.errstate(invalid="ignore", divide="ignore"):
        if "usage_trend" in comps:
            total, count = grid.window_sum(usage_rate, 1, int(RULES["trend_months"]))
            usage_prev = np.where(count > 0, total / count, np.nan)
        if "recency" in comps:
            last_active_cum = grid.running_max(last_active)
        if "csat" in comps:
            sat_total, _ = grid.window_sum(sat_sum, 0, int(RULES["csat_months"]) - 1)
            sat_count, _ = grid.window_sum(sat_n, 0, int(RULES["csat_months"]) - 1)
            csat_mean = np.where(sat_count > 0, sat_total / sat_count, np.nan)
        if "nps" in comps:
            nps_latest = grid.latest(nps_avg, int(RULES["nps_months"]) - 1)
        per_seat = usage_rate / seats if inputs.seats_source else usage_rate
        ns_per_seat = northstar_rate / seats if inputs.seats_source else northstar_rate

        # The typical account of each month (median over all accounts), for the level components.
        if typical is None:
            medians = (grid.monthly_medians(per_seat), grid.monthly_medians(ns_per_seat))
            found = _keep_typical(con, inputs, grid, medians, cal["day"] if cal is not None else None)
            if _typical_out is not None:
                _typical_out["typical"] = found
        else:
            medians = tuple(np.array([typical.get(grid.lo + k, (np.nan, np.nan))[which] for k in range(grid.span)],
                                     dtype="float64") for which in (0, 1))

        def against_median(value: np.ndarray, which: int) -> np.ndarray:
            median = medians[which][mi - grid.lo]
            return np.where(np.isnan(value), np.nan, np.where(
                median == 0, np.where(value > 0, 100.0, 50.0), np.minimum(100.0, 50.0 * value / median)))

        def clamp(x: np.ndarray) -> np.ndarray:
            return np.clip(x, 0.0, 100.0)

        lo_csat, hi_csat = inputs.csat_scale or (0.0, 1.0)
        month_end = grid.month_end_day()
        days_since = month_end - last_active_cum
        rec_zero, rec_full = float(RULES["recency_zero_days"]), float(RULES["recency_full_days"])
        comp = {
            "usage_level": lambda: against_median(per_seat, 0),
            "usage_trend": lambda: np.where(
                np.isnan(usage_rate) | np.isnan(usage_prev), np.nan,
                np.where(usage_prev == 0, np.where(usage_rate > 0, 100.0, 0.0),
                         clamp(200.0 * (usage_rate / usage_prev - 0.5)))),
            "breadth": lambda: clamp(100.0 * utilisation / float(RULES["breadth_full"])),
            "northstar": lambda: against_median(ns_per_seat, 1),
            "support": lambda: clamp(100.0 - float(RULES["support_p1"]) * open_p1
                                     - float(RULES["support_old"]) * open_old - float(RULES["support_new"]) * t_new),
            "csat": lambda: clamp(100.0 * (csat_mean - lo_csat) / (hi_csat - lo_csat)),
            "nps": lambda: 10.0 * nps_latest,
            "recency": lambda: np.where(~covered, np.nan, np.where(
                np.isnan(last_active_cum), 0.0, clamp(100.0 * (rec_zero - days_since) / (rec_zero - rec_full)))),
            "payment": lambda: payment,
            "goals": lambda: goals,
        }
        for name in COMPONENTS:
            if name in comps:
                out[name] = comp[name]()
        if raw:
            out.update({"utilisation": utilisation, "events_month": events_month, "seats": seats,
                        "usage_rate": usage_rate, "usage_prev": usage_prev, "northstar_rate": northstar_rate,
                        "open_p1": open_p1, "open_old": open_old, "tickets_new": t_new, "csat_mean": csat_mean,
                        "nps_latest": nps_latest,
                        "days_since_activity": np.where(covered & ~np.isnan(last_active_cum), days_since, np.nan)})
    out["aid"], out["mi"] = aid, mi
    if in_scope is not None:
        wanted = np.zeros(n_accounts, dtype=bool)
        wanted[np.asarray(in_scope, dtype="int64")] = True
        keep = wanted[aid]
        out = {k: np.asarray(col)[keep] for k, col in out.items()}
    return _typed(out, names, last, raw)


def _nan(expr: str) -> str:
    """``expr`` as a DOUBLE with NULL as NaN: arrays come out of DuckDB without a mask to convert."""
    return f"coalesce(CAST({expr} AS DOUBLE), 'NaN'::DOUBLE)"


_TYPICAL_KEY = "health_typical"


def _typical_tag(con: duckdb.DuckDBPyConnection, inputs: HealthInputs) -> str | None:
    """What the monthly medians depend on: the data version and the usage inputs used."""
    return derived.tag(con, "health", inputs.usage_measure, inputs.northstar, inputs.seats_source)


def _keep_typical(con: duckdb.DuckDBPyConnection, inputs: HealthInputs, grid: "_MonthGrid",
                  medians: tuple[np.ndarray, np.ndarray], days: np.ndarray | None
                  ) -> tuple[dict[int, tuple[float, float]], np.ndarray | None]:
    """Keep the monthly medians of all accounts in the workspace (a few numbers a month,
    see :mod:`cs_metrics.derived`), so a later session can score one account without
    scoring all; with them the usage table's reporting dates (the calendar of the rates).
    Returns them as :func:`_kept_typical` reads them back."""
    months = {str(grid.lo + k): [None if np.isnan(u) else float(u), None if np.isnan(n) else float(n)]
              for k, (u, n) in enumerate(zip(*medians))}
    value = {"months": months, "days": None if days is None else sorted(int(d) for d in days)}
    derived.keep(con, _TYPICAL_KEY, _typical_tag(con, inputs), value)
    return _decode_typical(value)


def typical_medians(con: duckdb.DuckDBPyConnection, settings: Mapping[str, Any] | None = None
                    ) -> dict[int, tuple[float, float]]:
    """Median usage per seat and North Star per seat of all paying accounts, by month index:
    the yardsticks of ``usage_level`` and ``northstar``. Read from the workspace when the
    last scoring of all accounts kept them for the current data; else every account is
    scored once (which keeps them)."""
    return _typical(con, settings)[0]


def _typical(con: duckdb.DuckDBPyConnection, settings: Mapping[str, Any] | None, inputs: HealthInputs | None = None
             ) -> tuple[dict[int, tuple[float, float]], np.ndarray | None]:
    """The monthly medians and the usage calendar (reporting days), kept or computed."""
    inputs = inputs or health_inputs(con, settings)
    tag = _typical_tag(con, inputs)
    kept = _kept_typical(con, tag)
    if kept is not None:
        return kept
    found: dict = {}
    component_scores(con, settings=settings, _typical_out=found)
    return found.get("typical", ({}, None))


def _kept_typical(con: duckdb.DuckDBPyConnection, tag: str | None
                  ) -> tuple[dict[int, tuple[float, float]], np.ndarray | None] | None:
    kept = derived.kept(con, _TYPICAL_KEY, tag)
    return _decode_typical(kept) if kept else None


def _decode_typical(value: Mapping[str, Any]) -> tuple[dict[int, tuple[float, float]], np.ndarray | None]:
    medians = {int(k): tuple(np.nan if x is None else float(x) for x in v) for k, v in value["months"].items()}
    days = value.get("days")
    return medians, (None if days is None else np.asarray(days, dtype="float64"))


def _calendar(days: np.ndarray) -> dict[str, np.ndarray]:
    """The u_cal rows (day, month index, reporting days left in the month from this one,
    reporting days in the month) from the sorted distinct reporting days."""
    days = np.sort(np.asarray(days, dtype="float64"))
    month = (days.astype("int64").astype("datetime64[D]").astype("datetime64[M]").astype("int64") + 1970 * 12)
    if not len(days):
        return {"day": days, "mi": month, "n_rest": np.zeros(0), "n_dates": np.zeros(0)}
    starts = np.flatnonzero(np.r_[True, month[1:] != month[:-1]])
    sizes = np.diff(np.r_[starts, len(days)])
    n_dates = np.repeat(sizes, sizes)
    position = np.arange(len(days)) - np.repeat(starts, sizes)
    return {"day": days, "mi": month, "n_rest": (n_dates - position).astype("float64"),
            "n_dates": n_dates.astype("float64")}


def account_scores(con: duckdb.DuckDBPyConnection, account_ids: Sequence[str],
                   settings: Mapping[str, Any] | None = None, raw: bool = False) -> pd.DataFrame:
    """:func:`health_scores` of a few accounts, reading only their rows (see
    ``component_scores(accounts=…)``): the same figures as the whole-workspace result."""
    cfg = health_settings(con, settings)
    comps = component_scores(con, settings=settings, raw=raw, accounts=list(account_ids))
    return apply_weights(comps, cfg["weights"], cfg["bands"])


def _days(expr: str) -> str:
    """Days since 1970-01-01 of a DATE/TIMESTAMP expression, as a DOUBLE (NULL stays NULL)."""
    return f"CAST(date_diff('day', DATE '1970-01-01', CAST({expr} AS DATE)) AS DOUBLE)"


class _MonthGrid:
    """Paying account-months sorted by account and month, with O(1) lookup of any
    (account, month) row: a dense table over accounts × months when it is small enough
    (a few bytes per cell), else a binary search over the sorted keys."""

    _DENSE_CELLS = 40_000_000

    def __init__(self, aid: np.ndarray, mi: np.ndarray, n_accounts: int, last: int) -> None:
        self.aid, self.mi, self.last = aid, mi, last
        self.lo = int(mi.min())
        self.span = last - self.lo + 1
        self.key = aid * self.span + (mi - self.lo)
        n = len(mi)
        self._dense = None
        if n_accounts * self.span <= self._DENSE_CELLS:
            self._dense = np.full(n_accounts * self.span, -1, dtype="int32" if n < 2**31 else "int64")
            self._dense[self.key] = np.arange(n)
        self._first = np.r_[True, aid[1:] != aid[:-1]] if n else np.zeros(0, dtype=bool)
        # Most accounts pay in one unbroken run of months, where the row ``back`` months
        # earlier is simply ``back`` rows up; only across a gap is a lookup needed.
        index = np.arange(n)
        run_start = np.r_[True, (aid[1:] != aid[:-1]) | (mi[1:] != mi[:-1] + 1)] if n else self._first
        self._run_pos = index - np.maximum.accumulate(np.where(run_start, index, 0))
        self._account_pos = index - np.maximum.accumulate(np.where(self._first, index, 0))
        self._index = index
        self._gaps: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # Rows grouped by month, for the medians.
        self._by_month = np.argsort(mi, kind="stable")
        months = mi[self._by_month]
        self._month_bounds = np.flatnonzero(np.r_[True, months[1:] != months[:-1], True]) if n else np.zeros(1, int)

    def _lookup(self, key: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Row of each key (−1 where not valid or no such row)."""
        key = np.where(valid, key, 0)
        if self._dense is not None:
            rows = self._dense[key].astype("int64")
        else:
            at = np.minimum(np.searchsorted(self.key, key), len(self.key) - 1)
            rows = np.where(self.key[at] == key, at, -1)
        return np.where(valid, rows, -1)

    def scatter(self, aid: np.ndarray, mi: np.ndarray) -> Any:
        """For another input keyed by (account, month): a function that places one of its
        columns on the grid's rows (NaN where the input has no row for a paying month)."""
        rows = self.rows_of(aid, mi)
        src = np.flatnonzero(rows >= 0)
        dst = rows[src]

        def place(values: np.ndarray | None) -> np.ndarray:
            col = np.full(len(self.mi), np.nan)
            if values is not None:
                col[dst] = values[src]
            return col
        return place

    def rows_of(self, aid: np.ndarray, mi: np.ndarray) -> np.ndarray:
        """Row of each (account, month) pair of another input (−1 where that month has no row)."""
        return self._lookup(aid * self.span + (mi - self.lo), (mi >= self.lo) & (mi <= self.last))

    def run_ends(self) -> np.ndarray:
        """True on the last row of each run of consecutive months of an account."""
        n = len(self.mi)
        if not n:
            return np.zeros(0, dtype=bool)
        return np.r_[(self.aid[1:] != self.aid[:-1]) | (self.mi[1:] != self.mi[:-1] + 1), True]

    def window_sum(self, values: np.ndarray, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """Sum and count of the non-missing ``values`` from ``last`` to ``first`` months back."""
        total, count = np.zeros(len(values)), np.zeros(len(values))
        for back in range(first, last + 1):
            got = self.back_values(values, back)
            ok = ~np.isnan(got)
            total += np.where(ok, got, 0.0)
            count += ok
        return total, count

    def back_values(self, values: np.ndarray, back: int) -> np.ndarray:
        """``values`` of the same account ``back`` ≥ 0 months earlier (NaN where that month
        has no row): a plain shift inside a run of months, a look-up across a gap."""
        if back == 0:
            return values
        got = np.full(len(values), np.nan)
        got[back:] = values[:-back]
        got[self._run_pos < back] = np.nan
        if back not in self._gaps:
            gap = np.flatnonzero((self._run_pos < back) & (self._account_pos > self._run_pos))
            rows = self._lookup(self.key[gap] - back, self.mi[gap] - back >= self.lo)
            self._gaps[back] = (gap[rows >= 0], rows[rows >= 0])
        where, rows = self._gaps[back]
        got[where] = values[rows]
        return got

    def latest(self, values: np.ndarray, back: int) -> np.ndarray:
        """The most recent non-missing value from this month to ``back`` months before."""
        # The last row so far with a value (carried forward), kept where it is the same
        # account and no more than ``back`` months ago.
        known = np.maximum.accumulate(np.where(np.isnan(values), -1, self._index))
        source = np.maximum(known, 0)
        ok = (known >= 0) & (self.aid[source] == self.aid) & (self.mi[source] >= self.mi - back)
        return np.where(ok, values[source], np.nan)

    def running_max(self, values: np.ndarray) -> np.ndarray:
        """Maximum of the non-missing ``values`` over this and all earlier rows of the account."""
        filled = np.where(np.isnan(values), -np.inf, values)
        # Restart the running maximum at each account: lift every account above the ones
        # before it by more than any value can span, accumulate, and take the lift off again.
        finite = filled[np.isfinite(filled)]
        if not len(finite):
            return np.full(len(values), np.nan)
        low, spread = finite.min(), finite.max() - finite.min() + 1.0
        group = np.cumsum(self._first) - 1
        lifted = np.where(np.isfinite(filled), filled - low + 1.0, 0.0) + group * spread * 2
        result = np.maximum.accumulate(lifted) - group * spread * 2
        return np.where(result >= 1.0, result - 1.0 + low, np.nan)

    def monthly_medians(self, values: np.ndarray) -> np.ndarray:
        """Median of the non-missing ``values`` of each month (index: month − first month)."""
        ordered = values[self._by_month]
        table = np.full(self.span, np.nan)
        # One step per month of history (not per account).
        for start, stop in zip(self._month_bounds[:-1], self._month_bounds[1:]):
            chunk = ordered[start:stop]
            chunk = chunk[~np.isnan(chunk)]
            if len(chunk):
                table[self.mi[self._by_month[start]] - self.lo] = np.median(chunk)
        return table

    def month_end_day(self) -> np.ndarray:
        """Days since 1970-01-01 of the last day of each row's month."""
        next_month = (self.mi + 1 - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
        return (next_month.astype("int64") - 1).astype("float64")


def _payment_expr(column: str) -> str:
    """0–100 from a payment column: days overdue (0 → 100, ≥ 60 → 0), an overdue flag, or a status."""
    col = quote_ident(column)
    if column in _OVERDUE_DAYS:
        return _clamp(f"100.0 * (1 - TRY_CAST({col} AS DOUBLE) / {float(RULES['overdue_zero_days'])})")
    text = f"lower(trim(CAST({col} AS VARCHAR)))"
    if column in _OVERDUE_FLAG:
        return (f"CASE WHEN {text} IN ('true', 'yes', 'y', '1', '是', 'overdue') THEN 0.0 "
                f"WHEN {text} IN ('false', 'no', 'n', '0', '否') THEN 100.0 END")
    return (f"CASE WHEN {text} IN ('paid', 'current', 'ok', 'on time', 'good', 'active', '正常', '已付', '已付款') "
            f"THEN 100.0 WHEN {text} IN ('overdue', 'late', 'past due', 'past_due', '逾期', '欠费') THEN 25.0 "
            f"WHEN {text} IN ('collections', 'unpaid', 'failed', 'defaulted', 'suspended', '催收', '未付', '坏账') "
            f"THEN 0.0 END")


def _goal_expr(goal_cols: frozenset[str]) -> str:
    numeric = ("CASE WHEN baseline IS NOT NULL AND target IS NOT NULL AND current IS NOT NULL "
               "AND target <> baseline THEN greatest(0.0, least(1.0, (current - baseline) / (target - baseline))) END"
               if {"baseline", "target", "current"} <= goal_cols else "NULL::DOUBLE")
    status = ("CASE lower(trim(status)) WHEN 'achieved' THEN 1.0 WHEN 'on track' THEN 0.75 "
              "WHEN 'at risk' THEN 0.35 WHEN 'missed' THEN 0.0 WHEN '已达成' THEN 1.0 WHEN '进行中' THEN 0.75 "
              "WHEN '有风险' THEN 0.35 WHEN '未达成' THEN 0.0 END" if "status" in goal_cols else "NULL::DOUBLE")
    return f"coalesce({numeric}, {status})"


_CORE_COLUMNS = ("arr", "months_to_churn", "months_after", *COMPONENTS)
_RAW_COLUMNS = ("utilisation", "events_month", "seats", "usage_rate", "usage_prev", "northstar_rate", "open_p1",
                "open_old", "tickets_new", "csat_mean", "nps_latest", "days_since_activity")


def _months(ix: np.ndarray) -> np.ndarray:
    """Month index (year × 12 + month − 1) → datetime64 of the month's first day."""
    return (np.asarray(ix, dtype="int64") - 1970 * 12).astype("datetime64[M]").astype("datetime64[us]")


def _empty_components(raw: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame({"account_id": pd.Series(dtype="str"), "month": pd.Series(dtype="datetime64[us]")})
    for name in _CORE_COLUMNS + (_RAW_COLUMNS if raw else ()):
        frame[name] = pd.Series(dtype="float64")
    return frame


def _typed(columns: Mapping[str, np.ndarray], names: Any, last: int, raw: bool) -> pd.DataFrame:
    """The query's columns as a frame, account ids looked up from their numbers (``names[aid]``)."""
    month_ix = np.asarray(columns["mi"])
    data: dict[str, Any] = {"account_id": names.take(np.asarray(columns["aid"])), "month": _months(month_ix)}
    for name in _CORE_COLUMNS + (_RAW_COLUMNS if raw else ()):
        if name == "months_after":
            data[name] = (last - month_ix).astype("float64")
        elif name in columns:
            data[name] = np.ma.filled(columns[name], np.nan).astype("float64", copy=False)
        else:
            data[name] = np.full(len(month_ix), np.nan)
    return pd.DataFrame(data, copy=False)


# Weighting and bands
_BAND_NAMES = np.array(["green", "yellow", "red", None], dtype=object)


def band_of(score: Any, bands: Mapping[str, Any] | None = None) -> np.ndarray:
    """'green' (score ≥ green), 'red' (score < red), 'yellow' between; None when no score."""
    b = validate_bands(bands or DEFAULT_BANDS)
    s = np.asarray(score, dtype="float64")
    code = np.where(np.isnan(s), 3, np.where(s >= b["green"], 0, np.where(s < b["red"], 2, 1)))
    return _BAND_NAMES[code]


def apply_weights(components: pd.DataFrame, weights: Mapping[str, Any] | None = None,
                  bands: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """``components`` with ``score``, ``coverage`` and ``band`` added (a new frame).

    score = Σ w_i s_i / Σ w_i over the components with a score (NaN = missing) and a
    weight; coverage = that Σ w_i / Σ w_i over all weighted components; no component →
    score NaN, band None (unscored). Vectorised over the whole frame.
    """
    w = validate_weights(weights if weights is not None else DEFAULT_WEIGHTS)
    names = [c for c in COMPONENTS if w[c] > 0 and c in components.columns]
    total = np.zeros(len(components))
    covered = np.zeros(len(components))
    # One pass per component (at most ten), each over the whole column.
    for name in names:
        values = components[name].to_numpy(dtype="float64")
        present = ~np.isnan(values)
        np.add(total, values * w[name], out=total, where=present)
        np.add(covered, w[name], out=covered, where=present)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(covered > 0, total / covered, np.nan)
    coverage = covered / sum(w.values())
    return components.assign(score=score, coverage=coverage,
                             band=pd.Series(band_of(score, bands), index=components.index, dtype="object"))


def health_scores(con: duckdb.DuckDBPyConnection, scope: Scope | None = None,
                  settings: Mapping[str, Any] | None = None, raw: bool = False) -> pd.DataFrame:
    """:func:`component_scores` with ``score``, ``coverage`` and ``band`` under the settings."""
    cfg = health_settings(con, settings)
    return apply_weights(component_scores(con, scope, settings, raw=raw), cfg["weights"], cfg["bands"])


def month_index(month: Any) -> int:
    """'2024-03', a date or a Timestamp → year × 12 + month − 1."""
    if isinstance(month, str):
        try:
            ts = pd.Timestamp(month.strip()[:7] + "-01")
        except ValueError:
            raise InputError(f"'{month}' is not a month; use YYYY-MM.") from None
    else:
        ts = pd.Timestamp(month)
    return ts.year * 12 + ts.month - 1


def _month_ix(series: pd.Series) -> np.ndarray:
    return (series.dt.year * 12 + series.dt.month - 1).to_numpy()


def last_month_index(frame: pd.DataFrame) -> int:
    """Month index of the data's last month: from ``months_after`` where known (a month in
    which nobody paid has no rows), else the latest month in the frame."""
    ix = _month_ix(frame["month"])
    after = frame["months_after"].to_numpy(dtype="float64") if "months_after" in frame else np.full(len(ix), np.nan)
    known = ~np.isnan(after)
    return int((ix[known] + after[known]).max()) if known.any() else int(ix.max())


def at_month(frame: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """Rows of ``frame`` for month ``as_of`` (None = the data's last month)."""
    if frame.empty:
        return frame
    target = last_month_index(frame) if as_of is None else month_index(as_of)
    return frame[_month_ix(frame["month"]) == target]


# Accounts, manual colours, summary
def account_labels(con: duckdb.DuckDBPyConnection, scope: Scope | None = None) -> pd.DataFrame:
    """account_id with the descriptive accounts columns that exist (name, segment, owner, …)."""
    if not _table_exists(con, "accounts"):
        return pd.DataFrame({"account_id": pd.Series(dtype="str")})
    wanted = ("account_name", "segment", "owner", "plan", "region", "renewal_date", "status", "manual_health")
    have = [c for c in wanted if c in table_columns(con, "accounts")]
    scope_sql, params = _scope_sql(con, scope)
    select = ", ".join(["account_id"] + [f"any_value({quote_ident(c)}) AS {quote_ident(c)}" for c in have])
    frame = con.execute(f"SELECT {select} FROM accounts WHERE account_id IS NOT NULL AND {scope_sql} "
                        "GROUP BY account_id ORDER BY account_id", params).df()
    frame["account_id"] = frame["account_id"].astype("str")
    if "manual_health" in frame:
        colour = frame["manual_health"].astype("string").str.strip().str.lower()
        colour = colour.replace({"红": "red", "红色": "red", "黄": "yellow", "黄色": "yellow",
                                 "绿": "green", "绿色": "green", "amber": "yellow"})
        frame["manual_health"] = colour.where(colour.isin(BANDS)).astype("object")
    return frame


def account_health(con: duckdb.DuckDBPyConnection, scored: pd.DataFrame, as_of: Any = None,
                   scope: Scope | None = None) -> pd.DataFrame:
    """One row per account active in ``as_of``: labels, ARR, score, band, coverage, components,
    the manual colour and ``disagrees`` (manual colour given and different from the band).

    Sorted by score ascending (weakest first), unscored last.
    """
    rows = at_month(scored, as_of)
    labels = account_labels(con, scope)
    out = rows.merge(labels, on="account_id", how="left")
    if "manual_health" not in out:
        out["manual_health"] = None
    manual = out["manual_health"]
    out["disagrees"] = manual.notna() & out["band"].notna() & (manual != out["band"])
    return out.sort_values(["score", "arr"], ascending=[True, False], na_position="last").reset_index(drop=True)


def disagreements(table: pd.DataFrame) -> pd.DataFrame:
    """Accounts whose CSM colour differs from the computed band (from :func:`account_health`)."""
    return table[table["disagrees"]].reset_index(drop=True)


def summarise(scored: pd.DataFrame, as_of: Any = None) -> dict[str, Any]:
    """Band counts and ARR at risk from a scored frame, at ``as_of`` (None = latest month).

    ``{"month", "health": {"green", "yellow", "red", "unscored"}, "arr_at_risk"}``: counts
    of accounts active in the month; unscored = active without a score; ARR at risk =
    Σ ARR of the red ones, None when no active account has a score (the data then says
    nothing about risk).
    """
    rows = at_month(scored, as_of)
    counts = {band: int((rows["band"] == band).sum()) for band in BANDS}
    counts["unscored"] = int(rows["band"].isna().sum())
    arr_at_risk = (float(rows.loc[rows["band"] == "red", "arr"].fillna(0).sum())
                   if rows["band"].notna().any() else None)
    month = rows["month"].iloc[0] if len(rows) else None
    return {"month": month, "health": counts, "arr_at_risk": arr_at_risk}


def health_summary(con: duckdb.DuckDBPyConnection, as_of: Any = None, scope: Scope | None = None,
                   settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """For the CLI report: ``{"health": {"green", "yellow", "red", "unscored"}, "arr_at_risk"}``
    at ``as_of`` (None = latest month), with the workspace's saved settings unless
    ``settings`` overrides them (see :func:`summarise`)."""
    summary = summarise(health_scores(con, scope, settings), as_of)
    return {"health": summary["health"], "arr_at_risk": summary["arr_at_risk"]}


# Explanation
@dataclass(frozen=True)
class Explanation:
    """Why one account has its score.

    ``contributions``: component, score, weight (share of the weight among the account's
    scored components), points (= weight × score; they add up to the score) and lost
    (= weight × (100 − score)). ``weakest`` is the component losing the most points;
    ``to_green`` the smallest single-component change reaching green:
    ``{"component", "from", "to", "change"}``, or None when already green or when no single
    component can get there.
    """

    score: float | None
    band: str | None
    coverage: float
    contributions: pd.DataFrame
    weakest: str | None
    to_green: dict[str, Any] | None
    already_green: bool


def explain(row: Mapping[str, Any], weights: Mapping[str, Any] | None = None,
            bands: Mapping[str, Any] | None = None) -> Explanation:
    """Explain one account-month (a row of :func:`apply_weights`' input or output).

    Reaching green by component i alone needs Δ_i = (green − score) / share_i, where
    share_i = w_i / Σ w over the scored components; it is possible when s_i + Δ_i ≤ 100.
    The smallest Δ_i wins.

    >>> e = explain({"usage_level": 20.0, "support": 80.0}, {"usage_level": 1, "support": 1})
    >>> e.score, e.weakest, e.to_green["component"], e.to_green["to"]
    (50.0, 'usage_level', 'usage_level', 60.0)
    """
    w = validate_weights(weights if weights is not None else DEFAULT_WEIGHTS)
    b = validate_bands(bands or DEFAULT_BANDS)
    records = []
    for name in COMPONENTS:
        value = row.get(name)
        if w[name] > 0 and value is not None and not pd.isna(value):
            records.append((name, float(value), w[name]))
    covered = sum(r[2] for r in records)
    coverage = covered / sum(w.values())
    if not records:
        empty = pd.DataFrame(columns=["component", "score", "weight", "points", "lost"])
        return Explanation(None, None, 0.0, empty, None, None, False)
    contrib = pd.DataFrame(records, columns=["component", "score", "weight"])
    contrib["weight"] = contrib["weight"] / covered
    contrib["points"] = contrib["weight"] * contrib["score"]
    contrib["lost"] = contrib["weight"] * (100.0 - contrib["score"])
    score = float(contrib["points"].sum())
    band = str(band_of([score], b)[0])
    weakest = None
    if contrib["lost"].max() > 0:
        weakest = str(contrib.loc[contrib["lost"].idxmax(), "component"])
    to_green = None
    if score < b["green"]:
        need = (b["green"] - score) / contrib["weight"]
        feasible = contrib.assign(change=need, to=contrib["score"] + need)
        feasible = feasible[feasible["to"] <= 100.0 + 1e-9]
        if not feasible.empty:
            best = feasible.loc[feasible["change"].idxmin()]
            to_green = {"component": str(best["component"]), "from": float(best["score"]),
                        "to": float(min(100.0, best["to"])), "change": float(best["change"])}
    contrib = contrib.sort_values("lost", ascending=False).reset_index(drop=True)
    return Explanation(score, band, coverage, contrib, weakest, to_green, score >= b["green"])


# Backtest
def auc(risk: Any, label: Any) -> float | None:
    """Area under the ROC curve by the rank formula (ties count half).

    AUC = (Σ ranks of positives − n₁(n₁+1)/2) / (n₁ n₀): the probability that a random
    positive has a higher ``risk`` than a random negative. None without both classes.

    >>> auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75
    """
    from scipy.stats import rankdata

    r = np.asarray(risk, dtype="float64")
    y = np.asarray(label, dtype=bool)
    n1 = int(y.sum())
    n0 = int(y.size - n1)
    if n1 == 0 or n0 == 0:
        return None
    ranks = rankdata(r)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def churn_labels(frame: pd.DataFrame, horizon: int = DEFAULT_HORIZON) -> tuple[np.ndarray, np.ndarray]:
    """(labelled, churned): rows whose next ``horizon`` months are in the data, and whether
    the account churned within them (MRR back to 0 or its churn date)."""
    if horizon < 1:
        raise InputError(f"The horizon must be at least 1 month, got {horizon}.")
    labelled = (frame["months_after"] >= horizon).to_numpy()
    churned = (frame["months_to_churn"] <= horizon).fillna(False).to_numpy(dtype=bool)
    return labelled, churned


@dataclass(frozen=True)
class Backtest:
    """How well the score predicted churn within ``horizon`` months, over the history.

    ``auc``: pooled over every labelled account-month (probability that an account that
    churned scored lower than one that stayed); ``auc_by_month``: month, auc, accounts,
    churned; ``band_rates``: band, account_months, churned, churn_rate; ``lift``: churn
    rate of red ÷ churn rate of green (None if either is missing or green never churned).
    ``judgeable`` is False (with ``reason`` 'no_scores', 'short_history' or 'few_events')
    when the history cannot support a verdict; the figures are then still given where
    they exist, but should not be read as proof.
    """

    horizon: int
    judgeable: bool
    reason: str | None
    auc: float | None
    auc_by_month: pd.DataFrame
    band_rates: pd.DataFrame
    lift: float | None
    months: int
    labelled_months: int
    events: int
    account_months: int
    unscored: int


def _events(frame: pd.DataFrame, churned: np.ndarray) -> int:
    """Distinct churn events (account, churn month) behind the positive rows."""
    if not churned.any():
        return 0
    pos = frame.loc[churned]
    churn_at = _month_ix(pos["month"]) + pos["months_to_churn"].to_numpy()
    return int(pd.DataFrame({"a": pos["account_id"].to_numpy(), "m": churn_at}).drop_duplicates().shape[0])


def backtest(scored: pd.DataFrame, horizon: int = DEFAULT_HORIZON) -> Backtest:
    """Score against churn within the next ``horizon`` months, for every month of history.

    Uses the rows of :func:`apply_weights` whose next ``horizon`` months are in the data
    (later months cannot be judged yet) and that have a score. Too short (fewer than
    horizon + 3 months) or too few churn events (< :data:`MIN_CHURN_EVENTS`) → not judgeable.
    """
    labelled, churned = churn_labels(scored, horizon)
    has_score = scored["score"].notna().to_numpy()
    use = labelled & has_score
    frame = scored.loc[use, ["account_id", "month", "score", "band", "months_to_churn"]].copy()
    y = churned[use]
    frame["churned"] = y
    months = int(scored["month"].nunique()) if not scored.empty else 0
    labelled_months = int(frame["month"].nunique())
    events = _events(frame, y)
    overall = auc(-frame["score"].to_numpy(), y) if len(frame) else None

    by_month_rows = []
    if len(frame):
        frame["risk_rank"] = frame.groupby("month")["score"].rank(method="average", ascending=False)
        grouped = frame.groupby("month")
        n = grouped.size()
        n1 = grouped["churned"].sum()
        rank_sum = frame[frame["churned"]].groupby("month")["risk_rank"].sum().reindex(n.index, fill_value=0.0)
        n0 = n - n1
        with np.errstate(invalid="ignore", divide="ignore"):
            month_auc = (rank_sum - n1 * (n1 + 1) / 2.0) / (n1 * n0)
        month_auc = month_auc.where((n1 > 0) & (n0 > 0))
        by_month_rows = pd.DataFrame({"month": n.index, "auc": month_auc.to_numpy(dtype="float64"),
                                      "accounts": n.to_numpy(), "churned": n1.to_numpy(dtype="int64")})
    auc_by_month = (by_month_rows if isinstance(by_month_rows, pd.DataFrame) else
                    pd.DataFrame({"month": pd.Series(dtype="datetime64[us]"), "auc": pd.Series(dtype="float64"),
                                  "accounts": pd.Series(dtype="int64"), "churned": pd.Series(dtype="int64")}))

    rates = []
    for band in BANDS:
        in_band = frame["band"] == band
        count = int(in_band.sum())
        lost = int(frame.loc[in_band, "churned"].sum())
        rates.append({"band": band, "account_months": count, "churned": lost,
                      "churn_rate": lost / count if count else None})
    band_rates = pd.DataFrame(rates)
    red, green = rates[2]["churn_rate"], rates[0]["churn_rate"]
    lift = red / green if red is not None and green else None

    if not has_score.any():
        judgeable, reason = False, "no_scores"
    elif months < horizon + 3 or labelled_months < 3:
        judgeable, reason = False, "short_history"
    elif events < MIN_CHURN_EVENTS or overall is None:
        judgeable, reason = False, "few_events"
    else:
        judgeable, reason = True, None
    return Backtest(horizon, judgeable, reason, overall, auc_by_month, band_rates, lift, months,
                    labelled_months, events, int(len(frame)), int((labelled & ~has_score).sum()))


# Fitting weights
@dataclass(frozen=True)
class WeightFit:
    """Weights fitted on the history and their test on later, held-out months.

    ``weights``: suggested whole-number weights summing to 100 (0 for components with no
    data or no protective effect); ``auc_after``: pooled AUC of the suggested weights on
    the test months (compare with :func:`holdout_auc` of the current weights);
    ``train_months`` / ``test_months``: (first, last) month of each part. ``judgeable``
    False with ``reason`` ('short_history', 'few_events', 'no_signal') when no fit can be
    trusted.
    """

    judgeable: bool
    reason: str | None
    horizon: int
    weights: dict[str, int] | None = None
    auc_after: float | None = None
    train_months: tuple[pd.Timestamp, pd.Timestamp] | None = None
    test_months: tuple[pd.Timestamp, pd.Timestamp] | None = None
    coefficients: dict[str, float] | None = None


def _round_to_100(shares: Mapping[str, float]) -> dict[str, int]:
    """Whole numbers summing to 100 (largest remainder), from non-negative shares."""
    total = sum(shares.values())
    raw = {k: 100.0 * v / total for k, v in shares.items()}
    out = {k: int(math.floor(v)) for k, v in raw.items()}
    short = 100 - sum(out.values())
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[:short]:
        out[k] += 1
    return out


def holdout_auc(components: pd.DataFrame, weights: Mapping[str, Any], fit: WeightFit) -> float | None:
    """Pooled AUC of ``weights`` on the fit's test months (None without a judgeable fit)."""
    if not fit.judgeable or fit.test_months is None:
        return None
    labelled, churned = churn_labels(components, fit.horizon)
    ix = _month_ix(components["month"])
    test = labelled & (ix >= month_index(fit.test_months[0])) & (ix <= month_index(fit.test_months[1]))
    scored = apply_weights(components.loc[test], weights)
    has = scored["score"].notna().to_numpy()
    return auc(-scored["score"].to_numpy()[has], churned[test][has])


def fit_weights(components: pd.DataFrame, horizon: int = DEFAULT_HORIZON, test_share: float = 1 / 3,
                C: float = 1.0, max_rows: int = 200_000, seed: int = 0) -> WeightFit:
    """Suggest weights by an L2-regularised logistic regression of churn within ``horizon``
    months on the component scores (÷ 100), fitted on the earlier months only.

    Time split: the last ``test_share`` of the labelled months are held out; training
    uses months at least ``horizon`` months before the first test month, so no training
    label looks into the test period. A missing component is imputed with the mean of
    the row's other components (what the score's reweighting does). A component whose
    coefficient says "higher score, more churn" cannot be a health weight: it is dropped
    and the model refitted. Weights ∝ −coefficient, rounded to whole numbers summing to 100.
    """
    from sklearn.linear_model import LogisticRegression

    labelled, churned = churn_labels(components, horizon)
    avail = [c for c in COMPONENTS if c in components.columns and components[c].notna().any()]
    if not avail:
        return WeightFit(False, "no_signal", horizon)
    values = components[avail].to_numpy(dtype="float64") / 100.0
    use = labelled & ~np.isnan(values).all(axis=1)
    ix = _month_ix(components["month"])
    months = np.unique(ix[use])
    if len(months) < 4:
        return WeightFit(False, "short_history", horizon)
    n_test = max(1, int(round(len(months) * test_share)))
    test_start = months[-n_test]
    train_mask = use & (ix <= test_start - horizon)
    test_mask = use & (ix >= test_start)
    if len(np.unique(ix[train_mask])) < 2:
        return WeightFit(False, "short_history", horizon)
    if (_events(components.loc[train_mask], churned[train_mask]) < MIN_CHURN_EVENTS
            or _events(components.loc[test_mask], churned[test_mask]) < 3):
        return WeightFit(False, "few_events", horizon)

    X = values[train_mask]
    present = ~np.isnan(X)
    row_mean = np.where(present, X, 0.0).sum(axis=1) / present.sum(axis=1)
    X = np.where(present, X, row_mean[:, None])
    y = churned[train_mask]
    if len(y) > max_rows:
        pick = np.random.default_rng(seed).choice(len(y), size=max_rows, replace=False)
        X, y, present = X[pick], y[pick], present[pick]
    # A component seen in few training rows (e.g. a snapshot scored only in the latest
    # month) would be fitted on its imputed values alone.
    seen = present.mean(axis=0) if len(present) else np.zeros(len(avail))
    active = [i for i in range(len(avail)) if seen[i] >= 0.05 and X[:, i].std() > 0]
    coefs: dict[str, float] = {}
    while active:
        model = LogisticRegression(C=C, solver="newton-cholesky", max_iter=200)
        model.fit(X[:, active], y)
        beta = model.coef_[0]
        coefs = {avail[i]: float(b) for i, b in zip(active, beta)}
        keep = [i for i, b in zip(active, beta) if b < 0]
        if len(keep) == len(active):
            break
        active = keep
    if not active:
        return WeightFit(False, "no_signal", horizon, coefficients=coefs or None)
    weights = {c: 0 for c in COMPONENTS}
    weights.update(_round_to_100({avail[i]: -coefs[avail[i]] for i in active}))
    test_ix = ix[test_mask]
    train_ix = ix[train_mask]

    def month_of(i: int) -> pd.Timestamp:
        return pd.Timestamp(year=int(i // 12), month=int(i % 12 + 1), day=1)

    fit = WeightFit(True, None, horizon, weights, None,
                    (month_of(train_ix.min()), month_of(train_ix.max())),
                    (month_of(test_ix.min()), month_of(test_ix.max())), coefs)
    return WeightFit(True, None, horizon, weights, holdout_auc(components, weights, fit),
                     fit.train_months, fit.test_months, coefs)


def suggest_weights(con: duckdb.DuckDBPyConnection, scope: Scope | None = None,
                    settings: Mapping[str, Any] | None = None, horizon: int = DEFAULT_HORIZON) -> WeightFit:
    """:func:`fit_weights` on the workspace's component scores."""
    return fit_weights(component_scores(con, scope, settings), horizon)
