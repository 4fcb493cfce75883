"""The metrics workbook opens with openpyxl, has one sheet per area, formats numbers and
keeps formula-looking text as text."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from cs_metrics import workbook
from cs_metrics.scope import Scope
from cs_metrics.workspace import Workspace
from test_account import build_company


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    ws = build_company(tmp_path_factory.mktemp("wb") / "w.duckdb")
    yield ws
    ws.close()


def _rows(sheet):
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_workbook_opens_with_every_sheet_and_the_figures(company):
    data = workbook.build_workbook(company.con, lang="en", currency="USD", with_health=False)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Summary", "Accounts", "MRR movements", "Cohorts", "Risk", "Renewals", "Goals"]

    summary = {row[0]: row[1] for row in _rows(book["Summary"])[1:]}
    assert summary["As of"] == "2026-06-30" and summary["Filter"] == "all accounts"
    assert summary["Goals"] == 2 and summary["Goals behind"] == 1

    accounts = book["Accounts"]
    header = [c.value for c in accounts[1]]
    assert header[:4] == ["Account ID", "Account", "Tier", "CSM"]
    assert accounts["A1"].font.bold
    rows = {r[0]: dict(zip(header, r)) for r in _rows(accounts)[1:]}
    assert set(rows) == {"A1", "A2", "A3", "A4"}
    assert rows["A1"]["ARR"] == 1440.0 and rows["A3"]["ARR"] == 24000.0
    assert rows["A1"]["Days to renewal"] == 15 and rows["A1"]["Status"] == "active"
    arr_cell = accounts.cell(row=2, column=header.index("ARR") + 1)
    assert arr_cell.number_format == '"$"#,##0.00'
    # A name that looks like a formula is stored as text, unchanged.
    name_cell = accounts.cell(row=2, column=2)
    assert name_cell.value == '=HYPERLINK("x") Acme' and name_cell.data_type == "s"

    goals = book["Goals"]
    g_header = [c.value for c in goals[1]]
    g_rows = [dict(zip(g_header, r)) for r in _rows(goals)[1:]]
    hours = next(r for r in g_rows if r["Goal"] == "Cut report time")
    assert hours["Attainment"] == pytest.approx(0.4) and hours["State"] == "behind"
    assert hours["Better when"] == "lower"
    assert goals.cell(row=2, column=g_header.index("Attainment") + 1).number_format == "0.0%"

    risk = _rows(book["Risk"])
    risk_header = risk[0]
    flagged = {r[0]: dict(zip(risk_header, r)) for r in risk[1:]}
    # A1 has an urgent ticket open and a detractor as its latest NPS answer.
    assert "A1" in flagged and flagged["A1"]["Reasons"] >= 2 and flagged["A1"]["ARR"] == 1440.0

    renewals = _rows(book["Renewals"])
    # Within a year of 2026-06-30 and not churned, soonest first: A1 (15 days), A2, A3.
    assert [r[0] for r in renewals[1:]] == ["A1", "A2", "A3"]


def test_sheets_in_chinese_and_with_a_filter(company):
    sheets = workbook.workbook_sheets(company.con, scope=Scope.from_dict({"segment": ["Enterprise"]}),
                                      lang="zh", with_health=False)
    accounts, formats = sheets["accounts"]
    assert list(accounts["客户ID"]) == ["A3"] and formats["年度经常性收入"] == '"$"#,##0.00'
    summary, row_formats = sheets["summary"]
    assert summary.columns.tolist() == ["指标", "数值"] and len(row_formats) == len(summary)
    assert "segment: Enterprise" in summary.iloc[1, 1]


def test_missing_data_gives_a_note_row(tmp_path):
    ws = Workspace.create(tmp_path / "a.duckdb")
    ws.write_frame("accounts", pd.DataFrame({"account_id": ["Z1"], "arr": [10.0]}))
    sheets = workbook.workbook_sheets(ws.con, lang="en", with_health=False)
    for key in ("movements", "cohorts", "goals"):
        frame, _ = sheets[key]
        assert frame.columns.tolist() == ["Note"] and frame.iloc[0, 0].startswith("Not available")
    renewals, _ = sheets["renewals"]
    assert renewals.columns.tolist() == ["Note"]
    data = workbook.build_workbook(ws.con, lang="en", with_health=False)
    book = load_workbook(io.BytesIO(data))
    assert book["Goals"]["A2"].value.startswith("Not available: the workspace has no customer goals")


def test_empty_workspace_still_opens(tmp_path):
    ws = Workspace.create(tmp_path / "e.duckdb")
    book = load_workbook(io.BytesIO(workbook.build_workbook(ws.con, lang="zh")))
    assert len(book.sheetnames) == 7
    assert book["客户"]["A1"].value == "说明"


def test_money_format_uses_the_data_currency():
    assert workbook.money_format("CNY") == '"¥"#,##0.00'
    assert workbook.money_format("EUR") == '"€"#,##0.00'
