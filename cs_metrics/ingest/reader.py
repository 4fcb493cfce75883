"""Reading a file's layout: format, encoding, delimiter, sheet, title rows and header.

Only a sample is read here (the first few megabytes or 2,000 rows); the whole file is read
by DuckDB in :mod:`cs_metrics.ingest.staging`. Files that are not tables at all (empty,
binary, a legacy .xls workbook, a PDF) are refused with a message naming what is accepted.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from cs_metrics.ingest.encodings import (
    decode_sample,
    detect_encoding,
    normalise_encoding_name,
    python_codec,
)
from cs_metrics.ingest.model import Issue, RawFile, fail

TEXT_EXTENSIONS = {".csv", ".tsv", ".txt", ".tab", ".dat", ""}
SHEET_EXTENSIONS = {".xlsx", ".xlsm"}
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 1 << 20
DETECT_BYTES = 256 << 10
SAMPLE_ROWS = 2000
PREVIEW_ROWS = 20
HEADER_SEARCH_ROWS = 30
MAX_COLUMNS = 2000
MAX_CELL_BYTES = 1 << 20
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

csv.field_size_limit(1 << 30)


def inspect_file(path: str | Path, *, filename: str | None = None, encoding: str | None = None,
                 sheet: str | None = None, delimiter: str | None = None, header_row: int | None = None,
                 max_columns: int = MAX_COLUMNS, max_cell_bytes: int = MAX_CELL_BYTES) -> RawFile:
    """Read the layout of a CSV/TSV/TXT or XLSX/XLSM file and a sample of its rows.

    ``encoding``, ``sheet``, ``delimiter`` and ``header_row`` (1-based) override what is
    detected. Raises :class:`~cs_metrics.ingest.model.IngestError` for a file that is not a
    readable table.
    """
    p = Path(path)
    name = filename or p.name
    if not p.is_file():
        raise fail("ingest.error.not_found", name)
    size = p.stat().st_size
    with open(p, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
        complete = not fh.read(1)
    ext = Path(name).suffix.lower()
    if not head.strip():
        raise fail("ingest.error.empty", name)
    if head.startswith(OLE_MAGIC):
        raise fail("ingest.error.legacy_xls", name)
    if head.startswith(ZIP_MAGIC):
        if ext not in SHEET_EXTENSIONS and ext not in TEXT_EXTENSIONS:
            raise fail("ingest.error.unsupported", name, ext=ext or "?")
        return _inspect_xlsx(p, name, sheet, header_row, size, max_columns)
    if ext in SHEET_EXTENSIONS:
        raise fail("ingest.error.bad_xlsx", name)
    if ext not in TEXT_EXTENSIONS and ext != ".xls":
        raise fail("ingest.error.unsupported", name, ext=ext)
    return _inspect_text(p, name, head, complete, size, encoding, delimiter, header_row,
                         max_columns, max_cell_bytes)


# Text files ------------------------------------------------------------------------------
def _inspect_text(p: Path, name: str, head: bytes, complete: bool, size: int,
                  encoding: str | None, delimiter: str | None, header_row: int | None,
                  max_columns: int, max_cell_bytes: int) -> RawFile:
    guess = detect_encoding(head[:DETECT_BYTES], complete and len(head) <= DETECT_BYTES)
    if encoding:
        try:
            chosen = normalise_encoding_name(encoding)
        except ValueError:
            raise fail("ingest.error.unknown_encoding", name, encoding=encoding) from None
    else:
        chosen = guess.encoding
    if not chosen.startswith("utf-16") and not chosen.startswith("utf-32") and b"\x00" in head[:65536]:
        raise fail("ingest.error.binary", name)
    try:
        text = decode_sample(head, chosen, complete)
    except UnicodeDecodeError:
        if encoding:
            raise fail("ingest.error.wrong_encoding", name, encoding=chosen) from None
        # The first bytes fitted one encoding, later ones do not: decide on the whole sample.
        guess = detect_encoding(head, complete)
        chosen = guess.encoding
        try:
            text = decode_sample(head, chosen, complete)
        except UnicodeDecodeError:
            raise fail("ingest.error.undecodable", name) from None
    if "\x00" in text:
        raise fail("ingest.error.binary", name)
    text = text.lstrip("\ufeff")
    if text.lstrip().startswith(("<!DOCTYPE", "<html", "<HTML", "<?xml", "{", "[")) and not _has_delimiter(text):
        raise fail("ingest.error.unsupported", name, ext=Path(name).suffix.lower() or "?")
    if not complete:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if cut <= 0:
            raise fail("ingest.error.row_too_large", name, size=_mb(SAMPLE_BYTES))
        text = text[:cut + 1]
    whole = len(text)
    text = _first_lines(text, SAMPLE_ROWS + HEADER_SEARCH_ROWS + 1)
    complete = complete and len(text) == whole
    newline = _newline(text)
    delim = delimiter if delimiter else _sniff_delimiter(text, Path(name).suffix.lower())
    if delim in ("\\t", "tab"):
        delim = "\t"
    records, lines = _records(text, delim)
    if not any(has_value(r) for r in records):
        raise fail("ingest.error.empty", name)
    if header_row is not None:
        idx = next((i for i, ln in enumerate(lines) if ln >= header_row), None)
        if idx is None:
            raise fail("ingest.error.header_row", name, row=header_row)
    else:
        idx = find_header(records)
    header_cells = [c.strip() for c in records[idx]]
    data = records[idx + 1:]
    data_lines = lines[idx + 1:]
    widths = Counter(len(r) for r in data if has_value(r))
    modal = widths.most_common(1)[0][0] if widths else len(header_cells)
    raw_width = max(len(header_cells), modal)
    if raw_width > max_columns:
        raise fail("ingest.error.too_many_columns", name, n=f"{raw_width:,}", limit=f"{max_columns:,}")
    columns, keep = _columns(header_cells, data, raw_width)
    issues = _sample_issues(name, data, data_lines, raw_width, len(header_cells), columns, keep, max_cell_bytes)
    sample = [_align(r, keep) for r in data[:SAMPLE_ROWS]]
    sample_rows = data_lines[:SAMPLE_ROWS]
    n_est = _estimate_rows(data, complete, size, len(text.encode(python_codec(chosen), errors="replace")),
                           lines[idx] if lines else 1)
    raw = RawFile(
        filename=name, format="csv", encoding=chosen, delimiter=delim, sheets=[], sheet=None,
        header_row=lines[idx], columns=columns, preview=_preview(columns, sample), n_rows_estimate=n_est,
        path=p, encoding_detected=guess.encoding, encoding_confidence=guess.confidence,
        header_values=[header_cells[i] if i < len(header_cells) else "" for i in keep],
        raw_width=raw_width, newline=newline, sample=sample, sample_rows=sample_rows,
        complete=complete, size_bytes=size, issues=issues, max_cell_bytes=max_cell_bytes, keep=keep)
    return raw


def _first_lines(text: str, n: int) -> str:
    """The first ``n`` lines of ``text`` (all of it when shorter): the sample needs no more."""
    pos = -1
    for _ in range(n):
        pos = text.find("\n", pos + 1)
        if pos < 0:
            return text
    return text[:pos + 1]


def _has_delimiter(text: str) -> bool:
    first = text.strip().splitlines()[:5]
    return any(d in line for line in first for d in DELIMITERS)


def _mb(n: int) -> str:
    return f"{n / (1 << 20):g} MB"


def _newline(text: str) -> str:
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    if crlf and crlf >= lf:
        return "\r\n"
    if cr > lf:
        return "\r"
    return "\n"


def _sniff_delimiter(text: str, ext: str) -> str:
    """The delimiter giving the most columns consistently over the first 100 lines.

    For each candidate, lines are parsed as CSV; the score is the modal field count (if at
    least 2) times the share of non-blank lines that have it. Title lines (one field) are
    tolerated by the share. A ``.tsv`` file prefers tab on a tie.
    """
    lines = text.splitlines()[:100]
    best, best_score = ",", -1.0
    order = ("\t", ",", ";", "|") if ext in (".tsv", ".tab") else DELIMITERS
    for d in order:
        counts = [len(r) for r in csv.reader(io.StringIO("\n".join(lines), newline=""), delimiter=d)
                  if has_value(r)]
        if not counts:
            continue
        modal, hits = Counter(counts).most_common(1)[0]
        if modal < 2:
            continue
        score = modal * hits / len(counts)
        if score > best_score + 1e-9:
            best, best_score = d, score
    return best


def _records(text: str, delim: str) -> tuple[list[list[str]], list[int]]:
    """CSV records of the sample and the 1-based line on which each starts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, quotechar='"', doublequote=True)
    records, lines = [], []
    prev = 0
    try:
        for rec in reader:
            records.append(rec)
            lines.append(prev + 1)
            prev = reader.line_num
            if len(records) > SAMPLE_ROWS + HEADER_SEARCH_ROWS + 1:
                break
    except csv.Error:
        pass
    # csv skips blank lines without a record: account for them via line_num (handled above).
    return records, lines


