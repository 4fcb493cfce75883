"""The eight example exports of the fictional company load end to end, with the right kinds
and values checked against the files by hand."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from cs_metrics import ingest
from cs_metrics.workspace import Workspace

EXAMPLES = Path("/work/shared/examples")
KINDS = {
    "crm_accounts_export.csv": "accounts",
    "客户台账_gbk.csv": "accounts",
    "billing_subscriptions.csv": "subscriptions",
    "finance_mrr_2024.xlsx": "mrr",
    "product_usage_weekly.csv": "usage",
    "helpdesk_tickets.csv": "tickets",
    "nps_responses.xlsx": "nps",
    "success_plan_goals.csv": "goals",
}
pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="example exports not available")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A workspace with the CRM accounts and then every other example loaded."""
    ws = Workspace.create(tmp_path_factory.mktemp("examples") / "w.duckdb")
    results = {}
    for name in ["crm_accounts_export.csv"] + [n for n in KINDS if n not in ("crm_accounts_export.csv", "客户台账_gbk.csv")]:
        results[name] = ingest.load_path(ws, EXAMPLES / name)
    yield ws, results
    ws.close()


@pytest.mark.parametrize("name,kind", KINDS.items())
def test_kind_is_detected(name, kind):
    raw = ingest.inspect_file(EXAMPLES / name)
    detected, confidence = ingest.detect_kind(raw)
    assert detected == kind
    assert confidence >= 0.5


def test_layouts_are_detected():
    gbk = ingest.inspect_file(EXAMPLES / "客户台账_gbk.csv")
    assert gbk.encoding == "gb18030" and gbk.delimiter == ","
    goals = ingest.inspect_file(EXAMPLES / "success_plan_goals.csv")
    assert goals.encoding == "utf-8-sig" and goals.columns[0] == "客户编号"
    finance = ingest.inspect_file(EXAMPLES / "finance_mrr_2024.xlsx")
    assert finance.format == "xlsx" and finance.sheets == ["MRR", "Notes"] and finance.sheet == "MRR"
    assert finance.header_row == 4 and finance.columns[:2] == ["Customer", "Jan-24"]
    assert ingest.propose_mapping(finance, "mrr")["Dec-24"] == "month:2024-12"


def test_crm_accounts(loaded):
    ws, results = loaded
    assert results["crm_accounts_export.csv"].rows == 150
    row = ws.con.execute(
        "SELECT account_name, start_date, renewal_date, churn_date, status, arr, mrr, manual_health, "
        "billing_customer_id, erp_code, billing_city FROM accounts WHERE account_id = '0015g0000000006AA'").fetchone()
    assert row == ("Blue Systems 6", date(2022, 1, 1), date(2024, 12, 31), date(2024, 7, 1), "churned",
                   95040.0, 7920.0, "red", "cus_KH10006", "KH10006", "深圳")
    # "Cancelling" is notice; a blank health stays empty rather than becoming a colour.
    assert ws.con.execute("SELECT status, manual_health FROM accounts WHERE account_id = '0015g0000000148AA'"
                          ).fetchone() == ("notice", None)
    counts = dict(ws.con.execute("SELECT status, count(*) FROM accounts GROUP BY 1").fetchall())
    assert sum(counts.values()) == 150 and set(counts) == {"active", "churned", "notice"}


