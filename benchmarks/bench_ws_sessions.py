"""Concurrent sessions as websocket clients: the server's page times and memory under load.

Usage (from the repo root)::

    .venv/bin/python benchmarks/bench_ws_sessions.py                 # 20 sessions, own server
    .venv/bin/python benchmarks/bench_ws_sessions.py --sessions 5 --rounds 2 --pages overview retention

benchmarks/bench_load_sessions.py drives real headless-Chromium tabs; on a small machine the
browsers then eat most of the CPU and its page times measure them more than the server. This
benchmark speaks Streamlit's own protocol instead, so what it times is the server's work:

* Each session is one websocket on ``ws://127.0.0.1:PORT/_stcore/stream`` (the frontend's
  subprotocol ``streamlit``). Every frame is a protobuf: the client sends ``BackMsg``, the
  server answers with ``ForwardMsg``.
* A page view is one ``BackMsg.rerun_script`` (a ``ClientState``), as the 1.67 frontend sends
  it: the first run names no page (``page_script_hash`` and ``page_name`` empty, so the app's
  default page, the Overview, runs) and carries the URL's ``query_string`` (``lang=en`` or
  ``lang=zh``); a later page change names the page's ``page_script_hash``, taken from the
  ``navigation`` ForwardMsg the app's ``st.navigation`` sends on every run (its ``app_pages``
  have the ``url_pathname`` and the translated ``page_name``; ``new_session.app_pages`` is
  not used: under ``st.navigation`` its ``url_pathname`` is the translated title).
  ``widget_states`` is sent empty: the server keeps each widget's last value, as for a
  rerun in which the user changed nothing.
* The server answers a run with ``new_session`` (its run id in ``metadata.run``, the page
  asked for in ``page_script_hash``), ``navigation`` (the pages, and in its
  ``page_script_hash`` the page that actually runs), the page's ``delta`` messages and, at
  the end, ``script_finished``. A view is timed from sending the request until the
  ``script_finished`` of the run it started (``FINISHED_EARLY_FOR_RERUN``, sent when the
  page calls ``st.rerun()``, does not end it).
* A problem is: an exception element (``Delta.new_element.exception``), an error box
  (``new_element.alert`` with format ERROR), a script compile error, a page-not-found, a run
  that did not finish successfully or in time, a run of another page than the one asked
  for, a page whose title (its first heading) is not its navigation title, or a navigation in
  another language than the session's (``lang`` is fixed per session: another language
  means cross-talk between sessions).

It starts ``streamlit run app.py`` on loopback (a temporary data folder, the sample company),
warms it up with two sessions (one per language) that visit every page once, closes them and
lets the server drop them; that is the memory baseline. Then N sessions (half English, half
Chinese) connect at once; each runs the default page and visits the page list R times at its
own pace, all concurrently. Every session then closes; once Streamlit has dropped them the
server's memory (VmRSS) and the session workspace files it still has open or left on disk
are measured. Prints p50/p95/max per page and over all page views; exit status 1 when there
was a problem.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import percentile  # noqa: E402
from cs_metrics.i18n import t  # noqa: E402
from tests.browser.support import rss_mb, server_fds, start_server  # noqa: E402

# URL paths as in the browser (the Overview is the default page, served at "/").
DEFAULT_PAGES = ("overview", "retention", "health", "segments", "risk_renewals", "account_360",
                 "leaky_bucket", "lifecycle")
DEFAULT_PAGE = "overview"
FIRST_RUN = "open (first run)"
LANGS = ("en", "zh")
# Arrow tables and chart specs can exceed websockets' default 1 MiB frame limit.
MAX_FRAME_BYTES = 256 * 2**20


def _finished_statuses():
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    return {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


@dataclass
class NavPage:
    """One page of the app's navigation as the server announced it."""

    url_pathname: str
    page_script_hash: str
    title: str
    is_default: bool


