"""Cohort matrices, survival (Kaplan–Meier, log-rank) and customer voice against hand
computations; and the whole report against an independent pandas implementation on a
random company large enough to span several DuckDB row groups."""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cs_metrics import cohorts, revenue, survival, voice
from cs_metrics.errors import InputError
from cs_metrics.scope import Scope
from cs_metrics.workspace import Workspace
from test_revenue import HISTORY, MONTHS, make_ws, mrr_con

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


@pytest.fixture()
def company(tmp_path):
    ws = make_ws(tmp_path, "mrr")
    yield ws.con
    ws.close()


def small_cohorts() -> duckdb.DuckDBPyConnection:
    """O pays from the first month (opening); X, Y start 2024-02 (Y leaves in 2024-04);
    Z starts 2024-03 at 50."""
    months = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    return mrr_con({"O": [10, 10, 10, 10, 10], "X": [0, 100, 100, 100, 100], "Y": [0, 100, 100, 0, 0],
                    "Z": [0, 0, 50, 50, 50]}, months)


# Cohorts -------------------------------------------------------------------------------------------
def test_logo_cohorts_and_weighted_average():
    m = cohorts.cohort_matrix(small_cohorts(), "logo")
    table = m.pivot()
    assert list(table.index) == ["≤2024-01", "2024-02", "2024-03"]
    assert table.loc["2024-02"].tolist()[:4] == [1.0, 1.0, 0.5, 0.5]
    assert table.loc["2024-03"].tolist()[:3] == [1.0, 1.0, 1.0]
    assert math.isnan(table.loc["2024-03", 3]) and math.isnan(table.loc["2024-02", 4])  # future: empty, not 0
    # Weighted by cohort size, opening cohort left out: age 2 = (1 + 1) / (2 + 1).
    assert m.average["rate"].round(4).tolist() == [1.0, 1.0, 0.6667, 0.5]
    assert m.average["cohorts"].tolist() == [2.0, 2.0, 2.0, 1.0]
    with_avg = m.pivot(with_average=True)
    assert with_avg.index[-1] == cohorts.AVERAGE_LABEL
    assert bool(m.cells.loc[m.cells["cohort_label"] == "≤2024-01", "opening"].all())


def test_revenue_cohorts():
    m = cohorts.cohort_matrix(small_cohorts(), "revenue")
    assert m.pivot().loc["2024-02"].tolist()[:4] == [1.0, 1.0, 0.5, 0.5]
    # age 2: (X 100 + Z 50) / (200 + 50)
    assert m.average["rate"].round(4).tolist() == [1.0, 1.0, 0.6, 0.5]


def test_cohorts_respect_as_of_and_scope(company):
    as_of = cohorts.cohort_matrix(company, "logo", as_of="2023-06")
    assert as_of.as_of == "2023-06" and as_of.cells["cohort_label"].unique().tolist() == ["≤2023-01"]
    assert as_of.pivot().loc["≤2023-01"].tolist() == [1.0, 1.0, 1.0, 0.8, 0.6, 0.6]
    opening = cohorts.cohort_matrix(company, "revenue").pivot().loc["≤2023-01"]
    assert opening.round(4).tolist() == [round(v / 620, 4) for v in (620, 620, 620, 520, 450, 550, 550, 610,
                                                                      560, 560, 560, 560, 560)]
    scoped = cohorts.cohort_matrix(company, "logo", scope=Scope.from_dict({"segment": ["Enterprise"]}))
    assert scoped.pivot().loc["2023-10"].tolist()[:4] == [1.0, 1.0, 1.0, 1.0]
    assert cohorts.cohort_matrix(company, "logo", as_of="2020-01").cells.empty


def test_cohort_accounts_behind_a_cell(company):
    members = cohorts.cohort_accounts(company, "≤2023-01", 4)
    # The lost ones first, then by starting MRR.
    assert list(members["account_id"]) == ["C", "D", "A", "B", "E"]
    assert members["retained"].tolist() == [False, False, True, True, True]
    assert members.loc[members["account_id"] == "A", "net_retention"].iloc[0] == 1.0
    assert cohorts.cohort_accounts(company, "2023-10", 2)["mrr_at_age"].tolist() == [80.0]
    assert cohorts.cohort_accounts(company, "2023-10", 5).empty  # in the future


def test_unknown_cohort_measure():
    with pytest.raises(InputError):
        cohorts.cohort_matrix(small_cohorts(), "seats")


# Survival --------------------------------------------------------------------------------------------
def test_lifetimes(company):
    life = survival.lifetimes(company, by="segment").set_index("account_id")
    # C and D churn after 3 and 4 paid months; the rest are censored at 2024-01.
    assert life.loc[["A", "B", "C", "D", "E", "F"], "duration"].tolist() == [13, 13, 3, 4, 13, 4]
    assert life.loc[["A", "B", "C", "D", "E", "F"], "churned"].tolist() == [False, False, True, True, False, False]
    assert life.loc["D", "group"] == "Enterprise" and (life["entry"] == 0).all()
    earlier = survival.lifetimes(company, as_of="2023-04").set_index("account_id")
    assert earlier.loc["C", "churned"] and not earlier.loc["D", "churned"]
    assert earlier.loc["D", "duration"] == 4 and "F" not in earlier.index


