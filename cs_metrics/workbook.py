"""An Excel workbook of the workspace's metrics, to leave behind or to work on further.

One sheet each: summary, accounts (with health and tier), MRR movements, cohorts, risk,
renewals and goals. A sheet the loaded data (or this installation) cannot support holds
one note row saying why, instead of being left out silently. Headers are bold and
translated, numbers carry number formats (money in the data's currency, rates as
percentages, dates as dates), and text that looks like a formula stays text
(:func:`cs_metrics.export.write_sheet`).

Definitions are those of docs/metrics.md; the figures come from the modules that own them
(:mod:`cs_metrics.report`, :mod:`cs_metrics.revenue`, :mod:`cs_metrics.health`,
:mod:`cs_metrics.risk`, :mod:`cs_metrics.renewals`) when present, and from
:mod:`cs_metrics.goals` / :mod:`cs_metrics.northstar` for goals and the North Star.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import duckdb
import pandas as pd

from cs_metrics import goals as goals_mod
from cs_metrics import northstar as northstar_mod
from cs_metrics.account import has_table, optional_module, call_optional, health_table
from cs_metrics.export import write_sheet
from cs_metrics.formatting import currency_symbol
from cs_metrics.i18n import has, t
from cs_metrics.scope import Scope, table_columns

SHEETS = ("summary", "accounts", "movements", "cohorts", "risk", "renewals", "goals")
PCT = "0.0%"
COUNT = "#,##0"
DECIMAL = "#,##0.00"
DATE = "yyyy-mm-dd"


def money_format(currency: str) -> str:
    """An Excel number format showing the data's currency symbol: '"$"#,##0.00'."""
    symbol = currency_symbol(currency).replace('"', "")
    return f'"{symbol}"#,##0.00'


def _label(column: str, lang: str) -> str:
    for key in (f"col.{column}", f"workbook.col.{column}"):
        if has(key):
            return t(key, lang)
    return column


def _note(text: str, lang: str) -> tuple[pd.DataFrame, dict[str, str]]:
    return pd.DataFrame({t("workbook.note", lang): [text]}), {}


def _guess_formats(frame: pd.DataFrame, money: str) -> dict[str, str]:
    """Formats for a frame from another module: by column name and dtype."""
    formats: dict[str, str] = {}
    for column in frame.columns:
        name = str(column).lower()
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            formats[column] = DATE
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            if (pd.api.types.is_integer_dtype(series) or "count" in name or "accounts" in name
                    or name.startswith("active")):
                formats[column] = COUNT
            elif any(k in name for k in ("rate", "retention", "grr", "nrr", "share", "pct")):
                formats[column] = PCT
            elif any(k in name for k in ("mrr", "arr", "amount", "revenue", "new", "expansion",
                                          "contraction", "churn", "reactivation", "change")):
                formats[column] = money
            else:
                formats[column] = DECIMAL
    return formats


def _translated(frame: pd.DataFrame, formats: dict[str, str], lang: str) -> tuple[pd.DataFrame, dict[str, str]]:
    names = {c: _label(str(c), lang) for c in frame.columns}
    return frame.rename(columns=names), {names[c]: f for c, f in formats.items() if c in names}