@dataclass
class RunResult:
    """What one script run sent back (see the module doc)."""

    seconds: float
    status: str
    page_script_hash: str
    navigation: list[NavPage]
    headings: list[str]
    problems: list[str]
    warnings: list[str]
    early_reruns: int

    def nav_page(self, path: str) -> NavPage | None:
        path = path.strip("/")
        for page in self.navigation:
            if page.url_pathname == path or (path == DEFAULT_PAGE and page.is_default):
                return page
        return None


class StreamlitSession:
    """One Streamlit session driven over ``/_stcore/stream`` the way the 1.67 frontend drives it."""

    def __init__(self, base_url: str, lang: str):
        self.base_url = base_url.rstrip("/")
        self.ws_url = self.base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self.lang = lang
        self.session_id = ""
        self._ws = None

    async def connect(self, timeout_s: float = 30) -> None:
        from websockets.asyncio.client import connect

        # No websocket pings (the frontend sends none; a server busy with 20 runs could miss
        # a ping deadline and drop a healthy session); no HTTP proxy for loopback.
        self._ws = await connect(self.ws_url, subprotocols=["streamlit"], max_size=MAX_FRAME_BYTES,
                                 open_timeout=timeout_s, ping_interval=None, proxy=None)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    def _rerun_msg(self, query_string: str, page_script_hash: str, url_path: str) -> bytes:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = query_string
        state.page_script_hash = page_script_hash
        # The first run names the page by its URL path (the Overview's is ""); later page
        # changes name it by hash only, as the frontend does.
        state.page_name = "" if page_script_hash else url_path
        info = state.context_info
        info.timezone = "UTC"
        info.timezone_offset = 0
        info.locale = "zh-CN" if self.lang == "zh" else "en-US"
        info.url = f"{self.base_url}/{url_path}" + (f"?{query_string}" if query_string else "")
        info.color_scheme = "light"
        return msg.SerializeToString()

    async def run(self, query_string: str, page_script_hash: str = "", url_path: str = "",
                  timeout_s: float = 180) -> RunResult:
        """Ask for one script run and read the server's messages until it has finished.

        Raises TimeoutError when no final ``script_finished`` came within ``timeout_s`` and
        websockets' ConnectionClosed when the server closed the session.
        """
        from streamlit.proto.Alert_pb2 import Alert
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        final = _finished_statuses()
        problems: list[str] = []
        warnings: list[str] = []
        headings: list[str] = []
        navigation: list[NavPage] = []
        run_id: str | None = None
        page_hash = ""
        early = 0
        started = time.perf_counter()
        await self._ws.send(self._rerun_msg(query_string, page_script_hash, url_path))
        async with asyncio.timeout(timeout_s):
            while True:
                msg = ForwardMsg()
                msg.ParseFromString(await self._ws.recv())
                kind = msg.WhichOneof("type")
                if kind == "new_session":
                    # Messages before this run's new_session belong to the previous run.
                    run_id = msg.metadata.run.script_run_id
                    page_hash = msg.new_session.page_script_hash
                    self.session_id = msg.new_session.initialize.session_id or self.session_id
                    headings, problems, warnings = [], [], []
                elif run_id is None:
                    continue
                elif kind == "navigation":
                    navigation = [NavPage(p.url_pathname, p.page_script_hash, p.page_name, p.is_default)
                                  for p in msg.navigation.app_pages]
                    # The page st.navigation picked (new_session names the main script on a
                    # first run, before st.navigation has resolved the page).
                    page_hash = msg.navigation.page_script_hash or page_hash
                elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    element = msg.delta.new_element
                    element_kind = element.WhichOneof("type")
                    main_area = bool(msg.metadata.delta_path) and msg.metadata.delta_path[0] == 0
                    if element_kind == "exception":
                        exc = element.exception
                        problems.append(f"exception {exc.type}: {exc.message[:300]}")
                    elif element_kind == "alert" and element.alert.format == Alert.ERROR:
                        problems.append(f"error box: {element.alert.body[:300]}")
                    elif element_kind == "alert" and element.alert.format == Alert.WARNING:
                        warnings.append(element.alert.body[:200])
                    elif element_kind == "heading" and main_area:
                        headings.append(element.heading.body)
                elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
                    exc = msg.session_event.script_compilation_exception
                    problems.append(f"compile error {exc.type}: {exc.message[:300]}")
                elif kind == "page_not_found":
                    problems.append(f"page not found: {msg.page_not_found.page_name!r}")
                elif kind == "script_finished":
                    if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        early += 1  # st.rerun(): the next run of the chain follows
                        continue
                    finished_id = msg.metadata.run.script_run_id
                    if msg.script_finished in final and finished_id in (run_id, ""):
                        status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                        return RunResult(time.perf_counter() - started, status, page_hash, navigation,
                                         headings, problems, warnings, early)


