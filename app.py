"""Polaris: builds the navigation and the sidebar, then runs the chosen page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import ui
from cs_metrics.errors import PolarisError
from cs_metrics.i18n import has, t
from cs_metrics.scope import Scope, categorical_columns, column_values, count_in_scope
from cs_metrics.workspace import Workspace, list_named

st.set_page_config(page_title="Polaris", page_icon=":material/star:", layout="wide")
ui.ensure_session()
LANG = st.session_state["lang"]
HERE = Path(__file__).parent

# (file, title key, icon, section)
PAGES = [
    ("pages/overview.py", "overview.title", ":material/dashboard:", "start"),
    ("pages/data.py", "data.title", ":material/upload_file:", "start"),
    ("pages/matching.py", "matching.title", ":material/join:", "start"),
    ("pages/retention.py", "retention.title", ":material/water_drop:", "revenue"),
    ("pages/leaky_bucket.py", "simulate.title", ":material/savings:", "revenue"),
    ("pages/segments.py", "segments.title", ":material/donut_small:", "revenue"),
    ("pages/health.py", "health.title", ":material/favorite:", "customers"),
    ("pages/lifecycle.py", "lifecycle.title", ":material/swap_vert:", "customers"),
    ("pages/risk_renewals.py", "risk.title", ":material/warning:", "customers"),
    ("pages/growth.py", "growth.title", ":material/trending_up:", "customers"),
    ("pages/account_360.py", "account.title", ":material/person_search:", "customers"),
    ("pages/maturity.py", "maturity.title", ":material/military_tech:", "strategy"),
]


def build_navigation() -> st.navigation:
    sections: dict[str, list] = {}
    for file, title_key, icon, section in PAGES:
        if not (HERE / file).exists():
            continue
        page = st.Page(file, title=t(title_key, LANG), icon=icon, default=file.endswith("overview.py"))
        sections.setdefault(t(f"nav.section.{section}", LANG), []).append(page)
    return st.navigation(sections)


def _set_lang() -> None:
    st.query_params["lang"] = st.session_state["lang"]


def _set_presenter() -> None:
    if st.session_state["presenter"]:
        st.query_params["present"] = "1"
    elif "present" in st.query_params:
        del st.query_params["present"]


def _open_named() -> None:
    name = st.session_state.get("open_name")
    if name:
        try:
            ui.switch_workspace(Workspace.open_named(name))
        except PolarisError as exc:
            st.session_state["sidebar_error"] = str(exc)


def _save_as() -> None:
    name = st.session_state.get("save_name", "")
    try:
        ws = ui.workspace()
        ws.save_as(name)
        ui.switch_workspace(Workspace.open_named(name))
        st.session_state["sidebar_notice"] = t("sidebar.saved", LANG, name=name.strip())
    except PolarisError as exc:
        st.session_state["sidebar_error"] = str(exc)


def _save_segment() -> None:
    name = (st.session_state.get("segment_name") or "").strip()
    if name and st.session_state.get("scope"):
        ws = ui.workspace()
        saved = ws.get_setting("segments.saved", {})
        saved[name] = st.session_state["scope"]
        ws.set_setting("segments.saved", saved)


def workspace_box(ws: Workspace) -> None:
    st.subheader(t("sidebar.workspace", LANG))
    st.caption(f"{t('sidebar.current', LANG)}: **{ws.name or t('sidebar.private', LANG)}**")
    names = list_named()
    if names:
        st.selectbox(t("sidebar.open", LANG), names, key="open_name", index=None)
        st.button(t("sidebar.open_button", LANG), on_click=_open_named, key="open_ws")
    st.button(t("sidebar.sample", LANG), on_click=ui.new_private_workspace, args=(True,), key="ws_sample",
              icon=":material/storefront:", width="stretch")
    st.button(t("sidebar.new", LANG), on_click=ui.new_private_workspace, args=(False,), key="ws_new",
              icon=":material/add:", width="stretch")
    with st.popover(t("sidebar.save_as", LANG), icon=":material/save:", width="stretch"):
        st.text_input(t("sidebar.save_name", LANG), key="save_name", max_chars=64)
        st.button(t("common.save", LANG), on_click=_save_as, key="save_ws")
    for flag, show in (("sidebar_error", st.error), ("sidebar_notice", st.success)):
        if st.session_state.get(flag):
            show(st.session_state.pop(flag))


def data_status(ws: Workspace) -> None:
    with st.expander(t("sidebar.data_status", LANG), expanded=False):
        infos = ws.tables()
        if not infos:
            st.caption(t("sidebar.no_data", LANG))
        for info in infos:
            span = ""
            if info.min_date is not None:
                span = f" · {str(info.min_date)[:10]} → {str(info.max_date)[:10]}"
            st.caption(f"**{t(f'kind.{info.kind}', LANG)}**: "
                       f"{t('sidebar.rows', LANG, rows=f'{info.rows:,}')}{span}")


def _clear_segment() -> None:
    st.session_state["scope"] = {}
    st.session_state["saved_segment"] = ""


def filter_box(ws: Workspace) -> None:
    if not ws.has("accounts"):
        return
    st.subheader(t("sidebar.filter", LANG))
    saved = ws.get_setting("segments.saved", {})
    if saved:
        choice = st.selectbox(t("sidebar.saved_segments", LANG), [""] + sorted(saved),
                              format_func=lambda n: n or t("sidebar.no_filter", LANG), key="saved_segment")
        if choice:
            # A saved segment may span several columns (or a list of accounts): it replaces
            # the one-column filter below until it is cleared.
            st.session_state["scope"] = saved[choice]
            n, total = count_in_scope(ws.con, Scope.from_dict(saved[choice]))
            st.caption(t("sidebar.filter_active", LANG, n=f"{n:,}", total=f"{total:,}"))
            st.button(t("sidebar.clear_segment", LANG), on_click=_clear_segment, key="clear_segment")
            return
    columns = categorical_columns(ws.con)
    if not columns:
        return
    current = st.session_state.get("scope") or {}
    default_col = next(iter(current), None)
    options = [""] + columns
    column = st.selectbox(
        t("sidebar.filter_column", LANG), options,
        index=options.index(default_col) if default_col in columns else 0,
        format_func=lambda c: t(f"col.{c}", LANG) if c and has(f"col.{c}") else (c or t("sidebar.no_filter", LANG)),
        key="filter_column")
    if not column:
        st.session_state["scope"] = {}
        return
    values = column_values(ws.con, column)
    chosen = st.multiselect(t("sidebar.filter_values", LANG), values,
                            default=[v for v in current.get(column, []) if v in values], key=f"filter_values_{column}")
    st.session_state["scope"] = {column: chosen} if chosen else {}
    if chosen:
        n, total = count_in_scope(ws.con, Scope.from_dict(st.session_state["scope"]))
        st.caption(t("sidebar.filter_active", LANG, n=f"{n:,}", total=f"{total:,}"))
        with st.popover(t("sidebar.save_segment", LANG)):
            st.text_input(t("sidebar.segment_name", LANG), key="segment_name", max_chars=40)
            st.button(t("common.save", LANG), on_click=_save_segment, key="save_segment")


def sidebar() -> None:
    ws = ui.workspace()
    with st.sidebar:
        # A fixed bilingual label: a label that changed with the language would make a new widget.
        st.radio("Language · 语言", ["en", "zh"], key="lang", horizontal=True,
                 format_func=lambda code: "English" if code == "en" else "简体中文", on_change=_set_lang)
        st.toggle(t("sidebar.presenter", LANG), key="presenter", help=t("sidebar.presenter_help", LANG),
                  on_change=_set_presenter)
        workspace_box(ws)
        data_status(ws)
        filter_box(ws)


navigation = build_navigation()
sidebar()
navigation.run()
