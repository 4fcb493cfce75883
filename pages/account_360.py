"""Account 360: how is this customer doing, and can we prove our value?"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from cs_metrics import account, deck, northstar, workbook
from cs_metrics.charts import account as charts
from cs_metrics.errors import PolarisError
from cs_metrics.i18n import has

# Up to this many accounts a plain select box lists them all; above it a search box asks
# DuckDB for the 50 best matches (ILIKE), so the page stays fast on 100k accounts.
SELECT_ALL_LIMIT = 2000

ctx = ui.page_context()
ui.title(ctx, "account.title", "account.question")
if not ui.requires(ctx, ["accounts"]):
    st.stop()


def measure_label(column: str | None) -> str:
    return northstar.measure_label(column, ctx.lang)


def account_label(row: dict) -> str:
    name = row.get("account_name")
    return f"{name} · {row['account_id']}" if isinstance(name, str) and name else str(row["account_id"])


def save_northstar() -> None:
    state = st.session_state
    try:
        config = northstar.make_config(
            ctx.con, state["ns_metric"], state.get("ns_counter") or None, state.get("ns_agg"),
            goal_metric=(state.get("ns_goal_metric") or "").strip() or None)
    except PolarisError as exc:
        state["ns_error"] = str(exc)
        return
    ctx.ws.set_setting(northstar.SETTING_KEY, config.to_setting())
    state["ns_notice"] = ctx.t("account.ns_saved")


def northstar_settings(config: northstar.NorthStarConfig | None, expanded: bool) -> None:
    measures = northstar.numeric_usage_columns(ctx.con)
    if not measures:
        return
    with st.expander(ctx.t("account.ns_settings"), expanded=expanded, icon=":material/star:"):
        metric = config.metric if config else (measures[-1] if len(measures) else None)
        left, mid, right = st.columns(3)
        left.selectbox(ctx.t("account.ns_metric"), measures, index=measures.index(metric),
                       format_func=measure_label, key="ns_metric")
        counters = [""] + measures
        mid.selectbox(ctx.t("account.ns_counter"), counters,
                      index=counters.index(config.counter) if config and config.counter else 0,
                      format_func=lambda c: measure_label(c) if c else ctx.t("common.none"),
                      help=ctx.t("account.ns_counter_help"), key="ns_counter")
        chosen = st.session_state.get("ns_metric", metric)
        default_agg = config.agg if config and config.metric == chosen else northstar.default_agg(chosen)
        right.radio(ctx.t("account.ns_agg"), northstar.AGGREGATIONS,
                    index=northstar.AGGREGATIONS.index(default_agg),
                    format_func=lambda a: ctx.t(f"account.ns_agg.{a}"), key="ns_agg")
        st.text_input(ctx.t("account.ns_goal_metric"), value=(config.goal_metric or "") if config else "",
                      help=ctx.t("account.ns_goal_metric_help"), key="ns_goal_metric")
        st.button(ctx.t("common.save"), on_click=save_northstar, key="ns_save", type="primary")
        for flag, show in (("ns_error", st.error), ("ns_notice", st.success)):
            if st.session_state.get(flag):
                show(st.session_state.pop(flag))


# Which account -------------------------------------------------------------------------------
total = ui.cached(ctx, account.account_count)
wanted = st.query_params.get("account")
if total <= SELECT_ALL_LIMIT:
    options = ui.cached(ctx, account.search_accounts, "", scope=ctx.scope, limit=SELECT_ALL_LIMIT)
else:
    text = st.text_input(ctx.t("account.search"), key="account_search", help=ctx.t("account.search_help"))
    options = ui.cached(ctx, account.search_accounts, text or "", scope=ctx.scope, limit=50)
    if text and options.empty:
        st.caption(ctx.t("account.no_match", text=text))
labels = {row["account_id"]: account_label(row) for row in options.to_dict("records")}
ids = list(labels)
if wanted and wanted not in labels:
    found = account.find_account(ctx.con, wanted)
    if len(found):
        ids.insert(0, wanted)
        labels[wanted] = account_label(found.iloc[0])
    else:
        st.warning(ctx.t("account.not_found", id=wanted), icon=":material/search_off:")
choice = st.selectbox(ctx.t("account.pick"), ids, index=ids.index(wanted) if wanted in ids else None,
                      format_func=lambda i: labels.get(i, i), key="account_pick",
                      placeholder=ctx.t("account.choose"))
if not choice:
    st.info(ctx.t("account.choose"), icon=":material/person_search:")
    st.stop()
if st.query_params.get("account") != choice:
    st.query_params["account"] = choice
if not ctx.scope.is_empty and choice not in set(options["account_id"]) and total <= SELECT_ALL_LIMIT:
    st.caption(ctx.t("account.outside_filter"))

peers = ui.cached(ctx, northstar.peer_medians)
csat_peers = ui.cached(ctx, account.segment_csat)
config = northstar.load_config(ctx.con)
# Up to ui.BIG_WORKSPACE accounts the page shares the whole-workspace health table with the
# other pages (cached once per data version); above it, the view scores the chosen account
# alone (its own rows against the medians of all accounts that the workspace keeps).
shared_health = ui.cached(ctx, account.health_table) if total <= ui.BIG_WORKSPACE else None
# Everything the view reads follows from the account, the language and the workspace's data.
view = ui.cached_as(ctx, repr((choice, ctx.lang, shared_health is not None)), account.account_view, choice,
                    peers=peers, health_scores=shared_health, lang=ctx.lang, csat_peers=csat_peers,
                    northstar_config=config)
if view is None:
    st.warning(ctx.t("account.not_found", id=choice))
    st.stop()
h = view.header
na = ctx.t("common.na")

# Header --------------------------------------------------------------------------------------
st.subheader(h.get("account_name") or h["account_id"])
status = h.get("status")
st.caption(ctx.t("account.subtitle", segment=h.get("segment") or na, owner=h.get("owner") or na,
                 plan=h.get("plan") or na,
                 status=ctx.t(f"status.{status}") if status and has(f"status.{status}") else (status or na))
           + " · " + ctx.t("account.as_of", as_of=h["as_of"]))
tiles = st.columns(4)
change = account.mrr_change(view.mrr)
if ctx.hide_money:
    index = view.mrr["index"].iloc[-1] if len(view.mrr) and view.mrr["index"].notna().any() else None
    ui.kpi(tiles[0], ctx.t("account.mrr_index"), ui.number(ctx, index), help=ctx.t("account.mrr_index_help"),
           delta=ui.pct(ctx, change, signed=True) if change is not None else None)
else:
    ui.kpi(tiles[0], ctx.t("account.arr"), ui.money(ctx, h.get("arr")), help=ctx.t("account.arr_help"),
           delta=ui.pct(ctx, change, signed=True) if change is not None else None)
tenure = h.get("tenure_months")
ui.kpi(tiles[1], ctx.t("account.tenure"), ctx.t("account.tenure_value", n=tenure) if tenure is not None else na,
       help=ctx.t("account.tenure_help"))
days = h.get("days_to_renewal")
when = None
if days is not None:
    when = ctx.t("account.renewal_days", days=days) if days >= 0 else ctx.t("account.renewal_ago", days=-days)
# The days to go are the headline; the date sits under them (a full date does not fit a
# quarter-width tile).
ui.note_kpi(tiles[2], ctx.t("account.renewal"), when or na, help=ctx.t("account.renewal_help", as_of=h["as_of"]),
            note=str(h["renewal_date"]) if h.get("renewal_date") else None)
health = view.health
if health:
    band = health.get("band")
    value = ui.number(ctx, health["score"]) + (f" · {ctx.t(f'band.{band}')}" if band else "")
    trend = health.get("trend")
    ui.kpi(tiles[3], ctx.t("account.health"), value, help=ctx.t("account.health_help"),
           delta=f"{trend:+.0f}" if trend is not None else None)
else:
    ui.kpi(tiles[3], ctx.t("account.health"), na, help=ctx.t("account.health_na"))
if h.get("manual_health"):
    st.caption(ctx.t("account.manual_health", band=ctx.t(f"band.{h['manual_health']}")
                     if has(f"band.{h['manual_health']}") else h["manual_health"]))

# Value: goals ---------------------------------------------------------------------------------
st.subheader(ctx.t("account.section.value"))
goals = view.goals
if goals.empty:
    ui.unavailable(ctx, "account.goals_none")
else:
    measurable = goals[goals["state"] != "unknown"]
    good = int(goals["state"].isin(["achieved", "on_track"]).sum())
    ui.kpi(st.columns(3)[0], ctx.t("account.goals_kpi"),
           f"{good} / {len(measurable)}" if len(measurable) else na, help=ctx.t("account.goals_kpi_help"))
    if goals["attainment"].notna().any():
        ui.chart(ctx, charts.goals_chart(goals, ctx.lang), key="account_goals")
    st.caption(ctx.t("account.goals_help"))
    shown = pd.DataFrame({
        "goal": goals["goal"], "metric": goals["metric"],
        "baseline": goals["baseline"], "current": goals["current"], "target": goals["target"],
        ctx.t("account.attainment"): goals["attainment"].map(lambda v: ui.pct(ctx, v, decimals=0)),
        ctx.t("account.elapsed"): goals["elapsed_share"].map(lambda v: ui.pct(ctx, v, decimals=0)),
        "due_date": goals["due_date"],
        "status": goals["state"].map(lambda s: ctx.t(f"account.state.{s}")),
    })
    ui.table(ctx, shown, key="account_goals_table")

# North Star ---------------------------------------------------------------------------------
st.subheader(ctx.t("account.section.northstar"))
if not ctx.ws.has("usage"):
    ui.unavailable(ctx, "account.ns_no_usage")
else:
    if config is None:
        ui.unavailable(ctx, "account.ns_unset")
    if not ctx.presenter:
        northstar_settings(config, expanded=config is None)
    ns = view.northstar
    if config is not None and ns is not None:
        history = ns["history"]
        if history.empty:
            ui.unavailable(ctx, "account.usage_none")
        else:
            label = measure_label(config.metric)
            tiles = st.columns(3)
            ui.kpi(tiles[0], ctx.t("account.ns_latest", metric=label, month=str(ns["latest_month"])[:7]),
                   ui.number(ctx, ns["latest"], decimals=1),
                   help=ctx.t("account.ns_latest_help", agg=ctx.t(f"account.ns_agg.{config.agg}")))
            yardstick = ns["target"] if ns["target"] is not None else ns["peer_median"]
            reach = None
            if ns["reaching"] is not None:
                reach = ctx.t("account.ns_reaching") if ns["reaching"] else ctx.t("account.ns_not_reaching")
            source_help = (ctx.t("account.ns_target_goal") if ns["target_source"] == "goal"
                           else ctx.t("account.ns_target_benchmark", segment=ns["segment"] or ctx.t("common.all")))
            ui.kpi(tiles[1], ctx.t("account.ns_target"), ui.number(ctx, yardstick, decimals=1),
                   help=source_help, delta=reach, delta_color="normal" if ns["reaching"] else "inverse")
            ratio = ns["latest"] / ns["peer_median"] if ns["latest"] is not None and ns["peer_median"] else None
            ui.kpi(tiles[2], ctx.t("account.ns_peer"),
                   ui.number(ctx, ns["peer_median"], decimals=1),
                   help=ctx.t("account.ns_peer_help", segment=ns["segment"] or ctx.t("common.all")),
                   delta=ctx.t("account.ns_vs_peer", pct=ui.pct(ctx, ratio, decimals=0)) if ratio else None,
                   delta_color="off")
            ui.chart(ctx, charts.northstar_chart(history, ctx.lang, label, ns["target"] is not None),
                     key="account_northstar")
            if config.counter and history["counter"].notna().any():
                st.caption(ctx.t("account.counter_latest", metric=measure_label(config.counter)))
                ui.chart(ctx, charts.counter_chart(history, ctx.lang, measure_label(config.counter)),
                         key="account_counter")

# Revenue ------------------------------------------------------------------------------------
if ctx.ws.has("mrr") or ctx.ws.has("subscriptions"):
    st.subheader(ctx.t("account.section.revenue"))
    if view.mrr.empty:
        ui.unavailable(ctx, "account.mrr_none")
    else:
        ui.chart(ctx, charts.mrr_chart(view.mrr, ctx.lang, indexed=ctx.hide_money, currency=ctx.currency),
                 key="account_mrr")

# Health -------------------------------------------------------------------------------------
st.subheader(ctx.t("account.section.health"))
if health:
    ui.chart(ctx, charts.health_chart(health["history"], ctx.lang), key="account_health")
    components = health.get("components")
    if components is not None and len(components):
        st.caption(ctx.t("account.components"))
        table = components.copy()
        table["component"] = table["component"].map(
            lambda c: ctx.t(f"health.component.{c}") if has(f"health.component.{c}") else measure_label(c))
        table = table.rename(columns={"component": ctx.t("account.component"),
                                      "score": ctx.t("account.component_score"),
                                      "weight": ctx.t("account.component_weight"),
                                      "points": ctx.t("account.component_points"),
                                      "lost": ctx.t("account.component_lost")})
        ui.table(ctx, table.round(2), key="account_health_components",
                 column_config={ctx.t("account.component"): st.column_config.TextColumn(width=280)})
else:
    ui.unavailable(ctx, "account.health_na")

# Support and voice ---------------------------------------------------------------------------
st.subheader(ctx.t("account.section.support"))
tickets, nps = view.tickets, view.nps
tiles = st.columns(4)
if tickets is None:
    ui.kpi(tiles[0], ctx.t("account.tickets_open"), na, help=ctx.t("account.tickets_none"))
else:
    open_text = ui.number(ctx, tickets["open"])
    if tickets.get("open_urgent"):
        open_text += f" ({tickets['open_urgent']})"
    ui.kpi(tiles[0], ctx.t("account.tickets_open"), open_text, help=ctx.t("account.tickets_open_help"))
    ui.kpi(tiles[1], ctx.t("account.tickets_90d"), ui.number(ctx, tickets["last_90d"]))
    delta = None
    if tickets["csat_12m"] is not None and tickets["peer_csat_12m"] is not None:
        delta = ctx.t("account.csat_vs_peer", delta=f"{tickets['csat_12m'] - tickets['peer_csat_12m']:+.2f}")
    ui.kpi(tiles[2], ctx.t("account.csat"), ui.number(ctx, tickets["csat_12m"], decimals=2),
           help=ctx.t("account.csat_help"), delta=delta)
if nps is None or nps["latest_score"] is None:
    ui.kpi(tiles[3], ctx.t("account.nps"), na, help=ctx.t("account.nps_none"))
else:
    ui.kpi(tiles[3], ctx.t("account.nps"), ui.number(ctx, nps["nps_12m"]), help=ctx.t("account.nps_help"),
           delta=ctx.t("account.nps_latest", score=nps["latest_score"], date=nps["latest_date"]),
           delta_color="off")
if tickets is not None and len(tickets["monthly"]):
    ui.chart(ctx, charts.tickets_chart(tickets["monthly"], ctx.lang), key="account_tickets")
if nps is not None and len(nps["responses"]):
    ui.chart(ctx, charts.nps_chart(nps["responses"], ctx.lang), key="account_nps")
    said = nps["responses"].dropna(subset=["comment"]).head(3)
    if len(said):
        st.caption(ctx.t("account.comments"))
        for row in said.itertuples():
            # "$" would start LaTeX in markdown; comments are the customer's own words.
            comment = str(row.comment).replace("$", "\\$")
            st.markdown(f"> {comment}  \n> — {row.respondent or ''} · {str(row.date)[:10]} · {row.score}/10")
    responses = nps["responses"].assign(category=nps["responses"]["category"].map(
        lambda c: ctx.t(f"account.nps.{c}") if c else None)).rename(
        columns={"category": ctx.t("account.category"), "respondent": ctx.t("account.respondent")})
    ui.table(ctx, responses, key="account_nps_table")

# Risks and opportunities ------------------------------------------------------------------------
st.subheader(ctx.t("account.section.risk"))
left, right = st.columns(2)
with left:
    st.markdown(f"**{ctx.t('account.risks')}**")
    if view.risks is None:
        st.caption(ctx.t("account.risks_na"))
    elif view.risks.empty:
        st.caption(ctx.t("account.risks_none"))
    else:
        st.markdown("\n".join(f"- {reason}" for reason in view.risks["reason"]))
with right:
    st.markdown(f"**{ctx.t('account.opportunities')}**")
    if view.opportunities is None:
        st.caption(ctx.t("account.opportunities_na"))
    elif view.opportunities.empty:
        st.caption(ctx.t("account.opportunities_none"))
    else:
        chances = pd.DataFrame({
            ctx.t("account.opportunity_kind"): view.opportunities["kind"].map(lambda k: ctx.t(f"account.kind.{k}")),
            ctx.t("account.evidence"): view.opportunities["evidence"],
        })
        if not ctx.hide_money:
            chances[ctx.t("account.expansion_arr")] = view.opportunities["expansion_arr"].map(
                lambda v: ui.money(ctx, v) if v is not None and not pd.isna(v) else "")
        ui.table(ctx, chances, key="account_opportunities", fold_in_presenter=False)

# Next steps ------------------------------------------------------------------------------------
st.subheader(ctx.t("account.section.next"))
if view.next_steps:
    st.markdown("\n".join(f"- {ctx.t(key, **values)}" for key, values in view.next_steps))
else:
    st.caption(ctx.t("account.steps_none"))

# Leave-behinds ------------------------------------------------------------------------------------
st.subheader(ctx.t("account.section.export"))
left, right = st.columns(2)
with left:
    st.caption(ctx.t("account.deck_help", money=ctx.t("account.deck_no_money") if ctx.hide_money else ""))
    ui.download_bytes(
        ctx, "account.deck",
        data=lambda: deck.build_deck(view, ctx.lang, ctx.currency, ctx.hide_money,
                                     measure_label(config.metric) if config else None,
                                     measure_label(config.counter) if config and config.counter else None),
        file_name=f"QBR_{choice}.pptx",
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation", key="account_deck")
if not ctx.presenter:  # the workbook holds every amount: not for a shared screen
    right.caption(ctx.t("account.workbook_help"))
    with right:
        ui.download_bytes(
            ctx, "account.workbook",
            data=lambda: workbook.build_workbook(ctx.con, ctx.scope, ctx.lang, ctx.currency,
                                                 health_scores=shared_health),
            file_name="polaris_metrics.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="account_workbook")
