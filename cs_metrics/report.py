"""The headline report: the figures the command line prints and the Overview page shows.

Keys and meanings follow docs/contract.md (``report --format json``); a figure the loaded
data cannot support is ``None``.
"""

from __future__ import annotations

from typing import Any

import duckdb

from cs_metrics import health, revenue
from cs_metrics.i18n import t
from cs_metrics import formatting
from cs_metrics.scope import Scope


def build_report(con: duckdb.DuckDBPyConnection, as_of: str | None = None, window_months: int = 12,
                 scope: Scope | None = None, health_settings: dict | None = None) -> dict[str, Any]:
    """All headline figures for ``as_of`` (default: the latest month with data).

    >>> from cs_metrics.workspace import Workspace
    >>> build_report(Workspace.create(":memory:").con)["mrr"] is None
    True
    """
    report = revenue.retention_summary(con, as_of=as_of, window_months=window_months, scope=scope)
    report.update(health.health_summary(con, as_of=report.get("as_of"), scope=scope,
                                        settings=health_settings))
    return report


def format_text(report: dict[str, Any], lang: str = "en", currency: str = "USD") -> str:
    """The report as aligned lines for a terminal."""
    na = t("common.na", lang)
    window = report.get("window") or {}
    accounts = report.get("accounts") or {}
    movements = report.get("movements") or {}
    health_mix = report.get("health") or {}
    rows = [
        (t("report.as_of", lang), report.get("as_of") or na),
        (t("report.window", lang), f"{window.get('start') or na} → {window.get('end') or na}"),
        (t("report.accounts", lang), t("report.accounts_value", lang, total=accounts.get("total", na),
                                       active=accounts.get("active", na), churned=accounts.get("churned", na))),
        ("MRR", formatting.money(report.get("mrr"), currency, lang, decimals=2)),
        ("ARR", formatting.money(report.get("arr"), currency, lang, decimals=2)),
        ("GRR", formatting.pct(report.get("grr"), lang)),
        ("NRR", formatting.pct(report.get("nrr"), lang)),
        (t("report.logo_retention", lang), formatting.pct(report.get("logo_retention"), lang)),
        (t("report.logo_churn", lang), formatting.pct(report.get("logo_churn_rate"), lang)),
        (t("report.quick_ratio", lang), formatting.ratio(report.get("quick_ratio"), lang)),
        ("NPS", formatting.number(report.get("nps"), lang, decimals=1)),
        (t("report.arr_at_risk", lang), formatting.money(report.get("arr_at_risk"), currency, lang, decimals=2)),
    ]
    for name in ("new", "expansion", "reactivation", "contraction", "churn"):
        rows.append((t(f"report.movement.{name}", lang),
                     formatting.money(movements.get(name), currency, lang, decimals=2)))
    for band in ("green", "yellow", "red", "unscored"):
        rows.append((t("report.health_band", lang, band=t(f"band.{band}", lang)),
                     str(health_mix.get(band, na))))
    width = max(len(label) for label, _ in rows) + 2
    return "\n".join(f"{label:<{width}}{value}" for label, value in rows)
