"""Faults: a load killed half-way, an unwritable or full data folder, a damaged workspace.

Whatever happens, a workspace holds either exactly what it held before a load or exactly
the loaded result, never a mixture; and the user gets a clear message (no traceback, no
absolute path) instead of a crash. tests/test_workspace.py covers the corrupt, newer-version
and plain-DuckDB files; this file adds the cases around them.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from cs_metrics import ingest
from cs_metrics.errors import PolarisError, WorkspaceError
from cs_metrics.workspace import SCHEMA_VERSION, Workspace, session_workspace

ROOT = Path(__file__).resolve().parent.parent
BIG_ROWS = 1_200_000
ACCOUNTS = 10_000


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(path: Path) -> dict[str, tuple[int, int]]:
    """(rows, order-independent hash of the rows) of every canonical table and of the load log
    (its kind, file, rows and mode: the id and time differ between two runs of one load)."""
    ws = Workspace.open(path)
    try:
        out = {}
        for kind in ws.kinds():
            rows, h = ws.con.execute(
                f'SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM "{kind}" t').fetchone()
            out[kind] = (int(rows), int(h))
        if "_polaris_loads" in _tables(ws):
            rows, h = ws.con.execute("SELECT count(*), coalesce(bit_xor(hash(kind, file, rows, mode)), 0) "
                                     "FROM _polaris_loads").fetchone()
            out["_polaris_loads"] = (int(rows), int(h))
        return out
    finally:
        ws.close()


def _tables(ws: Workspace) -> list[str]:
    return [r[0] for r in ws.con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Accounts (10,000), a small MRR file (10 rows) and a large one (1.2 M rows, ~30 MB)."""
    folder = tmp_path_factory.mktemp("fault_files")
    con = duckdb.connect()
    ids = "'A' || lpad(CAST(i AS VARCHAR), 6, '0')"
    con.execute(f"COPY (SELECT {ids} AS account_id, 'Company ' || i AS account_name, "
                f"CASE WHEN i % 2 = 0 THEN 'SMB' ELSE 'ENT' END AS segment FROM range({ACCOUNTS}) t(i)) "
                f"TO '{folder / 'accounts.csv'}' (HEADER)")
    con.execute(f"COPY (SELECT {ids} AS account_id, '2024-01-01' AS month, 100 + i AS mrr FROM range(10) t(i)) "
                f"TO '{folder / 'small_mrr.csv'}' (HEADER)")
    big_ids = f"'A' || lpad(CAST(i % {ACCOUNTS} AS VARCHAR), 6, '0')"
    con.execute(f"COPY (SELECT {big_ids} AS account_id, "
                f"strftime(DATE '2014-01-01' + to_months(CAST(i // {ACCOUNTS} AS INTEGER)), '%Y-%m-%d') AS month, "
                f"round(i % 997 + 0.5, 2) AS mrr FROM range({BIG_ROWS}) t(i)) TO '{folder / 'big_mrr.csv'}' (HEADER)")
    con.close()
    return {p.stem: p for p in folder.iterdir()}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, files) -> Path:
    """A workspace holding the accounts and the small MRR table, closed and checkpointed."""
    path = tmp_path_factory.mktemp("fault_ws") / "baseline.duckdb"
    ws = Workspace.create(path)
    ingest.load_path(ws, files["accounts"], kind="accounts")
    ingest.load_path(ws, files["small_mrr"], kind="mrr")
    ws.con.execute("CHECKPOINT")
    ws.close()
    return path


def copy_of(baseline: Path, folder: Path) -> Path:
    target = folder / f"ws_{uuid.uuid4().hex[:8]}.duckdb"
    shutil.copyfile(baseline, target)
    return target


