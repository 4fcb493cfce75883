"""Renewals: what renews when, and how much of it we should expect to keep.

Definitions (docs/metrics.md, "Renewals and committed revenue"):

* **Renewal events** of the past: every renewal date in the look-back period (default the
  24 months ending at the as-of month) of an account that was paying in the month before
  it. The accounts table holds each account's next (or missed) renewal date; the dates
  before it are taken every contract term (12 months) back, down to the account's first
  month with MRR — the same rule as :func:`cs_metrics.revenue.renewal_rate`, so the overall
  rate here equals that one.
* **Renewed** = still active 30 days after the renewal date (MRR > 0 in the month of the
  renewal date + 30 days). Renewals whose 30-day mark lies after the data are undecided
  and left out.
* **Renewal rate of a band** = renewed / due among the renewal events whose account was in
  that health band in the month before the renewal (from cs_metrics.health, month by
  month; 'unscored' when it had no score). Its low / high are the 95 % Wilson score
  interval of that proportion. A band with no past renewal uses the overall rate (shown
  as such).
* **Upcoming renewals**: active accounts whose next renewal (the recorded date, rolled
  forward by whole terms when it has passed) falls in the 12 months after the as-of date,
  with their current ARR and current health band. Accounts that have given notice form
  their own group, expected to renew nothing.
* **Expected renewal ARR** = Σ over upcoming renewals of ARR × the renewal rate of the
  account's band; low / high use the Wilson bounds of each band's rate (summed band by
  band, so the range is conservative: the bands' errors are not assumed to cancel).
* **CMRR** comes from :func:`cs_metrics.revenue.cmrr` where the data supports it.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cs_metrics import segments
from cs_metrics.risk import TERM_MONTHS, next_renewal_sql
from cs_metrics.scope import Scope
from cs_metrics.segments import (
    BANDS, _empty_bands, account_bands, account_base_sql, add_months, column_names, execute,
    has_table, month_end, one_schema_read, registered, resolve_as_of, revenue_source, scope_filter, to_month,
)

Z_95 = 1.959963984540054
GROUPS = ("green", "yellow", "red", "unscored", "notice")
DEFAULT_LOOKBACK = 24
DEFAULT_HORIZON = 12


def wilson_interval(renewed: int, due: int, z: float = Z_95) -> tuple[float | None, float | None]:
    """95 % Wilson score interval of the proportion ``renewed / due``; (None, None) for 0 due.

    >>> tuple(round(x, 4) for x in wilson_interval(8, 10))
    (0.4902, 0.9433)
    """
    if not due:
        return None, None
    p = renewed / due
    denom = 1 + z * z / due
    centre = (p + z * z / (2 * due)) / denom
    half = z * math.sqrt(p * (1 - p) / due + z * z / (4 * due * due)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _monthly_mrr(con: duckdb.DuckDBPyConnection) -> str | None:
    """A relation (account_id, month DATE, mrr) of monthly MRR rows; a missing month is 0.

    The MRR table as loaded (its months are first days; rows of one account and month are
    summed where they are read), else the subscriptions' month-end matrix from
    :func:`cs_metrics.revenue.mrr_monthly`.
    """
    source = revenue_source(con)
    if source == "mrr":
        return "(SELECT account_id, month, mrr FROM mrr WHERE account_id IS NOT NULL AND mrr IS NOT NULL)"
    if source == "subscriptions":
        try:
            from cs_metrics import revenue
        except ImportError:
            return None
        view = revenue.mrr_monthly(con) if callable(getattr(revenue, "mrr_monthly", None)) else None
        return f"(SELECT account_id, month, mrr FROM {view})" if view else None
    return None


@one_schema_read
def renewal_events(con: duckdb.DuckDBPyConnection, as_of: Any = None, lookback_months: int = DEFAULT_LOOKBACK,
                   scope: Scope | None = None, term_months: int = TERM_MONTHS) -> pd.DataFrame | None:
    """Past renewal events with their outcome and the band before them.

    Columns: account_id, renewal_date, arr_before (12 × MRR of the month before),
    renewed (bool), band (health band of the month before, or 'unscored'). Only decided
    events. None without revenue history or renewal dates.
    """
    month = resolve_as_of(con, as_of)
    monthly = _monthly_mrr(con)
    if (month is None or monthly is None or not has_table(con, "accounts")
            or "renewal_date" not in column_names(con, "accounts")):
        return None
    scope_sql, scope_params = scope_filter(con, scope)
    # A renewal is decided once the month 30 days after it is in the data.
    last = min(month, resolve_as_of(con) or month)
    lo = add_months(month, -lookback_months + 1)
    params = {**scope_params, "rn_lo": lo, "rn_hi": month_end(month), "rn_last": last,
              "rn_first": add_months(to_month(lo), -1), "rn_term": int(term_months)}
    # Renewal dates are stepped back a term at a time from the recorded one, into the
    # window. The step back stops at the account's first paid month in the definition; an
    # event needs MRR > 0 in the month before it, which already implies that, so the MRR
    # table is only read for the months around the events (once, for the month before and
    # the month after together), never scanned whole for first months.
    events = execute(con, f"""
        WITH m AS NOT MATERIALIZED {monthly},
        latest AS (SELECT account_id, max(CAST(renewal_date AS DATE)) AS renewal_date FROM accounts
                   WHERE account_id IS NOT NULL AND renewal_date IS NOT NULL AND {scope_sql}
                   GROUP BY account_id),
        stepped AS (SELECT account_id, renewal_date,
                           unnest(range(0, greatest(0, datediff('month', $rn_lo,
                                 CAST(date_trunc('month', renewal_date) AS DATE)) // $rn_term) + 1)) AS k
                    FROM latest),
        due AS (SELECT account_id,
                       CAST(renewal_date - to_months(CAST(k * $rn_term AS INTEGER)) AS DATE) AS renewal_date
                FROM stepped),
        judged AS (SELECT account_id, renewal_date,
                          CAST(date_trunc('month', renewal_date) - INTERVAL 1 MONTH AS DATE) AS before_month,
                          CAST(date_trunc('month', renewal_date + INTERVAL 30 DAY) AS DATE) AS after_month
                   FROM due WHERE renewal_date BETWEEN $rn_lo AND $rn_hi),
        looks AS (SELECT account_id, renewal_date, before_month AS month, TRUE AS is_before
                  FROM judged WHERE after_month <= $rn_last
                  UNION ALL
                  SELECT account_id, renewal_date, after_month AS month, FALSE AS is_before
                  FROM judged WHERE after_month <= $rn_last),
        val AS (SELECT l.account_id, l.renewal_date, min(l.month) AS before_month,
                       sum(m.mrr) FILTER (WHERE l.is_before) AS mrr_before,
                       sum(m.mrr) FILTER (WHERE NOT l.is_before) AS mrr_after
                FROM looks l
                JOIN (SELECT * FROM m WHERE month >= $rn_first AND month <= $rn_last AND {scope_sql}) m
                  ON m.account_id = l.account_id AND m.month = l.month
                GROUP BY l.account_id, l.renewal_date)
        SELECT account_id, renewal_date, 12 * mrr_before AS arr_before, coalesce(mrr_after, 0) > 0 AS renewed,
               before_month
        FROM val WHERE mrr_before > 0
        ORDER BY renewal_date, account_id""", params).df()
    events["band"] = _bands_before(segments.health_history(con), events["account_id"], events["before_month"])
    return events[["account_id", "renewal_date", "arr_before", "renewed", "band"]]


# The band history as an (account × month) matrix of band codes, per history object: the
# renewal events look up ~100k (account, month) pairs in millions of account-months.
_LOOKUP_MEMO: dict[int, tuple[Any, tuple]] = {}


def _band_matrix(history: pd.DataFrame) -> tuple[pd.Index, int, np.ndarray, np.ndarray]:
    """(account index, first month index, band code matrix [-1 = unscored], band names)."""
    held = _LOOKUP_MEMO.get(id(history))
    if held is not None and held[0]() is history:
        return held[1]
    accounts, account_index = _codes(history["account_id"])
    bands, band_index = _codes(history["band"])
    months = _month_index(history["month"])
    first = int(months.min())
    matrix = np.full((len(account_index), int(months.max()) - first + 1), -1, dtype=np.int16)
    valid = accounts >= 0
    matrix[accounts[valid], months[valid] - first] = bands[valid]
    names = np.asarray([str(b) for b in band_index] + ["unscored"], dtype=object)
    result = (account_index, first, matrix, names)
    _LOOKUP_MEMO.clear()  # one history at a time: each can be a few MB
    _LOOKUP_MEMO[id(history)] = (weakref.ref(history), result)
    return result


def _month_index(months: pd.Series) -> np.ndarray:
    """year × 12 + month − 1 of each date (worked out once per distinct date: a history has
    millions of rows but a few dozen months)."""
    codes, uniques = pd.factorize(pd.to_datetime(months).to_numpy())
    stamps = pd.DatetimeIndex(uniques)
    return (stamps.year * 12 + stamps.month - 1).to_numpy().astype(np.int64)[codes]


def _bands_before(history: pd.DataFrame | None, accounts: pd.Series, months: pd.Series) -> np.ndarray:
    """The band of each (account, month), 'unscored' where the history has none."""
    if history is None or history.empty or accounts.empty:
        return np.full(len(accounts), "unscored", dtype=object)
    index, first, matrix, names = _band_matrix(history)
    rows = index.get_indexer(accounts.astype(str))
    cols = _month_index(months) - first
    known = (rows >= 0) & (cols >= 0) & (cols < matrix.shape[1])
    codes = np.full(len(accounts), -1, dtype=np.int64)
    codes[known] = matrix[rows[known], cols[known]]
    return names[codes]  # code -1 picks the trailing 'unscored'


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and the index of the values they stand for, as text (a categorical's own
    codes when it is one)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if categories.dtype != object and not pd.api.types.is_string_dtype(categories.dtype):
            categories = categories.astype(str)
        return values.cat.codes.to_numpy().astype(np.int64), pd.Index(categories)
    codes, uniques = pd.factorize(values.astype(str))
    return codes.astype(np.int64), pd.Index(uniques)


def renewal_rates(events: pd.DataFrame | None) -> pd.DataFrame:
    """Renewal rate per band and overall ('all', last row) from :func:`renewal_events`.

    Columns: band, due, renewed, rate (logo), low, high (Wilson 95 %), arr_due,
    arr_renewed, arr_rate (ARR-weighted by the ARR before the renewal). Every band of
    :data:`cs_metrics.segments.BANDS` has a row; rates are None where nothing was due.
    """
    rows = []
    frame = events if events is not None else pd.DataFrame(columns=["band", "renewed", "arr_before"])
    for band in (*BANDS, "all"):
        part = frame if band == "all" else frame[frame["band"] == band]
        due, renewed = int(len(part)), int(part["renewed"].astype(bool).sum()) if len(part) else 0
        arr_due = float(part["arr_before"].sum()) if len(part) else 0.0
        arr_renewed = float(part.loc[part["renewed"].astype(bool), "arr_before"].sum()) if len(part) else 0.0
        low, high = wilson_interval(renewed, due)
        rows.append({"band": band, "due": due, "renewed": renewed,
                     "rate": renewed / due if due else None, "low": low, "high": high,
                     "arr_due": arr_due, "arr_renewed": arr_renewed,
                     "arr_rate": arr_renewed / arr_due if arr_due else None})
    frame = pd.DataFrame(rows)
    return frame.astype(object).where(frame.notna(), None)


@one_schema_read
def upcoming_renewals(con: duckdb.DuckDBPyConnection, as_of: Any = None, months: int = DEFAULT_HORIZON,
                      scope: Scope | None = None, bands: pd.DataFrame | None = None) -> pd.DataFrame:
    """Active accounts renewing in the ``months`` after the as-of date, soonest first.

    Columns: account_id, account_name, owner, renewal_date, month (first day), arr, band
    (current band or 'unscored'), notice (has given notice), group (band, or 'notice').
    """
    columns = ["account_id", "account_name", "owner", "renewal_date", "month", "arr", "band", "notice", "group"]
    month = resolve_as_of(con, as_of)
    if month is None or not has_table(con, "accounts") or "renewal_date" not in column_names(con, "accounts"):
        return pd.DataFrame(columns=columns)
    base_sql, params = account_base_sql(con, scope, month, prefix="up_base",
                                        extra_columns=["account_name", "owner", "renewal_date", "status"])
    if bands is None:
        bands = account_bands(con, month, scope)
    params = {**params, "up_end": month_end(month), "up_until": month_end(add_months(month, months))}
    with registered(con, bands if bands is not None else _empty_bands(), "up_bands") as view:
        frame = execute(con, f"""
            WITH b AS (SELECT *, {next_renewal_sql('CAST(renewal_date AS DATE)', 'up_end')} AS next_renewal
                       FROM ({base_sql}) WHERE is_active)
            SELECT b.account_id, CAST(b.account_name AS VARCHAR) AS account_name,
                   CAST(b.owner AS VARCHAR) AS owner, b.next_renewal AS renewal_date,
                   CAST(date_trunc('month', b.next_renewal) AS DATE) AS month, b.arr,
                   coalesce(hb.band, 'unscored') AS band,
                   coalesce(lower(trim(CAST(b.status AS VARCHAR))) IN ('notice', 'cancelling'), FALSE) AS notice
            FROM b LEFT JOIN {view} hb USING (account_id)
            WHERE b.next_renewal > $up_end AND b.next_renewal <= $up_until
            ORDER BY b.next_renewal, b.arr DESC, b.account_id""", params).df()
    frame["group"] = frame["band"].where(~frame["notice"].astype(bool), "notice")
    return frame[columns]


def renewal_calendar(upcoming: pd.DataFrame) -> pd.DataFrame:
    """Renewals by month and group (band / notice): month, group, accounts, arr."""
    if upcoming.empty:
        out = pd.DataFrame(columns=["month", "group", "accounts", "arr"])
    else:
        out = (upcoming.groupby(["month", "group"], as_index=False)
               .agg(accounts=("account_id", "size"), arr=("arr", "sum")))
        out["_o"] = out["group"].map({g: i for i, g in enumerate(GROUPS)})
        out = out.sort_values(["month", "_o"]).drop(columns="_o").reset_index(drop=True)
    return out


def renewal_forecast(upcoming: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Expected renewal ARR per group and in total (last row, group 'all').

    Columns: group, accounts, arr, rate, low, high, due (past renewals the rate rests on),
    basis ('band', 'overall', 'notice' or None without history), expected, expected_low,
    expected_high. Expected = ARR × rate; a band without past renewals uses the overall rate;
    notice-given accounts are expected to renew nothing.
    """
    by_band = {r["band"]: r for r in rates.to_dict("records")}
    overall = by_band.get("all") or {}
    rows = []
    for group in GROUPS:
        part = upcoming[upcoming["group"] == group] if not upcoming.empty else upcoming
        arr = float(part["arr"].sum()) if len(part) else 0.0
        if group == "notice":
            rate = low = high = 0.0
            due, basis = None, "notice"
        else:
            source = by_band.get(group) or {}
            basis = "band"
            if not source.get("due"):
                source, basis = overall, "overall"
            rate, low, high, due = source.get("rate"), source.get("low"), source.get("high"), source.get("due")
            if rate is None:
                basis = None
        rows.append({"group": group, "accounts": int(len(part)), "arr": arr, "rate": rate, "low": low,
                     "high": high, "due": due, "basis": basis,
                     "expected": None if rate is None else arr * rate,
                     "expected_low": None if low is None else arr * low,
                     "expected_high": None if high is None else arr * high})
    frame = pd.DataFrame(rows)
    known = frame[frame["accounts"] > 0]
    missing = known["expected"].isna().any()
    total = {"group": "all", "accounts": int(frame["accounts"].sum()), "arr": float(frame["arr"].sum()),
             "rate": None, "low": None, "high": None, "due": overall.get("due"), "basis": None,
             "expected": None if missing else float(known["expected"].fillna(0).sum()),
             "expected_low": None if missing else float(known["expected_low"].fillna(0).sum()),
             "expected_high": None if missing else float(known["expected_high"].fillna(0).sum())}
    if total["expected"] is not None and total["arr"]:
        total["rate"] = total["expected"] / total["arr"]
    out = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    return out.astype(object).where(out.notna(), None)


@one_schema_read
def renewal_outlook(con: duckdb.DuckDBPyConnection, as_of: Any = None, months: int = DEFAULT_HORIZON,
                    lookback_months: int = DEFAULT_LOOKBACK, scope: Scope | None = None) -> dict[str, Any]:
    """Everything the Renewals section shows, computed once.

    ``{"as_of", "upcoming", "calendar", "months", "rates", "forecast", "events", "cmrr"}``
    (``months``: every month of the horizon, for the calendar's axis); ``events``
    is the number of decided past renewals the rates rest on (None without history).
    """
    month = resolve_as_of(con, as_of)
    bands = account_bands(con, month, scope) if month is not None else None
    upcoming = upcoming_renewals(con, month, months, scope, bands=bands)
    events = renewal_events(con, month, lookback_months, scope)
    rates = renewal_rates(events)
    return {
        "as_of": month,
        "upcoming": upcoming,
        "calendar": renewal_calendar(upcoming),
        "months": [] if month is None else [add_months(month, i) for i in range(1, months + 1)],
        "rates": rates,
        "forecast": renewal_forecast(upcoming, rates),
        "events": None if events is None else int(len(events)),
        "cmrr": committed_mrr(con, month, scope),
    }


def committed_mrr(con: duckdb.DuckDBPyConnection, as_of: Any = None,
                  scope: Scope | None = None) -> dict[str, float] | None:
    """CMRR (docs/metrics.md) from :func:`cs_metrics.revenue.cmrr`; None where unsupported."""
    try:
        from cs_metrics import revenue
    except ImportError:
        return None
    if not callable(getattr(revenue, "cmrr", None)):
        return None
    month = resolve_as_of(con, as_of)
    return revenue.cmrr(con, None if month is None else month.strftime("%Y-%m"), scope)

