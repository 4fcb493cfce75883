"""Retention: where does our revenue leak?

KPI tiles for the chosen window, the ARR bridge, monthly MRR movements (click a bar for its
accounts), the GRR/NRR trend, cohort heatmaps (click a cell for its accounts) and
survival curves by segment. Every number comes from cs_metrics.revenue / cohorts /
survival / voice; this page only lays them out.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

import ui
from cs_metrics import cohorts, formatting, revenue, survival, voice
from cs_metrics.charts import revenue as charts
from cs_metrics.scope import categorical_columns

TREND_MONTHS = 24  # the trend chart shows the last two years of monthly windows

ctx = ui.page_context()
ui.title(ctx, "retention.title", "retention.question")
if not ui.requires(ctx, ["mrr|subscriptions"]):
    st.stop()

months = ui.cached(ctx, revenue.revenue_months)
if not months:
    ui.unavailable(ctx, "retention.no_revenue_data")
    st.stop()

state = st.session_state
if state.get("retention_as_of") not in months:
    state["retention_as_of"] = months[-1]
split_choices: list[str | None] = [None]
if ctx.ws.has("accounts"):
    split_choices += ui.cached(ctx, categorical_columns)
if state.get("retention_split", "") not in split_choices:
    state["retention_split"] = "segment" if "segment" in split_choices else None


def window_label(n: int) -> str:
    if n == revenue.DEFAULT_WINDOW:
        return ctx.t("retention.window_default", n=n)
    return ctx.t("retention.window_variant_one" if n == 1 else "retention.window_variant", n=n)


left, middle, right = st.columns([1, 2, 1.4])
as_of = left.selectbox(ctx.t("retention.as_of"), list(reversed(months)), key="retention_as_of",
                       help=ctx.t("retention.as_of_help"))
window = middle.radio(ctx.t("retention.window"), revenue.WINDOW_CHOICES, key="retention_window",
                      index=revenue.WINDOW_CHOICES.index(revenue.DEFAULT_WINDOW), horizontal=True,
                      format_func=window_label, help=ctx.t("retention.window_help"))
split_by = right.selectbox(ctx.t("retention.split_by"), split_choices, key="retention_split",
                           format_func=lambda c: ui.column_label(ctx, c) if c else ctx.t("retention.split_none"))

b = revenue.month_index(as_of)
current = ui.cached(ctx, revenue.window_retention, as_of=as_of, window_months=window, scope=ctx.scope)
previous = ui.cached(ctx, revenue.window_retention, as_of=revenue.month_label(b - window),
                     window_months=window, scope=ctx.scope)
mrr_now = current.mrr_end if current.covered else ui.cached(ctx, revenue.mrr_at, as_of, ctx.scope)[0]
window_text = ctx.t("retention.window_span", start=current.start, end=current.end)
if window != revenue.DEFAULT_WINDOW:
    window_text += ". " + ctx.t("retention.window_variant_note", n=window)
if not current.covered:
    ui.unavailable(ctx, "retention.no_window", n=window, end=current.end, first=months[0])


def figure(result: Any, name: str) -> float | None:
    return getattr(result, name) if result is not None and result.covered else None


def pp_delta(name: str) -> str | None:
    now, before = figure(current, name), figure(previous, name)
    if now is None or before is None:
        return None
    return ctx.t("retention.delta_pp", value=f"{(now - before) * 100:+.1f}")


def ratio_delta(name: str) -> str | None:
    now, before = figure(current, name), figure(previous, name)
    if now is None or before is None:
        return None
    return ctx.t("retention.delta_ratio", value=f"{now - before:+.2f}")


def index_of(now: float | None, start: float | None) -> float | None:
    return 100.0 * now / start if now is not None and start else None


tiles = st.columns(5)
ui.kpi(tiles[0], ctx.t("retention.kpi.grr"), ui.pct(ctx, figure(current, "grr")), delta=pp_delta("grr"),
       help=ctx.t("retention.help.grr", window=window_text))
ui.kpi(tiles[1], ctx.t("retention.kpi.nrr"), ui.pct(ctx, figure(current, "nrr")), delta=pp_delta("nrr"),
       help=ctx.t("retention.help.nrr", window=window_text))
ui.kpi(tiles[2], ctx.t("retention.kpi.logo_retention"), ui.pct(ctx, figure(current, "logo_retention")),
       delta=pp_delta("logo_retention"), help=ctx.t("retention.help.logo_retention", window=window_text))
ui.kpi(tiles[3], ctx.t("retention.kpi.quick_ratio"), formatting.ratio(figure(current, "quick_ratio"), ctx.lang),
       delta=ratio_delta("quick_ratio"), help=ctx.t("retention.help.quick_ratio", window=window_text))
mrr_start = figure(current, "mrr_start")
growth = figure(current, "mrr_growth")
growth_delta = ctx.t("retention.delta_pct", value=ui.pct(ctx, growth, signed=True)) if growth is not None else None
if ctx.hide_money:
    ui.kpi(tiles[4], ctx.t("retention.kpi.mrr_index"), ui.number(ctx, index_of(mrr_now, mrr_start), 1),
           delta=growth_delta, help=ctx.t("retention.help.mrr_index", window=window_text))
else:
    ui.kpi(tiles[4], ctx.t("retention.kpi.mrr"), ui.money(ctx, mrr_now), delta=growth_delta,
           help=ctx.t("retention.help.mrr", window=window_text))

arpa_now = figure(current, "arpa_end") if current.covered else ui.cached(ctx, revenue.arpa, as_of, ctx.scope)
arpa_start = figure(current, "arpa_start")
commit = ui.cached(ctx, revenue.cmrr, as_of, ctx.scope)
renewals = ui.cached(ctx, revenue.renewal_rate, as_of=as_of, window_months=window, scope=ctx.scope)
moves = ui.cached(ctx, revenue.movements, scope=ctx.scope, as_of=as_of)
churn_rates = revenue.churn_rates(moves)
latest_churn = (churn_rates.iloc[-1] if not churn_rates.empty
                and churn_rates["month"].iloc[-1].strftime("%Y-%m") == as_of else None)
promoters = ui.cached(ctx, voice.nps_summary, start=revenue.month_label(b - window + 1), end=as_of,
                      scope=ctx.scope)

more = st.columns(5)
if ctx.hide_money:
    ui.kpi(more[0], ctx.t("retention.kpi.arpa_index"), ui.number(ctx, index_of(arpa_now, arpa_start), 1),
           help=ctx.t("retention.help.arpa_index"))
    share = commit["cmrr"] / commit["mrr"] if commit and commit["mrr"] else None
    ui.kpi(more[1], ctx.t("retention.kpi.cmrr_share"), ui.pct(ctx, share), help=ctx.t("retention.help.cmrr"))
else:
    ui.kpi(more[0], ctx.t("retention.kpi.arpa"), ui.money(ctx, arpa_now, short=False),
           help=ctx.t("retention.help.arpa"))
    ui.kpi(more[1], ctx.t("retention.kpi.cmrr"), ui.money(ctx, commit["cmrr"] if commit else None),
           help=ctx.t("retention.help.cmrr"))
ui.kpi(more[2], ctx.t("retention.kpi.renewal_rate"), ui.pct(ctx, renewals["logo"] if renewals else None),
       help=ctx.t("retention.help.renewal_rate", window=window_text,
                  arr=ui.pct(ctx, renewals["arr"] if renewals else None)))
ui.kpi(more[3], ctx.t("retention.kpi.logo_churn_monthly"),
       ui.pct(ctx, latest_churn["logo_churn_annualised"] if latest_churn is not None else None),
       help=ctx.t("retention.help.logo_churn_monthly",
                  monthly=ui.pct(ctx, latest_churn["logo_churn"] if latest_churn is not None else None, 2)))
ui.kpi(more[4], ctx.t("retention.kpi.nps"), ui.number(ctx, promoters["nps"] if promoters else None, 1),
       help=ctx.t("retention.help.nps", window=window_text, responses=promoters["responses"] if promoters else 0))

if figure(previous, "grr") is not None or growth is not None:
    st.caption(ctx.t("retention.delta_note", start=previous.start, end=previous.end))


def selected(event: Any, name: str) -> dict | None:
    """The first point clicked in selection ``name`` of an ``st.altair_chart`` event."""
    if not event:
        return None
    chosen = (event.get("selection") or {}).get(name) if hasattr(event, "get") else None
    if isinstance(chosen, list) and chosen:
        return chosen[0]
    return None


def money_column(label_key: str) -> str:
    return f"{ctx.t(label_key)} ({formatting.currency_symbol(ctx.currency)})"


# ARR bridge ---------------------------------------------------------------------------------
if current.covered:
    st.subheader(ctx.t("retention.bridge.title"))
    st.caption(ctx.t("retention.bridge.caption_hidden" if ctx.hide_money else "retention.bridge.caption"))
    bridge = revenue.bridge_frame(current)
    ui.chart(ctx, charts.bridge_chart(bridge, ctx.lang, ctx.currency, current.start, current.end,
                                      as_share=ctx.hide_money), key="retention_bridge")

# Movements by month ---------------------------------------------------------------------------
if not moves.empty:
    st.subheader(ctx.t("retention.movements.title"))
    st.caption(ctx.t("retention.movements.caption_hidden" if ctx.hide_money else "retention.movements.caption"))
    event = ui.chart(ctx, charts.movements_chart(moves, ctx.lang, ctx.currency, as_share=ctx.hide_money),
                     key="retention_movements", on_select="rerun")
    point = selected(event, charts.MOVEMENT_PICK)
    if point and point.get("month") and point.get("movement") in revenue.MOVEMENTS:
        movers = ui.cached(ctx, revenue.account_movements, point["month"], point["movement"], ctx.scope)
        st.markdown("**" + ctx.t("retention.movements.accounts",
                                 movement=charts.movement_label(point["movement"], ctx.lang),
                                 month=point["month"], n=f"{len(movers):,}") + "**")
        shown = movers.assign(movement=movers["movement"].map(lambda m: charts.movement_label(m, ctx.lang)))
        money_cols = {"mrr_before": money_column("retention.col.mrr_before"),
                      "mrr_after": money_column("retention.col.mrr_after"),
                      "amount": money_column("retention.col.amount")}
        if ctx.hide_money:
            shown = shown.drop(columns=list(money_cols))
            money_cols = {}
        shown = shown.rename(columns={"movement": ctx.t("retention.col.movement"),
                                      "relative_change": ctx.t("retention.col.relative_change"), **money_cols})
        config = {name: st.column_config.NumberColumn(format="localized") for name in money_cols.values()}
        config[ctx.t("retention.col.relative_change")] = st.column_config.NumberColumn(format="percent")
        ui.table(ctx, shown, key="retention_movers", column_config=config, height=320)
    else:
        st.caption(ctx.t("retention.movements.pick"))

# GRR / NRR trend ------------------------------------------------------------------------------
series = ui.cached(ctx, revenue.retention_series, window_months=window, as_of=as_of, scope=ctx.scope,
                   start=revenue.month_label(b - TREND_MONTHS + 1))
if series["grr"].notna().any():
    st.subheader(ctx.t("retention.trend.title"))
    st.caption(ctx.t("retention.trend.caption", n=window))
    ui.chart(ctx, charts.retention_trend_chart(series, ctx.lang), key="retention_trend")

# Cohorts ----------------------------------------------------------------------------------------
st.subheader(ctx.t("retention.cohorts.title"))
st.caption(ctx.t("retention.cohorts.caption"))
matrices = ui.cached(ctx, cohorts.cohort_matrices, as_of=as_of, scope=ctx.scope)
for tab, measure in zip(st.tabs([ctx.t("retention.cohorts.logo"), ctx.t("retention.cohorts.revenue")]),
                        cohorts.MEASURES):
    with tab:
        matrix = matrices[measure]
        if matrix.cells.empty:
            ui.unavailable(ctx, "retention.scope_empty")
            continue
        event = ui.chart(ctx, charts.cohort_heatmap(matrix.cells, matrix.average, ctx.lang),
                         key=f"retention_cohorts_{measure}", on_select="rerun")
        cell = selected(event, charts.COHORT_PICK)
        label = (cell or {}).get("cohort_label")
        if not cell or label is None or label == ctx.t("retention.cohorts.average"):
            st.caption(ctx.t("retention.cohorts.pick"))
            continue
        age = int(cell.get("age", 0))
        members = ui.cached(ctx, cohorts.cohort_accounts, label, age, ctx.scope)
        st.markdown("**" + ctx.t("retention.cohorts.accounts", cohort=label, age=age,
                                 kept=f"{int(members['retained'].sum()):,}", n=f"{len(members):,}") + "**")
        money_cols = {"mrr_start": money_column("retention.col.mrr_start"),
                      "mrr_at_age": money_column("retention.col.mrr_at_age")}
        shown = members
        if ctx.hide_money:
            shown = shown.drop(columns=list(money_cols))
            money_cols = {}
        shown = shown.rename(columns={"retained": ctx.t("retention.col.retained"),
                                      "net_retention": ctx.t("retention.col.net_retention"), **money_cols})
        config = {name: st.column_config.NumberColumn(format="localized") for name in money_cols.values()}
        config[ctx.t("retention.col.net_retention")] = st.column_config.NumberColumn(format="percent")
        ui.table(ctx, shown, key=f"retention_cohort_accounts_{measure}", column_config=config, height=320)

# Survival -----------------------------------------------------------------------------------------
st.subheader(ctx.t("retention.survival.title"))
fit = ui.cached(ctx, survival.kaplan_meier, by=split_by, as_of=as_of, scope=ctx.scope)
st.caption(ctx.t("retention.survival.caption", level=ui.pct(ctx, 1 - fit.alpha, decimals=0)))
if fit.curves.empty:
    ui.unavailable(ctx, "retention.scope_empty")
    st.stop()


def group_name(group: Any) -> str:
    if group is None or (isinstance(group, float) and pd.isna(group)):
        return ctx.t("retention.survival.blank")
    return ctx.t("retention.survival.all") if group == survival.ALL else str(group)


names = {g: group_name(g) for g in fit.summary["group"]}
ui.chart(ctx, charts.survival_chart(fit.curves, ctx.lang, names), key="retention_survival")
if fit.left_out:
    st.caption(ctx.t("retention.survival.left_out", groups=", ".join(fit.left_out)))


def months_text(value: float | None) -> str:
    return ctx.t("retention.survival.not_reached") if pd.isna(value) else ui.number(ctx, value)


def interval_text(median: float | None, low: float | None, high: float | None) -> str:
    if pd.isna(median):
        return ctx.t("common.na")
    return " – ".join("…" if pd.isna(v) else ui.number(ctx, v) for v in (low, high))


summary = pd.DataFrame({
    ctx.t("retention.col.group"): [names[g] for g in fit.summary["group"]],
    ctx.t("retention.col.accounts"): fit.summary["accounts"],
    ctx.t("retention.col.churned"): fit.summary["churned"],
    ctx.t("retention.col.median"): [months_text(v) for v in fit.summary["median"]],
    ctx.t("retention.col.median_ci"): [
        interval_text(m, lo, hi)
        for m, lo, hi in zip(fit.summary["median"], fit.summary["median_lower"], fit.summary["median_upper"])],
    ctx.t("retention.col.survival_12"): [ui.pct(ctx, v) for v in fit.summary["survival_12"]],
    ctx.t("retention.col.survival_24"): [ui.pct(ctx, v) for v in fit.summary["survival_24"]],
})
ui.table(ctx, summary, key="retention_survival_table", fold_in_presenter=False)

groups = [g for g in fit.summary["group"] if g is not None and g != survival.ALL]
if split_by and len(groups) >= 2:
    st.markdown("**" + ctx.t("retention.survival.compare") + "**")
    first_col, second_col = st.columns(2)
    for widget_key in (f"retention_lr_a_{split_by}", f"retention_lr_b_{split_by}"):
        if state.get(widget_key) not in groups:
            state.pop(widget_key, None)
    if state.get(f"retention_lr_b_{split_by}") == state.get(f"retention_lr_a_{split_by}"):
        state.pop(f"retention_lr_b_{split_by}", None)
    first = first_col.selectbox(ctx.t("retention.survival.first"), groups, index=0,
                                key=f"retention_lr_a_{split_by}")
    second = second_col.selectbox(ctx.t("retention.survival.second"), [g for g in groups if g != first],
                                  index=0, key=f"retention_lr_b_{split_by}")
    test = fit.logrank((first, second))
    if test is None:
        st.caption(ctx.t("retention.survival.no_test"))
    else:
        p_text = "p < 0.001" if test["p_value"] < 0.001 else f"p = {test['p_value']:.3f}"
        key = "retention.survival.differ" if test["p_value"] < 0.05 else "retention.survival.same"
        st.markdown(ctx.t(key, a=first, b=second, chi2=f"{test['chi2']:,.1f}", p=p_text))