def test_kaplan_meier_by_hand(company):
    fit = survival.kaplan_meier(company)
    curve = fit.curves.set_index("month")
    # Events at 3 (1 of 6 at risk) and 4 (1 of 5): S = 5/6, then 5/6 × 4/5.
    assert curve.loc[2, "survival"] == 1.0
    assert curve.loc[3, "survival"] == pytest.approx(5 / 6)
    assert curve.loc[4, "survival"] == pytest.approx(2 / 3)
    assert curve.loc[13, "survival"] == pytest.approx(2 / 3)
    assert (curve.loc[3, "at_risk"], curve.loc[4, "at_risk"], curve.loc[5, "at_risk"]) == (6, 5, 3)
    assert (curve["lower"] <= curve["survival"]).all() and (curve["upper"] >= curve["survival"]).all()
    assert curve.loc[3, "lower"] < 5 / 6 < curve.loc[3, "upper"]
    summary = fit.summary.iloc[0]
    assert summary["group"] == survival.ALL and summary["median"] is None  # never falls to one half
    assert summary["survival_12"] == pytest.approx(2 / 3) and summary["survival_24"] is None


def test_left_truncation_from_the_start_date(tmp_path):
    """C started in 2022-01, a year before the data: its lifetime is counted from then and
    it only enters the risk set at the data's first month."""
    ws = make_ws(tmp_path, "mrr", accounts=False)
    ws.write_frame("accounts", pd.DataFrame({"account_id": list("ABCDEF"),
                                             "start_date": pd.to_datetime([None, None, "2022-01-15", None, None,
                                                                           "2023-10-01"])}))
    life = survival.lifetimes(ws.con).set_index("account_id")
    assert (life.loc["C", "duration"], life.loc["C", "entry"]) == (15, 12)
    curve = survival.kaplan_meier(ws.con).curves.set_index("month")
    assert curve.loc[4, "survival"] == pytest.approx(4 / 5)       # C not yet at risk at 4
    assert curve.loc[15, "survival"] == pytest.approx(0.0)        # C alone at risk at 15
    assert survival.kaplan_meier(ws.con).summary["median"].iloc[0] == 15
    ws.close()


def test_logrank_by_hand(company):
    """SMB = A, B, C; Enterprise = D, E, F. At 3: 3 + 3 at risk, C leaves (E = 0.5,
    V = 0.25); at 4: 2 + 3 at risk, D leaves (E_SMB = 0.4, V = 0.24). O − E = 0.1,
    chi2 = 0.01 / 0.49."""
    test = survival.logrank(company, "segment")
    assert test["chi2"] == pytest.approx(0.01 / 0.49)
    assert test["p_value"] == pytest.approx(0.88641, abs=1e-4)
    assert test["groups"] == ["Enterprise", "SMB"] and test["dof"] == 1
    assert survival.logrank(company, "segment", ("SMB", "Nowhere")) is None


def test_survival_split_needs_a_real_column(company):
    with pytest.raises(InputError):
        survival.kaplan_meier(company, by="no_such_column")
    fit = survival.kaplan_meier(company, by="segment", max_groups=1)
    # Equal sizes: the first by name is drawn.
    assert fit.summary["group"].tolist() == ["Enterprise"] and fit.left_out == ("SMB",)


# Voice --------------------------------------------------------------------------------------------------
@pytest.fixture()
def voice_con():
    con = duckdb.connect()
    con.execute("""CREATE TABLE nps AS SELECT * FROM (VALUES
        ('a', DATE '2024-01-05', 10), ('a', DATE '2024-03-01', 6), ('b', DATE '2024-01-20', 9),
        ('c', DATE '2024-02-11', 8), ('d', DATE '2024-02-12', 3), ('d', DATE '2024-02-12', 7),
        (NULL, DATE '2024-02-01', 0)) t(account_id, date, score)""")
    con.execute("""CREATE TABLE tickets AS SELECT * FROM (VALUES
        ('a', TIMESTAMP '2024-01-02 10:00', 5.0), ('a', TIMESTAMP '2024-01-03 10:00', NULL),
        ('b', TIMESTAMP '2024-02-01 09:00', 3.0), ('c', TIMESTAMP '2024-02-29 23:59', 4.0))
        t(account_id, created_at, satisfaction)""")
    con.execute("CREATE TABLE accounts AS SELECT * FROM (VALUES ('a', 'SMB'), ('b', 'SMB'), ('c', 'Ent'), "
                "('d', 'Ent')) t(account_id, segment)")
    return con


