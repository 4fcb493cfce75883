"""The North Star: the one usage measure that says a customer is getting value.

The user picks it from the numeric columns of the ``usage`` table, with a counter metric
beside it (Julie Zhuo's pairing: a success metric can be gamed or can hide damage, the
counter metric shows it). The choice is saved in the workspace setting ``northstar``::

    {"metric": "reports_created", "counter": "events",
     "agg": "sum", "counter_agg": "sum", "goal_metric": "reports per month"}

(only ``metric`` is required).

Definitions:

* **Monthly value of an account** = the ``agg`` of the measure over the account's usage
  rows in the calendar month: ``sum`` for flows (reports, events), ``avg`` for levels that
  are snapshots (active users, seats: summing four weekly snapshots would count the same
  people four times). The default is ``avg`` for columns whose name says users, seats or
  licences, else ``sum``; the user can change it.
* **The as-of month** is the latest month with usage rows.
* **An account's target**: the ``target`` of the account's goal whose metric names the
  North Star (goal metric equal to the column name or to ``goal_metric``, compared after
  lower-casing and turning every run of other characters into ``_``; the goal with the
  latest due date wins). Without such a goal the target is the **peer benchmark**: the
  median monthly value, in the same month, of the active accounts of the same segment
  (tier) that have usage that month (all accounts when there is no segment). We chose
  the segment median because a goal is the customer's own definition of success (003:
  "how they measure success"), and when none is recorded the fair yardstick is how
  comparable customers do; note that by construction about half of the accounts measured
  against the benchmark reach it.
* **Reaching the target**: monthly value ≥ target, or ≤ target for a goal whose target is
  below its baseline (lower is better).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

import duckdb
import pandas as pd

from cs_metrics import derived
from cs_metrics.errors import InputError
from cs_metrics.i18n import has, t
from cs_metrics.scope import Scope, quote_ident, table_columns

SETTING_KEY = "northstar"
AGGREGATIONS = ("sum", "avg")
_NOT_MEASURES = {"account_id", "date", "_source_key", "_source_file"}
_LEVEL_HINTS = ("user", "seat", "licen", "wau", "mau", "dau")
_NUMERIC_TYPES = ("DOUBLE", "FLOAT", "REAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT",
                  "HUGEINT", "DECIMAL", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")


@dataclass(frozen=True)
class NorthStarConfig:
    """The saved North Star choice (see the module docstring)."""

    metric: str
    counter: str | None = None
    agg: str = "sum"
    counter_agg: str = "sum"
    goal_metric: str | None = None

    def to_setting(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def default_agg(column: str) -> str:
    """'avg' for snapshot levels (users, seats, licences), 'sum' for flows.

    >>> default_agg("active_users"), default_agg("reports_created")
    ('avg', 'sum')
    """
    name = column.lower()
    return "avg" if any(hint in name for hint in _LEVEL_HINTS) else "sum"


def measure_label(column: str | None, lang: str = "en") -> str:
    """A usage column as display text: its ``col.*`` translation, else the name in words.

    >>> measure_label("reports_created"), measure_label("active_users", "zh")
    ('Reports created', '活跃用户')
    """
    if not column:
        return t("common.na", lang)
    key = f"col.{column}"
    return t(key, lang) if has(key) else column.replace("_", " ").strip().capitalize()


def normalise_name(text: Any) -> str:
    """Lower case, every run of characters other than a–z, 0–9 and CJK becomes '_'.

    >>> normalise_name("Reports Created"), normalise_name("reports_created")
    ('reports_created', 'reports_created')
    """
    return re.sub(r"[^a-z0-9\u4e00-\u9fff]+", "_", str(text or "").lower()).strip("_")


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
        "AND table_schema = current_schema()", [table]).fetchone()
    return bool(row and row[0])


def numeric_usage_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The numeric measures of the usage table (candidates for North Star and counter)."""
    if not _has_table(con, "usage"):
        return []
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'usage' "
        "AND table_schema = current_schema() ORDER BY ordinal_position").fetchall()
    return [name for name, kind in rows
            if name not in _NOT_MEASURES and str(kind).upper().split("(")[0] in _NUMERIC_TYPES]


