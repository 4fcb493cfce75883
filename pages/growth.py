"""Growth: where do we expand, and who will vouch for us?

Expansion candidates (seat pressure or usage growth, green health, no open risk) with an
estimated expansion ARR and the evidence; advocacy candidates (promoters, green, tenure
≥ 6 months, no open risk) with the ask that fits; NPS over time and how promoters,
passives and detractors churn. Numbers come from cs_metrics.growth.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from cs_metrics import growth
from cs_metrics.charts import segments as charts

ctx = ui.page_context()
ui.title(ctx, "growth.title", "growth.question")
if not ui.requires(ctx, ["accounts"]):
    st.stop()

with st.expander(ctx.t("growth.settings"), icon=":material/tune:"):
    left, middle, right = st.columns(3)
    min_util = left.slider(ctx.t("growth.min_utilisation"), 50, 100, 90, 5, key="growth_min_util",
                           format="%d%%", help=ctx.t("growth.min_utilisation_help")) / 100
    min_growth = middle.slider(ctx.t("growth.min_growth"), 5, 100, 20, 5, key="growth_min_growth",
                               format="%d%%", help=ctx.t("growth.min_growth_help")) / 100
    min_tenure = right.slider(ctx.t("growth.min_tenure"), 0, 36, 6, 1, key="growth_min_tenure",
                              help=ctx.t("growth.min_tenure_help"))

lists = ui.cached(ctx, growth.growth_lists, scope=ctx.scope, lang=ctx.lang, min_utilisation=min_util,
                  min_growth=min_growth, min_tenure_months=min_tenure)
if lists["as_of"] is None:
    ui.unavailable(ctx, "growth.no_data")
    st.stop()
st.caption(ctx.t("growth.as_of", month=lists["as_of"].strftime("%Y-%m")))
expansion, advocacy = lists["expansion"], lists["advocacy"]
category_churn = ui.cached(ctx, growth.churn_by_nps_category, scope=ctx.scope)

tiles = st.columns(4)
ui.kpi(tiles[0], ctx.t("growth.kpi.expansion"), ui.number(ctx, len(expansion)),
       help=ctx.t("growth.kpi.expansion_help"))
estimate = (None if expansion.empty or expansion["expansion_arr"].isna().all()
            else float(pd.to_numeric(expansion["expansion_arr"]).sum()))
ui.kpi(tiles[1], ctx.t("growth.kpi.expansion_arr"), ui.money(ctx, estimate),
       help=ctx.t("growth.kpi.expansion_arr_help",
                  typical=ui.pct(ctx, lists["typical_expansion"], decimals=0)))
ui.kpi(tiles[2], ctx.t("growth.kpi.advocates"), ui.number(ctx, len(advocacy)),
       help=ctx.t("growth.kpi.advocates_help"))
gap = None
if category_churn is not None:
    rates = dict(zip(category_churn["category"], category_churn["churn_rate"]))
    if rates.get("promoter") is not None and rates.get("detractor") is not None:
        gap = ctx.t("growth.kpi.churn_gap_value", promoter=ui.pct(ctx, rates["promoter"], decimals=0),
                    detractor=ui.pct(ctx, rates["detractor"], decimals=0))
ui.kpi(tiles[3], ctx.t("growth.kpi.churn_gap"), gap or ctx.t("common.na"), help=ctx.t("growth.kpi.churn_gap_help"))
if not lists["health_available"]:
    ui.unavailable(ctx, "growth.no_health")

# Expansion ---------------------------------------------------------------------------
st.subheader(ctx.t("growth.expansion_title"))
if not ctx.ws.has("usage"):
    ui.requires(ctx, ["usage"])
elif expansion.empty:
    ui.unavailable(ctx, "growth.no_expansion")
else:
    def expansion_rows(rows: pd.DataFrame) -> pd.DataFrame:
        shown = rows[["account_name", "owner", "arr", "utilisation", "usage_change", "expansion_arr",
                      "method", "evidence"]].copy()
        shown["utilisation"] = pd.to_numeric(shown["utilisation"], errors="coerce") * 100
        shown["usage_change"] = pd.to_numeric(shown["usage_change"], errors="coerce") * 100
        shown["expansion_arr"] = pd.to_numeric(shown["expansion_arr"], errors="coerce").round(0)
        methods = {m: ctx.t(f"growth.method.{m}") for m in ("seats", "typical")}
        shown["method"] = shown["method"].map(methods).fillna(ctx.t("common.na"))
        if ctx.hide_money:
            shown = shown.drop(columns=["arr", "expansion_arr"])
        return shown.rename(columns={c: ctx.t(f"growth.col.{c}") for c in shown.columns})

    shown = expansion_rows(expansion.head(ui.TOP_ROWS))  # largest estimate first
    headers = {c: ctx.t(f"growth.col.{c}") for c in ("arr", "utilisation", "usage_change", "expansion_arr",
                                                      "evidence")}
    pct = st.column_config.NumberColumn(format="%.0f%%")
    money = st.column_config.NumberColumn(format="localized")
    config = {headers["utilisation"]: pct, headers["usage_change"]: pct,
              headers["evidence"]: st.column_config.TextColumn(width="large")}
    config.update({headers[c]: money for c in ("arr", "expansion_arr") if headers[c] in shown.columns})
    ui.table(ctx, shown, key="growth_expansion", column_config=config, height=380)
    ui.more_rows(ctx, expansion, expansion_rows, f"expansion_{lists['as_of'].strftime('%Y%m')}.csv", "growth_expansion_csv")
    st.caption(ctx.t("growth.expansion_help"))

# Advocacy ----------------------------------------------------------------------------
st.subheader(ctx.t("growth.advocacy_title"))
if not ctx.ws.has("nps"):
    ui.requires(ctx, ["nps"])
elif advocacy.empty:
    ui.unavailable(ctx, "growth.no_advocates")
else:
    asks = [a for a in ("reference", "testimonial", "referral") if a in set(advocacy["ask"])]
    chosen = st.multiselect(ctx.t("growth.filter_ask"), asks, default=asks, key="growth_filter_ask",
                            format_func=lambda a: ctx.t(f"growth.ask.{a}"))
    picked = advocacy[advocacy["ask"].isin(chosen)]
    counts = advocacy["ask"].value_counts()
    st.caption(" · ".join(ctx.t("growth.ask_count", ask=ctx.t(f"growth.ask.{a}"), n=ui.number(ctx, counts[a]))
                          for a in asks))

    def advocacy_rows(rows: pd.DataFrame) -> pd.DataFrame:
        shown = rows[["account_name", "owner", "arr", "nps_score", "nps_date", "tenure_months", "ask",
                      "comment"]].copy()
        shown["ask"] = shown["ask"].map({a: ctx.t(f"growth.ask.{a}") for a in ("reference", "testimonial",
                                                                                 "referral")})
        shown["nps_date"] = pd.to_datetime(shown["nps_date"]).dt.date
        if ctx.hide_money:
            shown = shown.drop(columns=["arr"])
        return shown.rename(columns={c: ctx.t(f"growth.col.{c}") for c in shown.columns})

    shown = advocacy_rows(picked.head(ui.TOP_ROWS))  # best scores, then largest ARR, first
    config = {ctx.t("growth.col.comment"): st.column_config.TextColumn(width="large")}
    if not ctx.hide_money:
        config[ctx.t("growth.col.arr")] = st.column_config.NumberColumn(format="localized")
    ui.table(ctx, shown, key="growth_advocacy", column_config=config, height=380)
    ui.more_rows(ctx, picked, advocacy_rows, f"advocacy_{lists['as_of'].strftime('%Y%m')}.csv", "growth_advocacy_csv")
    st.caption(ctx.t("growth.advocacy_help"))

# Voice of the customer -----------------------------------------------------------------
st.subheader(ctx.t("growth.voice_title"))
if not ctx.ws.has("nps"):
    ui.requires(ctx, ["nps"])
    st.stop()
trend = ui.cached(ctx, growth.nps_trend, scope=ctx.scope)
left, right = st.columns(2)
with left:
    st.markdown(f"**{ctx.t('growth.nps_trend_title')}**")
    if trend.empty:
        ui.unavailable(ctx, "growth.no_nps")
    else:
        ui.chart(ctx, charts.nps_trend_chart(trend, ctx.lang), key="growth_nps_trend")
        st.caption(ctx.t("growth.nps_trend_help"))
with right:
    st.markdown(f"**{ctx.t('growth.churn_by_category_title')}**")
    if category_churn is None or category_churn["churn_rate"].isna().all():
        ui.unavailable(ctx, "growth.no_category_churn")
    else:
        ui.chart(ctx, charts.churn_by_category_chart(category_churn, ctx.lang), key="growth_category_churn")
        start = category_churn["start_month"].iloc[0]
        st.caption(ctx.t("growth.churn_by_category_help", start=start.strftime("%Y-%m"),
                         end=lists["as_of"].strftime("%Y-%m")))
