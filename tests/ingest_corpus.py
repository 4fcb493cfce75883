"""Awkward export files for the ingest tests, generated into a temp folder (never committed).

Each helper writes one file the way some real tool would export it (an encoding, a
delimiter, title rows above the header, Excel date headers …) and returns its path.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

Rows = list[list[Any]]

ACCOUNTS_EN: Rows = [
    ["Account ID", "Account Name", "Industry", "Account Owner", "Customer Since", "Contract End Date",
     "ARR (USD)", "Health (CSM)", "Status", "Churn Date"],
    ["A1", "Orion Retail", "Retail", "Zhang Min", "06/01/2022", "05/31/2025", "$4,800", "Green", "Active", ""],
    ["A2", "Kite Foods", "Food", "Lin Wei", "02/01/2023", "01/31/2025", "$9,600", "", "Churned", "07/01/2024"],
    ["A3", "Pine Systems", "Software", "Chen Jie", "05/01/2024", "04/30/2025", "$300,000", "Red", "Cancelling", ""],
]

ACCOUNTS_ZH: Rows = [
    ["客户编号", "客户名称", "所属行业", "所在城市", "客户成功经理", "签约日期", "合同到期日", "年合同金额(元)", "客户状态",
     "是否重点客户"],
    ["KH1", "恒达物流有限公司", "金融", "苏州", "张敏", "2022/6/1", "2025年5月31日", "￥4,800.00", "预警", "否"],
    ["KH2", "金通医疗有限公司", "软件", "成都", "林伟", "2023/2/1", "2025年1月31日", "￥9,600.00", "正常", "是"],
    ["KH3", "东盛物流有限公司", "制造", "深圳", "朴雅", "2024/5/1", "2025年4月30日", "￥300,000.00", "已流失", "否"],
]

MRR_LONG: Rows = [
    ["account_id", "month", "mrr"],
    ["A1", "2024-01", "400"],
    ["A1", "2024-02", "450"],
    ["A2", "2024-01", "800"],
    ["A3", "2024-02", "25000"],
]


def csv_text(rows: Rows, delimiter: str = ",", newline: str = "\n") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def write_csv(folder: Path, name: str, rows: Rows, *, encoding: str = "utf-8", delimiter: str = ",",
              newline: str = "\n", title: list[str] | None = None) -> Path:
    """A delimited text file; ``title`` lines go above the header (as report exports do)."""
    text = csv_text(rows, delimiter, newline)
    if title:
        text = "".join(line + newline for line in title) + text
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def write_text(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def write_bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def write_xlsx(folder: Path, name: str, sheets: dict[str, Rows]) -> Path:
    """A workbook with one sheet per entry (in order); cells keep their Python types."""
    import openpyxl

    wb = openpyxl.Workbook()
    first = True
    for title, rows in sheets.items():
        ws = wb.active if first else wb.create_sheet()
        ws.title = title
        first = False
        for row in rows:
            ws.append(list(row))
    path = folder / name
    wb.save(path)
    return path


def wide_rows(headers: list[Any]) -> Rows:
    """A finance-style wide MRR table with the given month headers (three months)."""
    return [
        ["Customer"] + headers,
        ["Orion Retail", 400, 400, 450],
        ["Kite Foods", None, 800, 800],
        ["Pine Systems", "$1,000", "", "1,200"],
    ]


def many_columns(n: int) -> Rows:
    return [["account_id"] + [f"c{i}" for i in range(n - 1)], ["A1"] + ["1"] * (n - 1)]


DATE_HEADERS_EXCEL = [datetime(2024, 1, 1), datetime(2024, 2, 1), datetime(2024, 3, 1)]
