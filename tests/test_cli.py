"""The command line: demo, load (all eight example exports into one workspace), report, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cs_metrics.cli import main
from cs_metrics.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT.parent / "shared" / "examples"
EIGHT = ["crm_accounts_export.csv", "客户台账_gbk.csv", "billing_subscriptions.csv", "finance_mrr_2024.xlsx",
         "product_usage_weekly.csv", "helpdesk_tickets.csv", "nps_responses.xlsx", "success_plan_goals.csv"]


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/examples is not beside the checkout")
def test_all_eight_example_exports_load_into_one_workspace_fully_matched(tmp_path, capsys):
    path = tmp_path / "acme.duckdb"
    assert main(["load", *[str(EXAMPLES / f) for f in EIGHT], "--workspace", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Merged into the accounts already loaded: 150 accounts matched" in out
    ws = Workspace.open(path)
    try:
        infos = {i.kind: i for i in ws.tables()}
        assert set(infos) == {"accounts", "subscriptions", "mrr", "usage", "tickets", "nps", "goals"}
        assert infos["accounts"].rows == 150
        assert {k: i.unmatched for k, i in infos.items()} == {k: 0 for k in infos}
        # the Chinese ledger's columns joined the CRM accounts instead of replacing them
        row = ws.con.execute("SELECT account_name, erp_code, city FROM accounts "
                             "WHERE account_id = '0015g0000000000AA'").fetchone()
        assert row == ("Orion Retail 0", "KH10000", "苏州")
    finally:
        ws.close()
    assert main(["report", "--workspace", str(path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accounts"]["total"] == 150
    assert report["nps"] is not None and report["mrr"] > 0


def test_demo_then_report_json_has_the_contract_keys(tmp_path, capsys):
    path = tmp_path / "demo.duckdb"
    assert main(["demo", "--workspace", str(path), "--accounts", "120"]) == 0
    capsys.readouterr()
    assert main(["report", "--workspace", str(path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("as_of", "window", "accounts", "mrr", "arr", "grr", "nrr", "logo_retention", "logo_churn_rate",
                "movements", "quick_ratio", "nps", "health", "arr_at_risk"):
        assert key in report
    assert report["arr"] == pytest.approx(12 * report["mrr"], abs=0.02)
    assert 0 <= report["grr"] <= 1
    moves = report["movements"]
    assert set(moves) == {"new", "expansion", "contraction", "churn", "reactivation"}


def test_report_text_in_chinese(tmp_path, capsys):
    path = tmp_path / "demo.duckdb"
    main(["demo", "--workspace", str(path), "--accounts", "60"])
    capsys.readouterr()
    assert main(["--lang", "zh", "report", "--workspace", str(path)]) == 0
    assert "客户留存率" in capsys.readouterr().out


@pytest.mark.parametrize("args, fragment", [
    (["load", "missing.csv", "--workspace", "{ws}"], "missing.csv: no such file"),
    (["load", "{bad}", "--workspace", "{ws}"], "bad.xls"),
    (["report", "--workspace", "{tmp}/nothing.duckdb"], "does not exist"),
    (["demo", "--workspace", "bad|name"], "not a valid workspace name"),
    (["simulate", "--churn", "1.5"], "churn"),
    (["load", "{csv}", "--workspace", "{ws}", "--map", "novalue"], "SOURCE=canonical"),
])
def test_bad_input_exits_2_with_one_clear_line_and_no_traceback(tmp_path, args, fragment):
    bad = tmp_path / "bad.xls"
    bad.write_bytes(b"\xd0\xcf\x11\xe0legacy excel")
    csv = tmp_path / "a.csv"
    csv.write_text("account_id,account_name\nA1,Acme\n", encoding="utf-8")
    subs = {"{ws}": str(tmp_path / "w.duckdb"), "{bad}": str(bad), "{tmp}": str(tmp_path), "{csv}": str(csv)}
    argv = []
    for a in args:
        for k, v in subs.items():
            a = a.replace(k, v)
        argv.append(a)
    result = subprocess.run([sys.executable, "-m", "cs_metrics", *argv], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment.lower() in result.stderr.lower() or fragment in result.stderr


def test_a_failed_load_leaves_the_workspace_as_it_was(tmp_path, capsys):
    path = tmp_path / "w.duckdb"
    good = tmp_path / "good.csv"
    good.write_text("account_id,account_name,arr\nA1,Acme,1200\nA2,Beta,2400\n", encoding="utf-8")
    assert main(["load", str(good), "--workspace", str(path)]) == 0
    broken = tmp_path / "broken.csv"
    broken.write_text("account_id,account_name,arr\nB1,Gamma,12\nB1,Delta,abc\n", encoding="utf-8")
    assert main(["load", str(broken), "--workspace", str(path), "--replace"]) == 2
    ws = Workspace.open(path)
    assert ws.con.execute("SELECT account_id FROM accounts ORDER BY 1").fetchall() == [("A1",), ("A2",)]
    ws.close()
