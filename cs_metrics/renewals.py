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
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cs_metrics import segments
from cs_metrics.risk import TERM_MONTHS, next_renewal_sql
from cs_metrics.scope import Scope
from cs_metrics.segments import (
    BANDS, _empty_bands, account_bands, account_base_sql, add_months, column_names, execute,
    has_table, month_end, one_schema_read, registered, resolve_as_of, revenue_source,
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
    scope_sql, scope_params = (scope or Scope()).account_filter(con)
    # A renewal is decided once the month 30 days after it is in the data.
    last = min(month, resolve_as_of(con) or month)
    params = {**scope_params, "rn_lo": add_months(month, -lookback_months + 1), "rn_hi": month_end(month),
              "rn_last": last, "rn_term": int(term_months)}
    names_frame, bands_frame, band_names_frame = _history_frames(segments.health_history(con, scope))
    with registered(con, names_frame, "rn_names") as names, registered(con, bands_frame, "rn_bands") as bands, \
            registered(con, band_names_frame, "rn_band_names") as band_names:
        return _events(con, monthly, scope_sql, params, names, bands, band_names)


def _events(con: duckdb.DuckDBPyConnection, monthly: str, scope_sql: str, params: dict[str, Any],
            names: str, bands: str, band_names: str) -> pd.DataFrame:
    """The events query of :func:`renewal_events`, with the band history's views in hand."""
    # Joining the few renewal events to the monthly rows (and summing there) is much cheaper
    # than first grouping millions of MRR rows by account and month.
    events = execute(con, f"""
        WITH m AS {monthly},
        first AS (SELECT account_id, min(month) AS first_month FROM m WHERE mrr > 0 GROUP BY account_id),
        latest AS (SELECT account_id, max(CAST(renewal_date AS DATE)) AS renewal_date FROM accounts
                   WHERE account_id IS NOT NULL AND renewal_date IS NOT NULL AND {scope_sql}
                   GROUP BY account_id),
        stepped AS (SELECT l.account_id, l.renewal_date,
                           unnest(range(0, greatest(0, datediff('month', f.first_month,
                                 CAST(date_trunc('month', l.renewal_date) AS DATE)) // $rn_term) + 1)) AS k
                    FROM latest l JOIN first f USING (account_id)),
        due AS (SELECT account_id,
                       CAST(renewal_date - to_months(CAST(k * $rn_term AS INTEGER)) AS DATE) AS renewal_date
                FROM stepped),
        judged AS (SELECT account_id, renewal_date,
                          CAST(date_trunc('month', renewal_date) - INTERVAL 1 MONTH AS DATE) AS before_month,
                          CAST(date_trunc('month', renewal_date + INTERVAL 30 DAY) AS DATE) AS after_month
                   FROM due WHERE renewal_date BETWEEN $rn_lo AND $rn_hi),
        before AS (SELECT j.account_id, j.renewal_date, any_value(j.before_month) AS before_month,
                          sum(m.mrr) AS mrr
                   FROM judged j JOIN m ON m.account_id = j.account_id AND m.month = j.before_month
                   WHERE j.after_month <= $rn_last GROUP BY j.account_id, j.renewal_date),
        after AS (SELECT j.account_id, j.renewal_date, sum(m.mrr) AS mrr
                  FROM judged j JOIN m ON m.account_id = j.account_id AND m.month = j.after_month
                  GROUP BY j.account_id, j.renewal_date)
        SELECT b.account_id, b.renewal_date, 12 * b.mrr AS arr_before, coalesce(a.mrr, 0) > 0 AS renewed,
               coalesce(bn.band, 'unscored') AS band
        FROM before b LEFT JOIN after a USING (account_id, renewal_date)
        LEFT JOIN {names} n ON n.account_id = b.account_id
        LEFT JOIN {bands} hb ON hb.code = n.code
             AND hb.month_ix = year(b.before_month) * 12 + month(b.before_month) - 1
        LEFT JOIN {band_names} bn ON bn.band_code = hb.band_code
        WHERE b.mrr > 0
        ORDER BY b.renewal_date, b.account_id""", params).df()
    return events[["account_id", "renewal_date", "arr_before", "renewed", "band"]]


def _history_frames(history: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The band history as integer frames DuckDB reads without copying: (code, account_id),
    (code, month_ix, band_code) and (band_code, band). Millions of account-months join fast
    on integers; as strings they would first have to be converted."""
    if history is None or history.empty:
        return (pd.DataFrame({"code": np.array([], dtype=np.int64), "account_id": np.array([], dtype=object)}),
                pd.DataFrame({"code": np.array([], dtype=np.int64), "month_ix": np.array([], dtype=np.int64),
                              "band_code": np.array([], dtype=np.int64)}),
                pd.DataFrame({"band_code": np.array([], dtype=np.int64), "band": np.array([], dtype=object)}))
    accounts, account_names = _codes(history["account_id"])
    bands, band_names = _codes(history["band"])
    months = history["month"].to_numpy().astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return (pd.DataFrame({"code": np.arange(len(account_names), dtype=np.int64),
                          "account_id": np.asarray(account_names, dtype=object)}),
            pd.DataFrame({"code": accounts.astype(np.int64), "month_ix": months,
                          "band_code": bands.astype(np.int64)}),
            pd.DataFrame({"band_code": np.arange(len(band_names), dtype=np.int64),
                          "band": np.asarray(band_names, dtype=object)}))


def _codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes and the names they stand for (a categorical's own codes when it is one)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), [str(c) for c in values.cat.categories]
    codes, uniques = pd.factorize(values.astype(str))
    return codes, [str(u) for u in uniques]


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