def has_value(cells: list[str]) -> bool:
    """Whether any cell holds more than whitespace (one join and strip: fast on many rows)."""
    return bool("".join(cells).strip())


def _looks_textual(cell: str) -> bool:
    c = cell.strip()
    if not c:
        return False
    return not re.fullmatch(r"[-+(]?[$¥￥€£]?\s*[\d.,\s]+%?\)?", c)


def find_header(records: list[list[Any]]) -> int:
    """Index of the header record: the first row with at least two cells, at least half as
    many non-empty cells as the widest row near the top, mostly text (not numbers), and
    followed by a row that is not blank. Title rows ("FY2024 MRR by customer"), a source line
    and blank rows above the table are skipped."""
    top = records[:HEADER_SEARCH_ROWS + 20]
    filled = [sum(1 for c in r if str(c).strip()) for r in top]
    widest = max(filled) if filled else 0
    for i, row in enumerate(records[:HEADER_SEARCH_ROWS]):
        cells = [str(c) for c in row if str(c).strip()]
        if len(cells) < 2 or len(cells) < 0.5 * widest:
            continue
        textual = sum(1 for c in cells if _looks_textual(c)) / len(cells)
        if textual < 0.5:
            continue
        return i
    return next((i for i, n in enumerate(filled) if n > 0), 0)


