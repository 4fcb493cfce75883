"""The global account filter ("scope") as a SQL fragment over the accounts table.

A scope is a set of conditions ``column IN (values)`` on the ``accounts`` table, ANDed
together. Metric functions take ``scope`` and add ``AND <fragment>`` to their queries, so
every page and the command line filter the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import duckdb

from cs_metrics.errors import InputError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_ident(name: str) -> str:
    """Quote a SQL identifier that came from a user's file: ``a"b`` -> ``"a""b"``."""
    return '"' + str(name).replace('"', '""') + '"'


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True)
class Scope:
    """Conditions on account columns; empty means every account.

    >>> Scope.from_dict({"segment": ["SMB"]}).is_empty
    False
    """

    filters: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, filters: dict[str, list[Any]] | None) -> "Scope":
        items = []
        for column, values in sorted((filters or {}).items()):
            vals = tuple(str(v) for v in values if v is not None)
            if vals:
                items.append((column, vals))
        return cls(tuple(items))

    def to_dict(self) -> dict[str, list[str]]:
        return {column: list(values) for column, values in self.filters}

    @property
    def is_empty(self) -> bool:
        return not self.filters

    def account_filter(self, con: duckdb.DuckDBPyConnection, column: str = "account_id",
                       known: Iterable[str] | None = None) -> tuple[str, dict[str, Any]]:
        """SQL ``column IN (SELECT account_id FROM accounts WHERE …)`` and its named parameters.

        Returns ``("TRUE", {})`` for an empty scope. Column names are checked against the
        accounts table (``known``: its columns, when the caller has read them already) and
        quoted; values are passed as named parameters ``$scope_N``, so the fragment can be
        combined with any other named-parameter query. ``column`` may be qualified
        (``u.account_id``). A scope that names account ids also gets
        ``CAST(column AS VARCHAR) IN (ids)`` in front: a filter the scan applies to the column
        itself, so a one-account call reads only that account's rows.
        """
        if self.is_empty:
            return "TRUE", {}
        known = set(table_columns(con, "accounts") if known is None else known)
        clauses, params, id_marks = [], {}, []
        for col, values in self.filters:
            if col not in known:
                raise InputError(f"Filter column '{col}' is not a column of the accounts table.")
            marks = []
            for value in values:
                name = f"scope_{len(params)}"
                params[name] = value
                marks.append(f"${name}")
            clauses.append(f"CAST({quote_ident(col)} AS VARCHAR) IN ({', '.join(marks)})")
            if col == "account_id":
                id_marks = marks
        target = ".".join(quote_ident(part) for part in column.split("."))
        sql = f"{target} IN (SELECT account_id FROM accounts WHERE {' AND '.join(clauses)})"
        if id_marks:
            sql = f"(CAST({target} AS VARCHAR) IN ({', '.join(id_marks)}) AND {sql})"
        return sql, params


_NOT_CATEGORICAL = {"account_id", "account_name", "domain", "_source_key", "_source_file"}


def categorical_columns(con: duckdb.DuckDBPyConnection, max_values: int = 60) -> list[str]:
    """Account columns usable as a segment: text with 2 … ``max_values`` distinct values.

    Keys, names and near-unique columns (alias keys, e-mails) are left out.
    """
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts' "
        "AND table_schema = current_schema() AND data_type = 'VARCHAR' ORDER BY ordinal_position"
    ).fetchall()
    names = [r[0] for r in rows if r[0] not in _NOT_CATEGORICAL]
    if not names:
        return []
    counts = con.execute(
        "SELECT " + ", ".join(f"approx_count_distinct({quote_ident(n)})" for n in names)
        + ", count(*) FROM accounts").fetchone()
    total = counts[-1] or 0
    return [n for n, c in zip(names, counts[:-1])
            if 2 <= (c or 0) <= max_values and (c or 0) < max(total, 1) * 0.9]


def column_values(con: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    if column not in table_columns(con, "accounts"):
        raise InputError(f"'{column}' is not a column of the accounts table.")
    rows = con.execute(
        f"SELECT DISTINCT CAST({quote_ident(column)} AS VARCHAR) AS v FROM accounts "
        f"WHERE {quote_ident(column)} IS NOT NULL ORDER BY v").fetchall()
    return [r[0] for r in rows]


def count_in_scope(con: duckdb.DuckDBPyConnection, scope: "Scope") -> tuple[int, int]:
    """(accounts in scope, all accounts)."""
    sql, params = scope.account_filter(con)
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE {sql}), count(*) FROM accounts", params).fetchone()
    return int(row[0]), int(row[1])
