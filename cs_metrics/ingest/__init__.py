"""Reading real exports into canonical tables: layout, encoding, kind, mapping, values, checks.

Typical use (the Data page and the command line do exactly this)::

    raw = inspect_file(path, filename="客户台账.csv")        # layout, encoding, header, sample
    kind, confidence = detect_kind(raw)                      # e.g. ("accounts", 0.9)
    mapping = propose_mapping(raw, kind, ws)                 # source column -> canonical
    prepared = prepare(ws, raw, kind, mapping)               # typed + validated, staged
    if prepared.report.ok:
        result = load(ws, prepared, mode="replace")          # one transaction

or in one call: ``load_path(ws, path)``.
"""

from cs_metrics.ingest.loading import load, load_path
from cs_metrics.ingest.mapping import (
    detect_kind,
    propose_mapping,
    recall_mapping,
    recalled_kind,
    remember_mapping,
)
from cs_metrics.ingest.model import (
    IngestError,
    Issue,
    LoadResult,
    Prepared,
    Question,
    RawFile,
    ValidationReport,
    target_label,
)
from cs_metrics.ingest.staging import discard, prepare
from cs_metrics.ingest.reader import MAX_CELL_BYTES, MAX_COLUMNS, inspect_file
from cs_metrics.ingest.schema import CANONICAL_TYPES, FIELDS, KINDS, valid_targets

__all__ = [
    "CANONICAL_TYPES", "FIELDS", "KINDS", "MAX_CELL_BYTES", "MAX_COLUMNS", "IngestError", "Issue", "LoadResult",
    "Prepared", "Question", "RawFile", "ValidationReport", "detect_kind", "discard", "inspect_file", "load",
    "load_path", "prepare", "propose_mapping", "recall_mapping", "recalled_kind", "remember_mapping",
    "target_label", "valid_targets",
]
