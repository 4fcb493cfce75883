"""Leaky Bucket: what does churn cost us, and what is a point of churn worth?"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

import ui
from cs_metrics import formatting
from cs_metrics import simulate as sim
from cs_metrics.charts import simulate as charts
from cs_metrics.errors import InputError

state = st.session_state
ctx = ui.page_context()
SYMBOL = formatting.currency_symbol(ctx.currency)


# Levers: one canonical value per lever (model units) and a slider + number input pair
# (display units) kept in step by callbacks, so either can be used in a meeting.
@dataclass(frozen=True)
class Lever:
    name: str
    label_key: str
    scale: float          # display = model × scale (percentages shown as 0–100)
    lo: float
    hi: float             # the slider widens to include a value typed or measured outside it
    step: float
    fmt: str
    min_typed: float = 0.0
    max_typed: float | None = None


LEVERS = [
    Lever("arpa", "simulate.lever.arpa", 1.0, 50.0, 20000.0, 50.0, "%.0f", min_typed=0.01),
    Lever("gross_margin", "simulate.lever.gross_margin", 100.0, 0.0, 100.0, 1.0, "%.1f",
          max_typed=100.0),
    Lever("cost_to_serve", "simulate.lever.cost_to_serve", 1.0, 0.0, 5000.0, 10.0, "%.0f"),
    Lever("monthly_expansion", "simulate.lever.expansion", 100.0, 0.0, 5.0, 0.05, "%.2f",
          max_typed=99.0),
    Lever("cac", "simulate.lever.cac", 1.0, 0.0, 200000.0, 500.0, "%.0f"),
    Lever("onboarding", "simulate.lever.onboarding", 1.0, 0.0, 100000.0, 500.0, "%.0f"),
]
LEVER_BY_NAME = {lever.name: lever for lever in LEVERS}
CHURN_RANGE = {"annual": (0.0, 95.0, 0.5, "%.1f"), "monthly": (0.0, 20.0, 0.05, "%.2f")}
DEFAULTS = {**sim.Assumptions().to_dict(), "annual_churn": 0.25}


def canon(name: str) -> str:
    return f"sim.{name}"


def basis() -> str:
    return state.get("sim_basis") or "annual"


def churn_display(annual: float) -> float:
    """An annual churn as the percentage shown on the chosen basis."""
    value = sim.monthly_from_annual(annual) if basis() == "monthly" else annual
    return round(value * 100.0, 4)


def churn_model(display: float) -> float:
    return sim.to_annual(display / 100.0, basis())


def display_value(name: str) -> float:
    if name == "annual_churn":
        return churn_display(state[canon(name)])
    return round(float(state[canon(name)]) * LEVER_BY_NAME[name].scale, 6)


def sync_widgets(name: str) -> None:
    """Write the canonical value into both widgets (before they are drawn)."""
    value = display_value(name)
    state[f"sim_{name}_s"] = value
    state[f"sim_{name}_n"] = value


def set_lever(name: str, model_value: float) -> None:
    state[canon(name)] = float(model_value)
    sync_widgets(name)


def from_widget(name: str, suffix: str) -> None:
    value = state[f"sim_{name}_{suffix}"]
    if value is None:
        sync_widgets(name)
        return
    try:
        model = churn_model(value) if name == "annual_churn" else value / LEVER_BY_NAME[name].scale
    except InputError as exc:
        state["sim.flash"] = sim.error_text(exc, ctx.lang)
        sync_widgets(name)
        return
    set_lever(name, model)


def on_basis_change() -> None:
    """Re-express churn and the chart's churn list on the new basis; the model is unchanged."""
    state[canon("basis")] = basis()
    sync_widgets("annual_churn")
    state["sim_rates_text"] = rates_text(state[canon("rates")])
    state.pop("sim_cs_cut", None)  # a cut in points means something else on the new basis


def rates_text(annual_rates: list[float]) -> str:
    return ", ".join(f"{churn_display(r):g}" for r in annual_rates)


def on_rates_change() -> None:
    try:
        shown = sim.parse_rates(state["sim_rates_text"])
        state[canon("rates")] = [sim.to_annual(r, basis()) for r in shown]
        state.pop("sim.rates_error", None)
    except InputError as exc:
        state["sim.rates_error"] = sim.error_text(exc, ctx.lang)


