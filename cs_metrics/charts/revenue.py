"""Charts of the Retention page: ARR bridge, monthly movements, GRR/NRR trend, cohort
heatmaps and survival curves.

Each builder takes the DataFrame a ``cs_metrics`` function returned plus the language and
currency, and returns an Altair chart with translated titles and no raw column names.
Clickable charts carry a point selection (``MOVEMENT_PICK`` / ``COHORT_PICK``) whose
fields name what was clicked, for ``st.altair_chart(on_select="rerun")``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cs_metrics.charts import base
from cs_metrics import formatting
from cs_metrics.formatting import currency_symbol
from cs_metrics.i18n import t
from cs_metrics.revenue import LOSSES, MOVEMENTS

MOVEMENT_PICK = "movement_pick"
COHORT_PICK = "cohort_pick"
_ORDER = ("new", "expansion", "reactivation", "contraction", "churn")


def _money_axis(currency: str, lang: str) -> str:
    """A Vega expression formatting axis values as short money ('$1.2M' / '¥120万')."""
    symbol = currency_symbol(currency).replace("'", "\\'")
    if lang == "zh":
        return (f"(datum.value < 0 ? '-' : '') + '{symbol}' + (abs(datum.value) >= 1e8 ? "
                "format(abs(datum.value) / 1e8, '.2~f') + '亿' : abs(datum.value) >= 1e4 ? "
                "format(abs(datum.value) / 1e4, '.1~f') + '万' : format(abs(datum.value), ',.0f'))")
    return f"(datum.value < 0 ? '-' : '') + '{symbol}' + format(abs(datum.value), '~s')"


def movement_label(name: str, lang: str) -> str:
    return t(f"retention.movement.{name}", lang)


def bridge_chart(bridge: pd.DataFrame, lang: str, currency: str, start_month: str, end_month: str,
                 as_share: bool = False) -> alt.TopLevelMixin:
    """Waterfall from start ARR through the five movements to end ARR.

    ``bridge`` is :func:`cs_metrics.revenue.arr_bridge`; with ``as_share`` the bars are
    shares of start ARR (amounts hidden).
    """
    data = bridge.copy()
    scale = 1.0
    if as_share:
        start = float(data.loc[data["step"] == "start", "amount"].iloc[0]) if not data.empty else 0.0
        scale = 1.0 / start if start else 0.0
    for column in ("amount", "base", "top"):
        data[column] = data[column] * scale
    labels = {"start": t("retention.step.start", lang, month=start_month),
              "end": t("retention.step.end", lang, month=end_month),
              **{m: movement_label(m, lang) for m in MOVEMENTS}}
    data["label"] = data["step"].map(labels)
    data["kind"] = data["step"].where(data["step"].isin(list(MOVEMENTS)), "total")
    data["shown"] = data["amount"]
    data["text"] = [formatting.pct(v, lang, signed=name in MOVEMENTS) if as_share
                    else _signed_money(v, currency, lang, name in MOVEMENTS)
                    for v, name in zip(data["amount"], data["step"])]
    data["text_y"] = data[["base", "top"]].max(axis=1)
    colors = {"total": base.GREY, **base.MOVEMENT_COLORS}
    order = list(data["label"])
    y_title = t("retention.axis.share_of_start", lang) if as_share else t("retention.axis.arr", lang)
    value_format = ".1%" if as_share else ",.0f"
    axis = alt.Axis(format=".0%") if as_share else alt.Axis(labelExpr=_money_axis(currency, lang))
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=160))
    bars = alt.Chart(data).mark_bar(size=56).encode(
        x=x,
        y=alt.Y("base:Q", title=y_title, axis=axis),
        y2="top:Q",
        color=alt.Color("kind:N", scale=alt.Scale(domain=list(colors), range=list(colors.values())),
                        legend=None),
        tooltip=[alt.Tooltip("label:N", title=t("retention.axis.step", lang)),
                 alt.Tooltip("shown:Q", title=t("retention.axis.amount", lang), format=value_format)],
    )
    text = alt.Chart(data).mark_text(dy=-10, fontSize=14, fontWeight="bold").encode(
        x=x, y=alt.Y("text_y:Q"), text="text:N")
    return base.style(alt.layer(bars, text).properties(width=760), height=380)


def _signed_money(value: float, currency: str, lang: str, signed: bool) -> str:
    text = formatting.money(value, currency, lang, short=True)
    return f"+{text}" if signed and value > 0 else text


def movements_long(moves: pd.DataFrame, as_share: bool = False) -> pd.DataFrame:
    """:func:`cs_metrics.revenue.movements` in long form: one row per month and movement,
    losses negative; with ``as_share`` the values are shares of the previous month's MRR."""
    rows = []
    for name in MOVEMENTS:
        part = pd.DataFrame({
            "month": moves["month"].dt.strftime("%Y-%m"),
            "movement": name,
            "value": moves[name] * (-1 if name in LOSSES else 1),
            "accounts": moves[f"{name}_accounts"],
        })
        if as_share:
            part["value"] = part["value"] / moves["mrr_start"].where(moves["mrr_start"] > 0)
        rows.append(part)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["month", "movement", "value", "accounts"])