def cli_load(workspace: Path, file: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "cs_metrics", "load", "--workspace", str(workspace),
                             str(file), "--kind", "mrr"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


# A load killed half-way ------------------------------------------------------------------
def test_a_load_killed_at_any_moment_leaves_the_old_or_the_new_content(baseline, files, tmp_path):
    """SIGKILL a `python -m cs_metrics load` of 1.2 M MRR rows at several moments: reopened,
    the workspace holds exactly its previous tables (or, past the commit, exactly the new
    ones), and takes the next load."""
    before = fingerprint(baseline)
    complete_ws = copy_of(baseline, tmp_path)
    started = time.perf_counter()
    proc = cli_load(complete_ws, files["big_mrr"])
    out, err = proc.communicate(timeout=240)
    full_s = time.perf_counter() - started
    assert proc.returncode == 0, err.decode()
    after = fingerprint(complete_ws)
    assert after["mrr"][0] == BIG_ROWS and after["accounts"] == before["accounts"]

    def wal_exists(path: Path) -> bool:
        return Path(str(path) + ".wal").exists()

    def after_first_write(delay: float):
        seen: list[float] = []

        def due(path: Path, t0: float) -> bool:
            if not seen and wal_exists(path):
                seen.append(time.perf_counter())
            return bool(seen) and time.perf_counter() - seen[0] >= delay
        return due

    # Moments to kill at: when the load first writes to the workspace (its write-ahead log
    # appears), a little later, and at shares of a full run's duration.
    moments = [("first write", after_first_write(0.0)),
               ("first write + 0.3 s", after_first_write(0.3)),
               ("50% of a full run", lambda p, t0: time.perf_counter() - t0 >= 0.5 * full_s),
               ("85% of a full run", lambda p, t0: time.perf_counter() - t0 >= 0.85 * full_s)]
    killed_mid_way = []
    for label, due in moments:
        ws_path = copy_of(baseline, tmp_path)
        t0 = time.perf_counter()
        proc = cli_load(ws_path, files["big_mrr"])
        while proc.poll() is None and not due(ws_path, t0):
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_mid_way.append(label)
        proc.communicate(timeout=60)
        state = fingerprint(ws_path)
        assert state in (before, after), f"killed at {label}: a mixture of old and new content: {state}"
        ws = Workspace.open(ws_path)
        try:
            result = ingest.load_path(ws, files["small_mrr"], kind="mrr")
            assert result.rows == 10
            assert ws.con.execute("SELECT count(*) FROM mrr").fetchone()[0] == 10
        finally:
            ws.close()
    assert len(killed_mid_way) >= 2, (f"the load finished before most kills (killed at {killed_mid_way}, "
                                      f"a full run takes {full_s:.1f} s): use a larger file")


KILL_INSIDE_TRANSACTION = """
import os, sys
sys.path.insert(0, {root!r})
from cs_metrics import ingest
from cs_metrics.ingest import loading
from cs_metrics.workspace import Workspace

def die(*args, **kwargs):
    os._exit(9)   # the process dies as on a power cut: no rollback, no close

# Remembering the mapping runs inside load's transaction, after the new table was written.
loading.remember_mapping = die
ws = Workspace.open({path!r})
ingest.load_path(ws, {file!r}, kind="mrr")
print("not reached")
"""


def test_a_process_dying_inside_the_load_transaction_loses_nothing(baseline, files, tmp_path):
    """Deterministic variant: the process exits inside `load`'s transaction, after the
    replacing table was created and before COMMIT."""
    from cs_metrics.ingest import loading

    assert hasattr(loading, "remember_mapping"), "ingest.loading changed: update this test's hook"
    before = fingerprint(baseline)
    ws_path = copy_of(baseline, tmp_path)
    code = KILL_INSIDE_TRANSACTION.format(root=str(ROOT), path=str(ws_path), file=str(files["small_mrr"]))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=120)
    assert proc.returncode == 9, proc.stderr.decode()[-2000:]
    assert fingerprint(ws_path) == before


# The data folder cannot be written ---------------------------------------------------------
@pytest.fixture()
def folder_under_a_file(tmp_path) -> Path:
    """A data folder path whose parent is a regular file: nothing can be created there (even
    by root, who ignores permission bits)."""
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    return blocker / "polaris_data"


def assert_clear(exc: BaseException, *paths: Path) -> None:
    message = str(exc)
    assert isinstance(exc, PolarisError), f"{type(exc).__name__}: {message}"
    assert message.strip(), "empty message"
    assert "Traceback" not in message
    for p in paths:
        assert str(p) not in message, f"the message shows an absolute path: {message}"


