"""Charts of the leaky-bucket simulator: DataFrames from :mod:`cs_metrics.simulate` in,
Altair charts out (the screen and the PNG export use the same spec)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from cs_metrics.charts.base import BLUE, GREEN, GREY, RED, style
from cs_metrics.formatting import currency_symbol
from cs_metrics.i18n import t
from cs_metrics.simulate import monthly_from_annual

# Channels are always given as objects (alt.X(...)), never as "field:Q" strings: Altair
# resolves a string by hashing its whole schema (~25 ms each), too slow for a slider.
# Low churn cool, high churn hot: the eye reads the red lines as the leaky ones.
_CHURN_SCHEME = "turbo"
# Break-even years beyond this all look equally bad on the heatmap.
HEATMAP_CAP_YEARS = 20.0


def churn_label(annual_churn: float, basis: str, lang: str) -> str:
    """'25%' (annual) or '2.37%/mo' — the churn as the user entered it."""
    if basis == "monthly":
        return t("simulate.chart.monthly_label", lang,
                 value=f"{monthly_from_annual(annual_churn) * 100:.2f}".rstrip("0").rstrip("."))
    return f"{annual_churn * 100:.1f}".rstrip("0").rstrip(".") + "%"



def break_even_chart(curves: pd.DataFrame, points: pd.DataFrame, *, lang: str = "en",
                     currency: str | None = "USD", basis: str = "annual",
                     highlight: float | None = None, highlight_note: str | None = None,
                     hide_money: bool = False) -> alt.TopLevelMixin:
    """Cumulative profit per acquired customer over the years, one line per churn rate.

    Lines that never break even are dashed and labelled "never" at their end; break-even
    points inside the horizon are marked on the zero line; ``highlight`` (an annual churn,
    e.g. the company's own) is drawn thicker, its end label followed by ``highlight_note``.
    """
    data = curves.copy()
    never = t("simulate.never", lang)
    data["label"] = [churn_label(c, basis, lang) for c in data["annual_churn"]]
    data["status"] = np.where(data["breaks_even"], t("simulate.chart.breaks_even", lang), never)
    data["width"] = np.where(np.isclose(data["annual_churn"], highlight if highlight is not None else -1),
                             5.0, 2.5)
    order = [churn_label(c, basis, lang) for c in sorted(points["annual_churn"])]
    color = alt.Color("label:N", title=t("simulate.chart.churn", lang), sort=order,
                      scale=alt.Scale(scheme=_CHURN_SCHEME, domain=order))
    # room on the right for the end-of-line labels, inside the plot (padding clips the title)
    span = float(data["years"].max()) if len(data) else 1.0
    x = alt.X("years:Q", title=t("simulate.chart.years", lang),
              scale=alt.Scale(domain=[0.0, span * 1.16], nice=False),
              axis=alt.Axis(values=list(range(0, int(span) + 1, max(1, int(span) // 10))),
                            format="d"))
    y_title = t("simulate.chart.cumulative", lang, currency=currency_symbol(currency))
    y = alt.Y("cumulative_profit:Q", title=y_title,
              axis=alt.Axis(format="~s", labels=not hide_money))
    money_tip = [] if hide_money else [alt.Tooltip("cumulative_profit:Q", format=",.0f", title=y_title)]
    lines = alt.Chart(data).mark_line().encode(
        x=x, y=y, color=color,
        strokeDash=alt.StrokeDash("status:N", title=None,
                                  scale=alt.Scale(domain=[t("simulate.chart.breaks_even", lang), never],
                                                  range=[[1, 0], [6, 4]])),
        strokeWidth=alt.StrokeWidth("width:Q", legend=None, scale=None),
        tooltip=[alt.Tooltip("label:N", title=t("simulate.chart.churn", lang)),
                 alt.Tooltip("years:Q", format=".1f", title=t("simulate.chart.years", lang)),
                 *money_tip],
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=GREY).encode(y=alt.Y("y:Q"))
    layers = [zero, lines]
    marks = points[points["within_horizon"]].copy()
    if not marks.empty:
        marks["label"] = [churn_label(c, basis, lang) for c in marks["annual_churn"]]
        marks["zero"] = 0.0
        marks["text"] = [t("simulate.chart.years_short", lang, value=f"{v:.1f}")
                         for v in marks["break_even_years"]]
        layers.append(alt.Chart(marks).mark_point(filled=True, size=90, stroke="white",
                                                  strokeWidth=1.5, opacity=1).encode(
            x=alt.X("break_even_years:Q"), y=alt.Y("zero:Q"), color=color,
            tooltip=[alt.Tooltip("label:N", title=t("simulate.chart.churn", lang)),
                     alt.Tooltip("text:N", title=t("simulate.chart.break_even", lang))]))
    ends = data[data["month"] == data["month"].max()].copy()
    late = points.set_index("annual_churn")["break_even_years"]
    ends["end_text"] = [
        f"{label} · {never}" if not be
        else label if late[c] * 12 <= month + 1e-9
        else f"{label} · " + t("simulate.chart.years_short", lang, value=f"{late[c]:.1f}")
        for label, be, c, month in zip(ends["label"], ends["breaks_even"], ends["annual_churn"],
                                       ends["month"])]
    if highlight is not None and highlight_note:
        mine = np.isclose(ends["annual_churn"], highlight)
        ends.loc[mine, "end_text"] = ends.loc[mine, "end_text"] + " ◀ " + highlight_note
    ends["label_y"] = _spread(ends["cumulative_profit"].to_numpy(),
                              gap=0.045 * float(np.ptp(data["cumulative_profit"]) or 1.0))
    layers.append(alt.Chart(ends).mark_text(align="left", dx=6, fontSize=12, fontWeight="bold").encode(
        x=alt.X("years:Q"), y=alt.Y("label_y:Q"), text=alt.Text("end_text:N"), color=color))
    chart = alt.layer(*layers).properties(title=t("simulate.chart.break_even_title", lang))
    return style(chart, height=430)


def _spread(values: np.ndarray, gap: float) -> np.ndarray:
    """Label heights at least ``gap`` apart, each as close to its line's end as that allows
    (lines that end close together would otherwise print their labels on top of each other)."""
    order = np.argsort(values)
    placed = values[order].astype(float).copy()
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    # centre the pushed-up run on the original values so labels do not drift only upwards
    placed -= (placed - values[order]).mean() / 2 if len(placed) else 0.0
    out = np.empty_like(placed)
    out[order] = placed
    return out


def scenarios_chart(curves: pd.DataFrame, *, lang: str = "en", currency: str | None = "USD",
                    hide_money: bool = False) -> alt.TopLevelMixin:
    """Saved scenarios side by side: cumulative profit per acquired customer, one line each
    (columns name, years, cumulative_profit, breaks_even); never-profitable ones dashed."""
    data = curves.copy()
    never = t("simulate.never", lang)
    yes = t("simulate.chart.breaks_even", lang)
    data["status"] = np.where(data["breaks_even"], yes, never)
    y_title = t("simulate.chart.cumulative", lang, currency=currency_symbol(currency))
    tips = [alt.Tooltip("name:N", title=t("simulate.scenario_name", lang)),
            alt.Tooltip("years:Q", format=".1f", title=t("simulate.chart.years", lang))]
    if not hide_money:
        tips.append(alt.Tooltip("cumulative_profit:Q", format=",.0f", title=y_title))
    lines = alt.Chart(data).mark_line(strokeWidth=3).encode(
        x=alt.X("years:Q", title=t("simulate.chart.years", lang), scale=alt.Scale(nice=False)),
        y=alt.Y("cumulative_profit:Q", title=y_title, axis=alt.Axis(format="~s", labels=not hide_money)),
        color=alt.Color("name:N", title=None, sort=list(dict.fromkeys(data["name"]))),
        strokeDash=alt.StrokeDash("status:N", title=None,
                                  scale=alt.Scale(domain=[yes, never], range=[[1, 0], [6, 4]])),
        tooltip=tips)
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=GREY).encode(y=alt.Y("y:Q"))
    chart = alt.layer(zero, lines).properties(title=t("simulate.chart.scenarios_title", lang))
    return style(chart, height=360)


def heatmap_chart(grid: pd.DataFrame, *, x_title: str, y_title: str, x_percent: bool,
                  y_percent: bool, lang: str = "en", marker: tuple[float, float] | None = None
                  ) -> alt.TopLevelMixin:
    """Break-even years over two levers: one rectangle per cell; cells that never break
    even are grey and say so; the current position is ringed."""
    data = grid.copy()
    xs = np.sort(data["x"].unique())
    ys = np.sort(data["y"].unique())
    dx = (xs[1] - xs[0]) / 2 if len(xs) > 1 else 0.5
    dy = (ys[1] - ys[0]) / 2 if len(ys) > 1 else 0.5
    data["x0"], data["x1"] = data["x"] - dx, data["x"] + dx
    data["y0"], data["y1"] = data["y"] - dy, data["y"] + dy
    never = t("simulate.never", lang)
    data["shown"] = [never if np.isnan(v) else t("simulate.chart.years_short", lang, value=f"{v:.1f}")
                     for v in data["break_even_years"]]
    x_fmt, y_fmt = (".0%" if x_percent else "~s"), (".0%" if y_percent else "~s")
    tip_x = alt.Tooltip("x:Q", title=x_title, format=".1%" if x_percent else ",.1f")
    tip_y = alt.Tooltip("y:Q", title=y_title, format=".1%" if y_percent else ",.1f")
    tip = [tip_x, tip_y, alt.Tooltip("shown:N", title=t("simulate.chart.break_even", lang))]
    enc = {
        "x": alt.X("x0:Q", title=x_title, axis=alt.Axis(format=x_fmt),
                   scale=alt.Scale(domain=[float(xs[0] - dx), float(xs[-1] + dx)], nice=False, zero=False)),
        "x2": alt.X2("x1:Q"),
        "y": alt.Y("y0:Q", title=y_title, axis=alt.Axis(format=y_fmt),
                   scale=alt.Scale(domain=[float(ys[0] - dy), float(ys[-1] + dy)], nice=False, zero=False)),
        "y2": alt.Y2("y1:Q"),
        "tooltip": tip,
    }
    finite = data[data["break_even_years"].notna()]
    layers = [alt.Chart(finite).mark_rect().encode(
        color=alt.Color("break_even_years:Q", title=t("simulate.chart.break_even_years", lang),
                        scale=alt.Scale(scheme="redyellowgreen", reverse=True,
                                        domain=[0, HEATMAP_CAP_YEARS], clamp=True)),
        **enc)]
    missing = data[data["break_even_years"].isna()]
    if not missing.empty:
        layers.append(alt.Chart(missing).mark_rect(color="#D0D7DE").encode(**enc))
        # one label on the grey cell nearest the region's median, so "never" reads
        # without hovering
        gap = (missing["x"] - missing["x"].median()).abs() / (2 * dx) \
            + (missing["y"] - missing["y"].median()).abs() / (2 * dy)
        centre = missing.loc[[gap.idxmin()]]
        layers.append(alt.Chart(centre).mark_text(fontSize=16, fontWeight="bold", color="#57606A",
                                                  text=never)
                      .encode(x=alt.X("x:Q"), y=alt.Y("y:Q")))
    if marker is not None:
        spot = pd.DataFrame({"x": [marker[0]], "y": [marker[1]],
                             "text": [t("simulate.chart.you_are_here", lang)]})
        layers.append(alt.Chart(spot).mark_point(shape="circle", size=260, strokeWidth=3,
                                                 color="black", filled=False)
                      .encode(x=alt.X("x:Q"), y=alt.Y("y:Q"), tooltip=alt.Tooltip("text:N", title=" ")))
    chart = alt.layer(*layers).properties(title=t("simulate.chart.heatmap_title", lang))
    return style(chart, height=460)


def company_chart(frame: pd.DataFrame, *, ceiling: float | None, lang: str = "en",
                  currency: str | None = "USD", hide_money: bool = False) -> alt.TopLevelMixin:
    """The bucket filling: MRR month by month against its level (new per month ÷ churn)."""
    data = frame.assign(years=frame["month"] / 12.0)
    title = t("simulate.chart.mrr", lang, currency=currency_symbol(currency))
    tips = [alt.Tooltip("month:Q", title=t("simulate.chart.month", lang)),
            alt.Tooltip("customers:Q", format=",.0f", title=t("simulate.chart.customers", lang))]
    if not hide_money:
        tips.append(alt.Tooltip("mrr:Q", format=",.0f", title=title))
    line = alt.Chart(data).mark_area(line={"color": BLUE}, color=BLUE, opacity=0.25).encode(
        x=alt.X("years:Q", title=t("simulate.chart.years_running", lang), scale=alt.Scale(nice=False)),
        y=alt.Y("mrr:Q", title=title, axis=alt.Axis(format="~s", labels=not hide_money)),
        tooltip=tips)
    layers = [line]
    if ceiling is not None:
        level = pd.DataFrame({"y": [ceiling], "text": [t("simulate.chart.level", lang)]})
        layers.append(alt.Chart(level).mark_rule(color=RED, strokeDash=[6, 4], strokeWidth=2)
                      .encode(y=alt.Y("y:Q")))
        layers.append(alt.Chart(level).mark_text(align="left", baseline="bottom", dy=-4, x=4,
                                                 color=RED, fontWeight="bold")
                      .encode(y=alt.Y("y:Q"), text=alt.Text("text:N")))
    chart = alt.layer(*layers).properties(title=t("simulate.chart.company_title", lang))
    return style(chart, height=320)


def cash_chart(frame: pd.DataFrame, *, lang: str = "en", currency: str | None = "USD",
               hide_money: bool = False) -> alt.TopLevelMixin:
    """Monthly P&L (bars: red while the bucket still costs money) and cumulative cash (line)."""
    data = frame.assign(years=frame["month"] / 12.0,
                        sign=np.where(frame["pnl"] >= 0, "+", "-"))
    pnl_title = t("simulate.chart.pnl", lang, currency=currency_symbol(currency))
    cash_title = t("simulate.chart.cash", lang, currency=currency_symbol(currency))
    x = alt.X("years:Q", title=t("simulate.chart.years_running", lang), scale=alt.Scale(nice=False))
    axis = alt.Axis(format="~s", labels=not hide_money)
    tips = [alt.Tooltip("month:Q", title=t("simulate.chart.month", lang))]
    if not hide_money:
        tips += [alt.Tooltip("pnl:Q", format=",.0f", title=pnl_title),
                 alt.Tooltip("cumulative_cash:Q", format=",.0f", title=cash_title)]
    bars = alt.Chart(data).mark_bar(opacity=0.55).encode(
        x=x, y=alt.Y("pnl:Q", title=pnl_title, axis=axis),
        color=alt.Color("sign:N", scale=alt.Scale(domain=["+", "-"], range=[GREEN, RED]), legend=None),
        tooltip=tips)
    cash = alt.Chart(data).mark_line(color="#24292F", strokeWidth=2.5).encode(
        x=x, y=alt.Y("cumulative_cash:Q", title=cash_title, axis=axis), tooltip=tips)
    chart = alt.layer(bars, cash).resolve_scale(y="independent").properties(
        title=t("simulate.chart.cash_title", lang))
    return style(chart, height=320)
