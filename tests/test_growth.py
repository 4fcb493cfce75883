"""Expansion and advocacy candidates, NPS over time and churn by NPS group, by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from cs_metrics import growth, segments
from cs_metrics.scope import Scope
from cs_metrics.workspace import Workspace

DEC = pd.Timestamp("2024-12-01")


def set_bands(monkeypatch, bands: dict[str, str]):
    frame = pd.DataFrame([(a, DEC, b, 80.0 if b == "green" else 20.0) for a, b in bands.items()],
                         columns=["account_id", "month", "band", "score"])
    monkeypatch.setattr(segments, "health_history", lambda con, scope=None: frame)


def expansion_company(path) -> Workspace:
    """As-of 2024-12. Weekly usage, Mondays 2024-08-05 … 2024-12-30 (seats in the usage rows).

    A: 95 of 100 seats used (95 %), ARR 12,000 -> needs ceil(95 / 0.8 - 100) = 19 seats at 120.
    B: 20 -> 30 users of 60 seats (50 %), usage +50 %; ARR 6,000; typical expansion applies.
    C: 95 % used but red.  D: 95 % used but has given notice.  E: 50 % used, flat.
    N: new, first used 2024-09-23 (inside the baseline window), 20 -> 40 of 100 seats: ramping up.
    X, Y, Z: no usage; their MRR 2023-12 -> 2024-12 grew +50 %, +10 %, +30 % (median 30 %).
    """
    ws = Workspace.create(path)
    ids = ["A", "B", "C", "D", "E", "N", "X", "Y", "Z"]
    ws.write_frame("accounts", pd.DataFrame({
        "account_id": ids, "account_name": [f"Name {i}" for i in ids], "owner": ["Li"] * 9,
        "status": ["active", "active", "active", "notice", "active", "active", "active", "active", "active"]}))
    mrr = [(i, DEC, v) for i, v in zip("ABCDEN", [1000.0, 500.0, 1000.0, 1000.0, 1000.0, 1000.0])]
    start = pd.Timestamp("2023-12-01")
    mrr += [("X", start, 100.0), ("X", DEC, 150.0), ("Y", start, 100.0), ("Y", DEC, 110.0),
            ("Z", start, 100.0), ("Z", DEC, 130.0)]
    ws.write_frame("mrr", pd.DataFrame(mrr, columns=["account_id", "month", "mrr"]))
    rows = []
    for day in pd.date_range("2024-08-05", "2024-12-30", freq="7D"):
        late = day >= pd.Timestamp("2024-11-01")
        rows += [("A", day, 95.0, 100.0), ("B", day, 30.0 if late else 20.0, 60.0), ("C", day, 95.0, 100.0),
                 ("D", day, 95.0, 100.0), ("E", day, 50.0, 100.0)]
        if day >= pd.Timestamp("2024-09-23"):
            rows.append(("N", day, 40.0 if late else 20.0, 100.0))
    ws.write_frame("usage", pd.DataFrame(rows, columns=["account_id", "date", "active_users", "seats"]))
    return ws


def test_typical_expansion_is_the_median_of_expanding_accounts(tmp_path):
    ws = expansion_company(tmp_path / "w.duckdb")
    assert growth.typical_expansion_rate(ws.con) == pytest.approx(0.3)


def test_expansion_candidates_by_hand(tmp_path, monkeypatch):
    set_bands(monkeypatch, {"A": "green", "B": "green", "C": "red", "D": "green", "E": "green", "N": "green"})
    ws = expansion_company(tmp_path / "w.duckdb")
    found = growth.expansion_candidates(ws.con).set_index("account_id")
    assert list(found.index) == ["A", "B"]  # N doubled its usage, but from an onboarding ramp
    a, b = found.loc["A"], found.loc["B"]
    assert a["utilisation"] == pytest.approx(0.95) and a["method"] == "seats"
    assert a["extra_seats"] == 19 and a["expansion_arr"] == pytest.approx(19 * 120.0)
    assert b["usage_change"] == pytest.approx(0.5) and b["method"] == "typical"
    assert b["extra_seats"] is None and b["expansion_arr"] == pytest.approx(6000 * 0.3)
    assert a["evidence"] == "Seats 95% used (95 active of 100); health green (score 80)"
    assert b["evidence"] == ("usage +50% over 3 months; health green (score 80); "
                             "estimate uses the typical expansion of 30%")


def test_expansion_thresholds_move_the_list(tmp_path, monkeypatch):
    set_bands(monkeypatch, {"A": "green", "B": "green", "C": "red", "D": "green", "E": "green"})
    ws = expansion_company(tmp_path / "w.duckdb")
    assert growth.expansion_candidates(ws.con, min_utilisation=0.99, min_growth=0.6).empty
    assert list(growth.expansion_candidates(ws.con, min_utilisation=0.5)["account_id"]) == ["A", "E", "B"]


def test_without_health_green_is_not_required(tmp_path, monkeypatch):
    monkeypatch.setattr(segments, "health_history", lambda con, scope=None: None)
    ws = expansion_company(tmp_path / "w.duckdb")
    found = growth.expansion_candidates(ws.con)
    # C (red) now counts: the data says nothing about its health. D keeps its open risk (notice).
    assert sorted(found["account_id"]) == ["A", "B", "C"]
    assert found["band"].isna().all()


def advocacy_company(path) -> Workspace:
    """As-of 2024-12; NPS answers in 2024. ARR: P 24k, Q 1.2k, R 1.2k, S 24k, T 24k, U 24k, V 1.2k.

    P: 10, customer since 2023-01 (23 months), large -> reference.  Q: 9 with a comment, 8 months ->
    testimonial.  R: 9, no comment, 7 months -> referral.  S: 10 but 3 months.  T: 10 then 4 (latest).
    U: 10 but red.  V: 10 but a ticket open for 40 days (an open risk).
    """
    ws = Workspace.create(path)
    ids = list("PQRSTUV")
    ws.write_frame("accounts", pd.DataFrame({
        "account_id": ids, "account_name": ids, "owner": ["Li"] * 7,
        "start_date": pd.to_datetime(["2023-01-10", "2024-04-01", "2024-05-01", "2024-09-01", "2023-01-01",
                                      "2023-01-01", "2023-01-01"])}))
    values = {"P": 2000.0, "Q": 100.0, "R": 100.0, "S": 2000.0, "T": 2000.0, "U": 2000.0, "V": 100.0}
    ws.write_frame("mrr", pd.DataFrame({"account_id": ids, "month": DEC, "mrr": [values[i] for i in ids]}))
    nps = pd.DataFrame([("P", "2024-10-01", 10, None), ("Q", "2024-11-01", 9, "Great support"),
                        ("R", "2024-11-01", 9, " "), ("S", "2024-11-01", 10, None), ("T", "2024-03-01", 10, None),
                        ("T", "2024-09-01", 4, "Too slow"), ("U", "2024-11-01", 10, None),
                        ("V", "2024-11-01", 10, None)], columns=["account_id", "date", "score", "comment"])
    nps["date"] = pd.to_datetime(nps["date"])
    ws.write_frame("nps", nps)
    tickets = pd.DataFrame({"account_id": ["V"], "ticket_id": ["t"], "created_at": [pd.Timestamp("2024-11-21")],
                            "resolved_at": [pd.NaT], "priority_rank": [3], "status": ["open"]})
    ws.write_frame("tickets", tickets)
    return ws


def test_advocacy_candidates_by_hand(tmp_path, monkeypatch):
    set_bands(monkeypatch, {i: ("red" if i == "U" else "green") for i in "PQRSTUV"})
    ws = advocacy_company(tmp_path / "w.duckdb")
    found = growth.advocacy_candidates(ws.con).set_index("account_id")
    assert list(found.index) == ["P", "Q", "R"]
    assert found["ask"].to_dict() == {"P": "reference", "Q": "testimonial", "R": "referral"}
    assert found["tenure_months"].to_dict() == {"P": 23, "Q": 8, "R": 7}
    assert found.loc["Q", "comment"] == "Great support" and found.loc["R", "comment"] is None
    assert found.loc["P", "evidence"] == "Promoter (NPS 10 on 2024-10-01); customer for 23 months; health green"
    # A shorter tenure rule lets S in.
    assert "S" in set(growth.advocacy_candidates(ws.con, min_tenure_months=3)["account_id"])


def test_nps_trend_by_hand(tmp_path):
    ws = advocacy_company(tmp_path / "w.duckdb")
    trend = growth.nps_trend(ws.con).set_index(pd.Index(["2024-03", "2024-09", "2024-10", "2024-11"]))
    # 2024-11: five answers 9, 9, 10, 10, 10 -> NPS 100; 2024-09: one 4 -> -100.
    assert trend.loc["2024-11", "responses"] == 5 and trend.loc["2024-11", "nps"] == pytest.approx(100.0)
    assert trend.loc["2024-09", "nps"] == pytest.approx(-100.0) and trend.loc["2024-09", "detractors"] == 1
    assert growth.nps_trend(Workspace.create(tmp_path / "e.duckdb").con).empty


def test_churn_by_nps_category_by_hand(tmp_path):
    """Paying in 2023-12, answered in 2023: two promoters (one churns), a passive, two detractors (both churn)."""
    ws = Workspace.create(tmp_path / "w.duckdb")
    ids = ["p1", "p2", "n1", "d1", "d2", "late"]
    ws.write_frame("accounts", pd.DataFrame({"account_id": ids}))
    start = pd.Timestamp("2023-12-01")
    mrr = [(i, start, 100.0) for i in ids if i != "late"]
    mrr += [("p1", DEC, 100.0), ("n1", DEC, 100.0), ("late", DEC, 100.0)]
    ws.write_frame("mrr", pd.DataFrame(mrr, columns=["account_id", "month", "mrr"]))
    nps = pd.DataFrame([("p1", "2023-06-01", 10), ("p2", "2023-11-01", 9), ("n1", "2023-10-01", 7),
                        ("d1", "2023-10-01", 2), ("d2", "2023-02-01", 9), ("d2", "2023-09-01", 6),
                        ("late", "2024-06-01", 10)], columns=["account_id", "date", "score"])
    nps["date"] = pd.to_datetime(nps["date"])
    ws.write_frame("nps", nps)
    table = growth.churn_by_nps_category(ws.con).set_index("category")
    assert table.loc["promoter", ["accounts", "churned"]].tolist() == [2, 1]
    assert table.loc["promoter", "churn_rate"] == pytest.approx(0.5)
    assert table.loc["passive", "churn_rate"] == pytest.approx(0.0)
    assert table.loc["detractor", ["accounts", "churned"]].tolist() == [2, 2]
    assert table.loc["detractor", "arr_start"] == 2400.0
    assert str(table["start_month"].iloc[0]) == "2023-12-01"


def test_empty_and_missing_tables(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    lists = growth.growth_lists(ws.con)
    assert lists["as_of"] is None and lists["expansion"].empty and lists["advocacy"].empty
    assert growth.churn_by_nps_category(ws.con) is None
    ws.write_frame("accounts", pd.DataFrame({"account_id": ["A"]}))
    assert growth.advocacy_candidates(ws.con).empty       # no NPS table
    assert growth.expansion_candidates(ws.con).empty      # no usage table


def test_scoped_lists_are_the_whole_lists_filtered(sample_ws, monkeypatch):
    """Account 360 asks for one account: its rows (estimate, ask, evidence) must be those of the
    whole list. The typical expansion and the median ARR behind "reference" are the workspace's
    whatever the scope, and the scope narrows every scan before grouping."""
    con = sample_ws.con
    ids = [r[0] for r in con.execute("SELECT account_id FROM accounts ORDER BY account_id").fetchall()]
    frame = pd.DataFrame([(a, m, "green" if i % 4 else "yellow", 75.0) for i, a in enumerate(ids)
                          for m in pd.date_range("2026-08-01", "2026-10-01", freq="MS")],
                         columns=["account_id", "month", "band", "score"])
    monkeypatch.setattr(segments, "health_history", lambda con, scope=None: frame)
    whole = growth.growth_lists(con, lang="zh")
    expansion, advocacy = whole["expansion"], whole["advocacy"]
    assert len(expansion) > 5 and len(advocacy) > 5 and set(expansion["method"]) == {"seats", "typical"}
    picks = {"expansion": expansion["account_id"].iloc[len(expansion) // 2],
             "typical": expansion.loc[expansion["method"] == "typical", "account_id"].iloc[0],
             "advocate": advocacy["account_id"].iloc[-1], "neither": ids[0]}
    scopes = [Scope.from_dict({"account_id": [a]}) for a in picks.values()]
    scopes.append(Scope.from_dict({"industry": ["Energy", "Logistics"]}))
    for scope in scopes:
        sql, params = scope.account_filter(con)
        members = {r[0] for r in con.execute(f"SELECT account_id FROM accounts WHERE {sql}", params).fetchall()}
        lists = growth.growth_lists(con, scope=scope, lang="zh")
        assert lists["typical_expansion"] == whole["typical_expansion"]
        for name in ("expansion", "advocacy"):
            expected = whole[name][whole[name]["account_id"].isin(members)].reset_index(drop=True)
            pd.testing.assert_frame_equal(lists[name], expected, check_dtype=False, obj=f"{name} {scope}")
        one = growth.expansion_candidates(con, scope=scope, lang="zh")
        pd.testing.assert_frame_equal(one, lists["expansion"], check_dtype=False)


def test_a_scope_keeps_the_workspace_typical_expansion(tmp_path, monkeypatch):
    """B alone (usage growth) is estimated with the workspace's 30 %, not a median of B itself."""
    set_bands(monkeypatch, {"A": "green", "B": "green", "C": "red", "D": "green", "E": "green", "N": "green"})
    ws = expansion_company(tmp_path / "w.duckdb")
    found = growth.expansion_candidates(ws.con, scope=Scope.from_dict({"account_id": ["B"]}))
    assert list(found["account_id"]) == ["B"] and found["expansion_arr"].iloc[0] == pytest.approx(6000 * 0.3)
    # Asked for directly with a scope, the typical expansion is that scope's own (X alone: +50 %).
    assert growth.typical_expansion_rate(ws.con, scope=Scope.from_dict({"account_id": ["X"]})) == pytest.approx(0.5)
