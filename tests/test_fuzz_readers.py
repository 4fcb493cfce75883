"""Property-based fuzzing of the file readers: whatever arrives, Polaris answers with a message.

For random bytes, random CSV files (delimiters, quoting, line ends, encodings, title rows,
ragged rows, hostile cells) and random XLSX workbooks, the whole ingest pipeline
(``inspect_file`` -> ``detect_kind`` -> ``propose_mapping`` or a random mapping ->
``prepare`` -> ``load``) either loads the file or raises a PolarisError whose messages
render in English and Chinese: never another exception (a traceback on the Data page),
never a hang (each file has a time limit), never unbounded memory (crafted bombs run in a
child process whose memory is watched). Limits on size, rows, columns and cell size give a
clear message and are configurable (cs_metrics/limits.py).

Time: about 40 s in the normal suite. Longer runs on demand:
``POLARIS_FUZZ_SECONDS=600 pytest tests/test_fuzz_readers.py -m slow`` (each long test
runs for that many seconds).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cs_metrics import ingest, limits
from cs_metrics.errors import InputError, PolarisError
from cs_metrics.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
FILE_SECONDS = 20.0  # one small fuzzed file must be answered well within this
LONG_SECONDS = float(os.environ.get("POLARIS_FUZZ_SECONDS") or 0) or 600.0
FOLDER = Path(os.environ.get("POLARIS_FUZZ_DIR") or "/tmp") / f"polaris_fuzz_{os.getpid()}"


class Hang(BaseException):
    """A file took longer than its time limit (BaseException: `except Exception` cannot hide it)."""


@contextmanager
def time_limit(seconds: float):
    """Raise Hang in this (main) thread after ``seconds``; re-arms pytest-timeout's own alarm."""
    def _raise(signum, frame):
        raise Hang(f"no answer after {seconds:.0f} s")

    old_handler = signal.signal(signal.SIGALRM, _raise)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay:
            signal.setitimer(signal.ITIMER_REAL, max(old_delay - (time.monotonic() - start), 0.01), old_interval)


def new_workspace(with_accounts: bool) -> Workspace:
    ws = Workspace.create(":memory:")
    if with_accounts:
        ws.write_frame("accounts", pd.DataFrame({
            "account_id": ["A1", "A2", "客户3"], "account_name": ["Acme Ltd", "北京星辰科技有限公司", "Zeta"],
            "segment": ["SMB", "ENT", "SMB"]}))
    return ws


def note_event(text: str) -> None:
    """hypothesis.event (statistics with --hypothesis-show-statistics), also usable outside a property."""
    from hypothesis.control import currently_in_test_context

    if currently_in_test_context():
        event(text)


def render(exc: PolarisError) -> list[str]:
    """Every line a user would see for ``exc``, in both languages."""
    lines = [str(exc)] + list(getattr(exc, "problems", []) or [])
    if hasattr(exc, "messages"):
        lines += exc.messages("en") + exc.messages("zh")
    return lines


def run_pipeline(path: Path, filename: str, *, with_accounts: bool = False, choose=None,
                 date_order: str | None = None, mode: str = "replace") -> tuple[str, int | None]:
    """Inspect, detect, map, prepare and load ``path``; return how it ended and the rows loaded.

    ``choose(raw, kind, mapping)`` may replace the proposed kind and mapping (a user's choice).
    """
    outcome = _pipeline(path, filename, with_accounts=with_accounts, choose=choose, date_order=date_order,
                        mode=mode)
    note_event(f"outcome: {outcome[0]}")
    return outcome


