"""Charts of the Health and Lifecycle pages: DataFrame in, Altair chart out.

Every label shown is translated here (``lang``); the data keeps canonical state names
and the charts map them to display text, in a fixed order and colour per state.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import altair as alt
import pandas as pd

from cs_metrics.charts.base import AMBER, BAND_COLORS, BLUE, GREEN, GREY, PURPLE, RED, TEAL, style
from cs_metrics.i18n import t

STATE_COLORS = {
    "new": BLUE, "churned": "#57606A", "unscored": GREY, "unknown": GREY,
    **{k: v for k, v in BAND_COLORS.items() if k != "unscored"},
    "very_active": GREEN, "active": TEAL, "low": AMBER, "dormant": RED,
    "onboarding": BLUE, "adoption": PURPLE, "steady": GREEN, "renewal": AMBER, "at_risk": RED,
}
# Canonical display order of every state name (dimensions pick their own subset).
STATE_ORDER = ("new", "green", "yellow", "red", "unscored", "onboarding", "adoption", "steady", "renewal",
               "at_risk", "very_active", "active", "low", "dormant", "unknown", "churned")


def state_label(state: str, lang: str = "en") -> str:
    """Display text of a band, activity state, stage, 'new' or 'churned'."""
    if state in ("green", "yellow", "red", "unscored"):
        return t(f"band.{state}", lang)
    if state in ("new", "churned", "unknown"):
        return t(f"lifecycle.state.{state}", lang)
    if state in ("very_active", "active", "low", "dormant"):
        return t(f"lifecycle.activity.{state}", lang)
    return t(f"lifecycle.stage.{state}", lang)


def component_label(component: str, lang: str = "en") -> str:
    return t(f"health.component.{component}", lang)


def _scale(states: Sequence[str], lang: str) -> alt.Scale:
    return alt.Scale(domain=[state_label(s, lang) for s in states],
                     range=[STATE_COLORS.get(s, GREY) for s in states])


def _ordered(states: Sequence[str]) -> list[str]:
    present = set(states)
    return [s for s in STATE_ORDER if s in present] + sorted(present - set(STATE_ORDER))


def _month_axis(lang: str) -> alt.X:
    return alt.X("yearmonth(month):T", title=t("health.month", lang),
                 axis=alt.Axis(format="%Y-%m", labelAngle=-40))


def state_mix_chart(mix: pd.DataFrame, lang: str = "en", value: str = "accounts",
                    title_key: str = "health.mix_title", state_key: str = "health.band") -> alt.Chart:
    """Stacked bars of accounts (or ARR) per state and month; ``mix`` has month, state, accounts, arr."""
    states = _ordered(mix["state"].unique()) if len(mix) else []
    data = mix.assign(label=mix["state"].map(lambda s: state_label(s, lang)),
                      order=mix["state"].map({s: i for i, s in enumerate(states)}))
    title = t("health.by_arr" if value == "arr" else "health.by_accounts", lang)
    chart = alt.Chart(data, title=t(title_key, lang)).mark_bar().encode(
        x=_month_axis(lang),
        y=alt.Y(f"{value}:Q", title=title, stack="zero"),
        color=alt.Color("label:N", title=None, scale=_scale(states, lang), sort=[state_label(s, lang) for s in states]),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("yearmonth(month):T", title=t("health.month", lang), format="%Y-%m"),
                 alt.Tooltip("label:N", title=t(state_key, lang)),
                 alt.Tooltip(f"{value}:Q", title=title, format=",.0f")],
    )
    return style(chart, height=320)


def band_churn_chart(band_rates: pd.DataFrame, horizon: int, lang: str = "en") -> alt.Chart:
    """Churn rate within ``horizon`` months of each band (bars, labelled with the rate)."""
    data = band_rates.dropna(subset=["churn_rate"]).assign(
        label=lambda d: d["band"].map(lambda s: state_label(s, lang)))
    bands = [b for b in ("green", "yellow", "red") if b in set(data["band"])]
    base = alt.Chart(data, title=t("health.band_chart", lang, n=horizon)).encode(
        x=alt.X("label:N", title=None, sort=[state_label(b, lang) for b in bands], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("churn_rate:Q", title=t("health.churn_rate", lang), axis=alt.Axis(format=".0%")),
        tooltip=[alt.Tooltip("label:N", title=t("health.band", lang)),
                 alt.Tooltip("churn_rate:Q", title=t("health.churn_rate", lang), format=".1%"),
                 alt.Tooltip("account_months:Q", title=t("health.by_accounts", lang), format=",")],
    )
    bars = base.mark_bar(size=70).encode(color=alt.Color("label:N", scale=_scale(bands, lang), legend=None))
    text = base.mark_text(dy=-10, fontSize=16, fontWeight="bold").encode(text=alt.Text("churn_rate:Q", format=".1%"))
    return style(alt.layer(bars, text), height=320)


def auc_chart(auc_by_month: pd.DataFrame, lang: str = "en") -> alt.Chart:
    """AUC of each month's scores, with the 0.5 line of a coin toss."""
    data = auc_by_month.dropna(subset=["auc"])
    line = alt.Chart(data, title=t("health.auc_chart", lang)).mark_line(point=True, color=BLUE, strokeWidth=3).encode(
        x=_month_axis(lang),
        y=alt.Y("auc:Q", title=t("health.auc", lang), scale=alt.Scale(domain=[0.3, 1.0])),
        tooltip=[alt.Tooltip("yearmonth(month):T", title=t("health.month", lang), format="%Y-%m"),
                 alt.Tooltip("auc:Q", title=t("health.auc", lang), format=".3f"),
                 alt.Tooltip("accounts:Q", title=t("health.by_accounts", lang), format=","),
                 alt.Tooltip("churned:Q", title=t("health.churn_rate", lang), format=",")],
    )
    chance = alt.Chart(pd.DataFrame({"y": [0.5], "label": [t("health.chance", lang)]})).mark_rule(
        color=GREY, strokeDash=[6, 4], strokeWidth=2).encode(y="y:Q")
    chance_text = alt.Chart(pd.DataFrame({"y": [0.5], "label": [t("health.chance", lang)]})).mark_text(
        align="left", dx=4, dy=-8, color=GREY, fontSize=13).encode(y="y:Q", text="label:N", x=alt.value(0))
    return style(alt.layer(line, chance, chance_text), height=300)


