"""Workspaces: names cannot escape, settings persist, bad files are refused untouched."""

import hashlib
import os
import stat

import pandas as pd
import pytest

from cs_metrics.errors import InputError, WorkspaceError
from cs_metrics.scope import Scope, categorical_columns, quote_ident
from cs_metrics.workspace import (
    SCHEMA_VERSION, Workspace, list_named, named_path, session_workspace, validate_name)


@pytest.mark.parametrize("name", ["../evil", "a/b", "..", ".", "", "x" * 65, "a\\b", "/etc/passwd", "a\x00b", "~root"])
def test_names_that_would_escape_are_refused(name, tmp_path):
    with pytest.raises(WorkspaceError):
        named_path(name, tmp_path)


@pytest.mark.parametrize("name", ["acme", "客户成功 2024", "q3-review_v2.1"])
def test_ordinary_names_stay_inside_the_folder(name, tmp_path):
    path = named_path(name, tmp_path)
    assert path.parent == (tmp_path / "workspaces").resolve()
    assert validate_name(name) == name


def test_settings_round_trip_and_bump_the_version(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    before = ws.data_version()
    ws.set_setting("health.weights", {"usage": 40, "nps": 60})
    ws.close()
    again = Workspace.open(tmp_path / "w.duckdb")
    assert again.get_setting("health.weights") == {"usage": 40, "nps": 60}
    assert again.get_setting("missing", "dflt") == "dflt"
    assert again.data_version() == before + 1


def test_write_frame_types_dates_and_keeps_source_key(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    ws.write_frame("mrr", pd.DataFrame({"account_id": ["a", "b"], "month": pd.to_datetime(["2024-01-01"] * 2),
                                        "mrr": [10.0, 20.0]}), source_file="x.csv")
    info = ws.tables()[0]
    assert (info.kind, info.rows, str(info.min_date), info.unmatched) == ("mrr", 2, "2024-01-01", 0)
    types = dict(ws.con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_name = 'mrr'").fetchall())
    assert types["month"] == "DATE" and types["_source_key"] == "VARCHAR"


def test_corrupt_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "broken.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(WorkspaceError, match="left untouched"):
        Workspace.open(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_newer_version_is_refused_and_left_untouched(tmp_path):
    ws = Workspace.create(tmp_path / "future.duckdb")
    ws.con.execute("UPDATE _polaris_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    ws.close()
    digest = hashlib.sha256((tmp_path / "future.duckdb").read_bytes()).hexdigest()
    with pytest.raises(WorkspaceError, match="newer version"):
        Workspace.open(tmp_path / "future.duckdb")
    assert hashlib.sha256((tmp_path / "future.duckdb").read_bytes()).hexdigest() == digest


def test_plain_duckdb_file_without_polaris_metadata_is_refused(tmp_path):
    import duckdb

    con = duckdb.connect(str(tmp_path / "other.duckdb"))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    with pytest.raises(WorkspaceError, match="not a Polaris workspace"):
        Workspace.open(tmp_path / "other.duckdb")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder_gives_a_clear_message(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IREAD | stat.S_IEXEC)
    try:
        with pytest.raises(WorkspaceError, match="read-only|Cannot"):
            Workspace.create(folder / "w.duckdb")
    finally:
        folder.chmod(stat.S_IRWXU)


def test_session_copies_are_private(tmp_path):
    one, two = session_workspace(tmp_path), session_workspace(tmp_path)
    one.write_frame("goals", pd.DataFrame({"account_id": ["x"], "goal": ["secret goal"]}))
    assert one.path != two.path
    assert two.con.execute("SELECT count(*) FROM goals WHERE goal = 'secret goal'").fetchone()[0] == 0
    # the shared sample itself was not modified
    sample = Workspace.open(tmp_path / "sample.duckdb")
    assert sample.con.execute("SELECT count(*) FROM goals WHERE goal = 'secret goal'").fetchone()[0] == 0


def test_save_as_creates_a_named_workspace(tmp_path):
    ws = Workspace.create(tmp_path / "private.duckdb")
    ws.write_frame("accounts", pd.DataFrame({"account_id": ["a1"], "segment": ["SMB"]}))
    ws.save_as("acme", root=tmp_path)
    assert list_named(tmp_path) == ["acme"]
    named = Workspace.open_named("acme", root=tmp_path)
    assert named.con.execute("SELECT account_id FROM accounts").fetchall() == [("a1",)]
    with pytest.raises(WorkspaceError, match="already exists"):
        ws.save_as("acme", root=tmp_path)


def test_scope_quotes_identifiers_and_parameterises_values(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    evil = 'x"; DROP TABLE accounts; --'
    ws.write_frame("accounts", pd.DataFrame({"account_id": ["a", "b", "c"], "segment": ["SMB", "ENT", "SMB"],
                                             evil: ["p", "q", "p"]}))
    assert quote_ident(evil) == '"x""; DROP TABLE accounts; --"'
    sql, params = Scope.from_dict({evil: ["p"], "segment": ["SMB"]}).account_filter(ws.con)
    rows = ws.con.execute(f"SELECT account_id FROM accounts WHERE {sql} ORDER BY 1", params).fetchall()
    assert rows == [("a",), ("c",)]
    assert ws.has("accounts")
    with pytest.raises(InputError):
        Scope.from_dict({"nope": ["1"]}).account_filter(ws.con)
    assert Scope().account_filter(ws.con) == ("TRUE", {})
    assert "segment" in categorical_columns(ws.con)


def test_opening_a_workspace_drops_staged_copies_of_killed_loads(tmp_path):
    import time

    ws = Workspace.create(tmp_path / "w.duckdb")
    old, fresh = int(time.time()) - 7200, int(time.time())
    ws.con.execute(f"CREATE TABLE _polaris_stage_{old}_dead AS SELECT 1 AS x")
    ws.con.execute(f"CREATE TABLE _polaris_stage_{fresh}_live AS SELECT 1 AS x")
    ws.close()
    again = Workspace.open(tmp_path / "w.duckdb")
    names = [r[0] for r in again.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '_polaris_stage%'").fetchall()]
    assert names == [f"_polaris_stage_{fresh}_live"]


def test_unchanged_sample_copies_share_a_cache_key_until_one_changes(tmp_path):
    one, two = session_workspace(tmp_path), session_workspace(tmp_path)
    assert one.cache_key == two.cache_key
    one.set_setting("health.weights", {"usage": 100})
    two.set_setting("health.weights", {"nps": 100})
    assert one.cache_key != two.cache_key  # both changed once: each keyed by its own file now
    plain = Workspace.create(tmp_path / "plain.duckdb")
    assert str(tmp_path) in plain.cache_key


def test_a_workspace_made_again_under_the_same_name_gets_new_cache_keys(tmp_path):
    """Deleted and made again, a workspace counts its versions from the start; its cache key
    (and the shared health result's key) must still differ from the old file's."""
    path = tmp_path / "acme.duckdb"
    frame = pd.DataFrame({"account_id": ["A"], "account_name": ["Acme"]})
    ws = Workspace.create(path)
    ws.write_frame("accounts", frame)
    ws.bump_version()
    first, version = ws.cache_key, ws.data_version()
    ws.close()
    path.unlink()
    again = Workspace.create(path)
    again.write_frame("accounts", frame.assign(account_name="Other"))
    again.bump_version()
    assert again.data_version() == version and again.cache_key != first
    again.close()
