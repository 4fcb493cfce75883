"""Revenue and retention: where the bucket leaks, as ``docs/metrics.md`` defines it.

Everything here is computed from one monthly MRR matrix per workspace, built (set-based,
in DuckDB) from whichever revenue source is loaded:

- the ``mrr`` table (long; wide files are unpivoted by the loader): the value given, a
  month without a row is 0, several rows of one account and month are summed;
- else the ``subscriptions`` table: a subscription counts in month m when it is live on
  the last day of m (``start_date ≤ month end`` and ``end_date`` empty or after the month
  end); trials (``is_trial``) add nothing; overlapping subscriptions of an account are
  summed. The ``mrr`` column is already monthly (the loader divides ARR and yearly
  amounts by 12).

Months are calendar months. The first month of the data is the opening balance: it has no
movements. Months before the first or after the last month of the data are unknown, so a
window reaching outside the data gives ``None`` figures rather than made-up zeros.

MRR movements of month m against m−1, per account (amounts positive, as reported):

=============  ==============================================  ===================
new            MRR_{m−1} = 0, no MRR in any earlier month, MRR_m > 0   MRR_m
reactivation   MRR_{m−1} = 0, MRR in some earlier month, MRR_m > 0     MRR_m
expansion      MRR_{m−1} > 0, MRR_m > MRR_{m−1}                         MRR_m − MRR_{m−1}
contraction    MRR_m > 0, MRR_m < MRR_{m−1}                             MRR_{m−1} − MRR_m
churn          MRR_{m−1} > 0, MRR_m = 0                                 MRR_{m−1}
=============  ==============================================  ===================

so that ``MRR_m − MRR_{m−1} = new + reactivation + expansion − contraction − churn``.

Over a window from month a to month b (default b = the as-of month, a = b − 12), with
S = accounts with MRR_a > 0: GRR = Σ_S min(MRR_b, MRR_a) / Σ_S MRR_a; NRR = Σ_S MRR_b /
Σ_S MRR_a; logo retention = |{i ∈ S: MRR_b > 0}| / |S| (an account that left and came
back inside the window is retained); movements are the sums over months a+1 … b; quick
ratio = (new + expansion + reactivation) / (contraction + churn).

Example (an account paying 100, then 150, then nothing)::

    >>> import duckdb, datetime as dt
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE mrr (account_id VARCHAR, month DATE, mrr DOUBLE)")
    >>> _ = con.execute("INSERT INTO mrr VALUES ('a', '2024-01-01', 100), ('a', '2024-02-01', 150),"
    ...                 " ('b', '2024-01-01', 50), ('b', '2024-03-01', 50)")
    >>> movements(con)[["new", "expansion", "contraction", "churn", "reactivation"]].to_dict("records")
    [{'new': 0.0, 'expansion': 50.0, 'contraction': 0.0, 'churn': 50.0, 'reactivation': 0.0}, {'new': 0.0, 'expansion': 0.0, 'contraction': 0.0, 'churn': 150.0, 'reactivation': 50.0}]
    >>> r = window_retention(con, as_of="2024-03", window_months=2)
    >>> (r.grr, r.nrr, r.logo_retention)
    (0.3333333333333333, 0.3333333333333333, 0.5)
"""

from __future__ import annotations

import datetime as dt
import math
import re
import weakref
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from cs_metrics.errors import InputError
from cs_metrics.scope import Scope, quote_ident

MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")
GAINS = ("new", "expansion", "reactivation")
LOSSES = ("contraction", "churn")
WINDOW_CHOICES = (1, 3, 6, 12)
DEFAULT_WINDOW = 12

# Internal per-connection tables. They are TEMP, so they never reach the workspace file
# (nor a copy made by save_as) and each session's connection keeps its own.
_ROWS = "_polaris_rev_rows"
_ACCOUNTS = "_polaris_rev_accounts"
_EVENTS = "_polaris_rev_events"
_DENSE_VIEW = "_polaris_mrr_monthly"
# Raised whenever the layout of the temp tables changes, so a live session rebuilds them.
_LAYOUT = "5"
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*$")
_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> Any:
    """``con.execute`` with only the named parameters the SQL uses.

    DuckDB refuses a named parameter the statement does not reference, and fragments
    (scope, optional columns) come and go, so the parameter dict is trimmed to fit.
    """
    used = set(_PARAM_RE.findall(sql))
    return con.execute(sql, {k: v for k, v in (params or {}).items() if k in used})


# Months ---------------------------------------------------------------------------------
def month_index(value: str | dt.date) -> int:
    """A month as a serial number (year × 12 + month − 1), from 'YYYY-MM' or a date.

    >>> month_index("2024-01"), month_index(dt.date(2024, 2, 29))
    (24288, 24289)
    """
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.year * 12 + value.month - 1
    match = _MONTH_RE.match(str(value))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputError(f"'{value}' is not a month: expected YYYY-MM, for example 2024-01.")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def month_label(index: int) -> str:
    """The 'YYYY-MM' name of a month index.

    >>> month_label(24288)
    '2024-01'
    """
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(index: int) -> dt.date:
    return month_start(index + 1) - dt.timedelta(days=1)


def annualise(monthly: float | None) -> float | None:
    """Annual rate from a monthly one: ``1 − (1 − monthly)^12`` (never ``× 12``).

    >>> round(annualise(0.02), 4)
    0.2153
    """
    if monthly is None or (isinstance(monthly, float) and math.isnan(monthly)):
        return None
    return 1.0 - (1.0 - monthly) ** 12


def deannualise(annual: float | None) -> float | None:
    """Monthly rate from an annual one: ``1 − (1 − annual)^(1/12)``.

    >>> round(deannualise(0.2153), 4)
    0.02
    """
    if annual is None or annual > 1:
        return None
    return 1.0 - (1.0 - annual) ** (1.0 / 12.0)


# The matrix -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Matrix:
    """Where the matrix came from and which months it covers (d0 … d1, month indices)."""

    source: str
    d0: int | None
    d1: int | None

    @property
    def empty(self) -> bool:
        return self.d0 is None or self.d1 is None


@dataclass
class _Catalog:
    """What one connection's database holds, remembered between calls.

    Reading the catalogue costs milliseconds per query (tens on a big workspace, and a
    page makes dozens of calls), so it is read once per data version: a workspace counts
    every change in ``_polaris_meta.data_version``, a one-row lookup. A bare connection
    without that table is read afresh on every call.
    """

    version: str | None
    columns: dict[str, tuple[str, ...]]
    matrix_key: str | None = None
    matrix: _Matrix | None = None
    matrix_version: str | None = None


# Per connection object; the temp tables it describes live and die with the connection.
_CATALOGS: "weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, _Catalog]" = weakref.WeakKeyDictionary()


