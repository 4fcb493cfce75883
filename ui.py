"""The one Streamlit UI module: session state, page context, and the shared widgets.

Pages call :func:`page_context` first, then lay out their answer with the helpers below,
so every page formats numbers, explains figures, exports charts and honours presenter
mode the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import runpy
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import altair as alt
import pandas as pd
import streamlit as st

from cs_metrics import formatting
from cs_metrics.errors import PolarisError
from cs_metrics.i18n import normalise_lang, t as translate
from cs_metrics.scope import Scope
from cs_metrics.workspace import Workspace, empty_session_workspace, session_workspace

_WS = "polaris_ws"


@dataclass
class PageContext:
    ws: Workspace
    lang: str
    scope: Scope
    presenter: bool
    hide_money: bool
    currency: str

    @property
    def con(self):
        return self.ws.con

    def t(self, key: str, **fmt: Any) -> str:
        return translate(key, self.lang, **fmt)


def _query_flag(name: str) -> str | None:
    value = st.query_params.get(name)
    return str(value) if value is not None else None


class _SessionWorkspace:
    """Owns one browser session's workspace; released (closed, private copy deleted) when
    the session disconnects, so connections and files do not pile up on a shared server."""

    def __init__(self) -> None:
        self.ws: Workspace | None = None
        self.uploads: list[Path] = []

    def set(self, ws: Workspace) -> None:
        if self.ws is not None and self.ws is not ws:
            self._dispose(self.ws)
        self.ws = ws

    def release(self) -> None:
        if self.ws is not None:
            self._dispose(self.ws)
            self.ws = None
        self.forget_uploads()

    def forget_uploads(self) -> None:
        """Delete this session's uploaded files (they are only needed until loaded)."""
        for path in self.uploads:
            path.unlink(missing_ok=True)
        self.uploads = []

    @staticmethod
    def _dispose(ws: Workspace) -> None:
        ws.close()
        if ws.name is None and ws.path is not None and ws.path.parent.name == "sessions":
            for path in (ws.path, ws.path.with_name(ws.path.name + ".wal")):
                path.unlink(missing_ok=True)


@st.cache_resource(scope="session", on_release=lambda holder: holder.release(), show_spinner=False)
def _session_holder() -> _SessionWorkspace:
    return _SessionWorkspace()


def ensure_session() -> None:
    """Initialise this browser session once: language, presenter mode, workspace.

    ``?lang=zh|en`` and ``?present=1`` in the URL set the same switches as the sidebar,
    so a link can be shared.
    """
    state = st.session_state
    if "lang" not in state:
        state["lang"] = normalise_lang(_query_flag("lang") or "en")
    if "presenter" not in state:
        state["presenter"] = _query_flag("present") in {"1", "true", "yes"}
    if "hide_money" not in state:
        state["hide_money"] = _query_flag("hide_money") in {"1", "true", "yes"}
    if "scope" not in state:
        state["scope"] = {}
    holder = _session_holder()
    current = state.get(_WS)
    if current is None:
        # A new session always starts on its own fresh private copy of the sample.
        try:
            holder.set(session_workspace())
        except PolarisError as exc:
            st.error(str(exc), icon=":material/error:")
            st.stop()
    elif current is not holder.ws:
        holder.set(current)  # a workspace put in place directly (tests)
    state[_WS] = holder.ws


def workspace() -> Workspace:
    ensure_session()
    return st.session_state[_WS]


def switch_workspace(ws: Workspace) -> None:
    """Make ``ws`` this session's workspace, releasing the previous one."""
    _session_holder().set(ws)
    st.session_state[_WS] = ws
    st.session_state["scope"] = {}


def new_private_workspace(sample: bool) -> None:
    switch_workspace(session_workspace() if sample else empty_session_workspace())


_APP = Path(__file__).resolve().parent / "app.py"


