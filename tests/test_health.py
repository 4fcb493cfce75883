"""Health model: component rules and weights by hand, the backtest on known answers, the fit,
the CLI summary, and the sample company's score predicting its churn."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cs_metrics import health
from cs_metrics.errors import InputError
from cs_metrics.scope import Scope
from cs_metrics.workspace import Workspace

MONTHS = ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]
EQUAL = {c: 1 for c in health.COMPONENTS}


def workspace(**tables: pd.DataFrame) -> Workspace:
    ws = Workspace.create(":memory:")
    for kind, frame in tables.items():
        ws.write_frame(kind, frame)
    return ws


def two_accounts() -> Workspace:
    """Alpha and Beta over Jan–Apr 2024, with every input; the expected component scores
    are worked out by hand in the tests below (usage is monthly: one reported date a month)."""
    mrr = pd.DataFrame({"account_id": ["A"] * 4 + ["B"] * 4, "month": pd.to_datetime(MONTHS * 2),
                        "mrr": [100.0] * 4 + [50.0] * 4})
    usage = pd.DataFrame({
        "account_id": ["A"] * 4 + ["B"] * 4, "date": pd.to_datetime(MONTHS * 2),
        "active_users": [8.0, 8, 8, 4, 2, 2, 2, 2], "seats": [10.0] * 8,
        "events": [100.0, 100, 80, 40, 10, 20, 30, 60], "reports_created": [10.0, 10, 10, 5, 15, 15, 15, 15],
    })
    tickets = pd.DataFrame({
        "account_id": ["A", "A", "B"], "ticket_id": ["T1", "T2", "T3"],
        "created_at": pd.to_datetime(["2024-03-10 09:00", "2024-04-02 09:00", "2024-02-01 00:00"]),
        "resolved_at": pd.to_datetime([None, "2024-04-05 10:00", None]),
        "priority": ["Urgent", "Normal", "Normal"], "priority_rank": [1, 3, 3],
        "status": ["open", "closed", "open"], "satisfaction": [np.nan, 4.0, 2.0],
    })
    nps = pd.DataFrame({"account_id": ["A", "B", "B"],
                        "date": pd.to_datetime(["2024-02-15", "2024-01-20", "2024-01-25"]), "score": [9, 4, 6]})
    goals = pd.DataFrame({"account_id": ["A", "B"], "goal": ["Roll out", "Adopt"], "baseline": [0.0, np.nan],
                          "target": [100.0, np.nan], "current": [25.0, np.nan], "status": ["on track", "achieved"]})
    accounts = pd.DataFrame({"account_id": ["A", "B"], "account_name": ["Alpha", "Beta"], "seats": [10.0, 10.0],
                             "manual_health": ["red", None], "days_overdue": [30.0, 0.0]})
    return workspace(accounts=accounts, mrr=mrr, usage=usage, tickets=tickets, nps=nps, goals=goals)


def by_month(frame: pd.DataFrame, account: str) -> pd.DataFrame:
    rows = frame[frame["account_id"] == account].sort_values("month")
    return rows.set_index(rows["month"].dt.strftime("%Y-%m"))


# Component rules
def test_every_component_by_hand():
    comps = health.component_scores(two_accounts().con, raw=True)
    a, b = by_month(comps, "A"), by_month(comps, "B")
    nan = np.nan
    # usage per seat against the month's median: A 10,10,8,4 / B 1,2,3,6; medians 5.5, 6, 5.5, 5.
    assert_allclose(a["usage_level"], [50 * 10 / 5.5, 50 * 10 / 6, 50 * 8 / 5.5, 40.0])
    assert_allclose(b["usage_level"], [50 * 1 / 5.5, 50 * 2 / 6, 50 * 3 / 5.5, 60.0])
    # this month ÷ mean of the 3 months before: A 1.0, 0.8, 40/93.3; B 2, 2, 3.
    assert_allclose(a["usage_trend"], [nan, 100.0, 60.0, 0.0])
    assert_allclose(b["usage_trend"], [nan, 100.0, 100.0, 100.0])
    assert_allclose(a["usage_prev"], [nan, 100.0, 100.0, 280 / 3])
    # active users ÷ seats, 80 % = 100.
    assert_allclose(a["breadth"], [100.0, 100.0, 100.0, 50.0])
    assert_allclose(b["breadth"], [25.0] * 4)
    # reports per seat against the median: A 1, 1, 1, 0.5 / B 1.5; medians 1.25 ×3 then 1.0.
    assert_allclose(a["northstar"], [40.0, 40.0, 40.0, 25.0])
    assert_allclose(b["northstar"], [60.0, 60.0, 60.0, 75.0])
    # tickets cover Feb–Apr: A's P1 open from March (−25) and one new ticket in Mar and Apr (−5);
    # B's ticket opened 1 Feb stays open, over 14 days old from the end of February (−10).
    assert_allclose(a["support"], [nan, 100.0, 70.0, 70.0])
    assert_allclose(b["support"], [nan, 85.0, 90.0, 90.0])
    assert_allclose(a["open_p1"], [nan, 0, 1, 1])
    assert_allclose(b["open_old"], [nan, 1, 1, 1])
    # satisfaction on the 1–5 scale of the data (values 2 and 4): 4 → 75, 2 → 25.
    assert_allclose(a["csat"], [nan, nan, nan, 75.0])
    assert_allclose(b["csat"], [nan, 25.0, 25.0, 25.0])
    # latest NPS answer × 10; B's two January answers average 5.
    assert_allclose(a["nps"], [nan, 90.0, 90.0, 90.0])
    assert_allclose(b["nps"], [50.0] * 4)
    # last activity on the 1st; days to month end 30, 28 (leap February), 30, 29.
    expected = [100 * (60 - d) / 53 for d in (30, 28, 30, 29)]
    assert_allclose(a["recency"], expected)
    assert_allclose(a["days_since_activity"], [30, 28, 30, 29])
    # snapshots, latest month only: 30 days overdue → 50; goal 25 % of the way → 25; 'achieved' → 100.
    assert_allclose(a["payment"], [nan, nan, nan, 50.0])
    assert_allclose(b["payment"], [nan, nan, nan, 100.0])
    assert_allclose(a["goals"], [nan, nan, nan, 25.0])
    assert_allclose(b["goals"], [nan, nan, nan, 100.0])
    assert_allclose(a["arr"], [1200.0] * 4)
    assert_allclose(a["months_after"], [3, 2, 1, 0])
    assert a["months_to_churn"].isna().all()


def test_weighted_score_and_coverage_by_hand():
    scored = health.apply_weights(health.component_scores(two_accounts().con), EQUAL)
    a, b = by_month(scored, "A"), by_month(scored, "B")
    recency_jan = 100 * 30 / 53
    # January: Alpha has level, breadth, North Star and recency (4 of 10 equal weights).
    assert a.loc["2024-01", "score"] == pytest.approx((50 * 10 / 5.5 + 100 + 40 + recency_jan) / 4)
    assert a.loc["2024-01", "coverage"] == pytest.approx(0.4)
    assert b.loc["2024-01", "score"] == pytest.approx((50 / 5.5 + 25 + 60 + 50 + recency_jan) / 5)
    assert b.loc["2024-01", "coverage"] == pytest.approx(0.5)
    recency_apr = 100 * 31 / 53
    assert a.loc["2024-04", "score"] == pytest.approx((40 + 0 + 50 + 25 + 70 + 75 + 90 + recency_apr + 50 + 25) / 10)
    assert a.loc["2024-04", "coverage"] == pytest.approx(1.0)
    assert a.loc["2024-01", "band"] == "green" and a.loc["2024-04", "band"] == "yellow"


def test_missing_weight_is_spread_over_the_rest():
    comps = pd.DataFrame({"usage_level": [80.0, 80.0, np.nan], "support": [40.0, np.nan, np.nan],
                          "nps": [np.nan, 20.0, np.nan]})
    scored = health.apply_weights(comps, {"usage_level": 3, "support": 1, "nps": 1})
    # (3·80 + 1·40) / 4 = 70 with 4 of 5 weight; (3·80 + 20) / 4 = 65; nothing → unscored.
    assert_allclose(scored["score"], [70.0, 65.0, np.nan])
    assert_allclose(scored["coverage"], [0.8, 0.8, 0.0])
    assert scored["band"].tolist() == ["green", "yellow", None]
    # The input is left as it was (pages keep it cached and re-weight it on every slider move).
    assert comps["support"].isna().tolist() == [False, True, True]
    # Scaling every weight changes nothing; a zero weight is as good as absent.
    again = health.apply_weights(comps, {"usage_level": 30, "support": 10, "nps": 10, "csat": 0})
    assert_allclose(again["score"], scored["score"])


def test_weights_and_bands_are_validated():
    assert health.normalise_weights({"usage_level": 3, "nps": 1})["usage_level"] == pytest.approx(0.75)
    with pytest.raises(InputError, match="0 or more"):
        health.validate_weights({"usage_level": -1})
    with pytest.raises(InputError, match="above 0"):
        health.validate_weights({"usage_level": 0})
    with pytest.raises(InputError, match="Unknown"):
        health.validate_weights({"vibes": 1})
    with pytest.raises(InputError):
        health.validate_bands({"green": 30, "red": 50})


@pytest.mark.parametrize("score, band", [(70, "green"), (69.99, "yellow"), (40, "yellow"), (39.99, "red"),
                                         (100, "green"), (0, "red"), (np.nan, None)])
def test_default_bands(score, band):
    assert health.band_of([score])[0] == band


def test_bands_move():
    assert health.band_of([65.0, 45.0], {"green": 60, "red": 50}).tolist() == ["green", "red"]


def test_explanation_contributions_weakest_and_path_to_green():
    why = health.explain({"usage_level": 20.0, "support": 80.0, "nps": np.nan}, {"usage_level": 1, "support": 1})
    assert why.score == pytest.approx(50.0) and why.band == "yellow"
    assert why.weakest == "usage_level"
    assert why.contributions["points"].sum() == pytest.approx(why.score)
    # Green needs 20 more points: usage level (half the weight) from 20 to 60; support cannot (80 + 40 > 100).
    assert why.to_green == {"component": "usage_level", "from": 20.0, "to": 60.0, "change": 40.0}
    assert health.explain({"usage_level": 0.0, "support": 0.0}, {"usage_level": 1, "support": 1}).to_green is None
    green = health.explain({"usage_level": 90.0}, {"usage_level": 1})
    assert green.already_green and green.to_green is None
    nothing = health.explain({"usage_level": np.nan}, {"usage_level": 1})
    assert nothing.score is None and nothing.coverage == 0.0


def test_explanation_of_the_fixture_with_default_weights():
    comps = health.component_scores(two_accounts().con)
    april = health.at_month(comps)
    a = april[april["account_id"] == "A"].iloc[0].to_dict()
    b = april[april["account_id"] == "B"].iloc[0].to_dict()
    why_a = health.explain(a)
    # A's usage trend (0 of 100 at 15 % of the weight) costs the most points.
    assert why_a.weakest == "usage_trend"
    assert why_a.score == pytest.approx(45.34906, abs=1e-4)
    assert why_a.to_green is None  # no single component (at most 15 points) closes a 24.7-point gap
    why_b = health.explain(b)
    assert why_b.score == pytest.approx(66.34906, abs=1e-4)
    # 3.65 points short: usage level (15 %) from 60 to 84.3 (ties go to the first component).
    assert why_b.to_green["component"] == "usage_level"
    assert why_b.to_green["to"] == pytest.approx(60 + (70 - 66.34906) / 0.15, abs=1e-3)


# Churn labels, backtest and summary
def test_months_to_churn_from_mrr_and_churn_date():
    mrr = pd.DataFrame({
        "account_id": ["C", "C", "C", "C", "D", "D", "D", "D"],
        "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01", "2024-05-01",
                                 "2024-01-01", "2024-02-01", "2024-03-01", "2024-05-01"]),
        "mrr": [10.0, 10.0, 10.0, 10.0, 20.0, 20.0, 20.0, 20.0],
    })
    accounts = pd.DataFrame({"account_id": ["C", "D"], "churn_date": pd.to_datetime([None, "2024-02-15"])})
    usage = pd.DataFrame({"account_id": ["C"], "date": pd.to_datetime(["2024-01-01"]), "events": [1.0]})
    comps = health.component_scores(workspace(accounts=accounts, mrr=mrr, usage=usage).con)
    c, d = by_month(comps, "C"), by_month(comps, "D")
    # C pays Jan–Feb, stops in March, returns in April: churn is 2 and 1 months ahead of Jan and Feb.
    assert_allclose(c["months_to_churn"], [2, 1, np.nan, np.nan])
    # D's churn date (15 February) comes before its MRR stops (April): from January the earlier
    # one counts; from February on only the MRR gap lies ahead.
    assert_allclose(d["months_to_churn"], [1, 2, 1, np.nan])
    assert_allclose(c["months_after"], [4, 3, 1, 0])


def test_look_backs_cross_a_gap_in_payment_by_calendar_month():
    """G pays Jan, Feb, May and Jun 2024. The trend looks back 3 calendar months over paying
    months only (usage and an NPS answer in unpaid March do not count); the latest NPS answer
    is carried 12 months, across the gap; CSAT averages the 6 months back."""
    paid = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-05-01", "2024-06-01"])
    mrr = pd.DataFrame({"account_id": ["G"] * 4, "month": paid, "mrr": [10.0] * 4})
    usage = pd.DataFrame({"account_id": ["G"] * 5,
                          "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-05-01", "2024-06-01"]),
                          "events": [100.0, 80.0, 1000.0, 60.0, 30.0]})
    nps = pd.DataFrame({"account_id": ["G", "G"], "date": pd.to_datetime(["2024-01-10", "2024-03-10"]), "score": [8, 2]})
    tickets = pd.DataFrame({"account_id": ["G", "G"], "ticket_id": ["T1", "T2"],
                            "created_at": pd.to_datetime(["2024-01-05", "2024-05-05"]),
                            "resolved_at": pd.to_datetime(["2024-01-06", "2024-05-06"]),
                            "satisfaction": [2.0, 4.0]})
    comps = health.component_scores(workspace(mrr=mrr, usage=usage, nps=nps, tickets=tickets).con, raw=True)
    g = by_month(comps, "G")
    assert list(g.index) == ["2024-01", "2024-02", "2024-05", "2024-06"]
    # May looks back to Feb–Apr: only February pays (80); June to Mar–May: only May (60).
    assert_allclose(g["usage_prev"], [np.nan, 100.0, 80.0, 60.0])
    assert_allclose(g["usage_trend"], [np.nan, 60.0, 50.0, 0.0])
    # The January answer (8) stands until a paying month has a newer one; March does not pay.
    assert_allclose(g["nps"], [80.0, 80.0, 80.0, 80.0])
    # CSAT on a 1–5 scale: January's 2 alone until May, then (2 + 4) / 2 = 3 → 50.
    assert_allclose(g["csat"], [25.0, 25.0, 50.0, 50.0])
    assert_allclose(g["months_to_churn"], [2.0, 1.0, np.nan, np.nan])


def test_auc_rank_formula_matches_sklearn_and_counts_ties_half():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(7)
    y = rng.random(500) < 0.3
    risk = rng.normal(size=500) + y
    assert health.auc(risk, y) == pytest.approx(roc_auc_score(y, risk))
    assert health.auc([1.0, 1.0], [0, 1]) == 0.5
    assert health.auc([1.0, 2.0], [1, 1]) is None


def history(score: np.ndarray, churned: np.ndarray, months: int = 12, accounts: int = 200) -> pd.DataFrame:
    """A scored frame: ``accounts`` × ``months``, churn (within a month) given per row."""
    month_ix = np.repeat(np.arange(months), accounts)
    frame = pd.DataFrame({
        "account_id": np.tile([f"a{i}" for i in range(accounts)], months),
        "month": pd.to_datetime("2023-01-01") + pd.to_timedelta(0, "D")
        + pd.to_timedelta(month_ix * 31, unit="D"),
        "score": score, "months_to_churn": np.where(churned, 1.0, np.nan),
        "months_after": (months - 1 - month_ix).astype(float),
    })
    frame["month"] = frame["month"].dt.to_period("M").dt.to_timestamp()
    frame["band"] = health.band_of(frame["score"].to_numpy())
    return frame


def test_backtest_perfect_random_and_reversed_scores():
    rng = np.random.default_rng(11)
    n = 12 * 200
    churned = rng.random(n) < 0.1
    perfect = health.backtest(history(np.where(churned, 10.0, 90.0), churned))
    assert perfect.judgeable and perfect.auc == pytest.approx(1.0)
    assert perfect.auc_by_month["auc"].dropna().eq(1.0).all()
    random = health.backtest(history(rng.uniform(0, 100, n), churned))
    assert random.auc == pytest.approx(0.5, abs=0.06)
    reversed_ = health.backtest(history(np.where(churned, 90.0, 10.0), churned))
    assert reversed_.auc == pytest.approx(0.0)
    # Rows in the last 3 months cannot be judged yet (their next 3 months are not in the data).
    assert perfect.labelled_months == 9
    assert perfect.account_months == 9 * 200


def test_band_churn_rates_and_lift_by_hand():
    score = np.array([20.0] * 4 + [80.0] * 10 + [50.0] * 6)
    churned = np.array([1, 1, 0, 0] + [1] + [0] * 9 + [0] * 6, dtype=bool)
    frame = history(np.tile(score, 10), np.tile(churned, 10), months=10, accounts=20)
    result = health.backtest(frame, horizon=1)
    rates = result.band_rates.set_index("band")["churn_rate"]
    assert rates["red"] == pytest.approx(0.5) and rates["green"] == pytest.approx(0.1)
    assert rates["yellow"] == pytest.approx(0.0)
    assert result.lift == pytest.approx(5.0)


def test_backtest_says_when_history_is_too_short_or_churn_too_rare():
    rng = np.random.default_rng(3)
    churned = rng.random(5 * 200) < 0.2
    short = health.backtest(history(rng.uniform(0, 100, 5 * 200), churned, months=5))
    assert not short.judgeable and short.reason == "short_history"
    rare = np.zeros(12 * 200, dtype=bool)
    rare[:3] = True
    few = health.backtest(history(rng.uniform(0, 100, 12 * 200), rare))
    assert not few.judgeable and few.reason == "few_events" and few.events == 3
    empty = health.backtest(health.apply_weights(health.component_scores(Workspace.create(":memory:").con)))
    assert not empty.judgeable and empty.reason == "no_scores" and empty.auc is None


def test_summary_counts_bands_and_arr_at_risk():
    ws = two_accounts()
    assert health.health_summary(ws.con) == {"health": {"green": 0, "yellow": 2, "red": 0, "unscored": 0},
                                              "arr_at_risk": 0.0}
    moved = {"health.bands": {"green": 60, "red": 50}}
    assert health.health_summary(ws.con, settings=moved) == {
        "health": {"green": 1, "yellow": 0, "red": 1, "unscored": 0}, "arr_at_risk": 1200.0}
    # Saved settings are read from the workspace; the argument overrides them.
    ws.set_setting("health.bands", {"green": 60, "red": 50})
    assert health.health_summary(ws.con)["arr_at_risk"] == 1200.0
    assert health.health_summary(ws.con, settings={"health.bands": {"green": 70, "red": 40}})["arr_at_risk"] == 0.0
    # January, with an as-of month and a scope: Beta scores (15·50/5.5 + 15·25 + 10·60 + 10·50
    # + 10·100·30/53) / 60 = 36.3 with the default weights, red.
    january = health.health_summary(ws.con, as_of="2024-01", scope=Scope.from_dict({"account_name": ["Beta"]}))
    assert january == {"health": {"green": 0, "yellow": 0, "red": 1, "unscored": 0}, "arr_at_risk": 600.0}
    beta = health.at_month(health.health_scores(ws.con), "2024-01").set_index("account_id").loc["B", "score"]
    assert beta == pytest.approx((15 * 50 / 5.5 + 15 * 25 + 10 * 60 + 10 * 50 + 10 * 100 * 30 / 53) / 60)


def test_summary_on_a_bare_connection_and_without_inputs():
    con = duckdb.connect()
    con.execute("CREATE TABLE mrr AS SELECT 'x' AS account_id, DATE '2024-01-01' AS month, 10.0 AS mrr")
    # Revenue alone scores nobody: every active account is unscored and the risk is unknown.
    assert health.health_summary(con) == {"health": {"green": 0, "yellow": 0, "red": 0, "unscored": 1},
                                          "arr_at_risk": None}
    con.execute("CREATE TABLE nps AS SELECT 'x' AS account_id, DATE '2024-01-03' AS date, 2 AS score")
    assert health.health_summary(con) == {"health": {"green": 0, "yellow": 0, "red": 1, "unscored": 0},
                                          "arr_at_risk": 120.0}
    empty = Workspace.create(":memory:")
    assert health.health_summary(empty.con) == {"health": {"green": 0, "yellow": 0, "red": 0, "unscored": 0},
                                                "arr_at_risk": None}


def test_when_every_account_has_churned_nobody_is_active_at_the_end():
    mrr = pd.DataFrame({"account_id": ["A", "B", "A", "B"], "month": pd.to_datetime(["2024-01-01"] * 2 + ["2024-02-01"] * 2),
                        "mrr": [10.0, 20.0, 0.0, 0.0]})
    nps = pd.DataFrame({"account_id": ["A", "B"], "date": pd.to_datetime(["2024-01-05"] * 2), "score": [9, 3]})
    ws = workspace(mrr=mrr, nps=nps)
    assert health.health_summary(ws.con) == {"health": {"green": 0, "yellow": 0, "red": 0, "unscored": 0},
                                             "arr_at_risk": None}
    assert health.health_summary(ws.con, as_of="2024-01")["health"] == {"green": 1, "yellow": 0, "red": 1,
                                                                          "unscored": 0}
    assert_allclose(health.component_scores(ws.con)["months_to_churn"], [1, 1])


def test_scores_do_not_depend_on_the_filter():
    ws = two_accounts()
    everyone = health.health_scores(ws.con)
    beta = health.health_scores(ws.con, Scope.from_dict({"account_name": ["Beta"]}))
    assert set(beta["account_id"]) == {"B"}
    merged = beta.merge(everyone, on=["account_id", "month"], suffixes=("", "_all"))
    assert_allclose(merged["score"], merged["score_all"])


def test_manual_colour_is_kept_beside_the_band_and_disagreements_listed():
    ws = two_accounts()
    table = health.account_health(ws.con, health.health_scores(ws.con))
    alpha = table.set_index("account_id").loc["A"]
    assert alpha["manual_health"] == "red" and alpha["band"] == "yellow" and alpha["disagrees"]
    assert health.disagreements(table)["account_id"].tolist() == ["A"]
    agree = health.account_health(ws.con, health.health_scores(ws.con, settings={"health.bands": {"green": 60, "red": 50}}))
    assert health.disagreements(agree).empty


@pytest.mark.parametrize("column, values, expected", [
    ("days_overdue", [0.0, 90.0], [100.0, 0.0]),
    ("overdue", ["yes", "no"], [0.0, 100.0]),
    ("payment_status", ["Paid", "逾期"], [100.0, 25.0]),
])
def test_payment_inputs(column, values, expected):
    accounts = pd.DataFrame({"account_id": ["A", "B"], column: values})
    mrr = pd.DataFrame({"account_id": ["A", "B"], "month": pd.to_datetime(["2024-01-01"] * 2), "mrr": [1.0, 1.0]})
    comps = health.component_scores(workspace(accounts=accounts, mrr=mrr).con).sort_values("account_id")
    assert health.health_inputs(workspace(accounts=accounts, mrr=mrr).con).payment_column == column
    assert_allclose(comps["payment"], expected)


def test_inputs_and_northstar_setting():
    ws = two_accounts()
    inputs = health.health_inputs(ws.con)
    assert inputs.components == health.COMPONENTS
    assert inputs.northstar == "reports_created" and inputs.csat_scale == (1.0, 5.0)
    ws.con.execute("ALTER TABLE usage ADD COLUMN dashboards DOUBLE DEFAULT 1")
    assert health.health_inputs(ws.con, {"northstar": "dashboards"}).northstar == "dashboards"
    assert health.health_inputs(ws.con, {"northstar": "no_such_column"}).northstar == "reports_created"
    ws.set_setting("northstar", {"metric": "events", "agg": "sum"})
    assert health.health_inputs(ws.con).northstar == "events"


def test_accounts_and_usage_without_revenue_history():
    accounts = pd.DataFrame({"account_id": ["A", "B"], "arr": [1200.0, 600.0], "seats": [10.0, 10.0],
                             "start_date": pd.to_datetime(["2023-06-01", "2024-02-10"]),
                             "churn_date": pd.to_datetime([None, None]), "status": ["active", "active"]})
    usage = pd.DataFrame({"account_id": ["A", "A", "B"], "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-02-12"]),
                          "active_users": [8.0, 8.0, 4.0], "events": [10.0, 10.0, 5.0]})
    comps = health.component_scores(workspace(accounts=accounts, usage=usage).con)
    assert sorted(zip(comps["account_id"], comps["month"].dt.strftime("%Y-%m"))) == [
        ("A", "2024-01"), ("A", "2024-02"), ("B", "2024-02")]
    assert_allclose(comps.sort_values(["account_id", "month"])["arr"], [1200.0, 1200.0, 600.0])


def test_subscriptions_only_go_through_the_revenue_module():
    from cs_metrics import revenue

    if not callable(getattr(revenue, "mrr_monthly", None)):
        pytest.skip("cs_metrics.revenue.mrr_monthly is not available")
    subs = pd.DataFrame({"account_id": ["A"], "subscription_id": ["s1"], "start_date": pd.to_datetime(["2024-01-01"]),
                         "end_date": pd.to_datetime(["2024-03-31"]), "mrr": [100.0], "is_trial": [False]})
    nps = pd.DataFrame({"account_id": ["A"], "date": pd.to_datetime(["2024-01-05"]), "score": [10]})
    comps = health.component_scores(workspace(subscriptions=subs, nps=nps).con)
    assert len(comps) >= 1 and (comps["arr"] == 1200.0).all()
    assert (comps["nps"] == 100.0).all()


# Fitting weights
def synthetic_components(seed: int = 5, months: int = 24, accounts: int = 400) -> pd.DataFrame:
    """usage_trend predicts churn, nps is noise, support runs the wrong way (high before churn)."""
    rng = np.random.default_rng(seed)
    n = months * accounts
    trend = rng.uniform(0, 100, n)
    churned = rng.random(n) < 1 / (1 + np.exp((trend - 15) / 6))
    month_ix = np.repeat(np.arange(months), accounts)
    return pd.DataFrame({
        "account_id": np.tile([f"a{i}" for i in range(accounts)], months),
        "month": (np.datetime64("2022-01", "M") + month_ix).astype("datetime64[us]"),
        "usage_trend": trend, "nps": rng.uniform(0, 100, n),
        "support": np.clip(np.where(churned, 90, 50) + rng.normal(0, 10, n), 0, 100),
        "months_to_churn": np.where(churned, 1.0, np.nan), "months_after": (months - 1 - month_ix).astype(float),
    })


def test_fitted_weights_follow_the_signal_and_beat_bad_weights_on_held_out_months():
    comps = synthetic_components()
    fit = health.fit_weights(comps, horizon=3)
    assert fit.judgeable
    assert sum(fit.weights.values()) == 100 and all(w >= 0 for w in fit.weights.values())
    assert fit.weights["usage_trend"] == max(fit.weights.values()) and fit.weights["usage_trend"] >= 80
    assert fit.weights["support"] == 0  # "higher support score, more churn" cannot be a health weight
    assert fit.train_months[1] < fit.test_months[0]
    # The training months end `horizon` months before the test months begin.
    gap = (fit.test_months[0].year * 12 + fit.test_months[0].month) - (fit.train_months[1].year * 12 + fit.train_months[1].month)
    assert gap >= 3
    before = health.holdout_auc(comps, {"nps": 1}, fit)
    assert before == pytest.approx(0.5, abs=0.06)
    assert fit.auc_after > 0.85 > before
    assert health.holdout_auc(comps, fit.weights, fit) == pytest.approx(fit.auc_after)


def test_fit_refuses_short_or_churnless_history():
    comps = synthetic_components(months=4)
    assert health.fit_weights(comps).reason == "short_history"
    quiet = synthetic_components()
    quiet["months_to_churn"] = np.nan
    assert health.fit_weights(quiet).reason == "few_events"
    assert health.holdout_auc(quiet, {"nps": 1}, health.fit_weights(quiet)) is None


def test_rounding_to_100_keeps_the_total():
    assert sum(health._round_to_100({"a": 1, "b": 1, "c": 1}).values()) == 100
    assert health._round_to_100({"a": 2, "b": 1, "c": 1}) == {"a": 50, "b": 25, "c": 25}


# The sample company
def test_the_sample_company_score_predicts_its_churn(sample_ws):
    comps = health.component_scores(sample_ws.con)
    result = health.backtest(health.apply_weights(comps), horizon=3)
    assert result.judgeable
    assert result.auc > 0.7
    rates = result.band_rates.set_index("band")["churn_rate"]
    assert rates["red"] > rates["yellow"] > rates["green"]
    fit = health.fit_weights(comps, horizon=3)
    assert fit.judgeable and fit.auc_after > 0.7
    # Every account paying in the latest month is counted once.
    summary = health.health_summary(sample_ws.con)
    active = sample_ws.con.execute(
        "SELECT count(DISTINCT account_id) FROM mrr WHERE mrr > 0 AND month = (SELECT max(month) FROM mrr)").fetchone()[0]
    assert sum(summary["health"].values()) == active


# One account at a time (big workspaces)
def _same_rows(part: pd.DataFrame, whole: pd.DataFrame) -> None:
    ref = whole[whole["account_id"].isin(set(part["account_id"]))].sort_values(["account_id", "month"])
    part = part.sort_values(["account_id", "month"])
    assert len(part) == len(ref) > 0
    for column in ref.columns:
        if column == "band":
            assert list(part[column].fillna("-")) == list(ref[column].fillna("-"))
        elif column not in ("account_id", "month"):
            assert_allclose(part[column].to_numpy(float), ref[column].to_numpy(float), rtol=1e-12, equal_nan=True,
                            err_msg=column)


def test_one_account_scores_equal_its_rows_of_the_whole_workspace(sample_ws):
    con = sample_ws.con
    version = sample_ws.data_version()
    some = [r[0] for r in con.execute("SELECT account_id FROM accounts ORDER BY account_id LIMIT 3").fetchall()]
    # Nothing kept yet: the first call scores everyone once and keeps the monthly medians.
    first = health.account_scores(con, some, raw=True)
    kept = con.execute("SELECT value FROM _polaris_meta WHERE key = 'derived.health_typical'").fetchall()
    assert kept and sample_ws.data_version() == version  # derived data is not a change of data
    whole = health.health_scores(con, raw=True)
    _same_rows(first, whole)
    # Kept medians: the same figures again, reading only these accounts' rows.
    _same_rows(health.account_scores(con, some[:1], raw=True), whole)
    assert health.account_scores(con, ["no such account"]).empty


def test_kept_medians_follow_the_data_version_and_bare_connections_still_work():
    ws = two_accounts()
    whole = health.health_scores(ws.con, raw=True)
    _same_rows(health.account_scores(ws.con, ["B"], raw=True), whole)
    # New data: the kept medians no longer apply, and the account is compared with the new data.
    ws.con.execute("UPDATE usage SET events = events * 3 WHERE account_id = 'A'")
    ws.bump_version()
    _same_rows(health.account_scores(ws.con, ["B"], raw=True), health.health_scores(ws.con, raw=True))
    # Without the workspace's meta table there is nowhere to keep them; the result is the same.
    ws.con.execute("DROP TABLE _polaris_meta")
    _same_rows(health.account_scores(ws.con, ["B"], raw=True), health.health_scores(ws.con, raw=True))