def _pipeline(path: Path, filename: str, *, with_accounts: bool, choose, date_order: str | None,
              mode: str) -> tuple[str, int | None]:
    ws = new_workspace(with_accounts)
    try:
        with time_limit(FILE_SECONDS):
            try:
                raw = ingest.inspect_file(path, filename=filename)
                kind, confidence = ingest.detect_kind(raw)
                assert kind in ingest.KINDS and 0 <= confidence <= 1
                mapping = ingest.propose_mapping(raw, kind, ws)
                if choose is not None:
                    kind, mapping = choose(raw, kind, mapping)
                prepared = ingest.prepare(ws, raw, kind, mapping, date_order=date_order)
                report = prepared.report
                for issue in report.errors + report.warnings + report.notes:
                    assert issue.message("en") and issue.message("zh")
                for question in report.questions:
                    assert question.text("en") and question.text("zh")
                if not report.ok:
                    ingest.discard(ws, prepared)
                    return "refused", None
                result = ingest.load(ws, prepared, mode=mode)
                assert result.rows == prepared.rows
                loaded = ws.con.execute(f'SELECT count(*) FROM "{kind}"').fetchone()[0]
                assert loaded == result.rows or (mode == "append" and loaded >= result.rows)
                return "loaded", result.rows
            except PolarisError as exc:
                note_event(f"message: {getattr(exc, 'issues', [None])[0].key if getattr(exc, 'issues', None) else type(exc).__name__}")
                lines = render(exc)
                assert all(isinstance(line, str) and line.strip() for line in lines), lines
                assert str(path.parent) not in " ".join(lines), f"a message shows the folder: {lines}"
                return "message", None
    finally:
        ws.close()


def fresh_path(suffix: str) -> Path:
    FOLDER.mkdir(parents=True, exist_ok=True)
    return FOLDER / f"f_{uuid.uuid4().hex[:12]}{suffix}"


@pytest.fixture(autouse=True, scope="module")
def _clean_folder():
    yield
    import shutil

    shutil.rmtree(FOLDER, ignore_errors=True)


# Strategies ----------------------------------------------------------------------------------
HEADERS = ["account_id", "Account ID", "客户编号", "客户名称", "Customer", "account_name", "segment", "行业",
           "month", "月份", "MRR", "mrr", "ARR", "年合同额", "date", "日期", "active_users", "活跃用户数", "seats",
           "events", "ticket_id", "工单编号", "created_at", "resolved_at", "priority", "优先级", "status", "状态",
           "satisfaction", "score", "NPS", "推荐值", "comment", "goal", "target", "baseline", "current",
           "due_date", "subscription_id", "start_date", "end_date", "amount", "quantity", "interval", "plan",
           "renewal_date", "churn_date", "owner", "2024-01", "2024-02", "Jan 2024", "2024年3月", "", " ", "id",
           'x"; DROP TABLE accounts; --', "column_1", "_source_key", "_row", "a" * 70]
SPECIAL_CELLS = ["", " ", "N/A", "-", "—", "null", "NaN", "1,234.50", "1.234,50", "¥1,200", "$-3", "(300)", "12%",
                 "1e309", "-0", "9" * 40, "2024-01-31", "31/01/2024", "01/02/2024", "2/30/2024", "2024年1月5日",
                 "Jan 2024", "2024-13-01", "45000", "TRUE", "是", "否", "P1", "Urgent", "=SUM(A1:A3)", '"quoted"',
                 "a,b;c|d\te", "line\nbreak", "cr\rbreak", "\x00nul", "\ufeffbom", "客户A", "Ａｃｍｅ"]
cells = st.one_of(st.sampled_from(SPECIAL_CELLS), st.text(max_size=14),
                  st.integers(-10**12, 10**12).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                  st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)).map(str))
headers = st.one_of(st.sampled_from(HEADERS), st.text(max_size=10))


@st.composite
def tables(draw, max_cols: int = 7, max_rows: int = 14):
    n = draw(st.integers(1, max_cols))
    header = draw(st.lists(headers, min_size=n, max_size=n))
    ragged = draw(st.booleans())
    width = st.integers(max(0, n - 2), n + 2) if ragged else st.just(n)
    rows = draw(st.lists(width.flatmap(lambda w: st.lists(cells, min_size=w, max_size=w)), max_size=max_rows))
    return header, rows


