"""Input limits: how large a file Polaris accepts, in bytes, rows, columns and cell size.

A shared server must not be taken down by one oversized or hostile file, and a user must
learn why a file was refused. The limits are generous defaults, configurable by the
administrator through environment variables:

=========================  =========================  ==========================================
variable                   default                    limit
=========================  =========================  ==========================================
POLARIS_MAX_UPLOAD_MB      200                        size of one file (= Streamlit maxUploadSize)
POLARIS_MAX_ROWS           20,000,000                 data rows of one file
POLARIS_MAX_COLUMNS        2,000                      columns of one file
POLARIS_MAX_CELL_KB        1,024                      size of one cell (UTF-8)
=========================  =========================  ==========================================

The column and cell limits are enforced by :func:`cs_metrics.ingest.inspect_file` through its
``max_columns`` / ``max_cell_bytes`` arguments (:meth:`Limits.inspect_kwargs`); the size and
row limits by :func:`check_file` (before a file is read) and :func:`check_rows` (on the row
estimate before staging and on the exact count after it). Every refusal is an
:class:`~cs_metrics.errors.InputError` whose message, in the user's language, names the
file, its size and the limit.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from cs_metrics.errors import InputError
from cs_metrics.i18n import t

MB = 1 << 20
KB = 1 << 10
DEFAULTS = {"POLARIS_MAX_UPLOAD_MB": 200.0, "POLARIS_MAX_ROWS": 20_000_000,
            "POLARIS_MAX_COLUMNS": 2000, "POLARIS_MAX_CELL_KB": 1024.0}


@dataclass(frozen=True)
class Limits:
    """The four limits, in bytes, rows, columns and bytes."""

    max_file_bytes: int = int(DEFAULTS["POLARIS_MAX_UPLOAD_MB"] * MB)
    max_rows: int = int(DEFAULTS["POLARIS_MAX_ROWS"])
    max_columns: int = int(DEFAULTS["POLARIS_MAX_COLUMNS"])
    max_cell_bytes: int = int(DEFAULTS["POLARIS_MAX_CELL_KB"] * KB)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, lang: str = "en") -> "Limits":
        """The limits set in the environment (unset or empty variables keep their default).

        A value that is not a positive number raises InputError naming the variable.
        """
        env = os.environ if env is None else env

        def read(name: str, integer: bool) -> float:
            text = (env.get(name) or "").strip().replace(",", "").replace("_", "")
            if not text:
                return float(DEFAULTS[name])
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value) or value <= 0 or (integer and value != int(value)):
                raise InputError(t("limits.bad_setting", lang, name=name, value=env.get(name)))
            return value

        return cls(max_file_bytes=max(1, int(read("POLARIS_MAX_UPLOAD_MB", False) * MB)),
                   max_rows=int(read("POLARIS_MAX_ROWS", True)),
                   max_columns=int(read("POLARIS_MAX_COLUMNS", True)),
                   max_cell_bytes=max(1, int(read("POLARIS_MAX_CELL_KB", False) * KB)))

    def inspect_kwargs(self) -> dict[str, int]:
        """Arguments for ``ingest.inspect_file(path, **limits.inspect_kwargs())``."""
        return {"max_columns": self.max_columns, "max_cell_bytes": self.max_cell_bytes}


def current(lang: str = "en") -> Limits:
    """The limits in force (read from the environment on each call, so a test can change them)."""
    return Limits.from_env(lang=lang)


def size_text(n_bytes: float, lang: str = "en") -> str:
    """A byte count for people: ``512 bytes``, ``3.2 KB``, ``250 MB``, ``1.5 GB``."""
    if n_bytes < KB:
        return t("limits.bytes", lang, n=int(n_bytes))
    for unit, size in (("GB", 1 << 30), ("MB", MB), ("KB", KB)):
        if n_bytes >= size:
            value = n_bytes / size
            return f"{value:.0f} {unit}" if value >= 100 or value == int(value) else f"{value:.1f} {unit}"
    return f"{n_bytes / KB:.1f} KB"


def check_file(path: str | Path, filename: str | None = None, limits: Limits | None = None,
               lang: str = "en") -> int:
    """Refuse a file larger than the size limit before anything reads it; return its size.

    ``filename`` is the name the user knows (an upload is saved under a temporary name).
    A missing file is left to the reader, which reports it.
    """
    limits = limits or current(lang)
    p = Path(path)
    name = filename or p.name
    try:
        size = p.stat().st_size
    except OSError:
        return 0
    if size > limits.max_file_bytes:
        raise InputError(t("limits.file_too_large", lang, file=name, size=size_text(size, lang),
                           limit=size_text(limits.max_file_bytes, lang)))
    return size


def check_rows(n_rows: int, filename: str, limits: Limits | None = None, lang: str = "en",
               estimated: bool = False) -> None:
    """Refuse a file with more data rows than the row limit.

    With ``estimated=True`` (the reader's estimate from a sample, before the whole file is
    read) the file is refused only beyond 1.25 times the limit, so that an estimate that
    runs high does not refuse a file that fits; the exact count is checked afterwards.
    """
    limits = limits or current(lang)
    bound = limits.max_rows * (1.25 if estimated else 1.0)
    if n_rows > bound:
        key = "limits.rows_estimated" if estimated else "limits.too_many_rows"
        raise InputError(t(key, lang, file=filename, rows=f"{int(n_rows):,}", limit=f"{limits.max_rows:,}"))


def check_columns(n_columns: int, filename: str, limits: Limits | None = None, lang: str = "en") -> None:
    """Refuse a file with more columns than the column limit (the reader applies the same
    limit itself when given :meth:`Limits.inspect_kwargs`)."""
    limits = limits or current(lang)
    if n_columns > limits.max_columns:
        raise InputError(t("limits.too_many_columns", lang, file=filename, n=f"{n_columns:,}",
                           limit=f"{limits.max_columns:,}"))
