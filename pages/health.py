"""Health: which accounts are healthy, which are slipping, and can we trust the score?"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from cs_metrics import health, lifecycle
from cs_metrics.charts import health as charts
from cs_metrics.export import to_csv_bytes

ctx = ui.page_context()
ui.title(ctx, "health.title", "health.question")
if not ui.requires(ctx, ["mrr|subscriptions|accounts"]):
    st.stop()

inputs = ui.cached(ctx, health.health_inputs)
if not inputs.components:
    ui.unavailable(ctx, "health.no_inputs")
    st.stop()
components = ui.cached(ctx, health.component_scores, scope=ctx.scope)
if components.empty:
    ui.unavailable(ctx, "health.no_rows")
    st.stop()

saved = health.health_settings(ctx.con)
state = st.session_state
WEIGHT_KEYS = {c: f"health_w_{c}" for c in health.COMPONENTS}


def load_saved_into_widgets() -> None:
    current = health.health_settings(ctx.con)
    for comp, key in WEIGHT_KEYS.items():
        state[key] = int(round(current["weights"][comp]))
    state["health_bands"] = (int(round(current["bands"]["red"])), int(round(current["bands"]["green"])))


# Widgets follow the workspace they were loaded from; another workspace loads its own.
workspace_id = str(ctx.ws.path or id(ctx.ws))
if state.get("health_widgets_for") != workspace_id or any(k not in state for k in WEIGHT_KEYS.values()):
    load_saved_into_widgets()
    state["health_widgets_for"] = workspace_id
state.setdefault("health_horizon", health.DEFAULT_HORIZON)


def save_settings() -> None:
    weights = {c: state[k] for c, k in WEIGHT_KEYS.items()}
    if sum(weights.values()) <= 0:
        return
    red, green = state["health_bands"]
    ctx.ws.set_setting("health.weights", weights)
    ctx.ws.set_setting("health.bands", {"green": green, "red": red})
    state["health_notice"] = "health.saved"


def reset_weights() -> None:
    for comp, key in WEIGHT_KEYS.items():
        state[key] = int(health.DEFAULT_WEIGHTS[comp])


def adopt(weights: dict[str, int]) -> None:
    for comp, key in WEIGHT_KEYS.items():
        state[key] = int(weights.get(comp, 0))
    ctx.ws.set_setting("health.weights", {c: int(weights.get(c, 0)) for c in health.COMPONENTS})
    state["health_notice"] = "health.adopted"


def rule_text(comp: str) -> str:
    if comp == "northstar":
        return ctx.t("health.rule.northstar", column=inputs.northstar or ctx.t("common.na"))
    if comp == "csat":
        low, high = inputs.csat_scale or (0, 1)
        return ctx.t("health.rule.csat", low=f"{low:g}", high=f"{high:g}")
    if comp == "payment":
        return ctx.t("health.rule.payment", column=inputs.payment_column or ctx.t("common.na"))
    return ctx.t(f"health.rule.{comp}")


with st.expander(ctx.t("health.model"), expanded=not ctx.presenter, icon=":material/tune:"):
    st.caption(ctx.t("health.model_help"))
    total = sum(state[k] for c, k in WEIGHT_KEYS.items() if c in inputs.components) or 1
    grid = st.columns(3)
    for i, comp in enumerate(health.COMPONENTS):
        with grid[i % 3]:
            st.slider(charts.component_label(comp, ctx.lang), 0, 100, step=1, key=WEIGHT_KEYS[comp],
                      help=rule_text(comp))
            if comp in inputs.components:
                st.caption(ctx.t("health.weight_share", share=ui.pct(ctx, state[WEIGHT_KEYS[comp]] / total, 0)))
            else:
                st.caption(f":grey[{ctx.t('health.no_data_for')}]")
    left, right = st.columns(2)
    left.slider(ctx.t("health.bands"), 0, 100, step=1, key="health_bands", help=ctx.t("health.bands_help"))
    right.number_input(ctx.t("health.horizon"), min_value=1, max_value=12, step=1, key="health_horizon",
                       help=ctx.t("health.horizon_help"))
    b1, b2, _ = st.columns([3, 2, 2])
    b1.button(ctx.t("health.save"), on_click=save_settings, key="health_save", icon=":material/save:")
    b2.button(ctx.t("health.reset"), on_click=reset_weights, key="health_reset")

if state.get("health_notice"):
    st.success(ctx.t(state.pop("health_notice")), icon=":material/check_circle:")

weights = {c: state[k] for c, k in WEIGHT_KEYS.items()}
red_at, green_at = state["health_bands"]
bands = {"green": float(green_at), "red": float(red_at)}
if sum(weights.values()) <= 0:
    st.warning(ctx.t("health.all_zero"), icon=":material/warning:")
    st.stop()
if weights != {c: int(round(v)) for c, v in saved["weights"].items()} or bands != saved["bands"]:
    st.caption(f":orange[{ctx.t('health.unsaved')}]")
horizon = int(state["health_horizon"])

scored = health.apply_weights(components, weights, bands)
summary = health.summarise(scored)
month_text = summary["month"].strftime("%Y-%m") if summary["month"] is not None else ctx.t("common.na")
result = health.backtest(scored, horizon)

st.subheader(ctx.t("health.as_of", month=month_text))
tiles = st.columns(3) + st.columns(3)
for col, band in zip(tiles, health.BANDS):
    ui.kpi(col, ctx.t("health.tile_band", band=ctx.t(f"band.{band}")), ui.number(ctx, summary["health"][band]),
           help=ctx.t("health.tile_band_help", month=month_text, band=ctx.t(f"band.{band}")))
ui.kpi(tiles[3], ctx.t("health.tile_unscored"), ui.number(ctx, summary["health"]["unscored"]),
       help=ctx.t("health.tile_unscored_help"))
ui.kpi(tiles[4], ctx.t("health.arr_at_risk"), ui.money(ctx, summary["arr_at_risk"]),
       help=ctx.t("health.arr_at_risk_help", month=month_text))
ui.kpi(tiles[5], ctx.t("health.tile_auc"), ui.number(ctx, result.auc, decimals=2),
       help=ctx.t("health.tile_auc_help", n=horizon))

value_options = ["accounts"] if ctx.hide_money else ["accounts", "arr"]
mix_value = st.segmented_control(ctx.t("health.mix_measure"), value_options, key="health_mix_value",
                                 default="accounts", format_func=lambda v: ctx.t(f"health.by_{v}"))
ui.chart(ctx, charts.state_mix_chart(lifecycle.state_mix(scored, "band"), ctx.lang, mix_value or "accounts"),
         key="health_mix")

st.subheader(ctx.t("health.trust_title"))
need = horizon + 3
if result.judgeable:
    rates = result.band_rates.set_index("band")["churn_rate"]
    common = {"n": horizon, "auc": ui.number(ctx, result.auc, decimals=2), "events": ui.number(ctx, result.events),
              "months": ui.number(ctx, result.labelled_months)}
    if result.lift is not None:
        sentence = ctx.t("health.sentence", lift=ui.number(ctx, result.lift, decimals=1 if result.lift < 10 else 0),
                         **common)
    elif rates.get("green") == 0 and rates.get("red") is not None and not pd.isna(rates.get("red")):
        sentence = ctx.t("health.sentence_no_green_churn", red_rate=ui.pct(ctx, rates["red"]), **common)
    else:
        sentence = ctx.t("health.sentence_auc", **common)
    st.markdown(f"#### {sentence}")
elif result.reason == "short_history":
    ui.unavailable(ctx, "health.short_history", need=need, have=result.months)
elif result.reason == "few_events":
    ui.unavailable(ctx, "health.few_events", events=result.events, need=health.MIN_CHURN_EVENTS)
else:
    ui.unavailable(ctx, "health.no_scores")
if result.account_months:
    left, right = st.columns(2)
    with left:
        ui.chart(ctx, charts.band_churn_chart(result.band_rates, horizon, ctx.lang), key="health_band_churn")
    with right:
        ui.chart(ctx, charts.auc_chart(result.auc_by_month, ctx.lang), key="health_auc")

st.subheader(ctx.t("health.fit_title"))
fit = ui.cached(ctx, health.suggest_weights, scope=ctx.scope, horizon=horizon)
if fit.judgeable:
    before = health.holdout_auc(components, weights, fit)
    fmt = "%Y-%m"
    st.caption(ctx.t("health.fit_help", n=horizon, train_start=fit.train_months[0].strftime(fmt),
                     train_end=fit.train_months[1].strftime(fmt), test_start=fit.test_months[0].strftime(fmt),
                     test_end=fit.test_months[1].strftime(fmt)))
    st.markdown(ctx.t("health.fit_auc", before=ui.number(ctx, before, decimals=3),
                      after=ui.number(ctx, fit.auc_after, decimals=3)))
    shown = {c: w for c, w in weights.items() if c in inputs.components or w}
    fitted = {c: fit.weights.get(c, 0) for c in shown}
    ui.chart(ctx, charts.weights_chart(shown, fitted, ctx.lang), key="health_weights")
    st.button(ctx.t("health.adopt"), on_click=adopt, args=(fit.weights,), key="health_adopt",
              type="primary", icon=":material/check:")
else:
    ui.unavailable(ctx, f"health.fit_{fit.reason}")

st.subheader(ctx.t("health.accounts_title"))
table = health.account_health(ctx.con, scored, scope=ctx.scope)
present = [c for c in health.COMPONENTS if c in inputs.components]


def band_text(series: pd.Series) -> pd.Series:
    return series.map(lambda b: ctx.t(f"band.{b}") if isinstance(b, str) else ctx.t("band.unscored"))


chosen = st.multiselect(ctx.t("health.band_filter"), [*health.BANDS, "unscored"], key="health_band_filter",
                        format_func=lambda b: ctx.t(f"band.{b}"))
view = table
if chosen:
    view = table[table["band"].fillna("unscored").isin(chosen)]
name_col = "account_name" if "account_name" in view else "account_id"
labels = [c for c in ("segment", "owner") if c in view]
display = pd.DataFrame({name_col: view[name_col]})
for col in labels:
    display[col] = view[col]
if not ctx.hide_money:
    display["arr"] = view["arr"]
display[ctx.t("health.col.score")] = view["score"]
display[ctx.t("health.col.band")] = band_text(view["band"])
display[ctx.t("health.col.coverage")] = view["coverage"]
display[ctx.t("health.col.manual")] = view["manual_health"].map(
    lambda b: ctx.t(f"band.{b}") if isinstance(b, str) else "")
display[ctx.t("health.col.disagrees")] = view["disagrees"]
for comp in present:
    display[charts.component_label(comp, ctx.lang)] = view[comp]
config = {
    ctx.t("health.col.score"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f"),
    ctx.t("health.col.coverage"): st.column_config.NumberColumn(format="percent"),
    "arr": st.column_config.NumberColumn(format="localized"),
    **{charts.component_label(c, ctx.lang): st.column_config.NumberColumn(format="%.0f") for c in present},
}
ui.table(ctx, display, key="health_accounts", column_config=config, height=420)
ui.download_bytes(ctx, "health.download_scores", lambda: to_csv_bytes(display), "health_scores.csv", "text/csv",
                  key="health_scores_csv")

st.subheader(ctx.t("health.disagree_title"))
with_manual = table["manual_health"].notna()
if not with_manual.any():
    ui.unavailable(ctx, "health.no_manual")
else:
    differ = health.disagreements(table)
    st.caption(ctx.t("health.disagree_count", n=ui.number(ctx, len(differ)), total=ui.number(ctx, int(with_manual.sum()))))
    if len(differ):
        listing = pd.DataFrame({name_col: differ[name_col],
                                ctx.t("health.col.manual"): band_text(differ["manual_health"]),
                                ctx.t("health.col.band"): band_text(differ["band"]),
                                ctx.t("health.col.score"): differ["score"].round(0)})
        if not ctx.hide_money:
            listing.insert(1, "arr", differ["arr"])
        ui.table(ctx, listing, key="health_disagreements")

st.subheader(ctx.t("health.explain_title"))
options = table["account_id"].tolist()
names = dict(zip(table["account_id"], table[name_col].astype("string").fillna(table["account_id"])))
pick = st.selectbox(ctx.t("health.explain_pick"), options, key="health_explain_account",
                    format_func=lambda a: str(names.get(a, a)))
if pick is not None:
    row = table[table["account_id"] == pick].iloc[0]
    why = health.explain(row.to_dict(), weights, bands)
    if why.score is None:
        ui.unavailable(ctx, "health.explain_unscored")
    else:
        st.markdown(ctx.t("health.explain_score", account=names.get(pick, pick), score=ui.number(ctx, why.score),
                          band=ctx.t(f"band.{why.band}"), coverage=ui.pct(ctx, why.coverage, 0)))
        if why.weakest:
            weakest = why.contributions.set_index("component").loc[why.weakest]
            st.markdown(ctx.t("health.explain_weakest", component=charts.component_label(why.weakest, ctx.lang),
                              score=ui.number(ctx, weakest["score"]), lost=ui.number(ctx, weakest["lost"], 1)))
        if why.already_green:
            st.markdown(ctx.t("health.explain_green"))
        elif why.to_green:
            st.markdown(ctx.t("health.explain_to_green",
                              component=charts.component_label(why.to_green["component"], ctx.lang),
                              start=ui.number(ctx, why.to_green["from"]), end=ui.number(ctx, why.to_green["to"])))
        else:
            st.markdown(ctx.t("health.explain_no_path"))
        ui.chart(ctx, charts.contributions_chart(why.contributions, ctx.lang), key="health_explain_chart")
