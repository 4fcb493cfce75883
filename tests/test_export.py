"""Exports neutralise formula injection and lose nothing."""

import io

import openpyxl
import pandas as pd

from cs_metrics.export import neutralise_text, to_csv_bytes, to_xlsx_bytes

EVIL = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "plain", "客户A"]


def test_neutralise_text():
    assert neutralise_text("=1+1") == "'=1+1"
    assert neutralise_text("plain") == "plain"
    assert neutralise_text(-5) == -5


def test_csv_neutralises_and_keeps_every_row():
    frame = pd.DataFrame({"name": EVIL, "arr": [1.5, -2, 3, 4, 5, 6, 7]})
    back = pd.read_csv(io.BytesIO(to_csv_bytes(frame)), encoding="utf-8-sig")
    assert len(back) == len(frame)
    assert not any(str(v).startswith(("=", "+", "-", "@", "\t")) for v in back["name"])
    assert back["arr"].tolist() == [1.5, -2, 3, 4, 5, 6, 7]
    assert back["name"].iloc[-1] == "客户A"


def test_xlsx_writes_formula_like_text_as_text():
    frame = pd.DataFrame({"=name": EVIL, "arr": [1.5, -2, 3, 4, 5, 6, 7]})
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes({"risk": frame})))
    sheet = book["risk"]
    assert sheet.max_row == len(frame) + 1
    for row in range(2, sheet.max_row + 1):
        assert sheet.cell(row, 1).data_type == "s"
    assert sheet.cell(1, 1).data_type == "s"
    assert sheet.cell(2, 1).value == EVIL[0]
    assert sheet.cell(3, 2).value == -2
