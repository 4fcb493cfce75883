"""Account matching: which rows belong to which customer?

Coverage of every loaded table (rows matched, by which rule), the alias columns in force,
and the unmatched keys with their candidate accounts to confirm, reject or pick by hand.
Every rule, score and decision comes from cs_metrics.matching; this page lays them out
and passes the user's decisions back.
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import streamlit as st

import ui
from cs_metrics import matching
from cs_metrics.errors import PolarisError

PAGE_SIZE = 20
MAX_KEYS = 500
CANDIDATES = 5

ctx = ui.page_context()
ui.title(ctx, "matching.title", "matching.question")
if not ui.requires(ctx, ["accounts"]):
    st.stop()
st.caption(ctx.t("matching.intro"))
state = st.session_state
for flag, show in (("matching_error", st.error), ("matching_notice", st.success)):
    if state.get(flag):
        show(state.pop(flag))


def escape(text: object) -> str:
    """A value from the user's file, shown literally in Markdown."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", str(text))


def kinds_text(kinds: str) -> str:
    return ", ".join(ctx.t(f"kind.{k.strip()}") for k in str(kinds).split(","))


def widget_id(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


def act(change, notice_key: str, **fmt) -> None:
    """Run a change to the workspace, record that its data changed, and say what happened."""
    try:
        result = change()
    except PolarisError as exc:
        state["matching_error"] = exc.message(ctx.lang) if hasattr(exc, "message") else str(exc)
        return
    ctx.ws.bump_version()
    state["matching_notice"] = ctx.t(notice_key, **{k: f(result) for k, f in fmt.items()})


def on_decide(source_key: str, decision: str, pick: str | None) -> None:
    account = state.get(pick) if pick else None
    act(lambda: matching.decide(ctx.con, source_key, account, decision), "matching.applied",
        rows=lambda rows: f"{rows:,}")


def on_bulk(proposals: pd.DataFrame) -> None:
    score = float(state["matching_bulk_score"])
    act(lambda: matching.confirm_above(ctx.con, score, proposals=proposals), "matching.bulk_done",
        rows=lambda rows: f"{rows:,}")


def on_aliases(detect: bool) -> None:
    columns = None if detect else list(state.get("matching_aliases", []))

    def change():
        matching.set_alias_columns(ctx.con, columns)
        return matching.rematch(ctx.con)

    def total(name: str):
        return lambda reports: f"{sum(getattr(r, name) for r in reports.values()):,}"

    act(change, "matching.rematched", matched=total("matched_rows"), rows=total("rows"))
    if detect:
        state.pop("matching_aliases", None)


def on_manual() -> None:
    key, account = state.get("matching_manual_key"), state.get("matching_manual_account")
    if key is None or account is None:
        return
    act(lambda: matching.decide(ctx.con, key, account, "confirmed"), "matching.applied",
        rows=lambda rows: f"{rows:,}")


def on_forget(decisions: pd.DataFrame) -> None:
    chosen = state.get("matching_forget")
    if chosen is None:
        return
    row = decisions.iloc[int(chosen)]
    kind = None if pd.isna(row["kind"]) else str(row["kind"])
    act(lambda: matching.forget(ctx.con, str(row["source_key"]), kind), "matching.removed",
        rows=lambda rows: f"{rows:,}")


# Coverage
coverage = ui.cached(ctx, matching.coverage)
st.subheader(ctx.t("matching.coverage"), help=ctx.t("matching.coverage_help"))
if coverage.empty:
    ui.unavailable(ctx, "matching.no_tables")
else:
    rows, matched = int(coverage["rows"].sum()), int(coverage["matched"].sum())
    tiles = st.columns(3)
    ui.kpi(tiles[0], ctx.t("matching.col.rows"), ui.number(ctx, rows))
    ui.kpi(tiles[1], ctx.t("matching.col.matched_share"), ui.pct(ctx, matched / rows if rows else None),
           help=ctx.t("matching.coverage_help"))
    ui.kpi(tiles[2], ctx.t("matching.col.unmatched"), ui.number(ctx, rows - matched))
    shown = coverage.assign(kind=coverage["kind"].map(lambda k: ctx.t(f"kind.{k}")),
                            matched_share=coverage["matched_share"].map(
                                lambda v: ui.pct(ctx, None if pd.isna(v) else float(v))))
    shown = shown.rename(columns={c: ctx.t(f"matching.col.{c}") for c in shown.columns})
    ui.table(ctx, shown, key="matching_coverage_table")

# Alias columns
st.subheader(ctx.t("matching.aliases"), help=ctx.t("matching.aliases_help"))
options = matching.alias_column_options(ctx.con)
if not options:
    st.caption(ctx.t("matching.aliases_none"))
else:
    configured = matching.configured_alias_columns(ctx.con)
    current = ui.cached(ctx, matching.alias_columns)
    if [c for c in state.get("matching_aliases", []) if c not in options] or "matching_aliases" not in state:
        state["matching_aliases"] = [c for c in current if c in options]
    st.multiselect(ctx.t("matching.aliases"), options, key="matching_aliases",
                   format_func=lambda c: ui.column_label(ctx, c), label_visibility="collapsed")
    st.caption(ctx.t("matching.aliases_saved" if configured is not None else "matching.aliases_auto")
               + ": " + (", ".join(current) or ctx.t("common.none")))
    left, right, _ = st.columns([2, 2, 3])
    left.button(ctx.t("matching.aliases_save"), key="matching_aliases_save", on_click=on_aliases,
                args=(False,), icon=":material/save:")
    right.button(ctx.t("matching.aliases_reset"), key="matching_aliases_reset", on_click=on_aliases,
                 args=(True,), disabled=configured is None, icon=":material/autorenew:")

# Unmatched keys
proposals = ui.cached(ctx, matching.propose, None, CANDIDATES, MAX_KEYS)
st.subheader(ctx.t("matching.review"))
keys = list(dict.fromkeys(proposals["source_key"]))
if not keys:
    if not coverage.empty:
        st.success(ctx.t("matching.all_matched"), icon=":material/check_circle:")
else:
    st.caption(ctx.t("matching.review_help"))
    with st.container(border=True):
        st.markdown(f"**{ctx.t('matching.bulk')}**")
        left, right = st.columns([1, 2], vertical_alignment="bottom")
        score = left.number_input(ctx.t("matching.bulk_score"), min_value=matching.MIN_SCORE,
                                  max_value=1.0, value=0.95, step=0.01, format="%.2f",
                                  key="matching_bulk_score", help=ctx.t("matching.bulk_help"))
        chosen = matching.best_candidates(proposals, score)
        right.button(ctx.t("matching.bulk_button", n=len(chosen), score=f"{score:.2f}"),
                     key="matching_bulk", on_click=on_bulk, args=(proposals,), disabled=chosen.empty,
                     type="primary", icon=":material/done_all:")

    pages = max(1, -(-len(keys) // PAGE_SIZE))
    page = 1
    if pages > 1:
        page = int(st.number_input(ctx.t("matching.page", pages=pages), min_value=1, max_value=pages, value=1,
                                   key="matching_page"))
    by_key = {k: g for k, g in proposals.groupby("source_key", sort=False)}
    for key in keys[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
        group = by_key[key]
        cands = group.dropna(subset=["account_id"])
        first = group.iloc[0]
        pick = widget_id("matching_pick", key)
        with st.container(border=True):
            cols = st.columns([3, 5, 4], vertical_alignment="center")
            cols[0].markdown(f"**{escape(key)}**")
            row_count = ctx.t("sidebar.rows", rows=f"{int(first['rows']):,}")
            cols[0].caption(f"{kinds_text(first['kinds'])} · {row_count}")
            if cands.empty:
                cols[1].caption(ctx.t("matching.no_candidate"))
            else:
                labels = {r.account_id: f"{float(r.score):.2f} · {r.account_name} · {r.account_id} "
                                        f"({matching.rule_label(str(r.rule), ctx.lang)})"
                          for r in cands.itertuples(index=False)}
                cols[1].selectbox(ctx.t("matching.col.candidate"), list(labels), key=pick,
                                  format_func=labels.get, label_visibility="collapsed",
                                  help=ctx.t("matching.score_help"))
            actions = cols[2].container(horizontal=True)
            actions.button(ctx.t("matching.action.confirm"), key=widget_id("matching_confirm", key),
                           on_click=on_decide, args=(key, "confirmed", pick), disabled=cands.empty,
                           icon=":material/check:", type="primary")
            actions.button(ctx.t("matching.action.reject"), key=widget_id("matching_reject", key),
                           on_click=on_decide, args=(key, "rejected", pick), disabled=cands.empty,
                           icon=":material/close:")
            actions.button(ctx.t("matching.action.no_account"), key=widget_id("matching_none", key),
                           on_click=on_decide, args=(key, "rejected", None), icon=":material/block:")

    with st.expander(ctx.t("matching.manual"), icon=":material/person_search:"):
        st.selectbox(ctx.t("matching.manual_key"), keys, key="matching_manual_key")
        search = st.text_input(ctx.t("matching.manual_search"), key="matching_manual_search")
        found = matching.search_accounts(ctx.con, search, limit=50)
        if found.empty:
            st.caption(ctx.t("matching.manual_none"))
        else:
            names = dict(zip(found["account_id"], found["account_name"]))
            st.selectbox(ctx.t("matching.manual_account"), list(names), key="matching_manual_account",
                         format_func=lambda a: f"{names.get(a)} · {a}")
            st.button(ctx.t("matching.manual_confirm"), key="matching_manual_confirm", on_click=on_manual,
                      icon=":material/check:")

# Saved decisions
saved = matching.decisions(ctx.con)
if not saved.empty:
    with st.expander(f"{ctx.t('matching.decisions')} ({len(saved)})", icon=":material/history:"):
        table = pd.DataFrame({
            ctx.t("matching.col.source_key"): saved["source_key"],
            ctx.t("matching.col.kinds"): saved["kind"].map(
                lambda k: ctx.t("matching.all_tables") if pd.isna(k) else ctx.t(f"kind.{k}")),
            ctx.t("matching.col.account"): [
                ctx.t("matching.action.no_account") if pd.isna(a) else f"{n} · {a}"
                for a, n in zip(saved["account_id"], saved["account_name"])],
            ctx.t("matching.col.decision"): saved["decision"].map(lambda d: ctx.t(f"matching.decision.{d}")),
            ctx.t("matching.col.decided_at"): saved["decided_at"],
        })
        ui.table(ctx, table, key="matching_decisions_table", fold_in_presenter=False)
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        left.selectbox(ctx.t("matching.undo"), list(range(len(saved))), key="matching_forget",
                       format_func=lambda i: f"{saved['source_key'].iat[i]} → "
                                             f"{table.iloc[i, 2]} ({table.iloc[i, 3]})")
        right.button(ctx.t("matching.undo_button"), key="matching_forget_button", on_click=on_forget,
                     args=(saved,), icon=":material/undo:")
