"""Cohort matrices: how each month's new customers stay and grow (``docs/metrics.md``).

- An account's cohort is the month of its first MRR > 0.
- Logo retention at age k = share of the cohort with MRR > 0 in month cohort + k.
- Net revenue retention at age k = Σ MRR at age k / Σ MRR at age 0 over the cohort.
- Cells in the future of the as-of month are empty (NaN), not 0.

Accounts already paying in the first month of the data (the opening balance) started at
some unknown earlier month; they form the *opening* cohort, labelled "≤ month", shown but
left out of the weighted-average row, whose age would otherwise mix many vintages.
The weighted average at age k = Σ retained (logos or MRR) at k / Σ base at 0, over the
cohorts old enough to have reached k.

>>> import duckdb
>>> con = duckdb.connect()
>>> _ = revenue.execute(con, "CREATE TABLE mrr AS SELECT * FROM (VALUES ('o', DATE '2024-01-01', 10.0),"
...     " ('a', DATE '2024-02-01', 100.0), ('a', DATE '2024-03-01', 120.0),"
...     " ('b', DATE '2024-02-01', 100.0)) t(account_id, month, mrr)")
>>> m = cohort_matrix(con, "revenue")
>>> m.pivot().round(2).loc["2024-02"].tolist()
[1.0, 0.6, nan]
>>> cohort_matrix(con, "logo").average["rate"].tolist()
[1.0, 0.5]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from cs_metrics import revenue
from cs_metrics.errors import InputError
from cs_metrics.scope import Scope

MEASURES = ("logo", "revenue")
AVERAGE_LABEL = "average"


@dataclass(frozen=True)
class CohortMatrix:
    """A cohort matrix in long form.

    ``cells``: one row per cohort and age up to the last age any cohort reached, columns
    ``cohort`` (first day of the month), ``cohort_label`` ('YYYY-MM', or '≤YYYY-MM' for the
    opening cohort), ``opening`` (bool), ``age`` (months), ``accounts`` (cohort size),
    ``base`` (accounts, or MRR at age 0), ``retained`` (paying accounts, or MRR, at age k)
    and ``rate`` = retained / base — NaN in cells later than the as-of month.
    ``average``: ``age``, ``retained``, ``base``, ``cohorts``, ``rate`` (weighted average).
    """

    measure: str
    as_of: str | None
    cells: pd.DataFrame
    average: pd.DataFrame

    def pivot(self, with_average: bool = False) -> pd.DataFrame:
        """Cohorts as rows (by label), ages as columns, rates as values (NaN in the future)."""
        if self.cells.empty:
            return pd.DataFrame()
        table = self.cells.pivot(index="cohort_label", columns="age", values="rate")
        order = self.cells.drop_duplicates("cohort_label").sort_values("cohort")["cohort_label"]
        table = table.loc[list(order)]
        table.columns = [int(c) for c in table.columns]
        table.index.name = None
        if with_average and not self.average.empty:
            table.loc[AVERAGE_LABEL] = self.average.set_index("age")["rate"].reindex(table.columns)
        return table


def _empty(measure: str, as_of: str | None) -> CohortMatrix:
    cells = pd.DataFrame({"cohort": pd.Series(dtype="datetime64[ns]"), "cohort_label": pd.Series(dtype="str"),
                          "opening": pd.Series(dtype="bool"), "age": pd.Series(dtype="int64"),
                          **{c: pd.Series(dtype="float64") for c in ("accounts", "base", "retained", "rate")}})
    average = pd.DataFrame({"age": pd.Series(dtype="int64"),
                            **{c: pd.Series(dtype="float64") for c in ("retained", "base", "cohorts", "rate")}})
    return CohortMatrix(measure, as_of, cells, average)


def cohort_matrix(con: duckdb.DuckDBPyConnection, measure: str = "logo",
                  as_of: str | dt.date | None = None, scope: Scope | None = None,
                  max_age: int | None = None) -> CohortMatrix:
    """Logo (``measure='logo'``) or net revenue (``'revenue'``) retention by cohort and age.

    Cohorts up to the as-of month; ages up to ``max_age`` (default: as far as the data goes).
    """
    if measure not in MEASURES:
        raise InputError(f"'{measure}' is not a cohort measure: expected 'logo' or 'revenue'.")
    return cohort_matrices(con, as_of=as_of, scope=scope, max_age=max_age)[measure]


def cohort_matrices(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None,
                    scope: Scope | None = None, max_age: int | None = None) -> dict[str, CohortMatrix]:
    """Both cohort matrices, ``{"logo": …, "revenue": …}``, from one pass over the matrix."""
    matrix, b = revenue._as_of(con, as_of)
    label = revenue.month_label(b) if b is not None else None
    if not revenue._covers(matrix, b):
        return {m: _empty(m, label) for m in MEASURES}
    scope_sql, params = revenue._scope_sql(con, scope, "a")
    raw = revenue.execute(con, f"""
        SELECT a.first_mi AS cohort_mi, r.mi - a.first_mi AS age, count(*) AS logos, sum(r.mrr) AS mrr
        FROM {revenue._ROWS} r JOIN {revenue._ACCOUNTS} a USING (ak)
        WHERE a.first_mi <= $b AND r.mi <= $b AND {scope_sql}
        GROUP BY ALL""", {"b": b, **params}).df()
    if raw.empty:
        return {m: _empty(m, label) for m in MEASURES}
    return {m: _from_cells(raw, m, b, matrix.d0, max_age) for m in MEASURES}


def _from_cells(raw: pd.DataFrame, measure: str, b: int, d0: int, max_age: int | None) -> CohortMatrix:
    """The cohort × age grid from the (cohort, age, logos, mrr) counts, as arrays."""
    value = raw["logos" if measure == "logo" else "mrr"].to_numpy(float)
    cohorts = np.unique(raw["cohort_mi"].to_numpy(int))
    oldest_age = int(b - cohorts[0])
    n_ages = (oldest_age if max_age is None else min(oldest_age, max_age)) + 1
    row = np.searchsorted(cohorts, raw["cohort_mi"].to_numpy(int))
    age = raw["age"].to_numpy(int)
    keep = age < n_ages
    grid = np.zeros((cohorts.size, n_ages))
    grid[row[keep], age[keep]] = value[keep]
    accounts = np.zeros(cohorts.size)
    first = age == 0
    accounts[row[first]] = raw["logos"].to_numpy(float)[first]
    base = grid[:, 0].copy()
    ages = np.arange(n_ages)
    future = cohorts[:, None] + ages[None, :] > b
    retained = np.where(future, np.nan, grid)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(base[:, None] > 0, retained / base[:, None], np.nan)

    opening = cohorts == d0
    labels = np.array([("≤" if m == d0 else "") + revenue.month_label(int(m)) for m in cohorts], dtype=object)
    starts = pd.to_datetime([revenue.month_start(int(m)) for m in cohorts])
    cells = pd.DataFrame({
        "cohort": np.repeat(starts.to_numpy(), n_ages),
        "cohort_label": pd.Series(np.repeat(labels, n_ages), dtype="str"),
        "opening": np.repeat(opening, n_ages),
        "age": np.tile(ages, cohorts.size),
        "accounts": np.repeat(accounts, n_ages),
        "base": np.repeat(base, n_ages),
        "retained": retained.ravel(),
        "rate": rate.ravel(),
    })

    observed = ~future & ~opening[:, None]
    kept = np.where(observed, grid, 0.0).sum(axis=0)
    base_sum = np.where(observed, base[:, None], 0.0).sum(axis=0)
    counted = observed.sum(axis=0)
    seen = counted > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        avg_rate = np.where(base_sum > 0, kept / base_sum, np.nan)
    average = pd.DataFrame({"age": ages[seen], "retained": kept[seen], "base": base_sum[seen],
                            "cohorts": counted[seen].astype("float64"), "rate": avg_rate[seen]})
    return CohortMatrix(measure, revenue.month_label(b), cells, average)


def cohort_accounts(con: duckdb.DuckDBPyConnection, cohort: str | dt.date, age: int,
                    scope: Scope | None = None) -> pd.DataFrame:
    """The accounts behind one cohort cell: everyone in the cohort, paying at age k or not.

    Columns ``account_id``, ``account_name`` (when known), ``mrr_start`` (MRR at age 0),
    ``mrr_at_age`` (MRR in month cohort + age, 0 if none), ``retained`` (MRR > 0 then),
    ``net_retention`` (mrr_at_age / mrr_start); lost accounts first, then by starting MRR.
    """
    matrix = revenue._matrix(con)
    c = revenue.month_index(cohort.lstrip("≤") if isinstance(cohort, str) else cohort)
    if not revenue._covers(matrix, c) or age < 0 or c + age > matrix.d1:
        return pd.DataFrame(columns=["account_id", "mrr_start", "mrr_at_age", "retained", "net_retention"])
    scope_sql, params = revenue._scope_sql(con, scope, "a")
    name_sql, join_sql = "", ""
    if "account_name" in revenue._columns(con, "accounts"):
        name_sql = "CAST(acc.account_name AS VARCHAR) AS account_name, "
        join_sql = ("LEFT JOIN (SELECT account_id, any_value(account_name) AS account_name FROM accounts "
                    "GROUP BY account_id) acc ON acc.account_id = a.account_id")
    return revenue.execute(con, f"""
        SELECT a.account_id, {name_sql} r0.mrr AS mrr_start, coalesce(rk.mrr, 0.0) AS mrr_at_age,
               rk.ak IS NOT NULL AS retained, coalesce(rk.mrr, 0.0) / r0.mrr AS net_retention
        FROM {revenue._ACCOUNTS} a
        JOIN {revenue._ROWS} r0 ON r0.ak = a.ak AND r0.mi = a.first_mi
        LEFT JOIN {revenue._ROWS} rk ON rk.ak = a.ak AND rk.mi = a.first_mi + $age
        {join_sql}
        WHERE a.first_mi = $c AND {scope_sql}
        ORDER BY retained, mrr_start DESC, a.account_id""", {"c": c, "age": int(age), **params}).df()
