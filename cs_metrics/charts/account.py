"""Charts of one account (Account 360, the QBR deck) and of the CS maturity self-assessment.

Each builder takes a DataFrame and the UI language and returns a styled Altair chart; the
page shows it and the deck renders the very same spec to PNG.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from cs_metrics.charts.base import AMBER, BAND_COLORS, BLUE, GREEN, GREY, RED, TEAL, style
from cs_metrics.formatting import currency_symbol
from cs_metrics.i18n import t

STATE_COLORS = {"achieved": GREEN, "on_track": BLUE, "behind": AMBER, "missed": RED, "unknown": GREY}
NPS_COLORS = {"promoter": GREEN, "passive": AMBER, "detractor": RED}


def _month_ticks(frame: pd.DataFrame | None, field: str = "month") -> alt.Axis:
    """Month labels, one per month (every k-th month on long histories, at most nine)."""
    months = 1
    if frame is not None and len(frame):
        span = pd.to_datetime(frame[field])
        months = (span.max().year - span.min().year) * 12 + span.max().month - span.min().month + 1
    step = max(1, math.ceil(months / 9))
    return alt.Axis(format="%Y-%m", labelAngle=0, tickCount={"interval": "month", "step": step})


def _month_axis(lang: str, frame: pd.DataFrame | None = None, field: str = "month") -> alt.X:
    return alt.X(f"{field}:T", title=t("col.month", lang), axis=_month_ticks(frame, field))


def mrr_chart(history: pd.DataFrame, lang: str = "en", indexed: bool = False,
              currency: str = "USD") -> alt.TopLevelMixin:
    """MRR by month, or MRR indexed to 100 at the first month with MRR (no money shown)."""
    field = "index" if indexed else "mrr"
    title = t("account.chart.mrr_index", lang) if indexed else \
        t("account.chart.mrr_money", lang, symbol=currency_symbol(currency))
    data = history[["month", field]].rename(columns={field: "y"})
    base = alt.Chart(data).encode(
        x=_month_axis(lang, data),
        y=alt.Y("y:Q", title=title, axis=alt.Axis(format=",.0f")),
        tooltip=[alt.Tooltip("month:T", title=t("col.month", lang), format="%Y-%m"),
                 alt.Tooltip("y:Q", title=title, format=",.0f")])
    chart = base.mark_area(color=BLUE, opacity=0.15, line={"color": BLUE, "strokeWidth": 3})
    return style(chart, height=300)


def northstar_chart(history: pd.DataFrame, lang: str, metric_label: str,
                    has_goal_target: bool = False) -> alt.TopLevelMixin:
    """The account's North Star by month, its segment's median and (if any) its goal target."""
    series = {
        "value": t("account.chart.this_account", lang),
        "peer_median": t("account.chart.peer_median", lang),
    }
    if has_goal_target:
        series["target"] = t("account.chart.goal_target", lang)
    long = history.melt(id_vars=["month"], value_vars=list(series), var_name="series", value_name="y")
    long = long.dropna(subset=["y"])
    long["series"] = long["series"].map(series)
    colors = [BLUE, GREY, AMBER][: len(series)]
    dashes = [[1, 0], [6, 4], [2, 3]][: len(series)]
    chart = alt.Chart(long).mark_line(strokeWidth=3, point=True).encode(
        x=_month_axis(lang, long),
        y=alt.Y("y:Q", title=metric_label, axis=alt.Axis(format=",.0f")),
        color=alt.Color("series:N", title=None,
                        scale=alt.Scale(domain=list(series.values()), range=colors)),
        strokeDash=alt.StrokeDash("series:N", legend=None,
                                  scale=alt.Scale(domain=list(series.values()), range=dashes)),
        tooltip=[alt.Tooltip("month:T", title=t("col.month", lang), format="%Y-%m"),
                 alt.Tooltip("series:N", title=t("account.chart.series", lang)),
                 alt.Tooltip("y:Q", title=metric_label, format=",.1f")])
    return style(chart, height=300)


def counter_chart(history: pd.DataFrame, lang: str, counter_label: str) -> alt.TopLevelMixin:
    """The counter metric by month, beside the North Star."""
    data = history[["month", "counter"]].dropna()
    chart = alt.Chart(data).mark_line(color=TEAL, strokeWidth=3, point=True).encode(
        x=_month_axis(lang, data),
        y=alt.Y("counter:Q", title=counter_label, axis=alt.Axis(format=",.0f")),
        tooltip=[alt.Tooltip("month:T", title=t("col.month", lang), format="%Y-%m"),
                 alt.Tooltip("counter:Q", title=counter_label, format=",.1f")])
    return style(chart, height=300)


def health_chart(history: pd.DataFrame, lang: str = "en") -> alt.TopLevelMixin:
    """Health score (0–100) by month, points coloured by band, band thresholds as rules."""
    data = history.dropna(subset=["score"]).copy()
    if "band" not in data.columns:
        data["band"] = "unscored"
    data["band_label"] = data["band"].map(lambda b: t(f"band.{b}", lang) if b else t("band.unscored", lang))
    bands = [b for b in ("green", "yellow", "red", "unscored")]
    domain = [t(f"band.{b}", lang) for b in bands]
    title = t("account.chart.health_score", lang)
    line = alt.Chart(data).mark_line(color=GREY, strokeWidth=2).encode(
        x=_month_axis(lang, data), y=alt.Y("score:Q", title=title, scale=alt.Scale(domain=[0, 100])))
    points = alt.Chart(data).mark_point(filled=True, size=90).encode(
        x="month:T", y="score:Q",
        color=alt.Color("band_label:N", title=None,
                        scale=alt.Scale(domain=domain, range=[BAND_COLORS[b] for b in bands])),
        tooltip=[alt.Tooltip("month:T", title=t("col.month", lang), format="%Y-%m"),
                 alt.Tooltip("score:Q", title=title, format=".0f"),
                 alt.Tooltip("band_label:N", title=t("account.health_band", lang))])
    return style(alt.layer(line, points), height=260)


def tickets_chart(monthly: pd.DataFrame, lang: str = "en") -> alt.TopLevelMixin:
    """Tickets per month (one bar a month, months without tickets shown as 0), urgent ones
    (priority 1) stacked in red."""
    data = monthly.assign(other=monthly["tickets"] - monthly["urgent"].fillna(0),
                          label=pd.to_datetime(monthly["month"]).dt.strftime("%Y-%m"))
    labels = {"urgent": t("account.chart.urgent", lang), "other": t("account.chart.other_tickets", lang)}
    long = data.melt(id_vars=["label"], value_vars=["urgent", "other"], var_name="kind", value_name="n")
    long["kind"] = long["kind"].map(labels)
    chart = alt.Chart(long).mark_bar().encode(
        x=alt.X("label:O", title=t("col.month", lang), axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("n:Q", title=t("account.chart.tickets", lang), stack=True, axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("kind:N", title=None,
                        scale=alt.Scale(domain=list(labels.values()), range=[RED, BLUE])),
        tooltip=[alt.Tooltip("label:O", title=t("col.month", lang)),
                 alt.Tooltip("kind:N", title=t("account.chart.series", lang)),
                 alt.Tooltip("n:Q", title=t("account.chart.tickets", lang))])
    return style(chart, height=260)


def nps_chart(responses: pd.DataFrame, lang: str = "en") -> alt.TopLevelMixin:
    """Each NPS answer of the account over time (0–10), coloured promoter / passive / detractor."""
    data = responses.dropna(subset=["score"]).copy()
    data["category_label"] = data["category"].map(lambda c: t(f"account.nps.{c}", lang))
    domain = [t(f"account.nps.{c}", lang) for c in NPS_COLORS]
    chart = alt.Chart(data).mark_circle(size=140, opacity=0.85).encode(
        x=alt.X("date:T", title=t("col.date", lang), axis=alt.Axis(format="%Y-%m", labelAngle=0)),
        y=alt.Y("score:Q", title=t("account.chart.nps_score", lang), scale=alt.Scale(domain=[0, 10])),
        color=alt.Color("category_label:N", title=None,
                        scale=alt.Scale(domain=domain, range=list(NPS_COLORS.values()))),
        tooltip=[alt.Tooltip("date:T", title=t("col.date", lang)),
                 alt.Tooltip("score:Q", title=t("account.chart.nps_score", lang)),
                 alt.Tooltip("comment:N", title=t("col.comment", lang))])
    return style(chart, height=240)


def goals_chart(goals: pd.DataFrame, lang: str = "en") -> alt.TopLevelMixin:
    """Attainment of each goal as a bar (%), with a tick at the elapsed share of its time.

    Bars are clipped to −20 % … 150 % for display; the tooltip shows the true value.
    """
    data = goals.dropna(subset=["attainment"]).copy()
    data["shown"] = data["attainment"].clip(-0.2, 1.5)
    data["state_label"] = data["state"].map(lambda s: t(f"account.state.{s}", lang))
    domain = [t(f"account.state.{s}", lang) for s in STATE_COLORS]
    y = alt.Y("goal:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))
    title = t("account.chart.attainment", lang)
    bars = alt.Chart(data).mark_bar(height=22, cornerRadiusEnd=3).encode(
        x=alt.X("shown:Q", title=title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[-0.2, 1.5])),
        y=y,
        color=alt.Color("state_label:N", title=None,
                        scale=alt.Scale(domain=domain, range=list(STATE_COLORS.values()))),
        tooltip=[alt.Tooltip("goal:N", title=t("col.goal", lang)),
                 alt.Tooltip("attainment:Q", title=title, format=".0%"),
                 alt.Tooltip("elapsed_share:Q", title=t("account.elapsed", lang), format=".0%"),
                 alt.Tooltip("state_label:N", title=t("col.status", lang))])
    ticks = alt.Chart(data.dropna(subset=["elapsed_share"])).mark_tick(
        color="#1B2330", thickness=3, size=30).encode(x="elapsed_share:Q", y=y)
    goal_line = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color=GREEN, strokeDash=[4, 3]).encode(x="x:Q")
    # Streamlit fits axes and legend inside the height, so it must leave room for them.
    return style(alt.layer(bars, ticks, goal_line), height=140 + 48 * len(data))


def maturity_radar(levels: pd.DataFrame, lang: str = "en", max_level: int = 4) -> alt.TopLevelMixin:
    """A radar of maturity levels (0–4) per dimension, one polygon per assessment.

    ``levels`` has columns dimension (display label, in axis order), level, assessment
    (display label). Polar coordinates are computed here: the spoke of dimension i of n
    points at angle 2πi/n clockwise from the top, so x = r·sin θ, y = r·cos θ.
    """
    dims = list(dict.fromkeys(levels["dimension"]))
    n = max(len(dims), 1)
    angle = {d: 2 * math.pi * i / n for i, d in enumerate(dims)}
    grid = pd.DataFrame([
        {"ring": r, "order": i, "x": r * math.sin(angle[d]), "y": r * math.cos(angle[d])}
        for r in range(1, max_level + 1) for i, d in enumerate(dims + dims[:1])
    ])
    spokes = pd.DataFrame([
        {"dimension": d, "end": e, "x": e * max_level * math.sin(angle[d]), "y": e * max_level * math.cos(angle[d])}
        for d in dims for e in (0, 1)
    ])
    labels = pd.DataFrame([
        {"dimension": d, "x": (max_level + 0.9) * math.sin(angle[d]), "y": (max_level + 0.6) * math.cos(angle[d])}
        for d in dims
    ])
    rows = []
    for assessment, group in levels.groupby("assessment", sort=False):
        by_dim = dict(zip(group["dimension"], group["level"]))
        for i, d in enumerate(dims + dims[:1]):
            r = float(by_dim.get(d, 0) or 0)
            rows.append({"assessment": assessment, "dimension": d, "level": r, "order": i,
                         "x": r * math.sin(angle[d]), "y": r * math.cos(angle[d])})
    shape = pd.DataFrame(rows)
    extent = max_level + 1.6
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-extent - 0.6, extent + 0.6]))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[-extent, extent]))
    rings = alt.Chart(grid).mark_line(color="#D0D7DE", strokeWidth=1).encode(
        x=x, y=y, detail="ring:N", order="order:Q")
    spoke = alt.Chart(spokes).mark_line(color="#D0D7DE", strokeWidth=1).encode(
        x=x, y=y, detail="dimension:N", order="end:Q")
    text = alt.Chart(labels).mark_text(fontSize=13, fontWeight="bold", color="#1B2330").encode(
        x=x, y=y, text="dimension:N")
    palette = [BLUE, GREY, AMBER, GREEN, RED]
    assessments = list(dict.fromkeys(levels["assessment"]))
    polygon = alt.Chart(shape).mark_line(strokeWidth=3, point=alt.OverlayMarkDef(size=70, filled=True)).encode(
        x=x, y=y, order="order:Q",
        color=alt.Color("assessment:N", title=None,
                        scale=alt.Scale(domain=assessments, range=palette[: len(assessments)])),
        tooltip=[alt.Tooltip("assessment:N", title=t("maturity.assessment", lang)),
                 alt.Tooltip("dimension:N", title=t("maturity.dimension", lang)),
                 alt.Tooltip("level:Q", title=t("maturity.level", lang))])
    layered = alt.layer(rings, spoke, polygon, text).properties(width=520)
    return style(layered, height=480)
