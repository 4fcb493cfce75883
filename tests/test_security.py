"""Security review as tests: hostile names stay names, exports cannot run formulas, workspaces
stay in their folder, user data stays in the data folder, messages reveal no paths.

CS data is confidential customer and revenue data; files come from other systems and from
people, so every header, value, file and sheet name is treated as hostile.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import tempfile
import time
import uuid
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cs_metrics import ingest
from cs_metrics.errors import PolarisError, WorkspaceError
from cs_metrics.export import DANGEROUS_PREFIXES, to_csv_bytes, to_xlsx_bytes
from cs_metrics.workspace import Workspace, list_named, named_path

ROOT = Path(__file__).resolve().parent.parent
EVIL_HEADERS = ['x"; DROP TABLE accounts; --', "'; DROP TABLE mrr; --", 'a"b', "客户\"备注'", "--", "1; SELECT 1"]
EVIL_TEXT = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
             "\t=1+1", "\r=1+1"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    frame = pd.DataFrame(rows, columns=header)
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def table_counts(ws: Workspace) -> dict[str, int]:
    return {k: ws.con.execute(f'SELECT count(*) FROM "{k}"').fetchone()[0] for k in ws.kinds()}


# SQL identifiers and values from files --------------------------------------------------------
def test_hostile_headers_are_just_names_and_nothing_is_dropped(sample_ws, tmp_path):
    before = table_counts(sample_ws)
    header = ["account_id", "account_name", *EVIL_HEADERS]
    rows = [[f"H{i}", f"Hostile {i}", *[f"v{i}_{j}" for j in range(len(EVIL_HEADERS))]] for i in range(3)]
    path = write_csv(tmp_path / "accounts.csv", header, rows)
    result = ingest.load_path(sample_ws, path, kind="accounts")
    assert result.rows == 3
    after = table_counts(sample_ws)
    assert after["accounts"] == 3
    assert {k: v for k, v in after.items() if k != "accounts"} == {k: v for k, v in before.items() if k != "accounts"}
    columns = sample_ws.columns("accounts")
    frame = sample_ws.con.execute("SELECT * FROM accounts ORDER BY account_id").df()
    for j, evil in enumerate(EVIL_HEADERS):
        holders = [c for c in columns if frame[c].astype(str).tolist() == [f"v{i}_{j}" for i in range(3)]]
        assert len(holders) == 1, f"the values of column {evil!r} did not round-trip"
        # architecture.md: extra columns get a sanitised snake_case name.
        assert re.fullmatch(r"[a-z0-9_]+", holders[0]), holders[0]
    # The mapping is remembered under the hostile headers and recalled for the same file.
    raw = ingest.inspect_file(path)
    recalled = ingest.recall_mapping(sample_ws, raw.signature)
    assert recalled is not None and recalled[0] == "accounts"
    assert set(EVIL_HEADERS) <= set(recalled[1])


def test_hostile_values_file_and_key_round_trip(sample_ws, tmp_path):
    keys = ["K'1", 'K"2; DROP TABLE accounts; --', "K3\\'", "客户'四"]
    path = write_csv(tmp_path / "plain.csv", ["account_id", "account_name"],
                     [[k, EVIL_TEXT[i]] for i, k in enumerate(keys)])
    name = "evil'\"; DROP TABLE accounts;--.csv"
    ingest.load_path(sample_ws, path, kind="accounts", filename=name)
    got = sample_ws.con.execute(
        "SELECT account_id, account_name, _source_file FROM accounts ORDER BY account_id").fetchall()
    assert sorted(got) == sorted((k, EVIL_TEXT[i], name) for i, k in enumerate(keys))
    logged = sample_ws.con.execute("SELECT file FROM _polaris_loads ORDER BY loaded_at DESC LIMIT 1").fetchone()
    assert logged == (name,)
    assert sample_ws.has("mrr")


def test_hostile_measure_header_in_usage_round_trips(sample_ws, tmp_path):
    evil = 'logins"); DROP TABLE usage; --'
    ids = [r[0] for r in sample_ws.con.execute("SELECT account_id FROM accounts ORDER BY 1 LIMIT 2").fetchall()]
    path = write_csv(tmp_path / "usage.csv", ["account_id", "date", "active_users", evil],
                     [[ids[0], "2026-09-01", "3", "11"], [ids[1], "2026-09-01", "4", "12"]])
    ingest.load_path(sample_ws, path, kind="usage")
    columns = sample_ws.columns("usage")
    frame = sample_ws.con.execute("SELECT * FROM usage ORDER BY account_id").df()
    holders = [c for c in columns if frame[c].tolist() in ([11.0, 12.0], [11, 12], ["11", "12"])]
    assert holders, f"the measure {evil!r} did not arrive: {columns}"
    assert sample_ws.has("accounts") and sample_ws.has("mrr")


def test_hostile_sheet_name_is_read(tmp_path, sample_ws):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "客户'; DROP--"
    sheet.append(["account_id", "account_name"])
    sheet.append(["S1", "Sheet One"])
    book.create_sheet("other").append(["x"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    result = ingest.load_path(sample_ws, path, kind="accounts", sheet="客户'; DROP--")
    assert result.rows == 1
    assert sample_ws.con.execute("SELECT account_name FROM accounts").fetchall() == [("Sheet One",)]


# Exports ----------------------------------------------------------------------------------------
text_cells = st.text(alphabet=st.sampled_from(list("=+-@\t\r 'ab1客\"|!(),:")), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A carriage return inside a cell ends the row for Excel unless the cell is quoted: the text
# after it would start a new row, where a formula runs.
@example(values=['note\r=HYPERLINK("http://evil.example","x")'], dtype="object")
@given(st.lists(text_cells, min_size=1, max_size=8), st.sampled_from(["object", "string", "category"]))
def test_no_export_cell_can_run_as_a_formula(values, dtype):
    """Whatever the text (and the pandas dtype holding it), no exported cell starts a formula."""
    frame = pd.DataFrame({"name": pd.Series(values, dtype=dtype), "amount": [-1.5] * len(values)})
    rows = to_csv_bytes(frame).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(rows), dtype=str, keep_default_na=False)
    assert not [v for v in back["name"] if v.startswith(DANGEROUS_PREFIXES)]
    assert back["amount"].tolist() == ["-1.5"] * len(values)
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes({"s": frame})))
    cells = [c for row in book["s"].iter_rows() for c in row]
    assert not [c.value for c in cells if c.data_type == "f"]


def test_exports_from_real_data_cannot_run_formulas(sample_ws):
    """Account names that are formulas, through the workbook and the risk register exports."""
    from cs_metrics import risk, workbook

    ids = [r[0] for r in sample_ws.con.execute("SELECT account_id FROM accounts ORDER BY 1").fetchall()]
    for i, account_id in enumerate(ids):
        sample_ws.con.execute("UPDATE accounts SET account_name = $n, owner = $o WHERE account_id = $id",
                              {"n": EVIL_TEXT[i % len(EVIL_TEXT)], "o": EVIL_TEXT[(i + 1) % len(EVIL_TEXT)],
                               "id": account_id})
    book = openpyxl.load_workbook(io.BytesIO(workbook.build_workbook(sample_ws.con, with_health=False)))
    formulas = [(ws.title, c.coordinate, c.value) for ws in book.worksheets for row in ws.iter_rows()
                for c in row if c.data_type == "f"]
    assert formulas == []
    evil_seen = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row
                 if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert evil_seen, "the hostile names should be in the workbook, as text"
    register = risk.risk_register(sample_ws.con)
    assert len(register) > 0
    rows = risk.export_csv(register).decode("utf-8-sig")
    cells = [c for row in pd.read_csv(io.StringIO(rows), dtype=str, keep_default_na=False).itertuples(index=False)
             for c in row]
    assert not [c for c in cells if c.startswith(DANGEROUS_PREFIXES) and not _is_number(c)]
    book = openpyxl.load_workbook(io.BytesIO(risk.export_xlsx(register)))
    assert not [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_pages_and_ui_write_spreadsheets_only_through_cs_metrics_export():
    """A download built with DataFrame.to_csv / to_excel would bypass the neutralising."""
    offenders = [str(p.relative_to(ROOT)) for p in [ROOT / "ui.py", *(ROOT / "pages").glob("*.py")]
                 if re.search(r"\.to_(csv|excel)\(", p.read_text(encoding="utf-8"))]
    assert offenders == []


# Workspace names ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["a/../../b", "./x", "x/", "..\\..\\x", "\u2215etc\u2215passwd", "x\n", "x\x00",
                                  "...", "a..b", " ..", "-", "$HOME", "%2e%2e%2fx", "x" * 300])
def test_more_names_that_could_escape_are_refused(name, tmp_path):
    with pytest.raises(WorkspaceError):
        path = named_path(name, tmp_path)
        # A name that is accepted must at least stay inside the folder.
        assert path.parent == (tmp_path / "workspaces").resolve()
        raise WorkspaceError("accepted and inside")


def test_a_symlink_in_the_workspace_folder_cannot_lead_outside(tmp_path):
    outside = tmp_path / "outside.duckdb"
    Workspace.create(outside).close()
    folder = tmp_path / "data" / "workspaces"
    folder.mkdir(parents=True)
    (folder / "evil.duckdb").symlink_to(outside)
    with pytest.raises(WorkspaceError):
        Workspace.open_named("evil", root=tmp_path / "data")
    ws = Workspace.create(tmp_path / "w.duckdb")
    with pytest.raises(WorkspaceError):
        ws.save_as("evil", root=tmp_path / "data", overwrite=True)
    ws.close()


@pytest.mark.parametrize("name", ["../escape", "a/b", ".."])
def test_save_as_refuses_escaping_names(name, tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    try:
        with pytest.raises(WorkspaceError):
            ws.save_as(name, root=tmp_path / "data")
    finally:
        ws.close()
    assert list_named(tmp_path / "data") == []
    assert not any(p.suffix == ".duckdb" for p in tmp_path.parent.iterdir() if p.name == "escape.duckdb")


# User data stays in the data folder ---------------------------------------------------------------
def _files_changed_since(roots: list[Path], since: float, skip: list[Path]) -> list[Path]:
    found = []
    skip_resolved = [s.resolve() for s in skip]
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            if any(here == s or s in here.parents for s in skip_resolved):
                dirnames[:] = []
                continue
            dirnames[:] = [d for d in dirnames if d not in {".git", ".venv", "__pycache__", "node_modules"}]
            for name in filenames:
                p = here / name
                try:
                    st_ = p.lstat()
                except OSError:
                    continue
                if stat.S_ISREG(st_.st_mode) and st_.st_mtime >= since and st_.st_size < 200 << 20:
                    found.append(p)
    return found


def test_loading_writes_user_data_only_into_the_data_folder(tmp_path, monkeypatch):
    """Load a file carrying a unique marker; afterwards the marker is in no file outside the
    data folder, and the private temp folder used meanwhile is empty again."""
    marker = f"SECRET-{uuid.uuid4().hex}"
    data_dir, private_tmp, inbox = tmp_path / "data", tmp_path / "tmp", tmp_path / "inbox"
    for folder in (data_dir, private_tmp, inbox):
        folder.mkdir()
    monkeypatch.setenv("POLARIS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    source = write_csv(inbox / "accounts.csv", ["account_id", "account_name", "notes"],
                       [[f"M{i}", f"{marker} customer {i}", f"{marker} note"] for i in range(200)])
    xlsx = inbox / "usage.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["account_id", "date", "active_users", "comment"])
    for i in range(50):
        book.active.append([f"M{i}", "2026-09-01", i, f"{marker} usage"])
    book.save(xlsx)
    since = time.time() - 1
    ws = Workspace.open_named("security", create=True)
    try:
        ingest.load_path(ws, source, kind="accounts")
        ingest.load_path(ws, xlsx, kind="usage")
    finally:
        ws.close()
    leftovers = [p.relative_to(private_tmp) for p in private_tmp.rglob("*")]
    assert leftovers == [], f"temporary files left behind: {leftovers}"
    system_tmp = Path("/tmp")
    roots = [ROOT, Path.home(), system_tmp, Path("/var/tmp")]
    changed = _files_changed_since(roots, since, skip=[data_dir, inbox, private_tmp, ROOT / ".git"])
    leaks = []
    for path in changed:
        try:
            if marker.encode() in path.read_bytes():
                leaks.append(str(path))
        except OSError:
            continue
    assert leaks == [], f"user data written outside the data folder: {leaks}"


def test_saved_upload_is_private():
    """ui.save_upload keeps a browser upload on disk for the ingest: owner-only, and either in a
    private folder or removable by the caller."""
    import ui

    class Upload:
        name = "客户台账.csv"

        def getbuffer(self):
            return memoryview(b"account_id\nA1\n")

    path = ui.save_upload(Upload())
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        parent_mode = stat.S_IMODE(path.parent.stat().st_mode)
        assert mode & 0o077 == 0, f"upload readable by others: {oct(mode)}"
        assert parent_mode & 0o077 == 0 or parent_mode & stat.S_ISVTX, oct(parent_mode)
    finally:
        path.unlink(missing_ok=True)


# Messages shown to users ---------------------------------------------------------------------------
def _messages(exc: BaseException) -> list[str]:
    lines = [str(exc)]
    lines += list(getattr(exc, "problems", []) or [])
    if hasattr(exc, "messages"):
        lines += exc.messages("en") + exc.messages("zh")
    return lines


def _bad_inputs(folder: Path) -> dict[str, Path]:
    files = {
        "empty": b"",
        "binary": bytes(range(256)) * 40,
        "legacy_xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        "bad_xlsx": b"PK\x03\x04" + os.urandom(300),
        "pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" * 20,
        "html": b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>",
        "one_column": b"only\n1\n2\n",
        "no_rows": b"account_id,account_name\n",
    }
    out = {}
    for name, data in files.items():
        suffix = ".xlsx" if name == "bad_xlsx" else ".xls" if name == "legacy_xls" else ".csv"
        path = folder / f"{name}{suffix}"
        path.write_bytes(data)
        out[name] = path
    out["missing"] = folder / "missing.csv"
    return out


def test_ingest_and_workspace_messages_show_no_absolute_paths(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    messages = {}
    try:
        for name, path in _bad_inputs(tmp_path).items():
            try:
                ingest.load_path(ws, path, kind="accounts")
            except PolarisError as exc:
                messages[name] = _messages(exc)
            except Exception as exc:  # noqa: BLE001 - a traceback for bad input is itself a finding
                pytest.fail(f"{name}: {type(exc).__name__} instead of a PolarisError: {exc}")
        for name, action in {
            "open_missing": lambda: Workspace.open(tmp_path / "nope.duckdb"),
            "open_garbage": lambda: Workspace.open(_garbage(tmp_path)),
            "bad_name": lambda: Workspace.open_named("../x", root=tmp_path),
            "missing_named": lambda: Workspace.open_named("nobody", root=tmp_path),
            "create_under_file": lambda: Workspace.create(_file(tmp_path) / "w.duckdb"),
        }.items():
            try:
                action()
            except PolarisError as exc:
                messages[name] = _messages(exc)
    finally:
        ws.close()
    assert set(messages) >= {"empty", "binary", "legacy_xls", "bad_xlsx", "missing", "open_missing",
                             "open_garbage", "bad_name", "create_under_file"}
    leaks = {k: m for k, lines in messages.items() for m in lines
             if str(tmp_path) in m or "/tmp/" in m or str(ROOT) in m or str(Path.home()) + "/" in m}
    assert leaks == {}, leaks


def _garbage(folder: Path) -> Path:
    path = folder / "garbage.duckdb"
    path.write_bytes(b"garbage" * 500)
    return path


def _file(folder: Path) -> Path:
    path = folder / "a_file"
    path.write_text("x")
    return path


# Column names that are SQL keywords -----------------------------------------------------------------
# ingest turns headers into [a-z0-9_] names, so "Order", "Select" or "Group" arrive as SQL
# keywords: every query that names a column must quote it.
KEYWORD_TEXT_COLUMNS = ["order", "select", "where"]
KEYWORD_NUMBER_COLUMNS = ["group", "from", "table"]


@pytest.fixture(scope="module")
def keyword_workspace(tmp_path_factory, sample_path):
    path = tmp_path_factory.mktemp("keywords") / "w.duckdb"
    shutil.copyfile(sample_path, path)
    ws = Workspace.open(path)
    for i, name in enumerate(KEYWORD_TEXT_COLUMNS):
        ws.con.execute(f'ALTER TABLE accounts ADD COLUMN "{name}" VARCHAR')
        ws.con.execute(f"UPDATE accounts SET \"{name}\" = 'v' || CAST(hash(account_id) % {3 + i} AS VARCHAR)")
    for name in KEYWORD_NUMBER_COLUMNS:
        ws.con.execute(f'ALTER TABLE accounts ADD COLUMN "{name}" DOUBLE')
        ws.con.execute(f'UPDATE accounts SET "{name}" = hash(account_id) % 97')
        ws.con.execute(f'ALTER TABLE usage ADD COLUMN "{name}" DOUBLE')
        ws.con.execute(f'UPDATE usage SET "{name}" = hash(account_id, date) % 50')
    ws.set_setting("northstar", {"metric": "from", "counter": "table", "agg": "sum", "counter_agg": "sum"})
    ws.con.execute("CHECKPOINT")
    ws.close()
    return path


def _page_files() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", _page_files())
def test_sql_keyword_column_names_work_on_every_page(page, keyword_workspace, tmp_path):
    """Extra columns called order/select/where (text) and group/from/table (numbers, also in
    usage, one of them the North Star), with the global filter on "order": no page fails."""
    from streamlit.testing.v1 import AppTest

    copy = tmp_path / "w.duckdb"
    shutil.copyfile(keyword_workspace, copy)
    ws = Workspace.open(copy)
    try:
        at = AppTest.from_file(str(ROOT / page), default_timeout=120)
        at.session_state["polaris_ws"] = ws
        at.session_state["scope"] = {"order": ["v0", "v1"]}
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        assert not at.error, [e.value for e in at.error]
    finally:
        ws.close()


def test_sql_keyword_column_names_in_the_core(keyword_workspace, tmp_path):
    """The column-enumerating core calls, outside the pages: filter values, segments, workbook."""
    from cs_metrics import workbook
    from cs_metrics.scope import Scope, categorical_columns, column_values, count_in_scope

    copy = tmp_path / "w.duckdb"
    shutil.copyfile(keyword_workspace, copy)
    ws = Workspace.open(copy)
    try:
        assert set(KEYWORD_TEXT_COLUMNS) <= set(categorical_columns(ws.con))
        for name in KEYWORD_TEXT_COLUMNS:
            values = column_values(ws.con, name)
            n, total = count_in_scope(ws.con, Scope.from_dict({name: values[:1]}))
            assert 0 < n < total
        book = openpyxl.load_workbook(io.BytesIO(workbook.build_workbook(
            ws.con, Scope.from_dict({"order": ["v0"]}), with_health=False)))
        assert book.sheetnames
    finally:
        ws.close()