def weights_chart(current: Mapping[str, float], fitted: Mapping[str, float] | None, lang: str = "en") -> alt.Chart:
    """Current and fitted weights (as % of the total) side by side per component."""
    rows = []
    for kind, weights in (("current", current), ("fitted", fitted or {})):
        total = sum(weights.values()) or 1.0
        for name, value in weights.items():
            rows.append({"component": component_label(name, lang), "kind": t(f"health.{kind}", lang),
                         "share": value / total})
    data = pd.DataFrame(rows)
    kinds = [t("health.current", lang), t("health.fitted", lang)]
    chart = alt.Chart(data, title=t("health.weights_chart", lang)).mark_bar().encode(
        y=alt.Y("component:N", title=None, sort=None),
        x=alt.X("share:Q", title=t("health.weight", lang), axis=alt.Axis(format=".0%")),
        yOffset=alt.YOffset("kind:N", sort=kinds),
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=kinds, range=[GREY, BLUE])),
        tooltip=[alt.Tooltip("component:N", title=t("health.component", lang)),
                 alt.Tooltip("kind:N", title=None), alt.Tooltip("share:Q", title=t("health.weight", lang), format=".0%")],
    )
    # Streamlit sizes the whole chart (axes and legend included) to this height.
    return style(chart, height=130 + 46 * len(current))


def contributions_chart(contributions: pd.DataFrame, lang: str = "en") -> alt.Chart:
    """Points earned and lost per component (they add up to 100 across the bar)."""
    parts = []
    for _, row in contributions.iterrows():
        label = component_label(row["component"], lang)
        parts.append({"component": label, "part": t("health.points", lang), "value": row["points"],
                      "score": row["score"], "order": 0})
        parts.append({"component": label, "part": t("health.lost", lang), "value": row["lost"],
                      "score": row["score"], "order": 1})
    data = pd.DataFrame(parts, columns=["component", "part", "value", "score", "order"])
    domain = [t("health.points", lang), t("health.lost", lang)]
    chart = alt.Chart(data, title=t("health.contrib_chart", lang)).mark_bar().encode(
        y=alt.Y("component:N", title=None, sort=None),
        x=alt.X("value:Q", title=t("health.col.score", lang), stack="zero"),
        color=alt.Color("part:N", title=None, scale=alt.Scale(domain=domain, range=[GREEN, "#F0C3C6"])),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("component:N", title=t("health.component", lang)),
                 alt.Tooltip("part:N", title=t("health.part", lang)),
                 alt.Tooltip("value:Q", title=t("health.col.score", lang), format=".1f"),
                 alt.Tooltip("score:Q", title="0–100", format=".0f")],
    )
    return style(chart, height=130 + 36 * len(contributions))


