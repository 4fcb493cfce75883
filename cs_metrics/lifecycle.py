"""Lifecycle: stages, activity states and the month-over-month migrations that call for action.

Every account-month with MRR > 0 (the rows of :func:`cs_metrics.health.health_scores`)
gets three states, evaluated at month end:

* **health band** — green / yellow / red from the health score (unscored when none);
* **activity** — by usage: the chosen measure against editable thresholds, e.g.
  utilisation (average active users ÷ seats) ≥ 0.7 very active, ≥ 0.4 active, ≥ 0.1 low,
  below that dormant; or events per seat in the month. No usage data for the month →
  unknown;
* **stage** — the first rule that holds, in this order: *at risk* (band red); *renewal*
  (the next renewal is at most ``renewal_window_days`` = 90 days away; renewals recur
  every ``renewal_cycle_months`` = 12 months on the renewal date's anniversary, 0 = only
  the renewal date itself); *onboarding* (less than ``onboarding_days`` = 90 days since
  the start date); *adoption* (less than ``adoption_days`` = 365 days); else *steady*.
  An account that stops paying moves to *churned*.

A migration compares month m − 1 with month m: an account active in both moves between
states; one active only in m − 1 moves to "churned", one active only in m comes from
"new" (new or returning). ARR is the ARR of the month the account came from (of m for
new ones), so a matrix shows how much revenue made each move.
"""

from __future__ import annotations

from typing import Any, Mapping

import duckdb
import numpy as np
import pandas as pd

from cs_metrics import health
from cs_metrics.errors import InputError
from cs_metrics.scope import Scope, table_columns

STAGES: tuple[str, ...] = ("onboarding", "adoption", "steady", "renewal", "at_risk", "churned")
ACTIVITY: tuple[str, ...] = ("very_active", "active", "low", "dormant")
MEASURES: tuple[str, ...] = ("utilisation", "events")
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "utilisation": {"very_active": 0.7, "active": 0.4, "low": 0.1},
    "events": {"very_active": 12.0, "active": 6.0, "low": 1.0},
}
DEFAULT_RULES: dict[str, Any] = {
    "onboarding_days": 90,
    "adoption_days": 365,
    "renewal_window_days": 90,
    "renewal_cycle_months": 12,
    "activity_measure": "utilisation",
}
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "band": ("green", "yellow", "red", "unscored"),
    "activity": (*ACTIVITY, "unknown"),
    "stage": STAGES[:-1],
}
NEW, CHURNED = "new", "churned"
# Higher is better; states without a rank (unscored, unknown) are never "down".
_RANK = {
    "band": {"green": 2, "yellow": 1, "red": 0},
    "activity": {"very_active": 3, "active": 2, "low": 1, "dormant": 0},
}
_MISSING = {"band": "unscored", "activity": "unknown", "stage": "steady"}