def _columns(header: list[str], data: list[list[str]], raw_width: int) -> tuple[list[str], list[int]]:
    """Display names of the columns and the raw positions they come from.

    Unnamed columns with no data in the sample are dropped (trailing delimiters); unnamed
    columns with data are called ``column_<n>``; repeated names get `` (2)``, `` (3)``.
    """
    names, keep = [], []
    seen: Counter[str] = Counter()
    for i in range(raw_width):
        name = header[i] if i < len(header) else ""
        if not name:
            if not any(i < len(r) and r[i].strip() for r in data[:SAMPLE_ROWS]):
                continue
            name = f"column_{i + 1}"
        seen[name] += 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        names.append(name)
        keep.append(i)
    return names, keep


def _align(row: list[str], keep: list[int]) -> list[str]:
    return [row[i].strip() if i < len(row) else "" for i in keep]


def _sample_issues(name: str, data: list[list[str]], lines: list[int], raw_width: int, header_width: int,
                   columns: list[str], keep: list[int], max_cell_bytes: int) -> list[Issue]:
    issues = []
    long_rows = [ln for r, ln in zip(data, lines) if len(r) > raw_width and has_value(r[raw_width:])]
    if long_rows:
        issues.append(Issue("error", "ingest.error.ragged_long", {"n": raw_width}, file=name,
                            rows=long_rows[:5], count=len(long_rows)))
    short_rows = [ln for r, ln in zip(data, lines) if len(r) < header_width and has_value(r)]
    if short_rows:
        issues.append(Issue("warning", "ingest.warning.ragged_short", {"n": header_width}, file=name,
                            rows=short_rows[:5], count=len(short_rows)))
    for r, ln in zip(data, lines):
        for pos, i in enumerate(keep):
            if i < len(r) and len(r[i]) > max_cell_bytes // 4 and len(r[i].encode("utf-8")) > max_cell_bytes:
                issues.append(Issue("error", "ingest.error.cell_too_large",
                                    {"size": _mb(len(r[i].encode("utf-8"))), "limit": _mb(max_cell_bytes)},
                                    file=name, column=columns[pos], rows=[ln], count=1))
                return issues
    return issues


def _estimate_rows(data: list[list[str]], complete: bool, size: int, sample_bytes: int, header_line: int) -> int:
    rows = sum(1 for r in data if has_value(r))
    if complete or not data:
        return rows
    return int(rows * size / max(sample_bytes, 1))


