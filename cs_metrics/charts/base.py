"""The house look of every chart: large type for screen-sharing, one palette, CJK-safe fonts."""

from __future__ import annotations

import altair as alt

FONT = "Noto Sans CJK SC, Noto Sans, Helvetica, Arial, sans-serif"
BLUE, GREEN, AMBER, RED, GREY, PURPLE, TEAL = (
    "#1F6FEB", "#2DA44E", "#D4A72C", "#CF222E", "#8C959F", "#8250DF", "#1B7C83")
BAND_COLORS = {"green": GREEN, "yellow": AMBER, "red": RED, "unscored": GREY}
MOVEMENT_COLORS = {"new": BLUE, "expansion": GREEN, "reactivation": TEAL,
                   "contraction": AMBER, "churn": RED}
CATEGORY = [BLUE, GREEN, AMBER, RED, PURPLE, TEAL, GREY, "#BF3989", "#953800", "#0A3069"]


def style(chart: alt.TopLevelMixin, height: int = 360) -> alt.TopLevelMixin:
    """Apply the house theme: readable fonts, no chart border, consistent colours."""
    # One configure call: each .configure_*() deep-copies the whole chart.
    return chart.properties(height=height).configure(
        font=FONT,
        axis=alt.AxisConfig(labelFontSize=13, titleFontSize=14, labelLimit=220, gridColor="#EAEEF2"),
        legend=alt.LegendConfig(labelFontSize=13, titleFontSize=13, orient="bottom", labelLimit=260),
        title=alt.TitleConfig(fontSize=16, anchor="start"),
        view=alt.ViewConfig(strokeWidth=0),
        range=alt.RangeConfig(category=CATEGORY),
    )
