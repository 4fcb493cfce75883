"""Risk & Renewals: who is at risk, why, and what renews when?

Two tabs, each computed only when open: the risk register (every active account with a
reason from the editable rules, the ARR behind each reason, filters and CSV / Excel export)
and the renewals (the calendar of the next 12 months by health band and the expected
renewal ARR from this workspace's own renewal history). Tables show their first rows; the
files hold all of them. Numbers come from cs_metrics.risk and cs_metrics.renewals.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from cs_metrics import renewals, risk, segments
from cs_metrics.charts import segments as charts
from cs_metrics.errors import PolarisError


def renewal_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Upcoming renewals as shown: translated band, plain dates, money hidden on request."""
    listed = rows[["account_name", "owner", "renewal_date", "arr", "group"]].copy()
    names = {g: ctx.t("renewals.group.notice") if g == "notice" else ctx.t(f"band.{g}") for g in renewals.GROUPS}
    listed["group"] = listed["group"].map(names)
    listed["renewal_date"] = pd.to_datetime(listed["renewal_date"]).dt.date
    if ctx.hide_money:
        listed = listed.drop(columns=["arr"])
    return listed.rename(columns={"group": ctx.t("renewals.col.group")})


def share(part: float | None, whole: float | None) -> str | None:
    if part is None or not whole:
        return None
    return ctx.t("risk.share_of_arr", share=ui.pct(ctx, part / whole, decimals=0))


# Rules -------------------------------------------------------------------------------
def rules_editor(current: dict) -> None:
    """Toggle each rule and edit its threshold; saved as the workspace setting risk.rules."""
    with st.expander(ctx.t("risk.rules_title"), icon=":material/tune:"):
        st.caption(ctx.t("risk.rules_help"))
        edited: dict[str, dict] = {}
        for code in risk.RULE_CODES:
            rule = current[code]
            left, right = st.columns([2, 1])
            enabled = left.toggle(ctx.t(f"risk.rule.{code}"), value=bool(rule["enabled"]),
                                  key=f"risk_rule_{code}", help=ctx.t(f"risk.rule_help.{code}"))
            edited[code] = {"enabled": enabled}
            for param, value in rule.items():
                if param == "enabled":
                    continue
                lo, hi = risk.LIMITS[(code, param)]
                if param == "min_drop":
                    pct = right.number_input(ctx.t(f"risk.param.{param}"), min_value=int(lo * 100),
                                             max_value=int(hi * 100), value=int(round(value * 100)), step=5,
                                             key=f"risk_param_{code}_{param}", disabled=not enabled)
                    edited[code][param] = pct / 100
                else:
                    edited[code][param] = right.number_input(
                        ctx.t(f"risk.param.{param}"), min_value=int(lo), max_value=int(hi), value=int(value),
                        step=1, key=f"risk_param_{code}_{param}", disabled=not enabled)
        save, reset, _ = st.columns([1, 1, 4])
        if save.button(ctx.t("common.save"), key="risk_rules_save", type="primary"):
            try:
                ctx.ws.set_setting(risk.SETTING_RULES, risk.validate_rules(edited))
                st.rerun()
            except PolarisError as exc:
                ui.error(ctx, exc)
        if reset.button(ctx.t("common.reset"), key="risk_rules_reset"):
            ctx.ws.set_setting(risk.SETTING_RULES, None)
            for key in list(st.session_state):
                if str(key).startswith(("risk_rule_", "risk_param_")):
                    del st.session_state[key]
            st.rerun()


