"""The CS maturity self-assessment of seed 001 ("你的客户成功能打几分?").

Eight modules, each rated on five levels 0–4 in the seed's words (the texts live in
``cs_metrics/locales/account.py`` as ``maturity.<module>.<level>``), plus three enablers
the seed names without a ladder (leadership buy-in, team structure, tooling); their 0–4
ladders are ours, written in the same spirit (from absent to driving the company).

* **Score** = the sum of the levels: modules out of 32, enablers out of 12, total out of
  44, and the total as a share of 44.
* **Next level** of a dimension = the text of level + 1 (none at level 4).
* **Evidence**: rules that read the workspace and suggest a *minimum* level where the data
  shows the practice (see :func:`suggest_levels`); the user confirms or overrides each one.
* **Assessments** are saved in the setting ``maturity.assessments`` as a list of
  ``{"date": "YYYY-MM-DD", "levels": {dimension: level}}``, one per date (saving again
  on the same date replaces it), oldest first.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from cs_metrics.errors import InputError
from cs_metrics.i18n import t
from cs_metrics.scope import table_columns

MODULES = ("segmentation", "lifecycle", "risk", "value_proof", "data_visibility",
           "health_model", "expansion", "customer_marketing")
ENABLERS = ("leadership", "team", "tooling")
DIMENSIONS = MODULES + ENABLERS
MAX_LEVEL = 4
SETTING_KEY = "maturity.assessments"


@dataclass(frozen=True)
class Evidence:
    """A level the data supports for one dimension, and why (a message key + values)."""

    dimension: str
    level: int
    reason_key: str
    values: dict[str, Any]

    def reason(self, lang: str) -> str:
        """The reason in ``lang``; a list value names table kinds and is translated."""
        values = {k: "、".join(t(f"kind.{x}", lang) for x in v) if lang == "zh" and isinstance(v, (list, tuple))
                  else ", ".join(t(f"kind.{x}", lang) for x in v) if isinstance(v, (list, tuple)) else v
                  for k, v in self.values.items()}
        return t(self.reason_key, lang, **values)


def level_text(dimension: str, level: int, lang: str = "en") -> str:
    return t(f"maturity.{dimension}.{int(level)}", lang)


def next_step(dimension: str, level: int, lang: str = "en") -> str:
    """What reaching the next level means, or a note that the top is reached."""
    if int(level) >= MAX_LEVEL:
        return t("maturity.top_reached", lang)
    return level_text(dimension, int(level) + 1, lang)


def validate_levels(levels: dict[str, Any]) -> dict[str, int]:
    """Every dimension rated with an integer 0–4; raises :class:`InputError` otherwise."""
    clean = {}
    for dim in DIMENSIONS:
        value = levels.get(dim)
        try:
            level = int(value)
        except (TypeError, ValueError):
            raise InputError(f"'{dim}' needs a level from 0 to {MAX_LEVEL}, got {value!r}.") from None
        if not 0 <= level <= MAX_LEVEL or level != value:
            raise InputError(f"'{dim}' needs a level from 0 to {MAX_LEVEL}, got {value!r}.")
        clean[dim] = level
    return clean


def score(levels: dict[str, Any]) -> dict[str, Any]:
    """Totals of an assessment.

    >>> s = score({d: 2 for d in DIMENSIONS})
    >>> s["modules"], s["enablers"], s["total"], s["max"], round(s["share"], 3)
    (16, 6, 22, 44, 0.5)
    """
    clean = validate_levels(levels)
    modules = sum(clean[d] for d in MODULES)
    enablers = sum(clean[d] for d in ENABLERS)
    total = modules + enablers
    maximum = MAX_LEVEL * len(DIMENSIONS)
    return {"modules": modules, "modules_max": MAX_LEVEL * len(MODULES), "enablers": enablers,
            "enablers_max": MAX_LEVEL * len(ENABLERS), "total": total, "max": maximum,
            "share": total / maximum}


# Evidence from the workspace ----------------------------------------------------------------
def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables "
                       "WHERE table_schema = current_schema()").fetchall()
    return {r[0] for r in rows}


def _setting(con: duckdb.DuckDBPyConnection, key: str) -> Any:
    if "_polaris_settings" not in _tables(con):
        return None
    row = con.execute("SELECT value FROM _polaris_settings WHERE key = ?", [key]).fetchone()
    if not row:
        return None
    return json.loads(row[0]) if isinstance(row[0], str) else row[0]


def _module_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(f"cs_metrics.{name}") is not None


FACT_KINDS = ("mrr", "subscriptions", "usage", "tickets", "nps", "goals")


def workspace_facts(con: duckdb.DuckDBPyConnection, shared: bool = False) -> dict[str, Any]:
    """The facts the evidence rules read, gathered with a few cheap queries.

    ``shared`` says the workspace is a named one that other people open.
    """
    tables = _tables(con)
    facts: dict[str, Any] = {"shared": bool(shared)}
    account_cols = set(table_columns(con, "accounts")) if "accounts" in tables else set()
    facts["accounts"] = "accounts" in tables
    facts["tiers"] = 0
    if "segment" in account_cols:
        facts["tiers"] = int(con.execute(
            "SELECT count(DISTINCT segment) FROM accounts WHERE segment IS NOT NULL").fetchone()[0])
    facts["manual_health"] = 0
    if "manual_health" in account_cols:
        facts["manual_health"] = int(con.execute(
            "SELECT count(*) FROM accounts WHERE manual_health IS NOT NULL").fetchone()[0])
    # Kinds joined to accounts: at least one row of the kind matched an account.
    joined = []
    for kind in FACT_KINDS:
        if kind in tables and "account_id" in table_columns(con, kind):
            matched = con.execute(
                f'SELECT count(*) FROM "{kind}" WHERE account_id IS NOT NULL'
                + (" AND account_id IN (SELECT account_id FROM accounts)" if facts["accounts"] else "")
            ).fetchone()[0]
            if matched:
                joined.append(kind)
    facts["joined_kinds"] = joined
    facts["goals"] = 0
    facts["goals_quantified"] = 0.0
    if "goals" in tables:
        cols = set(table_columns(con, "goals"))
        total = int(con.execute("SELECT count(*) FROM goals WHERE account_id IS NOT NULL").fetchone()[0])
        facts["goals"] = total
        if total and {"baseline", "target", "current"} <= cols:
            facts["goals_quantified"] = float(con.execute(
                "SELECT avg(CASE WHEN baseline IS NOT NULL AND target IS NOT NULL AND current IS NOT NULL "
                "AND target <> baseline THEN 1.0 ELSE 0.0 END) FROM goals WHERE account_id IS NOT NULL"
            ).fetchone()[0])
    northstar = _setting(con, "northstar")
    facts["northstar"] = isinstance(northstar, dict) and bool(northstar.get("metric"))
    facts["health_weights"] = _setting(con, "health.weights") is not None
    facts["risk_rules"] = _setting(con, "risk.rules") is not None
    facts["health_inputs"] = [k for k in ("usage", "tickets", "nps") if k in joined]
    facts["health_module"] = _module_available("health")
    facts["risk_module"] = _module_available("risk")
    facts["growth_module"] = _module_available("growth")
    facts["expansions"] = 0
    if "mrr" in tables:
        facts["expansions"] = int(con.execute(
            """SELECT count(*) FROM (
                   SELECT mrr, lag(mrr) OVER (PARTITION BY account_id ORDER BY month) AS prev
                   FROM (SELECT account_id, month, sum(mrr) AS mrr FROM mrr
                         WHERE account_id IS NOT NULL GROUP BY ALL))
               WHERE prev > 0 AND mrr > prev""").fetchone()[0])
    facts["nps_promoters"] = 0
    facts["nps_months"] = 0
    if "nps" in tables:
        row = con.execute(
            "SELECT count(*) FILTER (WHERE score >= 9), count(DISTINCT date_trunc('month', date)) "
            "FROM nps WHERE account_id IS NOT NULL").fetchone()
        facts["nps_promoters"], facts["nps_months"] = int(row[0]), int(row[1])
    return facts


def evidence(facts: dict[str, Any]) -> list[Evidence]:
    """Every rule that fires on ``facts``; each gives a minimum level and its reason.

    Rules (dimension ≥ level when …):

    * segmentation ≥ 1: the accounts carry ≥ 2 tiers (a-priori segments).
    * value proof ≥ 1: goals are recorded; ≥ 2: ≥ 80 % of them have baseline, target and
      current (progress tracked the same way); ≥ 3: and a North Star is set, so every
      account's value is shown in one measure against its target (QBR deck).
    * data visibility ≥ 1: one kind of customer data is loaded; ≥ 2: accounts plus ≥ 2
      other kinds joined on the account (the overall picture in one place); ≥ 3: and the
      workspace is a named, shared one (other teams see it).
    * health model ≥ 1: CSMs' own red/yellow/green is recorded; ≥ 2: health weights have
      been set (a multi-factor score); ≥ 3: scores are computed automatically every month
      from usage / tickets / NPS (with the CSM's colour kept beside them).
    * risk ≥ 1: risk signals are derived from the data (risk module and a health input).
    * expansion ≥ 1: expansions occur in the MRR history (opportunities are followed up);
      ≥ 2: expansion signals are computed from usage (growth module with usage and MRR).
    * customer marketing ≥ 1: promoters (NPS 9–10) are known by name; ≥ 2: NPS is collected
      regularly (in ≥ 4 distinct months), a method to find referral candidates.
    * tooling ≥ 1: a tool holds ≥ 2 kinds of customer data joined on the account.
    """
    out: list[Evidence] = []
    joined = facts.get("joined_kinds", [])
    if facts.get("tiers", 0) >= 2:
        out.append(Evidence("segmentation", 1, "maturity.ev.tiers", {"n": facts["tiers"]}))
    if facts.get("goals", 0) > 0:
        out.append(Evidence("value_proof", 1, "maturity.ev.goals", {"n": facts["goals"]}))
        if facts.get("goals_quantified", 0) >= 0.8:
            share = round(100 * facts["goals_quantified"])
            out.append(Evidence("value_proof", 2, "maturity.ev.goals_quantified", {"pct": share}))
            if facts.get("northstar"):
                out.append(Evidence("value_proof", 3, "maturity.ev.northstar", {}))
    kinds = len(joined) + (1 if facts.get("accounts") else 0)
    if kinds >= 1:
        out.append(Evidence("data_visibility", 1, "maturity.ev.data_loaded", {"n": kinds}))
    if facts.get("accounts") and len(joined) >= 2:
        out.append(Evidence("data_visibility", 2, "maturity.ev.joined", {"n": len(joined) + 1}))
        if facts.get("shared"):
            out.append(Evidence("data_visibility", 3, "maturity.ev.shared", {}))
    if facts.get("manual_health", 0) > 0:
        out.append(Evidence("health_model", 1, "maturity.ev.manual_health", {"n": facts["manual_health"]}))
    if facts.get("health_weights"):
        out.append(Evidence("health_model", 2, "maturity.ev.health_weights", {}))
    if facts.get("health_module") and facts.get("accounts") and facts.get("health_inputs"):
        out.append(Evidence("health_model", 3, "maturity.ev.health_auto",
                            {"inputs": tuple(facts["health_inputs"])}))
    if facts.get("risk_module") and facts.get("accounts") and facts.get("health_inputs"):
        out.append(Evidence("risk", 1, "maturity.ev.risk_signals", {}))
    if facts.get("expansions", 0) > 0:
        out.append(Evidence("expansion", 1, "maturity.ev.expansions", {"n": facts["expansions"]}))
        if facts.get("growth_module") and "usage" in joined:
            out.append(Evidence("expansion", 2, "maturity.ev.expansion_signals", {}))
    if facts.get("nps_promoters", 0) > 0:
        out.append(Evidence("customer_marketing", 1, "maturity.ev.promoters", {"n": facts["nps_promoters"]}))
        if facts.get("nps_months", 0) >= 4:
            out.append(Evidence("customer_marketing", 2, "maturity.ev.nps_regular", {"n": facts["nps_months"]}))
    if facts.get("accounts") and len(joined) >= 1:
        out.append(Evidence("tooling", 1, "maturity.ev.tooling", {"n": len(joined) + 1}))
    return out


def suggest_levels(con: duckdb.DuckDBPyConnection, shared: bool = False) -> dict[str, Any]:
    """Suggested minimum level per dimension and the evidence behind it.

    Returns ``{"levels": {dimension: level (0 where nothing shows)}, "evidence": [Evidence]}``.
    """
    found = evidence(workspace_facts(con, shared=shared))
    levels = {dim: 0 for dim in DIMENSIONS}
    for item in found:
        levels[item.dimension] = max(levels[item.dimension], item.level)
    return {"levels": levels, "evidence": found}


# Saved assessments ----------------------------------------------------------------------------
def load_assessments(raw: Any) -> list[dict[str, Any]]:
    """The saved list, cleaned: valid entries only, oldest first."""
    out = []
    for item in raw or []:
        try:
            date = dt.date.fromisoformat(str(item["date"])[:10])
            levels = validate_levels(item["levels"])
        except (KeyError, TypeError, ValueError, InputError):
            continue
        out.append({"date": date.isoformat(), "levels": levels})
    return sorted(out, key=lambda a: a["date"])


def add_assessment(assessments: Any, levels: dict[str, Any], date: dt.date | str) -> list[dict[str, Any]]:
    """A new list with this assessment added (replacing one of the same date)."""
    day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date)[:10])
    kept = [a for a in load_assessments(assessments) if a["date"] != day.isoformat()]
    kept.append({"date": day.isoformat(), "levels": validate_levels(levels)})
    return sorted(kept, key=lambda a: a["date"])


def comparison(assessments: Any, lang: str = "en") -> pd.DataFrame:
    """One row per dimension, one column per assessment date, plus the change from the
    earliest to the latest (``None`` with fewer than two). Rows 'total' at the end."""
    items = load_assessments(assessments)
    rows = []
    for dim in DIMENSIONS:
        row = {"dimension": dim, "label": t(f"maturity.dim.{dim}", lang)}
        for a in items:
            row[a["date"]] = a["levels"][dim]
        rows.append(row)
    total = {"dimension": "total", "label": t("maturity.total", lang)}
    for a in items:
        total[a["date"]] = score(a["levels"])["total"]
    rows.append(total)
    frame = pd.DataFrame(rows)
    if len(items) >= 2:
        frame["change"] = frame[items[-1]["date"]] - frame[items[0]["date"]]
    else:
        frame["change"] = None
    return frame


def assessment_frame(levels: dict[str, Any], lang: str = "en",
                     found: list[Evidence] | None = None) -> pd.DataFrame:
    """An assessment as a table for export: dimension, group, level, what it means, the
    next level, and the evidence from the data."""
    clean = validate_levels(levels)
    reasons: dict[str, list[str]] = {}
    for item in found or []:
        reasons.setdefault(item.dimension, []).append(item.reason(lang))
    return pd.DataFrame([{
        "dimension": t(f"maturity.dim.{dim}", lang),
        "group": t("maturity.group.module" if dim in MODULES else "maturity.group.enabler", lang),
        "level": clean[dim],
        "meaning": level_text(dim, clean[dim], lang),
        "next_step": next_step(dim, clean[dim], lang),
        "evidence": "; ".join(reasons.get(dim, [])),
    } for dim in DIMENSIONS])
