"""Result types of the ingest: the raw file, the validation report, the prepared and loaded data.

Every message is stored as an i18n key with its parameters and rendered in the reader's
language on demand (``Issue.message(lang)``), so one report serves the English and the
Chinese interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cs_metrics.errors import InputError
from cs_metrics.i18n import has, t

# How many row numbers an issue lists before "and N more".
MAX_ROWS_LISTED = 5


@dataclass(frozen=True)
class Term:
    """A message parameter that is itself translated (a kind, a column, a date order)."""

    key: str

    def render(self, lang: str) -> str:
        return t(self.key, lang)


def _render(params: dict[str, Any], lang: str) -> dict[str, Any]:
    return {k: (v.render(lang) if isinstance(v, Term) else v) for k, v in params.items()}


def target_label(target: str, lang: str = "en") -> str:
    """Display text of a mapping target: a canonical column, ``_source_key``, a wide month, or extra."""
    if not target:
        return t("ingest.target.extra", lang)
    if target.startswith("month:"):
        return t("ingest.target.wide_month", lang, month=target[len("month:"):])
    key = f"ingest.target.{target}"
    return t(key, lang) if has(key) else target


@dataclass
class Issue:
    """One finding of the validation: where (file, sheet, rows, column) and what.

    ``rows`` are the first row numbers as the user sees them in the file (1-based, counting
    title and header rows); ``count`` is how many rows are affected in all.
    """

    severity: str  # "error" | "warning" | "note"
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    file: str = ""
    sheet: str | None = None
    column: str | None = None
    rows: list[int] = field(default_factory=list)
    count: int = 0

    def text(self, lang: str = "en") -> str:
        """The finding itself, without its location."""
        return t(self.key, lang, **_render(self.params, lang))

    def where(self, lang: str = "en") -> str:
        """Its location: file, sheet, rows (first five and how many more), column."""
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(t("ingest.where.sheet", lang, sheet=self.sheet))
        if self.rows:
            sep = "、" if lang.lower().startswith("zh") else ", "
            listed = sep.join(str(r) for r in self.rows[:MAX_ROWS_LISTED])
            key = "ingest.where.row" if len(self.rows) == 1 and self.count <= 1 else "ingest.where.rows"
            text = t(key, lang, rows=listed)
            more = self.count - min(len(self.rows), MAX_ROWS_LISTED)
            if more > 0:
                text += " " + t("ingest.where.more", lang, n=f"{more:,}")
            parts.append(text)
        if self.column:
            parts.append(t("ingest.where.column", lang, column=self.column))
        return ", ".join(parts)

    def message(self, lang: str = "en") -> str:
        """One line for a CS leader: location, then what is wrong and what to do."""
        where = self.where(lang)
        return f"{where}: {self.text(lang)}" if where else self.text(lang)

    def __str__(self) -> str:
        return self.message("en")


@dataclass
class Question:
    """Something only the user can decide (e.g. the day/month order), with a default answer.

    ``options`` are the machine values (for ``date_order``: ``"dmy"``, ``"mdy"``); the
    default is applied until the user answers (``prepare(..., date_order=...)``).
    """

    id: str
    key: str
    params: dict[str, Any]
    options: list[str]
    default: str
    columns: list[str] = field(default_factory=list)

    def text(self, lang: str = "en") -> str:
        return t(self.key, lang, **_render(self.params, lang))

    def option_label(self, option: str, lang: str = "en") -> str:
        return t(f"ingest.option.{self.id}.{option}", lang, **_render(self.params, lang))


@dataclass
class ValidationReport:
    """Findings before anything is written: errors block the load, warnings do not."""

    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, issue: Issue) -> None:
        {"error": self.errors, "warning": self.warnings, "note": self.notes}[issue.severity].append(issue)

    def messages(self, lang: str = "en", severity: str = "error") -> list[str]:
        items = {"error": self.errors, "warning": self.warnings, "note": self.notes}[severity]
        return [i.message(lang) for i in items]


class IngestError(InputError):
    """A file that cannot be read or loaded; ``issues`` render in either language."""

    def __init__(self, issues: list[Issue], lang: str = "en") -> None:
        self.issues = issues
        lines = [i.message(lang) for i in issues]
        super().__init__(lines[0] if lines else "", lines)

    def messages(self, lang: str = "en") -> list[str]:
        return [i.message(lang) for i in self.issues]


def fail(key: str, file: str = "", lang: str = "en", **params: Any) -> IngestError:
    """An IngestError with a single file-level error."""
    return IngestError([Issue("error", key, params, file=file)], lang)


@dataclass
class RawFile:
    """What was read of a file before it is mapped: layout, encoding, header and a sample.

    ``header_row`` is the 1-based line (CSV) or row (sheet) of the header. ``preview`` holds
    the first raw rows after the header, as text. ``sample`` holds up to 2,000 such rows (used
    to detect value formats) and ``sample_rows`` their row numbers.
    """

    filename: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheets: list[str]
    sheet: str | None
    header_row: int
    columns: list[str]
    preview: pd.DataFrame
    n_rows_estimate: int
    path: Path = field(default_factory=Path)
    encoding_detected: str | None = None
    encoding_confidence: float | None = None
    header_values: list[Any] = field(default_factory=list)
    raw_width: int = 0
    newline: str = "\n"
    sample: list[list[str]] = field(default_factory=list)
    sample_rows: list[int] = field(default_factory=list)
    complete: bool = False
    size_bytes: int = 0
    issues: list[Issue] = field(default_factory=list)
    max_cell_bytes: int = 1 << 20
    keep: list[int] = field(default_factory=list)

    @property
    def signature(self) -> str:
        from cs_metrics.ingest.schema import header_signature

        return header_signature(self.columns)


@dataclass
class Prepared:
    """A file typed, matched and validated in a staged temp table, ready to load.

    Nothing is written to the canonical tables until :func:`cs_metrics.ingest.load`.
    """

    kind: str
    rows: int
    report: ValidationReport
    preview: pd.DataFrame
    table: str
    raw: RawFile
    mapping: dict[str, str]
    columns: dict[str, str]
    row_sql: str
    match: Any = None
    date_order: str | None = None
    hidden: list[str] = field(default_factory=list)


@dataclass
class LoadResult:
    """What a load wrote: kind, rows, mode, the load's id and its warnings (rendered).

    ``match`` is the matching report of this file's rows; ``rematched`` holds, after an
    accounts load, the new matching report of every other loaded table.
    """

    kind: str
    rows: int
    mode: str
    load_id: str
    file: str
    warnings: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    match: Any = None
    seconds: float = 0.0
    rematched: dict[str, Any] = field(default_factory=dict)