def register_section() -> None:
    """KPIs, the rules, ARR by reason and the register with its filters and files."""
    overview = ui.cached(ctx, risk.risk_overview, scope=ctx.scope, lang=ctx.lang)
    by_reason = overview["by_reason"]
    has_renewal_dates = "renewal_date" in ctx.ws.columns("accounts")
    soon_rule = overview["rules"]["renewal_soon"]
    soon = by_reason.loc[by_reason["code"] == "renewal_soon", "arr"]
    soon_arr = float(soon.iloc[0]) if len(soon) else (0.0 if soon_rule["enabled"] and has_renewal_dates else None)
    tiles = st.columns(4)
    ui.note_kpi(tiles[0], ctx.t("risk.kpi.flagged_accounts"), ui.number(ctx, overview["flagged_accounts"]),
             help=ctx.t("risk.kpi.flagged_accounts_help"),
             note=ctx.t("risk.of_active", n=ui.number(ctx, overview["active_accounts"])))
    ui.note_kpi(tiles[1], ctx.t("risk.kpi.flagged_arr"), ui.money(ctx, overview["flagged_arr"]),
             help=ctx.t("risk.kpi.flagged_arr_help"),
             note=None if ctx.hide_money else share(overview["flagged_arr"], overview["active_arr"]))
    ui.note_kpi(tiles[2], ctx.t("risk.kpi.red_arr"), ui.money(ctx, overview["red_arr"]),
             help=ctx.t("risk.kpi.red_arr_help"),
             note=None if ctx.hide_money else share(overview["red_arr"], overview["active_arr"]))
    ui.note_kpi(tiles[3], ctx.t("risk.kpi.renewal_soon_arr", days=int(soon_rule["days"])), ui.money(ctx, soon_arr),
             help=ctx.t("risk.kpi.renewal_soon_arr_help"),
             note=None if ctx.hide_money else share(soon_arr, overview["active_arr"]))
    if not overview["health_available"]:
        ui.unavailable(ctx, "risk.no_health")

    rules_editor(overview["rules"])

    register = overview["register"]
    if register.empty:
        st.success(ctx.t("risk.none_flagged"), icon=":material/check_circle:")
    else:
        st.markdown(f"**{ctx.t('risk.chart_title')}**")
        ui.chart(ctx, charts.reason_chart(by_reason, ctx.lang, ctx.currency, ctx.hide_money), key="risk_by_reason")

        left, middle, right = st.columns([2, 2, 1])
        codes = list(by_reason["code"])
        chosen = left.multiselect(ctx.t("risk.filter_reasons"), codes, key="risk_filter_reasons",
                                  format_func=lambda c: ctx.t(f"risk.rule.{c}"))
        owners = sorted(o for o in register["owner"].dropna().unique())
        chosen_owners = (middle.multiselect(ctx.t("risk.filter_owner"), owners, key="risk_filter_owner")
                         if owners else [])
        min_reasons = right.number_input(ctx.t("risk.filter_min_reasons"), min_value=1, max_value=len(risk.RULE_CODES),
                                         value=1, step=1, key="risk_filter_min")
        shown = register
        if chosen:
            listed = (", " + register["reason_codes"] + ",")
            mask = pd.Series(False, index=register.index)
            for code in chosen:
                mask |= listed.str.contains(f", {code},", regex=False)
            shown = shown[mask]
        if chosen_owners:
            shown = shown[shown["owner"].isin(chosen_owners)]
        shown = shown[shown["reason_count"] >= min_reasons]
        st.caption(ctx.t("risk.showing", n=ui.number(ctx, len(shown)), total=ui.number(ctx, len(register)),
                         arr=ui.money(ctx, float(shown["arr"].sum()))))

        # The largest accounts first (the register is sorted by ARR); the files hold every row.
        display = shown.head(ui.TOP_ROWS).drop(columns=["account_id", "reason_codes"]).copy()
        display["band"] = [ctx.t(f"band.{b}") if isinstance(b, str) else ctx.t("band.unscored")
                           for b in display["band"]]
        display["renewal_date"] = pd.to_datetime(display["renewal_date"]).dt.date
        if ctx.hide_money:
            display = display.drop(columns=["arr"])
        headers = {c: ctx.t(f"risk.col.{c}") for c in display.columns}
        config = {headers["reasons"]: st.column_config.TextColumn(width="large")}
        if "arr" in headers:
            config[headers["arr"]] = st.column_config.NumberColumn(format="localized")
        ui.table(ctx, display.rename(columns=headers), key="risk_register", column_config=config, height=420)
        ui.more_rows(ctx, shown, None)  # the CSV and XLSX below hold every row

        if not ctx.presenter:  # files to leave behind, not for the shared screen
            stamp = as_of_text.replace("-", "")
            down_left, down_right, _ = st.columns([1, 1, 2])
            with down_left:
                ui.download_bytes(ctx, "common.download_csv",
                                  lambda rows=shown: risk.export_csv(rows, ctx.lang, ctx.currency),
                                  f"risk_register_{stamp}.csv", "text/csv", key="risk_csv")
            with down_right:
                ui.download_bytes(ctx, "common.download_xlsx",
                                  lambda rows=shown, reasons=by_reason: risk.export_xlsx(rows, reasons, ctx.lang,
                                                                                         ctx.currency),
                                  f"risk_register_{stamp}.xlsx",
                                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                  key="risk_xlsx")


