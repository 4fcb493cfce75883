"""Account 360 data and the North Star, on a small hand-made company with hand-computed figures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cs_metrics import account, northstar
from cs_metrics.errors import InputError
from cs_metrics.scope import Scope
from cs_metrics.workspace import Workspace

D = dt.date


def build_company(path, *, with_goal_target: bool = True, n_extra: int = 0) -> Workspace:
    """Four accounts over 2025-07 … 2026-06 (as-of 2026-06-30).

    A1 (SMB, =HYPERLINK name to test exports): MRR 100 → 120 from 2025-07, no MRR in
    2025-09 (a gap month is 0); usage: reports 10/month in 2026-05, 30/month in 2026-06
    (two weekly rows each); goal on reports (target 40, baseline 10) and a lower-is-better
    goal on hours. A2 (SMB): reports 20 and 10 in those months. A3 (Enterprise): reports 50
    in 2026-06. A4 churned. ``n_extra`` adds filler accounts (for the search-box page path).
    """
    ws = Workspace.create(path)
    accounts = pd.DataFrame({
        "account_id": ["A1", "A2", "A3", "A4"],
        "account_name": ["=HYPERLINK(\"x\") Acme", "Beta 100% Ltd", "Gamma_Corp", "Delta Co"],
        "segment": ["SMB", "SMB", "Enterprise", "SMB"],
        "owner": ["Li Na", "Li Na", "Sam Lee", "Sam Lee"],
        "plan": ["Team", "Team", "Enterprise", "Team"],
        "start_date": pd.to_datetime(["2025-07-15", "2025-10-01", "2024-01-01", "2025-01-01"]),
        "renewal_date": pd.to_datetime(["2026-07-15", "2026-10-01", "2027-01-01", "2026-01-01"]),
        "churn_date": pd.to_datetime([None, None, None, "2026-01-01"]),
        "status": ["active", "active", "active", "churned"],
        "arr": [1440.0, 600.0, 24000.0, 1200.0],
        "manual_health": ["green", None, None, "red"],
    })
    if n_extra:
        extra = pd.DataFrame({
            "account_id": [f"X{i:05d}" for i in range(n_extra)],
            "account_name": [f"Filler {i}" for i in range(n_extra)],
            "segment": "SMB", "owner": "Li Na", "plan": "Team",
            "start_date": pd.Timestamp("2025-01-01"), "renewal_date": pd.Timestamp("2027-01-01"),
            "churn_date": pd.NaT, "status": "active", "arr": 100.0, "manual_health": None,
        })
        accounts = pd.concat([accounts, extra], ignore_index=True)
    ws.write_frame("accounts", accounts)
    months = pd.date_range("2025-07-01", "2026-06-01", freq="MS")
    mrr_rows = [("A1", m, 100.0 if m < pd.Timestamp("2026-01-01") else 120.0) for m in months
                if m != pd.Timestamp("2025-09-01")]
    mrr_rows += [("A2", m, 50.0) for m in months if m >= pd.Timestamp("2025-10-01")]
    mrr_rows += [("A3", m, 2000.0) for m in months]
    mrr_rows += [("A4", m, 100.0) for m in months if m < pd.Timestamp("2026-01-01")]
    ws.write_frame("mrr", pd.DataFrame(mrr_rows, columns=["account_id", "month", "mrr"]))
    usage = pd.DataFrame([
        ("A1", "2026-05-04", 4, 5.0, 40.0), ("A1", "2026-05-18", 6, 5.0, 60.0),
        ("A1", "2026-06-01", 8, 15.0, 80.0), ("A1", "2026-06-15", 8, 15.0, 20.0),
        ("A2", "2026-05-04", 2, 20.0, 10.0), ("A2", "2026-06-01", 2, 10.0, 10.0),
        ("A3", "2026-06-08", 30, 50.0, 300.0),
        (None, "2026-06-08", 99, 999.0, 999.0),
    ], columns=["account_id", "date", "active_users", "reports_created", "events"])
    usage["date"] = pd.to_datetime(usage["date"])
    ws.write_frame("usage", usage)
    ws.write_frame("tickets", pd.DataFrame({
        "account_id": ["A1", "A1", "A1", "A2", "A2"],
        "ticket_id": ["T1", "T2", "T3", "T4", "T5"],
        "created_at": pd.to_datetime(["2025-05-01 10:00", "2026-04-20 09:00", "2026-06-10 12:00",
                                      "2026-02-01 08:00", "2026-03-01 08:00"]),
        "resolved_at": pd.to_datetime(["2025-05-02", "2026-04-21", None, "2026-02-02", "2026-03-02"]),
        "priority": ["Low", "High", "Urgent", "Normal", "Normal"],
        "priority_rank": [4, 2, 1, 3, 3],
        "status": ["closed", "closed", "open", "closed", "closed"],
        "satisfaction": [1.0, 4.0, np.nan, 5.0, 3.0],
        "first_response_minutes": [10.0, 30.0, 50.0, 20.0, 40.0],
    }))
    ws.write_frame("nps", pd.DataFrame({
        "account_id": ["A1", "A1", "A1", "A2"],
        "date": pd.to_datetime(["2025-03-01", "2025-09-15", "2026-03-20", "2026-03-20"]),
        "score": [10, 9, 5, 8],
        "comment": ["Old praise", "Great support", "Too many bugs", None],
        "respondent": ["Wang Fang", "Wang Fang", "Chen Jie", None],
    }))
    goal_rows = [
        ("A1", "Automate reports", "Reports created" if with_goal_target else "reports per month",
         10.0, 40.0, 30.0, "2026-12-31"),
        ("A1", "Cut report time", "hours per week", 20.0, 5.0, 14.0, "2026-12-31"),
    ]
    goals = pd.DataFrame(goal_rows, columns=["account_id", "goal", "metric", "baseline", "target", "current",
                                             "due_date"])
    goals["due_date"] = pd.to_datetime(goals["due_date"])
    ws.write_frame("goals", goals)
    ws.set_setting("northstar", {"metric": "reports_created", "counter": "events"})
    return ws


@pytest.fixture()
def company(tmp_path):
    ws = build_company(tmp_path / "c.duckdb")
    yield ws
    ws.close()


# Finding accounts ---------------------------------------------------------------------------
def test_search_by_name_or_id_with_wildcards_escaped(company):
    con = company.con
    assert list(account.search_accounts(con, "acme")["account_id"]) == ["A1"]
    assert list(account.search_accounts(con, "a2")["account_id"]) == ["A2"]
    # '%' and '_' are literal characters, not wildcards.
    assert list(account.search_accounts(con, "100%")["account_id"]) == ["A2"]
    assert list(account.search_accounts(con, "t_")["account_id"]) == []     # "Beta", "Delta" if _ were a wildcard
    assert list(account.search_accounts(con, "gamma_")["account_id"]) == ["A3"]
    # Empty text lists everyone, largest ARR first; the limit holds.
    assert list(account.search_accounts(con, "", limit=2)["account_id"]) == ["A3", "A1"]
    smb = account.search_accounts(con, "", scope=Scope.from_dict({"segment": ["Enterprise"]}))
    assert list(smb["account_id"]) == ["A3"]
    assert account.account_count(con) == 4
    assert account.account_exists(con, "A4") and not account.account_exists(con, "nope")
    assert account.find_account(con, "A3").iloc[0]["account_name"] == "Gamma_Corp"
    assert account.find_account(con, "a3").empty            # IDs match exactly


def test_exact_id_ranks_first(tmp_path):
    ws = build_company(tmp_path / "x.duckdb", n_extra=30)
    found = account.search_accounts(ws.con, "X00001", limit=5)
    assert found.iloc[0]["account_id"] == "X00001"
    assert len(account.search_accounts(ws.con, "filler", limit=50)) == 30


# Header and revenue -----------------------------------------------------------------------------
def test_header_by_hand(company):
    header = account.account_header(company.con, "A1")
    assert header["as_of"] == D(2026, 6, 30)
    assert header["arr"] == 1440.0 and header["mrr"] == 120.0
    # 2025-07-15 → 2026-06-30: 11 whole months.
    assert header["tenure_months"] == 11
    assert header["days_to_renewal"] == 15
    assert header["segment"] == "SMB" and header["owner"] == "Li Na"
    churned = account.account_header(company.con, "A4")
    # Churned 2026-01-01 after starting 2025-01-01: tenure stops at the churn date.
    assert churned["tenure_months"] == 12 and churned["days_to_renewal"] == -180
    assert account.account_header(company.con, "missing") is None


def test_mrr_history_fills_gaps_and_indexes(company):
    history = account.mrr_history(company.con, "A1")
    assert len(history) == 12
    assert history.loc[history["month"] == "2025-09-01", "mrr"].item() == 0.0
    assert history["index"].iloc[0] == 100.0 and history["index"].iloc[-1] == pytest.approx(120.0)
    assert account.mrr_change(history) is None            # 12 months of data: no month 12 earlier
    longer = pd.DataFrame({"mrr": [100.0] + [0.0] * 11 + [150.0]})
    assert account.mrr_change(longer) == pytest.approx(0.5)
    assert account.mrr_change(pd.DataFrame({"mrr": [0.0] * 12 + [10.0]})) is None


def test_mrr_history_from_subscriptions_month_end_rule(tmp_path):
    ws = Workspace.create(tmp_path / "s.duckdb")
    ws.write_frame("accounts", pd.DataFrame({"account_id": ["S1"]}))
    ws.write_frame("subscriptions", pd.DataFrame({
        "account_id": ["S1", "S1", "S1"], "subscription_id": ["a", "b", "t"],
        "start_date": pd.to_datetime(["2026-01-10", "2026-02-28", "2026-01-01"]),
        "end_date": pd.to_datetime(["2026-03-31", None, "2026-02-01"]),
        "mrr": [100.0, 50.0, 0.0], "is_trial": [False, False, True]}))
    ws.write_frame("usage", pd.DataFrame({"account_id": ["S1"], "date": pd.to_datetime(["2026-04-15"]),
                                          "events": [1.0]}))
    history = account.mrr_history(ws.con, "S1")
    # Jan: a live on 31 Jan (100); Feb: a + b (b starts on the last day) = 150;
    # Mar: a ends on 31 Mar, not live after the month end → 50; Apr: 50.
    assert history["mrr"].tolist() == [100.0, 150.0, 50.0, 50.0]


# Support and voice ------------------------------------------------------------------------------------
def test_ticket_summary_by_hand(company):
    summary = account.ticket_summary(company.con, "A1")
    assert summary["total"] == 3 and summary["open"] == 1 and summary["open_urgent"] == 1
    assert summary["last_90d"] == 2                     # 2026-04-20 and 2026-06-10
    assert summary["csat_12m"] == pytest.approx(4.0)    # only T2 rated inside the 12 months
    assert summary["csat_responses"] == 1
    # Peer (SMB: A1, A2, A4) CSAT over 12 months: T2 4, T4 5, T5 3 → 4.0.
    assert summary["peer_csat_12m"] == pytest.approx(4.0)
    assert summary["median_first_response_min"] == pytest.approx(40.0)
    monthly = summary["monthly"]
    # From the first ticket month inside 24 months (2025-05) to June 2026, zeros between.
    assert len(monthly) == 14 and monthly["tickets"].sum() == 3 and monthly["urgent"].sum() == 1


def test_nps_history_by_hand(company):
    nps = account.nps_history(company.con, "A1")
    # Answers within 12 months of 2026-06-30: 9 (promoter) and 5 (detractor) → 50 − 50 = 0.
    assert nps["nps_12m"] == pytest.approx(0.0) and nps["responses_12m"] == 2
    assert nps["latest_score"] == 5 and nps["latest_date"] == D(2026, 3, 20)
    assert list(nps["responses"]["category"]) == ["detractor", "promoter", "promoter"]
    assert account.nps_history(company.con, "A3")["nps_12m"] is None
    assert account.nps_category(7) == "passive" and account.nps_category(None) is None


# North Star ------------------------------------------------------------------------------------------
def test_config_validation_and_defaults(company):
    con = company.con
    assert northstar.numeric_usage_columns(con) == ["active_users", "reports_created", "events"]
    config = northstar.make_config(con, "active_users", "events")
    assert config.agg == "avg" and config.counter_agg == "sum"
    assert northstar.make_config(con, "events", "events").counter is None
    with pytest.raises(InputError):
        northstar.make_config(con, "account_id")
    with pytest.raises(InputError):
        northstar.make_config(con, "events", agg="median")
    loaded = northstar.load_config(con)
    assert loaded.metric == "reports_created" and loaded.counter == "events" and loaded.agg == "sum"
    company.set_setting("northstar", "events")          # a bare column name is understood
    assert northstar.load_config(con).metric == "events"
    company.set_setting("northstar", {"metric": "gone"})
    assert northstar.load_config(con) is None


def test_account_northstar_goal_target(company):
    ns = northstar.account_northstar(company.con, "A1")
    history = ns["history"]
    assert history["value"].tolist() == [10.0, 30.0]
    assert history["counter"].tolist() == [100.0, 100.0]
    # SMB peers in 2026-05: A1 10, A2 20 → 15; in 2026-06: A1 30, A2 10 → 20.
    assert history["peer_median"].tolist() == [15.0, 20.0]
    assert ns["target"] == 40.0 and ns["target_source"] == "goal" and ns["direction"] == "higher"
    assert ns["latest"] == 30.0 and ns["reaching"] is False
    assert history["target"].tolist() == [40.0, 40.0]


def test_account_northstar_benchmark_when_no_goal(tmp_path):
    ws = build_company(tmp_path / "b.duckdb", with_goal_target=False)
    ns = northstar.account_northstar(ws.con, "A1")
    assert ns["target"] is None and ns["target_source"] == "benchmark"
    assert ns["peer_median"] == 20.0 and ns["reaching"] is True
    # The goal metric can be named in the setting instead.
    ws.set_setting("northstar", {"metric": "reports_created", "goal_metric": "Reports per month"})
    assert northstar.account_northstar(ws.con, "A1")["target"] == 40.0
    enterprise = northstar.account_northstar(ws.con, "A3")
    assert enterprise["peer_median"] == 50.0 and enterprise["reaching"] is True
    assert northstar.account_northstar(ws.con, "A4")["history"].empty


def test_lower_is_better_goal_target(tmp_path):
    ws = build_company(tmp_path / "l.duckdb")
    ws.write_frame("goals", pd.DataFrame({
        "account_id": ["A2"], "goal": ["Fewer events"], "metric": ["events"],
        "baseline": [50.0], "target": [15.0], "current": [10.0], "due_date": pd.to_datetime(["2026-12-31"])}))
    ws.set_setting("northstar", {"metric": "events"})
    ns = northstar.account_northstar(ws.con, "A2")
    assert ns["direction"] == "lower" and ns["latest"] == 10.0 and ns["reaching"] is True


def test_northstar_overview_by_hand(company):
    overview = northstar.northstar_overview(company.con)
    trend = overview["trend"].set_index("month")
    may, june = pd.Timestamp("2026-05-01"), pd.Timestamp("2026-06-01")
    assert trend.loc[may, "value"] == 30.0 and trend.loc[june, "value"] == 90.0
    assert trend.loc[june, "accounts"] == 3 and trend.loc[june, "counter"] == 410.0
    # June: A1 30 vs goal 40 → no; A2 10 vs SMB median 20 → no; A3 50 vs Enterprise 50 → yes.
    assert trend.loc[june, "reaching"] == 1
    # May: A1 10 < 40 no; A2 20 ≥ 15 yes.
    assert trend.loc[may, "reaching"] == 1 and trend.loc[may, "share_reaching"] == pytest.approx(0.5)
    assert overview["accounts_measured"] == 3 and overview["reaching"] == 1
    assert overview["share_reaching"] == pytest.approx(1 / 3)
    assert overview["by_goal"] == 1 and overview["by_benchmark"] == 2
    smb = northstar.northstar_overview(company.con, scope=Scope.from_dict({"segment": ["SMB"]}))
    # The benchmark does not move with the filter: A2 still compares with the SMB median.
    assert smb["accounts_measured"] == 2 and smb["reaching"] == 0


def test_northstar_absent(tmp_path):
    ws = Workspace.create(tmp_path / "n.duckdb")
    assert northstar.northstar_overview(ws.con) is None
    assert northstar.load_config(ws.con) is None
    assert northstar.peer_medians(ws.con).empty


# The whole page ---------------------------------------------------------------------------------------
def test_account_view_and_next_steps(company):
    view = account.account_view(company.con, "A1", with_health=False)
    assert view.header["account_id"] == "A1" and len(view.goals) == 2
    keys = [k for k, _ in view.next_steps]
    assert keys[0] == "account.step.renewal"                 # 15 days to renewal
    assert "account.step.goal_behind" in keys               # hours: 40 % attained with 66 % of the time gone
    assert "account.step.northstar_below" in keys
    assert "account.step.urgent_tickets" in keys and "account.step.detractor" in keys
    behind = dict(view.next_steps)["account.step.goal_behind"]
    assert behind["goal"] == "Cut report time" and behind["attainment"] == 40
    assert account.account_view(company.con, "nobody") is None


def test_account_health_from_scores(company):
    pytest.importorskip("cs_metrics.health")
    months = pd.date_range("2026-01-01", "2026-06-01", freq="MS")
    scores = pd.DataFrame({"account_id": "A1", "month": months,
                           "score": [80.0, 75.0, 70.0, 60.0, 50.0, 45.0],
                           "band": ["green", "green", "green", "yellow", "yellow", "yellow"],
                           "usage_level": [80.0, 75.0, 70.0, 60.0, 50.0, 45.0], "coverage": 1.0})
    health = account.account_health(company.con, "A1", scores)
    assert health["score"] == 45.0 and health["band"] == "yellow"
    assert health["trend"] == pytest.approx(45.0 - 70.0)      # against three months earlier
    assert len(health["history"]) == 6
    assert account.account_health(company.con, "A2", scores) is None


def test_view_of_one_account_alone_matches_the_shared_health_table(sample_ws):
    """Without the whole-workspace table the view scores the account alone (big workspaces):
    the same health, risk reasons and opportunities as with the table."""
    con = sample_ws.con
    target = con.execute("SELECT account_id FROM mrr WHERE month = (SELECT max(month) FROM mrr) "
                         "ORDER BY account_id LIMIT 1").fetchall()[0][0]
    shared = account.account_view(con, target, health_scores=account.health_table(con))
    alone = account.account_view(con, target)
    assert alone.health is not None and alone.health["score"] == pytest.approx(shared.health["score"])
    assert alone.health["band"] == shared.health["band"]
    assert len(alone.health["history"]) == len(shared.health["history"])
    assert list(alone.risks["code"]) == list(shared.risks["code"])
    assert list(alone.opportunities["kind"]) == list(shared.opportunities["kind"])
