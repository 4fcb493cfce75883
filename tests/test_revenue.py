"""Revenue and retention against hand-computed figures, in every revenue shape.

The fixture company (months 2023-01 … 2024-01, so the default window is exactly the data):

======  =======================================================  ===================
acct    MRR history                                              what it exercises
======  =======================================================  ===================
A       200 Jan–May 2023, 300 from Jun (a yearly plan 3600/12)    expansion +100
B       150 Jan–Aug, 100 from Sep (two overlapping subs 60 + 40)  contraction −50
C       100 Jan–Mar, then nothing                                 churn −100 (Apr)
D       70 Jan–Apr, nothing May–Jul, 60 from Aug                  churn −70, reactivation +60
E       100 every month (renewed 2024-01-01)                      no movement
F       a paid trial in Sep (ignored), 80 from Oct                new +80
======  =======================================================  ===================

By hand, window 2023-01 → 2024-01: S = {A..E}, Σ MRR_a = 620, Σ MRR_b over S = 560,
Σ min = 460 → GRR 460/620 = 0.7419, NRR 560/620 = 0.9032, logo retention 4/5 (D came back),
movements new 80, expansion 100, reactivation 60, contraction 50, churn 170, quick ratio
240/220 = 1.0909; MRR 640, ARR 7680; accounts 6 total, 5 active, 1 churned. These are the
figures of the report example in docs/contract.md.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cs_metrics import revenue
from cs_metrics.errors import InputError
from cs_metrics.scope import Scope
from cs_metrics.workspace import Workspace

MONTHS = [f"2023-{m:02d}" for m in range(1, 13)] + ["2024-01"]
HISTORY = {
    "A": [200] * 5 + [300] * 8,
    "B": [150] * 8 + [100] * 5,
    "C": [100] * 3 + [0] * 10,
    "D": [70] * 4 + [0] * 3 + [60] * 6,
    "E": [100] * 13,
    "F": [0] * 9 + [80] * 4,
}
EXPECTED_REPORT = {
    "as_of": "2024-01",
    "window": {"start": "2023-01", "end": "2024-01"},
    "accounts": {"total": 6, "active": 5, "churned": 1},
    "mrr": 640.0, "arr": 7680.0,
    "grr": 0.7419, "nrr": 0.9032, "logo_retention": 0.8, "logo_churn_rate": 0.2,
    "movements": {"new": 80.0, "expansion": 100.0, "contraction": 50.0, "churn": 170.0, "reactivation": 60.0},
    "quick_ratio": 1.0909,
    "nps": None,
}
# month -> (movement, amount) of every movement in the history above
EXPECTED_MOVES = {
    "2023-04": {"churn": 100.0}, "2023-05": {"churn": 70.0}, "2023-06": {"expansion": 100.0},
    "2023-08": {"reactivation": 60.0}, "2023-09": {"contraction": 50.0}, "2023-10": {"new": 80.0},
}
TOTALS = [620, 620, 620, 520, 450, 550, 550, 610, 560, 640, 640, 640, 640]


def accounts_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "account_id": list("ABCDEF"),
        "account_name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"],
        "segment": ["SMB", "SMB", "SMB", "Enterprise", "Enterprise", "Enterprise"],
        "status": ["active", "active", "churned", "active", "notice", "active"],
        "renewal_date": pd.to_datetime(["2024-06-10", "2024-03-01", "2023-04-01", "2024-08-03",
                                        "2025-01-15", "2024-10-01"]),
    })


def mrr_long_frame() -> pd.DataFrame:
    rows = [(acct, f"{month}-01", value) for acct, values in HISTORY.items()
            for month, value in zip(MONTHS, values) if value]
    frame = pd.DataFrame(rows, columns=["account_id", "month", "mrr"])
    # A month split over two rows is summed; an explicit 0 row is the same as no row.
    split = (frame["account_id"] == "A") & (frame["month"] == "2023-07-01")
    frame.loc[split, "mrr"] = 250.0
    extra = pd.DataFrame([("A", "2023-07-01", 50.0), ("D", "2023-06-01", 0.0)], columns=frame.columns)
    frame = pd.concat([frame, extra], ignore_index=True)
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def subscriptions_frame() -> pd.DataFrame:
    """The same history as billing intervals, by the month-end rule."""
    rows = [
        # A: monthly 200 until 2023-06-01, then a yearly plan of 3600 (the loader stores 3600 / 12).
        ("s1", "A", "2023-01-10", "2023-06-01", 200.0, False),
        ("s2", "A", "2023-06-01", None, 3600 / 12, False),
        # B: 150 until mid-September (not live on 09-30), then two overlapping subscriptions.
        ("s3", "B", "2023-01-01", "2023-09-15", 150.0, False),
        ("s4", "B", "2023-09-15", None, 60.0, False),
        ("s5", "B", "2023-09-20", None, 40.0, False),
        # C ends on 2023-04-30: not after the month end, so April is not paid.
        ("s6", "C", "2023-01-05", "2023-04-30", 100.0, False),
        ("s7", "D", "2023-01-20", "2023-05-01", 70.0, False),
        ("s8", "D", "2023-08-03", None, 60.0, False),
        ("s9", "E", "2023-01-01", "2024-01-01", 100.0, False),
        ("s10", "E", "2024-01-01", None, 100.0, False),
        # A paid trial is not revenue; neither is a free one.
        ("s11", "F", "2023-09-01", "2023-10-01", 80.0, True),
        ("s12", "F", "2023-09-01", "2023-10-01", 0.0, False),
        ("s13", "F", "2023-10-01", None, 80.0, False),
    ]
    frame = pd.DataFrame(rows, columns=["subscription_id", "account_id", "start_date", "end_date", "mrr", "is_trial"])
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    return frame


def make_ws(tmp_path, shape: str = "mrr", accounts: bool = True) -> Workspace:
    ws = Workspace.create(tmp_path / f"{shape}.duckdb")
    if accounts:
        ws.write_frame("accounts", accounts_frame())
    if shape == "mrr":
        ws.write_frame("mrr", mrr_long_frame())
    else:
        ws.write_frame("subscriptions", subscriptions_frame())
    return ws


@pytest.fixture(params=["mrr", "subscriptions"])
def company(request, tmp_path):
    ws = make_ws(tmp_path, request.param)
    yield ws.con
    ws.close()


def mrr_con(history: dict[str, list[float]], months: list[str]) -> duckdb.DuckDBPyConnection:
    """A bare connection with an mrr table from {account: [value per month]}."""
    con = duckdb.connect()
    con.execute("CREATE TABLE mrr (account_id VARCHAR, month DATE, mrr DOUBLE)")
    rows = [(a, dt.date.fromisoformat(f"{m}-01"), float(v)) for a, vals in history.items()
            for m, v in zip(months, vals)]
    if rows:
        con.executemany("INSERT INTO mrr VALUES (?, ?, ?)", rows)
    return con


# The headline report --------------------------------------------------------------------------
def test_report_matches_hand_computed_figures(company):
    assert revenue.retention_summary(company) == EXPECTED_REPORT


def test_report_keys_are_the_contract_keys(company):
    assert list(revenue.retention_summary(company)) == list(EXPECTED_REPORT)


def test_movements_by_month(company):
    moves = revenue.movements(company)
    assert list(moves["month"].dt.strftime("%Y-%m")) == MONTHS[1:]
    assert list(moves["mrr_end"]) == TOTALS[1:]
    for _, row in moves.iterrows():
        expected = EXPECTED_MOVES.get(row["month"].strftime("%Y-%m"), {})
        for name in revenue.MOVEMENTS:
            assert row[name] == expected.get(name, 0.0), (row["month"], name)
            assert row[f"{name}_accounts"] == (1 if name in expected else 0)
    gains = moves["new"] + moves["expansion"] + moves["reactivation"]
    assert np.allclose(moves["mrr_end"] - moves["mrr_start"], gains - moves["contraction"] - moves["churn"])


def test_three_shapes_agree(tmp_path):
    results = []
    for shape in ("mrr", "subscriptions"):
        ws = make_ws(tmp_path, shape)
        results.append((revenue.retention_summary(ws.con), revenue.movements(ws.con),
                        revenue.retention_series(ws.con, 3),
                        ws.con.execute(f"SELECT * FROM {revenue.mrr_monthly(ws.con)} ORDER BY 1, 2").fetchall()))
        ws.close()
    (rep_a, mov_a, ser_a, dense_a), (rep_b, mov_b, ser_b, dense_b) = results
    assert rep_a == rep_b
    pd.testing.assert_frame_equal(mov_a, mov_b)
    pd.testing.assert_frame_equal(ser_a, ser_b)
    assert dense_a == dense_b


def _wide_csv(path) -> None:
    header = "account_id," + ",".join(MONTHS)
    lines = [header] + [acct + "," + ",".join(str(v) if v else "" for v in vals) for acct, vals in HISTORY.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_wide_file_through_the_loader_agrees(tmp_path):
    ingest = pytest.importorskip("cs_metrics.ingest")
    if not hasattr(ingest, "load_path"):
        pytest.skip("the loader has no load_path yet")
    ws = Workspace.create(tmp_path / "wide.duckdb")
    ws.write_frame("accounts", accounts_frame())
    path = tmp_path / "finance_mrr_wide.csv"
    _wide_csv(path)
    ingest.load_path(ws, str(path), kind="mrr")
    assert revenue.retention_summary(ws.con) == EXPECTED_REPORT
    ws.close()


def test_billing_export_through_the_loader_agrees(tmp_path):
    """Raw billing rows: amount per unit and per interval, yearly ÷ 12, quantity, trials."""
    ingest = pytest.importorskip("cs_metrics.ingest")
    if not hasattr(ingest, "load_path"):
        pytest.skip("the loader has no load_path yet")
    csv = """subscription_id,account_id,plan,quantity,interval,amount,trial,start_date,end_date