@dataclass
class PageView:
    session: int
    lang: str
    round: int
    page: str
    seconds: float | None  # None: it did not finish (timeout, closed connection)


@dataclass
class WsLoadReport:
    sessions: int
    rounds: int
    pages: tuple[str, ...]
    views: list[PageView] = field(default_factory=list)
    connect_s: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)
    early_reruns: int = 0
    rss_start_mb: float = 0.0
    rss_before_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_after_mb: float = 0.0
    open_session_files_peak: int = 0
    open_session_files_after: list[str] = field(default_factory=list)
    session_files_after: list[str] = field(default_factory=list)
    release_s: float = 0.0
    wall_s: float = 0.0
    load_s: float = 0.0
    client_cpu_s: float = 0.0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def expected_views(self) -> int:
        return self.sessions * (1 + self.rounds * len(self.pages))

    @property
    def finished(self) -> list[PageView]:
        return [v for v in self.views if v.seconds is not None]

    def finished_per_session(self) -> dict[int, int]:
        counts = {i: 0 for i in range(self.sessions)}
        for view in self.finished:
            counts[view.session] += 1
        return counts

    def step_times(self) -> dict[str, list[float]]:
        steps: dict[str, list[float]] = {FIRST_RUN: []}
        for page in self.pages:
            steps.setdefault(page, [])
        for view in self.finished:
            steps.setdefault(view.page, []).append(view.seconds)
        return {k: v for k, v in steps.items() if v}

    @property
    def page_times(self) -> list[float]:
        return [v.seconds for v in self.finished]

    percentile = staticmethod(percentile)

    def lines(self) -> list[str]:
        p = self.percentile
        out = [f"{self.sessions} concurrent websocket sessions ({', '.join(LANGS)} alternating), "
               f"{self.rounds} round(s) of {len(self.pages)} pages: {len(self.finished)}/{self.expected_views} "
               f"page views finished, {self.wall_s:.0f} s wall",
               "load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f} ({} cores)".format(
                   *self.load_before, *self.load_after, os.cpu_count()),
               f"load generator's own CPU: {self.client_cpu_s:.1f} s in the {self.load_s:.0f} s the sessions ran"]
        if self.connect_s:
            out.append(f"  {'connect':<22s} p50 {p(50, self.connect_s):6.2f} s   p95 {p(95, self.connect_s):6.2f} s"
                       f"   max {max(self.connect_s):6.2f} s")
        for step, times in self.step_times().items():
            out.append(f"  {step:<22s} p50 {p(50, times):6.2f} s   p95 {p(95, times):6.2f} s"
                       f"   max {max(times):6.2f} s   (n={len(times)})")
        if self.page_times:
            out.append(f"  {'all page views':<22s} p50 {p(50, self.page_times):6.2f} s   "
                       f"p95 {p(95, self.page_times):6.2f} s   max {max(self.page_times):6.2f} s")
        out.append(f"server RSS: at start {self.rss_start_mb:.0f} MB, after warm-up (baseline) "
                   f"{self.rss_before_mb:.0f} MB, peak {self.rss_peak_mb:.0f} MB, after the sessions closed "
                   f"{self.rss_after_mb:.0f} MB ({self.rss_after_mb - self.rss_before_mb:+.0f} MB; released "
                   f"within {self.release_s:.0f} s)")
        out.append(f"session workspace files open: peak {self.open_session_files_peak}, "
                   f"after {len(self.open_session_files_after)}; on disk after: {len(self.session_files_after)}")
        if self.early_reruns:
            out.append(f"runs ended early by st.rerun(): {self.early_reruns}")
        for text, n in sorted(self.warnings.items(), key=lambda kv: -kv[1])[:10]:
            out.append(f"warning box ×{n}: {text}")
        out.append(f"problems: {len(self.problems)}")
        out.extend(f"PROBLEM: {msg}" for msg in self.problems[:40])
        if len(self.problems) > 40:
            out.append(f"... and {len(self.problems) - 40} more")
        return out


