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
    return (
        chart.properties(height=height)
        .configure(font=FONT)
        .configure_axis(labelFontSize=13, titleFontSize=14, labelLimit=220, gridColor="#EAEEF2")
        .configure_legend(labelFontSize=13, titleFontSize=13, orient="bottom", labelLimit=260)
        .configure_title(fontSize=16, anchor="start")
        .configure_view(strokeWidth=0)
        .configure_range(category=CATEGORY)
    )
