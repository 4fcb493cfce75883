"""Data: bring in the exports you already have, check them, and load them all-or-nothing."""

from __future__ import annotations

import hashlib

import streamlit as st

import ui
from cs_metrics import ingest, limits
from cs_metrics.errors import PolarisError
from cs_metrics.ingest.schema import FIELDS, MONTH_PREFIX, SOURCE_KEY, valid_targets

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "gb18030", "big5", "cp1252", "latin-1"]
DELIMITERS = {",": ",", ";": ";", "\t": "tab", "|": "|"}

ctx = ui.page_context()
ui.title(ctx, "data.title", "data.question")
tab_upload, tab_tables = st.tabs([ctx.t("data.tab_upload"), ctx.t("data.tab_tables")])


def target_label(target: str) -> str:
    if target == "":
        return ctx.t("data.keep_extra")
    if target == SOURCE_KEY:
        return ctx.t("data.source_key")
    if target.startswith(MONTH_PREFIX):
        return ctx.t("data.month_column", month=target[len(MONTH_PREFIX):])
    return f"{ui.column_label(ctx, target)} ({target})"


def show_issues(report) -> None:
    for issue in report.errors:
        st.error(issue.message(ctx.lang), icon=":material/error:")
    for issue in report.warnings:
        st.warning(issue.message(ctx.lang), icon=":material/warning:")
    for issue in report.notes:
        st.caption(issue.message(ctx.lang))