def _preview(columns: list[str], sample: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame([r for r in sample[:PREVIEW_ROWS]], columns=columns, dtype="string")


# Workbooks ---------------------------------------------------------------------------------
def cell_text(value: Any) -> str:
    """A cell as text: dates ISO (``2024-01-31``, with time only when not midnight), whole
    numbers without ``.0``, booleans ``TRUE``/``FALSE``, empty cells ``""``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ", timespec="seconds" if not value.microsecond else "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.total_seconds() / 60:g}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value).strip()


def open_workbook(path: Path, name: str):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure to open is the same user-facing problem
        raise fail("ingest.error.bad_xlsx", name) from None


def sheet_rows(ws: Any, max_row: int | None = None) -> Iterator[tuple[int, list[Any]]]:
    """(1-based sheet row, cell values with trailing empty cells removed); blank rows included."""
    for n, row in enumerate(ws.iter_rows(values_only=True, max_row=max_row), start=1):
        values = list(row)
        while values and (values[-1] is None or (isinstance(values[-1], str) and not values[-1].strip())):
            values.pop()
        yield n, values


def _inspect_xlsx(p: Path, name: str, sheet: str | None, header_row: int | None, size: int,
                  max_columns: int) -> RawFile:
    wb = open_workbook(p, name)
    try:
        names = list(wb.sheetnames)
        if sheet is not None and sheet not in names:
            raise fail("ingest.error.no_sheet", name, sheet=sheet, sheets=", ".join(names))
        candidates = [sheet] if sheet is not None else names
        fallback = None
        for sh in candidates:
            ws = wb[sh]
            rows = list(sheet_rows(ws, max_row=SAMPLE_ROWS + HEADER_SEARCH_ROWS + 1))
            records = [[cell_text(v) for v in values] for _, values in rows]
            if not any(any(c for c in r) for r in records):
                continue
            if header_row is not None:
                if header_row > len(records):
                    raise fail("ingest.error.header_row", name, row=header_row)
                idx = header_row - 1
            else:
                idx = find_header(records)
            header_cells = [c.strip() for c in records[idx]]
            has_table = sum(1 for c in header_cells if c) >= 2
            has_data = any(any(c for c in r) for r in records[idx + 1:])
            found = (sh, ws, rows, records, idx)
            if has_table and has_data:
                return _xlsx_raw(p, name, names, found, size, max_columns)
            if fallback is None and has_table:
                fallback = found
        if fallback is not None:
            return _xlsx_raw(p, name, names, fallback, size, max_columns)
        raise fail("ingest.error.no_table", name, sheets=", ".join(names))
    finally:
        wb.close()


def _xlsx_raw(p: Path, name: str, sheets: list[str], found: tuple, size: int, max_columns: int) -> RawFile:
    sh, ws, rows, records, idx = found
    header_values = list(rows[idx][1])
    header_cells = [c.strip() for c in records[idx]]
    data = records[idx + 1:]
    data_lines = [n for n, _ in rows[idx + 1:]]
    raw_width = max([len(header_cells)] + [len(r) for r in data[:SAMPLE_ROWS]])
    if raw_width > max_columns:
        raise fail("ingest.error.too_many_columns", name, n=f"{raw_width:,}", limit=f"{max_columns:,}")
    columns, keep = _columns(header_cells, data, raw_width)
    pairs = [(r, ln) for r, ln in zip(data, data_lines) if any(c for c in r)]
    sample = [_align(r, keep) for r, _ in pairs[:SAMPLE_ROWS]]
    sample_rows = [ln for _, ln in pairs[:SAMPLE_ROWS]]
    try:
        total = ws.max_row or 0
    except Exception:  # noqa: BLE001 - a sheet without a dimension record
        total = 0
    n_est = max(len(pairs), total - rows[idx][0]) if total else len(pairs)
    raw = RawFile(
        filename=name, format="xlsx", encoding=None, delimiter=None, sheets=sheets, sheet=sh,
        header_row=rows[idx][0], columns=columns, preview=_preview(columns, sample), n_rows_estimate=n_est,
        path=p, header_values=[header_values[i] if i < len(header_values) else "" for i in keep],
        raw_width=raw_width, sample=sample, sample_rows=sample_rows, complete=len(rows) <= SAMPLE_ROWS,
        size_bytes=size, keep=keep)
    return raw
