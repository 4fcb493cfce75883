"""Concurrent sessions: N browser sessions load a file and navigate at once; page times and memory.

Usage (from the repo root)::

    .venv/bin/python benchmarks/bench_load_sessions.py              # 20 sessions, own server
    .venv/bin/python benchmarks/bench_load_sessions.py --sessions 5 --pages overview retention health

It starts ``streamlit run app.py`` on loopback (a temporary data folder, the sample company),
opens N headless-Chromium contexts (one Streamlit session each) and drives them at once:
open the Data page, upload a different accounts file each (GBK, Chinese headers, a unique
number of rows), check it, load it, open the Overview, then visit the given pages. All
sessions open at once; then each goes on at its own pace, and every step is timed from the
click until that session's script run has finished. It checks after every step that no page
shows an error and, on the Overview, that each session sees its own data (no cross-talk).
Then it closes every session and, once Streamlit has dropped them, measures the server's
memory (VmRSS), the session workspace files it still has open or left on disk, and the
files left in its temp folder.

Prints p50/p95/max per step and over all page views, RSS before / at peak / after and
those file counts. Exit status 1 when a check failed. The default ``--pages`` adds the
Retention and Health pages; the test (tests/browser/test_browser_isolation.py) stops at
the Overview to stay short.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import percentile  # noqa: E402
from cs_metrics.i18n import t  # noqa: E402
from tests.browser.support import (  # noqa: E402
    accounts_csv, click_nav, idle_state, launch_browser, listed_rows, metric_value, page_errors, rss_mb,
    sample_accounts, server_fds, settle, start_server)

@dataclass
class LoadReport:
    sessions: int
    step_times: dict[str, list[float]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    rss_before_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_after_mb: float = 0.0
    open_session_files_peak: int = 0
    open_session_files_after: list[str] = field(default_factory=list)
    session_files_after: list[str] = field(default_factory=list)
    temp_files_after: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def page_times(self) -> list[float]:
        return [x for times in self.step_times.values() for x in times]

    def percentile(self, q: float, values: list[float] | None = None) -> float:
        return percentile(q, self.page_times if values is None else values)

    def lines(self) -> list[str]:
        out = [f"{self.sessions} concurrent sessions, {len(self.page_times)} page views, {self.wall_s:.0f} s wall"]
        for step, times in self.step_times.items():
            out.append(f"  {step:<22s} p50 {self.percentile(50, times):5.1f} s   p95 {self.percentile(95, times):5.1f} s"
                       f"   max {max(times):5.1f} s")
        out.append(f"  {'all page views':<22s} p50 {self.percentile(50):5.1f} s   p95 {self.percentile(95):5.1f} s")
        out.append(f"server RSS: before {self.rss_before_mb:.0f} MB, peak {self.rss_peak_mb:.0f} MB, "
                   f"after the sessions closed {self.rss_after_mb:.0f} MB")
        out.append(f"session workspace files open: peak {self.open_session_files_peak}, "
                   f"after {len(self.open_session_files_after)}; on disk after: {len(self.session_files_after)}")
        out.append(f"files left in the server's temp folder: {len(self.temp_files_after)}")
        out.extend(f"PROBLEM: {p}" for p in self.problems)
        return out


def _poke(url: str) -> None:
    """One HTTP request, so the server's session store runs its expiry (it expires lazily)."""
    try:
        urllib.request.urlopen(url + "/_stcore/health", timeout=5).read()
    except OSError:
        pass


def _expire_sessions(browser, url: str, ttl_s: float) -> None:
    """Let closed sessions pass their TTL, then open and close one session: Streamlit's session
    store (a TTL cache) drops expired sessions only when it is next written to. That probe
    session itself stays stored until the next one (it holds the one workspace left)."""
    time.sleep(ttl_s + 1.0)
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(url + "/data?lang=en")
    settle(page, timeout_s=120)
    ctx.close()
    _poke(url)
    gc.collect()
    time.sleep(0.5)