def test_nps_over_responses(voice_con):
    # Six answers with an account: promoters 10, 9; detractors 6, 3 → (2 − 2) / 6.
    summary = voice.nps_summary(voice_con)
    assert summary == {"nps": 0.0, "responses": 6, "promoters": 2, "passives": 2, "detractors": 2, "accounts": 4}
    # January: 10 and 9 → 100; February (month bounds): 8, 3, 7 → −33.3.
    assert voice.nps_score(voice_con, start="2024-01", end="2024-01") == 100.0
    assert voice.nps_score(voice_con, start="2024-02", end="2024-02") == pytest.approx(-100 / 3)
    assert voice.nps_score(voice_con, scope=Scope.from_dict({"segment": ["SMB"]})) == pytest.approx(100 / 3)
    assert voice.nps_score(voice_con, start="2025-01") is None


def test_account_nps_is_the_latest_answer(voice_con):
    latest = voice.account_nps(voice_con).set_index("account_id")
    assert latest.loc["a", "score"] == 6 and latest.loc["a", "category"] == "detractor"
    assert latest.loc["d", "score"] == 3  # two answers the same day: the lower one
    assert voice.account_nps(voice_con, as_of="2024-02").set_index("account_id").loc["a", "score"] == 10


def test_csat(voice_con):
    result = voice.csat(voice_con)
    assert result == {"csat": 4.0, "rated": 3, "tickets": 4, "scale_min": 3.0, "scale_max": 5.0}
    assert voice.csat(voice_con, start=dt.date(2024, 2, 1), end="2024-02")["csat"] == 3.5


def test_voice_without_tables():
    con = duckdb.connect()
    assert voice.nps_score(con) is None and voice.csat(con) is None and voice.account_nps(con).empty


def test_report_nps_covers_the_window(tmp_path):
    ws = make_ws(tmp_path, "mrr")
    ws.write_frame("nps", pd.DataFrame({"account_id": ["A", "B", "E"], "score": [10, 2, 9],
                                        "date": pd.to_datetime(["2023-01-15", "2023-05-01", "2024-01-31"])}))
    # The window's months are 2023-02 … 2024-01: the January 2023 answer is outside.
    assert revenue.retention_summary(ws.con)["nps"] == 0.0
    ws.close()


# Against the pandas reference --------------------------------------------------------------------------------
def random_company(n_accounts: int, n_months: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = rng.integers(-6, n_months, size=n_accounts)
    life = rng.integers(1, n_months + 6, size=n_accounts)
    base = np.round(rng.lognormal(5, 1, size=n_accounts), 2)
    months = np.arange(n_months)
    live = (months[None, :] >= start[:, None]) & (months[None, :] < (start + life)[:, None])
    back = rng.random(n_accounts) < 0.1  # some come back for the last quarter
    live |= back[:, None] & (months[None, :] >= n_months - 3) & (months[None, :] >= start[:, None])
    steps = np.where(rng.random((n_accounts, n_months)) < 0.05, rng.choice([0.8, 1.25], (n_accounts, n_months)), 1.0)
    values = np.round(base[:, None] * np.cumprod(steps, axis=1), 2) * live
    account, month = np.nonzero(values)
    first = dt.date(2020, 1, 1)
    dates = pd.to_datetime([dt.date(first.year + (m // 12), m % 12 + 1, 1) for m in range(n_months)])
    return pd.DataFrame({"account_id": [f"acc{a:05d}" for a in account], "month": dates[month],
                         "mrr": values[account, month]})


def test_report_equals_the_pandas_reference_on_a_random_company(tmp_path):
    from pandas_retention import pandas_report

    frame = random_company(12000, 30, seed=7)
    assert len(frame) > 130_000  # more than one DuckDB row group
    ws = Workspace.create(tmp_path / "random.duckdb")
    ws.write_frame("mrr", frame.sample(frac=1.0, random_state=1))  # rows in no particular order
    for as_of, window in ((None, 12), ("2021-09", 6), ("2022-02", 1)):
        ours = revenue.retention_summary(ws.con, as_of=as_of, window_months=window)
        assert ours == pandas_report(frame, as_of=as_of, window_months=window)
    moves = revenue.movements(ws.con)
    gains = moves["new"] + moves["expansion"] + moves["reactivation"]
    assert np.allclose(moves["mrr_end"] - moves["mrr_start"], gains - moves["contraction"] - moves["churn"])
    ws.close()


def test_settings_of_the_connection_are_left_as_found(tmp_path):
    ws = make_ws(tmp_path, "mrr")
    ws.con.execute("SET preserve_insertion_order = false")
    assert revenue.retention_summary(ws.con)["grr"] == 0.7419
    assert ws.con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is False
    ws.close()


def test_history_constants_are_consistent():
    assert all(len(v) == len(MONTHS) for v in HISTORY.values())