def sample_account_id(data_dir: Path) -> str:
    """An account of the server's sample company (read-only; the server only copies that file)."""
    import duckdb

    con = duckdb.connect(str(data_dir / "sample.duckdb"), read_only=True)
    try:
        return str(con.execute("SELECT min(account_id) FROM accounts").fetchone()[0])
    finally:
        con.close()


def _query(lang: str, page: str, account: str | None) -> str:
    params = {"lang": lang}
    if page == "account_360" and account:
        params["account"] = account
    return urllib.parse.urlencode(params)


async def _drive_session(index: int, lang: str, url: str, pages: tuple[str, ...], rounds: int,
                         account: str | None, report: WsLoadReport, page_timeout_s: float) -> None:
    """Connect, run the default page, then visit ``pages`` ``rounds`` times; record into ``report``."""
    from websockets.exceptions import ConnectionClosed, WebSocketException

    session = StreamlitSession(url, lang)
    current = "connect"
    expected_title = t("overview.title", lang)
    where = f"session {index} ({lang})"

    def check(result: RunResult, page: str, target: NavPage | None) -> None:
        label = f"{where}, {page}"
        report.problems.extend(f"{label}: {p}" for p in result.problems)
        for text in result.warnings:
            report.warnings[text] = report.warnings.get(text, 0) + 1
        report.early_reruns += result.early_reruns
        if result.status != "FINISHED_SUCCESSFULLY":
            report.problems.append(f"{label}: the run ended with {result.status}")
        default = next((p for p in result.navigation if p.is_default), None)
        if default is None:
            report.problems.append(f"{label}: no navigation in the run")
        elif default.title != expected_title:
            report.problems.append(f"{label}: the navigation is in another language ({default.title!r}, "
                                   f"expected {expected_title!r}): cross-talk")
        ran = target or default
        if ran is not None:
            if result.page_script_hash != ran.page_script_hash:
                report.problems.append(f"{label}: the server ran page {result.page_script_hash[:8]}, "
                                       f"not {ran.page_script_hash[:8]}")
            if not result.headings or result.headings[0] != ran.title:
                report.problems.append(f"{label}: page title {result.headings[:1]} is not {ran.title!r}")

    async def view(round_: int, page: str, target: NavPage | None) -> RunResult:
        nonlocal current
        current = page
        path = "" if page in (DEFAULT_PAGE, FIRST_RUN) else page
        try:
            result = await session.run(_query(lang, page, account), target.page_script_hash if target else "",
                                       path, timeout_s=page_timeout_s)
        except BaseException:
            report.views.append(PageView(index, lang, round_, page, None))
            raise
        report.views.append(PageView(index, lang, round_, page, result.seconds))
        check(result, page, target)
        return result

    try:
        started = time.perf_counter()
        await session.connect()
        report.connect_s.append(time.perf_counter() - started)
        result = await view(0, FIRST_RUN, None)
        for round_ in range(1, rounds + 1):
            for page in pages:
                target = result.nav_page(page)
                if target is None:
                    report.problems.append(f"{where}: no page {page!r} in the navigation")
                    report.views.append(PageView(index, lang, round_, page, None))
                    continue
                result = await view(round_, page, target)
    except TimeoutError:
        waited = "no connection within 30 s" if current == "connect" else \
            f"no script_finished within {page_timeout_s:.0f} s"
        report.problems.append(f"{where}, {current}: {waited}")
    except ConnectionClosed as exc:
        report.problems.append(f"{where}, {current}: the server closed the connection ({exc})")
    except (OSError, WebSocketException) as exc:
        report.problems.append(f"{where}, {current}: websocket failure ({exc!r})")
    finally:
        await session.close()