def _version(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT value FROM _polaris_meta WHERE key = 'data_version'").fetchone()
    return str(row[0]) if row else "0"


def _catalog(con: duckdb.DuckDBPyConnection) -> _Catalog:
    known = _CATALOGS.get(con)
    if known is not None and known.version is not None and _version(con) == known.version:
        return known
    rows = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = current_schema() ORDER BY table_name, column_index").fetchall()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    version = _version(con) if "_polaris_meta" in columns else None
    catalog = _Catalog(version, {t: tuple(c) for t, c in columns.items()})
    if known is not None:
        catalog.matrix_key, catalog.matrix = known.matrix_key, known.matrix
    _CATALOGS[con] = catalog
    return catalog


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Tables of the workspace (not temp tables)."""
    return set(_catalog(con).columns)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return set(_catalog(con).columns.get(table, ()))


def revenue_source(con: duckdb.DuckDBPyConnection) -> str | None:
    """'mrr' when a monthly MRR table is loaded, else 'subscriptions', else None."""
    if {"account_id", "month", "mrr"} <= _columns(con, "mrr"):
        return "mrr"
    if {"account_id", "start_date", "mrr"} <= _columns(con, "subscriptions"):
        return "subscriptions"
    return None


def _fingerprint(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """Identifies the rows the matrix is built from, so it is rebuilt only when they change
    (a settings change also raises the workspace's data version, but costs no rebuild)."""
    cols = _columns(con, source)
    date_col = "month" if source == "mrr" else "start_date"
    end_sql = "max(end_date)" if "end_date" in cols else "NULL"
    trial_sql = "count(*) FILTER (WHERE is_trial)" if "is_trial" in cols else "NULL"
    row = con.execute(
        f"SELECT count(*), sum(mrr), min({date_col}), max({date_col}), {end_sql}, {trial_sql}, "
        f"sum(hash(account_id, {date_col}, mrr)) FROM {quote_ident(source)}").fetchone()
    return f"{_LAYOUT}|{source}|{row}|{month_index(dt.date.today())}"


def _matrix(con: duckdb.DuckDBPyConnection) -> _Matrix | None:
    """Build the matrix's temp tables on this connection if missing or stale; None without revenue."""
    catalog = _catalog(con)
    if catalog.version is not None and catalog.matrix_version == catalog.version:
        return catalog.matrix
    source = revenue_source(con)
    matrix = None
    if source is not None:
        key = _fingerprint(con, source)
        if key == catalog.matrix_key and catalog.matrix is not None:
            matrix = catalog.matrix
        else:
            matrix = _build(con, source)
            catalog.matrix_key = key
    catalog.matrix, catalog.matrix_version = matrix, catalog.version
    return matrix


def _mi(expr: str) -> str:
    """SQL month index of a DATE/TIMESTAMP expression."""
    return f"(year({expr}) * 12 + month({expr}) - 1)"


def _build(con: duckdb.DuckDBPyConnection, source: str) -> _Matrix:
    """Create the temp tables behind every revenue figure.

    - ``_polaris_rev_rows`` (ak, mi, mrr): one row per account and month with MRR > 0,
      stored in (account, month) order;
    - ``_polaris_rev_events`` (ak, mi, movement, amount, mrr_before, mrr_after): every MRR
      movement, read from consecutive rows of that order — a paying month right after
      another of the same account is an expansion or contraction if the amount changed;
      after a gap it is a reactivation (and the month after the earlier one a churn); the
      first row of an account is new (unless in the opening month); the month after an
      account's last paying month is a churn (if inside the data);
    - ``_polaris_rev_accounts`` (ak, account_id, first_mi, last_mi, first_churn_mi).

    ``ak`` is a dense integer key and ``mi`` a month index (year × 12 + month − 1).
    """
    if source == "mrr":
        src_sql, bounds_sql = _mrr_source_sql()
        d0, d1, negatives = execute(con, bounds_sql).fetchone()
    else:
        src_sql, bounds_sql = _subscription_source_sql(con)
        d0, d1 = execute(con, bounds_sql, {"today": month_index(dt.date.today())}).fetchone()
        negatives = None
    d0 = None if d0 is None else int(d0)
    d1 = None if d1 is None else int(d1)
    params = {"d0": d0 if d0 is not None else -1, "d1": d1 if d1 is not None else -1}
    # Reading consecutive rows relies on tables keeping the order they were written in.
    keep_order = execute(con, "SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    if not keep_order:
        execute(con, "SET preserve_insertion_order = true")
    try:
        # Integer keys: sorting and joining on them is several times faster than on text ids.
        execute(con, f"""
            CREATE OR REPLACE TEMP TABLE _polaris_rev_keys AS
            SELECT account_id, CAST(row_number() OVER (ORDER BY account_id) AS INTEGER) AS ak
            FROM (SELECT DISTINCT account_id FROM {quote_ident(source)} WHERE account_id IS NOT NULL)""")
        # A monthly table normally has one row per account and month, and then needs no
        # grouping. Duplicates (seen below as two consecutive rows of the same month) or
        # credits (negative rows) take the summing path; so do subscriptions, which overlap.
        # MRR is rounded to 1e-6 so that summing cannot turn an unchanged month into a
        # 1e-13 "expansion"; a negative sum (a credit) is not recurring revenue.
        summed = source != "mrr" or bool(negatives)
        for attempt in range(2):
            if summed:
                paying = f"""SELECT k.ak, CAST(s.mi AS INTEGER) AS mi, round(sum(s.mrr), 6) AS mrr
                    FROM ({src_sql}) s JOIN _polaris_rev_keys k USING (account_id) WHERE s.mi <= $d1
                    GROUP BY k.ak, s.mi HAVING round(sum(s.mrr), 6) > 0"""
            else:
                paying = f"""SELECT k.ak, CAST(s.mi AS INTEGER) AS mi, round(s.mrr, 6) AS mrr
                    FROM ({src_sql}) s JOIN _polaris_rev_keys k USING (account_id) WHERE round(s.mrr, 6) > 0"""
            execute(con, f"CREATE OR REPLACE TEMP TABLE {_ROWS} AS {paying} ORDER BY ak, mi", params)
            # Each row beside the next one: a positional join of the table with itself
            # shifted by one row (much cheaper than a window); checked, and redone with a
            # window if the order was not kept.
            # Only pairs that carry a movement (or break the order) are kept: most months of
            # most accounts repeat the month before.
            execute(con, f"""
                CREATE OR REPLACE TEMP TABLE _polaris_rev_pairs AS
                SELECT * FROM (
                    SELECT e.ak, e.mi, e.mrr, n.ak AS nak, n.mi AS nmi, n.mrr AS nmrr
                    FROM {_ROWS} e POSITIONAL JOIN (SELECT ak, mi, mrr FROM {_ROWS} OFFSET 1) n)
                WHERE NOT (nak = ak AND nmi = mi + 1 AND nmrr = mrr) OR nak IS NULL""")
            disorder, duplicates = execute(con, """
                SELECT count(*) FILTER (WHERE nak < ak OR (nak = ak AND nmi < mi)),
                       count(*) FILTER (WHERE nak = ak AND nmi = mi) FROM _polaris_rev_pairs""").fetchone()
            if disorder:
                execute(con, f"""
                    CREATE OR REPLACE TEMP TABLE _polaris_rev_pairs AS
                    SELECT * FROM (
                        SELECT ak, mi, mrr, lead(ak) OVER w AS nak, lead(mi) OVER w AS nmi, lead(mrr) OVER w AS nmrr
                        FROM {_ROWS} WINDOW w AS (ORDER BY ak, mi))
                    WHERE NOT (nak = ak AND nmi = mi + 1 AND nmrr = mrr) OR nak IS NULL""")
            if not duplicates:
                break
            summed = True
        execute(con, f"""
            CREATE OR REPLACE TEMP TABLE {_EVENTS} AS
            SELECT nak AS ak, nmi AS mi, CASE WHEN nmrr > mrr THEN 'expansion' ELSE 'contraction' END AS movement,
                   abs(nmrr - mrr) AS amount, mrr AS mrr_before, nmrr AS mrr_after
            FROM _polaris_rev_pairs WHERE nak = ak AND nmi = mi + 1 AND nmrr <> mrr
            UNION ALL
            SELECT ak, mi + 1, 'churn', mrr, mrr, 0.0
            FROM _polaris_rev_pairs WHERE (nak IS DISTINCT FROM ak OR nmi > mi + 1) AND mi + 1 <= $d1
            UNION ALL
            SELECT nak, nmi, 'reactivation', nmrr, 0.0, nmrr FROM _polaris_rev_pairs WHERE nak = ak AND nmi > mi + 1
            UNION ALL
            SELECT nak, nmi, 'new', nmrr, 0.0, nmrr FROM _polaris_rev_pairs WHERE nak <> ak AND nmi > $d0
            UNION ALL
            SELECT ak, mi, 'new', mrr, 0.0, mrr FROM (SELECT ak, mi, mrr FROM {_ROWS} LIMIT 1) WHERE mi > $d0""",
                params)
        # First and last paying months come from the account boundaries among the pairs
        # (plus the table's first row), without another pass over every row.
        execute(con, f"""
            CREATE OR REPLACE TEMP TABLE {_ACCOUNTS} AS
            WITH firsts AS (
                SELECT nak AS ak, nmi AS first_mi FROM _polaris_rev_pairs WHERE nak <> ak
                UNION ALL
                SELECT ak, mi FROM (SELECT ak, mi FROM {_ROWS} LIMIT 1)),
            lasts AS (SELECT ak, mi AS last_mi FROM _polaris_rev_pairs WHERE nak IS DISTINCT FROM ak),
            churns AS (SELECT ak, min(mi) AS first_churn_mi FROM {_EVENTS} WHERE movement = 'churn' GROUP BY ak)
            SELECT k.ak, k.account_id, CAST(f.first_mi AS INTEGER) AS first_mi,
                   CAST(l.last_mi AS INTEGER) AS last_mi, CAST(c.first_churn_mi AS INTEGER) AS first_churn_mi
            FROM _polaris_rev_keys k
            LEFT JOIN firsts f USING (ak) LEFT JOIN lasts l USING (ak) LEFT JOIN churns c USING (ak)""")
        execute(con, "DROP TABLE IF EXISTS _polaris_rev_pairs")
    finally:
        if not keep_order:
            execute(con, "SET preserve_insertion_order = false")
    execute(con, "DROP TABLE IF EXISTS _polaris_rev_keys")
    # The dense matrix: every month from an account's first payment to the end of the
    # data, 0 where it paid nothing. A view, so it costs nothing until someone reads it.
    stop = (d1 if d1 is not None else -1) + 1
    execute(con, f"""
        CREATE OR REPLACE TEMP VIEW {_DENSE_VIEW} AS
        SELECT a.account_id,
               make_date(CAST(g.mi // 12 AS BIGINT), CAST(g.mi % 12 + 1 AS BIGINT), 1) AS month,
               coalesce(r.mrr, 0.0) AS mrr
        FROM (SELECT ak, CAST(unnest(range(first_mi, {stop})) AS INTEGER) AS mi
              FROM {_ACCOUNTS} WHERE first_mi IS NOT NULL) g
        JOIN {_ACCOUNTS} a USING (ak)
        LEFT JOIN {_ROWS} r ON r.ak = g.ak AND r.mi = g.mi""")
    return _Matrix(source, d0, d1)


def _mrr_source_sql() -> tuple[str, str]:
    rows = (f"SELECT account_id, {_mi('month')} AS mi, CAST(mrr AS DOUBLE) AS mrr FROM mrr "
            "WHERE account_id IS NOT NULL AND month IS NOT NULL AND mrr IS NOT NULL")
    bounds = f"SELECT min(mi), max(mi), count(*) FILTER (WHERE mrr < 0) FROM ({rows})"
    return rows, bounds


def _subscription_source_sql(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """Subscription intervals as (account, month, mrr) rows by the month-end rule.

    Live in m ⟺ start_date ≤ end of m and (end_date empty or end_date > end of m), i.e.
    month(start) ≤ m < month(end). The data ends with the month of the latest start or end
    date that is not in the future (dates after today are commitments, not history).
    """
    cols = _columns(con, "subscriptions")
    trial = "AND NOT coalesce(CAST(is_trial AS BOOLEAN), FALSE)" if "is_trial" in cols else ""
    end_mi = _mi("end_date") if "end_date" in cols else "NULL"
    base = (f"SELECT account_id, {_mi('start_date')} AS s_mi, {end_mi} AS e_mi, CAST(mrr AS DOUBLE) AS mrr "
            f"FROM subscriptions WHERE account_id IS NOT NULL AND start_date IS NOT NULL "
            f"AND mrr > 0 {trial}")
    bounds = f"""
        WITH subs AS ({base}),
        ev AS (SELECT s_mi AS m FROM subs UNION ALL SELECT e_mi FROM subs WHERE e_mi IS NOT NULL)
        SELECT (SELECT min(s_mi) FROM subs),
               coalesce(max(m) FILTER (WHERE m <= $today), max(m)) FROM ev"""
    rows = f"""
        SELECT account_id, unnest(range(s_mi, least(coalesce(e_mi, $d1 + 1), $d1 + 1))) AS mi, mrr
        FROM ({base}) WHERE s_mi <= $d1"""
    return rows, bounds


def mrr_monthly(con: duckdb.DuckDBPyConnection, scope: Scope | None = None) -> str | None:
    """The monthly MRR matrix as the name of a temp view (account_id, month DATE, mrr).

    One row per account and month from the account's first month with MRR > 0 to the last
    month of the data, 0 in months it paid nothing. Built from ``mrr`` if loaded, else from
    ``subscriptions`` (month-end rule); None when neither is loaded.

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE mrr AS SELECT 'a' AS account_id, DATE '2024-01-01' AS month, 10.0 AS mrr"
    ...                 " UNION ALL SELECT 'b', DATE '2024-02-01', 5.0")
    >>> con.execute(f"SELECT * FROM {mrr_monthly(con)} ORDER BY 1, 2").fetchall()
    [('a', datetime.date(2024, 1, 1), 10.0), ('a', datetime.date(2024, 2, 1), 0.0), ('b', datetime.date(2024, 2, 1), 5.0)]
    """
    matrix = _matrix(con)
    if matrix is None:
        return None
    scope = scope or Scope()
    if scope.is_empty:
        return _DENSE_VIEW
    sql, params = scope.account_filter(con)
    name = f"_polaris_mrr_monthly_{abs(hash(scope.filters)) % 10**10}"
    execute(con, f"CREATE OR REPLACE TEMP TABLE {name}_ids AS SELECT account_id FROM {_ACCOUNTS} "
                f"WHERE {sql}", params)
    execute(con, f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT m.* FROM {_DENSE_VIEW} m "
                f"SEMI JOIN {name}_ids USING (account_id)")
    return name


def _scope_sql(con: duckdb.DuckDBPyConnection, scope: Scope | None, alias: str = "") -> tuple[str, dict]:
    """A filter on matrix rows (by ``ak``) for the global account filter."""
    scope = scope or Scope()
    if scope.is_empty:
        return "TRUE", {}
    sql, params = scope.account_filter(con)
    prefix = f"{alias}." if alias else ""
    return f"{prefix}ak IN (SELECT ak FROM {_ACCOUNTS} WHERE {sql})", params


def latest_month(con: duckdb.DuckDBPyConnection) -> str | None:
    """The last month of the revenue data ('YYYY-MM'), the default as-of month; None without revenue."""
    matrix = _matrix(con)
    return None if matrix is None or matrix.empty else month_label(matrix.d1)


def first_month(con: duckdb.DuckDBPyConnection) -> str | None:
    """The first month of the revenue data (its opening balance)."""
    matrix = _matrix(con)
    return None if matrix is None or matrix.empty else month_label(matrix.d0)


def revenue_months(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every month of the revenue data, oldest first (the as-of choices)."""
    matrix = _matrix(con)
    if matrix is None or matrix.empty:
        return []
    return [month_label(i) for i in range(matrix.d0, matrix.d1 + 1)]


def _as_of(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None) -> tuple[_Matrix | None, int | None]:
    matrix = _matrix(con)
    if matrix is None or matrix.empty:
        return matrix, (month_index(as_of) if as_of else None)
    return matrix, (month_index(as_of) if as_of else matrix.d1)


def _covers(matrix: _Matrix | None, *months: int | None) -> bool:
    return (matrix is not None and not matrix.empty
            and all(m is not None and matrix.d0 <= m <= matrix.d1 for m in months))


# Movements ------------------------------------------------------------------------------
def _events_sql(scope_sql: str) -> str:
    """Every movement of months $lo … $hi: (ak, mi, movement, amount, mrr_before, mrr_after)."""
    return f"""
        SELECT ak, mi, movement, amount, mrr_before, mrr_after FROM {_EVENTS}
        WHERE mi BETWEEN $lo AND $hi AND {scope_sql}"""


_MOVEMENT_COLUMNS = (["month", "mrr_start"] + list(MOVEMENTS) + ["mrr_end", "net_change"]
                     + [f"{m}_accounts" for m in MOVEMENTS] + ["active_start", "active_end"])


def movements(con: duckdb.DuckDBPyConnection, scope: Scope | None = None,
              as_of: str | dt.date | None = None, start: str | dt.date | None = None) -> pd.DataFrame:
    """MRR movements per month, totals over accounts, from the second month of the data.

    Columns: ``month`` (first day), ``mrr_start`` (MRR_{m−1}), ``new``, ``expansion``,
    ``reactivation``, ``contraction``, ``churn`` (all positive amounts), ``mrr_end`` (MRR_m),
    ``net_change`` (= mrr_end − mrr_start = new + expansion + reactivation − contraction −
    churn), the number of accounts behind each movement (``<movement>_accounts``), and
    ``active_start`` / ``active_end`` (accounts with MRR > 0 in m−1 / m).
    """
    matrix, b = _as_of(con, as_of)
    empty = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "month" else "float64")
                          for c in _MOVEMENT_COLUMNS})
    if matrix is None or matrix.empty or b is None:
        return empty
    lo = max(matrix.d0 + 1, month_index(start) if start else matrix.d0 + 1)
    hi = min(b, matrix.d1)
    if hi < lo:
        return empty
    scope_sql, scope_params = _scope_sql(con, scope)
    params = {"d0": matrix.d0, "d1": matrix.d1, "lo": lo, "hi": hi, **scope_params}
    sums = ", ".join(f"coalesce(sum(amount) FILTER (WHERE movement = '{m}'), 0) AS {m}" for m in MOVEMENTS)
    counts = ", ".join(f"count(*) FILTER (WHERE movement = '{m}') AS {m}_accounts" for m in MOVEMENTS)
    frame = execute(con, f"""
        WITH months AS (SELECT CAST(unnest(range($lo - 1, $hi + 1)) AS INTEGER) AS mi),
        totals AS (
            SELECT mi, sum(mrr) AS mrr, count(*) AS active FROM {_ROWS}
            WHERE mi BETWEEN $lo - 1 AND $hi AND {scope_sql} GROUP BY mi),
        ev AS (SELECT mi, {sums}, {counts} FROM ({_events_sql(scope_sql)}) GROUP BY mi),
        grid AS (
            SELECT m.mi, coalesce(t.mrr, 0) AS mrr, coalesce(t.active, 0) AS active,
                   lag(coalesce(t.mrr, 0)) OVER (ORDER BY m.mi) AS mrr_start,
                   lag(coalesce(t.active, 0)) OVER (ORDER BY m.mi) AS active_start
            FROM months m LEFT JOIN totals t USING (mi))
        SELECT make_date(CAST(g.mi // 12 AS BIGINT), CAST(g.mi % 12 + 1 AS BIGINT), 1) AS month,
               g.mrr_start, {", ".join(f"coalesce(e.{m}, 0) AS {m}" for m in MOVEMENTS)},
               g.mrr AS mrr_end, g.mrr - g.mrr_start AS net_change,
               {", ".join(f"coalesce(e.{m}_accounts, 0) AS {m}_accounts" for m in MOVEMENTS)},
               g.active_start, g.active AS active_end
        FROM grid g LEFT JOIN ev e USING (mi)
        WHERE g.mi >= $lo ORDER BY g.mi""", params).df()
    frame["month"] = pd.to_datetime(frame["month"])
    for column in _MOVEMENT_COLUMNS[1:]:
        frame[column] = frame[column].astype("float64")
    return frame[_MOVEMENT_COLUMNS]


def account_movements(con: duckdb.DuckDBPyConnection, month: str | dt.date,
                      movement: str | None = None, scope: Scope | None = None) -> pd.DataFrame:
    """The accounts behind one bar of the movements chart: who moved in ``month``, and how.

    Columns: ``account_id``, ``account_name`` (when the accounts table has it),
    ``movement``, ``mrr_before`` (MRR_{m−1}), ``mrr_after`` (MRR_m), ``amount`` (positive),
    ``relative_change`` ((MRR_m − MRR_{m−1}) / MRR_{m−1}; None for new and returning
    accounts), largest amount first. ``movement`` None lists all five kinds.
    """
    if movement is not None and movement not in MOVEMENTS:
        raise InputError(f"'{movement}' is not an MRR movement: expected one of {', '.join(MOVEMENTS)}.")
    matrix = _matrix(con)
    columns = ["account_id", "account_name", "movement", "mrr_before", "mrr_after", "amount", "relative_change"]
    mi = month_index(month)
    if not _covers(matrix, mi) or mi == matrix.d0:
        return pd.DataFrame(columns=columns)
    scope_sql, scope_params = _scope_sql(con, scope)
    params = {"d0": matrix.d0, "d1": matrix.d1, "lo": mi, "hi": mi, **scope_params}
    name_sql, join_sql = "NULL", ""
    if "account_name" in _columns(con, "accounts"):
        name_sql = "acc.account_name"
        join_sql = "LEFT JOIN (SELECT account_id, any_value(account_name) AS account_name FROM accounts " \
                   "GROUP BY account_id) acc ON acc.account_id = a.account_id"
    where = "TRUE" if movement is None else "e.movement = $movement"
    if movement is not None:
        params["movement"] = movement
    frame = execute(con, f"""
        SELECT a.account_id, CAST({name_sql} AS VARCHAR) AS account_name, e.movement,
               e.mrr_before, e.mrr_after, e.amount,
               (e.mrr_after - e.mrr_before) / nullif(e.mrr_before, 0) AS relative_change
        FROM ({_events_sql(scope_sql)}) e JOIN {_ACCOUNTS} a USING (ak) {join_sql}
        WHERE {where} ORDER BY e.amount DESC, a.account_id""", params).df()
    if name_sql == "NULL":
        frame = frame.drop(columns=["account_name"])
    return frame


# Windows --------------------------------------------------------------------------------
@dataclass(frozen=True)
class WindowRetention:
    """Retention over the window a … b (see the module docstring for the definitions).

    ``mrr_start`` / ``mrr_end`` and ``active_start`` / ``active_end`` are the MRR and the
    paying accounts of every account (not only the cohort) in months a and b.

    ``covered`` is False when the window reaches outside the data; every figure is then
    None. Figures whose denominator is 0 (no account paying at a) are None as well.
    """

    start: str
    end: str
    window_months: int
    covered: bool
    cohort_accounts: int | None = None
    retained_accounts: int | None = None
    cohort_mrr_start: float | None = None
    cohort_mrr_end: float | None = None
    cohort_mrr_kept: float | None = None
    grr: float | None = None
    nrr: float | None = None
    logo_retention: float | None = None
    logo_churn_rate: float | None = None
    gross_revenue_churn: float | None = None
    mrr_start: float | None = None
    mrr_end: float | None = None
    active_start: int | None = None
    active_end: int | None = None
    movements: dict[str, float] | None = None
    movement_accounts: dict[str, int] | None = None
    quick_ratio: float | None = None

    @property
    def arpa_start(self) -> float | None:
        """ARPA (MRR ÷ paying accounts) of the window's first month."""
        return self.mrr_start / self.active_start if self.active_start else None

    @property
    def arpa_end(self) -> float | None:
        return self.mrr_end / self.active_end if self.active_end else None

    @property
    def mrr_growth(self) -> float | None:
        """MRR_b / MRR_a − 1 over every account (None when nobody paid at a)."""
        return self.mrr_end / self.mrr_start - 1.0 if self.mrr_start else None


def _check_window(window_months: int) -> int:
    try:
        w = int(window_months)
    except (TypeError, ValueError):
        raise InputError(f"Window '{window_months}': expected a whole number of months, e.g. 12.") from None
    if w < 1 or w != window_months:
        raise InputError(f"Window '{window_months}': expected a whole number of months of at least 1, e.g. 12.")
    return w


def window_retention(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                     window_months: int = DEFAULT_WINDOW, scope: Scope | None = None) -> WindowRetention | None:
    """GRR, NRR, logo retention, movements and quick ratio over the window a = b − w … b.

    None without revenue data. When the window reaches before the first month of the
    data (a longer window than the history, or an as-of month before the data) the result
    has ``covered=False`` and None figures: MRR_a is unknown there, not 0.
    """
    w = _check_window(window_months)
    matrix, b = _as_of(con, as_of)
    if matrix is None or matrix.empty or b is None:
        return None
    a = b - w
    if not _covers(matrix, a, b):
        return WindowRetention(month_label(a), month_label(b), w, covered=False)
    scope_sql, scope_params = _scope_sql(con, scope)
    params = {"a": a, "b": b, **scope_params}
    cohort, retained, start_mrr, kept, end_mrr, total_a, total_b, active_b = execute(con, f"""
        WITH ab AS (
            SELECT ak, sum(mrr) FILTER (WHERE mi = $a) AS ma, coalesce(sum(mrr) FILTER (WHERE mi = $b), 0) AS mb
            FROM {_ROWS} WHERE mi IN ($a, $b) AND {scope_sql} GROUP BY ak)
        SELECT count(*) FILTER (WHERE ma > 0), count(*) FILTER (WHERE ma > 0 AND mb > 0),
               sum(ma) FILTER (WHERE ma > 0), sum(least(ma, mb)) FILTER (WHERE ma > 0),
               sum(mb) FILTER (WHERE ma > 0), coalesce(sum(ma), 0), coalesce(sum(mb), 0),
               count(*) FILTER (WHERE mb > 0)
        FROM ab""", params).fetchone()
    moves, counts = _window_movements(con, matrix, a, b, scope)
    gains = sum(moves[m] for m in GAINS)
    losses = sum(moves[m] for m in LOSSES)
    has_cohort = bool(cohort) and bool(start_mrr)
    grr = kept / start_mrr if has_cohort else None
    logo = retained / cohort if cohort else None
    return WindowRetention(
        start=month_label(a), end=month_label(b), window_months=w, covered=True,
        cohort_accounts=int(cohort), retained_accounts=int(retained),
        cohort_mrr_start=float(start_mrr) if start_mrr is not None else None,
        cohort_mrr_end=float(end_mrr) if end_mrr is not None else None,
        cohort_mrr_kept=float(kept) if kept is not None else None,
        grr=grr, nrr=end_mrr / start_mrr if has_cohort else None,
        logo_retention=logo, logo_churn_rate=1.0 - logo if logo is not None else None,
        gross_revenue_churn=1.0 - grr if grr is not None else None,
        mrr_start=float(total_a), mrr_end=float(total_b),
        active_start=int(cohort), active_end=int(active_b),
        movements=moves, movement_accounts=counts,
        quick_ratio=gains / losses if losses > 0 else None,
    )


def _window_movements(con: duckdb.DuckDBPyConnection, matrix: _Matrix, a: int, b: int,
                      scope: Scope | None) -> tuple[dict[str, float], dict[str, int]]:
    scope_sql, scope_params = _scope_sql(con, scope)
    params = {"d0": matrix.d0, "d1": matrix.d1, "lo": a + 1, "hi": b, **scope_params}
    rows = execute(con, f"SELECT movement, sum(amount), count(*) FROM ({_events_sql(scope_sql)}) "
                       "GROUP BY movement", params).fetchall()
    amounts = {m: 0.0 for m in MOVEMENTS}
    counts = {m: 0 for m in MOVEMENTS}
    for name, amount, count in rows:
        amounts[name] = float(amount)
        counts[name] = int(count)
    return amounts, counts


_SERIES_COLUMNS = ["month", "window_start", "cohort_accounts", "retained_accounts", "cohort_mrr_start",
                   "cohort_mrr_end", "grr", "nrr", "logo_retention", "logo_churn_rate"]


def retention_series(con: duckdb.DuckDBPyConnection, window_months: int = DEFAULT_WINDOW,
                     as_of: str | dt.date | None = None, scope: Scope | None = None,
                     start: str | dt.date | None = None) -> pd.DataFrame:
    """GRR, NRR and logo retention of the window ending in each month (a monthly series).

    One row per end month b from the first month with a full window (first month of the
    data + w; or ``start`` if later) to the as-of month. Rates are None where nobody paid
    at the window start.
    """
    w = _check_window(window_months)
    matrix, b = _as_of(con, as_of)
    empty = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("month", "window_start") else "float64")
                          for c in _SERIES_COLUMNS})
    if matrix is None or matrix.empty or b is None:
        return empty
    hi = min(b, matrix.d1)
    lo = max(matrix.d0 + w, month_index(start) if start else matrix.d0 + w)
    if hi < lo:
        return empty
    scope_sql, scope_params = _scope_sql(con, scope, "x")
    params = {"w": w, "lo": lo, "hi": hi, **scope_params}
    frame = execute(con, f"""
        WITH pairs AS (
            SELECT x.mi + $w AS mi, x.mrr AS ma, coalesce(y.mrr, 0) AS mb
            FROM {_ROWS} x
            LEFT JOIN (SELECT ak, mi, mrr FROM {_ROWS} WHERE mi BETWEEN $lo AND $hi) y
              ON y.ak = x.ak AND y.mi = x.mi + $w
            WHERE x.mi BETWEEN $lo - $w AND $hi - $w AND {scope_sql}),
        agg AS (
            SELECT mi, count(*) AS cohort_accounts, count(*) FILTER (WHERE mb > 0) AS retained_accounts,
                   sum(ma) AS cohort_mrr_start, sum(mb) AS cohort_mrr_end, sum(least(ma, mb)) AS kept
            FROM pairs GROUP BY mi),
        months AS (SELECT CAST(unnest(range($lo, $hi + 1)) AS INTEGER) AS mi)
        SELECT make_date(CAST(m.mi // 12 AS BIGINT), CAST(m.mi % 12 + 1 AS BIGINT), 1) AS month,
               make_date(CAST((m.mi - $w) // 12 AS BIGINT), CAST((m.mi - $w) % 12 + 1 AS BIGINT), 1) AS window_start,
               coalesce(cohort_accounts, 0) AS cohort_accounts, coalesce(retained_accounts, 0) AS retained_accounts,
               coalesce(cohort_mrr_start, 0) AS cohort_mrr_start, coalesce(cohort_mrr_end, 0) AS cohort_mrr_end,
               kept / nullif(cohort_mrr_start, 0) AS grr,
               cohort_mrr_end / nullif(cohort_mrr_start, 0) AS nrr,
               retained_accounts / nullif(cohort_accounts, 0) AS logo_retention,
               1 - retained_accounts / nullif(cohort_accounts, 0) AS logo_churn_rate
        FROM months m LEFT JOIN agg USING (mi) ORDER BY m.mi""", params).df()
    frame["month"] = pd.to_datetime(frame["month"])
    frame["window_start"] = pd.to_datetime(frame["window_start"])
    for column in _SERIES_COLUMNS[2:]:
        frame[column] = frame[column].astype("float64")
    return frame[_SERIES_COLUMNS]


def monthly_churn(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                  scope: Scope | None = None) -> pd.DataFrame:
    """Monthly churn rates and their annual equivalents.

    - logo churn_m = accounts churned in m / accounts active in m−1;
    - gross MRR churn_m = (churn + contraction)_m / MRR_{m−1};
    - net MRR churn_m = (churn + contraction − expansion)_m / MRR_{m−1} (may be negative);
    - ``*_annualised`` = 1 − (1 − monthly)^12 (never monthly × 12).

    None where the month-before denominator is 0.
    """
    return churn_rates(movements(con, scope=scope, as_of=as_of))


def churn_rates(moves: pd.DataFrame) -> pd.DataFrame:
    """:func:`monthly_churn` from a frame :func:`movements` already returned."""
    out = pd.DataFrame({"month": moves["month"]})
    active = moves["active_start"].where(moves["active_start"] > 0)
    base = moves["mrr_start"].where(moves["mrr_start"] > 0)
    out["logo_churn"] = moves["churn_accounts"] / active
    out["gross_mrr_churn"] = (moves["churn"] + moves["contraction"]) / base
    out["net_mrr_churn"] = (moves["churn"] + moves["contraction"] - moves["expansion"]) / base
    for column in ("logo_churn", "gross_mrr_churn", "net_mrr_churn"):
        out[f"{column}_annualised"] = 1.0 - (1.0 - out[column]) ** 12
    return out


# Single figures for other pages -----------------------------------------------------------
def mrr_at(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
           scope: Scope | None = None) -> tuple[float | None, int | None]:
    """(Total MRR, accounts with MRR > 0) in the as-of month; (None, None) outside the data."""
    matrix, b = _as_of(con, as_of)
    if not _covers(matrix, b):
        return None, None
    scope_sql, scope_params = _scope_sql(con, scope)
    total, active = execute(
        con,
        f"SELECT coalesce(sum(mrr), 0), count(*) FROM {_ROWS} WHERE mi = $b AND {scope_sql}",
        {"b": b, **scope_params}).fetchone()
    return float(total), int(active)


def arpa(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
         scope: Scope | None = None) -> float | None:
    """ARPA (average revenue per account, monthly) = MRR_b / accounts with MRR_b > 0.

    None without revenue in the as-of month or when no account pays then.
    """
    total, active = mrr_at(con, as_of, scope)
    return total / active if active else None


def trailing_logo_churn(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                        scope: Scope | None = None, allow_shorter: bool = False) -> float | None:
    """Annual logo churn over the trailing twelve months: 1 − logo retention of a = b − 12 … b.

    The same figure as the Retention page's logo churn with its default window. With
    ``allow_shorter`` and a history shorter than 12 months, the longest window k the data
    allows is used instead and annualised as ``1 − retention^(12/k)`` (a labelled variant).
    None when nobody paid at the window start.
    """
    result = window_retention(con, as_of=as_of, window_months=12, scope=scope)
    if result is None:
        return None
    if not result.covered and allow_shorter:
        matrix, b = _as_of(con, as_of)
        k = min(12, (b or 0) - matrix.d0) if _covers(matrix, b) else 0
        if k >= 1:
            short = window_retention(con, as_of=as_of, window_months=k, scope=scope)
            if short is not None and short.logo_retention is not None:
                return 1.0 - short.logo_retention ** (12.0 / k)
        return None
    return result.logo_churn_rate


def monthly_expansion_rate(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                           window_months: int = DEFAULT_WINDOW, scope: Scope | None = None,
                           net: bool = False) -> float | None:
    """Mean monthly expansion rate over months a+1 … b: mean of expansion_m / MRR_{m−1}.

    With ``net=True``: mean of (expansion − contraction)_m / MRR_{m−1} (what a retained
    customer's revenue grows by, contraction included). Months with MRR_{m−1} = 0 are
    skipped; None when the window reaches outside the data or no month qualifies.
    """
    w = _check_window(window_months)
    matrix, b = _as_of(con, as_of)
    if not _covers(matrix, b - w if b is not None else None, b):
        return None
    moves = movements(con, scope=scope, as_of=month_label(b), start=month_label(b - w + 1))
    moves = moves[moves["mrr_start"] > 0]
    if moves.empty:
        return None
    gain = moves["expansion"] - (moves["contraction"] if net else 0.0)
    return float((gain / moves["mrr_start"]).mean())


def account_counts(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                   scope: Scope | None = None) -> dict[str, int | None]:
    """Accounts at the as-of month: total, active, churned.

    With revenue data: active = MRR_b > 0; churned = paid in some month ≤ b, not in b;
    total = active + churned + accounts of the accounts table that never paid by b (and did
    not start after b), of which those marked churned (status or churn date) count as
    churned. With an accounts table alone: total = its rows; churned = status 'churned' or
    a churn date on or before the as-of month end (today without one); active = the rest.
    None where the data cannot say.
    """
    matrix, b = _as_of(con, as_of)
    has_accounts = "accounts" in _tables(con)
    acc_cols = _columns(con, "accounts")
    if matrix is None or matrix.empty:
        return _accounts_only_counts(con, b, scope, acc_cols) if has_accounts else \
            {"total": None, "active": None, "churned": None}
    if not _covers(matrix, b):
        return {"total": None, "active": None, "churned": None}
    scope_sql, scope_params = _scope_sql(con, scope, "a")
    active, lapsed = execute(con, f"""
        SELECT count(r.ak), count(*) FILTER (WHERE r.ak IS NULL)
        FROM {_ACCOUNTS} a LEFT JOIN {_ROWS} r ON r.ak = a.ak AND r.mi = $b
        WHERE a.first_mi <= $b AND {scope_sql}""", {"b": b, **scope_params}).fetchone()
    other_total = other_churned = 0
    if has_accounts:
        flag_sql = _churn_flag_sql(acc_cols, "$b_end")
        start_sql = "start_date IS NULL OR start_date <= $b_end" if "start_date" in acc_cols else "TRUE"
        acc_scope, acc_params = (scope or Scope()).account_filter(con)
        other_total, other_churned = execute(con, f"""
            SELECT count(*), count(*) FILTER (WHERE {flag_sql or 'FALSE'})
            FROM accounts WHERE account_id IS NOT NULL AND ({start_sql}) AND {acc_scope}
              AND account_id NOT IN (SELECT account_id FROM {_ACCOUNTS} WHERE first_mi IS NOT NULL)""",
            {"b_end": month_end(b), **acc_params}).fetchone()
    return {"total": int(active + lapsed + other_total), "active": int(active),
            "churned": int(lapsed + other_churned)}


def _churn_flag_sql(cols: set[str], end_param: str) -> str | None:
    """SQL true for an account marked churned in the accounts table; None if it cannot say."""
    parts = []
    if "status" in cols:
        parts.append("lower(CAST(status AS VARCHAR)) = 'churned'")
    if "churn_date" in cols:
        parts.append(f"(churn_date IS NOT NULL AND churn_date <= {end_param})")
    return " OR ".join(f"({p})" for p in parts) or None


def _accounts_only_counts(con: duckdb.DuckDBPyConnection, b: int | None, scope: Scope | None,
                          cols: set[str]) -> dict[str, int | None]:
    end = month_end(b) if b is not None else dt.date.today()
    scope_sql, params = (scope or Scope()).account_filter(con)
    start_sql = "(start_date IS NULL OR start_date <= $end)" if "start_date" in cols and b is not None else "TRUE"
    flag = _churn_flag_sql(cols, "$end")
    total, churned = execute(
        con,
        f"SELECT count(*), count(*) FILTER (WHERE {flag or 'FALSE'}) FROM accounts "
        f"WHERE account_id IS NOT NULL AND {start_sql} AND {scope_sql}", {"end": end, **params}).fetchone()
    if flag is None:
        return {"total": int(total), "active": None, "churned": None}
    return {"total": int(total), "active": int(total - churned), "churned": int(churned)}


def _accounts_only_mrr(con: duckdb.DuckDBPyConnection, b: int | None, scope: Scope | None,
                       cols: set[str]) -> float | None:
    """Σ over active accounts of accounts.mrr, or arr / 12 where mrr is empty.

    0 when no account is active; None when the table cannot tell who is active, has no
    mrr / arr column, or active accounts carry no amount at all.
    """
    flag = _churn_flag_sql(cols, "$end")
    amounts = [expr for col, expr in (("mrr", "mrr"), ("arr", "arr / 12.0")) if col in cols]
    if flag is None or not amounts:
        return None
    value = f"coalesce({', '.join(amounts)})"
    end = month_end(b) if b is not None else dt.date.today()
    start_sql = "(start_date IS NULL OR start_date <= $end)" if "start_date" in cols and b is not None else "TRUE"
    scope_sql, params = (scope or Scope()).account_filter(con)
    total, valued, active = execute(
        con,
        f"SELECT coalesce(sum({value}), 0), count({value}), count(*) FROM accounts "
        f"WHERE account_id IS NOT NULL AND {start_sql} AND NOT coalesce({flag}, FALSE) AND {scope_sql}",
        {"end": end, **params}).fetchone()
    if active and not valued:
        return None
    return float(total)


# Committed revenue and renewals ---------------------------------------------------------------
def cmrr(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
         scope: Scope | None = None) -> dict[str, float] | None:
    """Committed MRR at the latest month: MRR now + signed MRR that starts later − MRR under notice.

    - signed later: subscriptions (not trials) starting after the as-of month;
    - under notice: the current MRR of accounts whose status is 'notice' / 'cancelling'
      or whose churn date lies after the as-of month; and the MRR of live subscriptions
      with an end date after it (for accounts not already counted whole).

    Status is a snapshot of today, so CMRR is given for the latest month of the data only.
    None without revenue, for another month, or when neither an accounts table with status
    or churn dates nor subscriptions with end dates say anything about commitments.
    Returns ``{"cmrr", "mrr", "signed_later", "notice"}``.
    """
    matrix, b = _as_of(con, as_of)
    if not _covers(matrix, b) or b != matrix.d1:
        return None
    acc_cols = _columns(con, "accounts")
    sub_cols = _columns(con, "subscriptions")
    notice_parts = []
    if "status" in acc_cols:
        notice_parts.append("lower(CAST(status AS VARCHAR)) IN ('notice', 'cancelling')")
    if "churn_date" in acc_cols:
        notice_parts.append("churn_date > $b_end")
    can_subs = {"account_id", "start_date", "mrr"} <= sub_cols
    if not notice_parts and not (can_subs and "end_date" in sub_cols):
        return None
    scope_sql, scope_params = _scope_sql(con, scope, "r")
    params = {"b": b, "b_end": month_end(b), **scope_params}
    notice_sql = ("SELECT account_id FROM accounts WHERE " + " OR ".join(f"({p})" for p in notice_parts)
                  if notice_parts else "SELECT NULL::VARCHAR AS account_id WHERE FALSE")
    now, notice_whole = execute(con, f"""
        SELECT coalesce(sum(r.mrr), 0),
               coalesce(sum(r.mrr) FILTER (WHERE a.account_id IN ({notice_sql})), 0)
        FROM {_ROWS} r JOIN {_ACCOUNTS} a USING (ak) WHERE r.mi = $b AND {scope_sql}""", params).fetchone()
    signed_later = notice_subs = 0.0
    if can_subs:
        trial = "AND NOT coalesce(CAST(s.is_trial AS BOOLEAN), FALSE)" if "is_trial" in sub_cols else ""
        end_col = "s.end_date" if "end_date" in sub_cols else "CAST(NULL AS DATE)"
        acc_scope, acc_params = (scope or Scope()).account_filter(con)
        signed_later, notice_subs = execute(con, f"""
            SELECT coalesce(sum(s.mrr) FILTER (WHERE s.start_date > $b_end
                                               AND ({end_col} IS NULL OR {end_col} > s.start_date)), 0),
                   coalesce(sum(s.mrr) FILTER (WHERE s.start_date <= $b_end AND {end_col} > $b_end
                                               AND s.account_id NOT IN ({notice_sql})), 0)
            FROM subscriptions s
            WHERE s.account_id IS NOT NULL AND s.mrr > 0 {trial} AND {acc_scope}""",
            {"b_end": month_end(b), **acc_params}).fetchone()
    notice = float(notice_whole) + float(notice_subs)
    return {"cmrr": float(now) + float(signed_later) - notice, "mrr": float(now),
            "signed_later": float(signed_later), "notice": notice}


def renewal_rate(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                 window_months: int = DEFAULT_WINDOW, scope: Scope | None = None,
                 term_months: int | None = 12) -> dict[str, Any] | None:
    """Renewal rate over months a+1 … b, by logos and weighted by ARR.

    Renewals due: accounts whose renewal date fell in the period, among accounts paying in
    the month before it. Renewed: still active 30 days after it (MRR > 0 in the month of
    renewal date + 30 days). The ARR version weights each by 12 × MRR of the month before
    the renewal date. An accounts table holds the next (or the missed) renewal date; with
    ``term_months`` (default 12, annual contracts) the dates before it are taken every
    ``term_months`` back, so past renewals count too; ``term_months=None`` uses the
    recorded dates only. Renewals whose 30-day mark lies after the data are not yet
    decided and left out. None without revenue, without ``accounts.renewal_date``, or with
    no renewal due in the period.
    Returns ``{"logo", "arr", "due", "renewed", "arr_due", "arr_renewed"}``.
    """
    w = _check_window(window_months)
    matrix, b = _as_of(con, as_of)
    if not _covers(matrix, b) or "renewal_date" not in _columns(con, "accounts"):
        return None
    lo_date, hi_date = month_start(b - w + 1), month_end(b)
    scope_sql, scope_params = _scope_sql(con, scope, "a")
    # Only the steps k that can land in the period (months lo_mi … b) and not before the
    # first payment are generated: one or two per account instead of one per year.
    steps = ("greatest(0, (renewal_mi - $hi_mi + $term - 1) // $term), "
             "least((renewal_mi - $lo_mi) // $term, (renewal_mi - a.first_mi) // $term) + 1"
             if term_months else "0, 1")
    params = {"lo": lo_date, "hi": hi_date, "lo_mi": b - w + 1, "hi_mi": b, "d1": matrix.d1,
              "term": int(term_months or 12),
              **scope_params}
    row = execute(con, f"""
        WITH latest AS (
            SELECT account_id, max(renewal_date) AS renewal_date,
                   {_mi('max(renewal_date)')} AS renewal_mi
            FROM accounts WHERE renewal_date IS NOT NULL GROUP BY account_id),
        stepped AS (
            SELECT a.ak, l.renewal_date, unnest(range({steps})) AS k
            FROM latest l JOIN {_ACCOUNTS} a USING (account_id)
            WHERE a.first_mi IS NOT NULL AND {scope_sql}),
        due AS (
            SELECT ak, CAST(renewal_date - to_months(CAST(k * $term AS INTEGER)) AS DATE) AS renewal
            FROM stepped),
        judged AS (
            SELECT d.ak, d.renewal,
                   {_mi('d.renewal')} - 1 AS before_mi,
                   {_mi('CAST(d.renewal + INTERVAL 30 DAY AS DATE)')} AS after_mi
            FROM due d WHERE d.renewal BETWEEN $lo AND $hi),
        decided AS MATERIALIZED (
            SELECT j.ak, j.after_mi, p.mrr AS mrr_before
            FROM judged j
            JOIN (SELECT ak, mi, mrr FROM {_ROWS} WHERE mi BETWEEN $lo_mi - 1 AND $d1) p
              ON p.ak = j.ak AND p.mi = j.before_mi
            WHERE j.after_mi <= $d1),
        -- Inner joins on both sides (not a left join) let the few renewals be the hash side.
        renewed AS (
            SELECT d.mrr_before FROM decided d
            JOIN (SELECT ak, mi FROM {_ROWS} WHERE mi BETWEEN $lo_mi AND $d1) q
              ON q.ak = d.ak AND q.mi = d.after_mi)
        SELECT (SELECT count(*) FROM decided), (SELECT count(*) FROM renewed),
               (SELECT sum(12 * mrr_before) FROM decided),
               (SELECT coalesce(sum(12 * mrr_before), 0) FROM renewed)""", params).fetchone()
    due, renewed, arr_due, arr_renewed = row
    if not due:
        return None
    return {"logo": renewed / due, "arr": arr_renewed / arr_due if arr_due else None,
            "due": int(due), "renewed": int(renewed), "arr_due": float(arr_due or 0.0),
            "arr_renewed": float(arr_renewed or 0.0)}


# The bridge ---------------------------------------------------------------------------------
def arr_bridge(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
               window_months: int = DEFAULT_WINDOW, scope: Scope | None = None) -> pd.DataFrame:
    """ARR bridge of the window: start ARR → + new, expansion, reactivation → − contraction,
    churn → end ARR (ARR = 12 × MRR of all accounts; end = start + gains − losses).

    Columns ``step`` (start, new, expansion, reactivation, contraction, churn, end),
    ``amount`` (signed: losses negative), ``base`` / ``top`` (the bar's span for a
    waterfall) and ``share`` (amount / start ARR, None when the start is 0).
    """
    return bridge_frame(window_retention(con, as_of=as_of, window_months=window_months, scope=scope))


def bridge_frame(result: WindowRetention | None) -> pd.DataFrame:
    """:func:`arr_bridge` from a :class:`WindowRetention` already computed."""
    columns = ["step", "amount", "base", "top", "share"]
    if result is None or not result.covered:
        return pd.DataFrame(columns=columns)
    start = 12 * result.mrr_start
    rows, level = [("start", start, 0.0, start)], start
    for name in MOVEMENTS:
        amount = 12 * result.movements[name] * (-1 if name in LOSSES else 1)
        rows.append((name, amount, level, level + amount))
        level += amount
    rows.append(("end", 12 * result.mrr_end, 0.0, 12 * result.mrr_end))
    frame = pd.DataFrame(rows, columns=columns[:4])
    frame["share"] = frame["amount"] / start if start else None
    return frame


# The report -------------------------------------------------------------------------------------
def _r(value: float | None, digits: int) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), digits)


def retention_summary(con: duckdb.DuckDBPyConnection, as_of: str | None = None,
                      window_months: int = DEFAULT_WINDOW, scope: Scope | None = None) -> dict[str, Any]:
    """The headline report's revenue part, keys and meanings as in ``docs/contract.md``.

    ``as_of`` 'YYYY-MM' (default: the last month of the revenue data); the window runs from
    as_of − window_months to as_of. Rates are rounded to 4 decimals, money to 2. A figure
    the data cannot support is None: with an accounts table alone ``grr``, ``nrr``,
    ``logo_retention``, ``movements`` and ``quick_ratio`` are None while ``accounts`` comes
    from status / churn dates and ``mrr`` is Σ over active accounts of mrr (or arr / 12).

    >>> import duckdb
    >>> sorted(retention_summary(duckdb.connect()))[:4]
    ['accounts', 'arr', 'as_of', 'grr']
    """
    from cs_metrics import voice

    w = _check_window(window_months)
    if as_of is not None:
        month_index(as_of)
    matrix, b = _as_of(con, as_of)
    tables = _tables(con)
    report: dict[str, Any] = {
        "as_of": month_label(b) if b is not None else None,
        "window": {"start": month_label(b - w), "end": month_label(b)} if b is not None else None,
        "accounts": {"total": None, "active": None, "churned": None},
        "mrr": None, "arr": None, "grr": None, "nrr": None, "logo_retention": None,
        "logo_churn_rate": None, "movements": None, "quick_ratio": None, "nps": None,
    }
    if matrix is not None and not matrix.empty:
        report["accounts"] = account_counts(con, as_of=month_label(b), scope=scope)
        total, _active = mrr_at(con, month_label(b), scope)
        report["mrr"] = _r(total, 2)
        report["arr"] = _r(12 * total, 2) if total is not None else None
        result = window_retention(con, as_of=month_label(b), window_months=w, scope=scope)
        if result is not None and result.covered:
            report.update({
                "grr": _r(result.grr, 4), "nrr": _r(result.nrr, 4),
                "logo_retention": _r(result.logo_retention, 4),
                "logo_churn_rate": _r(result.logo_churn_rate, 4),
                "movements": {m: _r(result.movements[m], 2) for m in
                              ("new", "expansion", "contraction", "churn", "reactivation")},
                "quick_ratio": _r(result.quick_ratio, 4),
            })
    elif "accounts" in tables:
        cols = _columns(con, "accounts")
        report["accounts"] = _accounts_only_counts(con, b, scope, cols)
        total = _accounts_only_mrr(con, b, scope, cols)
        report["mrr"] = _r(total, 2)
        report["arr"] = _r(12 * total, 2) if total is not None else None
    if b is not None:
        report["nps"] = _r(voice.nps_score(con, start=month_label(b - w + 1), end=month_label(b), scope=scope), 2)
    else:
        report["nps"] = _r(voice.nps_score(con, scope=scope), 2)
    return report