def _labelled_moves(moves: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    froms = _ordered(moves["from_state"].unique())
    tos = _ordered(moves["to_state"].unique())
    data = moves.assign(
        from_label=moves["from_state"].map(lambda s: state_label(s, lang)),
        to_label=moves["to_state"].map(lambda s: state_label(s, lang)),
        to_order=moves["to_state"].map({s: i for i, s in enumerate(tos)}),
    )
    return data, froms, tos


def _move_tooltips(lang: str, money: bool) -> list[alt.Tooltip]:
    tips = [alt.Tooltip("from_label:N", title=t("lifecycle.from", lang)),
            alt.Tooltip("to_label:N", title=t("lifecycle.to", lang)),
            alt.Tooltip("accounts:Q", title=t("health.by_accounts", lang), format=",")]
    if money:
        tips.append(alt.Tooltip("arr:Q", title=t("health.by_arr", lang), format=",.0f"))
    return tips


def migration_heatmap(moves: pd.DataFrame, lang: str = "en", value: str = "accounts",
                      money: bool = True) -> alt.Chart:
    """From (rows) × to (columns) heatmap of accounts or ARR, each cell labelled.

    ``money=False`` (hide-money mode) keeps ARR out of the tooltips."""
    data, froms, tos = _labelled_moves(moves, lang)
    fmt = ",.0f"
    base = alt.Chart(data, title=t("lifecycle.matrix_title", lang)).encode(
        y=alt.Y("from_label:N", title=t("lifecycle.from", lang), sort=[state_label(s, lang) for s in froms]),
        x=alt.X("to_label:N", title=t("lifecycle.to", lang), sort=[state_label(s, lang) for s in tos],
                axis=alt.Axis(labelAngle=0, orient="top")),
    )
    title = t("health.by_arr" if value == "arr" else "health.by_accounts", lang)
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(f"{value}:Q", title=title, scale=alt.Scale(scheme="blues", type="symlog"), legend=None),
        tooltip=_move_tooltips(lang, money),
    )
    top = float(data[value].max()) if len(data) else 0.0
    text = base.mark_text(fontSize=16, fontWeight="bold").encode(
        text=alt.Text(f"{value}:Q", format=fmt),
        color=alt.condition(alt.datum[value] > top / 3, alt.value("white"), alt.value("#1B2330")),
    )
    return style(alt.layer(cells, text), height=120 + 48 * len(froms))


def migration_flow_chart(moves: pd.DataFrame, lang: str = "en", value: str = "accounts",
                         money: bool = True) -> alt.Chart:
    """Sankey-like bars: one bar per state of last month, split by where its accounts went."""
    data, froms, tos = _labelled_moves(moves, lang)
    title = t("health.by_arr" if value == "arr" else "health.by_accounts", lang)
    chart = alt.Chart(data, title=t("lifecycle.flow_title", lang)).mark_bar().encode(
        y=alt.Y("from_label:N", title=t("lifecycle.from", lang), sort=[state_label(s, lang) for s in froms]),
        x=alt.X(f"{value}:Q", title=title, stack="zero"),
        color=alt.Color("to_label:N", title=t("lifecycle.to", lang), scale=_scale(tos, lang),
                        sort=[state_label(s, lang) for s in tos]),
        order=alt.Order("to_order:Q"),
        tooltip=_move_tooltips(lang, money),
    )
    return style(chart, height=190 + 44 * len(froms))


def time_in_stage_chart(times: pd.DataFrame, lang: str = "en") -> alt.Chart:
    """Mean months of completed stays and months so far of current ones, per stage."""
    rows = []
    for _, row in times.iterrows():
        for kind, column in (("completed", "mean_months"), ("ongoing", "months_so_far")):
            if row[column] is not None and not pd.isna(row[column]):
                rows.append({"stage": state_label(row["stage"], lang), "kind": t(f"lifecycle.{kind}", lang),
                             "months": float(row[column])})
    data = pd.DataFrame(rows, columns=["stage", "kind", "months"])
    kinds = [t("lifecycle.completed", lang), t("lifecycle.ongoing", lang)]
    stages = [state_label(s, lang) for s in times["stage"]]
    chart = alt.Chart(data, title=t("lifecycle.time_title", lang)).mark_bar().encode(
        y=alt.Y("stage:N", title=None, sort=stages),
        x=alt.X("months:Q", title=t("lifecycle.months_in_stage", lang)),
        yOffset=alt.YOffset("kind:N", sort=kinds),
        color=alt.Color("kind:N", title=t("lifecycle.kind", lang), scale=alt.Scale(domain=kinds, range=[BLUE, GREY])),
        tooltip=[alt.Tooltip("stage:N", title=t("lifecycle.col.stage", lang)), alt.Tooltip("kind:N", title=None),
                 alt.Tooltip("months:Q", title=t("lifecycle.months_in_stage", lang), format=".1f")],
    )
    return style(chart, height=190 + 50 * len(times))