def init_state() -> None:
    for name, value in DEFAULTS.items():
        state.setdefault(canon(name), float(value))
    state.setdefault(canon("rates"), list(sim.DEFAULT_CHURN_RATES))
    state.setdefault(canon("horizon_years"), int(DEFAULTS["horizon_months"]) // 12)
    # widget values are dropped when the user visits another page: restore them
    state.setdefault("sim_basis", state.get(canon("basis"), "annual"))
    state.setdefault("sim_horizon_s", state[canon("horizon_years")])
    for name in [*LEVER_BY_NAME, "annual_churn"]:
        if f"sim_{name}_s" not in state or f"sim_{name}_n" not in state:
            sync_widgets(name)
    state.setdefault("sim_rates_text", rates_text(state[canon("rates")]))


def lever_input(container: Any, name: str, label: str, lo: float, hi: float, step: float,
                fmt: str, min_typed: float, max_typed: float | None,
                help_text: str | None = None) -> None:
    value = display_value(name)
    with container:
        st.slider(label, min_value=float(min(lo, value)), max_value=float(max(hi, value)),
                  step=float(step), format=fmt, key=f"sim_{name}_s", on_change=from_widget,
                  args=(name, "s"), help=help_text)
        st.number_input(label, min_value=float(min(min_typed, value)),
                        max_value=None if max_typed is None else float(max(max_typed, value)),
                        step=float(step),
                        format=fmt, key=f"sim_{name}_n", on_change=from_widget, args=(name, "n"),
                        label_visibility="collapsed")
        if is_measured(name):
            st.caption(":blue-badge[:material/database: " + ctx.t("simulate.measured_badge") + "]")


def remember_horizon() -> None:
    state[canon("horizon_years")] = state["sim_horizon_s"]


def is_measured(name: str) -> bool:
    measured = state.get("sim.measured")
    if not measured or measured.get(name) is None:
        return False
    return math.isclose(state[canon(name)], measured[name], rel_tol=1e-9, abs_tol=1e-12)


def fill_from_workspace(measured: dict[str, Any]) -> None:
    state["sim.measured"] = measured
    for name in ("arpa", "annual_churn", "monthly_expansion"):
        if measured.get(name) is not None:
            set_lever(name, measured[name])


def current_assumptions() -> sim.Assumptions:
    return sim.Assumptions(
        arpa=state[canon("arpa")], gross_margin=state[canon("gross_margin")],
        cost_to_serve=state[canon("cost_to_serve")], cac=state[canon("cac")],
        onboarding=state[canon("onboarding")],
        monthly_expansion=state[canon("monthly_expansion")],
        horizon_months=int(state[canon("horizon_years")]) * 12)


# Formatting helpers -------------------------------------------------------------------------
def money(value: float | None) -> str:
    if value is not None and math.isinf(value):
        return ctx.t("common.unbounded") if value > 0 else ctx.t("simulate.unbounded_loss")
    return ui.money(ctx, value, short=False)


def churn_text(annual: float | None) -> str:
    if annual is None:
        return ctx.t("common.na")
    if basis() == "monthly":
        return ctx.t("simulate.per_month", value=ui.pct(ctx, sim.monthly_from_annual(annual), 2))
    return ctx.t("simulate.per_year", value=ui.pct(ctx, annual))


def break_even_text(months: float | None) -> str:
    if months is None:
        return ctx.t("simulate.never")
    if months < 24:
        return ctx.t("simulate.months", value=ui.number(ctx, months, 1))
    return ctx.t("simulate.years", value=ui.number(ctx, months / 12.0, 1))


def md(text: str) -> str:
    """Text for st.markdown with literal dollar signs: two "$" in a line would start LaTeX."""
    return text.replace("$", r"\$")


def ratio_text(value: float | None) -> str:
    return formatting.ratio(value, ctx.lang)


def guarded(action: Callable[[], Any]) -> Any:
    """Run a core computation; a user's impossible input becomes one message, not a crash."""
    try:
        return action()
    except InputError as exc:
        ui.error(ctx, Exception(sim.error_text(exc, ctx.lang)))
        st.stop()


# Page ------------------------------------------------------------------------------------
init_state()
ui.title(ctx, "simulate.title", "simulate.question")
st.info(ctx.t("simulate.intro"), icon=":material/water_drop:")

if state.get("sim.flash"):
    st.warning(state.pop("sim.flash"))

with st.container(border=True):
    st.markdown("**" + ctx.t("simulate.levers") + "**")
    cols = st.columns(4)
    units = {"arpa": SYMBOL, "cost_to_serve": SYMBOL, "cac": SYMBOL, "onboarding": SYMBOL}
    for i, lever in enumerate(LEVERS):
        label = ctx.t(lever.label_key, currency=units.get(lever.name, ""))
        lever_input(cols[i // 2], lever.name, label, lever.lo, lever.hi, lever.step, lever.fmt,
                    lever.min_typed, lever.max_typed, ctx.t(f"{lever.label_key}_help"))
    with cols[3]:
        lo, hi, step, fmt = CHURN_RANGE[basis()]
        lever_input(st.container(), "annual_churn",
                    ctx.t("simulate.lever.churn_" + basis()), lo, hi, step, fmt, 0.0, 99.99,
                    ctx.t("simulate.lever.churn_help"))
        st.slider(ctx.t("simulate.lever.horizon"), min_value=1, max_value=30, step=1,
                  key="sim_horizon_s", on_change=remember_horizon)
    basis_col, rates_col, bucket_col = st.columns([1.3, 2.2, 2], vertical_alignment="top")
    basis_col.segmented_control(ctx.t("simulate.basis"), ["annual", "monthly"], key="sim_basis",
                                format_func=lambda b: ctx.t(f"simulate.basis.{b}"), required=True,
                                on_change=on_basis_change)
    rates_col.text_input(ctx.t("simulate.rates_" + basis()), key="sim_rates_text",
                         on_change=on_rates_change, help=ctx.t("simulate.rates_help"))
    if state.get("sim.rates_error"):
        rates_col.error(state["sim.rates_error"])
    with bucket_col:
        has_revenue = ctx.ws.has("mrr") or ctx.ws.has("subscriptions")
        measured = ui.cached(ctx, sim.measured_inputs, scope=ctx.scope) if has_revenue else None
        st.button(ctx.t("simulate.your_bucket"), key="sim_fill", icon=":material/database:",
                  disabled=measured is None, on_click=fill_from_workspace, args=(measured,),
                  help=ctx.t("simulate.your_bucket_help"), type="primary")
        if measured is None:
            st.caption(ctx.t("simulate.your_bucket_missing"))
        else:
            expansion = measured["monthly_expansion"]
            st.caption(md(ctx.t("simulate.measured_from", start=measured["window_start"],
                             end=measured["window_end"], n=ui.number(ctx, measured["active_accounts"]),
                             arpa=money(measured["arpa"]), churn=churn_text(measured["annual_churn"]),
                             expansion=ctx.t("common.na") if expansion is None
                             else ctx.t("simulate.per_month", value=ui.pct(ctx, expansion, 2)))
                       + (" " + ctx.t("simulate.annualised", k=measured["window_months"])
                          if measured["annualised"] else "")))

a = guarded(current_assumptions)
churn = state[canon("annual_churn")]
result = guarded(lambda: sim.evaluate(a, churn))
ceiling = sim.max_breakeven_churn(a)

st.markdown("#### " + ctx.t("simulate.kpi.heading", churn=churn_text(churn)))
k = st.columns(5)
ui.kpi(k[0], ctx.t("simulate.kpi.break_even_plain"),
       break_even_text(result.break_even_months), help=ctx.t("simulate.kpi.break_even_help"))
ui.kpi(k[1], ctx.t("simulate.kpi.ltv_short"), money(result.ltv), help=ctx.t("simulate.kpi.ltv_help"))
ui.kpi(k[2], ctx.t("simulate.kpi.ltv_to_cac"), ratio_text(result.ltv_to_cac),
       help=ctx.t("simulate.kpi.ltv_to_cac_help"))
ui.kpi(k[3], ctx.t("simulate.kpi.payback"),
       break_even_text(result.payback_months) if result.payback_months is not None
       else ctx.t("simulate.never"), help=ctx.t("simulate.kpi.payback_help"))
if ceiling is None:
    ceiling_text = ctx.t("simulate.none_breaks_even")
elif ceiling >= 1:
    ceiling_text = ctx.t("simulate.all_break_even")
else:
    ceiling_text = churn_text(ceiling)
ui.kpi(k[4], ctx.t("simulate.kpi.ceiling_short"), ceiling_text, help=ctx.t("simulate.kpi.ceiling_help"))

with st.expander(ctx.t("simulate.formulas_title"), icon=":material/function:"):
    st.markdown(md(ctx.t("simulate.formulas",
                      m=money(a.monthly_contribution), c=money(a.upfront_cost))))

TABS = ["curve", "lever", "company", "heatmap", "scenarios"]
tabs = st.tabs([ctx.t(f"simulate.tab.{name}") for name in TABS], key="sim_tab",
               on_change="rerun")
tab = dict(zip(TABS, tabs))


def curve_tab() -> None:
    rates = list(state[canon("rates")])
    curves, points = guarded(lambda: sim.break_even_curves(a, [*rates, churn]))
    note = ctx.t("simulate.chart.your_churn") if is_measured("annual_churn") else None
    chart = charts.break_even_chart(curves, points, lang=ctx.lang, currency=ctx.currency,
                                    basis=basis(), highlight=churn, highlight_note=note,
                                    hide_money=ctx.hide_money)
    ui.chart(ctx, chart, key="sim_break_even")
    never = [churn_text(c) for c in points.loc[points["break_even_months"].isna(), "annual_churn"]]
    if never:
        st.caption(ctx.t("simulate.never_lines", rates=", ".join(never)))
    note = ctx.t("simulate.assumptions_not_laws")
    if a.cac_payback_months is not None and ceiling is not None and ceiling < 1:
        quick = sim.Assumptions(**{**a.to_dict(), "cac": 12 * a.monthly_contribution, "onboarding": 0.0})
        note += " " + ctx.t("simulate.payback_note", payback=break_even_text(a.cac_payback_months),
                            limit=churn_text(ceiling), limit12=churn_text(sim.max_breakeven_churn(quick)))
    st.caption(note)


def lever_tab() -> None:
    st.markdown(ctx.t("simulate.lever_intro"))
    left, right = st.columns(2)
    spend = left.number_input(ctx.t("simulate.cs.spend", currency=SYMBOL), min_value=0.0,
                              value=50.0, step=10.0, format="%.0f", key="sim_cs_spend")
    cut_max = max(churn_display(churn), 0.0)
    default_cut = 5.0 if basis() == "annual" else 0.5
    state["sim_cs_cut"] = min(state.get("sim_cs_cut", default_cut), cut_max)
    cut = right.slider(ctx.t("simulate.cs.cut_" + basis()), min_value=0.0,
                       max_value=max(cut_max, 0.1), step=CHURN_RANGE[basis()][2],
                       key="sim_cs_cut", disabled=cut_max <= 0)
    after_annual = guarded(lambda: churn_model(max(churn_display(churn) - cut, 0.0)))
    lever = guarded(lambda: sim.cs_lever(a, churn, spend, churn - after_annual))
    b, af = lever.before, lever.after
    cut_text = ui.number(ctx, cut, 1 if basis() == "annual" else 2)
    st.markdown(md(ctx.t("simulate.cs.result", spend=money(spend), cut=cut_text,
                      before_churn=churn_text(b.annual_churn), after_churn=churn_text(af.annual_churn),
                      a=break_even_text(b.break_even_months), b=break_even_text(af.break_even_months),
                      c=money(b.ltv), d=money(af.ltv))))
    cols = st.columns(4)
    ui.kpi(cols[0], ctx.t("simulate.cs.break_even_after"), break_even_text(af.break_even_months),
           help=ctx.t("simulate.kpi.break_even_help"))
    ui.kpi(cols[1], ctx.t("simulate.cs.ltv_after"), money(af.ltv), help=ctx.t("simulate.kpi.ltv_help"))
    justified = lever.max_justified_spend
    ui.kpi(cols[2], ctx.t("simulate.cs.justified"),
           money(justified) if justified is not None else ctx.t("common.unbounded"),
           help=ctx.t("simulate.cs.justified_help"))
    ui.kpi(cols[3], ctx.t("simulate.cs.point"),
           money(lever.point_worth) if lever.point_worth is not None else ctx.t("common.unbounded"),
           help=ctx.t("simulate.cs.point_help", churn=churn_text(churn)))
    if justified is not None:
        verdict = "simulate.cs.pays" if spend < justified else "simulate.cs.does_not_pay"
        st.markdown(md(ctx.t(verdict, spend=money(spend), justified=money(justified))))


def company_tab() -> None:
    st.markdown(ctx.t("simulate.company_intro"))
    new = st.number_input(ctx.t("simulate.company.new"), min_value=0.0, value=10.0, step=1.0,
                          format="%.0f", key="sim_new_per_month")
    view = guarded(lambda: sim.company_view(a, churn, new))
    cols = st.columns(4)
    ui.kpi(cols[0], ctx.t("simulate.company.level"),
           ui.number(ctx, view.customer_ceiling) if view.customer_ceiling is not None
           else ctx.t("common.unbounded"), help=ctx.t("simulate.company.level_help"))
    ui.kpi(cols[1], ctx.t("simulate.company.mrr_level"),
           money(view.mrr_ceiling) if view.mrr_ceiling is not None else ctx.t("common.unbounded"),
           help=ctx.t("simulate.company.mrr_level_help"))
    ui.kpi(cols[2], ctx.t("simulate.company.pnl_positive"),
           break_even_text(view.pnl_positive_month) if view.pnl_positive_month is not None
           else ctx.t("simulate.company.not_within"), help=ctx.t("simulate.company.pnl_help"))
    ui.kpi(cols[3], ctx.t("simulate.company.funding"), money(-view.cash_low),
           help=ctx.t("simulate.company.funding_help", month=view.cash_low_month))
    st.caption(md(ctx.t("simulate.company.cash_end", horizon=break_even_text(a.horizon_months),
                     cash=money(view.cumulative_cash))
               + " " + (ctx.t("simulate.company.cash_back", when=break_even_text(view.cash_positive_month))
                        if view.cash_positive_month is not None
                        else ctx.t("simulate.company.cash_not_back"))))
    left, right = st.columns(2)
    with left:
        ui.chart(ctx, charts.company_chart(view.frame, ceiling=view.mrr_ceiling, lang=ctx.lang,
                                           currency=ctx.currency, hide_money=ctx.hide_money),
                 key="sim_company")
    with right:
        ui.chart(ctx, charts.cash_chart(view.frame, lang=ctx.lang, currency=ctx.currency,
                                        hide_money=ctx.hide_money), key="sim_cash")


PERCENT_PARAMS = {"annual_churn", "gross_margin", "monthly_expansion"}


def param_label(param: str) -> str:
    return ctx.t(f"simulate.param.{param}", currency=SYMBOL)


def heatmap_tab() -> None:
    st.markdown(ctx.t("simulate.heatmap_intro"))
    left, right = st.columns(2)
    x = left.selectbox(ctx.t("simulate.heatmap.x"), sim.SENSITIVITY_PARAMS, key="sim_heat_x",
                       format_func=param_label)
    y_options = [p for p in sim.SENSITIVITY_PARAMS if p != x]
    if state.get("sim_heat_y") not in y_options:
        state["sim_heat_y"] = "cac_payback" if "cac_payback" in y_options else y_options[0]
    y = right.selectbox(ctx.t("simulate.heatmap.y"), y_options, key="sim_heat_y",
                        format_func=param_label)
    grid = guarded(lambda: sim.sensitivity_grid(a, churn, x, y, cells=40))
    current = {**a.to_dict(), "annual_churn": churn, "cac_payback": a.cac_payback_months}
    marker = (current[x], current[y]) if current[x] is not None and current[y] is not None else None
    chart = charts.heatmap_chart(grid, x_title=param_label(x), y_title=param_label(y),
                                 x_percent=x in PERCENT_PARAMS, y_percent=y in PERCENT_PARAMS,
                                 lang=ctx.lang, marker=marker)
    ui.chart(ctx, chart, key="sim_heatmap")
    st.caption(ctx.t("simulate.heatmap_note", cap=int(charts.HEATMAP_CAP_YEARS)))


def save_scenario() -> None:
    name = (state.get("sim_scenario_name") or "").strip() or ctx.t("simulate.scenario_default",
                                                                  n=len(stored_scenarios()) + 1)
    measured = any(is_measured(n) for n in ("arpa", "annual_churn", "monthly_expansion"))
    try:
        scenario = sim.SavedScenario(name, current_assumptions(), state[canon("annual_churn")], measured)
        ctx.ws.set_setting(sim.SCENARIOS_SETTING, sim.add_scenario(stored_scenarios(), scenario))
    except InputError as exc:
        state["sim.flash"] = sim.error_text(exc, ctx.lang)


def delete_scenario(name: str) -> None:
    ctx.ws.set_setting(sim.SCENARIOS_SETTING, sim.remove_scenario(stored_scenarios(), name))


def load_scenario(data: dict[str, Any]) -> None:
    scenario = sim.SavedScenario.from_dict(data)
    for name, value in scenario.assumptions.to_dict().items():
        if name == "horizon_months":
            state["sim_horizon_s"] = max(1, min(30, int(value) // 12))
            remember_horizon()
        else:
            set_lever(name, value)
    set_lever("annual_churn", scenario.annual_churn)


def stored_scenarios() -> list[dict[str, Any]]:
    return ctx.ws.get_setting(sim.SCENARIOS_SETTING, []) or []


def scenarios_tab() -> None:
    st.markdown(ctx.t("simulate.scenarios_intro", max=sim.MAX_SAVED_SCENARIOS))
    saved = sim.load_scenarios(stored_scenarios())
    name_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    name_col.text_input(ctx.t("simulate.scenario_name"), key="sim_scenario_name", max_chars=40)
    button_col.button(ctx.t("simulate.save_scenario"), key="sim_save_scenario",
                      on_click=save_scenario, icon=":material/bookmark_add:",
                      disabled=len(saved) >= sim.MAX_SAVED_SCENARIOS)
    if not saved:
        st.caption(ctx.t("simulate.no_scenarios"))
        return
    cols = st.columns(sim.MAX_SAVED_SCENARIOS)
    for i, (col, scenario) in enumerate(zip(cols, saved)):
        s_a, s_churn = scenario.assumptions, scenario.annual_churn
        r = sim.evaluate(s_a, s_churn)
        with col.container(border=True):
            st.markdown(f"**{md(scenario.name)}**"
                        + (" :blue-badge[" + ctx.t("simulate.measured_badge") + "]"
                           if scenario.measured else ""))
            ui.kpi(st, ctx.t("simulate.kpi.break_even_plain"), break_even_text(r.break_even_months))
            st.markdown(md(ctx.t(
                "simulate.scenario_card", churn=churn_text(s_churn), ltv=money(r.ltv),
                ratio=ratio_text(r.ltv_to_cac), arpa=money(s_a.arpa),
                margin=ui.pct(ctx, s_a.gross_margin), serve=money(s_a.cost_to_serve),
                upfront=money(s_a.upfront_cost), expansion=ui.pct(ctx, s_a.monthly_expansion, 2),
                profit=money(r.profit_at_horizon), horizon=break_even_text(s_a.horizon_months))))
            b1, b2 = st.columns(2)
            b1.button(ctx.t("simulate.load_scenario"), key=f"sim_load_{i}", on_click=load_scenario,
                      args=(scenario.to_dict(),), icon=":material/upload:")
            b2.button(ctx.t("common.delete"), key=f"sim_delete_{i}", on_click=delete_scenario,
                      args=(scenario.name,), icon=":material/delete:")
    months = max(s.assumptions.horizon_months for s in saved)
    ui.chart(ctx, charts.scenarios_chart(sim.scenario_curves(saved, months), lang=ctx.lang,
                                         currency=ctx.currency, hide_money=ctx.hide_money),
             key="sim_scenarios")


RENDER = {"curve": curve_tab, "lever": lever_tab, "company": company_tab,
          "heatmap": heatmap_tab, "scenarios": scenarios_tab}
for name, container in tab.items():
    if container.open:
        with container:
            RENDER[name]()
