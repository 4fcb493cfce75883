"""Derived results kept in the workspace file, so a new session need not recompute them.

Some figures need every account although a page shows one: the health model's monthly
medians (the yardstick of the usage components) and the North Star peer medians. They are
small, so the first computation keeps them in ``_polaris_meta`` under a ``derived.*`` key,
tagged with what they depend on: the workspace's data version (raised by every load and
setting change) plus the inputs the caller names. A tag that no longer matches is ignored,
so a kept value is never stale. Keeping is best effort: a read-only workspace or a bare
connection keeps nothing, and the caller computes as before. Derived data is not a change
of data, so it does not raise the data version.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

PREFIX = "derived."


def _has_meta(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = '_polaris_meta' "
        "AND table_schema = current_schema()").fetchall()[0][0])


def tag(con: duckdb.DuckDBPyConnection, *depends: Any) -> str | None:
    """The tag of a derived value: the data version and ``depends``; None without a workspace."""
    if not _has_meta(con):
        return None
    row = con.execute("SELECT value FROM _polaris_meta WHERE key = 'data_version'").fetchall()
    return json.dumps([row[0][0] if row else "0", *depends], default=str, sort_keys=True)


def kept(con: duckdb.DuckDBPyConnection, key: str, tag_: str | None) -> Any | None:
    """The value kept under ``key`` if its tag is ``tag_``, else None."""
    if tag_ is None:
        return None
    row = con.execute("SELECT value FROM _polaris_meta WHERE key = $k", {"k": PREFIX + key}).fetchall()
    if not row:
        return None
    try:
        stored = json.loads(row[0][0])
    except (TypeError, ValueError):
        return None
    return stored.get("value") if isinstance(stored, dict) and stored.get("tag") == tag_ else None


def keep(con: duckdb.DuckDBPyConnection, key: str, tag_: str | None, value: Any) -> None:
    """Keep a JSON-able ``value`` under ``key`` with its tag (nothing when the tag is None or
    the workspace cannot be written)."""
    if tag_ is None:
        return
    try:
        con.execute("INSERT INTO _polaris_meta VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    {"k": PREFIX + key, "v": json.dumps({"tag": tag_, "value": value})})
    except duckdb.Error:
        pass