s1,A,Team,4,month,50,no,2023-01-10,2023-06-01
s2,A,Team Annual,1,year,3600,no,2023-06-01,
s3,B,Starter,3,month,50,no,2023-01-01,2023-09-15
s4,B,Starter,1,month,60,no,2023-09-15,
s5,B,Starter,1,month,40,no,2023-09-20,
s6,C,Starter,2,month,50,no,2023-01-05,2023-04-30
s7,D,Starter,1,month,70,no,2023-01-20,2023-05-01
s8,D,Starter,1,month,60,no,2023-08-03,
s9,E,Team,1,year,1200,no,2023-01-01,2024-01-01
s10,E,Team,1,month,100,no,2024-01-01,
s11,F,Trial,1,month,80,yes,2023-09-01,2023-10-01
s12,F,Starter,1,month,80,no,2023-10-01,
"""
    path = tmp_path / "billing.csv"
    path.write_text(csv, encoding="utf-8")
    ws = Workspace.create(tmp_path / "billing.duckdb")
    ws.write_frame("accounts", accounts_frame())
    ingest.load_path(ws, str(path), kind="subscriptions")
    assert revenue.retention_summary(ws.con) == EXPECTED_REPORT
    ws.close()


# Windows, scope and as-of ---------------------------------------------------------------------
def test_window_retention_details(company):
    r = revenue.window_retention(company)
    assert (r.start, r.end, r.covered) == ("2023-01", "2024-01", True)
    assert (r.cohort_accounts, r.retained_accounts) == (5, 4)
    assert (r.cohort_mrr_start, r.cohort_mrr_kept, r.cohort_mrr_end) == (620.0, 460.0, 560.0)
    assert r.grr == pytest.approx(460 / 620) and r.nrr == pytest.approx(560 / 620)
    assert r.gross_revenue_churn == pytest.approx(160 / 620)
    assert r.quick_ratio == pytest.approx(240 / 220)
    assert (r.mrr_start, r.mrr_end) == (620.0, 640.0)
    assert r.movement_accounts == {"new": 1, "expansion": 1, "reactivation": 1, "contraction": 1, "churn": 2}
    assert (r.active_start, r.active_end) == (5, 5)


def test_shorter_window_and_earlier_as_of(company):
    # 2023-06 → 2023-09: S = {A 300, B 150, E 100}; D returns (not in S), B contracts.
    r = revenue.window_retention(company, as_of="2023-09", window_months=3)
    assert r.cohort_mrr_start == 550.0 and r.cohort_mrr_end == 500.0
    assert r.grr == pytest.approx(500 / 550) and r.nrr == pytest.approx(500 / 550)
    assert r.logo_retention == 1.0
    assert r.movements == {"new": 0.0, "expansion": 0.0, "reactivation": 60.0, "contraction": 50.0, "churn": 0.0}
    assert r.quick_ratio == pytest.approx(1.2)


def test_scope_filters_every_figure(company):
    smb = Scope.from_dict({"segment": ["SMB"]})
    r = revenue.window_retention(company, scope=smb)
    assert r.cohort_mrr_start == 450.0 and r.cohort_mrr_end == 400.0
    assert r.grr == pytest.approx(300 / 450) and r.logo_retention == pytest.approx(2 / 3)
    report = revenue.retention_summary(company, scope=smb)
    assert report["accounts"] == {"total": 3, "active": 2, "churned": 1}
    assert report["mrr"] == 400.0
    assert report["movements"] == {"new": 0.0, "expansion": 100.0, "contraction": 50.0, "churn": 100.0,
                                   "reactivation": 0.0}
    assert list(revenue.movements(company, scope=smb)["mrr_end"])[-1] == 400.0
    view = revenue.mrr_monthly(company, smb)
    assert company.execute(f"SELECT DISTINCT account_id FROM {view} ORDER BY 1").fetchall() == [("A",), ("B",), ("C",)]


def test_retention_series(company):
    series = revenue.retention_series(company, window_months=12)
    assert len(series) == 1 and series["month"].iloc[0] == pd.Timestamp("2024-01-01")
    assert series["grr"].iloc[0] == pytest.approx(460 / 620)
    three = revenue.retention_series(company, window_months=3)
    assert len(three) == 10 and three["month"].iloc[0] == pd.Timestamp("2023-04-01")
    row = three[three["month"] == pd.Timestamp("2023-09-01")].iloc[0]
    assert row["nrr"] == pytest.approx(500 / 550) and row["window_start"] == pd.Timestamp("2023-06-01")
    assert (row["cohort_accounts"], row["retained_accounts"]) == (3, 3)


def test_account_movements_lists_the_accounts_behind_a_bar(company):
    churned = revenue.account_movements(company, "2023-04", "churn")
    assert churned[["account_id", "account_name", "movement", "mrr_before", "mrr_after", "amount"]].to_dict(
        "records") == [{"account_id": "C", "account_name": "Gamma", "movement": "churn", "mrr_before": 100.0,
                        "mrr_after": 0.0, "amount": 100.0}]
    assert churned["relative_change"].iloc[0] == -1.0
    back = revenue.account_movements(company, "2023-08")
    assert list(back["account_id"]) == ["D"] and back["movement"].iloc[0] == "reactivation"
    assert pd.isna(back["relative_change"].iloc[0])
    assert revenue.account_movements(company, "2023-02", "churn").empty
    assert revenue.account_movements(company, "2023-01").empty  # the opening balance has no movements
    with pytest.raises(InputError):
        revenue.account_movements(company, "2023-04", "downgrade")


def test_monthly_churn_rates_and_annualising(company):
    rates = revenue.monthly_churn(company).set_index("month")
    april = rates.loc[pd.Timestamp("2023-04-01")]
    assert april["logo_churn"] == pytest.approx(1 / 5)
    assert april["gross_mrr_churn"] == pytest.approx(100 / 620)
    assert april["logo_churn_annualised"] == pytest.approx(1 - (1 - 0.2) ** 12)
    june = rates.loc[pd.Timestamp("2023-06-01")]
    assert june["net_mrr_churn"] == pytest.approx(-100 / 450)  # expansion beats losses: negative
    assert revenue.annualise(0.02) == pytest.approx(0.215283, abs=1e-6)
    assert revenue.deannualise(revenue.annualise(0.02)) == pytest.approx(0.02)
    assert revenue.annualise(0.02) != 0.02 * 12


def test_figures_for_other_pages(company):
    assert revenue.latest_month(company) == "2024-01"
    assert revenue.first_month(company) == "2023-01"
    assert revenue.revenue_months(company) == MONTHS
    assert revenue.arpa(company) == pytest.approx(640 / 5)
    assert revenue.arpa(company, as_of="2023-05") == pytest.approx(450 / 3)
    assert revenue.trailing_logo_churn(company) == pytest.approx(0.2)
    # Expansion only in 2023-06 (100 on 450); mean over the twelve months of the window.
    assert revenue.monthly_expansion_rate(company) == pytest.approx((100 / 450) / 12)
    assert revenue.monthly_expansion_rate(company, net=True) == pytest.approx((100 / 450 - 50 / 610) / 12)
    assert revenue.mrr_at(company, "2023-10") == (640.0, 5)


def test_trailing_logo_churn_on_a_short_history():
    con = mrr_con({"a": [10, 10, 10, 0], "b": [10, 10, 10, 10]}, ["2024-01", "2024-02", "2024-03", "2024-04"])
    assert revenue.trailing_logo_churn(con) is None
    # Three months keep 1 of 2: annualised 1 − 0.5^(12/3).
    assert revenue.trailing_logo_churn(con, allow_shorter=True) == pytest.approx(1 - 0.5 ** 4)


def test_cmrr_and_renewal_rate(company):
    # E (100) has given notice; nothing is signed for later.
    assert revenue.cmrr(company) == {"cmrr": 540.0, "mrr": 640.0, "signed_later": 0.0, "notice": 100.0}
    assert revenue.cmrr(company, as_of="2023-12") is None  # status is today's, not December's
    # Renewal dates stepped back yearly into 2023-02 … 2024-01: A 2023-06-10 (kept),
    # B 2023-03-01 (kept), C 2023-04-01 (lost); D 2023-08-03 and F 2023-10-01 were not
    # paying the month before (no renewal); E's 2024-01-15 is decided only in February.
    rate = revenue.renewal_rate(company)
    assert (rate["due"], rate["renewed"]) == (3, 2)
    assert rate["logo"] == pytest.approx(2 / 3)
    assert rate["arr"] == pytest.approx((12 * 150 + 12 * 200) / (12 * 150 + 12 * 100 + 12 * 200))
    recorded_only = revenue.renewal_rate(company, term_months=None)
    assert (recorded_only["due"], recorded_only["renewed"]) == (1, 0)  # C's missed renewal


def test_cmrr_from_subscriptions_signed_later_and_ending(tmp_path):
    ws = make_ws(tmp_path, "subscriptions", accounts=False)
    soon = pd.Timestamp(dt.date.today()) + pd.Timedelta(days=60)
    later = pd.Timestamp(dt.date.today()) + pd.Timedelta(days=90)
    extra = pd.concat([subscriptions_frame(), pd.DataFrame([
        ("s20", "G", soon, pd.NaT, 500.0, False),                              # signed, starts later
        ("s21", "B", pd.Timestamp("2023-12-01"), later, 25.0, False),          # live, ends later
    ], columns=subscriptions_frame().columns)], ignore_index=True)
    ws.write_frame("subscriptions", extra)
    # Dates after today are commitments: the data still ends in 2024-01.
    assert revenue.latest_month(ws.con) == "2024-01"
    assert revenue.cmrr(ws.con) == {"cmrr": 665.0 + 500.0 - 25.0, "mrr": 665.0, "signed_later": 500.0,
                                    "notice": 25.0}
    ws.close()


def test_cmrr_needs_something_about_commitments():
    con = mrr_con({"a": [10, 10]}, ["2024-01", "2024-02"])
    assert revenue.cmrr(con) is None


def test_accounts_table_only():
    con = duckdb.connect()
    con.execute("""CREATE TABLE accounts AS SELECT * FROM (VALUES
        ('a', 'active', 100.0, NULL), ('b', 'active', NULL, 2400.0), ('c', 'churned', 50.0, 600.0),
        ('d', 'notice', 30.0, 360.0)) t(account_id, status, mrr, arr)""")
    report = revenue.retention_summary(con)
    assert report["accounts"] == {"total": 4, "active": 3, "churned": 1}
    assert report["mrr"] == 330.0 and report["arr"] == 3960.0
    for key in ("grr", "nrr", "logo_retention", "logo_churn_rate", "movements", "quick_ratio", "as_of", "window"):
        assert report[key] is None
    assert revenue.latest_month(con) is None and revenue.movements(con).empty


def test_accounts_table_without_status_cannot_say_who_is_active():
    con = duckdb.connect()
    con.execute("CREATE TABLE accounts AS SELECT 'a' AS account_id, 10.0 AS mrr")
    report = revenue.retention_summary(con)
    assert report["accounts"] == {"total": 1, "active": None, "churned": None}
    assert report["mrr"] is None


# Edge cases --------------------------------------------------------------------------------------
def test_empty_workspace():
    con = duckdb.connect()
    report = revenue.retention_summary(con)
    assert report["mrr"] is None and report["accounts"] == {"total": None, "active": None, "churned": None}
    assert revenue.mrr_monthly(con) is None
    assert revenue.window_retention(con) is None


def test_empty_mrr_table():
    con = mrr_con({}, [])
    assert revenue.latest_month(con) is None
    assert revenue.retention_summary(con)["mrr"] is None
    assert revenue.movements(con).empty and revenue.retention_series(con).empty


def test_one_month_of_data():
    con = mrr_con({"a": [100], "b": [50]}, ["2024-05"])
    report = revenue.retention_summary(con)
    assert report["as_of"] == "2024-05" and report["mrr"] == 150.0
    assert report["accounts"] == {"total": 2, "active": 2, "churned": 0}
    assert report["grr"] is None and report["movements"] is None and report["quick_ratio"] is None
    assert revenue.movements(con).empty
    assert not revenue.window_retention(con, window_months=1).covered


def test_one_account():
    con = mrr_con({"solo": [100, 120, 0]}, ["2024-01", "2024-02", "2024-03"])
    r = revenue.window_retention(con, window_months=2)
    assert (r.grr, r.nrr, r.logo_retention) == (0.0, 0.0, 0.0)
    assert r.movements["expansion"] == 20.0 and r.movements["churn"] == 120.0


def test_all_accounts_churned():
    con = mrr_con({"a": [100, 0, 0], "b": [50, 50, 0]}, ["2024-01", "2024-02", "2024-03"])
    report = revenue.retention_summary(con, window_months=2)
    assert report["mrr"] == 0.0 and report["arr"] == 0.0
    assert (report["grr"], report["nrr"], report["logo_retention"], report["logo_churn_rate"]) == (0.0, 0.0, 0.0, 1.0)
    assert report["accounts"] == {"total": 2, "active": 0, "churned": 2}
    assert report["quick_ratio"] == 0.0
    assert revenue.arpa(con) is None


def test_churn_and_return_counts_as_retained():
    con = mrr_con({"a": [100, 0, 0, 80], "b": [100, 100, 100, 100]}, ["2024-01", "2024-02", "2024-03", "2024-04"])
    r = revenue.window_retention(con, window_months=3)
    assert r.logo_retention == 1.0
    assert r.grr == pytest.approx(180 / 200) and r.nrr == pytest.approx(180 / 200)
    assert r.movements["churn"] == 100.0 and r.movements["reactivation"] == 80.0
    assert r.movements["new"] == 0.0


def test_as_of_before_the_data(company):
    report = revenue.retention_summary(company, as_of="2022-06")
    assert report["as_of"] == "2022-06" and report["window"] == {"start": "2021-06", "end": "2022-06"}
    assert report["mrr"] is None and report["arr"] is None and report["grr"] is None
    assert report["accounts"] == {"total": None, "active": None, "churned": None}
    assert not revenue.window_retention(company, as_of="2022-06").covered
    assert revenue.movements(company, as_of="2022-06").empty
    assert revenue.arpa(company, as_of="2022-06") is None


def test_as_of_after_the_data(company):
    report = revenue.retention_summary(company, as_of="2030-01")
    assert report["mrr"] is None and report["grr"] is None


def test_window_longer_than_the_history(company):
    report = revenue.retention_summary(company, window_months=24)
    assert report["window"] == {"start": "2022-01", "end": "2024-01"}
    assert report["mrr"] == 640.0 and report["accounts"]["active"] == 5
    for key in ("grr", "nrr", "logo_retention", "logo_churn_rate", "movements", "quick_ratio"):
        assert report[key] is None
    assert revenue.retention_series(company, window_months=24).empty


def test_zero_starting_mrr_is_none_not_a_division_error():
    con = mrr_con({"a": [0, 100, 150], "b": [0, 0, 40]}, ["2024-01", "2024-02", "2024-03"])
    r = revenue.window_retention(con, window_months=2)
    assert r.covered and r.cohort_accounts == 0
    assert (r.grr, r.nrr, r.logo_retention, r.logo_churn_rate) == (None, None, None, None)
    assert r.quick_ratio is None  # nothing lost
    assert r.movements["new"] == 140.0 and r.movements["expansion"] == 50.0
    series = revenue.retention_series(con, window_months=1)
    assert series["grr"].isna().iloc[0] and series["grr"].iloc[1] == 1.0


def test_bad_arguments_are_input_errors(company):
    with pytest.raises(InputError):
        revenue.retention_summary(company, as_of="2024-13")
    with pytest.raises(InputError):
        revenue.retention_summary(company, as_of="last month")
    with pytest.raises(InputError):
        revenue.window_retention(company, window_months=0)


def test_rows_without_an_account_and_negative_months_are_ignored():
    con = mrr_con({"a": [100, 100]}, ["2024-01", "2024-02"])
    con.execute("INSERT INTO mrr VALUES (NULL, DATE '2024-02-01', 999), ('a', DATE '2024-02-01', -30)")
    assert revenue.mrr_at(con, "2024-02") == (70.0, 1)


def test_matrix_is_rebuilt_when_the_data_changes(tmp_path):
    ws = make_ws(tmp_path, "mrr")
    assert revenue.retention_summary(ws.con)["mrr"] == 640.0
    frame = mrr_long_frame()
    frame.loc[(frame["account_id"] == "E") & (frame["month"] == "2024-01-01"), "mrr"] = 150.0
    ws.write_frame("mrr", frame)
    assert revenue.retention_summary(ws.con)["mrr"] == 690.0
    ws.close()


def test_rows_read_out_of_order_fall_back_to_a_window(tmp_path, monkeypatch):
    """The build pairs each row with the next by position; if the order were ever lost the
    check notices and the pairs are rebuilt with a window, with the same results."""
    original = revenue.execute
    windowed = []

    def shuffled(con, sql, params=None):
        sql = sql.replace(f"FROM {revenue._ROWS} e POSITIONAL JOIN",
                          f"FROM (SELECT * FROM {revenue._ROWS} ORDER BY mi DESC, ak) e POSITIONAL JOIN")
        windowed.append("lead(ak) OVER w" in sql)
        return original(con, sql, params)

    monkeypatch.setattr(revenue, "execute", shuffled)
    ws = make_ws(tmp_path, "mrr")
    assert revenue.retention_summary(ws.con) == EXPECTED_REPORT
    assert any(windowed)
    ws.close()


def test_arr_bridge_walks_from_start_to_end(company):
    bridge = revenue.arr_bridge(company)
    assert list(bridge["step"]) == ["start", "new", "expansion", "reactivation", "contraction", "churn", "end"]
    assert list(bridge["amount"]) == [7440.0, 960.0, 1200.0, 720.0, -600.0, -2040.0, 7680.0]
    assert bridge["top"].iloc[-2] == bridge["amount"].iloc[-1]
    assert bridge["share"].iloc[0] == 1.0


# The identity, over random histories ---------------------------------------------------------------
histories = st.lists(
    st.lists(st.one_of(st.just(0.0), st.integers(1, 500).map(float)), min_size=6, max_size=6),
    min_size=1, max_size=7)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_movements_sum_to_the_mrr_change(rows):
    months = [f"2024-{m:02d}" for m in range(1, 7)]
    con = mrr_con({f"acct{i}": vals for i, vals in enumerate(rows)}, months)
    if not any(any(v for v in vals) for vals in rows):
        return
    moves = revenue.movements(con)
    totals = np.array(rows).sum(axis=0)
    assert np.allclose(moves["mrr_end"], totals[1:])
    assert np.allclose(moves["mrr_start"], totals[:-1])
    gains = moves["new"] + moves["expansion"] + moves["reactivation"]
    assert np.allclose(moves["mrr_end"] - moves["mrr_start"], gains - moves["contraction"] - moves["churn"])
    assert (moves[list(revenue.MOVEMENTS)] >= 0).all().all()
    r = revenue.window_retention(con, window_months=5)
    if r.grr is not None:
        assert 0.0 <= r.grr <= 1.0 + 1e-12 and r.grr <= r.nrr + 1e-12
        start = sum(v[0] for v in rows)
        assert r.nrr == pytest.approx(sum(v[5] for v in rows if v[0] > 0) / start)
        assert r.mrr_end - r.mrr_start == pytest.approx(
            sum(r.movements[m] for m in revenue.GAINS) - sum(r.movements[m] for m in revenue.LOSSES))
    assert not any(isinstance(v, float) and math.isnan(v) for v in (r.grr, r.nrr) if v is not None)