async def _sample(pid: int, sessions_dir: Path, report: WsLoadReport, stop: asyncio.Event) -> None:
    """Peak RSS and peak number of session workspace files the server holds open, every 0.5 s."""
    while not stop.is_set():
        try:
            report.rss_peak_mb = max(report.rss_peak_mb, rss_mb(pid))
            opened = [f for f in server_fds(pid, sessions_dir) if f.endswith(".duckdb")]
        except (OSError, RuntimeError):
            return  # the server has gone; the run reports it
        report.open_session_files_peak = max(report.open_session_files_peak, len(opened))
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except TimeoutError:
            pass


async def _release(url: str, pid: int, sessions_dir: Path, session_ttl_s: float,
                   wait_s: float = 60) -> float:
    """Wait until the server has dropped the closed sessions; returns the seconds it took.

    A closed session's workspace is released when its websocket closes; the session itself
    stays in Streamlit's session store (a TTL cache) for ``session_ttl_s`` and is dropped only
    when that store is next written to. So: wait out the TTL, then connect and close one
    more session, which runs nothing (it opens no workspace) and only makes the store expire
    the old ones; repeat until no session workspace is open or on disk, or ``wait_s`` passed.
    """
    started = time.time()
    await asyncio.sleep(session_ttl_s + 1.0)
    while True:
        probe = StreamlitSession(url, "en")
        try:
            await probe.connect()
        except Exception:  # noqa: BLE001 - the server is gone or refusing: the checks below say so
            pass
        finally:
            await probe.close()
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=5).read()
        except OSError:
            pass
        opened = [f for f in server_fds(pid, sessions_dir) if f.endswith(".duckdb")]
        on_disk = list(sessions_dir.glob("*.duckdb"))
        if (not opened and not on_disk) or time.time() - started > wait_s:
            break
        await asyncio.sleep(1.0)
    # Let the allocator hand back what the dropped sessions freed before memory is read.
    await asyncio.sleep(2.0)
    return time.time() - started


async def _run_sessions(url: str, n: int, pages: tuple[str, ...], rounds: int, account: str | None,
                        report: WsLoadReport, page_timeout_s: float, timeout_s: float) -> None:
    tasks = [asyncio.create_task(_drive_session(i, LANGS[i % 2], url, pages, rounds, account, report,
                                                page_timeout_s)) for i in range(n)]
    done, pending = await asyncio.wait(tasks, timeout=timeout_s)
    for task in pending:
        task.cancel()
    if pending:
        report.problems.append(f"{len(pending)} sessions still running after the overall limit of {timeout_s:.0f} s")
        await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        if task.exception() is not None:
            report.problems.append(f"a session failed: {task.exception()!r}")


