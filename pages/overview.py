"""Overview: what does the loaded data say right now, and what is still missing?"""

from __future__ import annotations

import streamlit as st

import ui
from cs_metrics import coverage, northstar, renewals, report

ctx = ui.page_context()
ui.title(ctx, "overview.title", "overview.question")

loaded = set(ctx.ws.kinds())
if not loaded:
    st.info(ctx.t("overview.empty"), icon=":material/upload_file:")
    ui.link_to_data(ctx)
    st.stop()

figures = ui.cached(ctx, report.build_report, scope=ctx.scope)
accounts = figures.get("accounts") or {}
window = figures.get("window") or {}
window_text = ctx.t("overview.window_help", start=window.get("start") or ctx.t("common.na"),
                    end=window.get("end") or ctx.t("common.na"))

st.subheader(ctx.t("overview.headline", as_of=figures.get("as_of") or ctx.t("common.na")))
row1 = st.columns(4)
ui.kpi(row1[0], ctx.t("overview.accounts"), ui.number(ctx, accounts.get("total")),
       help=ctx.t("overview.accounts_help"))
ui.kpi(row1[1], ctx.t("overview.active"), ui.number(ctx, accounts.get("active")),
       help=ctx.t("overview.active_help"))
ui.kpi(row1[2], "MRR", ui.money(ctx, figures.get("mrr")), help=ctx.t("overview.mrr_help"))
ui.kpi(row1[3], "ARR", ui.money(ctx, figures.get("arr")), help=ctx.t("overview.arr_help"))

row2 = st.columns(4)
ui.kpi(row2[0], "GRR", ui.pct(ctx, figures.get("grr")), help=ctx.t("overview.grr_help") + " " + window_text)
ui.kpi(row2[1], "NRR", ui.pct(ctx, figures.get("nrr")), help=ctx.t("overview.nrr_help") + " " + window_text)
ui.kpi(row2[2], ctx.t("overview.logo_churn"), ui.pct(ctx, figures.get("logo_churn_rate")),
       help=ctx.t("overview.logo_churn_help") + " " + window_text)
ui.kpi(row2[3], "NPS", ui.number(ctx, figures.get("nps"), decimals=1), help=ctx.t("overview.nps_help"))

health_mix = figures.get("health") or {}
row3 = st.columns(4)
for col, band in zip(row3[:3], ("green", "yellow", "red")):
    ui.kpi(col, ctx.t("overview.band_accounts", band=ctx.t(f"band.{band}")),
           ui.number(ctx, health_mix.get(band)), help=ctx.t("overview.health_help"))
ui.kpi(row3[3], ctx.t("overview.arr_at_risk"), ui.money(ctx, figures.get("arr_at_risk")),
       help=ctx.t("overview.arr_at_risk_help"))

if ctx.ws.has("accounts"):
    upcoming = ui.cached(ctx, renewals.upcoming_renewals, months=3, scope=ctx.scope)
    north = ui.cached(ctx, northstar.northstar_overview, scope=ctx.scope) if ctx.ws.has("usage") else None
    row4 = st.columns(4)
    ui.kpi(row4[0], ctx.t("overview.renewals_90"), ui.number(ctx, len(upcoming)),
           help=ctx.t("overview.renewals_90_help"))
    ui.kpi(row4[1], ctx.t("overview.renewals_90_arr"), ui.money(ctx, upcoming["arr"].sum() if len(upcoming) else 0),
           help=ctx.t("overview.renewals_90_help"))
    if north is not None:
        label = northstar.measure_label(north["metric"], ctx.lang)
        ui.kpi(row4[2], ctx.t("overview.northstar"), ui.pct(ctx, north["share_reaching"]),
               help=ctx.t("overview.northstar_help", metric=label, month=str(north["month"])[:7]))
        trend = north["trend"]
        if len(trend) > 1:
            with row4[3]:
                st.caption(ctx.t("overview.northstar_trend", metric=label))
                st.line_chart(trend.set_index("month")["value"], height=110, width="stretch")
    else:
        row4[2].caption(ctx.t("overview.northstar_unset"))

st.subheader(ctx.t("overview.coverage"))
infos = {info.kind: info for info in ctx.ws.tables()}
for item in coverage.availability(loaded):
    label = ctx.t(f"overview.answer.{item.answer}")
    if item.available:
        extra = ""
        if item.optional_missing:
            names = ", ".join(" / ".join(ctx.t(f"kind.{k}") for k in need.split("|"))
                              for need in item.optional_missing)
            extra = " " + ctx.t("overview.richer_with", tables=names)
        st.markdown(f":green[:material/check_circle:] **{label}**{extra}")
    else:
        names = ", ".join(" / ".join(ctx.t(f"kind.{k}") for k in need.split("|"))
                          for need in item.missing)
        st.markdown(f":orange[:material/pending:] **{label}**: {ctx.t('overview.needs', tables=names)}")

with st.expander(ctx.t("overview.loaded_tables"), expanded=not ctx.presenter):
    for kind, info in infos.items():
        span = ""
        if info.min_date is not None:
            span = ctx.t("overview.span", start=str(info.min_date)[:10], end=str(info.max_date)[:10])
        unmatched = ctx.t("overview.unmatched", n=f"{info.unmatched:,}") if info.unmatched else ""
        st.markdown(f"- **{ctx.t(f'kind.{kind}')}**: {ctx.t('sidebar.rows', rows=f'{info.rows:,}')} {span} {unmatched}")
