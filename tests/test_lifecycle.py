"""Lifecycle: rules, stages and activity by hand, migration counts on a small fixture, the
intervention queue, time in stage, and the migration identities on the sample company."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cs_metrics import health, lifecycle
from cs_metrics.errors import InputError
from cs_metrics.workspace import Workspace

RULES = lifecycle.lifecycle_rules()


def frame(rows: list[tuple]) -> pd.DataFrame:
    """Scored rows (account, month, arr, band, utilisation[, usage_trend])."""
    out = pd.DataFrame(rows, columns=["account_id", "month", "arr", "band", "utilisation", "usage_trend"][:len(rows[0])])
    out["month"] = pd.to_datetime(out["month"])
    for col in ("score", "events_month", "seats", "months_after"):
        out[col] = np.nan
    out["score"] = out["band"].map({"green": 80.0, "yellow": 55.0, "red": 20.0})
    return out


def test_rules_merge_validate_and_keep_thresholds_per_measure():
    assert RULES["onboarding_days"] == 90 and RULES["very_active"] == 0.7
    events = lifecycle.lifecycle_rules(rules={"activity_measure": "events"})
    assert (events["very_active"], events["active"], events["low"]) == (12.0, 6.0, 1.0)
    flat = lifecycle.lifecycle_rules(rules={"very_active": 0.9})
    assert flat["very_active"] == 0.9 and flat["thresholds"]["utilisation"]["very_active"] == 0.9
    ws = Workspace.create(":memory:")
    ws.set_setting("lifecycle.rules", {"onboarding_days": 60, "thresholds": {"events": {"low": 2}}})
    saved = lifecycle.lifecycle_rules(ws.con, {"activity_measure": "events"})
    assert saved["onboarding_days"] == 60 and saved["low"] == 2.0 and saved["active"] == 6.0
    with pytest.raises(InputError):
        lifecycle.lifecycle_rules(rules={"onboarding_days": 400, "adoption_days": 300})
    with pytest.raises(InputError):
        lifecycle.lifecycle_rules(rules={"very_active": 0.2, "active": 0.4})
    with pytest.raises(InputError):
        lifecycle.lifecycle_rules(rules={"activity_measure": "logins"})


def test_activity_states_by_threshold():
    states = lifecycle.activity_state([0.7, 0.69, 0.4, 0.1, 0.05, np.nan], RULES)
    assert states.tolist() == ["very_active", "active", "active", "low", "dormant", None]


def test_stages_by_hand():
    accounts = pd.DataFrame({"account_id": ["A", "R"],
                             "start_date": pd.to_datetime(["2024-01-15", "2024-01-15"]),
                             "renewal_date": pd.to_datetime(["2025-01-15", "2025-01-15"])})
    scored = frame([
        ("A", "2024-01-01", 100.0, "green", 0.8),  # 16 days in: onboarding
        ("A", "2024-04-01", 100.0, "green", 0.8),  # 106 days: adoption
        ("A", "2024-10-01", 100.0, "green", 0.8),  # renewal 15 Jan is 76 days after 31 Oct
        ("A", "2025-01-01", 100.0, "green", 0.8),  # renewed: next one 349 days away, 382 days in: steady
        ("A", "2025-11-01", 100.0, "green", 0.8),  # 46 days before the 2026 anniversary: renewal
        ("R", "2024-01-01", 100.0, "red", 0.8),    # red beats every other rule
    ])
    out = lifecycle.assign_states(scored, accounts, RULES)
    assert out["stage"].tolist() == ["onboarding", "adoption", "renewal", "steady", "renewal", "at_risk"]
    assert_allclose(out["days_since_start"], [16, 106, 290, 382, 685, 16])
    assert_allclose(out["days_to_renewal"], [350, 260, 76, 349, 46, 350])
    # Without a renewal cycle only the renewal date itself counts.
    once = lifecycle.assign_states(scored, accounts, {**RULES, "renewal_cycle_months": 0})
    assert once["stage"].tolist()[3:5] == ["steady", "steady"]


def test_renewal_anniversary_on_a_month_end_day():
    renewal = pd.Series(pd.to_datetime(["2023-01-31", "2023-01-31"]))
    month_end = pd.Series(pd.to_datetime(["2024-01-31", "2024-02-29"]))
    nxt = lifecycle._next_renewal(renewal, month_end, 12)
    assert nxt.dt.strftime("%Y-%m-%d").tolist() == ["2024-01-31", "2025-01-31"]
    monthly = lifecycle._next_renewal(renewal, month_end, 1)
    assert monthly.dt.strftime("%Y-%m-%d").tolist() == ["2024-01-31", "2024-02-29"]


def small_history() -> pd.DataFrame:
    """Five accounts over two months: a downgrade, an upgrade, a churn, a newcomer, a stayer."""
    rows = [
        ("A", "2024-01-01", 100.0, "green", 0.8, 100.0), ("A", "2024-02-01", 110.0, "red", 0.2, 10.0),
        ("B", "2024-01-01", 50.0, "yellow", 0.5, 60.0), ("B", "2024-02-01", 50.0, "green", 0.8, 100.0),
        ("C", "2024-01-01", 30.0, "red", 0.05, 0.0),
        ("D", "2024-02-01", 20.0, "yellow", 0.3, np.nan),
        ("E", "2024-01-01", 70.0, "green", 0.9, 90.0), ("E", "2024-02-01", 70.0, "green", 0.5, 95.0),
    ]
    scored = frame(rows)
    accounts = pd.DataFrame({"account_id": list("ABCDE"), "start_date": pd.to_datetime(["2020-01-01"] * 5)})
    return lifecycle.assign_states(scored, accounts, RULES)


def test_migration_counts_and_arr_by_hand():
    moves = lifecycle.migrations(small_history(), "band")
    got = {(r.from_state, r.to_state): (r.accounts, r.arr) for r in moves.itertuples()}
    assert got == {("new", "yellow"): (1, 20.0), ("green", "red"): (1, 100.0), ("green", "green"): (1, 70.0),
                   ("yellow", "green"): (1, 50.0), ("red", "churned"): (1, 30.0)}
    # Rows in display order: new first, churned last.
    assert moves["from_state"].tolist()[0] == "new" and moves["to_state"].tolist()[-1] == "churned"
    table = lifecycle.migration_table(moves, "band")
    assert table.loc["green", "red"] == 1 and table.loc["new", "yellow"] == 1 and table.loc["yellow", "red"] == 0
    activity = lifecycle.migrations(small_history(), "activity", "2024-02")
    got = {(r.from_state, r.to_state): r.accounts for r in activity.itertuples()}
    assert got == {("new", "low"): 1, ("very_active", "low"): 1, ("active", "very_active"): 1,
                   ("very_active", "active"): 1, ("dormant", "churned"): 1}
    stages = lifecycle.migrations(small_history(), "stage")
    assert {(r.from_state, r.to_state) for r in stages.itertuples()} == {
        ("new", "steady"), ("steady", "at_risk"), ("steady", "steady"), ("at_risk", "churned")}


def test_intervention_queue_lists_accounts_that_moved_down_with_the_reason():
    queue = lifecycle.intervention_queue(small_history(), weights={"usage_trend": 1})
    # A fell green → red and very active → low; E kept green but fell very active → active.
    # B improved, C churned (not a call any more), D is new.
    assert queue["account_id"].tolist() == ["A", "E"]
    a = queue.iloc[0]
    assert (a["band_before"], a["band"], a["stage"], a["arr"]) == ("green", "red", "at_risk", 110.0)
    assert (a["driver"], a["driver_before"], a["driver_now"]) == ("usage_trend", 100.0, 10.0)
    assert pd.isna(queue.iloc[1]["driver"])  # E's only component rose


def test_time_in_stage_by_hand():
    data = pd.DataFrame({
        "account_id": ["A"] * 6 + ["B"] * 6,
        "month": pd.to_datetime([f"2024-{m:02d}-01" for m in range(1, 7)] * 2),
        "stage": ["onboarding", "onboarding", "adoption", "adoption", "adoption", "steady",
                  "steady", "steady", "renewal", "renewal", "steady", "steady"],
    })
    times = lifecycle.time_in_stage(data).set_index("stage")
    # A's adoption (months 3–5) and B's renewal (3–4) are complete; onboarding and B's first
    # steady stay began with the data, so their length is unknown.
    assert times.loc["adoption", "mean_months"] == 3.0 and times.loc["adoption", "completed"] == 1
    assert times.loc["renewal", "mean_months"] == 2.0
    assert pd.isna(times.loc["onboarding", "mean_months"]) and times.loc["onboarding", "spells"] == 1
    assert times.loc["steady", "accounts_now"] == 2 and times.loc["steady", "months_so_far"] == 1.5
    assert times.loc["steady", "spells"] == 3
    assert lifecycle.time_in_stage(data.iloc[0:0]).empty


def test_empty_frames():
    empty = health.health_scores(Workspace.create(":memory:").con, raw=True)
    states = lifecycle.assign_states(empty, pd.DataFrame({"account_id": []}), RULES)
    assert lifecycle.migrations(states, "band").empty
    assert lifecycle.intervention_queue(states).empty


def test_sample_company_states_and_migration_identities(sample_ws):
    states = lifecycle.lifecycle_states(sample_ws.con)
    assert states["stage"].notna().all() and set(states["stage"]) <= set(lifecycle.STAGES)
    assert set(states["activity"].dropna()) <= set(lifecycle.ACTIVITY)
    months = sorted(states["month"].unique())
    for when in (months[-1], months[len(months) // 2]):
        label = pd.Timestamp(when).strftime("%Y-%m")
        prev = pd.Timestamp(when) - pd.DateOffset(months=1)
        active_before = int((states["month"] == prev).sum())
        active_now = int((states["month"] == pd.Timestamp(when)).sum())
        for dim in lifecycle.DIMENSIONS:
            moves = lifecycle.migrations(states, dim, label)
            assert moves.loc[moves["from_state"] != "new", "accounts"].sum() == active_before
            assert moves.loc[moves["to_state"] != "churned", "accounts"].sum() == active_now
        # Churned is the same whichever dimension is looked at.
        churned = [lifecycle.migrations(states, d, label).query("to_state == 'churned'")["accounts"].sum()
                   for d in lifecycle.DIMENSIONS]
        assert len(set(churned)) == 1
    queue = lifecycle.intervention_queue(states)
    assert queue["arr"].is_monotonic_decreasing
    times = lifecycle.time_in_stage(states)
    assert times["accounts_now"].sum() == int((states["month"] == months[-1]).sum())