def movements_chart(moves: pd.DataFrame, lang: str, currency: str, as_share: bool = False) -> alt.TopLevelMixin:
    """Monthly MRR movements as diverging stacked bars, clickable (selection ``MOVEMENT_PICK``
    with fields ``month`` 'YYYY-MM' and ``movement``)."""
    data = movements_long(moves, as_share)
    data["movement_label"] = data["movement"].map(lambda m: movement_label(m, lang))
    data["order"] = data["movement"].map({m: i for i, m in enumerate(_ORDER)})
    pick = alt.selection_point(name=MOVEMENT_PICK, fields=["month", "movement"], on="click",
                               clear="dblclick")
    domain = [movement_label(m, lang) for m in _ORDER]
    colors = [base.MOVEMENT_COLORS[m] for m in _ORDER]
    axis = alt.Axis(format=".1%") if as_share else alt.Axis(labelExpr=_money_axis(currency, lang))
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("month:O", title=t("retention.axis.month", lang),
                axis=alt.Axis(labelAngle=-45, labelOverlap=True)),
        y=alt.Y("sum(value):Q", stack="zero",
                title=t("retention.axis.share_of_mrr" if as_share else "retention.axis.mrr_change", lang),
                axis=axis),
        color=alt.Color("movement_label:N", title=t("retention.axis.movement", lang),
                        scale=alt.Scale(domain=domain, range=colors), sort=domain),
        order=alt.Order("order:Q"),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
        tooltip=[alt.Tooltip("month:O", title=t("retention.axis.month", lang)),
                 alt.Tooltip("movement_label:N", title=t("retention.axis.movement", lang)),
                 alt.Tooltip("value:Q", title=t("retention.axis.amount", lang),
                             format=".2%" if as_share else ",.0f"),
                 alt.Tooltip("accounts:Q", title=t("retention.axis.accounts", lang), format=",.0f")],
    ).add_params(pick).properties(width=760)
    return base.style(chart, height=380)