async def _run_ws_load(url: str, pid: int, data_dir: Path, n_sessions: int, pages: tuple[str, ...],
                       rounds: int, session_ttl_s: float, page_timeout_s: float, timeout_s: float,
                       warm_up: bool) -> WsLoadReport:
    report = WsLoadReport(sessions=n_sessions, rounds=rounds, pages=pages)
    sessions_dir = data_dir / "sessions"
    report.rss_start_mb = rss_mb(pid)
    started = time.time()
    if warm_up:
        # One session per language through every page, so imports, the sample's first copy
        # and per-page first-run costs are neither timed nor counted as growth.
        warm = WsLoadReport(sessions=2, rounds=1, pages=pages)
        await _run_sessions(url, 2, pages, 1, None, warm, page_timeout_s, timeout_s)
        report.problems.extend(f"warm-up: {p}" for p in warm.problems)
        await _release(url, pid, sessions_dir, session_ttl_s)
    account = sample_account_id(data_dir) if "account_360" in pages else None
    report.rss_before_mb = report.rss_peak_mb = rss_mb(pid)
    report.load_before = os.getloadavg()
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample(pid, sessions_dir, report, stop))
    load_started, cpu_started = time.time(), time.process_time()
    try:
        await _run_sessions(url, n_sessions, pages, rounds, account, report, page_timeout_s, timeout_s)
    finally:
        stop.set()
        await sampler
    report.load_s, report.client_cpu_s = time.time() - load_started, time.process_time() - cpu_started
    report.load_after = os.getloadavg()
    report.release_s = await _release(url, pid, sessions_dir, session_ttl_s)
    report.rss_after_mb = rss_mb(pid)
    report.open_session_files_after = [f for f in server_fds(pid, sessions_dir) if f.endswith(".duckdb")]
    report.session_files_after = sorted(str(p) for p in sessions_dir.glob("*.duckdb"))
    counts = report.finished_per_session()
    short = {i: c for i, c in counts.items() if c < 1 + rounds * len(pages)}
    if short:
        report.problems.append(f"sessions without a script_finished for every page (finished views): {short}")
    report.wall_s = time.time() - started
    return report


def run_async(coroutine: Any) -> Any:
    """``asyncio.run(coroutine)``, in a thread of its own when this thread already runs an
    event loop (Playwright's sync API leaves one running in the test process)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="ws-load")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def run_ws_load(url: str, pid: int, data_dir: Path, n_sessions: int = 20,
                pages: tuple[str, ...] = DEFAULT_PAGES, rounds: int = 1, session_ttl_s: float = 2.0,
                page_timeout_s: float = 180, timeout_s: float = 900, warm_up: bool = True) -> WsLoadReport:
    """Drive ``n_sessions`` websocket sessions of the app at ``url`` at once (see the module doc).

    ``pid`` is the server's process (its memory and open files are read from /proc),
    ``data_dir`` its data folder (``sessions/`` holds the private workspace copies),
    ``session_ttl_s`` its ``server.disconnectedSessionTTL``. Each page view may take
    ``page_timeout_s``; the sessions together ``timeout_s`` (then they are cancelled).
    """
    return run_async(_run_ws_load(url, pid, data_dir, n_sessions, tuple(pages), rounds, session_ttl_s,
                                    page_timeout_s, timeout_s, warm_up))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=1, help="how many times each session visits the page list")
    ap.add_argument("--pages", nargs="*", default=list(DEFAULT_PAGES),
                    help="pages visited after the first run (URL paths; overview = the default page), in order")
    ap.add_argument("--page-timeout", type=float, default=180, help="seconds one page view may take")
    ap.add_argument("--timeout", type=float, default=900, help="seconds all sessions together may take")
    args = ap.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="polaris_bench_ws_")) / "data"
    server = start_server(data_dir, session_ttl=2)
    try:
        report = run_ws_load(server.url, server.pid, data_dir, n_sessions=args.sessions, pages=tuple(args.pages),
                             rounds=args.rounds, page_timeout_s=args.page_timeout, timeout_s=args.timeout)
        alive = server.alive()
    finally:
        server.stop()
    print("\n".join(report.lines()))
    if not alive:
        print("PROBLEM: the server died during the run")
    if report.problems or not alive:
        print("--- server log (tail) ---")
        print(server.log_tail(4000))
    return 1 if report.problems or not alive else 0


if __name__ == "__main__":
    sys.exit(main())
