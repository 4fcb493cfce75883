"""Kind detection, proposed column mappings, and mappings remembered per workspace.

A mapping is ``{source column: target}`` for every column of the file; the target is a
canonical column, ``_source_key``, ``month:YYYY-MM`` (a wide MRR month) or ``""`` (keep as
an extra column). Mappings the user confirmed are stored in
``_polaris_mappings(signature, kind, mapping)`` under the file's header signature and
proposed again for the next file with the same headers.
"""

from __future__ import annotations

import json
from typing import Any

from cs_metrics.ingest.model import RawFile
from cs_metrics.ingest.schema import (
    KINDS,
    base_mapping,
    detect_kind_from_columns,
    header_signature,
)

MAPPINGS_TABLE = "_polaris_mappings"


def detect_kind(raw: RawFile) -> tuple[str, float]:
    """The kind of table ``raw`` most likely is, and a confidence in [0, 1].

    Each kind scores the weights of the canonical columns its headers name (a column such as
    ``Interval`` or ``Priority`` weighs more than ``Status``); a missing required column
    cuts the score; a wide month layout (three or more month headers) is MRR.

    >>> detect_kind(inspect_file("helpdesk_tickets.csv"))  # doctest: +SKIP
    ('tickets', 0.93)
    """
    return detect_kind_from_columns(raw.columns, raw.header_values or None)


def _ensure_table(con: Any) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {MAPPINGS_TABLE} "
                "(signature VARCHAR PRIMARY KEY, kind VARCHAR, mapping JSON)")


def remember_mapping(ws: Any, signature: str, kind: str, mapping: dict[str, str]) -> None:
    """Store ``kind`` and ``mapping`` for files whose header signature is ``signature``."""
    con = ws.con
    _ensure_table(con)
    con.execute(
        f"INSERT INTO {MAPPINGS_TABLE} VALUES (?, ?, ?) ON CONFLICT (signature) "
        "DO UPDATE SET kind = excluded.kind, mapping = excluded.mapping",
        [signature, kind, json.dumps(mapping, ensure_ascii=False)])


def _mappings_exist(con: Any) -> bool:
    """Whether the workspace has the table of remembered mappings (looked up, not created)."""
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = current_schema() "
        "AND database_name = current_database()", [MAPPINGS_TABLE]).fetchone()[0])


def recall_mapping(ws: Any, signature: str) -> tuple[str, dict[str, str]] | None:
    """The (kind, mapping) remembered for ``signature``, or None."""
    con = ws.con
    # Read only: a workspace that never remembered a mapping is not written to here.
    if not _mappings_exist(con):
        return None
    row = con.execute(f"SELECT kind, mapping FROM {MAPPINGS_TABLE} WHERE signature = ?", [signature]).fetchone()
    if not row:
        return None
    mapping = json.loads(row[1]) if isinstance(row[1], str) else dict(row[1])
    return str(row[0]), {str(k): str(v) for k, v in mapping.items()}


def propose_mapping(raw: RawFile, kind: str, ws: Any = None) -> dict[str, str]:
    """Source column -> target for every column of ``raw`` (``""`` = keep as extra).

    With ``ws``, a mapping remembered for the same headers and kind is used instead of the
    automatic one.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    return mapping_for(raw, kind, recall_mapping(ws, header_signature(raw.columns)) if ws is not None else None)


def mapping_for(raw: RawFile, kind: str, recalled: tuple[str, dict[str, str]] | None) -> dict[str, str]:
    """:func:`propose_mapping` given what :func:`recall_mapping` returned for ``raw``'s headers."""
    if recalled and recalled[0] == kind:
        mapping = recalled[1]
        return {c: mapping.get(c, "") for c in raw.columns}
    return base_mapping(raw.columns, kind, raw.header_values or None)


def recalled_kind(raw: RawFile, ws: Any) -> str | None:
    """The kind the user chose last time for a file with these headers, if any."""
    recalled = recall_mapping(ws, header_signature(raw.columns))
    return recalled[0] if recalled else None