def lifecycle_rules(con: duckdb.DuckDBPyConnection | None = None,
                    rules: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults ← the workspace's saved ``lifecycle.rules`` ← ``rules``, validated.

    Activity thresholds are kept per measure (``{"thresholds": {"utilisation": {...},
    "events": {...}}}``); the result also carries the chosen measure's thresholds as
    ``very_active`` ≥ ``active`` ≥ ``low`` ≥ 0.
    """
    merged: dict[str, Any] = {k: v for k, v in DEFAULT_RULES.items()}
    thresholds = {m: dict(v) for m, v in DEFAULT_THRESHOLDS.items()}
    for layer in (_saved_rules(con), dict(rules or {})):
        for measure, values in (layer.pop("thresholds", None) or {}).items():
            if measure in thresholds:
                thresholds[measure].update(values or {})
        merged.update({k: v for k, v in layer.items() if v is not None})
        # Flat thresholds apply to the measure chosen so far.
        if merged.get("activity_measure") in thresholds:
            for key in ("very_active", "active", "low"):
                if layer.get(key) is not None:
                    thresholds[merged["activity_measure"]][key] = layer[key]
    measure = merged.get("activity_measure")
    if measure not in MEASURES:
        raise InputError(f"The activity measure must be one of {', '.join(MEASURES)}, got {measure!r}.")
    out: dict[str, Any] = {"activity_measure": measure}
    for key in ("onboarding_days", "adoption_days", "renewal_window_days", "renewal_cycle_months"):
        try:
            value = int(merged[key])
        except (TypeError, ValueError):
            raise InputError(f"'{key}' must be a whole number, got {merged[key]!r}.") from None
        if value < 0:
            raise InputError(f"'{key}' must be 0 or more, got {value}.")
        out[key] = value
    if out["adoption_days"] < out["onboarding_days"]:
        raise InputError("Adoption must end after onboarding (adoption_days ≥ onboarding_days).")
    for name, values in thresholds.items():
        try:
            clean = {k: float(values[k]) for k in ("very_active", "active", "low")}
        except (TypeError, ValueError, KeyError):
            raise InputError(f"The {name} thresholds must be numbers, got {values!r}.") from None
        if not (clean["very_active"] >= clean["active"] >= clean["low"] >= 0):
            raise InputError("Activity thresholds need very active ≥ active ≥ low ≥ 0.")
        thresholds[name] = clean
    out["thresholds"] = thresholds
    out.update(thresholds[measure])
    return out


def _saved_rules(con: duckdb.DuckDBPyConnection | None) -> dict[str, Any]:
    import json

    if con is None or not health._table_exists(con, "_polaris_settings"):
        return {}
    row = con.execute("SELECT value FROM _polaris_settings WHERE key = 'lifecycle.rules'").fetchone()
    return dict(json.loads(row[0])) if row else {}


def activity_state(value: Any, rules: Mapping[str, Any]) -> np.ndarray:
    """very_active / active / low / dormant by the thresholds; None where the value is NaN."""
    v = np.asarray(value, dtype="float64")
    out = np.select([v >= rules["very_active"], v >= rules["active"], v >= rules["low"]],
                    ["very_active", "active", "low"], "dormant").astype(object)
    out[np.isnan(v)] = None
    return out


def _month_end(month: pd.Series) -> pd.Series:
    return month + pd.offsets.MonthEnd(0)


def _month_starts(month_ix: np.ndarray) -> np.ndarray:
    """Month index (year × 12 + month − 1, float with NaN) → datetime64[D] of the first day (NaT for NaN)."""
    out = np.full(len(month_ix), np.datetime64("NaT"), dtype="datetime64[D]")
    ok = ~np.isnan(month_ix)
    out[ok] = (month_ix[ok].astype("int64") - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
    return out


def _next_renewal(renewal: pd.Series, month_end: pd.Series, cycle: int) -> pd.Series:
    """The first renewal on or after month end, renewals recurring every ``cycle`` months
    on the renewal date's anniversary (0: the renewal date only, if not yet passed)."""
    if cycle <= 0:
        return renewal.where(renewal >= month_end)
    r = renewal.to_numpy(dtype="datetime64[D]")
    e = month_end.to_numpy(dtype="datetime64[D]")
    known = ~np.isnat(r)
    r_month = np.where(known, r.astype("datetime64[M]").astype("int64"), 0).astype("float64")
    r_ix = np.where(known, r_month + 1970 * 12, np.nan)
    e_ix = e.astype("datetime64[M]").astype("int64").astype("float64") + 1970 * 12
    r_day = np.where(known, (r - r.astype("datetime64[M]").astype("datetime64[D]")).astype("int64"), 0)

    def on_day(target: np.ndarray) -> np.ndarray:
        # The renewal's day of month, or the month's last day when the month is shorter.
        first = _month_starts(target)
        length = (_month_starts(target + 1) - first).astype("int64")
        return first + np.minimum(r_day, np.where(np.isnan(target), 0, length - 1)).astype("timedelta64[D]")

    steps = np.floor((e_ix - r_ix) / cycle)
    target = r_ix + cycle * steps
    # The renewal month of this cycle may end before month end only when it is the same
    # month with a later day; then the next cycle is the one ahead.
    behind = on_day(target) < e
    target = np.where(behind, target + cycle, target)
    return pd.Series(on_day(target).astype("datetime64[us]"), index=renewal.index)


def assign_states(scored: pd.DataFrame, accounts: pd.DataFrame, rules: Mapping[str, Any]) -> pd.DataFrame:
    """Add ``activity_value``, ``activity``, ``days_since_start``, ``days_to_renewal`` and
    ``stage`` to a scored health frame with its raw measures (``health_scores(raw=True)``;
    vectorised). ``accounts`` holds account_id and,
    where known, start_date and renewal_date; without a start date the first month with
    MRR counts as the start."""
    # A shallow copy: the new columns go beside the scored frame's, which is not changed
    # (copying it whole would stack every float column into one block first).
    frame = scored.copy(deep=False)
    if rules["activity_measure"] == "utilisation":
        frame["activity_value"] = frame["utilisation"]
    else:
        seats = frame["seats"].where(frame["seats"] > 0)
        frame["activity_value"] = np.where(frame["seats"].notna().any(), frame["events_month"] / seats,
                                           frame["events_month"])
    frame["activity"] = activity_state(frame["activity_value"].to_numpy(), rules)
    month_end = _month_end(frame["month"])
    # Account attributes on every row through one factorisation of the ids (not a string
    # lookup per row).
    codes, ids = pd.factorize(frame["account_id"])
    where = pd.Index(accounts["account_id"]).get_indexer(ids) if len(accounts) else np.full(len(ids), -1)

    def per_row(column: str) -> pd.Series:
        values = pd.to_datetime(accounts[column]).to_numpy(dtype="datetime64[us]")
        by_account = np.where(where >= 0, values[np.maximum(where, 0)] if len(values) else np.datetime64("NaT"),
                              np.datetime64("NaT"))
        return pd.Series(by_account[codes], index=frame.index)

    months = frame["month"].to_numpy(dtype="datetime64[us]")
    first = np.full(len(ids), np.iinfo("int64").max)
    np.minimum.at(first, codes, months.astype("int64"))
    first_month = pd.Series(first[codes].astype("datetime64[us]"), index=frame.index)
    start = first_month
    if "start_date" in accounts:
        start = per_row("start_date").fillna(first_month)
    frame["days_since_start"] = (month_end - start).dt.days.astype("float64")
    if "renewal_date" in accounts:
        renewal = per_row("renewal_date")
        nxt = _next_renewal(renewal, month_end, int(rules["renewal_cycle_months"]))
        frame["days_to_renewal"] = (nxt - month_end).dt.days.astype("float64")
    else:
        frame["days_to_renewal"] = np.nan
    dss = frame["days_since_start"].to_numpy()
    dtr = frame["days_to_renewal"].to_numpy()
    frame["stage"] = np.select(
        [frame["band"].to_numpy() == "red",
         dtr <= rules["renewal_window_days"],
         dss < rules["onboarding_days"],
         dss < rules["adoption_days"]],
        ["at_risk", "renewal", "onboarding", "adoption"], "steady").astype(object)
    return frame


def lifecycle_states(con: duckdb.DuckDBPyConnection, scope: Scope | None = None,
                     settings: Mapping[str, Any] | None = None,
                     rules: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Health band, activity state and stage of every account in every active month.

    The health frame of :func:`cs_metrics.health.health_scores` (saved or given settings)
    with the columns of :func:`assign_states`.
    """
    cfg = lifecycle_rules(con, rules)
    scored = health.health_scores(con, scope, settings, raw=True)
    accounts = pd.DataFrame({"account_id": pd.Series(dtype="str")})
    if health._table_exists(con, "accounts"):
        have = [c for c in ("start_date", "renewal_date") if c in table_columns(con, "accounts")]
        select = ", ".join(["account_id"] + [f"min({c}) AS {c}" for c in have])
        accounts = con.execute(f"SELECT {select} FROM accounts WHERE account_id IS NOT NULL GROUP BY 1").df()
        accounts["account_id"] = accounts["account_id"].astype("str")
    return assign_states(scored, accounts, cfg)


def _state(frame: pd.DataFrame, dimension: str) -> pd.Series:
    if dimension not in DIMENSIONS:
        raise InputError(f"Unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}.")
    return frame[dimension].astype("object").where(frame[dimension].notna(), _MISSING[dimension])


def _pair(frame: pd.DataFrame, month: Any = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp | None]:
    """(rows of month − 1, rows of month, month); month None = the data's last month."""
    if frame.empty:
        return frame, frame, None
    ix = health._month_ix(frame["month"])
    target = health.last_month_index(frame) if month is None else health.month_index(month)
    when = pd.Timestamp(year=int(target // 12), month=int(target % 12 + 1), day=1)
    return frame[ix == target - 1], frame[ix == target], when


def migrations(frame: pd.DataFrame, dimension: str, month: Any = None) -> pd.DataFrame:
    """Accounts and ARR moving from each state in month − 1 to each state in ``month``.

    Columns: from_state, to_state, accounts, arr. ``from_state`` 'new' = not active in
    month − 1; ``to_state`` 'churned' = not active in ``month``. Only non-empty moves.
    """
    before, after, _ = _pair(frame, month)
    left = pd.DataFrame({"account_id": before["account_id"].to_numpy(),
                         "from_state": _state(before, dimension).to_numpy(),
                         "arr_from": before["arr"].to_numpy()})
    right = pd.DataFrame({"account_id": after["account_id"].to_numpy(),
                          "to_state": _state(after, dimension).to_numpy(),
                          "arr_to": after["arr"].to_numpy()})
    both = left.merge(right, on="account_id", how="outer")
    both["from_state"] = both["from_state"].fillna(NEW)
    both["to_state"] = both["to_state"].fillna(CHURNED)
    both["arr"] = both["arr_from"].fillna(both["arr_to"])
    out = (both.groupby(["from_state", "to_state"]).agg(accounts=("account_id", "size"), arr=("arr", "sum"))
           .reset_index())
    order = state_order(dimension)
    out["_f"] = out["from_state"].map({s: i for i, s in enumerate(order)})
    out["_t"] = out["to_state"].map({s: i for i, s in enumerate(order)})
    return (out.sort_values(["_f", "_t"]).drop(columns=["_f", "_t"]).reset_index(drop=True)
            .astype({"accounts": "int64", "arr": "float64"}))


def state_order(dimension: str) -> tuple[str, ...]:
    """Display order of a dimension's states, with 'new' first and 'churned' last."""
    if dimension not in DIMENSIONS:
        raise InputError(f"Unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}.")
    return (NEW, *DIMENSIONS[dimension], CHURNED)


def migration_table(moves: pd.DataFrame, dimension: str, value: str = "accounts") -> pd.DataFrame:
    """The moves as a from × to matrix (rows: from, columns: to), zeros where none moved."""
    order = state_order(dimension)
    froms = [s for s in order if s in set(moves["from_state"])]
    tos = [s for s in order if s in set(moves["to_state"])]
    wide = moves.pivot_table(index="from_state", columns="to_state", values=value, aggfunc="sum", fill_value=0)
    return wide.reindex(index=froms, columns=tos, fill_value=0)


def intervention_queue(frame: pd.DataFrame, month: Any = None,
                       weights: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Accounts active in month − 1 and ``month`` that moved down: to a worse health band,
    a lower activity state, or into the at-risk stage. Largest ARR first.

    Columns: account_id, arr, score_before, score, band_before, band, activity_before,
    activity, stage_before, stage, driver (the component whose weighted score fell the
    most: w_i × (s_i before − s_i now), among components scored in both months),
    driver_before, driver_now. ``driver`` is missing when no component fell.
    """
    before, after, _ = _pair(frame, month)
    cols = ["account_id", "score", "band", "activity", "stage",
            *[c for c in health.COMPONENTS if c in frame.columns]]
    both = before[cols].merge(after[cols + ["arr"]], on="account_id", suffixes=("_before", ""))
    down = np.zeros(len(both), dtype=bool)
    for dim, ranks in _RANK.items():
        was = both[f"{dim}_before"].map(ranks)
        now = both[dim].map(ranks)
        down |= (now < was).fillna(False).to_numpy(dtype=bool)
    down |= ((both["stage"] == "at_risk") & (both["stage_before"] != "at_risk")).to_numpy()
    moved = both[down].copy()
    w = health.normalise_weights(weights if weights is not None else health.DEFAULT_WEIGHTS)
    comps = [c for c in health.COMPONENTS if c in frame.columns and w[c] > 0]
    if comps and len(moved):
        was = moved[[f"{c}_before" for c in comps]].to_numpy(dtype="float64")
        now = moved[comps].to_numpy(dtype="float64")
        fall = (was - now) * np.array([w[c] for c in comps])
        fall = np.where(np.isnan(fall), -np.inf, fall)
        best = fall.argmax(axis=1)
        has = fall[np.arange(len(moved)), best] > 0
        names = np.array(comps, dtype=object)[best]
        moved["driver"] = np.where(has, names, None)
        moved["driver_before"] = np.where(has, was[np.arange(len(moved)), best], np.nan)
        moved["driver_now"] = np.where(has, now[np.arange(len(moved)), best], np.nan)
    else:
        moved["driver"] = pd.Series(dtype="object")
        moved["driver_before"] = pd.Series(dtype="float64")
        moved["driver_now"] = pd.Series(dtype="float64")
    keep = ["account_id", "arr", "score_before", "score", "band_before", "band", "activity_before", "activity",
            "stage_before", "stage", "driver", "driver_before", "driver_now"]
    return moved[keep].sort_values("arr", ascending=False).reset_index(drop=True)


def time_in_stage(frame: pd.DataFrame) -> pd.DataFrame:
    """Months accounts spend in each stage.

    A spell is an unbroken run of consecutive months of one account in one stage.
    Completed spells are those that ended (stage changed or the account churned) and
    began after the first month of the data (so their whole length is known): their
    mean and median length in months. ``accounts_now``: accounts in the stage in the
    latest month, ``months_so_far``: their mean months in it so far.
    """
    columns = ["stage", "spells", "completed", "mean_months", "median_months", "accounts_now", "months_so_far"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    data = pd.DataFrame({"account_id": frame["account_id"].to_numpy(), "ix": health._month_ix(frame["month"]),
                         "stage": frame["stage"].to_numpy()}).sort_values(["account_id", "ix"])
    first, last = data["ix"].min(), data["ix"].max()
    new_spell = ((data["account_id"] != data["account_id"].shift()) | (data["ix"] != data["ix"].shift() + 1)
                 | (data["stage"] != data["stage"].shift()))
    data["spell"] = new_spell.cumsum()
    spells = data.groupby("spell").agg(stage=("stage", "first"), start=("ix", "min"), end=("ix", "max"),
                                       months=("ix", "size"))
    done = spells[(spells["end"] < last) & (spells["start"] > first)]
    ongoing = spells[spells["end"] == last]
    rows = []
    for stage in STAGES[:-1]:
        mine, finished, now = spells[spells["stage"] == stage], done[done["stage"] == stage], ongoing[ongoing["stage"] == stage]
        rows.append({"stage": stage, "spells": int(len(mine)), "completed": int(len(finished)),
                     "mean_months": float(finished["months"].mean()) if len(finished) else None,
                     "median_months": float(finished["months"].median()) if len(finished) else None,
                     "accounts_now": int(len(now)),
                     "months_so_far": float(now["months"].mean()) if len(now) else None})
    return pd.DataFrame(rows, columns=columns)


def state_mix(frame: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Accounts and ARR in each state of ``dimension`` per month."""
    data = pd.DataFrame({"month": frame["month"], "state": _state(frame, dimension), "arr": frame["arr"]})
    return (data.groupby(["month", "state"]).agg(accounts=("state", "size"), arr=("arr", "sum"))
            .reset_index())