def make_config(con: duckdb.DuckDBPyConnection, metric: str, counter: str | None = None,
                agg: str | None = None, counter_agg: str | None = None,
                goal_metric: str | None = None, measures: list[str] | None = None) -> NorthStarConfig:
    """A validated choice; raises :class:`InputError` for a column that is not a measure.

    ``measures`` is :func:`numeric_usage_columns` when the caller already has it.
    """
    measures = numeric_usage_columns(con) if measures is None else measures
    for name in (metric, counter):
        if name is not None and name not in measures:
            raise InputError(f"'{name}' is not a numeric column of the usage table "
                             f"(choose one of: {', '.join(measures) or 'none loaded'}).")
    if counter == metric:
        counter = None
    for value in (agg, counter_agg):
        if value is not None and value not in AGGREGATIONS:
            raise InputError(f"Aggregation must be one of {AGGREGATIONS}, not '{value}'.")
    return NorthStarConfig(
        metric=metric, counter=counter, agg=agg or default_agg(metric),
        counter_agg=counter_agg or (default_agg(counter) if counter else "sum"),
        goal_metric=(goal_metric or None))


def load_config(con: duckdb.DuckDBPyConnection) -> NorthStarConfig | None:
    """The saved North Star, or ``None`` when none is saved or its column has gone."""
    if not _has_table(con, "_polaris_settings"):
        return None
    row = con.execute("SELECT value FROM _polaris_settings WHERE key = ?", [SETTING_KEY]).fetchone()
    if not row:
        return None
    value = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    if isinstance(value, str):  # a bare column name, as an older setting may hold
        value = {"metric": value}
    if not isinstance(value, dict) or not value.get("metric"):
        return None
    measures = numeric_usage_columns(con)
    if value["metric"] not in measures:
        return None
    counter = value.get("counter") if value.get("counter") in measures else None
    try:
        return make_config(con, value["metric"], counter, value.get("agg"),
                           value.get("counter_agg") if counter else None, value.get("goal_metric"), measures)
    except InputError:
        return None


def _agg_sql(agg: str, column: str) -> str:
    return f"{'avg' if agg == 'avg' else 'sum'}({quote_ident(column)})"


