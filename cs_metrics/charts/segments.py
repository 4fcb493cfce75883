"""Charts of segments, risk, renewals and growth: DataFrames in, Altair charts out.

Builders translate their own axis titles and category labels (``lang``), so a page only
passes the frame from cs_metrics.segments / risk / renewals / growth. Channels are given
as objects (``alt.X(...)``), not "field:Q" strings, which Altair resolves slowly.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cs_metrics.charts.base import AMBER, BAND_COLORS, BLUE, GREEN, GREY, PURPLE, RED, style
from cs_metrics.formatting import currency_symbol
from cs_metrics.i18n import t

GROUP_COLORS = {**BAND_COLORS, "notice": PURPLE}
CATEGORY_COLORS = {"promoter": GREEN, "passive": AMBER, "detractor": RED}


def segment_label(segment: object, by: str, lang: str) -> str:
    """Display name of a segment key: a tier or RFM name, a column value, or '(not set)'."""
    if segment is None or (isinstance(segment, float) and pd.isna(segment)):
        return t("segments.all", lang)
    if segment == "__none__":
        return t("segments.not_set", lang)
    if by == "tier":
        return t(f"segments.tier.{segment}", lang)
    if by == "rfm":
        return t(f"segments.rfm.{segment}", lang)
    return str(segment)


def segment_share_chart(table: pd.DataFrame, by: str, lang: str = "en") -> alt.TopLevelMixin:
    """Share of active accounts against share of ARR, per segment (grouped horizontal bars)."""
    rows = table[~table["is_total"].astype(bool)].copy()
    total_accounts = float(rows["accounts"].sum()) or 1.0
    rows["label"] = [segment_label(s, by, lang) for s in rows["segment"]]
    long = pd.concat([
        pd.DataFrame({"label": rows["label"], "measure": t("segments.chart.share_accounts", lang),
                      "share": rows["accounts"].astype(float) / total_accounts}),
        pd.DataFrame({"label": rows["label"], "measure": t("segments.chart.share_arr", lang),
                      "share": rows["arr_share"].astype(float)}),
    ], ignore_index=True)
    order = list(rows["label"])
    chart = alt.Chart(long).mark_bar().encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False)),
        yOffset=alt.YOffset("measure:N"),
        x=alt.X("share:Q", title=t("segments.chart.share", lang), axis=alt.Axis(format="%")),
        color=alt.Color("measure:N", title=None,
                        scale=alt.Scale(domain=[t("segments.chart.share_accounts", lang),
                                                t("segments.chart.share_arr", lang)], range=[GREY, BLUE])),
        tooltip=[alt.Tooltip("label:N", title=t("common.segment", lang)),
                 alt.Tooltip("measure:N", title=t("segments.chart.measure", lang)),
                 alt.Tooltip("share:Q", format=".1%", title=t("segments.chart.share", lang))],
    )
    return style(chart, height=max(220, 64 * len(order)))


def segment_rate_chart(table: pd.DataFrame, by: str, measure: str, lang: str = "en") -> alt.TopLevelMixin:
    """One rate (nrr, grr or logo_churn) per segment, with the all-accounts value as a rule."""
    rows = table[~table["is_total"].astype(bool)].copy()
    rows = rows[rows[measure].notna()]
    rows["label"] = [segment_label(s, by, lang) for s in rows["segment"]]
    rows["value"] = rows[measure].astype(float)
    rows = rows[["label", "value", "cohort"]]
    title = t(f"segments.col.{measure}", lang)
    bars = alt.Chart(rows).mark_bar(color=RED if measure == "logo_churn" else BLUE).encode(
        y=alt.Y("label:N", sort=list(rows["label"]), title=None),
        x=alt.X("value:Q", title=title, axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("label:N", title=t("common.segment", lang)),
                 alt.Tooltip("value:Q", format=".1%", title=title),
                 alt.Tooltip("cohort:Q", title=t("segments.col.cohort", lang))],
    )
    total = table.loc[table["is_total"].astype(bool), measure]
    layers = [bars]
    if len(total) and total.iloc[0] is not None and not pd.isna(total.iloc[0]):
        rule = pd.DataFrame({"value": [float(total.iloc[0])], "label": [t("segments.all", lang)]})
        layers.append(alt.Chart(rule).mark_rule(color=GREY, strokeDash=[6, 4], size=2).encode(
            x=alt.X("value:Q"), tooltip=[alt.Tooltip("label:N", title=t("common.segment", lang)),
                                         alt.Tooltip("value:Q", format=".1%", title=title)]))
    return style(alt.layer(*layers), height=max(200, 40 * len(rows)))


def rfm_heatmap(grid: pd.DataFrame, lang: str = "en") -> alt.TopLevelMixin:
    """Accounts in each recency × frequency cell, labelled with the cell's segment."""
    data = grid.copy()
    data["segment_label"] = [t(f"segments.rfm.{s}", lang) for s in data["rfm_segment"]]
    x = alt.X("f:O", title=t("segments.chart.frequency", lang), sort=[1, 2, 3, 4, 5])
    y = alt.Y("r:O", title=t("segments.chart.recency", lang), sort=[5, 4, 3, 2, 1])
    tooltip = [alt.Tooltip("segment_label:N", title=t("common.segment", lang)),
               alt.Tooltip("r:O", title=t("segments.chart.recency", lang)),
               alt.Tooltip("f:O", title=t("segments.chart.frequency", lang)),
               alt.Tooltip("accounts:Q", title=t("common.accounts", lang))]
    dark = float(data["accounts"].max()) * 0.5 if len(data) else 0.0
    cells = alt.Chart(data).mark_rect(stroke="white", strokeWidth=2).encode(
        x=x, y=y, color=alt.Color("accounts:Q", title=t("common.accounts", lang),
                                  scale=alt.Scale(scheme="blues")),
        tooltip=tooltip)
    counts = alt.Chart(data).mark_text(fontSize=15, fontWeight="bold", dy=-8).encode(
        x=x, y=y, text=alt.Text("accounts:Q"),
        color=alt.condition(alt.datum.accounts > dark, alt.value("white"), alt.value("#24292F")))
    names = alt.Chart(data).mark_text(fontSize=11, dy=10).encode(
        x=x, y=y, text=alt.Text("segment_label:N"),
        color=alt.condition(alt.datum.accounts > dark, alt.value("white"), alt.value("#57606A")))
    return style(alt.layer(cells, counts, names), height=420)


