"""Tiers, RFM and the segment x metrics table on hand-made companies with hand-computed figures."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cs_metrics import revenue, segments
from cs_metrics.errors import InputError
from cs_metrics.scope import Scope
from cs_metrics.workspace import Workspace

THRESHOLDS = {"mid_market": 5000.0, "enterprise": 10000.0}


def no_health(monkeypatch):
    monkeypatch.setattr(segments, "health_history", lambda con, scope=None: None)


def fixed_health(monkeypatch, rows):
    frame = pd.DataFrame(rows, columns=["account_id", "month", "band", "score"])
    frame["month"] = pd.to_datetime(frame["month"])
    monkeypatch.setattr(segments, "health_history", lambda con, scope=None: frame)


def retention_company(path) -> Workspace:
    """Window 2023-12 (a) -> 2024-12 (b); ARR = 12 x MRR; thresholds mid 5,000 / ent 10,000.

    A: 1,000 -> 1,200 (enterprise a year ago and now)   B: 1,000 -> 0 (enterprise, churned)
    C: 100 -> 100 (SMB)   D: 100 -> 50 (SMB, contracted)   E: 0 -> 500 (new, mid-market now)
    """
    ws = Workspace.create(path)
    ws.write_frame("accounts", pd.DataFrame({
        "account_id": list("ABCDE"),
        "account_name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"],
        "industry": ["Retail", "Retail", "Energy", None, "Energy"],
        "owner": ["X", "X", "Y", "Y", "Z"],
        "segment": ["Enterprise", "Enterprise", "SMB", "Mid-Market", "Mid-Market"],
    }))
    rows = [("A", "2023-12-01", 1000.0), ("A", "2024-12-01", 1200.0),
            ("B", "2023-12-01", 1000.0), ("B", "2024-06-01", 1000.0),
            ("C", "2023-12-01", 100.0), ("C", "2024-12-01", 100.0),
            ("D", "2023-12-01", 100.0), ("D", "2024-12-01", 50.0),
            ("E", "2024-12-01", 500.0)]
    mrr = pd.DataFrame(rows, columns=["account_id", "month", "mrr"])
    mrr["month"] = pd.to_datetime(mrr["month"])
    ws.write_frame("mrr", mrr)
    nps = pd.DataFrame([("A", "2024-06-01", 10), ("A", "2024-11-01", 3), ("C", "2024-10-01", 9),
                        ("D", "2024-12-15", 7), ("B", "2024-01-10", 10), ("E", "2023-06-01", 10)],
                       columns=["account_id", "date", "score"])
    nps["date"] = pd.to_datetime(nps["date"])
    ws.write_frame("nps", nps)
    return ws


def row(table, segment):
    if segment is None:
        return table[table["is_total"]].iloc[0]
    return table[(table["segment"] == segment) & ~table["is_total"]].iloc[0]


def test_nice_round_keeps_two_significant_digits():
    assert segments.nice_round(20601.6) == 21000
    assert segments.nice_round(102345.6) == 100000
    assert segments.nice_round(999.0) == 1000
    assert segments.nice_round(0) == 0


def test_default_thresholds_are_rounded_60th_and_90th_percentiles(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    ws.write_frame("accounts", pd.DataFrame({
        "account_id": [f"a{i}" for i in range(1, 11)] + ["gone"],
        "arr": [1000.0 * i for i in range(1, 11)] + [50000.0],
        "status": ["active"] * 10 + ["churned"]}))
    # ARR 1,000 ... 10,000 of the active accounts: p60 = 6,400, p90 = 9,100 (the churned one is ignored).
    assert segments.default_tier_thresholds(ws.con) == {"mid_market": 6400.0, "enterprise": 9100.0}


@pytest.mark.parametrize("arr, tier, touch", [
    (4999.0, "smb", "tech"), (5000.0, "mid_market", "standard"), (9999.99, "mid_market", "standard"),
    (10000.0, "enterprise", "high"), (250000.0, "enterprise", "high")])
def test_tier_assignment_at_the_boundaries(tmp_path, arr, tier, touch):
    ws = Workspace.create(tmp_path / "w.duckdb")
    ws.write_frame("accounts", pd.DataFrame({"account_id": ["a"], "arr": [arr], "status": ["active"]}))
    tiers = segments.assign_tiers(ws.con, THRESHOLDS)
    assert tiers.to_dict("records") == [{"account_id": "a", "arr": arr, "tier": tier, "touch": touch}]


def test_tiers_come_from_mrr_when_revenue_is_loaded(tmp_path):
    ws = retention_company(tmp_path / "w.duckdb")
    tiers = segments.assign_tiers(ws.con, THRESHOLDS)
    assert dict(zip(tiers["account_id"], tiers["tier"])) == {
        "A": "enterprise", "E": "mid_market", "C": "smb", "D": "smb"}
    assert tiers["arr"].tolist() == [14400.0, 6000.0, 1200.0, 600.0]


@pytest.mark.parametrize("bad", [{"mid_market": 10, "enterprise": 5}, {"mid_market": 0, "enterprise": 5},
                                 {"mid_market": "x", "enterprise": 5}, {"enterprise": 5}])
def test_invalid_thresholds_are_refused(bad):
    with pytest.raises(InputError):
        segments.validate_thresholds(bad)


def test_saved_thresholds_win_over_the_default(tmp_path):
    ws = retention_company(tmp_path / "w.duckdb")
    ws.set_setting(segments.SETTING_TIERS, {"mid_market": 1000, "enterprise": 2000})
    assert segments.tier_thresholds(ws.con) == {"mid_market": 1000.0, "enterprise": 2000.0}
    ws.set_setting(segments.SETTING_TIERS, {"mid_market": 3000, "enterprise": 2000})  # invalid -> default
    assert segments.tier_thresholds(ws.con) == segments.default_tier_thresholds(ws.con)


def test_segment_table_by_tier_by_hand(tmp_path, monkeypatch):
    no_health(monkeypatch)
    ws = retention_company(tmp_path / "w.duckdb")
    table = segments.segment_table(ws.con, "tier", thresholds=THRESHOLDS)
    assert table["segment"].tolist() == ["enterprise", "mid_market", "smb", None]
    ent, mid, smb, total = (row(table, s) for s in ("enterprise", "mid_market", "smb", None))
    # Enterprise a year ago: A and B. NRR = 1,200 / 2,000, GRR = 1,000 / 2,000, one of two logos lost.
    assert (ent["accounts"], ent["arr"], ent["cohort"]) == (1, 14400.0, 2)
    assert ent["nrr"] == pytest.approx(0.6) and ent["grr"] == pytest.approx(0.5)
    assert ent["logo_churn"] == pytest.approx(0.5)
    # E is mid-market now but was not paying a year ago: no retention cohort, figures None (not 0).
    assert (mid["accounts"], mid["arr"], mid["cohort"]) == (1, 6000.0, 0)
    assert mid["nrr"] is None and mid["grr"] is None and mid["logo_churn"] is None
    # SMB: C and D, 150 / 200 kept, no logo lost.
    assert smb["nrr"] == pytest.approx(0.75) and smb["grr"] == pytest.approx(0.75)
    assert smb["logo_churn"] == pytest.approx(0.0)
    assert (total["accounts"], total["arr"], total["cohort"]) == (4, 22200.0, 4)
    assert total["nrr"] == pytest.approx(1350 / 2200) and total["grr"] == pytest.approx(1150 / 2200)
    assert total["logo_churn"] == pytest.approx(0.25)
    assert ent["arr_share"] == pytest.approx(14400 / 22200)
    assert sum(row(table, s)["arr_share"] for s in ("enterprise", "mid_market", "smb")) == pytest.approx(1.0)
    # Owners: A (X) alone in enterprise; C and D share Y.
    assert (ent["csms"], ent["accounts_per_csm"]) == (1, 1.0)
    assert (smb["csms"], smb["accounts_per_csm"]) == (1, 2.0)
    # NPS of active accounts, latest answer in the window: A 3 (detractor), C 9, D 7; B churned, E too old.
    assert ent["nps"] == pytest.approx(-100.0) and smb["nps"] == pytest.approx(50.0)
    assert total["nps"] == pytest.approx(0.0) and total["nps_responses"] == 3
    assert mid["nps"] is None
    # Without a health model the mix is unknown, not zero.
    assert all(ent[b] is None for b in segments.BANDS)


def test_segment_total_matches_the_revenue_report(tmp_path, monkeypatch):
    no_health(monkeypatch)
    ws = retention_company(tmp_path / "w.duckdb")
    total = row(segments.segment_table(ws.con, "tier", thresholds=THRESHOLDS), None)
    report = revenue.retention_summary(ws.con)
    assert total["nrr"] == pytest.approx(report["nrr"], abs=1e-4)
    assert total["grr"] == pytest.approx(report["grr"], abs=1e-4)
    assert total["logo_churn"] == pytest.approx(report["logo_churn_rate"], abs=1e-4)
    assert total["arr"] == pytest.approx(report["arr"])


def test_segment_table_by_column_keeps_empty_values_as_their_own_group(tmp_path, monkeypatch):
    fixed_health(monkeypatch, [("A", "2024-12-01", "green", 80.0), ("C", "2024-12-01", "red", 20.0),
                               ("D", "2024-12-01", "yellow", 50.0)])
    ws = retention_company(tmp_path / "w.duckdb")
    table = segments.segment_table(ws.con, "industry")
    retail, energy, unset = row(table, "Retail"), row(table, "Energy"), row(table, segments.NONE_KEY)
    assert (retail["accounts"], retail["nrr"], retail["logo_churn"]) == (1, pytest.approx(0.6), pytest.approx(0.5))
    assert (energy["accounts"], energy["arr"]) == (2, 7200.0)
    assert (unset["accounts"], unset["nrr"]) == (1, pytest.approx(0.5))
    # Health mix of the active accounts; E has no score.
    assert (retail["green"], energy["red"], energy["unscored"], unset["yellow"]) == (1, 1, 1, 1)
    total = row(table, None)
    assert (total["green"], total["yellow"], total["red"], total["unscored"]) == (1, 1, 1, 1)


def test_segment_table_respects_the_scope(tmp_path, monkeypatch):
    no_health(monkeypatch)
    ws = retention_company(tmp_path / "w.duckdb")
    table = segments.segment_table(ws.con, "tier", thresholds=THRESHOLDS,
                                   scope=Scope.from_dict({"industry": ["Energy"]}))
    assert row(table, None)["accounts"] == 2
    assert set(table["segment"].dropna()) == {"mid_market", "smb"}


def test_unknown_column_is_refused(tmp_path):
    ws = retention_company(tmp_path / "w.duckdb")
    with pytest.raises(InputError):
        segments.segment_table(ws.con, "no_such_column")


def test_edge_cases_empty_one_account_all_churned(tmp_path, monkeypatch):
    no_health(monkeypatch)
    empty = Workspace.create(tmp_path / "empty.duckdb")
    assert segments.segment_table(empty.con, "tier").empty
    assert segments.default_tier_thresholds(empty.con) is None
    assert segments.rfm_scores(empty.con) is None

    one = Workspace.create(tmp_path / "one.duckdb")
    one.write_frame("accounts", pd.DataFrame({"account_id": ["a"]}))
    one.write_frame("mrr", pd.DataFrame({"account_id": ["a", "a"],
                                         "month": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                                         "mrr": [100.0, 100.0]}))
    table = segments.segment_table(one.con, "tier", window_months=1)
    assert row(table, None)["accounts"] == 1 and row(table, None)["nrr"] == pytest.approx(1.0)
    # One ARR cannot make three tiers: the default keeps enterprise above it (2,400) and it is mid-market.
    assert segments.default_tier_thresholds(one.con) == {"mid_market": 1200.0, "enterprise": 2400.0}
    assert table["segment"].tolist() == ["mid_market", None]

    gone = Workspace.create(tmp_path / "gone.duckdb")
    gone.write_frame("accounts", pd.DataFrame({"account_id": ["a", "b"]}))
    gone.write_frame("mrr", pd.DataFrame({"account_id": ["a", "b", "a"],
                                          "month": pd.to_datetime(["2023-12-01", "2023-12-01", "2024-12-01"]),
                                          "mrr": [100.0, 100.0, 0.0]}))
    table = segments.segment_table(gone.con, "tier", thresholds=THRESHOLDS)
    total = row(table, None)
    assert total["accounts"] == 0 and total["logo_churn"] == pytest.approx(1.0) and total["nrr"] == 0.0


# RFM ---------------------------------------------------------------------------------
def rfm_company(path) -> Workspace:
    """Five active accounts k = 1..5 on weekly usage (one active user each week).

    Account k was last used 7(k - 1) + 1 days before 2024-12-31, so recency ranks 1 < 2 <
    ... < 5 (days), and logs 10^k events a week, so frequency ranks the other way round.
    """
    ws = Workspace.create(path)
    ids = [f"k{k}" for k in range(1, 6)]
    ws.write_frame("accounts", pd.DataFrame({"account_id": ids, "account_name": [f"Acct {k}" for k in range(1, 6)]}))
    ws.write_frame("mrr", pd.DataFrame({"account_id": ids, "month": pd.Timestamp("2024-12-01"),
                                        "mrr": [100.0 * k for k in range(1, 6)]}))
    rows = []
    for k in range(1, 6):
        last = pd.Timestamp("2024-12-30") - pd.Timedelta(days=7 * (k - 1))
        for day in pd.date_range("2024-09-02", last, freq="7D"):
            rows.append((f"k{k}", day, 1.0, 10.0 ** k))
    ws.write_frame("usage", pd.DataFrame(rows, columns=["account_id", "date", "active_users", "events"]))
    return ws


def test_rfm_scores_and_segments_by_hand(tmp_path, monkeypatch):
    no_health(monkeypatch)
    ws = rfm_company(tmp_path / "w.duckdb")
    scores = segments.rfm_scores(ws.con).set_index("account_id")
    assert scores.loc["k1", "recency_days"] == 1 and scores.loc["k5", "recency_days"] == 29
    # Five accounts, five quintiles: recency k1 -> 5 ... k5 -> 1; frequency and ARR the other way.
    assert scores["r"].to_dict() == {"k1": 5, "k2": 4, "k3": 3, "k4": 2, "k5": 1}
    assert scores["f"].to_dict() == {"k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5}
    assert scores["m"].to_dict() == {"k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5}
    assert scores["rfm_segment"].to_dict() == {
        "k1": "new", "k2": "potential_loyalists", "k3": "need_attention", "k4": "at_risk", "k5": "cant_lose"}
    assert scores.loc["k3", "rfm"] == "333"
    # Frequency = events over the last 90 days / usage dates in them (no seats known): k1 logs 10 a week.
    assert scores.loc["k1", "frequency"] == pytest.approx(10.0)


def test_rfm_ties_share_a_score(tmp_path, monkeypatch):
    no_health(monkeypatch)
    ws = rfm_company(tmp_path / "w.duckdb")
    usage = ws.con.execute("SELECT * EXCLUDE (_source_key, _source_file) FROM usage").df()
    # k2 also used it on 2024-12-30, like k1: the same recency must give the same score.
    extra = pd.DataFrame([("k2", pd.Timestamp("2024-12-30"), 1.0, 100.0)], columns=usage.columns)
    ws.write_frame("usage", pd.concat([usage, extra], ignore_index=True))
    scores = segments.rfm_scores(ws.con).set_index("account_id")
    assert scores.loc["k1", "recency_days"] == scores.loc["k2", "recency_days"] == 1
    assert scores.loc["k1", "r"] == scores.loc["k2", "r"] == 5


def test_recency_counts_from_the_last_use_at_the_usual_level(tmp_path, monkeypatch):
    """A fading account still "seen" every week is not recent: recency runs from its last usual week."""
    no_health(monkeypatch)
    ws = Workspace.create(tmp_path / "w.duckdb")
    ws.write_frame("accounts", pd.DataFrame({"account_id": ["steady", "fading"]}))
    ws.write_frame("mrr", pd.DataFrame({"account_id": ["steady", "fading"], "month": pd.Timestamp("2024-12-01"),
                                        "mrr": [100.0, 100.0]}))
    days = pd.date_range("2024-07-01", "2024-12-30", freq="7D")
    rows = [("steady", d, 10.0) for d in days]
    # 10 users a week until 2024-11-04, then 2: below 75 % of its 180-day mean (7.5).
    rows += [("fading", d, 10.0 if d <= pd.Timestamp("2024-11-04") else 2.0) for d in days]
    ws.write_frame("usage", pd.DataFrame(rows, columns=["account_id", "date", "active_users"]))
    scores = segments.rfm_scores(ws.con).set_index("account_id")
    assert scores.loc["steady", "recency_days"] == 1
    assert scores.loc["fading", "recency_days"] == (dt.date(2024, 12, 31) - dt.date(2024, 11, 4)).days


def test_rfm_grid_covers_every_cell_once():
    cells = [(r, f) for rs, fs, _ in segments.RFM_GRID for r in rs for f in fs]
    assert sorted(cells) == [(r, f) for r in range(1, 6) for f in range(1, 6)]
    grid = segments.rfm_grid(pd.DataFrame({"account_id": ["a", "b", "c"], "r": [5, 5, 1], "f": [5, 5, 1],
                                           "arr": [10.0, 20.0, 5.0]}))
    assert len(grid) == 25 and grid["accounts"].sum() == 3
    champ = grid[(grid["r"] == 5) & (grid["f"] == 5)].iloc[0]
    assert (champ["accounts"], champ["arr"], champ["rfm_segment"]) == (2, 30.0, "champions")


def test_rfm_segment_table_has_no_retention_figures(tmp_path, monkeypatch):
    no_health(monkeypatch)
    ws = rfm_company(tmp_path / "w.duckdb")
    table = segments.segment_table(ws.con, "rfm")
    assert row(table, None)["accounts"] == 5
    assert table["nrr"].isna().all() and table["logo_churn"].isna().all()
    assert table["segment"].tolist()[:-1] == ["potential_loyalists", "new", "need_attention", "at_risk", "cant_lose"]


def test_rfm_migration_counts_moves(tmp_path, monkeypatch):
    no_health(monkeypatch)
    ws = rfm_company(tmp_path / "w.duckdb")
    moves = segments.rfm_migration(ws.con, months_back=3)
    # Three months earlier (2024-09) nobody paid yet: every account is new since then.
    assert set(moves["before"]) == {"new_account"} and moves["accounts"].sum() == 5


def test_tier_crosstab_shows_misfits(tmp_path):
    ws = retention_company(tmp_path / "w.duckdb")
    cross = segments.tier_crosstab(ws.con, "segment", THRESHOLDS)
    cells = {(r["recorded"], r["tier"]): r["accounts"] for r in cross.to_dict("records")}
    # D is recorded Mid-Market but its ARR (600) earns SMB.
    assert cells == {("Enterprise", "enterprise"): 1, ("Mid-Market", "mid_market"): 1,
                     ("Mid-Market", "smb"): 1, ("SMB", "smb"): 1}
    assert segments.tier_crosstab(ws.con, "no_column", THRESHOLDS) is None


def test_touch_model_findings():
    def table(churn, per_csm):
        rows = [{"segment": s, "is_total": False, "logo_churn": c, "accounts_per_csm": p}
                for s, c, p in zip(segments.TIERS, churn, per_csm)]
        return pd.DataFrame(rows + [{"segment": None, "is_total": True, "logo_churn": 0.1, "accounts_per_csm": 9}])

    assert [f["code"] for f in segments.touch_model_findings(table([0.05, 0.1, 0.2], [10, 30, 80]))] == ["consistent"]
    found = segments.touch_model_findings(table([0.3, 0.1, 0.2], [10, 30, 80]))
    assert [(f["code"], f["high"], f["low"]) for f in found] == [
        ("churn_inverted", "enterprise", "mid_market"), ("churn_inverted", "enterprise", "smb")]
    found = segments.touch_model_findings(table([0.05, 0.1, 0.2], [50, 30, None]))
    assert [(f["code"], f["high"], f["low"], f["high_value"]) for f in found] == [
        ("coverage_inverted", "enterprise", "mid_market", 50.0)]
    assert segments.touch_model_findings(table([None, None, None], [None, None, None])) == []


def test_saving_and_deleting_segments(tmp_path):
    ws = retention_company(tmp_path / "w.duckdb")
    saved = segments.save_segment(ws, " Retail big ", {"industry": ["Retail"], "segment": ["Enterprise"]})
    assert saved == {"industry": ["Retail"], "segment": ["Enterprise"]}
    assert ws.get_setting("segments.saved") == {"Retail big": saved}
    for name, filters in [("", {"industry": ["Retail"]}), ("x", {"nope": ["a"]}), ("x", {"industry": []})]:
        with pytest.raises(InputError):
            segments.save_segment(ws, name, filters)
    with pytest.raises(InputError):
        segments.save_segment(ws, "big list", {"account_id": [str(i) for i in range(segments.MAX_SAVED_MEMBERS + 1)]})
    segments.delete_segment(ws, "Retail big")
    assert ws.get_setting("segments.saved") == {}


def test_as_of_month_parsing(tmp_path):
    ws = retention_company(tmp_path / "w.duckdb")
    assert segments.resolve_as_of(ws.con) == dt.date(2024, 12, 1)
    assert segments.resolve_as_of(ws.con, "2024-06") == dt.date(2024, 6, 1)
    with pytest.raises(InputError):
        segments.to_month("June")


def test_health_mix_agrees_with_the_health_module(sample_ws):
    """On the sample company, with the real health model: the all-accounts row of the segment
    table counts the same bands as cs_metrics.health, and the model runs once per data version."""
    from cs_metrics import health

    summary = health.health_summary(sample_ws.con)["health"]
    table = segments.segment_table(sample_ws.con, "tier")
    total = row(table, None)
    assert {b: total[b] for b in segments.BANDS} == summary
    tiers = table[~table["is_total"]]
    assert tiers["accounts"].sum() == total["accounts"]
    assert tiers["arr"].sum() == pytest.approx(total["arr"])
    first = segments.health_history(sample_ws.con)
    assert segments.health_history(sample_ws.con) is first
    sample_ws.set_setting("health.bands", {"green": 80, "red": 50})
    assert segments.health_history(sample_ws.con) is not first


def test_chart_builders_translate_and_serialise(tmp_path, monkeypatch):
    import json

    from cs_metrics import growth, renewals
    from cs_metrics.charts import segments as charts

    no_health(monkeypatch)
    ws = retention_company(tmp_path / "w.duckdb")
    table = segments.segment_table(ws.con, "tier", thresholds=THRESHOLDS)
    grid = segments.rfm_grid(pd.DataFrame({"account_id": ["a"], "r": [5], "f": [5], "arr": [1.0]}))
    by_reason = pd.DataFrame({"code": ["notice", "detractor"], "accounts": [1, 2], "arr": [10.0, 20.0]})
    calendar = renewals.renewal_calendar(pd.DataFrame({
        "account_id": ["a", "b"], "month": [dt.date(2025, 1, 1), dt.date(2025, 1, 1)], "group": ["green", "notice"],
        "arr": [100.0, 50.0]}))
    built = [
        charts.segment_share_chart(table, "tier", "zh"),
        charts.segment_rate_chart(table, "tier", "nrr", "zh"),
        charts.rfm_heatmap(grid, "zh"),
        charts.reason_chart(by_reason, "zh", "CNY"),
        charts.renewal_calendar_chart(calendar, [dt.date(2025, 1, 1), dt.date(2025, 2, 1)], "zh", "CNY"),
        charts.nps_trend_chart(growth.nps_trend(ws.con), "zh"),
        charts.churn_by_category_chart(pd.DataFrame({"category": list(growth.CATEGORIES), "accounts": [2, 1, 1],
                                                     "churned": [0, 0, 1], "churn_rate": [0.0, 0.0, 1.0],
                                                     "start_month": dt.date(2024, 1, 1)}), "zh"),
    ]
    specs = [json.dumps(chart.to_dict(), ensure_ascii=False) for chart in built]
    assert "大客户" in specs[0] and "净收入留存率" in specs[1] and "核心拥护者" in specs[2]
    assert "已提出解约" in specs[3] and "ARR（¥）" in specs[3] and "2025-02" in specs[4]
    assert "贬损者" in specs[6]
    # Hiding money plots accounts, not ARR.
    hidden = json.dumps(charts.reason_chart(by_reason, "en", hide_money=True).to_dict())
    assert '"field": "accounts"' in hidden and '"field": "arr"' not in hidden


def test_a_scoped_usage_trend_reads_only_its_accounts_and_keeps_the_global_dates(tmp_path):
    """k5 stopped using the product four weeks before the end; alone, its levels must still be
    averaged over the usage dates of the whole table (a missing week counts as 0)."""
    ws = rfm_company(tmp_path / "w.duckdb")
    measures = {"lvl": "active_users"}
    sql, params = segments.one_schema_read(segments.usage_trend_sql)(ws.con, measures, "2024-12")
    whole = segments.execute(ws.con, sql, params).df().set_index("account_id").sort_index()
    scope = Scope.from_dict({"account_id": ["k5"]})
    sql, params = segments.one_schema_read(segments.usage_trend_sql)(ws.con, measures, "2024-12", scope=scope)
    alone = segments.execute(ws.con, sql, params).df().set_index("account_id")
    assert list(alone.index) == ["k5"]
    pd.testing.assert_series_equal(alone.loc["k5"], whole.loc["k5"])
    # Recent window (12-03 … 12-31): four usage dates in the table, k5 used none of them.
    assert alone.loc["k5", "lvl_recent"] == 0.0 and alone.loc["k5", "lvl_change"] == -1.0
    assert alone.loc["k5", "baseline_dates"] == whole["baseline_dates"].max() == 4


def test_scope_filter_matches_the_scope_api_and_named_accounts_filter_first(tmp_path):
    ws = retention_company(tmp_path / "w.duckdb")
    read = segments.one_schema_read(segments.scope_filter)
    for filters in ({"industry": ["Retail"]}, {"account_id": ["A", "C"]},
                    {"account_id": ["A", "C", "E"], "industry": ["Energy"]}):
        scope = Scope.from_dict(filters)
        ours, params = read(ws.con, scope)
        theirs, their_params = scope.account_filter(ws.con)
        got = {r[0] for r in ws.con.execute(f"SELECT account_id FROM accounts WHERE {ours}", params).fetchall()}
        want = {r[0] for r in ws.con.execute(f"SELECT account_id FROM accounts WHERE {theirs}",
                                             their_params).fetchall()}
        assert got == want
        assert ours.startswith("(CAST(") == ("account_id" in filters)
    assert read(ws.con, None) == ("TRUE", {})
    with pytest.raises(InputError):
        read(ws.con, Scope.from_dict({"nope": ["x"]}))


def test_bands_come_from_the_shared_history_narrowed_to_the_scope(tmp_path, monkeypatch):
    asked = []

    def history(con, scope=None):
        asked.append(scope)
        return pd.DataFrame({"account_id": pd.Categorical(["A", "B", "C", "A"]),
                             "month": pd.to_datetime(["2024-12-01"] * 3 + ["2024-11-01"]),
                             "band": pd.Categorical(["green", "red", "yellow", "red"]),
                             "score": [80.0, 10.0, 50.0, 20.0]})

    monkeypatch.setattr(segments, "health_history", history)
    ws = retention_company(tmp_path / "w.duckdb")
    every = segments.account_bands(ws.con, "2024-12")
    assert every.to_dict("records") == [{"account_id": "A", "band": "green", "score": 80.0},
                                        {"account_id": "B", "band": "red", "score": 10.0},
                                        {"account_id": "C", "band": "yellow", "score": 50.0}]
    retail = segments.account_bands(ws.con, "2024-12", Scope.from_dict({"industry": ["Retail"]}))
    assert retail["account_id"].tolist() == ["A", "B"]
    assert all(scope is None for scope in asked)  # never a health model of the scope alone
    assert segments.account_bands(ws.con, "2024-10") is None  # nobody scored that month


def test_workspace_figures_follow_the_data_version(tmp_path):
    ws = rfm_company(tmp_path / "w.duckdb")
    assert segments.usage_end(ws.con) == dt.date(2024, 12, 30)
    usage = ws.con.execute("SELECT * EXCLUDE (_source_key, _source_file) FROM usage").df()
    later = pd.DataFrame([("k1", pd.Timestamp("2025-01-06"), 1.0, 10.0)], columns=usage.columns)
    ws.write_frame("usage", pd.concat([usage, later], ignore_index=True))
    assert segments.usage_end(ws.con) == dt.date(2025, 1, 6)