def upload_flow() -> None:
    uploaded = st.file_uploader(ctx.t("data.upload"), key="upload", help=ctx.t("data.upload_help"))
    if uploaded is None:
        st.caption(ctx.t("data.upload_hint"))
        return
    file_id = hashlib.sha1(uploaded.getbuffer()).hexdigest()[:16]
    saved = st.session_state.get("upload_saved")
    if not saved or saved[0] != file_id:
        st.session_state["upload_saved"] = (file_id, str(ui.save_upload(uploaded)))
        st.session_state.pop("prepared", None)
    path = st.session_state["upload_saved"][1]

    with st.expander(ctx.t("data.reading_options")):
        cols = st.columns(4)
        encoding = cols[0].selectbox(ctx.t("data.encoding"), [""] + ENCODINGS, key=f"enc_{file_id}",
                                     format_func=lambda e: e or ctx.t("data.auto"))
        delimiter = cols[1].selectbox(ctx.t("data.delimiter"), [""] + list(DELIMITERS), key=f"delim_{file_id}",
                                      format_func=lambda d: DELIMITERS.get(d, "") or ctx.t("data.auto"))
        header_row = cols[2].number_input(ctx.t("data.header_row"), min_value=0, max_value=1000, value=0,
                                          key=f"hdr_{file_id}", help=ctx.t("data.header_row_help"))
        sheet_slot = cols[3]
    try:
        limits.check_file(path, filename=uploaded.name, lang=ctx.lang)
        raw = ingest.inspect_file(path, filename=uploaded.name, encoding=encoding or None,
                                  delimiter=delimiter or None, header_row=int(header_row) or None,
                                  sheet=st.session_state.get(f"sheet_{file_id}") or None,
                                  **limits.current(ctx.lang).inspect_kwargs())
        limits.check_rows(raw.n_rows_estimate, raw.filename, lang=ctx.lang, estimated=True)
    except PolarisError as exc:
        for line in getattr(exc, "messages", lambda lang: [str(exc)])(ctx.lang):
            st.error(line, icon=":material/error:")
        return
    if raw.sheets and len(raw.sheets) > 1:
        sheet_slot.selectbox(ctx.t("data.sheet"), raw.sheets, index=raw.sheets.index(raw.sheet),
                             key=f"sheet_{file_id}")

    facts = [ctx.t("data.fact_format", format=raw.format.upper())]
    if raw.encoding:
        facts.append(ctx.t("data.fact_encoding", encoding=raw.encoding))
    if raw.delimiter:
        facts.append(ctx.t("data.fact_delimiter", delimiter=DELIMITERS.get(raw.delimiter, raw.delimiter)))
    if raw.sheet:
        facts.append(ctx.t("data.fact_sheet", sheet=raw.sheet))
    facts.append(ctx.t("data.fact_header", row=raw.header_row))
    facts.append(ctx.t("data.fact_rows", rows=f"{raw.n_rows_estimate:,}"))
    st.caption(" · ".join(facts))
    for issue in raw.issues:
        (st.error if issue.severity == "error" else st.warning)(issue.message(ctx.lang))
    st.dataframe(raw.preview.head(10), hide_index=True, width="stretch", key=f"raw_preview_{file_id}")

    detected, confidence = ingest.detect_kind(raw)
    kinds = list(ingest.KINDS)
    kind = st.selectbox(ctx.t("data.kind"), kinds, index=kinds.index(detected), key=f"kind_{file_id}",
                        format_func=lambda k: ctx.t(f"kind.{k}"),
                        help=ctx.t("data.kind_help", confidence=f"{confidence:.0%}"))
    proposed = ingest.propose_mapping(raw, kind, ctx.ws)
    targets = sorted(valid_targets(kind), key=lambda n: [f.name for f in FIELDS[kind]].index(n)
                     if n in [f.name for f in FIELDS[kind]] else 99)
    st.markdown(f"**{ctx.t('data.mapping')}**")
    st.caption(ctx.t("data.mapping_help"))
    mapping: dict[str, str] = {}
    grid = st.columns(3)
    for i, column in enumerate(raw.columns):
        guess = proposed.get(column, "")
        options = [""] + targets
        if guess and guess not in options:
            options.append(guess)
        mapping[column] = grid[i % 3].selectbox(
            column, options, index=options.index(guess), key=f"map_{file_id}_{kind}_{i}",
            format_func=target_label)

    date_order = None
    prepared_key = (file_id, kind, tuple(sorted(mapping.items())))
    if st.button(ctx.t("data.check"), type="primary", key="check"):
        st.session_state["prepared"] = (prepared_key, None)
    state = st.session_state.get("prepared")
    if not state or state[0][:2] != prepared_key[:2]:
        return
    if state[0] != prepared_key:
        st.info(ctx.t("data.mapping_changed"))
        return
    answers = st.session_state.get(f"answers_{file_id}", {})
    full_key = prepared_key + (tuple(sorted(answers.items())),)
    cached = st.session_state.get("prepared_obj")
    if cached and cached[0] == full_key:
        prepared = cached[1]
    else:
        try:
            with st.spinner(ctx.t("data.checking")):
                prepared = ingest.prepare(ctx.ws, raw, kind, mapping, date_order=answers.get("date_order"))
        except PolarisError as exc:
            for line in getattr(exc, "messages", lambda lang: [str(exc)])(ctx.lang):
                st.error(line, icon=":material/error:")
            return
        if cached:
            ingest.discard(ctx.ws, cached[1])  # the staged copy of an abandoned check
        st.session_state["prepared_obj"] = (full_key, prepared)
    for question in prepared.report.questions:
        choice = st.radio(question.text(ctx.lang), question.options,
                          index=question.options.index(answers.get(question.id, question.default)),
                          format_func=lambda o, q=question: q.option_label(o, ctx.lang),
                          key=f"q_{file_id}_{question.id}", horizontal=True)
        if choice != answers.get(question.id, question.default):
            answers[question.id] = choice
            st.session_state[f"answers_{file_id}"] = answers
            st.rerun()
    show_issues(prepared.report)
    st.markdown(f"**{ctx.t('data.typed_preview', rows=f'{prepared.rows:,}')}**")
    # Canonical columns under their names in the UI's language, dates as dates, empty cells empty.
    ui.table(ctx, prepared.preview.head(10), key=f"typed_preview_{file_id}", fold_in_presenter=False)
    if prepared.match is not None:
        st.caption(ctx.t("data.match_summary", matched=f"{prepared.match.matched_rows:,}",
                         rows=f"{prepared.match.rows:,}"))
    modes = ["merge", "replace"] if kind == "accounts" and ctx.ws.has("accounts") else ["replace", "append"]
    mode = st.radio(ctx.t("data.mode"), modes, key=f"load_mode_{kind}", horizontal=True,
                    format_func=lambda m: ctx.t(f"data.mode_{m}"))
    if st.button(ctx.t("data.load"), type="primary", disabled=not prepared.report.ok, key="load"):
        bar = st.progress(0.0, text=ctx.t("data.loading"))
        try:
            result = ingest.load(ctx.ws, prepared, mode=mode,
                                 progress=lambda share, _msg: bar.progress(min(max(share, 0.0), 1.0)))
        except PolarisError as exc:
            bar.empty()
            st.error(ctx.t("data.load_failed", error=str(exc)), icon=":material/error:")
            return
        bar.empty()
        ui.prepare_after_load(ctx)
        st.session_state.pop("prepared", None)
        st.session_state.pop("prepared_obj", None)
        notes = [i.message(ctx.lang) for i in result.issues if i.key == "ingest.note.merged"]
        st.session_state["load_notice"] = " ".join([ctx.t("data.loaded", file=uploaded.name,
                                                          kind=ctx.t(f"kind.{result.kind}"),
                                                          rows=f"{result.rows:,}")] + notes)
        st.rerun()


def tables_view() -> None:
    infos = ctx.ws.tables()
    if not infos:
        st.info(ctx.t("sidebar.no_data"))
        return
    for info in infos:
        cols = st.columns([3, 2, 3, 2, 1])
        cols[0].markdown(f"**{ctx.t(f'kind.{info.kind}')}** `{info.kind}`")
        cols[1].markdown(ctx.t("sidebar.rows", rows=f"{info.rows:,}"))
        if info.min_date is not None:
            cols[2].markdown(f"{str(info.min_date)[:10]} → {str(info.max_date)[:10]}")
        if info.unmatched:
            cols[3].markdown(f":orange[{ctx.t('data.unmatched', n=f'{info.unmatched:,}')}]")
        with cols[4].popover(":material/delete:", help=ctx.t("data.drop_help")):
            st.write(ctx.t("data.drop_confirm", kind=ctx.t(f"kind.{info.kind}")))
            if st.button(ctx.t("common.delete"), key=f"drop_{info.kind}", type="primary"):
                ctx.ws.drop(info.kind)
                st.rerun()


if st.session_state.get("load_notice"):
    st.success(st.session_state.pop("load_notice"), icon=":material/check_circle:")
with tab_upload:
    upload_flow()
with tab_tables:
    tables_view()