def reason_chart(by_reason: pd.DataFrame, lang: str = "en", currency: str | None = "USD",
                 hide_money: bool = False) -> alt.TopLevelMixin:
    """ARR flagged by each risk rule (horizontal bars, largest first)."""
    data = by_reason.copy()
    data["label"] = [t(f"risk.rule.{c}", lang) for c in data["code"]]
    data = data.sort_values("arr", ascending=False)
    title = t("risk.chart.arr", lang, currency=currency_symbol(currency))
    value = "accounts" if hide_money else "arr"
    x_title = t("common.accounts", lang) if hide_money else title
    tooltip = [alt.Tooltip("label:N", title=t("risk.col.reasons", lang)),
               alt.Tooltip("accounts:Q", title=t("common.accounts", lang))]
    if not hide_money:
        tooltip.append(alt.Tooltip("arr:Q", format=",.0f", title=title))
    chart = alt.Chart(data).mark_bar(color=RED).encode(
        y=alt.Y("label:N", sort=list(data["label"]), title=None),
        x=alt.X(f"{value}:Q", title=x_title, axis=alt.Axis(format="~s")),
        tooltip=tooltip)
    return style(chart, height=max(180, 42 * len(data)))


def renewal_calendar_chart(calendar: pd.DataFrame, months: list | None = None, lang: str = "en",
                           currency: str | None = "USD", hide_money: bool = False) -> alt.TopLevelMixin:
    """ARR renewing per month over the next 12 months, stacked by health band (and notice).

    ``months`` fixes the axis (every month of the horizon, with or without renewals).
    """
    data = calendar.copy()
    months = months or sorted(data["month"].unique())
    labels = [pd.Timestamp(m).strftime("%Y-%m") for m in months]
    data["month_label"] = [pd.Timestamp(m).strftime("%Y-%m") for m in data["month"]]
    groups = [g for g in ("green", "yellow", "red", "unscored", "notice")]
    names = {g: (t(f"band.{g}", lang) if g != "notice" else t("renewals.group.notice", lang)) for g in groups}
    data["group_label"] = [names.get(g, g) for g in data["group"]]
    data["order"] = [groups.index(g) if g in groups else 9 for g in data["group"]]
    data = data.drop(columns=["month"])  # the label carries it; raw dates do not serialise
    value = "accounts" if hide_money else "arr"
    y_title = t("common.accounts", lang) if hide_money else t("renewals.chart.arr", lang,
                                                                currency=currency_symbol(currency))
    tooltip = [alt.Tooltip("month_label:N", title=t("col.month", lang)),
               alt.Tooltip("group_label:N", title=t("renewals.chart.band", lang)),
               alt.Tooltip("accounts:Q", title=t("common.accounts", lang))]
    if not hide_money:
        tooltip.append(alt.Tooltip("arr:Q", format=",.0f", title=y_title))
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("month_label:O", sort=labels, scale=alt.Scale(domain=labels), title=t("col.month", lang),
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{value}:Q", title=y_title, axis=alt.Axis(format="~s")),
        color=alt.Color("group_label:N", title=t("renewals.chart.band", lang),
                        scale=alt.Scale(domain=[names[g] for g in groups],
                                        range=[GROUP_COLORS[g] for g in groups])),
        order=alt.Order("order:Q"),
        tooltip=tooltip)
    return style(chart, height=380)


