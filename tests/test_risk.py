"""Each risk rule on its own fixture, the register, ARR by reason and the exports re-read."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from cs_metrics import risk, segments
from cs_metrics.errors import InputError
from cs_metrics.scope import Scope
from cs_metrics.workspace import Workspace

AS_OF = "2024-12"
ONLY = {code: {"enabled": False} for code in risk.RULE_CODES}


def only(code: str, **params) -> dict:
    """Rules with just ``code`` switched on (with ``params``)."""
    return {**ONLY, code: {"enabled": True, **params}}


def company(path, ids=("A", "B", "C"), mrr=None, **columns) -> Workspace:
    """Accounts ``ids`` paying 1,000 / 2,000 / 3,000 a month in 2024-12 (ARR 12k / 24k / 36k)."""
    ws = Workspace.create(path)
    ws.write_frame("accounts", pd.DataFrame({"account_id": list(ids),
                                             "account_name": [f"Name {i}" for i in ids],
                                             "owner": ["Li Na"] * len(ids), **columns}))
    values = mrr or [1000.0 * (i + 1) for i in range(len(ids))]
    ws.write_frame("mrr", pd.DataFrame({"account_id": list(ids), "month": pd.Timestamp("2024-12-01"),
                                        "mrr": values}))
    return ws


@pytest.fixture(autouse=True)
def no_health(monkeypatch):
    monkeypatch.setattr(segments, "health_history", lambda con, scope=None: None)


def with_bands(monkeypatch, bands: dict[str, tuple[str, float]]):
    frame = pd.DataFrame([(a, pd.Timestamp("2024-12-01"), b, s) for a, (b, s) in bands.items()],
                         columns=["account_id", "month", "band", "score"])
    monkeypatch.setattr(segments, "health_history", lambda con, scope=None: frame)


def flagged(ws, rules, code=None):
    reasons = risk.risk_reasons(ws.con, AS_OF, rules)
    if code:
        reasons = reasons[reasons["code"] == code]
    return reasons.set_index("account_id")


def test_red_health(tmp_path, monkeypatch):
    with_bands(monkeypatch, {"A": ("red", 31.5), "B": ("yellow", 55.0), "Z": ("red", 10.0)})
    ws = company(tmp_path / "w.duckdb")
    reasons = flagged(ws, only("red_health"))
    assert list(reasons.index) == ["A"] and reasons.loc["A", "value"] == 31.5
    assert risk.describe_reason("red_health", 31.5, None, None, "en") == "Health score 32 is in the red band"


def test_red_health_finds_nothing_without_a_health_model(tmp_path):
    ws = company(tmp_path / "w.duckdb")
    assert flagged(ws, only("red_health")).empty


def test_manual_red(tmp_path):
    ws = company(tmp_path / "w.duckdb", manual_health=["red", "红色", "green"])
    assert sorted(flagged(ws, only("manual_red")).index) == ["A", "B"]


def test_notice(tmp_path):
    ws = company(tmp_path / "w.duckdb", status=["notice", "active", "active"])
    assert list(flagged(ws, only("notice")).index) == ["A"]


def usage_company(path) -> Workspace:
    """Weekly active users (Mondays 2024-08-05 ... 2024-12-30); the last 28 days end 12-30.

    A: 10 until October, then 5 (-50 %). B: 10, then 8 (-20 %). C: 10, then no rows (-100 %).
    """
    ws = company(path)
    rows = []
    for day in pd.date_range("2024-08-05", "2024-12-30", freq="7D"):
        late = day >= pd.Timestamp("2024-11-01")
        rows.append(("A", day, 5.0 if late else 10.0))
        rows.append(("B", day, 8.0 if late else 10.0))
        if not late:
            rows.append(("C", day, 10.0))
    ws.write_frame("usage", pd.DataFrame(rows, columns=["account_id", "date", "active_users"]))
    return ws


def test_usage_drop(tmp_path):
    ws = usage_company(tmp_path / "w.duckdb")
    reasons = flagged(ws, only("usage_drop", min_drop=0.3))
    assert sorted(reasons.index) == ["A", "C"]
    assert reasons.loc["A", "value"] == pytest.approx(0.5) and reasons.loc["A", "extra"] == pytest.approx(10.0)
    assert float(reasons.loc["A", "note"]) == pytest.approx(5.0)
    assert reasons.loc["C", "value"] == pytest.approx(1.0)
    # A stricter threshold keeps only the account that stopped.
    assert list(flagged(ws, only("usage_drop", min_drop=0.6)).index) == ["C"]
    text = risk.describe_reason("usage_drop", 0.5, 10.0, "5.0", "en", "active_users")
    assert text == "Usage (Active users) down 50% in 3 months: 10.0 → 5.0 per period"


def test_detractor(tmp_path):
    ws = company(tmp_path / "w.duckdb")
    nps = pd.DataFrame([("A", "2024-10-01", 5), ("B", "2023-06-01", 2), ("C", "2024-03-01", 3),
                        ("C", "2024-11-20", 9)], columns=["account_id", "date", "score"])
    nps["date"] = pd.to_datetime(nps["date"])
    ws.write_frame("nps", nps)
    reasons = flagged(ws, only("detractor", months=12))
    # B's detractor answer is older than 12 months; C's latest answer is a 9.
    assert list(reasons.index) == ["A"] and reasons.loc["A", "value"] == 5
    assert reasons.loc["A", "note"] == "2024-10-01"
    assert sorted(flagged(ws, only("detractor", months=24)).index) == ["A", "B"]


def tickets_company(path) -> Workspace:
    ws = company(path)
    rows = [
        ("A", "t1", "2024-12-20 10:00", None, 1, "open"),                  # P1 open at the as-of date
        ("B", "t2", "2024-12-01 10:00", "2024-12-05 10:00", 1, "closed"),  # P1 resolved before
        ("C", "t3", "2024-12-28 10:00", "2025-01-03 10:00", 1, "closed"),  # P1 resolved after: open then
        ("B", "t4", "2024-12-01 09:00", None, 3, "open"),                  # open for 30 days
        ("C", "t5", "2024-12-21 09:00", None, 3, "open"),                  # open for 10 days
        ("A", "t6", "2024-11-01 09:00", None, 3, "closed"),                # closed without a date
    ]
    frame = pd.DataFrame(rows, columns=["account_id", "ticket_id", "created_at", "resolved_at",
                                        "priority_rank", "status"])
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    frame["resolved_at"] = pd.to_datetime(frame["resolved_at"])
    ws.write_frame("tickets", frame)
    return ws


def test_open_p1_tickets(tmp_path):
    ws = tickets_company(tmp_path / "w.duckdb")
    reasons = flagged(ws, only("p1_open", min_tickets=1))
    assert sorted(reasons.index) == ["A", "C"]
    assert reasons.loc["A", "value"] == 1 and reasons.loc["A", "extra"] == 11  # 12-20 -> 12-31
    assert flagged(ws, only("p1_open", min_tickets=2)).empty


def test_tickets_open_too_long(tmp_path):
    ws = tickets_company(tmp_path / "w.duckdb")
    reasons = flagged(ws, only("ticket_aging", days=14))
    assert list(reasons.index) == ["B"] and reasons.loc["B", "extra"] == 30
    assert sorted(flagged(ws, only("ticket_aging", days=9)).index) == ["A", "B", "C"]


def test_renewal_soon_and_not_green(tmp_path, monkeypatch):
    with_bands(monkeypatch, {"A": ("yellow", 50.0), "B": ("green", 90.0)})
    ws = company(tmp_path / "w.duckdb", ids=("A", "B", "C", "D", "E"),
                 renewal_date=pd.to_datetime(["2025-01-30", "2025-01-30", "2025-06-01", "2024-01-15",
                                              "2023-12-20"]))
    reasons = flagged(ws, only("renewal_soon", days=90))
    # A: 30 days, yellow. B: green. C: 152 days. D: 2024-01-15 has passed -> rolled to 2025-01-15,
    # unscored. E: 2023-12-20 rolls to 2025-12-20, far away.
    assert sorted(reasons.index) == ["A", "D"]
    assert reasons.loc["A", "value"] == 30 and reasons.loc["A", "note"] == "yellow"
    assert reasons.loc["D", "value"] == 15 and reasons.loc["D", "note"] == "unscored"
    assert risk.describe_reason("renewal_soon", 30, None, "yellow", "zh") == "30 天后续约，健康度为黄色"


def test_overdue_days_and_payment_status(tmp_path):
    ws = company(tmp_path / "w.duckdb", days_overdue=[45.0, 10.0, None])
    reasons = flagged(ws, only("overdue", days=30))
    assert list(reasons.index) == ["A"] and reasons.loc["A", "value"] == 45.0
    ws2 = company(tmp_path / "w2.duckdb", payment_status=["Overdue", "paid", "催收"])
    assert sorted(flagged(ws2, only("overdue")).index) == ["A", "C"]
    assert risk.describe_reason("overdue", None, None, "Overdue", "en") == "Payment overdue (Overdue)"


def test_churned_accounts_are_never_flagged(tmp_path):
    ws = company(tmp_path / "w.duckdb", mrr=[1000.0, 0.0, 3000.0], manual_health=["red", "red", None])
    assert list(flagged(ws, only("manual_red")).index) == ["A"]


def test_rules_validation_and_saved_rules(tmp_path):
    assert risk.validate_rules(None) == risk.DEFAULT_RULES
    merged = risk.validate_rules({"usage_drop": {"min_drop": 0.5}})
    assert merged["usage_drop"] == {"enabled": True, "min_drop": 0.5}
    for bad in ({"nope": {}}, {"usage_drop": {"min_drop": 2}}, {"ticket_aging": {"days": "x"}},
                {"ticket_aging": {"weeks": 2}}, {"notice": True}):
        with pytest.raises(InputError):
            risk.validate_rules(bad)
    ws = company(tmp_path / "w.duckdb", status=["notice", "active", "active"])
    ws.set_setting(risk.SETTING_RULES, {"notice": {"enabled": False}})
    assert risk.saved_rules(ws.con)["notice"]["enabled"] is False
    assert risk.risk_reasons(ws.con, AS_OF).empty  # the saved rules apply by default
    ws.set_setting(risk.SETTING_RULES, {"notice": {"enabled": "yes", "bogus": 1}})
    assert risk.saved_rules(ws.con) == risk.DEFAULT_RULES  # an invalid saved value falls back


def test_register_totals_and_arr_by_reason(tmp_path):
    ws = company(tmp_path / "w.duckdb", status=["notice", "notice", "active"],
                 manual_health=["red", None, "red"])
    rules = {**ONLY, "notice": {"enabled": True}, "manual_red": {"enabled": True}}
    reasons = risk.risk_reasons(ws.con, AS_OF, rules)
    by_reason = risk.arr_at_risk_by_reason(reasons).set_index("code")
    assert by_reason.loc["notice", "arr"] == 36000.0 and by_reason.loc["notice", "accounts"] == 2
    assert by_reason.loc["manual_red", "arr"] == 48000.0
    # A has two reasons but counts once: 12k + 24k + 36k.
    assert risk.risk_totals(reasons) == {"accounts": 3, "arr": 72000.0}
    register = risk.risk_register(ws.con, AS_OF, rules, lang="en")
    assert register["account_id"].tolist() == ["C", "B", "A"]  # largest ARR first
    first = register.set_index("account_id").loc["A"]
    assert first["reason_count"] == 2 and first["reason_codes"] == "manual_red, notice"
    assert first["reasons"] == "The CSM marked the account red; The customer has given notice"
    zh = risk.risk_register(ws.con, AS_OF, rules, lang="zh").set_index("account_id")
    assert zh.loc["A", "reasons"] == "客户成功经理将其标记为红色; 客户已提出解约"


def test_overview_separates_red_band_arr(tmp_path, monkeypatch):
    with_bands(monkeypatch, {"A": ("red", 20.0), "B": ("green", 90.0)})
    ws = company(tmp_path / "w.duckdb", status=["active", "notice", "active"])
    overview = risk.risk_overview(ws.con, AS_OF)
    assert overview["red_arr"] == 12000.0          # metrics.md: ARR of red-band active accounts
    assert overview["flagged_arr"] == 36000.0      # A (red) + B (notice)
    assert (overview["active_accounts"], overview["active_arr"]) == (3, 72000.0)


def test_empty_workspace_gives_an_empty_register(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    assert risk.risk_register(ws.con).empty
    assert list(risk.risk_register(ws.con).columns) == risk.REGISTER_COLUMNS


EVIL = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "Plain 客户"]


def evil_register(tmp_path):
    ids = [f"E{i}" for i in range(len(EVIL))]
    ws = Workspace.create(tmp_path / "evil.duckdb")
    ws.write_frame("accounts", pd.DataFrame({"account_id": ids, "account_name": EVIL,
                                             "owner": ["=cmd|' /C calc'!A0"] * 5, "status": ["notice"] * 5}))
    ws.write_frame("mrr", pd.DataFrame({"account_id": ids, "month": pd.Timestamp("2024-12-01"),
                                        "mrr": [100.0, 200.0, 300.0, 400.0, 500.0]}))
    return risk.risk_register(ws.con, AS_OF, only("notice"))


def test_csv_export_neutralises_formulas_and_loses_nothing(tmp_path):
    register = evil_register(tmp_path)
    back = pd.read_csv(io.BytesIO(risk.export_csv(register, "en", "USD")), encoding="utf-8-sig")
    assert len(back) == len(register) == 5
    assert list(back.columns)[:3] == ["Account ID", "Account", "CSM"]
    names = back["Account"].tolist()
    assert not any(str(n).startswith(("=", "+", "-", "@")) for n in names)
    assert sorted(n.lstrip("'") for n in names) == sorted(EVIL)
    assert not any(str(o).startswith("=") for o in back["CSM"])
    assert back["ARR (USD)"].tolist() == [6000.0, 4800.0, 3600.0, 2400.0, 1200.0]
    assert back["Why"].tolist() == ["The customer has given notice"] * 5


def test_xlsx_export_keeps_formula_text_as_text(tmp_path):
    register = evil_register(tmp_path)
    by_reason = risk.arr_at_risk_by_reason(risk.risk_reasons(
        Workspace.open(tmp_path / "evil.duckdb").con, AS_OF, only("notice")))
    book = openpyxl.load_workbook(io.BytesIO(risk.export_xlsx(register, by_reason, "zh", "USD")))
    sheet = book["风险登记表"]
    assert sheet.max_row == len(register) + 1
    headers = [c.value for c in sheet[1]]
    name_col = headers.index("客户名称") + 1
    arr_col = headers.index("年度经常性收入 (USD)") + 1
    names = [sheet.cell(r, name_col).value for r in range(2, sheet.max_row + 1)]
    assert sorted(names) == sorted(EVIL)  # values round-trip unchanged ...
    assert all(sheet.cell(r, name_col).data_type == "s" for r in range(2, sheet.max_row + 1))  # ... as text
    assert [sheet.cell(r, arr_col).value for r in range(2, sheet.max_row + 1)] == [6000, 4800, 3600, 2400, 1200]
    summary = book["按原因的ARR"]
    assert summary.cell(2, 1).value == "已提出解约" and summary.cell(2, 3).value == 18000


def sample_bands(con) -> pd.DataFrame:
    """A made-up health history for the sample company: bands cycling green / yellow / red over
    the accounts, for the last three months (so the red-health and renewal rules find some)."""
    ids = [r[0] for r in con.execute("SELECT account_id FROM accounts ORDER BY account_id").fetchall()]
    rows = [(a, month, ("green", "yellow", "red")[i % 3], float(20 + i % 70))
            for i, a in enumerate(ids) for month in pd.date_range("2026-08-01", "2026-10-01", freq="MS")]
    return pd.DataFrame(rows, columns=["account_id", "month", "band", "score"])


def scopes(con) -> dict[str, Scope]:
    """One flagged account, one unflagged account, two named accounts and a column filter."""
    flagged_ids = risk.risk_reasons(con)["account_id"].drop_duplicates().tolist()
    quiet = con.execute("SELECT account_id FROM accounts WHERE account_id NOT IN (SELECT unnest($ids)) "
                        "ORDER BY account_id LIMIT 1", {"ids": flagged_ids}).fetchall()[0][0]
    return {"one flagged": Scope.from_dict({"account_id": [flagged_ids[0]]}),
            "one quiet": Scope.from_dict({"account_id": [quiet]}),
            "two": Scope.from_dict({"account_id": flagged_ids[1:3]}),
            "column": Scope.from_dict({"industry": ["Energy", "Logistics"], "region": ["Shanghai"]})}


def members(con, scope: Scope) -> set[str]:
    sql, params = scope.account_filter(con)
    return {r[0] for r in con.execute(f"SELECT account_id FROM accounts WHERE {sql}", params).fetchall()}


def test_scoped_reasons_and_register_are_the_whole_ones_filtered(sample_ws, monkeypatch):
    """The scope is pushed into every scan (usage, tickets, NPS, MRR) before anything is
    grouped; that must give exactly the rows of the whole register for those accounts."""
    frame = sample_bands(sample_ws.con)
    monkeypatch.setattr(segments, "health_history", lambda con, scope=None: frame)
    con = sample_ws.con
    whole = risk.risk_reasons(con)
    register = risk.risk_register(con, lang="zh")
    assert set(whole["code"]) >= {"red_health", "usage_drop", "detractor", "ticket_aging", "renewal_soon"}
    for name, scope in scopes(con).items():
        ids = members(con, scope)
        expected = whole[whole["account_id"].isin(ids)].reset_index(drop=True)
        pd.testing.assert_frame_equal(risk.risk_reasons(con, scope=scope), expected, check_dtype=False, obj=name)
        expected = register[register["account_id"].isin(ids)].reset_index(drop=True)
        got = risk.risk_register(con, scope=scope, lang="zh")
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=name)
    assert risk.risk_reasons(con, scope=scopes(con)["one flagged"]).shape[0] >= 1


def test_register_sentences_match_describe_reason(tmp_path):
    """The register words its reasons in SQL; every sentence must be describe_reason's."""
    ws = company(tmp_path / "w.duckdb", ids=tuple("ABCDEFGH"))
    nan, inf = float("nan"), float("inf")
    reasons = pd.DataFrame([
        ("A", "red_health", 31.5, None, None), ("A", "usage_drop", 0.505, 1234.56, "611.0"),
        ("A", "detractor", 5.0, None, "2024-10-01"), ("B", "p1_open", 2.0, 11.0, None),
        ("B", "ticket_aging", 1.0, 1500.0, None), ("B", "renewal_soon", 30.0, None, "yellow"),
        ("C", "renewal_soon", 2.0, None, "unscored"), ("C", "overdue", 45.0, None, "45"),
        ("D", "overdue", None, None, "Overdue"), ("D", "overdue", nan, None, None),
        ("E", "usage_drop", 1.0, 10.0, None), ("E", "manual_red", None, None, None),
        ("F", "notice", None, None, None), ("F", "red_health", nan, None, None),
        ("G", "usage_drop", 0.125, inf, "0.0"), ("H", "detractor", 0.0, None, None),
    ], columns=["account_id", "code", "value", "extra", "note"]).assign(arr=12000.0)
    reasons["value"] = reasons["value"].astype("float64")
    reasons["extra"] = reasons["extra"].astype("float64")
    for lang in ("en", "zh"):
        register = risk.register_from_reasons(ws.con, reasons, dt.date(2024, 12, 1), None, lang)
        order = {c: i for i, c in enumerate(risk.RULE_CODES)}
        for account, rows in reasons.groupby("account_id"):
            rows = rows.assign(o=rows["code"].map(order)).sort_values("o", kind="stable")
            expected = "; ".join(risk.describe_reason(c, risk._none(v), risk._none(e), risk._none(n), lang,
                                                      segments.level_measure(ws.con))
                                 for c, v, e, n in zip(rows["code"], rows["value"], rows["extra"], rows["note"]))
            got = register.set_index("account_id").loc[account, "reasons"]
            assert got == expected, (lang, account)
