"""Typing, matching and validating a whole file in a staged table of the workspace.

Pipeline (nothing is written to the canonical tables here):

1. **Plan**: each mapped column gets a value type and, from the sample, its format
   (date formats and day/month order, decimal comma).
2. **Stage**: one ``CREATE TABLE _polaris_stage_… AS SELECT`` types every column in SQL
   straight from DuckDB's CSV reader. Columns whose sample holds only plain values (ISO dates,
   ``1234.5``) are typed by the reader itself; the others are read as text and typed in SQL.
   The staged table lives in the workspace file so that loading it is a rename, not a copy;
   it is not a canonical table, and stale ones are swept. Files DuckDB cannot read directly
   (other encodings) are first transcoded to UTF-8 in chunks. Workbooks, wide MRR sheets and
   CSV files whose line numbers DuckDB would lose (blank lines, line breaks inside quotes,
   ragged rows) are first rewritten by Python as a clean CSV with each row's line number.
   Row numbers are the ones the user sees (1-based, counting title and header rows).
3. **Match**: rows get their ``account_id`` from ``_source_key`` (see
   :mod:`cs_metrics.matching`).
4. **Validate** with a few set-based queries: unreadable values, empty required values,
   duplicate keys, negative MRR, scores outside 0–10, unknown accounts. Each check is a WHERE
   clause, so that DuckDB skips the row groups whose statistics rule it out (on a clean file
   most checks read nothing); duplicate (key, month) rows are counted with one bitmap of
   months per key.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from cs_metrics.ingest import values as V
from cs_metrics.ingest.encodings import TranscodeError, first_bad_line, python_codec, scan_utf8, transcode_to_utf8
from cs_metrics.ingest.model import IngestError, Issue, Prepared, Question, RawFile, Term, ValidationReport, fail
from cs_metrics.ingest.reader import cell_text, has_value, open_workbook, sheet_rows
from cs_metrics.ingest.schema import (
    CANONICAL_TYPES,
    FIELDS,
    KINDS,
    MONTH_PREFIX,
    SOURCE_KEY,
    extra_names,
    valid_targets,
)

Progress = Callable[[float, str], None] | None
# Key values of a finance sheet's total line, skipped in wide MRR sheets.
TOTAL_LABELS = ("total", "totals", "grand total", "sum", "合计", "总计", "小计", "总和")
# Raw example values quoted in messages are cut to this many characters.
EXAMPLE_CHARS = 60
SEP_ENTRY, SEP_FIELD = "chr(30)", "chr(31)"
# Extra-column headers that name identifiers: kept as text even when the values are digits.
_ID_WORDS = ("id", "code", "no", "number", "num", "phone", "tel", "zip", "postal", "编号", "编码", "号码",
             "电话", "邮编", "代码", "号")
# Value type of each canonical target per kind (from schema.FIELDS).
_CTYPES = {kind: {f.name: f.ctype for f in fields} for kind, fields in FIELDS.items()}


def q(name: str) -> str:
    """Quote an identifier (column names come from users' files)."""
    return '"' + str(name).replace('"', '""') + '"'


@dataclass
class ColumnPlan:
    """One source column: where it goes and how its values are read."""

    j: int
    source: str
    target: str
    ctype: str
    extra: bool = False
    date: V.DateSpec | None = None
    number: V.NumberSpec | None = None
    native: str | None = None


@dataclass
class Plan:
    kind: str
    columns: list[ColumnPlan]
    wide: list[tuple[int, str]] = field(default_factory=list)  # (j, 'YYYY-MM-01') month columns
    wide_number: V.NumberSpec | None = None
    key_j: int | None = None


# Planning ---------------------------------------------------------------------------------
_DETECT: duckdb.DuckDBPyConnection | None = None


def _detector() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for running format detection on samples (cursors per use),
    when no workspace connection is at hand."""
    global _DETECT
    if _DETECT is None:
        _DETECT = duckdb.connect()
    return _DETECT


def _sample_values(raw: RawFile, j: int) -> list[str]:
    return [r[j] for r in raw.sample if j < len(r) and r[j] != ""]


def _extra_ctype(con: duckdb.DuckDBPyConnection, header: str, values: list[str]) -> tuple[str, Any]:
    """Type of an extra column from its sample: number, boolean, date/timestamp or text."""
    if not values:
        return "text", None
    words = [w for w in re.split(r"[^0-9a-z\u3400-\u9fff]+", header.lower()) if w]
    if any(w in _ID_WORDS for w in words) or any(z in header for z in ("编号", "编码", "号码", "代码")):
        return "text", None
    if any(len(v) > 1 and v[0] == "0" and v[1].isdigit() for v in values):
        return "text", None
    lowered = {v.lower() for v in values}
    if lowered <= set(V.TRUE_WORDS) | set(V.FALSE_WORDS) and not lowered <= {"0", "1"}:
        return "bool", None
    spec = V.detect_number(values)
    bad = con.execute(
        f"SELECT count(*) FILTER (WHERE {V.number_sql('v', spec)} IS NULL) FROM (SELECT unnest($v) AS v)",
        {"v": values}).fetchone()[0]
    if bad == 0:
        return "number", spec
    if any(c.isdigit() for c in values[0]):
        dspec = V.detect_date(con, values)
        if dspec.unparsed == 0 and (dspec.formats or dspec.serial):
            timed = any(("%H" in f or "%I" in f) for f in dspec.formats)
            return ("timestamp" if timed else "date"), dspec
    return "text", None


def build_plan(raw: RawFile, kind: str, mapping: dict[str, str], date_order: str | None,
               report: ValidationReport, con: duckdb.DuckDBPyConnection | None = None) -> Plan | None:
    """Check the mapping and decide how each column is read; None when the mapping is unusable.

    Format detection runs DuckDB on the sample, in a cursor of ``con`` (the workspace's
    connection: no new database to start) or else of a private in-memory one.
    """
    errors_before = len(report.errors)
    if kind not in KINDS:
        report.add(Issue("error", "ingest.error.unknown_kind", {"kind": kind, "kinds": ", ".join(KINDS)},
                         file=raw.filename))
        return None
    allowed = valid_targets(kind)
    targets: dict[str, str] = {}
    months: list[tuple[int, str]] = []
    for j, col in enumerate(raw.columns):
        target = (mapping.get(col) or "").strip()
        if kind == "accounts" and target == SOURCE_KEY:
            target = "account_id"
        if target.startswith(MONTH_PREFIX):
            month = target[len(MONTH_PREFIX):]
            if kind != "mrr" or len(month) != 7 or not month[:4].isdigit() or not month[5:].isdigit():
                report.add(Issue("error", "ingest.error.bad_target", {"target": target}, file=raw.filename,
                                 sheet=raw.sheet, column=col))
                continue
            months.append((j, f"{month}-01"))
            continue
        if target and target not in allowed:
            report.add(Issue("error", "ingest.error.bad_target", {"target": target}, file=raw.filename,
                             sheet=raw.sheet, column=col))
            continue
        if target:
            if target in targets.values():
                other = next(c for c, t in targets.items() if t == target)
                report.add(Issue("error", "ingest.error.duplicate_target", {"target": target, "other": other},
                                 file=raw.filename, sheet=raw.sheet, column=col))
                continue
            targets[col] = target
    unknown = [c for c in mapping if c not in raw.columns]
    if unknown:
        report.add(Issue("error", "ingest.error.unknown_source", {"columns": ", ".join(unknown)},
                         file=raw.filename, sheet=raw.sheet))
    key_targets = [t for t in targets.values() if t in ("account_id", SOURCE_KEY)]
    if len(key_targets) > 1:
        report.add(Issue("error", "ingest.error.two_keys", {}, file=raw.filename, sheet=raw.sheet))
    mapped = set(targets.values())
    missing = []
    if not key_targets:
        missing.append("account_id")
    for f in FIELDS[kind]:
        if f.required and f.ctype != "key" and f.name not in mapped:
            if kind == "mrr" and months and f.name in ("month", "mrr"):
                continue
            missing.append(f.name)
    if kind == "subscriptions" and not ({"mrr", "arr"} & mapped or {"amount", "interval"} <= mapped):
        missing.append("mrr")
    if kind == "mrr" and months and ({"month", "mrr"} & mapped):
        report.add(Issue("error", "ingest.error.wide_and_long", {}, file=raw.filename, sheet=raw.sheet))
    for name in missing:
        key = "ingest.error.missing_amount" if (kind, name) == ("subscriptions", "mrr") else "ingest.error.missing_column"
        report.add(Issue("error", key, {"column": Term(f"ingest.target.{name}"), "kind": Term(f"kind.{kind}")},
                         file=raw.filename, sheet=raw.sheet))
    if len(report.errors) > errors_before:
        return None

    con = (con or _detector()).cursor()
    try:
        month_js = {j for j, _ in months}
        names = extra_names(raw.columns, {c: ("month" if j in month_js else targets.get(c, ""))
                                          for j, c in enumerate(raw.columns)}, kind)
        plans: list[ColumnPlan] = []
        key_j = None
        for j, col in enumerate(raw.columns):
            if any(j == m for m, _ in months):
                continue
            target = targets.get(col)
            if target in ("account_id", SOURCE_KEY):
                key_j = j
                plans.append(ColumnPlan(j, col, target, "key"))
                continue
            values = _sample_values(raw, j)
            if target:
                ctype = _CTYPES[kind][target]
                plan = ColumnPlan(j, col, target, ctype)
            else:
                ctype, spec = _extra_ctype(con, col, values)
                plan = ColumnPlan(j, col, names[col], ctype, extra=True)
                if isinstance(spec, V.NumberSpec):
                    plan.number = spec
            if plan.ctype in ("date", "timestamp", "month"):
                plan.date = V.detect_date(con, values, month=plan.ctype == "month", forced_order=date_order)
            if plan.ctype in ("money", "number", "score", "satisfaction"):
                plan.number = plan.number or V.detect_number(values)
            if raw.format == "csv" and not (plan.number and plan.number.decimal_comma):
                plan.native = V.native_type(plan.ctype, values)
            plans.append(plan)
        _share_date_order(plans)
        wide_number = None
        if months:
            vals = [v for j, _ in months for v in _sample_values(raw, j)]
            wide_number = V.detect_number(vals)
        return Plan(kind, plans, months, wide_number, key_j)
    finally:
        con.close()


def _share_date_order(plans: list[ColumnPlan]) -> None:
    """A file follows one date convention: an ambiguous column takes the day/month order
    that another date column of the same file shows (e.g. 05/31/2025 next to 06/01/2022)."""
    decided = [p for p in plans if p.date is not None and p.date.decided and p.date.order]
    orders = {p.date.order for p in decided if p.date is not None}
    if len(orders) != 1:
        return
    order = orders.pop()
    for p in plans:
        d = p.date
        if d is not None and d.ambiguous:
            if d.order != order:
                d.formats, d.alt_formats = d.alt_formats, d.formats
                d.order = order
            d.ambiguous = False
            d.evidence = decided[0].source


# Staging the raw text ----------------------------------------------------------------------
@dataclass
class Source:
    """A CSV DuckDB can read: its read_csv SQL, the raw column per logical column, natively
    typed columns (logical index -> DuckDB type), and the row-number column if the file has one."""

    sql: str
    raw_cols: list[str]
    row_col: str | None
    header_row: int
    native: dict[int, str] = field(default_factory=dict)
    rejects: tuple[str, str] | None = None


def _csv_sql(path: Path, *, skip: int, delim: str, newline: str, names: list[str], types: dict[str, str],
             lenient: bool, rejects: tuple[str, str] | None, max_line: int, parallel: bool = True) -> str:
    cols = "{" + ", ".join(f"{V.lit(n)}: {V.lit(types.get(n, 'VARCHAR'))}" for n in names) + "}"
    nl = {"\r\n": "\\r\\n", "\n": "\\n", "\r": "\\r"}[newline]
    opts = ["auto_detect = false", "header = false", f"skip = {skip}", f"delim = {V.lit(delim)}",
            "quote = '\"'", "escape = '\"'", f"new_line = {V.lit(nl)}", f"columns = {cols}",
            f"max_line_size = {max_line}", "encoding = 'utf-8'"]
    if lenient:
        opts += ["null_padding = true", "ignore_errors = true"]
    if rejects:
        opts += ["store_rejects = true", f"rejects_table = {V.lit(rejects[0])}", f"rejects_scan = {V.lit(rejects[1])}"]
    if not parallel:
        opts.append("parallel = false")
    return f"read_csv({V.lit(str(path))}, {', '.join(opts)})"


def _max_line(raw: RawFile) -> int:
    return max(2 << 20, 2 * raw.max_cell_bytes + 4096)


def utf8_file(raw: RawFile, workdir: Path) -> tuple[Path, Future]:
    """The file as UTF-8 for DuckDB (transcoded in chunks when needed) and its line count.

    For a UTF-8 file the count runs in a thread while DuckDB reads the file (DuckDB releases
    the GIL), so it costs no extra time on a multi-core machine.
    """
    if raw.encoding in ("utf-8", "utf-8-sig"):
        pool = ThreadPoolExecutor(max_workers=1)
        scan = pool.submit(scan_utf8, raw.path, raw.newline[-1:].encode())
        pool.shutdown(wait=False)
        return raw.path, scan
    path = workdir / "transcoded.csv"
    try:
        done: Future = Future()
        done.set_result(transcode_to_utf8(raw.path, raw.encoding or "utf-8", path))
    except TranscodeError as exc:
        raise fail("ingest.error.bad_bytes", raw.filename, encoding=raw.encoding, line=exc.line) from None
    return path, done


def direct_source(raw: RawFile, path: Path, tag: str, native: dict[int, str]) -> Source:
    """Path A: DuckDB reads the file itself; ``native`` columns are typed by the reader."""
    names = [f"c{i}" for i in range(raw.raw_width)]
    keep = raw.keep or list(range(len(raw.columns)))
    types = {f"c{keep[j]}": typ for j, typ in native.items()}
    rejects = (f"_polaris_rj_{tag}", f"_polaris_rs_{tag}")
    sql = _csv_sql(path, skip=raw.header_row, delim=raw.delimiter or ",", newline=raw.newline, names=names,
                   types=types, lenient=True, rejects=rejects, max_line=_max_line(raw))
    return Source(sql, [f"c{i}" for i in keep], None, raw.header_row, dict(native), rejects)


@dataclass
class Normalised:
    long_rows: list[int] = field(default_factory=list)
    short_rows: list[int] = field(default_factory=list)
    big_cells: list[tuple[int, int, int]] = field(default_factory=list)
    n_long: int = 0
    n_short: int = 0
    multiline: bool = False


def _records_csv(raw: RawFile):
    codec = python_codec(raw.encoding or "utf-8")
    if codec == "utf-8":
        codec = "utf-8-sig"
    with open(raw.path, encoding=codec, errors="strict", newline="") as fh:
        # strict: a quote never closed is an error, not the rest of the file in one cell.
        reader = csv.reader(fh, delimiter=raw.delimiter or ",", quotechar='"', doublequote=True, strict=True)
        prev = 0
        try:
            for rec in reader:
                start = prev + 1
                prev = reader.line_num
                if start > raw.header_row:
                    yield start, rec
        except UnicodeDecodeError:
            line = first_bad_line(raw.path, raw.encoding or "utf-8") or prev + 1
            raise fail("ingest.error.bad_bytes", raw.filename, encoding=raw.encoding, line=line) from None
        except csv.Error:
            raise fail("ingest.error.bad_quotes", raw.filename, line=prev + 1) from None


def _records_xlsx(raw: RawFile):
    wb = open_workbook(raw.path, raw.filename)
    try:
        ws = wb[raw.sheet]
        try:
            for n, values in sheet_rows(ws):
                if n > raw.header_row:
                    yield n, [cell_text(v) for v in values]
        except Exception:  # noqa: BLE001 - a workbook damaged past its first rows
            raise fail("ingest.error.bad_xlsx", raw.filename) from None
    finally:
        wb.close()


def normalised_source(raw: RawFile, workdir: Path) -> tuple[Source, Normalised]:
    """Path B: Python rewrites the rows as a clean UTF-8 CSV with each row's number first.

    Blank rows are dropped and cells trimmed; rows with more values than the header are
    recorded (an error), rows with fewer are padded (a warning); cells over the size limit
    are recorded (an error) and cut.
    """
    out = workdir / "normalised.csv"
    info = Normalised()
    header_width = len(raw.header_values) if raw.header_values else len(raw.columns)
    width = raw.raw_width
    keep = raw.keep or list(range(len(raw.columns)))
    records = _records_xlsx(raw) if raw.format == "xlsx" else _records_csv(raw)
    limit = raw.max_cell_bytes
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for line, rec in records:
            if not has_value(rec):
                continue
            if len(rec) > width and has_value(rec[width:]):
                info.n_long += 1
                if len(info.long_rows) < 5:
                    info.long_rows.append(line)
            elif len(rec) < max(header_width, max(keep) + 1 if keep else 0) and raw.format == "csv":
                info.n_short += 1
                if len(info.short_rows) < 5:
                    info.short_rows.append(line)
            cells = []
            for pos, i in enumerate(keep):
                cell = rec[i].strip() if i < len(rec) else ""
                if len(cell) > limit // 4 and len(cell.encode("utf-8")) > limit:
                    if len(info.big_cells) < 5:
                        info.big_cells.append((line, pos, len(cell.encode("utf-8"))))
                    cell = cell[:200]
                if "\n" in cell or "\r" in cell:
                    info.multiline = True
                cells.append(cell)
            writer.writerow([line] + cells)
    names = ["_line"] + [f"c{j}" for j in range(len(keep))]
    sql = _csv_sql(out, skip=0, delim=",", newline="\n", names=names, types={"_line": "BIGINT"},
                   lenient=False, rejects=None, max_line=max(_max_line(raw), 8 << 20), parallel=not info.multiline)
    return Source(sql, [f"c{j}" for j in range(len(keep))], "_line", raw.header_row), info


# Typed SQL ------------------------------------------------------------------------------
_TEXTUAL = ("key", "text", "lower_text", "priority", "interval")
_OUT_TYPES = {"key": "VARCHAR", "text": "VARCHAR", "lower_text": "VARCHAR", "date": "DATE",
              "timestamp": "TIMESTAMP", "month": "DATE", "money": "DOUBLE", "number": "DOUBLE",
              "score": "INTEGER", "bool": "BOOLEAN", "status": "VARCHAR", "health": "VARCHAR",
              "priority": "VARCHAR", "ticket_status": "VARCHAR", "satisfaction": "DOUBLE", "interval": "VARCHAR"}
_DATE_OUT = {"date": "DATE", "timestamp": "TIMESTAMP", "month": "MONTH"}


def _parse(plan: ColumnPlan, r: str, native: str | None) -> str:
    """Layer 2: raw text ``r`` parsed (dates to TIMESTAMP, numbers to DOUBLE, words mapped)."""
    c = plan.ctype
    if native is not None:
        return r
    x = f"trim({r})"
    if c in _TEXTUAL:
        sql = f"NULLIF({x}, '')"
        return f"lower({sql})" if c == "lower_text" else sql
    if c in _DATE_OUT:
        return V.date_parse_sql(r, plan.date or V.DateSpec())
    if c in ("money", "number", "score"):
        return V.number_sql(r, plan.number or V.NumberSpec())
    if c == "bool":
        return V.bool_sql(x)
    if c == "status":
        return V.status_sql(x)
    if c == "health":
        return V.health_sql(x)
    if c == "ticket_status":
        return V.ticket_status_sql(f"NULLIF({x}, '')")
    if c == "satisfaction":
        return V.satisfaction_sql(x, plan.number or V.NumberSpec())
    raise ValueError(c)


def _finish(plan: ColumnPlan, p: str, native: str | None, raw: str | None = None) -> str:
    """Layer 3: a parsed value ``p`` in its output type (date range checked, score whole)."""
    c = plan.ctype
    if c in _DATE_OUT:
        if native == "DATE" and c == "month":
            # Most months are already the first day: only the others go through date_trunc.
            return f"(CASE WHEN day({p}) = 1 THEN {p} ELSE CAST(date_trunc('month', {p}) AS DATE) END)"
        if native is not None:
            return f"CAST(date_trunc('month', {p}) AS DATE)" if c == "month" else f"CAST({p} AS {_OUT_TYPES[c]})"
        return V.date_finish_sql(p, _DATE_OUT[c], raw)
    if c == "score":
        return V.score_sql(p)
    return p


@dataclass
class StagedSql:
    sql: str
    columns: dict[str, str]  # final column -> type, in table order (without _source_key / _source_file)
    labels: dict[int, str]   # bad-entry index -> source column
    required: dict[str, list[int]]  # final column -> source indexes j feeding it, for required-empty checks
    ambiguous: dict[str, tuple[ColumnPlan, str]]  # final column -> (plan, raw alias)
    hidden: list[str] = field(default_factory=list)  # staging-only columns dropped at load
    has_bad: bool = True
    blank: str = "FALSE"  # condition of a row with no value at all


def staged_sql(plan: Plan, source: Source, raw: RawFile, *, key_as_account: bool) -> StagedSql:
    """The SELECT that types ``source`` into the staged table (see module docstring).

    Layers: raw cells (1), parsed (2), finished typed values (3), canonical columns with the
    derived ones and ``_bad`` (4). ``_bad`` lists each unreadable cell of a row as
    ``<column index> US <raw value>`` separated by RS; ``''`` marks a row with no value at all.
    """
    kind = plan.kind
    native = source.native
    js = [p.j for p in plan.columns] + [j for j, _ in plan.wide]
    l1 = ([f"{source.row_col} AS _row"] if source.row_col else []) + [f"{source.raw_cols[j]} AS r{j}" for j in js]
    inner = f"SELECT {', '.join(l1)} FROM {source.sql}"
    if plan.wide:
        # Unpivot: one row per (key row, month with a value); the month's column kept for messages.
        months = ", ".join(f"DATE {V.lit(m)}" for _, m in plan.wide)
        vals = ", ".join(f"r{j}" for j, _ in plan.wide)
        idx = ", ".join(str(j) for j, _ in plan.wide)
        keep = ", ".join((["_row"] if source.row_col else []) + [f"r{p.j}" for p in plan.columns])
        inner = (f"SELECT * FROM (SELECT {keep}, unnest([{months}]) AS _month, unnest([{vals}]) AS _mv, "
                 f"unnest([{idx}]) AS _mj FROM ({inner})) WHERE NULLIF(trim(_mv), '') IS NOT NULL")
        if plan.key_j is not None:
            inner += f" AND lower(coalesce(trim(r{plan.key_j}), '')) NOT IN {V._in_list(TOTAL_LABELS)}"
    l2, l3 = [], []
    bad_entries: list[tuple[str, str, str]] = []  # (index sql, raw alias, condition)
    labels: dict[int, str] = {}
    typed: dict[str, str] = {}
    by_target: dict[str, ColumnPlan] = {}
    for p in plan.columns:
        r, nat = f"r{p.j}", native.get(p.j)
        l2.append(f"{_parse(p, r, nat)} AS p{p.j}")
        l3.append(f"{_finish(p, f'p{p.j}', nat, r)} AS t{p.j}")
        typed[p.target] = f"t{p.j}"
        by_target[p.target] = p
        labels[p.j] = p.source
        unreadable = f"{r} IS NOT NULL AND t{p.j} IS NULL AND trim({r}) <> ''"
        if nat is None and p.ctype not in _TEXTUAL + ("ticket_status",):
            if p.ctype == "satisfaction":
                unreadable += f" AND NOT {V.satisfaction_blank_sql(f'trim({r})')}"
            bad_entries.append((str(p.j), r, unreadable))
        if p.ctype == "priority":
            l2.append(f"{V.priority_rank_sql(f'trim({r})')} AS k{p.j}")
            bad_entries.append((str(p.j), r, f"{r} IS NOT NULL AND k{p.j} IS NULL AND trim({r}) <> ''"))
        if p.ctype == "interval":
            l2.append(f"{V.interval_months_sql(f'trim({r})')} AS m{p.j}")
            bad_entries.append((str(p.j), r, f"{r} IS NOT NULL AND m{p.j} IS NULL AND trim({r}) <> ''"))
    if plan.wide:
        l2.append(f"{V.number_sql('_mv', plan.wide_number or V.NumberSpec())} AS _tm")
        bad_entries.append(("_mj", "_mv", "_tm IS NULL"))
        for j, _ in plan.wide:
            labels[j] = raw.columns[j]
    mid = f"SELECT *, {', '.join(l2) if l2 else 'NULL AS _nothing'} FROM ({inner})"
    mid = f"SELECT *, {', '.join(l3) if l3 else 'NULL AS _nothing3'} FROM ({mid})"

    def col(name: str) -> str | None:
        return typed.get(name)

    out: list[tuple[str, str, str]] = []  # (name, sql, type)
    key_alias = f"t{plan.key_j}" if plan.key_j is not None else "NULL"
    types = CANONICAL_TYPES[kind]
    derived: dict[str, str] = {}
    if kind == "accounts":
        arr, mrr = col("arr"), col("mrr")
        if arr or mrr:
            derived["arr"] = f"COALESCE({arr}, {mrr} * 12)" if arr and mrr else (arr or f"{mrr} * 12")
            derived["mrr"] = f"COALESCE({mrr}, {arr} / 12)" if arr and mrr else (mrr or f"{arr} / 12")
    if kind == "mrr" and plan.wide:
        derived["month"] = "_month"
        derived["mrr"] = "_tm"
    if kind == "subscriptions":
        mrr, arr, amount = col("mrr"), col("arr"), col("amount")
        qty, interval, count = col("quantity"), by_target.get("interval"), col("interval_count")
        from_amount = None
        if amount and interval is not None:
            months = f"m{interval.j}" + (f" * COALESCE({count}, 1)" if count else "")
            from_amount = f"{amount} * {f'COALESCE({qty}, 1)' if qty else '1'} / ({months})"
        parts = [x for x in (mrr, f"{arr} / 12" if arr else None, from_amount) if x]
        derived["mrr"] = f"COALESCE({', '.join(parts)})" if len(parts) > 1 else parts[0]
        if not col("seats") and qty:
            derived["seats"] = qty
        plan_sql = col("plan")
        trial = [f"COALESCE({col('is_trial')}, FALSE)" if col("is_trial") else None,
                 f"COALESCE(lower({plan_sql}) LIKE '%trial%' OR {plan_sql} LIKE '%试用%', FALSE)" if plan_sql else None,
                 f"COALESCE(({derived['mrr']}) = 0, FALSE)"]
        derived["is_trial"] = " OR ".join(x for x in trial if x)
    if kind == "tickets":
        pr = by_target.get("priority")
        if pr is not None:
            derived["priority_rank"] = f"k{pr.j}"
        resolved = col("resolved_at")
        fallback = f"CASE WHEN {resolved} IS NOT NULL THEN 'closed' ELSE 'open' END" if resolved else "'open'"
        derived["status"] = f"COALESCE({col('status')}, {fallback})" if col("status") else fallback
    for name, typ in types.items():
        if name == "account_id":
            out.append(("account_id", key_alias if key_as_account else "NULL", "VARCHAR"))
            continue
        expr = derived.get(name) or col(name)
        out.append((name, expr if expr else "NULL", typ))
    canonical = set(types)
    for p in plan.columns:
        if p.target in canonical or p.target in ("account_id", SOURCE_KEY):
            continue
        out.append((p.target, typed[p.target], _OUT_TYPES[p.ctype]))
    select = [f"CAST({sql} AS {typ}) AS {q(name)}" for name, sql, typ in out]
    select.append(f"CAST({key_alias} AS VARCHAR) AS _source_key")
    # The file name of every row, as a one-value ENUM: stored as a code per row, where a text
    # column would cost about a sixth of the whole load of a narrow file. A later append into
    # the same table turns the column into text first (ingest.loading).
    name = V.lit(raw.filename)
    select.append(f"CAST({name} AS ENUM({name})) AS _source_file")
    # Without any column read from text there is nothing unreadable to record: no _bad column
    # (empty rows are then found by their values).
    has_bad = bool(bad_entries)
    hidden = ["_bad"] if has_bad else []
    if source.row_col:
        select.append("_row")
        hidden.append("_row")
    if plan.wide:
        select.append("_mj")
        hidden.append("_mj")
    entries = [f"CASE WHEN {cond} THEN {idx}::VARCHAR || {SEP_FIELD} || left({raw_alias}, {EXAMPLE_CHARS}) END"
               for idx, raw_alias, cond in bad_entries]
    bad = f"NULLIF(concat_ws({SEP_ENTRY}, {', '.join(entries)}), '')"
    # A row is empty when every cell is; the key (already trimmed) is tested first, so the
    # other cells are looked at only for the rare rows without a key.
    def cell_empty(j: int) -> str:
        if j in native:
            return f"r{j} IS NULL"
        if plan.key_j == j:
            return f"t{j} IS NULL"
        return f"(r{j} IS NULL OR trim(r{j}) = '')"

    ordered = sorted(js, key=lambda j: j != plan.key_j)
    empty = " AND ".join(cell_empty(j) for j in ordered)
    if has_bad:
        select.append(f"CASE WHEN {empty} THEN '' ELSE {bad} END AS _bad" if js and not plan.wide else f"{bad} AS _bad")
    blank = " AND ".join(f"{q(_final_name(p))} IS NULL" for p in plan.columns) or "FALSE"
    ambiguous = {}
    for p in plan.columns:
        if p.date is not None and p.date.ambiguous:
            select.append(f"r{p.j} AS {q('_raw_' + p.target)}")
            ambiguous[p.target] = (p, "_raw_" + p.target)
    required: dict[str, list[int]] = {}
    if plan.key_j is not None:
        required["_source_key"] = [plan.key_j]
    for f in FIELDS[kind]:
        if f.required and f.ctype != "key" and f.name in by_target:
            required[f.name] = [by_target[f.name].j]
    if kind == "subscriptions":
        feeding = [by_target[n].j for n in ("mrr", "arr", "amount", "quantity", "interval", "interval_count")
                   if n in by_target]
        if feeding:
            required["mrr"] = feeding
    columns = {name: typ for name, _, typ in out}
    return StagedSql(f"SELECT {', '.join(select)} FROM ({mid})", columns, labels, required, ambiguous, hidden,
                     has_bad, "_bad = ''" if has_bad else blank)


def _final_name(p: ColumnPlan) -> str:
    """The staged column holding plan ``p``'s value (the key's is ``_source_key``)."""
    return "_source_key" if p.ctype == "key" else p.target


# Prepare --------------------------------------------------------------------------------
STAGE_PREFIX = "_polaris_stage_"
# Staged tables older than this are leftovers of a session that ended without loading.
STALE_STAGE_SECONDS = 24 * 3600


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables of the workspace's own database (not temp, not attached)."""
    return [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = current_schema() AND NOT temporary").fetchall()]


def _matching():
    """cs_metrics.matching.match_keys when that module is present, else None."""
    try:
        from cs_metrics.matching import match_keys
    except ImportError:
        return None
    return match_keys


def sweep_stages(con: duckdb.DuckDBPyConnection, max_age_seconds: float = 3600) -> None:
    """Drop staged copies older than ``max_age_seconds``: the leftovers of a load that was
    killed or abandoned (called when a workspace is opened)."""
    _sweep_stages(con, _tables(con), max_age_seconds)


def _sweep_stages(con: duckdb.DuckDBPyConnection, tables: list[str],
                  max_age_seconds: float = STALE_STAGE_SECONDS) -> None:
    """Drop staged tables left behind more than a day ago (a session that never loaded)."""
    cutoff = int(time.time() - max_age_seconds)
    for name in tables:
        if name.startswith(STAGE_PREFIX):
            stamp = name[len(STAGE_PREFIX):].split("_")[0]
            if stamp.isdigit() and int(stamp) < cutoff:
                con.execute(f"DROP TABLE IF EXISTS {q(name)}")


def prepare(ws: Any, raw: RawFile, kind: str, mapping: dict[str, str], *, date_order: str | None = None,
            progress: Progress = None, tables: list[str] | None = None) -> Prepared:
    """Type, match and validate ``raw`` as ``kind`` with ``mapping`` into a staged table.

    ``date_order`` ('dmy' or 'mdy') answers the day/month question for ambiguous date
    columns. The returned :class:`Prepared` holds the validation report (errors block
    :func:`load`), a typed preview and the staged table's name in ``ws.con``. The staged
    table lives in the workspace file (so that loading it is a rename, not a copy) under an
    internal name; no canonical table changes. ``tables`` is the list of the workspace's tables
    when the caller has just read it (else it is read here).
    """
    con = ws.con
    report = ValidationReport()
    for issue in raw.issues:
        report.add(issue)
    if date_order not in (None, "dmy", "mdy"):
        raise fail("ingest.error.date_order", raw.filename, value=date_order)
    plan = build_plan(raw, kind, mapping, date_order, report, con)
    if plan is None:
        return _empty_prepared(raw, kind, mapping, report)
    _say(progress, 0.05, "ingest.progress.reading")
    tables = _tables(con) if tables is None else tables
    _sweep_stages(con, tables)
    tag = f"{int(time.time())}_{uuid.uuid4().hex[:10]}"
    table = f"{STAGE_PREFIX}{tag}"
    workdir = Path(tempfile.mkdtemp(prefix="polaris_ingest_"))
    accounts = "accounts" in tables and kind != "accounts"
    matcher = _matching() if accounts else None
    key_as_account = kind == "accounts" or not accounts
    try:
        (src, sq), info = _stage(con, raw, plan, table, workdir, tag, key_as_account)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    try:
        row_sql = "_row" if src.row_col else f"(rowid + {src.header_row + 1})"
        if info is not None:
            _normalise_issues(raw, info, report)
        con.execute(f"DELETE FROM {table} WHERE {sq.blank}")
        _say(progress, 0.6, "ingest.progress.checking")
        _resolve_ambiguous(con, table, sq, raw, report, date_order)
        match = None
        if accounts and not key_as_account:
            if matcher is not None:
                match = matcher(con, table, kind)
            else:
                con.execute(f"UPDATE {table} SET account_id = _source_key "
                            "WHERE _source_key IN (SELECT account_id FROM accounts)")
        _validate(con, table, row_sql, raw, plan, sq, report, accounts)
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if rows == 0:
            report.add(Issue("error", "ingest.error.no_rows", {}, file=raw.filename, sheet=raw.sheet))
        shown = [c for c in _table_columns(con, table) if c not in sq.hidden and c != "_source_file"]
        # rowid orders like the line numbers derived from it, and DuckDB reads only the first rows.
        preview = con.execute(f"SELECT {', '.join(q(c) for c in shown)} FROM {table} "
                              f"ORDER BY {'_row' if src.row_col else 'rowid'} LIMIT 20").df()
    except duckdb.Error as exc:
        _drop_quietly(con, [table])
        raise db_error(exc, raw.filename) from None
    except BaseException:
        _drop_quietly(con, [table])
        raise
    _say(progress, 1.0, "ingest.progress.checked")
    return Prepared(kind=kind, rows=int(rows), report=report, preview=preview, table=table, raw=raw,
                    mapping=dict(mapping), columns=sq.columns, row_sql=row_sql, match=match,
                    date_order=date_order, hidden=list(sq.hidden))


def _say(progress: Progress, share: float, key: str) -> None:
    if progress is not None:
        progress(share, key)


def _empty_prepared(raw: RawFile, kind: str, mapping: dict[str, str], report: ValidationReport) -> Prepared:
    return Prepared(kind=kind, rows=0, report=report, preview=pd.DataFrame(), table="", raw=raw,
                    mapping=dict(mapping), columns={}, row_sql="")


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


_PATH_IN_MESSAGE = re.compile(r"([\"'])(?:/|[A-Za-z]:\\)[^\"']*\1")


def db_error(exc: BaseException, filename: str, lang: str = "en") -> IngestError:
    """A DuckDB failure as a message for the user: a full disk or a read-only folder said
    plainly; anything else briefly, without file-system paths."""
    text = str(exc)
    low = text.lower()
    if "no space left" in low or "disk is full" in low or "disk full" in low:
        return fail("ingest.error.disk_full", filename, lang)
    if "read-only" in low or "read only" in low or "permission denied" in low:
        return fail("ingest.error.read_only", filename, lang)
    if isinstance(exc, duckdb.OutOfMemoryException) or "out of memory" in low:
        return fail("ingest.error.out_of_memory", filename, lang)
    detail = _PATH_IN_MESSAGE.sub("…", text.splitlines()[0] if text else type(exc).__name__)[:200]
    return fail("ingest.error.unreadable", filename, lang, detail=detail)


def _is_environment(exc: BaseException) -> bool:
    """Failures of the machine (disk, permissions, memory), not of the file: no retry helps."""
    low = str(exc).lower()
    return (isinstance(exc, (duckdb.IOException, duckdb.OutOfMemoryException, duckdb.PermissionException))
            or "no space left" in low or "read-only" in low or "permission denied" in low)


def _try_direct(con, raw: RawFile, plan: Plan, table: str, path: Path, scan: Future, tag: str,
                native: dict[int, str], key_as_account: bool) -> tuple[tuple[Source, StagedSql] | None, bool]:
    """One path-A attempt. Returns the staged source if every line became one row, and
    whether a retry with all columns as text can help (only cast failures were rejected)."""
    src = direct_source(raw, path, tag, native)
    sq = staged_sql(plan, src, raw, key_as_account=key_as_account)
    try:
        # CREATE TABLE AS returns the number of rows it wrote.
        rows = con.execute(f"CREATE TABLE {table} AS {sq.sql}").fetchone()[0]
        kinds = [r[0] for r in con.execute(f"SELECT DISTINCT error_type FROM {src.rejects[0]}").fetchall()]
    except duckdb.Error as exc:
        if _is_environment(exc):
            _drop_quietly(con, [table, *(src.rejects or ())])
            raise db_error(exc, raw.filename) from None
        rows, kinds = -1, ["ERROR"]
    finally:
        _drop_quietly(con, list(src.rejects or ()))
    counted = scan.result()
    if counted.has_nul:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        raise fail("ingest.error.binary", raw.filename)
    lines = counted.newlines + (0 if counted.ends_with_newline else 1)
    # Equal counts prove every line became one row, so rowid gives the line number.
    if not kinds and lines == raw.header_row + rows:
        return (src, sq), False
    con.execute(f"DROP TABLE IF EXISTS {table}")
    return None, bool(native) and set(kinds) <= {"CAST"}


def _stage(con, raw: RawFile, plan: Plan, table: str, workdir: Path, tag: str, key_as_account: bool):
    """Create the staged table: path A (DuckDB reads the file, plain columns typed by the
    reader, then all as text) when it keeps the line numbers, else path B."""
    if raw.format == "csv" and not plan.wide and not any(i.severity == "error" for i in raw.issues):
        path, scan = utf8_file(raw, workdir)
        native = {p.j: p.native for p in plan.columns if p.native}
        for attempt in ([native] if native else []) + [{}]:
            staged, retry = _try_direct(con, raw, plan, table, path, scan, tag, attempt, key_as_account)
            if staged is not None:
                return staged, None
            if not retry:
                break
    src, info = normalised_source(raw, workdir)
    sq = staged_sql(plan, src, raw, key_as_account=key_as_account)
    try:
        con.execute(f"CREATE TABLE {table} AS {sq.sql}")
    except duckdb.Error as exc:
        _drop_quietly(con, [table])
        raise db_error(exc, raw.filename) from None
    return (src, sq), info


def _drop_quietly(con, tables: list[str]) -> None:
    for name in tables:
        try:
            con.execute(f"DROP TABLE IF EXISTS {name}")
        except duckdb.Error:
            pass


def _normalise_issues(raw: RawFile, info: Normalised, report: ValidationReport) -> None:
    report.errors[:] = [e for e in report.errors if e.key not in ("ingest.error.ragged_long", "ingest.error.cell_too_large")]
    report.warnings[:] = [w for w in report.warnings if w.key != "ingest.warning.ragged_short"]
    if info.n_long:
        report.add(Issue("error", "ingest.error.ragged_long", {"n": len(raw.header_values or raw.columns)},
                         file=raw.filename, sheet=raw.sheet, rows=info.long_rows, count=info.n_long))
    if info.n_short:
        report.add(Issue("warning", "ingest.warning.ragged_short", {"n": len(raw.header_values or raw.columns)},
                         file=raw.filename, sheet=raw.sheet, rows=info.short_rows, count=info.n_short))
    for line, pos, size in info.big_cells[:1]:
        report.add(Issue("error", "ingest.error.cell_too_large",
                         {"size": f"{size / (1 << 20):.1f} MB", "limit": f"{raw.max_cell_bytes / (1 << 20):g} MB"},
                         file=raw.filename, sheet=raw.sheet, column=raw.columns[pos],
                         rows=[b[0] for b in info.big_cells], count=len(info.big_cells)))


def _resolve_ambiguous(con, table: str, sq: StagedSql, raw: RawFile, report: ValidationReport,
                       date_order: str | None) -> None:
    """Day/month order of ambiguous columns: decided by the whole file when it can, else asked."""
    asked = []
    for target, (plan, raw_alias) in sq.ambiguous.items():
        spec = plan.date
        out = {"date": "DATE", "timestamp": "TIMESTAMP", "month": "MONTH"}[plan.ctype]
        mine = V.date_sql(q(raw_alias), spec, out, spec.formats)
        theirs = V.date_sql(q(raw_alias), spec, out, spec.alt_formats)
        ok_mine, ok_theirs = con.execute(
            f"SELECT count({mine}), count({theirs}) FROM {table} WHERE {q(raw_alias)} IS NOT NULL").fetchone()
        if ok_theirs > ok_mine:
            con.execute(f"UPDATE {table} SET {q(target)} = {theirs}")
            order = "mdy" if spec.order == "dmy" else "dmy"
            spec.formats, spec.alt_formats, spec.order = spec.alt_formats, spec.formats, order
            _rebuild_bad(con, table, sq, plan, raw_alias, theirs)
            report.add(Issue("note", "ingest.note.date_order", {"order": Term(f"ingest.order.{order}")}, file=raw.filename,
                             sheet=raw.sheet, column=plan.source))
        elif ok_mine > ok_theirs:
            report.add(Issue("note", "ingest.note.date_order", {"order": Term(f"ingest.order.{spec.order}")}, file=raw.filename,
                             sheet=raw.sheet, column=plan.source))
        else:
            asked.append(plan)
    if asked:
        default = asked[0].date.order if asked[0].date else "dmy"
        example = next((v for v in _sample_values(raw, asked[0].j)), "")
        report.questions.append(Question(
            "date_order", "ingest.question.date_order",
            {"columns": ", ".join(f"“{p.source}”" for p in asked), "example": example},
            ["dmy", "mdy"], default if date_order is None else date_order, [p.source for p in asked]))
        if date_order is None:
            report.add(Issue("warning", "ingest.warning.date_order_default", {"order": Term(f"ingest.order.{default}")},
                             file=raw.filename, sheet=raw.sheet, column=", ".join(p.source for p in asked)))
    for _, raw_alias in sq.ambiguous.values():
        con.execute(f"ALTER TABLE {table} DROP COLUMN {q(raw_alias)}")


def _rebuild_bad(con, table: str, sq: StagedSql, plan: ColumnPlan, raw_alias: str, typed: str) -> None:
    """After switching a column's day/month order, recompute its unreadable-value entries."""
    j = str(plan.j)
    kept = (f"NULLIF(array_to_string(list_filter(string_split(coalesce(_bad, ''), {SEP_ENTRY}), "
            f"lambda e: e <> '' AND split_part(e, {SEP_FIELD}, 1) <> {V.lit(j)}), {SEP_ENTRY}), '')")
    mine = (f"CASE WHEN {q(raw_alias)} IS NOT NULL AND {typed} IS NULL THEN {V.lit(j)} || {SEP_FIELD} || "
            f"left({q(raw_alias)}, {EXAMPLE_CHARS}) END")
    con.execute(f"UPDATE {table} SET _bad = NULLIF(concat_ws({SEP_ENTRY}, {kept}, {mine}), '')")


# Validation -------------------------------------------------------------------------------
_BAD_KEYS = {
    "date": "ingest.bad.date", "timestamp": "ingest.bad.date", "month": "ingest.bad.month",
    "money": "ingest.bad.number", "number": "ingest.bad.number", "score": "ingest.bad.score",
    "bool": "ingest.bad.bool", "status": "ingest.bad.status", "health": "ingest.bad.health",
    "priority": "ingest.bad.priority", "satisfaction": "ingest.bad.satisfaction",
    "interval": "ingest.bad.interval",
}


def _validate(con, table: str, row_sql: str, raw: RawFile, plan: Plan, sq: StagedSql,
              report: ValidationReport, accounts: bool) -> None:
    where = {"file": raw.filename, "sheet": raw.sheet}
    kind = plan.kind
    by_j = {p.j: p for p in plan.columns}
    required_js = {j for js in sq.required.values() for j in js}
    bad_rows = con.execute(
        f"SELECT CAST(split_part(e, {SEP_FIELD}, 1) AS INTEGER) AS j, count(*) AS n, min(r, 5) AS rows, "
        f"arg_min(split_part(e, {SEP_FIELD}, 2), r) AS example FROM (SELECT {row_sql} AS r, "
        f"unnest(string_split(_bad, {SEP_ENTRY})) AS e FROM {table} WHERE _bad IS NOT NULL) "
        "GROUP BY 1 ORDER BY min(r)").fetchall() if sq.has_bad else []
    for j, n, rows, example in bad_rows:
        p = by_j.get(j)
        ctype = p.ctype if p is not None else "money"
        is_month = p is None and any(j == m for m, _ in plan.wide)
        severity = "error" if (j in required_js or is_month or ctype == "interval") else "warning"
        key = _BAD_KEYS.get(ctype, "ingest.bad.number")
        if severity == "warning":
            key += ".kept_empty"
        report.add(Issue(severity, key, {"example": example, "n": f"{n:,}"}, column=sq.labels.get(j, str(j)),
                         rows=list(rows), count=int(n), **where))
    checks: list[tuple[str, str, dict, str | None, str]] = []  # (key, condition, params, column, severity)
    for name, js in sq.required.items():
        colname = "_source_key" if name == "_source_key" else name
        j = js[0]
        pattern = V.lit("(^|\\x1e)(" + "|".join(str(x) for x in js) + ")\\x1f")
        cond = (f"{q(colname)} IS NULL AND (_bad IS NULL OR NOT regexp_matches(_bad, {pattern}))"
                if sq.has_bad else f"{q(colname)} IS NULL")
        if plan.wide and name == "_source_key":
            cond = f"{q(colname)} IS NULL"
        checks.append(("ingest.error.required_empty", cond, {}, sq.labels.get(j), "error"))
    if kind in ("mrr", "subscriptions") or (kind == "accounts" and ("mrr" in sq.columns)):
        label = _label_of(plan, "mrr") or _label_of(plan, "arr") or _label_of(plan, "amount")
        checks.append(("ingest.error.negative_mrr", "mrr < 0", {}, label, "error"))
    if kind == "nps":
        checks.append(("ingest.error.score_range", "score NOT BETWEEN 0 AND 10", {}, _label_of(plan, "score"), "error"))
    if accounts and kind != "accounts":
        checks.append(("ingest.warning.unknown_account", "account_id IS NULL AND _source_key IS NOT NULL", {},
                       sq.labels.get(plan.key_j) if plan.key_j is not None else None, "warning"))
    # Dates the CSV reader typed itself: it also takes 'infinity' and '-infinity' as dates,
    # so a value outside the plausible range is unreadable, as on the text path. A check on
    # the stored column, which the block statistics answer for almost every block.
    for p in plan.columns:
        if p.native is not None and p.ctype in _DATE_OUT:
            name = _final_name(p)
            checks.append((_BAD_KEYS.get(p.ctype, "ingest.bad.date"),
                           f"{q(name)} IS NOT NULL AND NOT ({q(name)} BETWEEN DATE '1900-01-01' AND DATE '2200-12-31')",
                           {"_column": name}, p.source, "error"))
    # Text cells over the size limit (the sample only saw the first rows).
    limit = raw.max_cell_bytes
    for p in plan.columns:
        if _OUT_TYPES[p.ctype] == "VARCHAR" and p.native is None:
            name = _final_name(p)
            size = f"{limit / (1 << 20):g} MB"
            checks.append(("ingest.error.cell_too_large", f"strlen({q(name)}) > {int(limit)}",
                           {"size": f"> {size}", "limit": size}, p.source, "error"))
    if checks:
        found = _check_counts(con, table, row_sql, [c for _, c, _, _, _ in checks], wide=bool(plan.wide))
        for (key, _, params, column, severity), (n, rows) in zip(checks, found):
            if n:
                extra = {}
                if "_column" in params:
                    name = params["_column"]
                    extra = {"example": con.execute(
                        f"SELECT CAST({q(name)} AS VARCHAR) FROM {table} WHERE {q(name)} IS NOT NULL AND NOT "
                        f"({q(name)} BETWEEN DATE '1900-01-01' AND DATE '2200-12-31') LIMIT 1").fetchone()[0]}
                if key == "ingest.warning.unknown_account":
                    keys = [r[0] for r in con.execute(
                        f"SELECT _source_key FROM {table} WHERE account_id IS NULL AND _source_key IS NOT NULL "
                        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3").fetchall()]
                    extra = {"keys": ", ".join(keys), "n": f"{n:,}"}
                shown = {k: v for k, v in params.items() if not k.startswith("_")}
                report.add(Issue(severity, key, {**shown, **extra, "n": f"{n:,}"}, column=column,
                                 rows=list(rows or []), count=int(n), **where))
    dup_keys = {"accounts": ["account_id"], "mrr": ["_source_key", "month"]}.get(kind)
    if dup_keys:
        cols = ", ".join(q(c) for c in dup_keys)
        notnull = " AND ".join(f"{q(c)} IS NOT NULL" for c in dup_keys)
        # A cheap test first; exact grouping only when it finds (or may have found) some.
        maybe = _may_have_duplicates(con, table, dup_keys)
        groups, dup_rows = con.execute(
            f"SELECT count(*), sum(n) FROM (SELECT count(*) AS n FROM {table} WHERE {notnull} "
            f"GROUP BY {cols} HAVING count(*) > 1)").fetchone() if maybe else (0, 0)
        if groups:
            first = con.execute(
                f"SELECT {cols} FROM {table} WHERE {notnull} GROUP BY {cols} HAVING count(*) > 1 "
                f"ORDER BY min({row_sql}) LIMIT 1").fetchone()
            match = " AND ".join(f"{q(c)} = ?" for c in dup_keys)
            rows = [r[0] for r in con.execute(
                f"SELECT {row_sql} FROM {table} WHERE {match} ORDER BY 1 LIMIT 5", list(first)).fetchall()]
            example = " / ".join(str(v) for v in first)
            column = sq.labels.get(plan.key_j) if plan.key_j is not None else None
            report.add(Issue("error", f"ingest.error.duplicate_{kind}", {"value": example, "groups": f"{groups:,}"},
                             column=column, rows=rows, count=int(dup_rows), **where))
    for p in plan.columns:
        if p.date is not None and p.date.evidence:
            report.add(Issue("note", "ingest.note.date_order_file",
                             {"order": Term(f"ingest.order.{p.date.order}"), "other": p.date.evidence},
                             column=p.source, **where))
        if p.date is not None and p.date.decided and not p.date.ambiguous:
            report.add(Issue("note", "ingest.note.date_order", {"order": Term(f"ingest.order.{p.date.order}")},
                             column=p.source, **where))


# Months of a key's history below which duplicate (key, month) rows are found with one bitmap
# of months per key; longer spans fall back to hashing every (key, month) pair.
BITMAP_MONTHS = 600


def _check_counts(con, table: str, row_sql: str, conditions: list[str], *, wide: bool) -> list[tuple[int, list]]:
    """For each condition: how many rows meet it and the first five row numbers.

    One ``UNION ALL`` branch per condition, each with the condition as its WHERE clause, so
    that DuckDB skips every row group whose statistics rule the condition out (a column
    without NULLs, an MRR column whose minimum is not negative): on a clean file most checks
    read nothing. In a wide MRR sheet several months come from one row, so rows are counted
    and listed once each.
    """
    agg = (f"count(DISTINCT {row_sql}), list_sort(list_distinct(list({row_sql})))[1:5]" if wide
           else f"count(*), min({row_sql}, 5)")
    sql = " UNION ALL ".join(f"SELECT {i} AS i, {agg} FROM {table} WHERE {cond}"
                             for i, cond in enumerate(conditions))
    found = {int(r[0]): (int(r[1] or 0), list(r[2] or [])) for r in con.execute(sql).fetchall()}
    return [found.get(i, (0, [])) for i in range(len(conditions))]


def _may_have_duplicates(con, table: str, keys: list[str]) -> bool:
    """Whether two rows share the same key (``keys``, none of them NULL).

    For MRR (key + month) it is exact and cheap: per key, a bitmap of its months
    (``bitstring_agg``) counts the distinct months, so the rows in excess of them are the
    duplicates; one aggregate over the keys instead of a hash table over every row. Otherwise
    (or when the months span more than :data:`BITMAP_MONTHS`) it compares the row count with
    the distinct hashes of the keys, which can only err towards "maybe" (a hash collision);
    the caller then groups exactly.
    """
    notnull = " AND ".join(f"{q(c)} IS NOT NULL" for c in keys)
    if keys == ["_source_key", "month"]:
        # Months numbered year * 12 + month; NULL for no month at all or an infinite date.
        first, last = con.execute(
            f"SELECT year(min(month)) * 12 + month(min(month)), year(max(month)) * 12 + month(max(month)) "
            f"FROM {table}").fetchone()
        if first is not None and last is not None and last - first < BITMAP_MONTHS:
            surplus = con.execute(
                f"SELECT sum(n) - sum(bit_count(b)) FROM (SELECT count(*) AS n, "
                f"bitstring_agg(year(month) * 12 + month(month), {int(first)}, {int(last)}) AS b "
                f"FROM {table} WHERE {notnull} GROUP BY _source_key)").fetchone()[0]
            return bool(surplus)
    cols = ", ".join(q(c) for c in keys)
    return bool(con.execute(f"SELECT count(*) > count(DISTINCT hash({cols})) FROM {table} "
                            f"WHERE {notnull}").fetchone()[0])


def _label_of(plan: Plan, target: str) -> str | None:
    return next((p.source for p in plan.columns if p.target == target), None)


def discard(ws: Any, prepared: Prepared) -> None:
    """Drop the staged table of a prepared file that will not be loaded."""
    if prepared.table:
        ws.con.execute(f"DROP TABLE IF EXISTS {prepared.table}")