def nps_trend_chart(trend: pd.DataFrame, lang: str = "en") -> alt.TopLevelMixin:
    """NPS per month (line) with the number of responses in the tooltip."""
    data = trend.copy()
    data["month_label"] = [pd.Timestamp(m).strftime("%Y-%m") for m in data["month"]]
    data = data.drop(columns=["month"])
    tooltip = [alt.Tooltip("month_label:N", title=t("col.month", lang)),
               alt.Tooltip("nps:Q", format=".1f", title="NPS"),
               alt.Tooltip("responses:Q", title=t("growth.chart.responses", lang))]
    x = alt.X("month_label:O", title=t("col.month", lang), sort=list(data["month_label"]),
              axis=alt.Axis(labelAngle=0))
    line = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=70), color=BLUE, strokeWidth=3).encode(
        x=x, y=alt.Y("nps:Q", title="NPS", scale=alt.Scale(domain=[-100, 100])), tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=GREY).encode(y=alt.Y("y:Q"))
    return style(alt.layer(zero, line), height=320)


def churn_by_category_chart(frame: pd.DataFrame, lang: str = "en") -> alt.TopLevelMixin:
    """Churn rate of promoters, passives and detractors (bars), accounts in the tooltip."""
    data = frame.loc[frame["churn_rate"].notna(), ["category", "accounts", "churned", "churn_rate"]].copy()
    data["label"] = [t(f"growth.category.{c}", lang) for c in data["category"]]
    data["churn_rate"] = data["churn_rate"].astype(float)
    order = [t(f"growth.category.{c}", lang) for c in ("promoter", "passive", "detractor")]
    title = t("growth.chart.churn_rate", lang)
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("churn_rate:Q", title=title, axis=alt.Axis(format="%")),
        color=alt.Color("label:N", legend=None,
                        scale=alt.Scale(domain=order, range=[GREEN, AMBER, RED])),
        tooltip=[alt.Tooltip("label:N", title=t("growth.chart.category", lang)),
                 alt.Tooltip("churn_rate:Q", format=".1%", title=title),
                 alt.Tooltip("accounts:Q", title=t("common.accounts", lang)),
                 alt.Tooltip("churned:Q", title=t("growth.chart.churned", lang))])
    return style(chart, height=300)