# Sheets -------------------------------------------------------------------------------------
def summary_sheet(con: duckdb.DuckDBPyConnection, scope: Scope | None, lang: str, currency: str,
                  as_of: dt.date | None) -> tuple[pd.DataFrame, list[str]]:
    """(figure, value) rows and the number format of each row."""
    money = money_format(currency)
    rows: list[tuple[str, Any, str]] = [
        (t("workbook.as_of", lang), str(as_of) if as_of else t("common.na", lang), "@"),
        (t("workbook.scope", lang), ", ".join(f"{k}: {', '.join(v)}" for k, v in (scope or Scope()).filters)
         or t("workbook.scope_all", lang), "@"),
    ]
    report_mod = optional_module("report")
    figures = call_optional(getattr(report_mod, "build_report", None), con, scope=scope) if report_mod else None
    if figures:
        accounts = figures.get("accounts") or {}
        rows += [
            (t("workbook.accounts_total", lang), accounts.get("total"), COUNT),
            (t("workbook.accounts_active", lang), accounts.get("active"), COUNT),
            (t("workbook.accounts_churned", lang), accounts.get("churned"), COUNT),
            ("MRR", figures.get("mrr"), money),
            ("ARR", figures.get("arr"), money),
            ("GRR", figures.get("grr"), PCT),
            ("NRR", figures.get("nrr"), PCT),
            (t("workbook.logo_retention", lang), figures.get("logo_retention"), PCT),
            (t("workbook.quick_ratio", lang), figures.get("quick_ratio"), DECIMAL),
            ("NPS", figures.get("nps"), "0.0"),
            (t("workbook.arr_at_risk", lang), figures.get("arr_at_risk"), money),
        ]
    elif has_table(con, "accounts"):
        sql, params = (scope or Scope()).account_filter(con)
        total = con.execute(f"SELECT count(*) FROM accounts WHERE {sql}", params).fetchone()[0]
        rows.append((t("workbook.accounts_total", lang), int(total), COUNT))
    summary = goals_mod.goal_summary(con, scope=scope, as_of=as_of)
    if summary["goals"]:
        rows += [
            (t("workbook.goals_total", lang), summary["goals"], COUNT),
            (t("workbook.goals_achieved", lang), summary["achieved"], COUNT),
            (t("workbook.goals_on_track", lang), summary["on_track"], COUNT),
            (t("workbook.goals_behind", lang), summary["behind"], COUNT),
            (t("workbook.goals_missed", lang), summary["missed"], COUNT),
            (t("workbook.goals_median", lang), summary["median_attainment"], PCT),
        ]
    overview = northstar_mod.northstar_overview(con, scope=scope)
    if overview and overview["accounts_measured"]:
        rows += [
            (t("workbook.ns_accounts", lang), overview["accounts_measured"], COUNT),
            (t("workbook.ns_reaching", lang), overview["share_reaching"], PCT),
        ]
    na = t("common.na", lang)
    frame = pd.DataFrame({
        t("workbook.metric", lang): [r[0] for r in rows],
        # A figure the data cannot support is written as "n/a", never as 0.
        t("workbook.value", lang): [na if r[1] is None else r[1] for r in rows],
    })
    return frame, [r[2] for r in rows]


def accounts_sheet(con: duckdb.DuckDBPyConnection, scope: Scope | None, lang: str, currency: str,
                   as_of: dt.date | None, health_scores: pd.DataFrame | None) -> tuple[pd.DataFrame, dict[str, str]]:
    if not has_table(con, "accounts"):
        return _note(t("workbook.needs", lang, tables=t("kind.accounts", lang)), lang)
    cols = set(table_columns(con, "accounts"))
    wanted = ["account_id", "account_name", "segment", "owner", "plan", "industry", "region", "status",
              "start_date", "renewal_date", "churn_date", "arr", "mrr", "seats", "manual_health"]
    have = [c for c in wanted if c in cols]
    sql, params = (scope or Scope()).account_filter(con)
    frame = con.execute(f"SELECT {', '.join(have)} FROM accounts WHERE account_id IS NOT NULL AND {sql} "
                        "ORDER BY account_id", params).df()
    if "renewal_date" in frame and as_of is not None:
        renewal = pd.to_datetime(frame["renewal_date"])
        frame.insert(frame.columns.get_loc("renewal_date") + 1, "days_to_renewal",
                     (renewal - pd.Timestamp(as_of)).dt.days.astype("Int64"))
    if health_scores is not None and {"account_id", "month", "score"} <= set(health_scores.columns):
        latest = health_scores.dropna(subset=["score"]).sort_values("month").groupby("account_id").tail(1)
        latest = latest[["account_id", "score", "band"]].rename(
            columns={"score": "health_score", "band": "health_band"})
        latest["account_id"] = latest["account_id"].astype(str)
        frame["account_id"] = frame["account_id"].astype(str)
        frame = frame.merge(latest, on="account_id", how="left")
        frame["health_band"] = frame["health_band"].map(lambda b: t(f"band.{b}", lang) if isinstance(b, str) else None)
    if "status" in frame:
        frame["status"] = frame["status"].map(
            lambda s: t(f"status.{s}", lang) if isinstance(s, str) and has(f"status.{s}") else s)
    money = money_format(currency)
    formats = {c: money for c in ("arr", "mrr") if c in frame}
    formats.update({c: DATE for c in ("start_date", "renewal_date", "churn_date") if c in frame})
    formats.update({c: COUNT for c in ("seats", "days_to_renewal") if c in frame})
    if "health_score" in frame:
        formats["health_score"] = "0.0"
    for c in ("start_date", "renewal_date", "churn_date"):
        if c in frame:
            frame[c] = pd.to_datetime(frame[c])
    return _translated(frame, formats, lang)