@st.composite
def csv_files(draw):
    header, rows = draw(tables())
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "big5", "cp1252", "latin-1"]))
    titles = draw(st.lists(st.text(max_size=20), max_size=2))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    for title in titles:
        writer.writerow([title])
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding, errors="replace")
    suffix = draw(st.sampled_from([".csv", ".txt", ".tsv", ".dat", ""]))
    return data, suffix


@st.composite
def xlsx_files(draw):
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    values = st.one_of(
        st.none(), st.integers(-10**15, 10**15), st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(), st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)),
        st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)), st.times(),
        st.sampled_from(SPECIAL_CELLS + ["=1+1", "=A1", "=NOW()"]),
        st.text(max_size=14))
    def clean(row: list) -> list:
        # Excel cannot hold control characters; openpyxl refuses them.
        return [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row]

    book = openpyxl.Workbook()
    for s in range(draw(st.integers(1, 3))):
        sheet = book.active if s == 0 else book.create_sheet()
        sheet.title = draw(st.sampled_from(["Sheet1", "客户", "MRR", "说明", "data'; --", f"S{s}"])) + str(s)
        for _ in range(draw(st.integers(0, 2))):
            sheet.append(clean([draw(st.text(max_size=20))]))
        header, _ = draw(tables(max_rows=0))
        sheet.append(clean(header))
        width = len(header)
        for _ in range(draw(st.integers(0, 12))):
            sheet.append(clean(draw(st.lists(values, min_size=0, max_size=width + 1))))
        if draw(st.booleans()) and sheet.max_row >= 2 and sheet.max_column >= 2:
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


MONTHS = ["2024-01", "2024-01-01", "2024/1/1", "Jan 2024", "2024年1月", "01/2024", "2024-02", "2024-03-31", "Mar-24"]
AMOUNTS = ["1,234.50", "￥1,200", "$980", "(300)", "12", "0", "", "1.234,5", "1 200", "12.5k", "-40"]
DATES = ["2024-01-15", "15/01/2024", "01/15/2024", "2024年1月15日", "20240115", "45306", "Jan 15, 2024", ""]
PLAUSIBLE = {
    "accounts": ([("account_id", "客户编号"), ("account_name", "客户名称"), ("segment", "客户分层"), ("arr", "年合同额"),
                  ("renewal_date", "续约日期"), ("status", "状态")],
                 [None, ["Acme", "北京星辰", "Zeta & Co", ""], ["SMB", "ENT", "中型"], AMOUNTS, DATES,
                  ["active", "churned", "活跃", "流失", "notice", ""]]),
    "mrr": ([("account_id", "客户编号"), ("month", "月份"), ("mrr", "MRR")], [None, MONTHS, AMOUNTS]),
    "usage": ([("account_id", "客户编号"), ("date", "日期"), ("active_users", "活跃用户数"), ("events", "事件数")],
              [None, DATES, ["3", "0", "12", "", "1,024"], ["10", "2.5", "", "n/a"]]),
    "tickets": ([("account_id", "客户编号"), ("ticket_id", "工单编号"), ("created_at", "创建时间"),
                 ("priority", "优先级"), ("status", "状态")],
                [None, ["T1", "T2", "T3", "T4"], DATES + ["2024-01-15 13:45"], ["P1", "High", "高", "low", ""],
                 ["open", "closed", "已关闭", "Resolved"]]),
    "nps": ([("account_id", "客户编号"), ("date", "日期"), ("score", "推荐值")], [None, DATES, ["10", "9", "0", "7.5", "11", ""]]),
}


