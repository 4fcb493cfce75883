"""Goal attainment: the maths by hand, lower-is-better goals, the time rule, and the SQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cs_metrics import goals
from cs_metrics.scope import Scope
from cs_metrics.workspace import Workspace

D = dt.date


@pytest.mark.parametrize("baseline, target, current, expected", [
    (0, 120, 45, 0.375),              # stores live: 45 of 120
    (20, 5, 10, 10 / 15),             # hours per week, lower is better: 10 of the 15 hours cut
    (20, 5, 20, 0.0),                 # nothing moved (and no "-0.0")
    (20, 5, 26, -6 / 15),             # moved the wrong way
    (10, 4, 3, 7 / 6),                # lower is better, past the target
    (60, 90, 90, 1.0),
    (3, 3, 4, None),                  # target == baseline: undefined
    (None, 10, 5, None), (0, None, 5, None), (0, 10, None, None),
    (0, 10, float("nan"), None),
])
def test_attainment_by_hand(baseline, target, current, expected):
    value = goals.attainment(baseline, target, current)
    if expected is None:
        assert value is None
    else:
        assert value == pytest.approx(expected)
        assert str(value) != "-0.0"


@pytest.mark.parametrize("start, due, as_of, expected", [
    (D(2026, 1, 1), D(2026, 12, 31), D(2026, 7, 2), 0.5),        # 182 of 364 days
    (D(2026, 1, 1), D(2026, 12, 31), D(2025, 12, 1), 0.0),       # before the start
    (D(2026, 1, 1), D(2026, 12, 31), D(2027, 3, 1), 1.0),        # after the due date
    (D(2026, 1, 1), D(2026, 1, 1), D(2026, 1, 1), None),          # no time to reach it
    (D(2026, 2, 1), D(2026, 1, 1), D(2026, 1, 1), None),
    (None, D(2026, 1, 1), D(2026, 1, 1), None),
])
def test_elapsed_share(start, due, as_of, expected):
    assert goals.elapsed_share(start, due, as_of) == (pytest.approx(expected) if expected is not None else None)


def test_goal_state_rules():
    as_of = D(2026, 7, 1)
    assert goals.goal_state(1.0, 0.2, D(2027, 1, 1), as_of) == "achieved"
    assert goals.goal_state(1.2, None, D(2026, 1, 1), as_of) == "achieved"     # achieved beats missed
    assert goals.goal_state(0.3, 0.9, D(2026, 6, 1), as_of) == "missed"
    assert goals.goal_state(0.5, 0.5, D(2027, 1, 1), as_of) == "on_track"       # equal counts as on track
    assert goals.goal_state(0.4, 0.5, D(2027, 1, 1), as_of) == "behind"
    assert goals.goal_state(None, 0.5, D(2027, 1, 1), as_of) == "unknown"
    assert goals.goal_state(0.4, None, None, as_of) == "unknown"


def _workspace(tmp_path, goal_rows, extra_goal_cols=None, accounts=True, mrr=True) -> Workspace:
    ws = Workspace.create(tmp_path / "g.duckdb")
    if accounts:
        ws.write_frame("accounts", pd.DataFrame({
            "account_id": ["A1", "A2", "A3"], "segment": ["SMB", "SMB", "Enterprise"],
            "start_date": pd.to_datetime(["2026-01-01", "2025-07-01", "2026-01-01"]),
        }))
    if mrr:
        ws.write_frame("mrr", pd.DataFrame({
            "account_id": ["A1", "A1", "A2"], "month": pd.to_datetime(["2026-05-01", "2026-06-01", "2026-06-01"]),
            "mrr": [100.0, 100.0, 50.0]}))
    frame = pd.DataFrame(goal_rows, columns=["account_id", "goal", "metric", "baseline", "target", "current",
                                             "due_date"] + (extra_goal_cols or []))
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    ws.write_frame("goals", frame)
    return ws


GOAL_ROWS = [
    ("A1", "Roll out stores", "stores live", 0, 100, 50, "2026-12-31"),
    ("A1", "Cut report time", "hours per week", 20, 5, 14, "2026-12-31"),
    ("A2", "Flat goal", "x", 3, 3, 4, "2027-01-01"),
    ("A2", "Late goal", "y", 0, 10, 3, "2026-06-01"),
    ("A3", "Fewer tickets", "tickets per week", 10, 4, 3, "2027-06-30"),
    (None, "Unmatched", "z", 0, 1, 1, "2027-01-01"),
]


def test_goal_attainment_sql_by_hand(tmp_path):
    ws = _workspace(tmp_path, GOAL_ROWS)
    # The data ends with June 2026, so the as-of date is 2026-06-30 (not the wall clock).
    assert goals.latest_data_date(ws.con) == D(2026, 6, 30)
    frame = goals.goal_attainment(ws.con).set_index("goal")
    assert "Unmatched" not in frame.index
    assert len(frame) == 5
    stores = frame.loc["Roll out stores"]
    assert stores["attainment"] == pytest.approx(0.5)
    # Start = the account's start (2026-01-01): 180 of 364 days gone.
    assert stores["elapsed_share"] == pytest.approx(180 / 364)
    assert stores["state"] == "on_track" and bool(stores["on_track"]) is True
    hours = frame.loc["Cut report time"]
    assert hours["direction"] == "lower"
    assert hours["attainment"] == pytest.approx(0.4)
    assert hours["state"] == "behind" and bool(hours["on_track"]) is False
    assert pd.isna(frame.loc["Flat goal", "attainment"]) and frame.loc["Flat goal", "state"] == "unknown"
    assert pd.isna(frame.loc["Flat goal", "direction"])
    late = frame.loc["Late goal"]
    assert late["attainment"] == pytest.approx(0.3) and late["state"] == "missed"
    tickets = frame.loc["Fewer tickets"]
    assert tickets["attainment"] == pytest.approx(7 / 6) and tickets["state"] == "achieved"


def test_sql_agrees_with_python(tmp_path):
    ws = _workspace(tmp_path, GOAL_ROWS)
    as_of = D(2026, 6, 30)
    for row in goals.goal_attainment(ws.con, as_of=as_of).itertuples():
        a = goals.attainment(row.baseline, row.target, row.current)
        e = goals.elapsed_share(row.start_date, row.due_date, as_of)
        assert (a is None and pd.isna(row.attainment)) or a == pytest.approx(row.attainment)
        assert (e is None and pd.isna(row.elapsed_share)) or e == pytest.approx(row.elapsed_share)
        assert goals.goal_state(a, e, row.due_date, as_of) == row.state


def test_goal_own_start_column_wins(tmp_path):
    rows = [("A1", "Roll out stores", "stores live", 0, 100, 50, "2026-12-31", "2026-06-01")]
    ws = _workspace(tmp_path, rows, extra_goal_cols=["created_at"])
    row = goals.goal_attainment(ws.con).iloc[0]
    assert row["start_date"] == pd.Timestamp("2026-06-01")
    assert row["elapsed_share"] == pytest.approx(29 / 213)


def test_explicit_as_of_and_one_account_and_scope(tmp_path):
    ws = _workspace(tmp_path, GOAL_ROWS)
    early = goals.goal_attainment(ws.con, account_id="A1", as_of=D(2026, 1, 1))
    assert set(early["goal"]) == {"Roll out stores", "Cut report time"}
    assert (early["elapsed_share"] == 0).all() and (early["state"] == "on_track").all()
    scoped = goals.goal_attainment(ws.con, scope=Scope.from_dict({"segment": ["Enterprise"]}))
    assert list(scoped["account_id"]) == ["A3"]


def test_without_accounts_or_dates(tmp_path):
    ws = _workspace(tmp_path, GOAL_ROWS[:1], accounts=False, mrr=False)
    row = goals.goal_attainment(ws.con).iloc[0]
    assert row["attainment"] == pytest.approx(0.5)
    assert pd.isna(row["elapsed_share"]) and row["state"] == "unknown"


def test_empty_and_missing_table(tmp_path):
    ws = Workspace.create(tmp_path / "e.duckdb")
    frame = goals.goal_attainment(ws.con)
    assert frame.empty and "attainment" in frame.columns
    assert goals.goal_summary(ws.con)["median_attainment"] is None
    assert goals.latest_data_date(ws.con) is None


def test_goal_summary(tmp_path):
    ws = _workspace(tmp_path, GOAL_ROWS)
    summary = goals.goal_summary(ws.con)
    assert summary["goals"] == 5 and summary["accounts"] == 3 and summary["measurable"] == 4
    assert (summary["achieved"], summary["on_track"], summary["behind"], summary["missed"], summary["unknown"]) == (
        1, 1, 1, 1, 1)
    assert summary["median_attainment"] == pytest.approx((0.4 + 0.5) / 2)
