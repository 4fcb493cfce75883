"""Files to leave behind: CSV and XLSX exports with formula injection neutralised.

A spreadsheet cell that begins with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage
return) is executed as a formula by Excel and LibreOffice. Text cells like that are
written as text: in CSV with a leading apostrophe, in XLSX as an explicit string cell.
Numbers are never touched (a negative amount stays a number).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pandas as pd

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_dangerous(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES)


def neutralise_text(value: Any) -> Any:
    """``'=HYPERLINK(…)'`` -> ``"'=HYPERLINK(…)"``; anything else unchanged."""
    return "'" + value if is_dangerous(value) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as formulas."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            out[column] = series.map(neutralise_text)
    out.columns = [neutralise_text(str(c)) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel opens Chinese text correctly), neutralised."""
    buffer = io.StringIO()
    # Quote every text cell: a carriage return inside an unquoted cell would start a new
    # row in Excel, and the text after it could run as a formula there.
    neutralise_frame(frame).to_csv(buffer, index=False, quoting=csv.QUOTE_NONNUMERIC)
    return buffer.getvalue().encode("utf-8-sig")


def write_sheet(worksheet: Any, frame: pd.DataFrame, number_formats: dict[str, str] | None = None) -> None:
    """Write ``frame`` into an openpyxl worksheet: bold header, text cells forced to strings.

    openpyxl treats a str starting with '=' as a formula; setting ``data_type = 's'``
    after assignment keeps it a plain string, so the value round-trips unchanged.
    """
    from openpyxl.styles import Font, PatternFill

    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F3B57")
    for col_idx, name in enumerate(frame.columns, start=1):
        cell = worksheet.cell(row=1, column=col_idx, value=str(name))
        cell.data_type = "s"
        cell.font = header_font
        cell.fill = header_fill
    formats = number_formats or {}
    for row_idx, row in enumerate(frame.itertuples(index=False), start=2):
        for col_idx, value in enumerate(row, start=1):
            if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
                continue
            if isinstance(value, pd.Timestamp):
                value = value.to_pydatetime()
            cell = worksheet.cell(row=row_idx, column=col_idx, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            fmt = formats.get(str(frame.columns[col_idx - 1]))
            if fmt:
                cell.number_format = fmt
    for col_idx, name in enumerate(frame.columns, start=1):
        width = max([len(str(name))] + [len(str(v)) for v in frame.iloc[:200, col_idx - 1]]) + 2
        worksheet.column_dimensions[worksheet.cell(row=1, column=col_idx).column_letter].width = min(width, 60)
    worksheet.freeze_panes = "A2"


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame],
                  number_formats: dict[str, dict[str, str]] | None = None) -> bytes:
    """A workbook with one sheet per frame; text that looks like a formula stays text."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, frame in sheets.items():
        worksheet = workbook.create_sheet(title=str(name)[:31])
        write_sheet(worksheet, frame, (number_formats or {}).get(name))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