def _run_inside_the_app() -> None:
    """Run the app shell (navigation, sidebar) when a page was started without it.

    Until ``app.py`` has called ``st.navigation`` once, a fresh server still routes a deep
    link (``/retention?lang=zh``) to ``pages/retention.py`` on its own, the old way: no
    sidebar, no language switch. Such a run starts the app instead, which runs the page
    inside it and tells the server about the navigation for every later session. Pages
    run on their own on purpose (the page tests) have their own file as the main script.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    run = get_script_run_ctx()
    if run is None or Path(run.main_script_path).resolve() != _APP:
        return
    frame = sys._getframe(1)
    while frame is not None:
        if Path(frame.f_code.co_filename).resolve() == _APP:
            return
        frame = frame.f_back
    runpy.run_path(str(_APP), run_name="__main__")
    st.stop()


def page_context() -> PageContext:
    """Everything a page needs: the workspace, language, filter and presentation flags."""
    _run_inside_the_app()
    ensure_session()
    state = st.session_state
    ws = state[_WS]
    try:
        scope = Scope.from_dict(state.get("scope") or {})
        if not ws.has("accounts"):
            scope = Scope()
        else:
            known = set(ws.columns("accounts"))
            scope = Scope.from_dict({k: v for k, v in scope.to_dict().items() if k in known})
    except PolarisError:
        scope = Scope()
    ctx = PageContext(ws=ws, lang=state["lang"], scope=scope, presenter=bool(state["presenter"]),
                      hide_money=bool(state["hide_money"]), currency=ws.currency)
    if ctx.presenter:
        _presenter_style()
    return ctx


def _presenter_style() -> None:
    st.html(
        """<style>
        [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
        [data-testid="stToolbar"], [data-testid="stDecoration"] {display: none !important;}
        .block-container {max-width: 100% !important; padding-top: 1.5rem !important;}
        html, body, [data-testid="stMarkdownContainer"] p {font-size: 1.18rem;}
        [data-testid="stMetricValue"], [data-testid="stMetricValue"] * {font-size: 2.6rem !important;}
        [data-testid="stMetricLabel"] p {font-size: 1.15rem !important;}
        h1 {font-size: 2.6rem !important;}
        </style>"""
    )


# Results are kept for an hour at most: entries of workspaces that are closed or changed are
# never asked for again, and would otherwise stay until 512 newer ones push them out.
@st.cache_data(max_entries=512, ttl=dt.timedelta(hours=1), show_spinner=False)
def _cached_call(func_name: str, cache_key: str, args_key: str, _func: Callable, _con: Any,
                 _args: tuple, _kwargs: dict) -> Any:
    return _func(_con, *_args, **_kwargs)


def cached(ctx: PageContext, func: Callable, *args: Any, **kwargs: Any) -> Any:
    """``func(ctx.con, *args, **kwargs)``, cached until the workspace's data or settings change.

    The key is the function, the workspace file and its data version, and ``repr`` of the
    arguments (so pass plain values and Scope objects, not connections).
    """
    key = repr((args, sorted(kwargs.items())))
    return _cached_call(f"{func.__module__}.{func.__qualname__}", ctx.ws.cache_key, key,
                        func, ctx.con, args, kwargs)


def cached_as(ctx: PageContext, key: str, func: Callable, *args: Any, **kwargs: Any) -> Any:
    """Like :func:`cached`, keyed by ``key`` instead of the arguments: for arguments that are
    themselves results read from the workspace (frames, configurations), which ``key`` and
    the data version already determine."""
    return _cached_call(f"{func.__module__}.{func.__qualname__}", ctx.ws.cache_key, key,
                        func, ctx.con, args, kwargs)


# Workspaces this big score one account at a time on Account 360, against the monthly
# medians of all accounts that the workspace keeps (cs_metrics.derived).
BIG_WORKSPACE = 20_000


def prepare_after_load(ctx: PageContext) -> None:
    """After a load into a big workspace, score every account once in the background (on a
    cursor of the session's database), so the yardsticks one-account pages need are kept
    in the file before the user opens them. Best effort: a failure (the session closed, a
    newer load) only means the page computes them itself."""
    try:
        accounts = ctx.con.execute("SELECT count(*) FROM accounts").fetchall()[0][0] if ctx.ws.has("accounts") else 0
    except Exception:  # noqa: BLE001 - preparation is optional
        return
    if accounts <= BIG_WORKSPACE:
        return
    cursor = ctx.con.cursor()

    def work() -> None:
        from cs_metrics import health

        try:
            health.typical_medians(cursor)
        except Exception:  # noqa: BLE001 - the page computes what is missing
            pass
        finally:
            cursor.close()

    threading.Thread(target=work, name="polaris-prepare", daemon=True).start()


# Text and numbers ---------------------------------------------------------------------
def title(ctx: PageContext, title_key: str, question_key: str | None = None) -> None:
    """Page title and the one question the page answers; presenter controls beside it."""
    st.title(ctx.t(title_key))
    if question_key:
        st.caption(ctx.t(question_key))
    if ctx.presenter:
        left, right, _ = st.columns([1, 1, 4])
        left.toggle(ctx.t("common.hide_money"), key="hide_money")
        right.button(ctx.t("common.exit_presenter"), key="exit_presenter", on_click=_exit_presenter)


def _exit_presenter() -> None:
    st.session_state["presenter"] = False
    if "present" in st.query_params:
        del st.query_params["present"]


def money(ctx: PageContext, value: object, short: bool = True) -> str:
    """Money in the workspace's currency; hidden (as '•••') when hide-money is on."""
    if ctx.hide_money:
        return ctx.t("common.hidden")
    return formatting.money(value, ctx.currency, ctx.lang, short=short)


def pct(ctx: PageContext, value: object, decimals: int = 1, signed: bool = False) -> str:
    return formatting.pct(value, ctx.lang, decimals=decimals, signed=signed)


def number(ctx: PageContext, value: object, decimals: int = 0) -> str:
    return formatting.number(value, ctx.lang, decimals=decimals)


def kpi(container: Any, label: str, value: str, help: str | None = None,
        delta: str | None = None, delta_color: str = "normal", delta_arrow: str = "auto") -> None:
    """A KPI tile; ``help`` carries the figure's definition and window.

    ``delta_arrow="off"`` turns the delta into a plain note ("75 accounts · 52% of ARR").
    """
    container.metric(label, value, delta=delta, delta_color=delta_color, help=help, border=True,
                     delta_arrow=delta_arrow)


def note_kpi(container: Any, label: str, value: str, help: str | None = None, note: str | None = None) -> None:
    """A KPI tile with a grey note under the value (not a change: no arrow, no colour)."""
    kpi(container, label, value, help=help, delta=note, delta_color="off", delta_arrow="off")


# Long tables show their first rows (a browser table of 100k rows is slow to send and to
# read); the whole list goes into a CSV.
TOP_ROWS = 500


def more_rows(ctx: PageContext, rows: pd.DataFrame, prepare: Callable[[pd.DataFrame], pd.DataFrame] | None,
              file_name: str = "", key: str = "") -> None:
    """Under a table showing the first :data:`TOP_ROWS` of ``rows``: when there are more, say
    so and (not in presenter mode) offer all of them as a CSV, ``prepare`` making the display
    frame (its canonical column names are translated). ``prepare=None``: the page offers its
    own downloads of every row."""
    if len(rows) <= TOP_ROWS:
        return
    from cs_metrics.export import to_csv_bytes

    st.caption(ctx.t("common.top_rows", shown=number(ctx, TOP_ROWS), total=number(ctx, len(rows))))
    if prepare is not None and not ctx.presenter:
        download_bytes(ctx, "common.download_csv",
                       lambda: to_csv_bytes(prepare(rows).rename(columns=lambda c: column_label(ctx, c))),
                       file_name, "text/csv", key=key)


def unavailable(ctx: PageContext, reason_key: str, **fmt: Any) -> None:
    st.info(ctx.t(reason_key, **fmt), icon=":material/info:")


def error(ctx: PageContext, exc: Exception) -> None:
    st.error(str(exc), icon=":material/error:")


def requires(ctx: PageContext, needs: Iterable[str]) -> bool:
    """True when the workspace has the tables a page needs; otherwise say what to load.

    Each need is a kind or alternatives joined by ``|`` (``"mrr|subscriptions"``).
    """
    missing = [need for need in needs if not any(ctx.ws.has(k) for k in need.split("|"))]
    if not missing:
        return True
    names = [" / ".join(ctx.t(f"kind.{k}") for k in need.split("|")) for need in missing]
    st.warning(ctx.t("common.requires", tables=", ".join(names)), icon=":material/upload_file:")
    link_to_data(ctx)
    return False


def link_to_data(ctx: PageContext) -> None:
    """A link to the Data page (plain text when the page runs outside the navigation, as in tests)."""
    from streamlit.errors import StreamlitAPIException

    try:
        st.page_link("pages/data.py", label=ctx.t("common.go_to_data"), icon=":material/upload:")
    except StreamlitAPIException:
        st.caption(ctx.t("common.go_to_data"))


# Charts and tables --------------------------------------------------------------------
def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as PNG, rendered by vl-convert from the same spec the screen shows."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_json(), scale=scale)


def _unvalidated(chart_obj: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart with its spec written without JSON-schema validation on every rerun (about
    a fifth of a page's run time with seven charts). The charts are built by our own
    builders and the spec written is the same; the test suite sets
    ``POLARIS_VALIDATE_CHARTS=1`` so that every chart a page shows is still validated there."""
    if os.environ.get("POLARIS_VALIDATE_CHARTS") == "1":  # the test suite validates every chart shown
        return chart_obj
    render = functools.partial(type(chart_obj).to_dict, chart_obj, validate=False)
    object.__setattr__(chart_obj, "to_dict", render)  # Altair keeps its own attributes apart
    return chart_obj


def chart(ctx: PageContext, chart_obj: alt.TopLevelMixin, key: str,
          on_select: str | Callable | None = None, download: bool = True) -> Any:
    """Show an Altair chart full width with a PNG download; returns the selection state."""
    kwargs: dict[str, Any] = {"width": "stretch", "key": key}
    if on_select is not None:
        kwargs["on_select"] = on_select
    result = st.altair_chart(_unvalidated(chart_obj), **kwargs)
    if download and not ctx.presenter:
        st.download_button(
            ctx.t("common.download_png"), data=lambda: chart_png(chart_obj),
            file_name=f"{key}.png", mime="image/png", key=f"{key}_png",
            icon=":material/download:", type="tertiary", on_click="ignore")
    return result


def table(ctx: PageContext, frame: pd.DataFrame, key: str, *, column_config: dict | None = None,
          height: int | None = None, fold_in_presenter: bool = True,
          label_key: str = "common.show_table", **kwargs: Any) -> Any:
    """A data table with translated headers; folded into an expander in presenter mode."""
    shown = frame.rename(columns={c: column_label(ctx, c) for c in frame.columns})
    config = {column_label(ctx, k): v for k, v in (column_config or {}).items()}
    for column in shown.columns if shown.columns.is_unique else ():
        series = shown[column]
        if column in config:
            continue
        if pd.api.types.is_datetime64_any_dtype(series):
            # Dates stored as timestamps at midnight read as dates, not "2026-09-14 00:00:00".
            known = series.dropna()
            if (known.dt.normalize() == known).all():
                config[column] = st.column_config.DateColumn(format="YYYY-MM-DD")
        elif pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            # A missing text is an empty cell, not the word "None".
            shown[column] = series.astype(object).where(series.notna(), "")
    args: dict[str, Any] = {"hide_index": True, "width": "stretch", "column_config": config, "key": key}
    if height:
        args["height"] = height
    args.update(kwargs)
    if ctx.presenter and fold_in_presenter:
        with st.expander(ctx.t(label_key)):
            return st.dataframe(shown, **args)
    return st.dataframe(shown, **args)


def column_label(ctx: PageContext, column: str) -> str:
    """A canonical column name as display text (``col.arr`` -> 'ARR' / '年度经常性收入')."""
    key = f"col.{column}"
    from cs_metrics.i18n import has

    return ctx.t(key) if has(key) else column


def download_bytes(ctx: PageContext, label_key: str, data: bytes | Callable[[], bytes],
                   file_name: str, mime: str, key: str) -> None:
    st.download_button(ctx.t(label_key), data=data, file_name=file_name, mime=mime, key=key,
                       icon=":material/download:", on_click="ignore")


def save_upload(uploaded: Any) -> Path:
    """Write a Streamlit upload to a private file under the data folder and return its path.

    One upload is kept per session: the previous one is deleted, and the session's files
    are deleted when the session ends.
    """
    from cs_metrics.workspace import data_dir

    from streamlit.runtime.scriptrunner import get_script_run_ctx

    holder = _session_holder() if get_script_run_ctx() is not None else None
    if holder is not None:
        holder.forget_uploads()
    folder = data_dir() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # uploads are confidential customer data: owner only
    handle = tempfile.NamedTemporaryFile(delete=False, suffix=Path(uploaded.name).suffix,
                                         prefix="upload_", dir=folder)
    with handle:
        handle.write(uploaded.getbuffer())
    path = Path(handle.name)
    if holder is not None:
        holder.uploads.append(path)
    return path