def _module_sheet(con: duckdb.DuckDBPyConnection, scope: Scope | None, lang: str, currency: str,
                  module: str, names: tuple[str, ...], needs: tuple[str, ...], area: str
                  ) -> tuple[pd.DataFrame, dict[str, str]]:
    """A sheet straight from another area's function, or a note why it is missing."""
    if not any(has_table(con, k) for k in needs):
        return _note(t("workbook.needs", lang, tables=" / ".join(t(f"kind.{k}", lang) for k in needs)), lang)
    mod = optional_module(module)
    func = next((getattr(mod, n) for n in names if mod is not None and hasattr(mod, n)), None)
    result = call_optional(func, con, scope=scope) if func else None
    if result is None:
        return _note(t("workbook.module_missing", lang, area=t(f"workbook.area.{area}", lang)), lang)
    frame = result if isinstance(result, pd.DataFrame) else pd.DataFrame(result)
    if frame.empty:
        return _note(t("workbook.empty", lang), lang)
    return _translated(frame, _guess_formats(frame, money_format(currency)), lang)


def cohorts_sheet(con: duckdb.DuckDBPyConnection, scope: Scope | None, lang: str
                  ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Logo and net revenue retention by cohort (rows) and age in months (columns), from
    :func:`cs_metrics.cohorts.cohort_matrix`, with the weighted average row."""
    if not (has_table(con, "mrr") or has_table(con, "subscriptions")):
        return _note(t("workbook.needs", lang, tables=" / ".join(
            t(f"kind.{k}", lang) for k in ("mrr", "subscriptions"))), lang)
    mod = optional_module("cohorts")
    func = getattr(mod, "cohort_matrix", None) if mod is not None else None
    blocks = []
    for measure in ("logo", "revenue"):
        matrix = call_optional(func, con, measure, scope=scope) if func else None
        table = call_optional(matrix.pivot, with_average=True) if matrix is not None else None
        if table is None or table.empty:
            continue
        table.columns = [str(c) for c in table.columns]
        table = table.rename(index={"average": t("workbook.average", lang)})
        table.insert(0, "cohort", table.index)
        table.insert(0, "measure", t(f"workbook.measure.{measure}", lang))
        blocks.append(table.reset_index(drop=True))
    if not blocks:
        return _note(t("workbook.module_missing", lang, area=t("workbook.area.revenue", lang)), lang)
    frame = pd.concat(blocks, ignore_index=True)
    formats = {c: PCT for c in frame.columns if c not in ("measure", "cohort")}
    frame = frame.rename(columns={"measure": t("workbook.col.measure", lang),
                                  "cohort": t("workbook.col.cohort", lang)})
    return frame, formats


def _bands(health_scores: pd.DataFrame | None) -> pd.DataFrame:
    """Each account's band in the latest scored month (account_id, band, score), the shape
    the risk and renewals modules take; empty when health was not scored."""
    empty = pd.DataFrame({"account_id": pd.Series([], dtype="object"), "band": pd.Series([], dtype="object"),
                          "score": pd.Series([], dtype="float64")})
    if health_scores is None or not {"account_id", "month", "band", "score"} <= set(health_scores.columns):
        return empty
    latest = health_scores[pd.to_datetime(health_scores["month"]) == pd.to_datetime(health_scores["month"]).max()]
    latest = latest[latest["band"].notna()]
    return pd.DataFrame({"account_id": latest["account_id"].astype(str).to_numpy(dtype=object),
                         "band": latest["band"].astype(str).to_numpy(dtype=object),
                         "score": latest["score"].astype("float64").to_numpy()})


def _translate_bands(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    if "band" in frame:
        frame = frame.assign(band=frame["band"].map(
            lambda b: t(f"band.{b}", lang) if isinstance(b, str) and has(f"band.{b}") else b))
    return frame


def risk_sheet(con: duckdb.DuckDBPyConnection, scope: Scope | None, lang: str, currency: str,
               health_scores: pd.DataFrame | None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The risk register (:func:`cs_metrics.risk.risk_register`): flagged active accounts
    with their reasons as sentences, largest ARR first."""
    if not has_table(con, "accounts"):
        return _note(t("workbook.needs", lang, tables=t("kind.accounts", lang)), lang)
    mod = optional_module("risk")
    func = getattr(mod, "risk_register", None) if mod is not None else None
    if func is None:
        return _note(t("workbook.module_missing", lang, area=t("workbook.area.risk", lang)), lang)
    frame = call_optional(func, con, scope=scope, lang=lang, bands=_bands(health_scores))
    if frame is None:
        return _note(t("workbook.module_missing", lang, area=t("workbook.area.risk", lang)), lang)
    if frame.empty:
        return _note(t("workbook.empty", lang), lang)
    frame = _translate_bands(frame.drop(columns=[c for c in ("reason_codes",) if c in frame]), lang)
    if "renewal_date" in frame:
        frame["renewal_date"] = pd.to_datetime(frame["renewal_date"])
    formats = {"arr": money_format(currency), "renewal_date": DATE, "reason_count": COUNT}
    return _translated(frame, {k: v for k, v in formats.items() if k in frame}, lang)


def renewals_sheet(con: duckdb.DuckDBPyConnection, scope: Scope | None, lang: str, currency: str,
                   health_scores: pd.DataFrame | None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Active accounts renewing in the next 12 months, soonest first, from
    :func:`cs_metrics.renewals.upcoming_renewals` (renewal dates rolled forward by whole
    terms when passed)."""
    if not has_table(con, "accounts") or "renewal_date" not in table_columns(con, "accounts"):
        return _note(t("workbook.needs", lang, tables=t("col.renewal_date", lang)), lang)
    mod = optional_module("renewals")
    func = getattr(mod, "upcoming_renewals", None) if mod is not None else None
    frame = call_optional(func, con, months=12, scope=scope, bands=_bands(health_scores)) if func else None
    if frame is None:
        return _note(t("workbook.module_missing", lang, area=t("workbook.area.revenue", lang)), lang)
    if frame.empty:
        return _note(t("workbook.empty", lang), lang)
    frame = _translate_bands(frame.drop(columns=[c for c in ("month", "group") if c in frame]), lang)
    frame["renewal_date"] = pd.to_datetime(frame["renewal_date"])
    frame["notice"] = frame["notice"].map(lambda v: t("common.yes" if v else "common.no", lang))
    return _translated(frame, {"renewal_date": DATE, "arr": money_format(currency)}, lang)


def goals_sheet(con: duckdb.DuckDBPyConnection, scope: Scope | None, lang: str,
                as_of: dt.date | None) -> tuple[pd.DataFrame, dict[str, str]]:
    if not has_table(con, "goals"):
        return _note(t("workbook.needs", lang, tables=t("kind.goals", lang)), lang)
    frame = goals_mod.goal_attainment(con, scope=scope, as_of=as_of)
    if frame.empty:
        return _note(t("workbook.empty", lang), lang)
    frame = frame.drop(columns=["on_track"])
    frame["state"] = frame["state"].map(lambda s: t(f"account.state.{s}", lang))
    frame["direction"] = frame["direction"].map(lambda d: t(f"account.direction.{d}", lang) if d else None)
    for c in ("due_date", "start_date"):
        frame[c] = pd.to_datetime(frame[c])
    formats = {"baseline": DECIMAL, "target": DECIMAL, "current": DECIMAL, "attainment": PCT,
               "elapsed_share": PCT, "due_date": DATE, "start_date": DATE}
    return _translated(frame, formats, lang)


def workbook_sheets(con: duckdb.DuckDBPyConnection, scope: Scope | None = None, lang: str = "en",
                    currency: str = "USD", health_scores: pd.DataFrame | None = None,
                    as_of: dt.date | None = None, with_health: bool = True
                    ) -> dict[str, tuple[pd.DataFrame, Any]]:
    """Every sheet as (frame, formats): a dict of column formats, or for the summary a list
    with one format per row. ``health_scores`` (from :func:`cs_metrics.account.health_table`)
    is computed when not given, unless ``with_health`` is False (the health model scores
    every account, which takes long on a big workspace)."""
    as_of = as_of or goals_mod.latest_data_date(con)
    if health_scores is None and with_health and has_table(con, "accounts"):
        health_scores = health_table(con)
    return {
        "summary": summary_sheet(con, scope, lang, currency, as_of),
        "accounts": accounts_sheet(con, scope, lang, currency, as_of, health_scores),
        "movements": _module_sheet(con, scope, lang, currency, "revenue", ("movements",),
                                   ("mrr", "subscriptions"), "revenue"),
        "cohorts": cohorts_sheet(con, scope, lang),
        "risk": risk_sheet(con, scope, lang, currency, health_scores),
        "renewals": renewals_sheet(con, scope, lang, currency, health_scores),
        "goals": goals_sheet(con, scope, lang, as_of),
    }


def build_workbook(con: duckdb.DuckDBPyConnection, scope: Scope | None = None, lang: str = "en",
                   currency: str = "USD", health_scores: pd.DataFrame | None = None,
                   as_of: dt.date | None = None, with_health: bool = True) -> bytes:
    """The workbook as .xlsx bytes (sheet names in ``lang``)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for key, (frame, formats) in workbook_sheets(con, scope, lang, currency, health_scores, as_of,
                                                        with_health).items():
        sheet = workbook.create_sheet(title=t(f"workbook.sheet.{key}", lang)[:31])
        if isinstance(formats, list):
            write_sheet(sheet, frame)
            value_col = 2
            for row, fmt in enumerate(formats, start=2):
                cell = sheet.cell(row=row, column=value_col)
                if fmt != "@" and isinstance(cell.value, (int, float)):
                    cell.number_format = fmt
        else:
            write_sheet(sheet, frame, formats)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
