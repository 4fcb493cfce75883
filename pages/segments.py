"""Segments: which groups behave how, and do our tiers deserve their touch model?

Three ways to group accounts — tiers by ARR, RFM from usage, any account column — and one
segment × metrics table for each; tiers are checked against their touch model, RFM
groups against where they stood three months ago. A segment can be saved as the global
filter of every page. All numbers come from cs_metrics.segments.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from cs_metrics import segments
from cs_metrics.charts import segments as charts
from cs_metrics.errors import PolarisError
from cs_metrics.scope import categorical_columns, column_values


ctx = ui.page_context()
ui.title(ctx, "segments.title", "segments.question")
if not ui.requires(ctx, ["accounts"]):
    st.stop()

as_of = ui.cached(ctx, segments.resolve_as_of)
if as_of is None:
    ui.unavailable(ctx, "segments.no_data")
    st.stop()
st.caption(ctx.t("segments.as_of", month=as_of.strftime("%Y-%m")))

columns = ui.cached(ctx, categorical_columns)
MODES = ["tier", "rfm", "column"]
mode = st.radio(ctx.t("segments.by"), MODES, horizontal=True, key="segments_mode",
                format_func=lambda m: ctx.t(f"segments.mode.{m}"))


def label(segment: object, by: str) -> str:
    return charts.segment_label(segment, by, ctx.lang)


def show_table(table: pd.DataFrame, by: str, key: str) -> None:
    """The segment × metrics table with translated headers and number formats."""
    shown = table.copy()
    shown.insert(0, "name", [label(s, by) for s in shown["segment"]])
    if by == "tier":
        shown.insert(1, "touch", [ctx.t(f"segments.touch.{segments.TOUCH_MODEL[s]}")
                                  if s in segments.TOUCH_MODEL else "" for s in shown["segment"]])
    keep = ["name", "touch", "accounts", "arr", "arr_share", "nrr", "grr", "logo_churn", "cohort",
            "accounts_per_csm", "green", "yellow", "red", "unscored", "nps", "nps_responses"]
    if ctx.hide_money:
        keep.remove("arr")
    shown = shown[[c for c in keep if c in shown.columns]]
    for col in ("arr_share", "nrr", "grr", "logo_churn"):
        shown[col] = pd.to_numeric(shown[col], errors="coerce") * 100
    headers = {c: ctx.t(f"segments.col.{c}") for c in shown.columns}
    pct = st.column_config.NumberColumn(format="%.1f%%")
    config = {headers[c]: pct for c in ("arr_share", "nrr", "grr", "logo_churn") if c in headers}
    config.update({headers["nps"]: st.column_config.NumberColumn(format="%.1f"),
                   headers["accounts_per_csm"]: st.column_config.NumberColumn(format="%.1f")})
    if "arr" in headers:
        config[headers["arr"]] = st.column_config.NumberColumn(format="localized")
    ui.table(ctx, shown.rename(columns=headers), key=key, column_config=config)
    st.caption(ctx.t("segments.table_help"))


def show_charts(table: pd.DataFrame, by: str, key: str) -> None:
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{ctx.t('segments.chart.share_title')}**")
        ui.chart(ctx, charts.segment_share_chart(table, by, ctx.lang), key=f"{key}_share")
    with right:
        measure = "nrr" if table["nrr"].notna().any() else None
        if measure:
            choice = st.radio(ctx.t("segments.chart.rate"), ["nrr", "grr", "logo_churn"], horizontal=True,
                              key=f"{key}_measure", format_func=lambda c: ctx.t(f"segments.col.{c}"))
            ui.chart(ctx, charts.segment_rate_chart(table, by, choice, ctx.lang), key=f"{key}_rate")
        else:
            ui.unavailable(ctx, "segments.no_retention")


def save_box(filters_by_choice: dict[str, dict[str, list[str]]], help_key: str, key: str) -> None:
    """Save one of the offered filters under a name, as a global segment."""
    if not filters_by_choice:
        return
    with st.expander(ctx.t("segments.save.title")):
        st.caption(ctx.t(help_key))
        choice = st.selectbox(ctx.t("segments.save.which"), list(filters_by_choice), key=f"{key}_which")
        name = st.text_input(ctx.t("segments.save.name"), key=f"{key}_name", max_chars=60)
        if st.button(ctx.t("common.save"), key=f"{key}_save", icon=":material/bookmark_add:"):
            try:
                segments.save_segment(ctx.ws, name, filters_by_choice[choice])
                st.success(ctx.t("segments.save.done", name=name.strip()))
            except PolarisError as exc:
                ui.error(ctx, exc)


# Tiers -------------------------------------------------------------------------------
def tier_section() -> None:
    default = ui.cached(ctx, segments.default_tier_thresholds, ctx.scope)
    current = ui.cached(ctx, segments.tier_thresholds, ctx.scope)
    if current is None:
        ui.unavailable(ctx, "segments.no_arr")
        return
    with st.expander(ctx.t("segments.thresholds"), expanded=False):
        st.caption(ctx.t("segments.thresholds_help",
                         mid=ui.money(ctx, (default or current)["mid_market"], short=False),
                         ent=ui.money(ctx, (default or current)["enterprise"], short=False)))
        left, right = st.columns(2)
        mid = left.number_input(ctx.t("segments.threshold.mid_market"), min_value=1.0, step=1000.0,
                                value=float(current["mid_market"]), key="segments_mid")
        ent = right.number_input(ctx.t("segments.threshold.enterprise"), min_value=1.0, step=1000.0,
                                 value=float(current["enterprise"]), key="segments_ent")
        save, reset, _ = st.columns([1, 1, 4])
        if save.button(ctx.t("common.save"), key="segments_thr_save"):
            try:
                ctx.ws.set_setting(segments.SETTING_TIERS,
                                   segments.validate_thresholds({"mid_market": mid, "enterprise": ent}))
                st.rerun()
            except PolarisError as exc:
                ui.error(ctx, exc)
        if reset.button(ctx.t("common.reset"), key="segments_thr_reset"):
            ctx.ws.set_setting(segments.SETTING_TIERS, None)
            for widget in ("segments_mid", "segments_ent"):
                st.session_state.pop(widget, None)
            st.rerun()
    table = ui.cached(ctx, segments.segment_table, "tier", scope=ctx.scope, thresholds=current)
    tiers = table[~table["is_total"].astype(bool)]
    tiles = st.columns(max(1, len(tiers)))
    for col, row in zip(tiles, tiers.to_dict("records")):
        ui.note_kpi(col, ctx.t("segments.tier_tile", tier=label(row["segment"], "tier"),
                            touch=ctx.t(f"segments.touch.{segments.TOUCH_MODEL.get(row['segment'], 'tech')}")),
                 ui.money(ctx, row["arr"]), help=ctx.t("segments.tier_tile_help"),
                 note=ctx.t("segments.tier_tile_delta", n=ui.number(ctx, row["accounts"]),
                            share=ui.pct(ctx, row["arr_share"], decimals=0)))
    show_charts(table, "tier", "seg_tier")
    show_table(table, "tier", "seg_tier_table")

    st.subheader(ctx.t("segments.touch_title"))
    for finding in segments.touch_model_findings(table):
        if finding["code"] == "consistent":
            st.success(ctx.t("segments.finding.consistent"), icon=":material/check_circle:")
            continue
        is_rate = finding["code"] == "churn_inverted"
        fmt = (lambda v: ui.pct(ctx, v)) if is_rate else (lambda v: ui.number(ctx, v, decimals=1))
        st.warning(ctx.t(f"segments.finding.{finding['code']}", high=label(finding["high"], "tier"),
                         low=label(finding["low"], "tier"), high_value=fmt(finding["high_value"]),
                         low_value=fmt(finding["low_value"])), icon=":material/warning:")
    recorded = "segment" if "segment" in ctx.ws.columns("accounts") else None
    if recorded:
        cross = ui.cached(ctx, segments.tier_crosstab, recorded, thresholds=current, scope=ctx.scope)
        if cross is not None and not cross.empty:
            pivot = cross.pivot_table(index="recorded", columns="tier", values="accounts", aggfunc="sum",
                                      fill_value=0)
            pivot = pivot[[t for t in (*segments.TIERS, segments.NONE_KEY) if t in pivot.columns]]
            pivot.columns = [label(c, "tier") for c in pivot.columns]
            pivot.index = [label(i, "column") for i in pivot.index]
            st.markdown(f"**{ctx.t('segments.cross_title')}**")
            st.caption(ctx.t("segments.cross_help", column=ui.column_label(ctx, recorded)))
            ui.table(ctx, pivot.reset_index(names=ui.column_label(ctx, recorded)), key="seg_cross")
        values = ui.cached(ctx, column_values, recorded)
        save_box({v: {recorded: [v]} for v in values}, "segments.save.tier_help", "seg_save_tier")
    else:
        st.caption(ctx.t("segments.save.no_tier_column"))


# RFM ---------------------------------------------------------------------------------
def rfm_section() -> None:
    if not ctx.ws.has("usage"):
        ui.requires(ctx, ["usage"])
        return
    scores = ui.cached(ctx, segments.rfm_scores, ctx.scope)
    if scores is None or scores.empty:
        ui.unavailable(ctx, "segments.no_rfm")
        return
    st.caption(ctx.t("segments.rfm_help"))
    left, right = st.columns([1, 1])
    with left:
        st.markdown(f"**{ctx.t('segments.rfm_grid_title')}**")
        ui.chart(ctx, charts.rfm_heatmap(segments.rfm_grid(scores), ctx.lang), key="seg_rfm_grid")
    table = ui.cached(ctx, segments.segment_table, "rfm", scope=ctx.scope)
    with right:
        st.markdown(f"**{ctx.t('segments.chart.share_title')}**")
        ui.chart(ctx, charts.segment_share_chart(table, "rfm", ctx.lang), key="seg_rfm_share")
    show_table(table, "rfm", "seg_rfm_table")

    moves = ui.cached(ctx, segments.rfm_migration, ctx.scope)
    if moves is not None and not moves.empty:
        st.subheader(ctx.t("segments.migration_title"))
        st.caption(ctx.t("segments.migration_help"))
        names = {**{s: label(s, "rfm") for s in segments.RFM_SEGMENTS},
                 "churned": ctx.t("segments.rfm.churned"), "new_account": ctx.t("segments.rfm.new_account")}
        pivot = moves.pivot_table(index="before", columns="now", values="accounts", aggfunc="sum", fill_value=0)
        order = [*segments.RFM_SEGMENTS, "new_account", "churned"]
        pivot = pivot.reindex(index=[o for o in order if o in pivot.index],
                              columns=[o for o in order if o in pivot.columns])
        pivot.index = [names[i] for i in pivot.index]
        pivot.columns = [names[c] for c in pivot.columns]
        ui.table(ctx, pivot.reset_index(names=ctx.t("segments.migration_before")), key="seg_rfm_moves")

    st.subheader(ctx.t("segments.rfm_accounts_title"))
    present = [s for s in segments.RFM_SEGMENTS if s in set(scores["rfm_segment"])]
    chosen = st.selectbox(ctx.t("segments.rfm_pick"), present, key="segments_rfm_pick",
                          format_func=lambda s: label(s, "rfm"),
                          index=present.index("at_risk") if "at_risk" in present else 0)
    members = scores[scores["rfm_segment"] == chosen]

    def member_rows(rows: pd.DataFrame) -> pd.DataFrame:
        shown = rows[["account_name", "arr", "recency_days", "frequency", "r", "f", "m"]].rename(columns={
            "account_name": ui.column_label(ctx, "account_name"), "arr": ui.column_label(ctx, "arr"),
            "recency_days": ctx.t("segments.col.recency_days"), "frequency": ctx.t("segments.col.frequency"),
            "r": "R", "f": "F", "m": "M"})
        return shown.drop(columns=[ui.column_label(ctx, "arr")]) if ctx.hide_money else shown

    # Largest ARR first; a segment of a big workspace has thousands of accounts, all in the CSV.
    ui.table(ctx, member_rows(members.head(ui.TOP_ROWS)), key="seg_rfm_members",
             column_config={ctx.t("segments.col.frequency"): st.column_config.NumberColumn(format="%.2f")})
    ui.more_rows(ctx, members, member_rows, f"rfm_{chosen}_{as_of.strftime('%Y%m')}.csv", key="seg_rfm_csv")
    ids = members["account_id"].astype(str).tolist()
    if len(ids) <= segments.MAX_SAVED_MEMBERS:
        save_box({label(chosen, "rfm"): {"account_id": ids}}, "segments.save.rfm_help", "seg_save_rfm")


# Any account column --------------------------------------------------------------------
def column_section() -> None:
    if not columns:
        ui.unavailable(ctx, "segments.no_columns")
        return
    default = next((c for c in ("industry", "plan", "region", "owner") if c in columns), columns[0])
    column = st.selectbox(ctx.t("segments.column"), columns, index=columns.index(default),
                          key="segments_column", format_func=lambda c: ui.column_label(ctx, c))
    table = ui.cached(ctx, segments.segment_table, column, scope=ctx.scope)
    show_charts(table, column, "seg_col")
    show_table(table, column, "seg_col_table")
    values = ui.cached(ctx, column_values, column)
    with st.expander(ctx.t("segments.save.title")):
        st.caption(ctx.t("segments.save.column_help", column=ui.column_label(ctx, column)))
        picked = st.multiselect(ctx.t("segments.save.values"), values, key=f"seg_save_col_values_{column}")
        name = st.text_input(ctx.t("segments.save.name"), key="seg_save_col_name", max_chars=60)
        if st.button(ctx.t("common.save"), key="seg_save_col_save", icon=":material/bookmark_add:"):
            try:
                segments.save_segment(ctx.ws, name, {column: picked})
                st.success(ctx.t("segments.save.done", name=name.strip()))
            except PolarisError as exc:
                ui.error(ctx, exc)


{"tier": tier_section, "rfm": rfm_section, "column": column_section}[mode]()

saved = segments.saved_segments(ctx.ws)
if saved:
    with st.expander(ctx.t("segments.saved_title", n=len(saved))):
        for name, filters in sorted(saved.items()):
            left, right = st.columns([5, 1])
            summary = "; ".join(f"{ui.column_label(ctx, c)}: {', '.join(v[:5])}{' …' if len(v) > 5 else ''}"
                                for c, v in filters.items())
            left.markdown(f"**{name}** — {summary}")
            if right.button(ctx.t("common.delete"), key=f"seg_del_{name}"):
                segments.delete_segment(ctx.ws, name)
                st.rerun()