def retention_trend_chart(series: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """GRR, NRR and logo retention of the window ending in each month, as lines."""
    names = {"grr": t("retention.series.grr", lang), "nrr": t("retention.series.nrr", lang),
             "logo_retention": t("retention.series.logo_retention", lang)}
    data = series.melt(id_vars=["month"], value_vars=list(names), var_name="measure", value_name="rate")
    data["month"] = data["month"].dt.strftime("%Y-%m")
    data["measure"] = data["measure"].map(names)
    domain = list(names.values())
    chart = alt.Chart(data.dropna(subset=["rate"])).mark_line(point=True, strokeWidth=3).encode(
        x=alt.X("month:O", title=t("retention.axis.month", lang), axis=alt.Axis(labelAngle=-45, labelOverlap=True)),
        y=alt.Y("rate:Q", title=t("retention.axis.rate", lang), axis=alt.Axis(format=".0%"),
                scale=alt.Scale(zero=False)),
        color=alt.Color("measure:N", title=t("retention.series.measure", lang),
                        scale=alt.Scale(domain=domain, range=[base.BLUE, base.GREEN, base.PURPLE])),
        tooltip=[alt.Tooltip("month:O", title=t("retention.axis.month", lang)),
                 alt.Tooltip("measure:N", title=t("retention.series.measure", lang)),
                 alt.Tooltip("rate:Q", title=t("retention.axis.rate", lang), format=".1%")],
    )
    rule = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(strokeDash=[4, 4], color=base.GREY).encode(y="y:Q")
    return base.style(alt.layer(chart, rule).properties(width=760), height=340)


def cohort_heatmap(cells: pd.DataFrame, average: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Cohort × age heatmap of retention rates with the weighted-average row at the bottom;
    clickable (selection ``COHORT_PICK``, fields ``cohort_label`` and ``age``)."""
    avg_label = t("retention.cohorts.average", lang)
    data = cells.loc[cells["rate"].notna(), ["cohort_label", "age", "rate", "accounts", "retained"]].copy()
    if not average.empty:
        extra = average[["age", "rate", "retained"]].copy()
        extra["cohort_label"] = avg_label
        extra["accounts"] = average["cohorts"]
        data = pd.concat([data, extra.dropna(subset=["rate"])], ignore_index=True)
    order = list(cells.drop_duplicates("cohort_label").sort_values("cohort")["cohort_label"]) + [avg_label]
    pick = alt.selection_point(name=COHORT_PICK, fields=["cohort_label", "age"], on="click", clear="dblclick")
    rows = max(len(order), 1)
    chart = alt.Chart(data).mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("age:O", title=t("retention.axis.age", lang), axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        y=alt.Y("cohort_label:O", sort=order, title=t("retention.axis.cohort", lang),
                axis=alt.Axis(labelOverlap=True)),
        color=alt.Color("rate:Q", title=t("retention.axis.rate", lang),
                        scale=alt.Scale(scheme="redyellowgreen", domain=[0.5, 1.0], clamp=True),
                        legend=alt.Legend(format=".0%")),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=[alt.Tooltip("cohort_label:O", title=t("retention.axis.cohort", lang)),
                 alt.Tooltip("age:O", title=t("retention.axis.age", lang)),
                 alt.Tooltip("rate:Q", title=t("retention.axis.rate", lang), format=".1%")],
    ).add_params(pick).properties(width=760)
    return base.style(chart, height=min(max(14 * rows, 240), 900))


def survival_chart(curves: pd.DataFrame, lang: str, group_labels: dict | None = None) -> alt.TopLevelMixin:
    """Kaplan–Meier curves (step lines) with their confidence bands, one colour per group."""
    data = curves.copy()
    labels = group_labels or {}
    data["group_label"] = [labels.get(g, g if g is not None else t("retention.survival.blank", lang))
                           for g in data["group"]]
    x = alt.X("month:Q", title=t("retention.axis.age", lang), scale=alt.Scale(nice=False))
    color = alt.Color("group_label:N", title=t("retention.axis.group", lang))
    band = alt.Chart(data).mark_area(opacity=0.18, interpolate="step-after").encode(
        x=x, y=alt.Y("lower:Q", title=t("retention.axis.survival", lang), axis=alt.Axis(format=".0%"),
                     scale=alt.Scale(domain=[0, 1])),
        y2="upper:Q", color=color)
    line = alt.Chart(data).mark_line(interpolate="step-after", strokeWidth=3).encode(
        x=x, y="survival:Q", color=color,
        tooltip=[alt.Tooltip("group_label:N", title=t("retention.axis.group", lang)),
                 alt.Tooltip("month:Q", title=t("retention.axis.age", lang)),
                 alt.Tooltip("survival:Q", title=t("retention.axis.survival", lang), format=".1%"),
                 alt.Tooltip("lower:Q", title=t("retention.axis.band_low", lang), format=".1%"),
                 alt.Tooltip("upper:Q", title=t("retention.axis.band_high", lang), format=".1%"),
                 alt.Tooltip("at_risk:Q", title=t("retention.axis.accounts", lang), format=",.0f")])
    half = alt.Chart(pd.DataFrame({"y": [0.5]})).mark_rule(strokeDash=[4, 4], color=base.GREY).encode(y="y:Q")
    return base.style(alt.layer(band, line, half).properties(width=760), height=360)