@st.composite
def plausible_csv(draw):
    """An export that mostly follows a kind's usual layout, with messy but common values."""
    kind = draw(st.sampled_from(sorted(PLAUSIBLE)))
    names, pools = PLAUSIBLE[kind]
    chinese = draw(st.booleans())
    header = [zh if chinese else en for en, zh in names]
    ids = draw(st.lists(st.sampled_from(["A1", "A2", "客户3", "A4", "a1 ", "A5"]), min_size=1, max_size=12))
    if kind == "accounts":
        ids = list(dict.fromkeys(i.strip() for i in ids))
    rows = []
    for i, account in enumerate(ids):
        row = [account] + [draw(st.sampled_from(pool)) for pool in pools[1:]]
        if kind == "mrr":
            row[1] = MONTHS[i % len(MONTHS)] if draw(st.booleans()) else row[1]
        if kind == "tickets":
            row[1] = f"T{i}"
        rows.append(row)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding, errors="replace"), kind, len(rows)


raw_bytes = st.one_of(
    st.binary(max_size=3000),
    st.tuples(st.sampled_from([b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
                               b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"%PDF-1.4\n", b"<html>", b"{\"a\":"]),
              st.binary(max_size=3000)).map(lambda p: p[0] + p[1]))


def random_choice(data):
    """A user's random choice of kind and mapping (any column to any valid target)."""
    def choose(raw, kind, mapping):
        kind = data.draw(st.sampled_from(ingest.KINDS), label="kind")
        targets = sorted(ingest.valid_targets(kind)) + ["", "month:2024-01"]
        chosen = {c: data.draw(st.sampled_from(targets), label=f"map {c}") for c in raw.columns}
        return kind, chosen
    return choose


