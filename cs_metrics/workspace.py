"""Workspaces: one DuckDB file holding a user's loaded tables, mappings and settings.

Named workspaces live in ``<data dir>/workspaces/<name>.duckdb`` and are shared by whoever
opens them. A browser session that has not saved anything works on a private copy in
``<data dir>/sessions/``, so one session's uploads are never visible to another. The
sample company is built once into ``<data dir>/sample.duckdb`` and only ever copied.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from cs_metrics.errors import WorkspaceError
from cs_metrics.scope import quote_ident, table_columns

SCHEMA_VERSION = 1
KINDS = ("accounts", "mrr", "subscriptions", "usage", "tickets", "nps", "goals")
# The column that dates each kind, for the data-status box.
DATE_COLUMNS = {
    "accounts": "start_date",
    "mrr": "month",
    "subscriptions": "start_date",
    "usage": "date",
    "tickets": "created_at",
    "nps": "date",
    "goals": "due_date",
}
# Canonical columns typed DATE (the rest of the date-like columns are TIMESTAMP).
DATE_TYPED = {"month", "date", "start_date", "end_date", "renewal_date", "churn_date", "due_date"}
_NAME = re.compile(r"^[\w\u4e00-\u9fff][\w\u4e00-\u9fff .\-]{0,63}$")
SAMPLE_NAME = "sample"


def data_dir() -> Path:
    """The data folder: ``$POLARIS_DATA_DIR`` or ``./data`` beside the code."""
    root = os.environ.get("POLARIS_DATA_DIR")
    path = Path(root) if root else Path(__file__).resolve().parent.parent / "data"
    return path


def validate_name(name: str) -> str:
    """A workspace name: letters, digits, Chinese characters, space, dot, dash, underscore.

    Names that could leave the workspace folder (``../x``, ``a/b``, ``..``) are refused.
    """
    clean = (name or "").strip()
    if not _NAME.match(clean) or clean in {".", ".."} or ".." in clean:
        raise WorkspaceError(
            f"'{name}' is not a valid workspace name: use up to 64 letters, digits, "
            "Chinese characters, spaces, dots, dashes or underscores, starting with a letter or digit."
        )
    return clean


def named_path(name: str, root: Path | None = None) -> Path:
    folder = (root or data_dir()) / "workspaces"
    path = (folder / f"{validate_name(name)}.duckdb").resolve()
    if path.parent != folder.resolve():
        raise WorkspaceError(f"'{name}' would leave the workspace folder.")
    return path


def list_named(root: Path | None = None) -> list[str]:
    folder = (root or data_dir()) / "workspaces"
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.duckdb"))


@dataclass(frozen=True)
class TableInfo:
    kind: str
    rows: int
    min_date: Any
    max_date: Any
    unmatched: int


class Workspace:
    """One open workspace: a DuckDB connection owned by one session.

    >>> ws = Workspace.create(":memory:")
    >>> ws.has("mrr")
    False
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None, name: str | None) -> None:
        self.con = con
        self.path = path
        self.name = name

    # opening -----------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, name: str | None = None) -> "Workspace":
        """Open ``path``, creating an empty workspace there if the file does not exist."""
        if str(path) == ":memory:":
            ws = cls(duckdb.connect(":memory:"), None, name)
        else:
            p = Path(path)
            _mkdir(p.parent)
            ws = cls(_connect(p), p, name)
        ws._init_schema()
        return ws

    @classmethod
    def open(cls, path: str | Path, name: str | None = None) -> "Workspace":
        """Open an existing workspace file; refuse a corrupt or newer-version file untouched."""
        p = Path(path)
        if not p.exists():
            raise WorkspaceError(f"Workspace {p.name!r} does not exist.")
        ws = cls(_connect(p), p, name)
        ws._check_version()
        from cs_metrics.ingest.staging import sweep_stages

        try:
            sweep_stages(ws.con)  # staged copies of loads killed more than an hour ago
        except duckdb.Error:
            pass  # a read-only file: the leftovers stay until it is writable
        return ws

    @classmethod
    def open_named(cls, name: str, root: Path | None = None, create: bool = False) -> "Workspace":
        path = named_path(name, root)
        if create:
            return cls.create(path, name=validate_name(name))
        return cls.open(path, name=validate_name(name))

    def _init_schema(self) -> None:
        self.con.execute("CREATE TABLE IF NOT EXISTS _polaris_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS _polaris_settings (key VARCHAR PRIMARY KEY, value JSON)")
        self.con.execute(
            "INSERT INTO _polaris_meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
            [str(SCHEMA_VERSION)])
        self._check_version()

    def _check_version(self) -> None:
        name = self.path.name if self.path else "workspace"
        try:
            row = self.con.execute(
                "SELECT value FROM _polaris_meta WHERE key = 'schema_version'").fetchone()
        except duckdb.Error:
            self.close()
            raise WorkspaceError(
                f"{name} is not a Polaris workspace (no version information); it was left untouched.") from None
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            self.close()
            raise WorkspaceError(
                f"{name} was written by a newer version of Polaris (format {version}, this one reads "
                f"{SCHEMA_VERSION}); it was left untouched.")
        if version < 1:
            self.close()
            raise WorkspaceError(f"{name} has an unknown format; it was left untouched.")

    def close(self) -> None:
        try:
            self.con.close()
        except duckdb.Error:
            pass

    # tables ------------------------------------------------------------------------
    def has(self, kind: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
            "AND table_schema = current_schema()", [kind]).fetchone()
        return bool(row and row[0])

    def kinds(self) -> list[str]:
        return [k for k in KINDS if self.has(k)]

    def columns(self, kind: str) -> list[str]:
        return table_columns(self.con, kind)

    def tables(self) -> list[TableInfo]:
        """Loaded canonical tables with row counts, date coverage and unmatched rows."""
        infos = []
        for kind in self.kinds():
            cols = set(self.columns(kind))
            date_col = DATE_COLUMNS.get(kind)
            date_sql = (f"min({quote_ident(date_col)}), max({quote_ident(date_col)})"
                        if date_col in cols else "NULL, NULL")
            unmatched_sql = ("count(*) FILTER (WHERE account_id IS NULL)"
                             if "account_id" in cols else "0")
            rows, lo, hi, unmatched = self.con.execute(
                f"SELECT count(*), {date_sql}, {unmatched_sql} FROM {quote_ident(kind)}").fetchone()
            infos.append(TableInfo(kind, int(rows), lo, hi, int(unmatched)))
        return infos

    def drop(self, kind: str) -> None:
        if kind not in KINDS:
            raise WorkspaceError(f"'{kind}' is not a table Polaris manages.")
        self.con.execute(f"DROP TABLE IF EXISTS {quote_ident(kind)}")
        self.bump_version()

    def data_version(self) -> int:
        """A counter raised by every change of loaded data; caches key on it."""
        row = self.con.execute("SELECT value FROM _polaris_meta WHERE key = 'data_version'").fetchone()
        return int(row[0]) if row else 0

    def bump_version(self) -> None:
        """Record that loaded data changed. Call inside the loading transaction.

        Besides the counter, a random stamp: a workspace deleted and made again under the
        same name counts its versions from the start, and must not meet the old one's
        cached results."""
        self.con.execute(
            "INSERT INTO _polaris_meta VALUES ('data_version', '1') ON CONFLICT (key) "
            "DO UPDATE SET value = CAST(CAST(_polaris_meta.value AS INTEGER) + 1 AS VARCHAR)")
        self.con.execute(
            "INSERT INTO _polaris_meta VALUES ('data_stamp', $s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            {"s": uuid.uuid4().hex})

    @property
    def cache_key(self) -> str:
        """Identifies this workspace's current data, for caching results across reruns.

        A private copy of the sample that nobody has changed yet shares the sample's key, so
        every new session on the sample reuses the results computed for the first one.
        """
        rows = dict(self.con.execute(
            "SELECT key, value FROM _polaris_meta WHERE key IN ('data_version', 'origin', 'origin_version', "
            "'data_stamp')").fetchall())
        version = rows.get("data_version", "0")
        if rows.get("origin") and rows.get("origin_version") == version:
            return f"{rows['origin']}:{version}"
        return f"{self.path or id(self)}:{version}:{rows.get('data_stamp', '')}"

    def mark_origin(self, origin: str) -> None:
        """Record that this file is an unchanged copy of ``origin`` (see :attr:`cache_key`)."""
        self.con.execute(
            "INSERT INTO _polaris_meta VALUES ('origin', $o), ('origin_version', $v) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            {"o": origin, "v": str(self.data_version())})

    def write_frame(self, kind: str, frame: pd.DataFrame, source_file: str = "") -> int:
        """Replace table ``kind`` with an already-canonical DataFrame, in one transaction.

        Used for generated data (the sample company, tests); user files go through
        :mod:`cs_metrics.ingest`, which validates first.
        """
        if kind not in KINDS:
            raise WorkspaceError(f"'{kind}' is not a table Polaris manages.")
        data = frame.copy()
        key = data["account_id"].astype("string") if "account_id" in data else None
        if "_source_key" not in data and key is not None:
            data["_source_key"] = key
        data["_source_file"] = source_file
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.register("_polaris_frame", data)
            select = ", ".join(
                f"CAST({quote_ident(c)} AS DATE) AS {quote_ident(c)}" if c in DATE_TYPED
                else quote_ident(c) for c in data.columns)
            self.con.execute(
                f"CREATE OR REPLACE TABLE {quote_ident(kind)} AS SELECT {select} FROM _polaris_frame")
            self.con.unregister("_polaris_frame")
            self.bump_version()
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        return len(data)

    # settings ----------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self.con.execute("SELECT value FROM _polaris_settings WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else default

    def set_setting(self, key: str, value: Any) -> None:
        """Save a setting; settings that change results (weights, thresholds) bump the version."""
        self.bump_version()
        self.con.execute(
            "INSERT INTO _polaris_settings VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value, ensure_ascii=False, default=str)])

    @property
    def currency(self) -> str:
        return str(self.get_setting("currency", "USD"))

    # copies ------------------------------------------------------------------------
    def save_as(self, name: str, root: Path | None = None, overwrite: bool = False) -> Path:
        """Copy this workspace into a named one (shared with whoever opens that name)."""
        target = named_path(name, root)
        if target.exists() and not overwrite:
            raise WorkspaceError(f"A workspace called '{validate_name(name)}' already exists.")
        _mkdir(target.parent)
        tmp = target.with_suffix(f".{uuid.uuid4().hex}.tmp")
        alias = f"copy_{uuid.uuid4().hex[:8]}"
        self.con.execute(f"ATTACH '{_sql_path(tmp)}' AS {alias}")
        try:
            self.con.execute(f"COPY FROM DATABASE {quote_ident(self.con.execute('SELECT current_database()').fetchone()[0])} TO {alias}")
        finally:
            self.con.execute(f"DETACH {alias}")
        os.replace(tmp, target)
        return target


def _mkdir(folder: Path) -> None:
    """Create a data folder, or say in plain words why it cannot be (no absolute paths shown)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(
            f"The data folder '{folder.name}' cannot be created or written ({exc.strerror or exc}). "
            "Set POLARIS_DATA_DIR to a writable folder.") from None


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path))
    except duckdb.IOException as exc:
        message = str(exc)
        if "Permission denied" in message or "Read-only" in message:
            raise WorkspaceError(
                f"Cannot write to the data folder for {path.name!r}: it is read-only. "
                "Set POLARIS_DATA_DIR to a writable folder.") from None
        raise WorkspaceError(
            f"{path.name!r} cannot be opened as a workspace (damaged or not a DuckDB file); "
            "it was left untouched.") from None
    except duckdb.Error:
        raise WorkspaceError(
            f"{path.name!r} cannot be opened as a workspace (damaged or not a DuckDB file); "
            "it was left untouched.") from None


def sample_path(root: Path | None = None) -> Path:
    return (root or data_dir()) / "sample.duckdb"


def ensure_sample(root: Path | None = None) -> Path:
    """Build the sample company's workspace once; later calls return the existing file.

    Built into a temporary file and renamed, so a crash or a concurrent start never
    leaves a half-written sample.
    """
    target = sample_path(root)
    if target.exists():
        return target
    _mkdir(target.parent)
    tmp = target.with_name(f"sample.{uuid.uuid4().hex}.tmp")
    # A prebuilt sample (the test suite builds one per run) saves regenerating it per data folder.
    cache = os.environ.get("POLARIS_SAMPLE_CACHE")
    if cache and Path(cache).is_file():
        _copy(Path(cache), tmp)
    else:
        ws = Workspace.create(tmp, name=SAMPLE_NAME)
        try:
            write_sample(ws)
            ws.con.execute("CHECKPOINT")
        finally:
            ws.close()
    if target.exists():  # another process won the race
        tmp.unlink(missing_ok=True)
    else:
        os.replace(tmp, target)
    return target


def write_sample(ws: Workspace, n_accounts: int = 1000) -> dict[str, int]:
    """Write the bundled sample company into ``ws`` (replacing its tables)."""
    from sample_data.generator import generate

    counts = {}
    for kind, frame in generate(n_accounts=n_accounts).items():
        counts[kind] = ws.write_frame(kind, frame, source_file="sample company")
    ws.set_setting("currency", "USD")
    # The sample's value metric: reports created, with logins as the counter metric beside it.
    ws.set_setting("northstar", {"metric": "reports_created", "counter": "events"})
    return counts


def session_workspace(root: Path | None = None) -> Workspace:
    """A private copy of the sample company for one browser session."""
    base = root or data_dir()
    source = ensure_sample(base)
    sessions = base / "sessions"
    _mkdir(sessions)
    _sweep_sessions(sessions)
    path = sessions / f"{uuid.uuid4().hex}.duckdb"
    _copy(source, path)
    ws = Workspace.open(path, name=None)
    stat = source.stat()
    ws.mark_origin(f"sample:{stat.st_mtime_ns}:{stat.st_size}")
    return ws


def empty_session_workspace(root: Path | None = None) -> Workspace:
    """A private, empty workspace for one browser session."""
    sessions = (root or data_dir()) / "sessions"
    return Workspace.create(sessions / f"{uuid.uuid4().hex}.duckdb", name=None)


def _copy(source: Path, target: Path) -> None:
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise WorkspaceError(
            f"Cannot write the workspace '{target.name}' ({exc.strerror or exc}): is the data folder "
            "full or read-only? Nothing was changed.") from None


def _sweep_sessions(folder: Path, max_age_s: float = 24 * 3600) -> None:
    """Remove private session copies left over from sessions more than a day old."""
    now = time.time()
    for path in folder.glob("*.duckdb*"):
        try:
            if now - path.stat().st_mtime > max_age_s:
                path.unlink()
        except OSError:
            pass
