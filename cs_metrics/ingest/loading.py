"""Writing a prepared file into the workspace: all or nothing, in one DuckDB transaction.

``load`` replaces (or appends to) the canonical table of the prepared kind, records the load
in ``_polaris_loads`` and remembers the mapping for the file's headers, between one BEGIN
and one COMMIT. Any failure rolls everything back, so the workspace is exactly as it was.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb

from cs_metrics.ingest.mapping import MAPPINGS_TABLE, detect_kind, mapping_for, recall_mapping, remember_mapping
from cs_metrics.ingest.model import IngestError, Issue, LoadResult, Prepared, fail
from cs_metrics.ingest.staging import Progress, _say, _tables, db_error, discard, prepare, q
from cs_metrics.ingest.reader import inspect_file
from cs_metrics.ingest.schema import KINDS

LOADS_TABLE = "_polaris_loads"
MODES = ("replace", "append", "merge")


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {LOADS_TABLE} (load_id VARCHAR PRIMARY KEY, kind VARCHAR, "
                "file VARCHAR, rows BIGINT, loaded_at TIMESTAMP, mode VARCHAR)")
    con.execute(f"CREATE TABLE IF NOT EXISTS {MAPPINGS_TABLE} "
                "(signature VARCHAR PRIMARY KEY, kind VARCHAR, mapping JSON)")


def _lineage_as_text(con: duckdb.DuckDBPyConnection, kind: str, existing: dict[str, str] | None) -> None:
    """Before rows of another file go into table ``kind``: its ``_source_file`` (a one-value
    ENUM when a load created the table) becomes text, so it can hold any file name."""
    kind_type = (existing or {}).get("_source_file")
    if kind_type is not None and kind_type.upper() != "VARCHAR":
        con.execute(f"ALTER TABLE {q(kind)} ALTER COLUMN _source_file TYPE VARCHAR")


def _existing_columns(con: duckdb.DuckDBPyConnection, kind: str) -> dict[str, str] | None:
    """Column -> type of the workspace's table ``kind``, None when there is none.

    The table is looked up by name in the catalog and its columns read by ``pragma_table_info``
    on the fully qualified name (a lookup that fails would abort the load's transaction);
    ``duckdb_columns()`` would bind every system view once per process to list their columns.
    """
    found = con.execute(
        "SELECT database_name, schema_name FROM duckdb_tables() WHERE table_name = ? "
        "AND schema_name = current_schema() AND database_name = current_database()", [kind]).fetchone()
    if not found:
        return None
    name = ".".join(q(part) for part in (*found, kind))
    rows = con.execute("SELECT name, type FROM pragma_table_info(?) ORDER BY cid", [name]).fetchall()
    return {r[0]: r[1] for r in rows} if rows else None


def _list_tables(cursor: duckdb.DuckDBPyConnection) -> list[str] | None:
    """The workspace's tables, read through ``cursor`` (closed after); None if that fails."""
    try:
        return _tables(cursor)
    except duckdb.Error:
        return None
    finally:
        cursor.close()


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        # Nothing to roll back (the failure ended the transaction); the workspace is unchanged.
        pass


def _rematch_others(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """New accounts change which account every other table's rows belong to: match them again
    (inside the load's transaction, so a failure leaves everything as it was)."""
    try:
        from cs_metrics.matching import loaded_tables, match_keys
    except ImportError:
        return {}
    reports = {}
    # match_keys issues no BEGIN/COMMIT, so it runs inside this transaction.
    for table in loaded_tables(con):
        con.execute(f"UPDATE {q(table)} SET account_id = NULL")
        reports[table] = match_keys(con, table, table)
    return reports


def _merge_accounts(con: duckdb.DuckDBPyConnection, prepared: Prepared, types: dict[str, str],
                    existing: dict[str, str]) -> dict[str, int]:
    """Fold a second accounts export (another system's view of the same customers) into
    the accounts already loaded.

    Each row is matched to an existing account by the matching rules (account ID, alias
    keys such as an ERP code, normalised name); matched accounts gain the file's new columns
    and have their empty fields filled (values already there are kept); rows that match no
    account are added as new accounts. Set-based: one UPDATE and one INSERT.
    """
    from cs_metrics.matching import match_keys

    keys = f"{prepared.table}_keys"
    con.execute(f"CREATE TEMP TABLE {keys} AS SELECT DISTINCT CAST(account_id AS VARCHAR) AS _source_key, "
                f"CAST(NULL AS VARCHAR) AS account_id FROM {prepared.table} WHERE account_id IS NOT NULL")
    try:
        match_keys(con, keys, "accounts")
        columns = [c for c in prepared.columns if c != "account_id"]
        for name in columns:
            if name not in existing:
                con.execute(f"ALTER TABLE accounts ADD COLUMN {q(name)} {types[name]}")
        final = _existing_columns(con, "accounts") or {}
        # One row per target account (the first in the file), so the UPDATE is deterministic.
        source = (f"SELECT k.account_id AS _target, s.* FROM {prepared.table} s JOIN {keys} k "
                  f"ON CAST(s.account_id AS VARCHAR) = k._source_key WHERE k.account_id IS NOT NULL "
                  f"QUALIFY row_number() OVER (PARTITION BY k.account_id ORDER BY s.rowid) = 1")
        merged = con.execute(f"SELECT count(*) FROM ({source})").fetchone()[0]
        if columns and merged:
            sets = ", ".join(f"{q(c)} = COALESCE(accounts.{q(c)}, TRY_CAST(m.{q(c)} AS {final[c]}))"
                             for c in columns)
            con.execute(f"UPDATE accounts SET {sets} FROM ({source}) m WHERE accounts.account_id = m._target")
        names = ["account_id"] + columns + ["_source_key", "_source_file"]
        added = con.execute(
            f"SELECT count(*) FROM {prepared.table} s JOIN {keys} k "
            f"ON CAST(s.account_id AS VARCHAR) = k._source_key WHERE k.account_id IS NULL").fetchone()[0]
        if added:
            _lineage_as_text(con, "accounts", final)
            con.execute(f"INSERT INTO accounts BY NAME SELECT {', '.join('s.' + q(c) for c in names)} "
                        f"FROM {prepared.table} s JOIN {keys} k ON CAST(s.account_id AS VARCHAR) = k._source_key "
                        f"WHERE k.account_id IS NULL")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {keys}")
    con.execute(f"DROP TABLE {prepared.table}")
    return {"merged": int(merged), "added": int(added)}


def _record_load(con: duckdb.DuckDBPyConnection, load_id: str, prepared: Prepared, rows: int, mode: str) -> None:
    con.execute(f"INSERT INTO {LOADS_TABLE} (load_id, kind, file, rows, loaded_at, mode) "
                "VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?)",
                [load_id, prepared.kind, prepared.raw.filename, rows, mode])


def _append_conflicts(con: duckdb.DuckDBPyConnection, prepared: Prepared) -> Issue | None:
    """Rows that would duplicate keys already loaded (accounts: account_id; mrr: key + month)."""
    keys = {"accounts": ["account_id"], "mrr": ["_source_key", "month"]}.get(prepared.kind)
    if not keys:
        return None
    on = " AND ".join(f"s.{q(k)} = t.{q(k)}" for k in keys)
    n, rows = con.execute(
        f"SELECT count(*), min({prepared.row_sql}, 5) FROM {prepared.table} s "
        f"WHERE EXISTS (SELECT 1 FROM {q(prepared.kind)} t WHERE {on})").fetchone()
    if not n:
        return None
    return Issue("error", f"ingest.error.append_duplicate_{prepared.kind}", {"n": f"{n:,}"},
                 file=prepared.raw.filename, sheet=prepared.raw.sheet, rows=list(rows or []), count=int(n))


def load(ws: Any, prepared: Prepared, *, mode: str = "replace", progress: Progress = None,
         lang: str = "en") -> LoadResult:
    """Write ``prepared`` into table ``prepared.kind`` of ``ws``, all or nothing.

    ``mode="replace"`` swaps the whole table; ``"append"`` adds the rows (new extra columns
    are added to the table; keys already loaded are refused for accounts and MRR). Adds
    ``_source_file``; records ``_polaris_loads(load_id, kind, file, rows, loaded_at, mode)``;
    remembers the mapping for files with the same headers. Raises
    :class:`~cs_metrics.ingest.model.IngestError` when the report has errors or the write
    fails; the workspace is then unchanged.
    """
    if mode not in MODES:
        raise fail("ingest.error.mode", prepared.raw.filename, lang, mode=mode)
    if not prepared.report.ok or not prepared.table:
        raise IngestError(prepared.report.errors, lang)
    con = ws.con
    started = time.perf_counter()
    load_id = uuid.uuid4().hex
    kind = prepared.kind
    names = list(prepared.columns) + ["_source_key", "_source_file"]
    _say(progress, 0.0, "ingest.progress.writing")
    merge_counts: dict[str, int] | None = None
    con.execute("BEGIN TRANSACTION")
    try:
        _ensure_tables(con)
        existing = _existing_columns(con, kind)
        if mode == "merge" and kind != "accounts":
            raise fail("ingest.error.merge_accounts_only", prepared.raw.filename, lang)
        if mode == "merge" and existing is not None:
            types = dict(prepared.columns, _source_key="VARCHAR", _source_file="VARCHAR")
            merge_counts = _merge_accounts(con, prepared, types, existing)
        elif mode in ("replace", "merge") or existing is None:
            # The staged table becomes the canonical one: a rename, not a copy.
            con.execute(f"DROP TABLE IF EXISTS {q(kind)}")
            for hidden in prepared.hidden:
                con.execute(f"ALTER TABLE {prepared.table} DROP COLUMN {q(hidden)}")
            con.execute(f"ALTER TABLE {prepared.table} RENAME TO {q(kind)}")
        else:
            conflict = _append_conflicts(con, prepared)
            if conflict is not None:
                raise IngestError([conflict], lang)
            types = dict(prepared.columns, _source_key="VARCHAR", _source_file="VARCHAR")
            for name in names:
                if name not in existing:
                    con.execute(f"ALTER TABLE {q(kind)} ADD COLUMN {q(name)} {types[name]}")
            _lineage_as_text(con, kind, existing)
            con.execute(f"INSERT INTO {q(kind)} BY NAME SELECT {', '.join(q(c) for c in names)} "
                        f"FROM {prepared.table}")
            con.execute(f"DROP TABLE {prepared.table}")
        rematched = _rematch_others(con) if kind == "accounts" else {}
        _say(progress, 0.8, "ingest.progress.recording")
        _record_load(con, load_id, prepared, prepared.rows, mode)
        remember_mapping(ws, prepared.raw.signature, kind, prepared.mapping)
        if hasattr(ws, "bump_version"):
            ws.bump_version()
        con.execute("COMMIT")
    except IngestError:
        _rollback(con)
        raise
    except duckdb.Error as exc:
        _rollback(con)
        problem = db_error(exc, prepared.raw.filename, lang)
        if problem.issues[0].key == "ingest.error.unreadable":
            problem = fail("ingest.error.write_failed", prepared.raw.filename, lang,
                           detail=problem.issues[0].params["detail"])
        raise problem from None
    except BaseException:
        _rollback(con)
        raise
    prepared.table = ""
    _say(progress, 1.0, "ingest.progress.done")
    issues = prepared.report.warnings + prepared.report.notes
    if merge_counts is not None:
        issues = issues + [Issue("note", "ingest.note.merged", {k: f"{v:,}" for k, v in merge_counts.items()},
                                 file=prepared.raw.filename)]
    return LoadResult(kind=kind, rows=prepared.rows, mode=mode, load_id=load_id, file=prepared.raw.filename,
                      warnings=[i.message(lang) for i in prepared.report.warnings], issues=issues,
                      match=prepared.match, seconds=time.perf_counter() - started, rematched=rematched)


def load_path(ws: Any, path: str | Path, *, kind: str | None = None, mapping_overrides: dict[str, str] | None = None,
              sheet: str | None = None, lang: str = "en", encoding: str | None = None,
              delimiter: str | None = None, header_row: int | None = None, date_order: str | None = None,
              mode: str = "replace", filename: str | None = None, progress: Progress = None) -> LoadResult:
    """Inspect, map, prepare and load one file in one call (command line, scripts, tests).

    ``kind`` and ``mapping_overrides`` (source column -> target) override what is detected.
    Unanswered questions take their default answer and are reported as warnings. Raises
    :class:`~cs_metrics.ingest.model.IngestError` with every error of the report.
    """
    # The workspace's tables are listed (in DuckDB, which releases the GIL) while Python reads
    # the file's layout: the first catalog listing of a database takes DuckDB several
    # milliseconds, spent here beside the inspection instead of after it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        listing = pool.submit(_list_tables, ws.con.cursor())
        try:
            raw = inspect_file(path, filename=filename, encoding=encoding, sheet=sheet, delimiter=delimiter,
                               header_row=header_row)
        finally:
            tables = listing.result()
    if kind is not None and kind not in KINDS:
        raise fail("ingest.error.unknown_kind", raw.filename, lang, kind=kind, kinds=", ".join(KINDS))
    recalled = recall_mapping(ws, raw.signature) if tables is None or MAPPINGS_TABLE in tables else None
    if kind is None:
        kind = recalled[0] if recalled else detect_kind(raw)[0]
    mapping = mapping_for(raw, kind, recalled)
    for source, target in (mapping_overrides or {}).items():
        if source not in raw.columns:
            raise fail("ingest.error.unknown_source", raw.filename, lang, columns=source)
        mapping[source] = target
    first = (lambda share, key: progress(share / 2, key)) if progress else None
    second = (lambda share, key: progress(0.5 + share / 2, key)) if progress else None
    prepared = prepare(ws, raw, kind, mapping, date_order=date_order, progress=first, tables=tables)
    if not prepared.report.ok:
        discard(ws, prepared)
        raise IngestError(prepared.report.errors, lang)
    return load(ws, prepared, mode=mode, progress=second, lang=lang)