def test_crm_dates_read_month_first_and_say_so(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    raw = ingest.inspect_file(EXAMPLES / "crm_accounts_export.csv")
    prepared = ingest.prepare(ws, raw, "accounts", ingest.propose_mapping(raw, "accounts"))
    assert prepared.report.ok and not prepared.report.questions
    notes = {n.column: n.key for n in prepared.report.notes}
    assert notes["Contract End Date"] == "ingest.note.date_order"
    assert notes["Customer Since"] == "ingest.note.date_order_file"
    ws.close()


def test_gbk_ledger(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    result = ingest.load_path(ws, EXAMPLES / "客户台账_gbk.csv")
    assert result.kind == "accounts" and result.rows == 150
    row = ws.con.execute("SELECT account_name, industry, city, owner, start_date, renewal_date, arr, status, "
                         "is_key_account FROM accounts WHERE account_id = 'KH10000'").fetchone()
    assert row == ("恒达物流有限公司0", "金融", "苏州", "张敏", date(2022, 6, 1), date(2025, 5, 31), 4800.0, "active", False)
    assert ws.con.execute("SELECT status, is_key_account FROM accounts WHERE account_id = 'KH10006'").fetchone() \
        == ("churned", False)
    assert ws.con.execute("SELECT is_key_account FROM accounts WHERE account_id = 'KH10002'").fetchone() == (True,)
    ws.close()


def test_billing_subscriptions(loaded):
    ws, results = loaded
    assert results["billing_subscriptions.csv"].rows == 293
    # Yearly plan: 464 seats x 600 per year / 12 = 23,200 a month; matched through the billing ID.
    row = ws.con.execute("SELECT account_id, mrr, seats, is_trial, start_date, end_date, plan FROM subscriptions "
                         "WHERE subscription_id = 'sub_8f31bfdb6e'").fetchone()
    assert row == ("0015g0000000005AA", 23200.0, 464.0, False, date(2024, 5, 1), None, "Enterprise Annual")
    # Monthly: 134 x 50.15 = 6,720.10; a canceled one ends on its "Ended At" date.
    assert ws.con.execute("SELECT mrr FROM subscriptions WHERE subscription_id = 'sub_1ceb7aca72'").fetchone()[0] \
        == pytest.approx(6720.1)
    assert ws.con.execute("SELECT end_date, status FROM subscriptions WHERE subscription_id = 'sub_e648414056'"
                          ).fetchone() == (date(2024, 11, 1), "canceled")
    trials = ws.con.execute("SELECT count(*), sum(mrr) FROM subscriptions WHERE is_trial").fetchone()
    assert trials[0] > 0 and trials[1] == 0
    assert ws.con.execute("SELECT count(*) FROM subscriptions WHERE plan = 'Trial' AND NOT is_trial").fetchone()[0] == 0


def test_finance_wide_mrr(loaded):
    ws, results = loaded
    rows = ws.con.execute("SELECT month, mrr FROM mrr WHERE _source_key = 'Kite Retail 1' ORDER BY month").fetchall()
    assert len(rows) == 12 and rows[0] == (date(2024, 1, 1), 1000.0) and rows[-1] == (date(2024, 12, 1), 800.0)
    # Blank cells are months without revenue: no row, not a zero.
    foods = ws.con.execute("SELECT min(month), count(*) FROM mrr WHERE _source_key = 'Orion Foods 2'").fetchone()
    assert foods == (date(2024, 5, 1), 8)
    assert ws.con.execute("SELECT count(*) FROM mrr WHERE mrr = 0 OR mrr IS NULL").fetchone()[0] == 0
    assert ws.con.execute("SELECT account_id FROM mrr WHERE _source_key = 'Kite Retail 1' LIMIT 1").fetchone()[0] \
        == "0015g0000000001AA"


def test_usage(loaded):
    ws, results = loaded
    assert results["product_usage_weekly.csv"].rows == 4844
    row = ws.con.execute("SELECT active_users, seats, reports_created, logins FROM usage "
                         "WHERE account_id = '0015g0000000149AA' AND date = DATE '2024-12-22'").fetchone()
    assert row == (487.0, 530.0, 623.0, 2650.0)


def test_tickets(loaded):
    ws, results = loaded
    assert results["helpdesk_tickets.csv"].rows == 890
    first = ws.con.execute("SELECT ticket_id, created_at, resolved_at, priority, priority_rank, status, satisfaction, "
                           "subject FROM tickets WHERE ticket_id = '1001'").fetchone()
    assert first == ("1001", datetime(2024, 2, 24), datetime(2024, 2, 28), "High", 2, "closed", 1.0, "Report is slow")
    # Offered / Not Offered are no rating; Bad is 0; Pending is open.
    assert ws.con.execute("SELECT satisfaction FROM tickets WHERE ticket_id IN ('1002', '1004')").fetchall() \
        == [(None,), (None,)]
    assert ws.con.execute("SELECT satisfaction FROM tickets WHERE ticket_id = '1005'").fetchone() == (0.0,)
    assert ws.con.execute("SELECT status, resolved_at FROM tickets WHERE ticket_id = '1888'").fetchone() == ("open", None)
    ranks = dict(ws.con.execute("SELECT priority, min(priority_rank) FROM tickets GROUP BY 1").fetchall())
    assert ranks == {"Urgent": 1, "High": 2, "Normal": 3, "Low": 4}


def test_nps(loaded):
    ws, results = loaded
    assert results["nps_responses.xlsx"].rows == 207
    row = ws.con.execute("SELECT date, score, comment, respondent, response_id, _source_key FROM nps "
                         "WHERE response_id = 'R_31fcb9bd'").fetchone()
    assert row == (date(2024, 4, 14), 6, "报表很好用", "user31@example.com", "R_31fcb9bd", "Orion Foods 2")
    assert ws.con.execute("SELECT min(score) >= 0 AND max(score) <= 10 FROM nps").fetchone()[0]


def test_goals(loaded):
    ws, results = loaded
    assert results["success_plan_goals.csv"].rows == 48
    row = ws.con.execute("SELECT account_id, goal, metric, baseline, target, current, due_date FROM goals "
                         "WHERE _source_key = 'KH10009'").fetchone()
    assert row == ("0015g0000000009AA", "减少工单量", "张/月", 40.0, 15.0, 37.8, date(2024, 11, 1))


def test_every_load_is_logged_and_matched(loaded):
    ws, results = loaded
    logged = dict(ws.con.execute("SELECT file, rows FROM _polaris_loads").fetchall())
    assert logged == {name: r.rows for name, r in results.items()}
    for name, result in results.items():
        if result.kind != "accounts":
            assert result.match is not None and result.match.matched_rows == result.rows, name