def renewals_section() -> None:
    """The calendar of the next 12 months, the expected renewal ARR and the list."""
    st.subheader(ctx.t("renewals.title"))
    if "renewal_date" not in ctx.ws.columns("accounts"):
        ui.unavailable(ctx, "renewals.no_dates")
        return
    outlook = ui.cached(ctx, renewals.renewal_outlook, scope=ctx.scope)
    forecast = outlook["forecast"]
    total = forecast[forecast["group"] == "all"].iloc[0]
    overall = outlook["rates"][outlook["rates"]["band"] == "all"].iloc[0]
    tiles = st.columns(4)
    ui.note_kpi(tiles[0], ctx.t("renewals.kpi.renewing"), ui.money(ctx, total["arr"]),
             help=ctx.t("renewals.kpi.renewing_help"),
             note=ctx.t("renewals.kpi.accounts", n=ui.number(ctx, total["accounts"])))
    range_text = None
    if total["expected_low"] is not None and not ctx.hide_money:
        range_text = ctx.t("renewals.kpi.range", low=ui.money(ctx, total["expected_low"]),
                           high=ui.money(ctx, total["expected_high"]))
    ui.note_kpi(tiles[1], ctx.t("renewals.kpi.expected"), ui.money(ctx, total["expected"]),
             help=ctx.t("renewals.kpi.expected_help"), note=range_text)
    ui.note_kpi(tiles[2], ctx.t("renewals.kpi.rate"), ui.pct(ctx, overall["rate"]),
             help=ctx.t("renewals.kpi.rate_help", n=ui.number(ctx, overall["due"])),
             note=ctx.t("renewals.kpi.rests_on", n=ui.number(ctx, overall["due"])))
    cmrr = outlook["cmrr"]
    ui.note_kpi(tiles[3], "CMRR", ui.money(ctx, None if cmrr is None else cmrr["cmrr"]),
             help=ctx.t("renewals.kpi.cmrr_help"),
             note=None if cmrr is None or ctx.hide_money else ctx.t(
                 "renewals.kpi.cmrr_delta", notice=ui.money(ctx, cmrr["notice"]),
                 signed=ui.money(ctx, cmrr["signed_later"])))

    calendar = outlook["calendar"]
    if calendar.empty:
        ui.unavailable(ctx, "renewals.none_upcoming")
    else:
        st.markdown(f"**{ctx.t('renewals.calendar_title')}**")
        ui.chart(ctx, charts.renewal_calendar_chart(calendar, outlook["months"], ctx.lang, ctx.currency,
                                                         ctx.hide_money),
                 key="renewal_calendar")

    st.markdown(f"**{ctx.t('renewals.forecast_title')}**")
    if outlook["events"] is None:
        ui.unavailable(ctx, "renewals.no_history")
    shown = forecast[(forecast["accounts"] > 0) | (forecast["group"] == "all")].copy()
    shown["group"] = [ctx.t("renewals.group.all") if g == "all" else
                      (ctx.t("renewals.group.notice") if g == "notice" else ctx.t(f"band.{g}")) for g in shown["group"]]
    shown["basis"] = [ctx.t(f"renewals.basis.{b}") if isinstance(b, str) else ctx.t("common.na")
                      for b in shown["basis"]]
    for col in ("rate", "low", "high"):
        shown[col] = pd.to_numeric(shown[col], errors="coerce") * 100
    # Numbers as numbers (None -> empty cell), so the table reaches the browser as typed columns.
    for col in ("accounts", "arr", "due", "expected", "expected_low", "expected_high"):
        shown[col] = pd.to_numeric(shown[col], errors="coerce")
    columns = ["group", "accounts", "arr", "rate", "low", "high", "due", "basis", "expected", "expected_low",
               "expected_high"]
    if ctx.hide_money:
        columns = [c for c in columns if c not in ("arr", "expected", "expected_low", "expected_high")]
    shown = shown[columns]
    headers = {c: ctx.t(f"renewals.col.{c}") for c in shown.columns}
    pct = st.column_config.NumberColumn(format="%.1f%%")
    money = st.column_config.NumberColumn(format="localized")
    config = {headers[c]: pct for c in ("rate", "low", "high")}
    config.update({headers[c]: money for c in ("arr", "expected", "expected_low", "expected_high") if c in headers})
    ui.table(ctx, shown.rename(columns=headers), key="renewal_forecast", column_config=config)
    st.caption(ctx.t("renewals.forecast_help", n=ui.number(ctx, outlook["events"])))
    upcoming = outlook["upcoming"]
    if not upcoming.empty:
        with st.expander(ctx.t("renewals.list_title", n=ui.number(ctx, len(upcoming)))):
            # Soonest first; the CSV holds every upcoming renewal.
            ui.table(ctx, renewal_rows(upcoming.head(ui.TOP_ROWS)), key="renewal_list", fold_in_presenter=False,
                     column_config={"arr": st.column_config.NumberColumn(format="localized")})
            ui.more_rows(ctx, upcoming, renewal_rows, f"renewals_{as_of_text.replace('-', '')}.csv", key="renewal_csv")


ctx = ui.page_context()
ui.title(ctx, "risk.title", "risk.question")
if not ui.requires(ctx, ["accounts"]):
    st.stop()

as_of = ui.cached(ctx, segments.resolve_as_of)
if as_of is None:
    ui.unavailable(ctx, "risk.no_data")
    st.stop()
as_of_text = as_of.strftime("%Y-%m")
st.caption(ctx.t("risk.as_of", month=as_of_text))

# Each tab runs only when open (the register is the default): a big workspace's renewal
# history takes as long as the register, and the page answers one question at a time.
register_tab, renewals_tab = st.tabs([ctx.t("risk.register_title"), ctx.t("renewals.tab")], key="risk_view",
                                     on_change="rerun")
if register_tab.open:
    with register_tab:
        register_section()
if renewals_tab.open:
    with renewals_tab:
        renewals_section()