def _segment_expr(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(join clause, segment expression) for the peer group of each account."""
    if _has_table(con, "accounts") and "segment" in table_columns(con, "accounts"):
        return ("LEFT JOIN accounts acc ON acc.account_id = v.account_id",
                "coalesce(CAST(acc.segment AS VARCHAR), '')")
    return "", "''"


def _monthly_sql(config: NorthStarConfig, where: str, with_counter: bool = True) -> str:
    counter = (_agg_sql(config.counter_agg, config.counter) if config.counter and with_counter
               else "CAST(NULL AS DOUBLE)")
    return (f"SELECT account_id, CAST(date_trunc('month', date) AS DATE) AS month, "
            f"CAST({_agg_sql(config.agg, config.metric)} AS DOUBLE) AS value, "
            f"CAST({counter} AS DOUBLE) AS counter FROM usage "
            f"WHERE account_id IS NOT NULL AND date IS NOT NULL AND {where} GROUP BY ALL")


def _goal_target_sql(con: duckdb.DuckDBPyConnection) -> str | None:
    """SQL of (account_id, target, baseline) from the goals naming the North Star."""
    if not _has_table(con, "goals"):
        return None
    cols = set(table_columns(con, "goals"))
    if not {"metric", "target"} <= cols:
        return None
    baseline = "CAST(baseline AS DOUBLE)" if "baseline" in cols else "CAST(NULL AS DOUBLE)"
    due = "due_date" if "due_date" in cols else "CAST(NULL AS DATE)"
    return (f"SELECT account_id, arg_max(CAST(target AS DOUBLE), coalesce({due}, DATE '1900-01-01')) AS target, "
            f"arg_max({baseline}, coalesce({due}, DATE '1900-01-01')) AS baseline FROM goals "
            "WHERE account_id IS NOT NULL AND target IS NOT NULL "
            "AND trim(regexp_replace(lower(CAST(metric AS VARCHAR)), '[^a-z0-9\u4e00-\u9fff]+', '_', 'g'), '_') "
            "IN ($ns_name_1, $ns_name_2) GROUP BY account_id")


def _target_params(config: NorthStarConfig) -> dict[str, str]:
    return {"ns_name_1": normalise_name(config.metric),
            "ns_name_2": normalise_name(config.goal_metric or config.metric)}


PEER_MONTHS = 6


def peer_medians(con: duckdb.DuckDBPyConnection, config: NorthStarConfig | None = None,
                 months: int = PEER_MONTHS) -> pd.DataFrame:
    """The peer benchmark: median monthly value per segment and month, over the latest
    ``months`` months of usage (all accounts with usage that month, whatever the filter).

    Columns: segment ('' when unknown or when there is no segment column), month, peer_median.
    One pass over the recent usage for every segment at once, so the page can cache it and
    every account after the first is free; the result (a few rows) is kept in the workspace
    for later sessions (:mod:`cs_metrics.derived`).
    """
    empty = pd.DataFrame(columns=["segment", "month", "peer_median"])
    config = config or load_config(con)
    if config is None or not _has_table(con, "usage"):
        return empty
    tag = derived.tag(con, "peer_medians", config.to_setting(), months)
    kept = derived.kept(con, "northstar_peers", tag)
    if kept is not None:
        frame = pd.DataFrame(kept, columns=["segment", "month", "peer_median"])
        frame["month"] = pd.to_datetime(frame["month"])
        frame["peer_median"] = frame["peer_median"].astype("float64")
        return frame
    last = con.execute("SELECT max(date) FROM usage WHERE account_id IS NOT NULL").fetchone()[0]
    if last is None:
        return empty
    first = (pd.Timestamp(last).to_period("M") - (months - 1)).to_timestamp().date()
    join, segment = _segment_expr(con)
    frame = con.execute(
        f"""SELECT {segment} AS segment, v.month, median(v.value) AS peer_median
            FROM ({_monthly_sql(config, "date >= $first", with_counter=False)}) v {join}
            GROUP BY ALL ORDER BY segment, v.month""", {"first": first}).df()
    frame["month"] = pd.to_datetime(frame["month"])
    frame["peer_median"] = frame["peer_median"].astype("float64")
    derived.keep(con, "northstar_peers", tag, [[str(r.segment), r.month.isoformat(), None if pd.isna(r.peer_median)
                                                else float(r.peer_median)] for r in frame.itertuples()])
    return frame


def account_northstar(con: duckdb.DuckDBPyConnection, account_id: str,
                      config: NorthStarConfig | None = None,
                      peers: pd.DataFrame | None = None) -> dict[str, Any] | None:
    """The North Star of one account, month by month, against its target and its peers.

    Returns ``None`` without a North Star or usage, else a dict with ``config``,
    ``history`` (DataFrame: month, value, counter, peer_median, target), ``segment``,
    ``target`` (goal target or None), ``target_source`` ('goal' / 'benchmark'),
    ``direction`` ('higher' / 'lower'), ``latest`` (the account's value in its latest month
    with usage), ``latest_month``, ``peer_median`` (that month) and ``reaching`` (bool or
    None). ``peers`` is :func:`peer_medians` (computed when not given); the peer median
    covers its months only (the latest 6), the account's own history goes back further.
    """
    config = config or load_config(con)
    if config is None or not _has_table(con, "usage"):
        return None
    join, _ = _segment_expr(con)
    params: dict[str, Any] = {"account_id": str(account_id)}
    history = con.execute(
        _monthly_sql(config, "account_id = $account_id") + " ORDER BY month", params).df()
    segment_value = None
    if join:
        row = con.execute("SELECT CAST(segment AS VARCHAR) FROM accounts WHERE account_id = $account_id",
                          params).fetchone()
        segment_value = row[0] if row else None
    peers = peer_medians(con, config) if peers is None else peers
    mine = peers[peers["segment"] == (segment_value or "")][["month", "peer_median"]]
    history["month"] = pd.to_datetime(history["month"])
    mine = mine.assign(month=pd.to_datetime(mine["month"]))
    history = history.merge(mine, on="month", how="left")
    goal_sql = _goal_target_sql(con)
    goal = None
    if goal_sql:
        goal = con.execute(f"SELECT target, baseline FROM ({goal_sql}) WHERE account_id = $account_id",
                           {"account_id": str(account_id), **_target_params(config)}).fetchone()
    target = float(goal[0]) if goal else None
    direction = "lower" if goal and goal[1] is not None and goal[0] < goal[1] else "higher"
    history["target"] = target if target is not None else history["peer_median"]
    latest = history.iloc[-1] if not history.empty else None
    latest_value = None if latest is None or pd.isna(latest["value"]) else float(latest["value"])
    benchmark = None if latest is None or pd.isna(latest["peer_median"]) else float(latest["peer_median"])
    yardstick = target if target is not None else benchmark
    reaching = None
    if latest_value is not None and yardstick is not None:
        reaching = latest_value <= yardstick if direction == "lower" else latest_value >= yardstick
    return {
        "config": config,
        "history": history[["month", "value", "counter", "peer_median", "target"]],
        "segment": segment_value,
        "target": target,
        "target_source": "goal" if target is not None else "benchmark",
        "direction": direction,
        "latest": latest_value,
        "latest_month": None if latest is None else latest["month"],
        "peer_median": benchmark,
        "reaching": reaching,
    }


def northstar_overview(con: duckdb.DuckDBPyConnection, scope: Scope | None = None,
                       config: NorthStarConfig | None = None) -> dict[str, Any] | None:
    """The North Star across the accounts in scope, for the Overview page.

    Returns ``None`` when no North Star is set (or its column is gone) or there is no
    usage; otherwise::

        {"metric", "counter", "agg", "month" (the as-of month),
         "trend": DataFrame(month, value, counter, accounts, median_value, reaching, share_reaching),
         "accounts_measured", "reaching", "share_reaching",
         "by_goal": accounts whose target is a goal, "by_benchmark": the others}

    ``value`` / ``counter`` in the trend are the totals over the accounts in scope;
    ``reaching`` counts accounts whose monthly value reached their target that month
    (goal target, else the median of their segment that month over *all* accounts of the
    segment, so the benchmark does not move with the filter).
    """
    config = config or load_config(con)
    if config is None or not _has_table(con, "usage"):
        return None
    scope_sql, params = (scope or Scope()).account_filter(con) if _has_table(con, "accounts") \
        else ("TRUE", {})
    join, segment = _segment_expr(con)
    goal_sql = _goal_target_sql(con)
    params = {**params, **_target_params(config)}
    goal_cte = goal_sql or ("SELECT CAST(NULL AS VARCHAR) AS account_id, CAST(NULL AS DOUBLE) AS target, "
                            "CAST(NULL AS DOUBLE) AS baseline WHERE FALSE")
    trend = con.execute(
        f"""
        WITH v AS ({_monthly_sql(config, 'TRUE')}),
        vs AS (SELECT v.*, {segment} AS segment FROM v {join}),
        peers AS (SELECT segment, month, median(value) AS peer_median FROM vs GROUP BY ALL),
        g AS ({goal_cte}),
        in_scope AS (SELECT * FROM vs WHERE {scope_sql}),
        scored AS (
            SELECT s.account_id, s.month, s.value, s.counter, g.target IS NOT NULL AS by_goal,
                   CASE WHEN g.target IS NOT NULL AND g.target < g.baseline THEN s.value <= g.target
                        WHEN g.target IS NOT NULL THEN s.value >= g.target
                        ELSE s.value >= p.peer_median END AS reached
            FROM in_scope s JOIN peers p ON p.segment = s.segment AND p.month = s.month
            LEFT JOIN g ON g.account_id = s.account_id
        )
        SELECT month, sum(value) AS value, sum(counter) AS counter, count(*) AS accounts,
               median(value) AS median_value, count(*) FILTER (WHERE reached) AS reaching,
               count(*) FILTER (WHERE reached) / count(*) AS share_reaching,
               count(*) FILTER (WHERE by_goal) AS by_goal
        FROM scored GROUP BY month ORDER BY month
        """,
        params,
    ).df()
    if trend.empty:
        return {"metric": config.metric, "counter": config.counter, "agg": config.agg, "month": None,
                "trend": trend.drop(columns=["by_goal"]), "accounts_measured": 0, "reaching": None,
                "share_reaching": None, "by_goal": 0, "by_benchmark": 0}
    if not config.counter:
        trend["counter"] = None
    last = trend.iloc[-1]
    return {
        "metric": config.metric,
        "counter": config.counter,
        "agg": config.agg,
        "month": last["month"],
        "trend": trend.drop(columns=["by_goal"]),
        "accounts_measured": int(last["accounts"]),
        "reaching": int(last["reaching"]),
        "share_reaching": float(last["share_reaching"]),
        "by_goal": int(last["by_goal"]),
        "by_benchmark": int(last["accounts"] - last["by_goal"]),
    }