def run_load(browser, url: str, pid: int, data_dir: Path, n_sessions: int = 20,
             pages: tuple[str, ...] = ("retention",), session_ttl_s: float = 2.0,
             step_timeout_s: float = 240, tmp_dir: Path | None = None) -> LoadReport:
    """Drive ``n_sessions`` sessions of the app at ``url`` at once (see the module doc).

    ``data_dir`` is the server's data folder (its ``sessions/`` is checked for open and
    leftover private copies), ``tmp_dir`` its temp folder (checked for leftovers at the end).
    """
    report = LoadReport(sessions=n_sessions)
    files_dir = Path(tempfile.mkdtemp(prefix="polaris_load_"))
    sessions_dir = data_dir / "sessions"
    started = time.time()

    # Warm up: one session through the same steps, so imports and the first-run costs are not
    # counted as growth; then the baseline.
    _expire_sessions(browser, url, session_ttl_s)
    report.rss_before_mb = rss_mb(pid)
    peak = report.rss_before_mb

    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(n_sessions)]
    tabs = [c.new_page() for c in contexts]
    rows = [3 + i for i in range(n_sessions)]  # a different row count per session
    files = [accounts_csv(files_dir, f"客户台账_{i}.csv", f"S{i:02d}K", rows[i], marker=f"会话{i}号客户")
             for i in range(n_sessions)]
    shown_accounts: dict[int, str] = {}
    base = sample_accounts(data_dir)

    check_label, load_label = t("data.check", "en"), t("data.load", "en")

    def has_button(tab, name: str) -> bool:
        return tab.get_by_role("button", name=name, exact=True).count() > 0

    def on_page(tab, path: str) -> bool:
        return tab.url.split("?")[0].rstrip("/").endswith("/" + path) or (path == "overview" and tab.url.split(
            "?")[0].rstrip("/") == url)

    # (name, action, done): the action is issued, then the step ends when the session is idle
    # and ``done`` holds (so a step is never taken as finished before its rerun has started).
    steps = [
        ("open (new session)", lambda i, tab: tab.goto(url + "/data?lang=en", wait_until="commit"),
         lambda i, tab: tab.locator('[data-testid="stFileUploader"]').count() > 0),
        ("upload", lambda i, tab: tab.locator('[data-testid="stFileUploader"] input[type="file"]')
         .first.set_input_files(str(files[i])), lambda i, tab: has_button(tab, check_label)),
        ("check", lambda i, tab: tab.get_by_role("button", name=check_label, exact=True).first.click(),
         lambda i, tab: has_button(tab, load_label)),
        ("load", lambda i, tab: tab.get_by_role("button", name=load_label, exact=True).first.click(),
         lambda i, tab: tab.locator('[data-testid="stAlertContentSuccess"]').filter(
             has_text=files[i].name).count() > 0),
        ("overview", lambda i, tab: click_nav(tab, "overview"),
         lambda i, tab: on_page(tab, "overview") and tab.locator('[data-testid="stMetric"]').count() > 0),
    ] + [(name, lambda i, tab, name=name: click_nav(tab, name),
          lambda i, tab, name=name: on_page(tab, name) and tab.locator("h1").count() > 0) for name in pages]

    def after_step(i: int, tab, name: str) -> None:
        errors = page_errors(tab)
        if errors:
            report.problems.append(f"session {i}, {name}: {errors[0][:300]}")
        if name == "overview":
            # Each session loaded its own number of accounts: its Overview lists exactly that
            # table, and its Accounts figure differs from every other session's.
            # The file's accounts replace the sample's or are merged into them (the Data page's
            # default for a second accounts file): either way a count no other session has.
            shown_accounts[i] = metric_value(tab, t("overview.accounts", "en"))
            listed = listed_rows(tab.locator('[data-testid="stMain"]').inner_text(), "accounts")
            if listed not in (rows[i], base + rows[i]):
                report.problems.append(f"session {i}: the Overview lists {listed} accounts after loading "
                                       f"{rows[i]}: cross-talk or a lost load")

    n = n_sessions
    position, issued = [0] * n, [0.0] * n
    quiet: list[float | None] = [None] * n
    last_sample = 0.0

    def issue(i: int) -> None:
        issued[i] = time.time()
        steps[position[i]][1](i, tabs[i])

    try:
        for tab in tabs:
            tab.set_default_timeout(step_timeout_s * 1000)
        # Every session opens at once; then each goes on at its own pace.
        for i in range(n):
            issue(i)
        while any(p < len(steps) for p in position):
            for i, tab in enumerate(tabs):
                if position[i] >= len(steps):
                    continue
                name, _, done = steps[position[i]]
                if time.time() - issued[i] > step_timeout_s:
                    report.problems.append(f"session {i}, {name}: still running after {step_timeout_s:.0f} s")
                    raise TimeoutError(report.problems[-1])
                try:
                    idle = idle_state(tab) and done(i, tab)
                except Exception:  # noqa: BLE001 - the page is being replaced by a navigation
                    idle = False
                if not idle:
                    quiet[i] = None
                    continue
                quiet[i] = quiet[i] or time.time()
                if time.time() - quiet[i] < 0.6:
                    continue
                report.step_times.setdefault(name, []).append(quiet[i] - issued[i])
                after_step(i, tab, name)
                position[i] += 1
                quiet[i] = None
                if position[i] < len(steps):
                    issue(i)
            if time.time() - last_sample > 1.0:
                last_sample = time.time()
                peak = max(peak, rss_mb(pid))
                opened = {f for f in server_fds(pid, sessions_dir) if f.endswith(".duckdb")}
                report.open_session_files_peak = max(report.open_session_files_peak, len(opened))
            time.sleep(0.05)
    finally:
        for ctx in contexts:
            ctx.close()
    if len(set(shown_accounts.values())) != len(shown_accounts):
        report.problems.append(f"two sessions show the same Accounts figure: {shown_accounts}")
    _expire_sessions(browser, url, session_ttl_s)
    report.rss_peak_mb = peak
    report.rss_after_mb = rss_mb(pid)
    report.open_session_files_after = [f for f in server_fds(pid, sessions_dir) if f.endswith(".duckdb")]
    report.session_files_after = sorted(str(p) for p in sessions_dir.glob("*.duckdb"))
    if tmp_dir is not None:
        report.temp_files_after = sorted(str(p) for p in tmp_dir.rglob("*") if p.is_file())
    report.wall_s = time.time() - started
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--pages", nargs="*", default=["retention", "health"],
                    help="pages visited after the load (URL paths), in order")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    data_dir = Path(tempfile.mkdtemp(prefix="polaris_bench_")) / "data"
    server = start_server(data_dir, session_ttl=2)
    try:
        with sync_playwright() as pw:
            browser = launch_browser(pw)
            try:
                report = run_load(browser, server.url, server.pid, data_dir, n_sessions=args.sessions,
                                  pages=tuple(args.pages), tmp_dir=server.tmp_dir)
            finally:
                browser.close()
    finally:
        server.stop()
    print("\n".join(report.lines()))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
