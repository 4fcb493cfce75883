"""Renewal history by band, the calendar and the expected renewal ARR, by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cs_metrics import renewals, revenue, segments
from cs_metrics.scope import Scope
from cs_metrics.workspace import Workspace

Z = 1.959963984540054


def months(first: str, last: str) -> list[pd.Timestamp]:
    return list(pd.date_range(first, last, freq="MS"))


def company(path) -> Workspace:
    """Monthly MRR 2023-01 … 2024-12 (as-of 2024-12, annual terms).

    A: pays 1,000 throughout; next renewal 2025-03-01 -> past renewals 2023-03-01, 2024-03-01 (kept).
    B: pays 500 until 2024-05, missed renewal 2024-06-01 -> 2023-06-01 kept, 2024-06-01 lost.
    C: pays 200 throughout; renewal 2024-12-15 -> 2023-12-15 kept; 2024-12-15 undecided (30 days
       later is 2025-01). Its next renewal rolls forward to 2025-12-15.
    D: pays 300 from 2024-02; renews 2025-02-10 (first renewal ahead).
    E: pays 400 from 2024-06; has given notice; renews 2025-01-20.
    F: pays 100 from 2024-09; renews 2025-09-01; no health score.
    """
    ws = Workspace.create(path)
    ws.write_frame("accounts", pd.DataFrame({
        "account_id": list("ABCDEF"),
        "account_name": [f"Name {x}" for x in "ABCDEF"],
        "owner": ["Li"] * 6,
        "renewal_date": pd.to_datetime(["2025-03-01", "2024-06-01", "2024-12-15", "2025-02-10",
                                        "2025-01-20", "2025-09-01"]),
        "status": ["active", "churned", "active", "active", "notice", "active"],
    }))
    rows = [("A", m, 1000.0) for m in months("2023-01-01", "2024-12-01")]
    rows += [("B", m, 500.0) for m in months("2023-01-01", "2024-05-01")]
    rows += [("C", m, 200.0) for m in months("2023-01-01", "2024-12-01")]
    rows += [("D", m, 300.0) for m in months("2024-02-01", "2024-12-01")]
    rows += [("E", m, 400.0) for m in months("2024-06-01", "2024-12-01")]
    rows += [("F", m, 100.0) for m in months("2024-09-01", "2024-12-01")]
    ws.write_frame("mrr", pd.DataFrame(rows, columns=["account_id", "month", "mrr"]))
    return ws


@pytest.fixture()
def bands(monkeypatch):
    """A and C green every month; B yellow until 2024-01, red from 2024-02; D red now; E yellow now."""
    rows = []
    for m in months("2023-01-01", "2024-12-01"):
        rows += [("A", m, "green", 80.0), ("C", m, "green", 75.0)]
        if m <= pd.Timestamp("2024-05-01"):
            rows.append(("B", m, "yellow" if m < pd.Timestamp("2024-02-01") else "red", 50.0))
    rows += [("D", pd.Timestamp("2024-12-01"), "red", 20.0), ("E", pd.Timestamp("2024-12-01"), "yellow", 50.0)]
    frame = pd.DataFrame(rows, columns=["account_id", "month", "band", "score"])
    monkeypatch.setattr(segments, "health_history", lambda con, scope=None: frame)
    return frame


def test_wilson_interval_matches_reference_values():
    # Reference: statsmodels proportion_confint(method="wilson").
    assert renewals.wilson_interval(8, 10) == pytest.approx((0.4901625, 0.9433178), abs=1e-6)
    assert renewals.wilson_interval(3, 3) == pytest.approx((0.4385030, 1.0), abs=1e-6)
    assert renewals.wilson_interval(0, 1) == pytest.approx((0.0, 0.7934507), abs=1e-6)
    assert renewals.wilson_interval(0, 0) == (None, None)


def test_renewal_events_by_hand(tmp_path, bands):
    ws = company(tmp_path / "w.duckdb")
    events = renewals.renewal_events(ws.con, lookback_months=24)
    got = [(a, str(d)[:10], r, b) for a, d, r, b in
           zip(events["account_id"], events["renewal_date"], events["renewed"], events["band"])]
    assert got == [("A", "2023-03-01", True, "green"), ("B", "2023-06-01", True, "yellow"),
                   ("C", "2023-12-15", True, "green"), ("A", "2024-03-01", True, "green"),
                   ("B", "2024-06-01", False, "red")]
    assert events["arr_before"].tolist() == [12000.0, 6000.0, 2400.0, 12000.0, 6000.0]


def test_overall_rate_equals_the_revenue_module(tmp_path, bands):
    ws = company(tmp_path / "w.duckdb")
    rates = renewals.renewal_rates(renewals.renewal_events(ws.con, lookback_months=24)).set_index("band")
    reference = revenue.renewal_rate(ws.con, window_months=24)
    assert (rates.loc["all", "due"], rates.loc["all", "renewed"]) == (reference["due"], reference["renewed"]) == (5, 4)
    assert rates.loc["all", "rate"] == pytest.approx(reference["logo"]) == 0.8
    assert rates.loc["all", "arr_rate"] == pytest.approx(reference["arr"]) == pytest.approx(32400 / 38400)


def test_rates_by_band(tmp_path, bands):
    ws = company(tmp_path / "w.duckdb")
    rates = renewals.renewal_rates(renewals.renewal_events(ws.con, lookback_months=24)).set_index("band")
    assert (rates.loc["green", "due"], rates.loc["green", "renewed"], rates.loc["green", "rate"]) == (3, 3, 1.0)
    assert (rates.loc["yellow", "due"], rates.loc["yellow", "rate"]) == (1, 1.0)
    assert (rates.loc["red", "due"], rates.loc["red", "rate"]) == (1, 0.0)
    assert rates.loc["unscored", "due"] == 0 and rates.loc["unscored", "rate"] is None
    assert rates.loc["green", "low"] == pytest.approx(1 / (1 + Z * Z / 3))


def test_upcoming_renewals_and_calendar(tmp_path, bands):
    ws = company(tmp_path / "w.duckdb")
    upcoming = renewals.upcoming_renewals(ws.con)
    got = [(a, str(d)[:10], arr, g) for a, d, arr, g in
           zip(upcoming["account_id"], upcoming["renewal_date"], upcoming["arr"], upcoming["group"])]
    assert got == [("E", "2025-01-20", 4800.0, "notice"), ("D", "2025-02-10", 3600.0, "red"),
                   ("A", "2025-03-01", 12000.0, "green"), ("F", "2025-09-01", 1200.0, "unscored"),
                   ("C", "2025-12-15", 2400.0, "green")]
    calendar = renewals.renewal_calendar(upcoming)
    assert calendar[["group", "accounts", "arr"]].values.tolist() == [
        ["notice", 1, 4800.0], ["red", 1, 3600.0], ["green", 1, 12000.0], ["unscored", 1, 1200.0],
        ["green", 1, 2400.0]]
    assert str(calendar["month"].iloc[0])[:7] == "2025-01"


def test_expected_renewal_arr_by_hand(tmp_path, bands):
    ws = company(tmp_path / "w.duckdb")
    outlook = renewals.renewal_outlook(ws.con, lookback_months=24)
    forecast = outlook["forecast"].set_index("group")
    green_low = 1 / (1 + Z * Z / 3)           # Wilson low of 3 of 3
    red_high = renewals.wilson_interval(0, 1)[1]
    overall_low, overall_high = renewals.wilson_interval(4, 5)
    # Green: A (12,000) + C (2,400) at 100 %; red: D at 0 %; notice: E at 0; unscored F: no history
    # of its own, so the overall 80 %.
    assert forecast.loc["green", "expected"] == pytest.approx(14400.0)
    assert forecast.loc["red", "expected"] == 0.0 and forecast.loc["notice", "expected"] == 0.0
    assert forecast.loc["unscored", "expected"] == pytest.approx(960.0)
    assert forecast.loc["unscored", "basis"] == "overall" and forecast.loc["unscored", "due"] == 5
    assert forecast.loc["green", "basis"] == "band" and forecast.loc["green", "due"] == 3
    total = forecast.loc["all"]
    assert total["arr"] == 24000.0 and total["accounts"] == 5
    assert total["expected"] == pytest.approx(14400 + 960)
    assert total["expected_low"] == pytest.approx(14400 * green_low + 1200 * overall_low)
    assert total["expected_high"] == pytest.approx(14400 + 3600 * red_high + 1200 * overall_high)
    assert total["rate"] == pytest.approx(15360 / 24000)
    assert outlook["events"] == 5
    assert outlook["months"][0] == dt.date(2025, 1, 1) and len(outlook["months"]) == 12


def test_without_history_nothing_is_expected(tmp_path):
    """An accounts table alone: the renewal is on the calendar, but no rate, so no expected ARR (not 0)."""
    ws = Workspace.create(tmp_path / "w.duckdb")
    soon = pd.Timestamp(dt.date.today()) + pd.offsets.MonthBegin(2)
    ws.write_frame("accounts", pd.DataFrame({"account_id": ["A"], "renewal_date": [soon], "arr": [1000.0]}))
    outlook = renewals.renewal_outlook(ws.con)
    assert outlook["events"] is None
    assert outlook["upcoming"]["account_id"].tolist() == ["A"]
    total = outlook["forecast"].set_index("group").loc["all"]
    assert total["arr"] == 1000.0 and total["expected"] is None and total["expected_low"] is None


def test_no_renewal_dates_means_no_calendar(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    ws.write_frame("accounts", pd.DataFrame({"account_id": ["A"]}))
    ws.write_frame("mrr", pd.DataFrame({"account_id": ["A"], "month": pd.Timestamp("2024-01-01"), "mrr": [10.0]}))
    assert renewals.upcoming_renewals(ws.con).empty
    assert renewals.renewal_events(ws.con) is None


def test_cmrr_comes_from_the_revenue_module(tmp_path, bands):
    ws = company(tmp_path / "w.duckdb")
    assert renewals.committed_mrr(ws.con) == revenue.cmrr(ws.con)
    # MRR now 1,000 + 200 + 300 + 400 + 100 = 2,000, less E's 400 under notice.
    assert renewals.committed_mrr(ws.con)["cmrr"] == pytest.approx(1600.0)


def test_renewals_from_subscriptions_match_the_revenue_module(tmp_path, monkeypatch):
    """Subscriptions (month-end rule) instead of an MRR table: same events and the same rate."""
    monkeypatch.setattr(segments, "health_history", lambda con, scope=None: None)
    ws = Workspace.create(tmp_path / "subs.duckdb")
    ws.write_frame("accounts", pd.DataFrame({
        "account_id": ["A", "B"], "renewal_date": pd.to_datetime(["2025-03-01", "2024-06-01"]),
        "status": ["active", "churned"]}))
    ws.write_frame("subscriptions", pd.DataFrame({
        "account_id": ["A", "B"], "subscription_id": ["s1", "s2"],
        "start_date": pd.to_datetime(["2023-01-01", "2023-01-01"]),
        "end_date": pd.to_datetime([None, "2024-06-01"]), "mrr": [100.0, 50.0], "is_trial": [False, False]}))
    # The subscriptions end in 2024-06, the last month of the data: B's renewal that month is undecided.
    events = renewals.renewal_events(ws.con, lookback_months=24)
    got = [(a, str(d)[:10], r) for a, d, r in zip(events["account_id"], events["renewal_date"], events["renewed"])]
    assert got == [("A", "2023-03-01", True), ("B", "2023-06-01", True), ("A", "2024-03-01", True)]
    assert set(events["band"]) == {"unscored"}
    reference = revenue.renewal_rate(ws.con, window_months=24)
    assert (reference["due"], reference["renewed"]) == (3, 3)
    # Asked about a later month, the renewals after the data stay undecided rather than lost.
    later = renewals.renewal_events(ws.con, as_of="2024-12", lookback_months=24)
    assert len(later) == 3


def test_scoped_events_and_upcoming_are_the_whole_ones_filtered(tmp_path, bands):
    ws = company(tmp_path / "w.duckdb")
    whole_events = renewals.renewal_events(ws.con, lookback_months=24)
    whole_upcoming = renewals.upcoming_renewals(ws.con)
    for ids in (["A"], ["B", "C"], ["F"]):
        scope = Scope.from_dict({"account_id": ids})
        expected = whole_events[whole_events["account_id"].isin(ids)].reset_index(drop=True)
        pd.testing.assert_frame_equal(renewals.renewal_events(ws.con, lookback_months=24, scope=scope), expected,
                                      check_dtype=False)
        expected = whole_upcoming[whole_upcoming["account_id"].isin(ids)].reset_index(drop=True)
        pd.testing.assert_frame_equal(renewals.upcoming_renewals(ws.con, scope=scope), expected,
                                      check_dtype=False)


def test_band_before_a_renewal_from_a_categorical_history(tmp_path, monkeypatch, bands):
    """The shared health history keeps its accounts and bands as categoricals; the band looked
    up for each renewal must be the same as from plain text columns."""
    ws = company(tmp_path / "w.duckdb")
    plain = renewals.renewal_events(ws.con, lookback_months=24)
    coded = bands.assign(account_id=pd.Categorical(bands["account_id"]),
                         band=pd.Categorical(bands["band"], categories=["green", "yellow", "red"]))
    monkeypatch.setattr(segments, "health_history", lambda con, scope=None: coded)
    pd.testing.assert_frame_equal(renewals.renewal_events(ws.con, lookback_months=24), plain)
    assert set(plain["band"]) == {"green", "yellow", "red"}
