"""CS maturity: how mature is our customer-success practice, and what is the next step?"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

import ui
from cs_metrics import maturity
from cs_metrics.charts import account as charts
from cs_metrics.errors import PolarisError
from cs_metrics.export import to_csv_bytes, to_xlsx_bytes

ctx = ui.page_context()
ui.title(ctx, "maturity.title", "maturity.question")
st.caption(ctx.t("maturity.intro"))

suggestion = ui.cached(ctx, maturity.suggest_levels, shared=ctx.ws.name is not None)
suggested = suggestion["levels"]
reasons: dict[str, list[str]] = {}
for item in suggestion["evidence"]:
    reasons.setdefault(item.dimension, []).append(item.reason(ctx.lang))
saved = maturity.load_assessments(ctx.ws.get_setting(maturity.SETTING_KEY, []))
latest = saved[-1] if saved else None


def save_assessment() -> None:
    state = st.session_state
    levels = {dim: state[f"maturity_level_{dim}"] for dim in maturity.DIMENSIONS}
    day = state.get("maturity_date") or dt.date.today()
    try:
        updated = maturity.add_assessment(ctx.ws.get_setting(maturity.SETTING_KEY, []), levels, day)
    except PolarisError as exc:
        state["maturity_error"] = str(exc)
        return
    ctx.ws.set_setting(maturity.SETTING_KEY, updated)
    state["maturity_notice"] = ctx.t("maturity.saved", date=day.isoformat())


def level_picker(dim: str) -> int:
    """One dimension: its level (default: the latest saved one, else the data's suggestion),
    the evidence, and the next step."""
    default = latest["levels"][dim] if latest else suggested[dim]
    level = st.selectbox(
        ctx.t(f"maturity.dim.{dim}"), list(range(maturity.MAX_LEVEL + 1)), index=default,
        format_func=lambda n: ctx.t("maturity.level_option", level=n, text=maturity.level_text(dim, n, ctx.lang)),
        key=f"maturity_level_{dim}")
    if dim in reasons:
        st.caption(":material/database: " + ctx.t("maturity.suggested", level=suggested[dim],
                                                  reasons="; ".join(reasons[dim])))
        if level < suggested[dim]:
            st.caption(":orange[" + ctx.t("maturity.below_suggestion", level=suggested[dim]) + "]")
    st.caption(":material/arrow_upward: " + ctx.t("maturity.next", text=maturity.next_step(dim, level, ctx.lang)))
    return level


levels: dict[str, int] = {}
st.subheader(ctx.t("maturity.modules"))
columns = st.columns(2)
for i, dim in enumerate(maturity.MODULES):
    with columns[i % 2]:
        levels[dim] = level_picker(dim)
st.subheader(ctx.t("maturity.enablers"))
columns = st.columns(3)
for i, dim in enumerate(maturity.ENABLERS):
    with columns[i]:
        levels[dim] = level_picker(dim)

totals = maturity.score(levels)
tiles = st.columns(4)
ui.kpi(tiles[0], ctx.t("maturity.total"), f"{totals['total']} / {totals['max']}", help=ctx.t("maturity.total_help"),
       delta=(f"{totals['total'] - maturity.score(latest['levels'])['total']:+d}" if latest else None))
ui.kpi(tiles[1], ctx.t("maturity.modules_score"), f"{totals['modules']} / {totals['modules_max']}")
ui.kpi(tiles[2], ctx.t("maturity.enablers_score"), f"{totals['enablers']} / {totals['enablers_max']}")
ui.kpi(tiles[3], ctx.t("maturity.share"), ui.pct(ctx, totals["share"], decimals=0))

st.subheader(ctx.t("maturity.radar"))
profile = [{"dimension": ctx.t(f"maturity.dim.{d}"), "level": levels[d],
            "assessment": ctx.t("maturity.this_assessment")} for d in maturity.DIMENSIONS]
if latest:
    profile += [{"dimension": ctx.t(f"maturity.dim.{d}"), "level": latest["levels"][d],
                 "assessment": ctx.t("maturity.saved_on", date=latest["date"])} for d in maturity.DIMENSIONS]
ui.chart(ctx, charts.maturity_radar(pd.DataFrame(profile), ctx.lang), key="maturity_radar")

left, right = st.columns([1, 2])
left.date_input(ctx.t("maturity.date"), value=dt.date.today(), key="maturity_date")
right.write("")
right.button(ctx.t("maturity.save"), on_click=save_assessment, key="maturity_save", type="primary")
for flag, show in (("maturity_error", st.error), ("maturity_notice", st.success)):
    if st.session_state.get(flag):
        show(st.session_state.pop(flag))

st.subheader(ctx.t("maturity.history"))
if not saved:
    st.caption(ctx.t("maturity.history_none"))
    history = None
else:
    history = maturity.comparison(saved, ctx.lang).drop(columns=["dimension"]).rename(
        columns={"label": ctx.t("maturity.dimension"), "change": ctx.t("maturity.change")})
    ui.table(ctx, history, key="maturity_history", fold_in_presenter=False)

current = maturity.assessment_frame(levels, ctx.lang, suggestion["evidence"]).rename(columns={
    "dimension": ctx.t("maturity.dimension"), "group": ctx.t("maturity.group.module") + " / "
    + ctx.t("maturity.group.enabler"), "level": ctx.t("maturity.level"), "meaning": ctx.t("maturity.meaning"),
    "next_step": ctx.t("maturity.next_step"), "evidence": ctx.t("maturity.evidence")})
if not ctx.presenter:
    left, right = st.columns(2)
    with left:
        ui.download_bytes(ctx, "maturity.export_csv", data=to_csv_bytes(current),
                          file_name="cs_maturity.csv", mime="text/csv", key="maturity_csv")
    with right:
        sheets = {ctx.t("maturity.sheet.assessment"): current}
        if history is not None:
            sheets[ctx.t("maturity.sheet.history")] = history
        ui.download_bytes(ctx, "maturity.export_xlsx", data=lambda: to_xlsx_bytes(sheets),
                          file_name="cs_maturity.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key="maturity_xlsx")