# CI runs (bounded) ---------------------------------------------------------------------------
def ci(max_examples: int) -> settings:
    """Bounded settings for the normal suite (about 40 s for the four properties in all)."""
    return settings(max_examples=max_examples, deadline=None, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@ci(60)
@given(raw_bytes, st.sampled_from([".csv", ".txt", ".tsv", ".xlsx", ".xls", ".xlsm", ".pdf", ""]))
def test_random_bytes_never_crash(data, suffix):
    path = fresh_path(suffix)
    path.write_bytes(data)
    run_pipeline(path, f"upload{suffix}")


@ci(50)
@given(csv_files(), st.booleans(), st.sampled_from([None, "dmy", "mdy"]))
def test_random_csv_dialects_never_crash(file, with_accounts, date_order):
    data, suffix = file
    path = fresh_path(suffix)
    path.write_bytes(data)
    run_pipeline(path, f"export{suffix}", with_accounts=with_accounts, date_order=date_order)


@ci(30)
@given(csv_files(), st.data())
def test_random_mappings_never_crash(file, data):
    """Any column mapped to any target by the user: a message, never a traceback."""
    content, suffix = file
    path = fresh_path(suffix)
    path.write_bytes(content)
    run_pipeline(path, f"export{suffix}", with_accounts=data.draw(st.booleans()), choose=random_choice(data),
                 mode=data.draw(st.sampled_from(["replace", "append"])))


@ci(40)
@given(plausible_csv(), st.booleans(), st.sampled_from([None, "dmy", "mdy"]))
def test_plausible_exports_load_or_explain(file, with_accounts, date_order):
    """Exports close to what CRMs and billing systems write: loaded, or refused with reasons."""
    content, kind, n_rows = file
    path = fresh_path(".csv")
    path.write_bytes(content)
    outcome, loaded = run_pipeline(path, f"{kind}.csv", with_accounts=with_accounts, date_order=date_order)
    if outcome == "loaded":
        assert loaded == n_rows, f"{n_rows} rows in the file, {loaded} loaded"


def test_an_unclosed_quote_does_not_swallow_the_rest_of_the_file(tmp_path):
    """A quote opened and never closed turns every following line into one cell: the file's
    rows must not silently become one row (lose nothing)."""
    path = tmp_path / "unclosed.csv"
    path.write_text('account_id,notes\nA1,"never closed\nA2,z\nA3,y\nA4,x\n', encoding="utf-8")
    outcome, loaded = run_pipeline(path, "unclosed.csv")
    assert outcome != "loaded" or loaded == 4, f"4 data lines became {loaded} row(s) without a word"


@ci(25)
@given(xlsx_files(), st.booleans())
def test_random_workbooks_never_crash(content, with_accounts):
    path = fresh_path(".xlsx")
    path.write_bytes(content)
    run_pipeline(path, "workbook.xlsx", with_accounts=with_accounts)


# Long runs on demand ---------------------------------------------------------------------------
def _long(strategy_test):
    """The same property for LONG_SECONDS (POLARIS_FUZZ_SECONDS), marked slow."""
    return pytest.mark.slow(pytest.mark.timeout(LONG_SECONDS + 120)(strategy_test))


def _for_long(prop) -> int:
    """Run the hypothesis property ``prop`` again and again (fresh random examples each time)
    until LONG_SECONDS have passed; return how many rounds ran."""
    deadline = time.monotonic() + LONG_SECONDS
    rounds = 0
    while time.monotonic() < deadline:
        prop()
        rounds += 1
    return rounds


_LONG = settings(deadline=None, max_examples=25, database=None, print_blob=True,
                 suppress_health_check=list(HealthCheck))


@_long
def test_long_fuzz_random_bytes():
    @_LONG
    @given(raw_bytes, st.sampled_from([".csv", ".txt", ".xlsx", ".xls", ""]))
    def prop(data, suffix):
        path = fresh_path(suffix)
        path.write_bytes(data)
        run_pipeline(path, f"upload{suffix}")
        path.unlink()
    assert _for_long(prop) >= 1


@_long
def test_long_fuzz_csv_and_mappings():
    @_LONG
    @given(csv_files(), st.data())
    def prop(file, data):
        content, suffix = file
        path = fresh_path(suffix)
        path.write_bytes(content)
        mapped = data.draw(st.booleans())
        run_pipeline(path, f"export{suffix}", with_accounts=data.draw(st.booleans()),
                     choose=random_choice(data) if mapped else None,
                     date_order=data.draw(st.sampled_from([None, "dmy", "mdy"])),
                     mode=data.draw(st.sampled_from(["replace", "append"])))
        path.unlink()
    assert _for_long(prop) >= 1


@_long
def test_long_fuzz_workbooks():
    @_LONG
    @given(xlsx_files(), st.booleans(), st.data())
    def prop(content, with_accounts, data):
        path = fresh_path(".xlsx")
        path.write_bytes(content)
        run_pipeline(path, "workbook.xlsx", with_accounts=with_accounts,
                     choose=random_choice(data) if data.draw(st.booleans()) else None)
        path.unlink()
    assert _for_long(prop) >= 1


# Crafted bombs: time and memory watched in a child process ---------------------------------------
CHILD = """
import sys, resource
sys.path.insert(0, {root!r})
from cs_metrics import ingest
from cs_metrics.errors import PolarisError
from cs_metrics.workspace import Workspace
ws = Workspace.create(":memory:")
try:
    raw = ingest.inspect_file({path!r}, filename={name!r})
    kind, _ = ingest.detect_kind(raw)
    prepared = ingest.prepare(ws, raw, kind, ingest.propose_mapping(raw, kind, ws))
    outcome = "ok" if prepared.report.ok else "refused: " + " | ".join(prepared.report.messages("en"))
except PolarisError as exc:
    outcome = "message: " + str(exc)
print(outcome)
"""


def run_bounded(path: Path, name: str, seconds: float = 60, max_rss_mb: float = 1500) -> tuple[str, float, float]:
    """Run the pipeline on ``path`` in a child process; kill it beyond ``seconds`` or
    ``max_rss_mb``. Returns (its output, seconds, peak RSS in MB)."""
    code = CHILD.format(root=str(ROOT), path=str(path), name=name)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    start, peak = time.monotonic(), 0.0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status", encoding="ascii") as fh:
                rss = next((int(line.split()[1]) / 1024 for line in fh if line.startswith("VmRSS:")), 0.0)
        except OSError:
            rss = 0.0
        peak = max(peak, rss)
        elapsed = time.monotonic() - start
        if elapsed > seconds or peak > max_rss_mb:
            proc.kill()
            proc.wait()
            pytest.fail(f"{name}: killed after {elapsed:.0f} s at {peak:.0f} MB (limits {seconds:.0f} s, "
                        f"{max_rss_mb:.0f} MB)")
        time.sleep(0.05)
    out, err = proc.communicate()
    assert proc.returncode == 0, f"{name}: traceback\n{err[-3000:]}"
    return out.strip(), time.monotonic() - start, peak


def _xlsx_with_sheet_xml(path: Path, sheet_xml: str, shared: list[str] | None = None) -> Path:
    """A minimal valid workbook whose single sheet is ``sheet_xml`` (deflated: bombs stay small)."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.'
            'xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '</Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} {rel}><sheets><sheet name="Sheet1" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship '
            'Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>'),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} count="{len(shared or [])}" '
            f'uniqueCount="{len(shared or [])}">' + "".join(f"<si><t>{s}</t></si>" for s in shared or [])
            + "</sst>"),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def _sheet(rows_xml: str, dimension: str = "A1:B2") -> str:
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><dimension ref="{dimension}"/>'
            f"<sheetData>{rows_xml}</sheetData></worksheet>")


def _header_row() -> str:
    return ('<row r="1"><c r="A1" t="inlineStr"><is><t>account_id</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>account_name</t></is></c></row>')


def test_crafted_bombs_are_answered_in_bounded_time_and_memory(tmp_path):
    """Files built to exhaust a reader: each gets an answer within 60 s and 1.5 GB."""
    bombs: dict[str, Path] = {}
    # A 12 MB cell of one repeated character, deflated to a few KB.
    big = "A" * (12 << 20)
    bombs["huge_shared_string.xlsx"] = _xlsx_with_sheet_xml(
        tmp_path / "huge_shared_string.xlsx",
        _sheet(_header_row() + '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>0</v></c></row>'),
        shared=[big])
    del big
    # One cell far to the right: a declared width of 16,384 columns.
    bombs["far_cell.xlsx"] = _xlsx_with_sheet_xml(
        tmp_path / "far_cell.xlsx",
        _sheet(_header_row() + '<row r="2"><c r="A2"><v>1</v></c><c r="XFD2"><v>2</v></c></row>', "A1:XFD2"))
    # 300,000 empty rows (deflate to almost nothing) under a header.
    empty_rows = "".join(f'<row r="{r}"/>' for r in range(2, 300_002))
    bombs["many_empty_rows.xlsx"] = _xlsx_with_sheet_xml(
        tmp_path / "many_empty_rows.xlsx", _sheet(_header_row() + empty_rows, "A1:B300001"))
    del empty_rows
    # Text: one 8 MB line with no line break; 5,000 columns; a 3 MB quoted cell.
    (tmp_path / "one_long_line.csv").write_bytes(b"a,b," + b"x" * (8 << 20))
    bombs["one_long_line.csv"] = tmp_path / "one_long_line.csv"
    (tmp_path / "wide.csv").write_text(",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join("1" * 5000) + "\n")
    bombs["wide.csv"] = tmp_path / "wide.csv"
    (tmp_path / "big_cell.csv").write_text('account_id,notes\nA1,"' + "y" * (3 << 20) + '"\n')
    bombs["big_cell.csv"] = tmp_path / "big_cell.csv"
    (tmp_path / "unclosed_quote.csv").write_text('account_id,notes\nA1,"never closed\n' + "A2,z\n" * 200_000)
    bombs["unclosed_quote.csv"] = tmp_path / "unclosed_quote.csv"
    results = {}
    for name, path in bombs.items():
        out, seconds, peak = run_bounded(path, name)
        results[name] = (out, round(seconds, 1), round(peak))
        print(f"{name}: {seconds:.1f} s, peak {peak:.0f} MB: {out[:160]}")
    for name in ("huge_shared_string.xlsx", "one_long_line.csv", "wide.csv", "big_cell.csv"):
        assert not results[name][0].startswith("ok"), f"{name} was accepted: {results[name]}"


# Limits give clear, configurable messages ---------------------------------------------------------
def test_column_and_cell_limits_are_enforced_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("POLARIS_MAX_COLUMNS", "5")
    monkeypatch.setenv("POLARIS_MAX_CELL_KB", "1")
    chosen = limits.current()
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(8)) + "\n" + ",".join("1" * 8) + "\n")
    with pytest.raises(PolarisError) as info:
        ingest.inspect_file(wide, **chosen.inspect_kwargs())
    assert "8" in str(info.value) and "5" in str(info.value)
    cell = tmp_path / "cell.csv"
    cell.write_text("account_id,notes\nA1," + "z" * 5000 + "\n")
    try:
        raw = ingest.inspect_file(cell, **chosen.inspect_kwargs())
    except PolarisError as exc:
        message = str(exc)
    else:
        ws = new_workspace(False)
        try:
            prepared = ingest.prepare(ws, raw, "accounts", ingest.propose_mapping(raw, "accounts", ws))
            assert not prepared.report.ok
            message = " ".join(prepared.report.messages("en"))
        finally:
            ws.close()
    assert "cell.csv" in message and "notes" in message


def test_file_size_and_row_limits_give_a_clear_message(tmp_path, monkeypatch):
    path = tmp_path / "客户台账.csv"
    path.write_text("account_id,account_name\n" + "".join(f"A{i},Name {i}\n" for i in range(3000)))
    monkeypatch.setenv("POLARIS_MAX_UPLOAD_MB", "0.01")
    with pytest.raises(InputError) as info:
        limits.check_file(path)
    assert "客户台账.csv" in str(info.value) and "10.2 KB" in str(info.value)
    with pytest.raises(InputError) as info:
        limits.check_file(path, filename="upload.csv", lang="zh")
    assert "upload.csv" in str(info.value) and "最多" in str(info.value)
    monkeypatch.setenv("POLARIS_MAX_UPLOAD_MB", "1")
    assert limits.check_file(path) == path.stat().st_size
    monkeypatch.setenv("POLARIS_MAX_ROWS", "2500")
    raw = ingest.inspect_file(path)
    limits.check_rows(raw.n_rows_estimate, raw.filename, estimated=True)  # 3,000 is within 1.25 x 2,500
    with pytest.raises(InputError, match=r"3,000 data rows; up to 2,500"):
        limits.check_rows(3000, raw.filename)
    with pytest.raises(InputError, match="about 4,000"):
        limits.check_rows(4000, raw.filename, estimated=True)
    with pytest.raises(InputError, match="6,000 columns"):
        limits.check_columns(6000, raw.filename)


@pytest.mark.parametrize("value", ["abc", "-1", "0", "1.5", "inf", "nan"])
def test_bad_limit_settings_are_named(monkeypatch, value):
    monkeypatch.setenv("POLARIS_MAX_ROWS", value)
    with pytest.raises(InputError, match="POLARIS_MAX_ROWS"):
        limits.current()


def test_limit_defaults_match_the_reader_and_the_upload_size():
    chosen = limits.Limits.from_env({})
    assert chosen.max_columns == ingest.MAX_COLUMNS
    assert chosen.max_cell_bytes == ingest.MAX_CELL_BYTES
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    upload_mb = int(next(line.split("=")[1] for line in config.splitlines() if line.startswith("maxUploadSize")))
    assert chosen.max_file_bytes == upload_mb << 20
    assert limits.Limits.from_env({"POLARIS_MAX_ROWS": "1,000"}).max_rows == 1000


def test_peak_memory_of_this_process_stayed_bounded():
    """After the fuzzing above, this process has not grown without bound (a coarse guard)."""
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb < 4000, f"peak RSS {peak_mb:.0f} MB"