def test_workspace_in_an_unwritable_folder_gives_a_clear_message(folder_under_a_file):
    with pytest.raises(WorkspaceError) as info:
        Workspace.create(folder_under_a_file / "w.duckdb")
    assert_clear(info.value, folder_under_a_file.parent)


def test_session_workspace_in_an_unwritable_data_folder_gives_a_clear_message(folder_under_a_file, monkeypatch):
    """Each browser session starts by copying the sample into the data folder."""
    monkeypatch.setenv("POLARIS_DATA_DIR", str(folder_under_a_file))
    try:
        session_workspace().close()
    except Exception as exc:  # noqa: BLE001 - the point is which exception
        assert_clear(exc, folder_under_a_file.parent)
    else:
        pytest.fail("a session workspace was created under a regular file")


def test_app_with_an_unwritable_data_folder_shows_a_message_not_a_traceback(folder_under_a_file, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("POLARIS_DATA_DIR", str(folder_under_a_file))
    at = AppTest.from_file(str(ROOT / "pages/overview.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.error, "no message says that the data folder cannot be written"
    assert all(str(folder_under_a_file.parent) not in e.value for e in at.error)


@contextmanager
def mounted_tmpfs(folder: Path, size: str = "4m"):
    """A small tmpfs at ``folder`` (needs root and mount rights); yields False when unavailable."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        yield False
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
                          capture_output=True)
    if done.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def remount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True, capture_output=True)


def test_read_only_file_system_gives_a_clear_message_and_keeps_the_data(files, tmp_path):
    mount_point = tmp_path / "ro"
    with mounted_tmpfs(mount_point) as ok:
        if not ok:
            pytest.skip("cannot mount a tmpfs here (needs root with mount rights); "
                        "the unwritable-folder tests above cover the message")
        ws = Workspace.create(mount_point / "w.duckdb")
        ingest.load_path(ws, files["small_mrr"], kind="mrr")
        ws.con.execute("CHECKPOINT")
        ws.close()
        before = fingerprint(mount_point / "w.duckdb")
        remount(mount_point, "ro")
        with pytest.raises(PolarisError) as info:
            ws = Workspace.open(mount_point / "w.duckdb")
            try:
                ingest.load_path(ws, files["small_mrr"], kind="mrr")
            finally:
                ws.close()
        assert_clear(info.value, mount_point)
        assert "read-only" in str(info.value).lower()
        with pytest.raises(WorkspaceError) as info:
            Workspace.create(mount_point / "new" / "w.duckdb")
        assert_clear(info.value, mount_point)
        remount(mount_point, "rw")
        assert fingerprint(mount_point / "w.duckdb") == before


# The disk is full --------------------------------------------------------------------------
def test_full_disk_during_a_load_gives_a_clear_message_and_keeps_the_data(files, tmp_path):
    """A 4 MB tmpfs holds the workspace; loading 1.2 M rows cannot fit."""
    mount_point = tmp_path / "full"
    with mounted_tmpfs(mount_point, size="4m") as ok:
        if not ok:
            pytest.skip("cannot mount a small tmpfs here; test_full_disk_message_when_duckdb_reports_it "
                        "covers the message with a simulated error")
        path = mount_point / "w.duckdb"
        ws = Workspace.create(path)
        ingest.load_path(ws, files["small_mrr"], kind="mrr")
        ws.con.execute("CHECKPOINT")
        before_rows = ws.con.execute("SELECT count(*), sum(mrr) FROM mrr").fetchone()
        with pytest.raises(PolarisError) as info:
            ingest.load_path(ws, files["big_mrr"], kind="mrr")
        assert_clear(info.value, mount_point)
        assert any(w in str(info.value).lower() for w in ("space", "full")), str(info.value)
        ws.close()
        again = Workspace.open(path)
        try:
            assert again.con.execute("SELECT count(*), sum(mrr) FROM mrr").fetchone() == before_rows
        finally:
            again.close()


_WRITES_ROWS = re.compile(r"\s*(CREATE\s+(OR\s+REPLACE\s+)?TABLE\s+\S+\s+AS\b|INSERT\s+INTO\s+\"?mrr\b)", re.I)


class _FullDiskConnection:
    """A DuckDB connection whose table writes fail as on a full disk (everything else passes)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self._con = con
        self._path = path

    def execute(self, sql: str, *args, **kwargs):
        if _WRITES_ROWS.match(sql):
            raise duckdb.IOException(f'IO Error: Could not write file "{self._path}": No space left on device')
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_full_disk_message_when_duckdb_reports_it(baseline, files, tmp_path):
    """Simulated (works without mount rights): DuckDB raises 'No space left on device'."""
    path = copy_of(baseline, tmp_path)
    before = fingerprint(path)
    ws = Workspace.open(path)
    real = ws.con
    ws.con = _FullDiskConnection(real, path)
    try:
        with pytest.raises(PolarisError) as info:
            ingest.load_path(ws, files["small_mrr"], kind="mrr")
    finally:
        ws.con = real
        ws.close()
    assert_clear(info.value, tmp_path)
    assert any(w in str(info.value).lower() for w in ("space", "full")), str(info.value)
    assert fingerprint(path) == before


# Damaged or old workspace files (beyond tests/test_workspace.py) -------------------------------
def test_older_format_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "old.duckdb"
    ws = Workspace.create(path)
    ws.con.execute("UPDATE _polaris_meta SET value = '0' WHERE key = 'schema_version'")
    ws.con.execute("CHECKPOINT")
    ws.close()
    before = digest(path)
    with pytest.raises(WorkspaceError, match="left untouched") as info:
        Workspace.open(path)
    assert_clear(info.value, tmp_path)
    assert digest(path) == before


def test_truncated_workspace_is_refused_and_left_untouched(sample_path, tmp_path):
    path = tmp_path / "cut.duckdb"
    data = sample_path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    before = digest(path)
    try:
        ws = Workspace.open(path)
    except WorkspaceError as exc:
        assert_clear(exc, tmp_path)
        assert digest(path) == before
        return
    # DuckDB may open a file cut after its last used block; then its data must still read.
    try:
        for kind in ws.kinds():
            ws.con.execute(f'SELECT count(*) FROM "{kind}"').fetchall()
    except duckdb.Error as exc:
        pytest.fail(f"a damaged workspace opened, then failed with a raw DuckDB error: {exc}")
    finally:
        ws.close()


@pytest.mark.parametrize("size", [0, 100, 4096])
def test_empty_or_tiny_files_are_refused_and_left_untouched(tmp_path, size):
    path = tmp_path / "tiny.duckdb"
    path.write_bytes(os.urandom(size))
    before = digest(path)
    with pytest.raises(WorkspaceError) as info:
        Workspace.open(path)
    assert_clear(info.value, tmp_path)
    assert digest(path) == before


def test_damaged_write_ahead_log_gives_a_clear_message(sample_path, tmp_path):
    """A crash can leave a WAL beside the file; a garbage one must not become a traceback."""
    path = tmp_path / "w.duckdb"
    shutil.copyfile(sample_path, path)
    Path(str(path) + ".wal").write_bytes(os.urandom(5000))
    before = digest(path)
    try:
        ws = Workspace.open(path)
    except WorkspaceError as exc:
        assert_clear(exc, tmp_path)
        assert digest(path) == before
        return
    try:
        assert ws.has("accounts")
    finally:
        ws.close()


def test_newer_named_workspace_message_names_no_folder(tmp_path):
    ws = Workspace.open_named("acme", root=tmp_path, create=True)
    ws.con.execute("UPDATE _polaris_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 5)])
    ws.close()
    with pytest.raises(WorkspaceError) as info:
        Workspace.open_named("acme", root=tmp_path)
    assert_clear(info.value, tmp_path)


def test_app_with_a_damaged_sample_shows_a_message_not_a_traceback(tmp_path, monkeypatch):
    """The data folder's sample (copied for every new session) was damaged on disk."""
    from streamlit.testing.v1 import AppTest

    (tmp_path / "sample.duckdb").write_bytes(b"garbage" * 1000)
    monkeypatch.setenv("POLARIS_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "pages/overview.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
