"""Lifecycle: who moved where, and who needs a call this week?"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from cs_metrics import health, lifecycle
from cs_metrics.charts import health as charts
from cs_metrics.errors import InputError
from cs_metrics.export import to_csv_bytes

ctx = ui.page_context()
ui.title(ctx, "lifecycle.title", "lifecycle.question")
if not ui.requires(ctx, ["mrr|subscriptions|accounts"]):
    st.stop()

state = st.session_state
saved = lifecycle.lifecycle_rules(ctx.con)
DAY_KEYS = {"onboarding_days": "lc_onboarding", "adoption_days": "lc_adoption", "renewal_window_days": "lc_renewal"}
LEVELS = ("very_active", "active", "low")


def threshold_key(measure: str, level: str) -> str:
    return f"lc_{measure}_{level}"


def load_saved_into_widgets() -> None:
    current = lifecycle.lifecycle_rules(ctx.con)
    for rule, key in DAY_KEYS.items():
        state[key] = int(current[rule])
    state["lc_measure"] = current["activity_measure"]
    for measure, values in current["thresholds"].items():
        for level in LEVELS:
            state[threshold_key(measure, level)] = float(values[level])


workspace_id = str(ctx.ws.path or id(ctx.ws))
if state.get("lc_widgets_for") != workspace_id or "lc_measure" not in state:
    load_saved_into_widgets()
    state["lc_widgets_for"] = workspace_id
# Streamlit forgets the thresholds of the measure not shown; they come back from the saved rules.
for _measure, _values in saved["thresholds"].items():
    for _level in LEVELS:
        state.setdefault(threshold_key(_measure, _level), float(_values[_level]))


def current_rules() -> dict:
    measure = state["lc_measure"]
    return {
        **{rule: int(state[key]) for rule, key in DAY_KEYS.items()},
        "renewal_cycle_months": saved["renewal_cycle_months"],
        "activity_measure": measure,
        "thresholds": {m: {level: float(state.get(threshold_key(m, level), saved["thresholds"][m][level]))
                           for level in LEVELS} for m in lifecycle.MEASURES},
    }


def save_rules() -> None:
    ctx.ws.set_setting("lifecycle.rules", current_rules())
    state["lc_notice"] = "lifecycle.saved"


with st.expander(ctx.t("lifecycle.rules"), expanded=False, icon=":material/tune:"):
    st.caption(ctx.t("lifecycle.rules_help"))
    c1, c2, c3 = st.columns(3)
    c1.number_input(ctx.t("lifecycle.onboarding_days"), min_value=0, max_value=730, step=15, key="lc_onboarding")
    c2.number_input(ctx.t("lifecycle.adoption_days"), min_value=0, max_value=1095, step=15, key="lc_adoption")
    c3.number_input(ctx.t("lifecycle.renewal_days"), min_value=0, max_value=365, step=15, key="lc_renewal")
    st.radio(ctx.t("lifecycle.measure"), lifecycle.MEASURES, key="lc_measure", horizontal=True,
             format_func=lambda m: ctx.t(f"lifecycle.measure.{m}"))
    measure = state["lc_measure"]
    step = 0.05 if measure == "utilisation" else 0.5
    t1, t2, t3 = st.columns(3)
    for col, level, label in zip((t1, t2, t3), LEVELS,
                                 ("lifecycle.very_active_from", "lifecycle.active_from", "lifecycle.low_from")):
        col.number_input(ctx.t(label), min_value=0.0, step=step, key=threshold_key(measure, level),
                         format="%.2f" if measure == "utilisation" else "%.1f")
    st.button(ctx.t("lifecycle.save"), on_click=save_rules, key="lc_save", icon=":material/save:")

if state.get("lc_notice"):
    st.success(ctx.t(state.pop("lc_notice")), icon=":material/check_circle:")

rules = current_rules()
try:
    lifecycle.lifecycle_rules(None, rules)
except InputError as exc:
    st.warning(ctx.t("lifecycle.bad_rules", problem=str(exc)), icon=":material/warning:")
    st.stop()

frame = ui.cached(ctx, lifecycle.lifecycle_states, scope=ctx.scope, rules=rules)
if frame.empty:
    ui.unavailable(ctx, "health.no_rows")
    st.stop()

months = sorted(frame["month"].unique())
labels = [pd.Timestamp(m).strftime("%Y-%m") for m in months]
if state.get("lc_month") not in labels:
    state["lc_month"] = labels[-1]
month_label = st.select_slider(ctx.t("lifecycle.month"), labels, key="lc_month")
if month_label == labels[0]:
    ui.unavailable(ctx, "lifecycle.first_month")
    st.stop()
st.caption(ctx.t("lifecycle.compare", month=month_label))

settings = health.health_settings(ctx.con)
queue = lifecycle.intervention_queue(frame, month_label, settings["weights"])
band_moves = lifecycle.migrations(frame, "band", month_label)
now = health.at_month(frame, month_label)
churned = band_moves[band_moves["to_state"] == lifecycle.CHURNED]

tiles = st.columns(4)
ui.kpi(tiles[0], ctx.t("lifecycle.moved_down"), ui.number(ctx, len(queue)), help=ctx.t("lifecycle.moved_down_help"))
ui.kpi(tiles[1], ctx.t("lifecycle.moved_down_arr"), ui.money(ctx, queue["arr"].sum() if len(queue) else 0.0),
       help=ctx.t("lifecycle.moved_down_help"))
ui.kpi(tiles[2], ctx.t("lifecycle.churned_tile"), ui.number(ctx, int(churned["accounts"].sum())),
       help=ctx.t("lifecycle.churned_help"),
       delta=None if ctx.hide_money else ui.money(ctx, -float(churned["arr"].sum())), delta_color="normal")
ui.kpi(tiles[3], ctx.t("lifecycle.in_renewal"), ui.number(ctx, int((now["stage"] == "renewal").sum())),
       help=ctx.t("lifecycle.in_renewal_help"))

left, right = st.columns([2, 1])
dimension = left.segmented_control(ctx.t("lifecycle.dimension"), list(lifecycle.DIMENSIONS), key="lc_dim",
                                   default="band", format_func=lambda d: ctx.t(f"lifecycle.dim.{d}")) or "band"
value_options = ["accounts"] if ctx.hide_money else ["accounts", "arr"]
value = right.segmented_control(ctx.t("lifecycle.value"), value_options, key="lc_value", default="accounts",
                                format_func=lambda v: ctx.t(f"health.by_{v}")) or "accounts"
moves = lifecycle.migrations(frame, dimension, month_label)
heat, flow = st.columns(2)
with heat:
    ui.chart(ctx, charts.migration_heatmap(moves, ctx.lang, value, money=not ctx.hide_money), key="lc_heatmap")
with flow:
    ui.chart(ctx, charts.migration_flow_chart(moves, ctx.lang, value, money=not ctx.hide_money), key="lc_flow")
matrix = lifecycle.migration_table(moves, dimension, value)
matrix.index = [charts.state_label(s, ctx.lang) for s in matrix.index]
matrix.columns = [charts.state_label(s, ctx.lang) for s in matrix.columns]
ui.table(ctx, matrix.rename_axis(ctx.t("lifecycle.col.from")).reset_index(), key="lc_matrix")

st.subheader(ctx.t("lifecycle.queue_title"))
if queue.empty:
    st.caption(ctx.t("lifecycle.queue_empty"))
else:
    names = health.account_labels(ctx.con, ctx.scope)
    listing = queue.merge(names, on="account_id", how="left")

    def reason(row: pd.Series) -> str:
        parts = []
        if row["band"] != row["band_before"] and isinstance(row["band"], str) and isinstance(row["band_before"], str):
            parts.append(ctx.t("health.reason.band", before=charts.state_label(row["band_before"], ctx.lang),
                               after=charts.state_label(row["band"], ctx.lang)))
        if row["activity"] != row["activity_before"] and isinstance(row["activity"], str) \
                and isinstance(row["activity_before"], str):
            parts.append(ctx.t("health.reason.activity", before=charts.state_label(row["activity_before"], ctx.lang),
                               after=charts.state_label(row["activity"], ctx.lang)))
        if row["stage"] == "at_risk" and row["stage_before"] != "at_risk":
            parts.append(ctx.t("health.reason.stage", stage=charts.state_label("at_risk", ctx.lang)))
        if isinstance(row["driver"], str):
            parts.append(ctx.t("health.reason.driver", component=charts.component_label(row["driver"], ctx.lang),
                               before=ui.number(ctx, row["driver_before"]), after=ui.number(ctx, row["driver_now"])))
        return " · ".join(parts)

    name_col = "account_name" if "account_name" in listing else "account_id"
    shown = pd.DataFrame({name_col: listing[name_col]})
    if not ctx.hide_money:
        shown["arr"] = listing["arr"]
    # Display text for each listed account (the list is short; the figures behind it are not
    # computed here).
    shown[ctx.t("lifecycle.reason")] = [reason(row) for _, row in listing.iterrows()]
    shown[ctx.t("lifecycle.col.stage")] = listing["stage"].map(lambda s: charts.state_label(s, ctx.lang))
    shown[ctx.t("health.col.score_before")] = listing["score_before"].round(0)
    shown[ctx.t("health.col.score")] = listing["score"].round(0)
    for col in ("owner", "segment"):
        if col in listing:
            shown[col] = listing[col]
    ui.table(ctx, shown, key="lc_queue", column_config={"arr": st.column_config.NumberColumn(format="localized")},
             fold_in_presenter=False)
    ui.download_bytes(ctx, "lifecycle.download_queue", lambda: to_csv_bytes(shown), f"call_list_{month_label}.csv",
                      "text/csv", key="lc_queue_csv")

st.subheader(ctx.t("lifecycle.time_title"))
times = lifecycle.time_in_stage(frame[frame["month"] <= pd.Timestamp(month_label + "-01")])
st.caption(ctx.t("lifecycle.time_help"))
ui.chart(ctx, charts.time_in_stage_chart(times, ctx.lang), key="lc_time")
time_table = pd.DataFrame({
    ctx.t("lifecycle.col.stage"): times["stage"].map(lambda s: charts.state_label(s, ctx.lang)),
    ctx.t("lifecycle.col.spells"): times["spells"],
    ctx.t("lifecycle.col.mean_months"): times["mean_months"].astype("float64").round(1),
    ctx.t("lifecycle.col.median_months"): times["median_months"].astype("float64").round(1),
    ctx.t("lifecycle.col.accounts_now"): times["accounts_now"],
    ctx.t("lifecycle.col.months_so_far"): times["months_so_far"].astype("float64").round(1),
})
ui.table(ctx, time_table, key="lc_time_table")

ui.chart(ctx, charts.state_mix_chart(lifecycle.state_mix(frame, "stage"), ctx.lang, value,
                                     title_key="lifecycle.mix_title", state_key="lifecycle.col.stage"),
         key="lc_stage_mix")
