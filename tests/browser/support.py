"""Helpers for the browser tests: start the app, find a Chromium, wait for Streamlit, read a page.

Kept out of conftest.py so the load benchmark (benchmarks/bench_load_sessions.py) drives
the app exactly as the tests do.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
ERROR_SELECTORS = ('[data-testid="stException"]', '[data-testid="stAlertContentError"]')
CHART_SELECTOR = '[data-testid="stVegaLiteChart"]'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``streamlit run app.py`` on loopback, with its log file and data folder."""

    url: str
    proc: subprocess.Popen
    log_path: Path
    data_dir: Path
    tmp_dir: Path
    _log: object = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def rss_mb(self) -> float:
        """Resident memory of the server process (VmRSS in /proc/<pid>/status), in MB."""
        return rss_mb(self.pid)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def start_server(data_dir: Path, *, session_ttl: int = 2, wait_s: float = 90,
                 extra_env: dict[str, str] | None = None) -> Server:
    """Start the app headless on a free loopback port and wait for ``/_stcore/health``.

    ``session_ttl`` is Streamlit's ``server.disconnectedSessionTTL``: how long a closed tab's
    session (and its workspace) is kept before the server drops it. Raises RuntimeError with
    the server's output when it does not come up.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env["POLARIS_DATA_DIR"] = str(data_dir)
    # The server's own temp folder, so that tests can see what it leaves there (uploads).
    tmp_dir = data_dir.parent / f"server_tmp_{port}"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(tmp_dir)
    env.update(extra_env or {})
    env.setdefault("PYTHONUNBUFFERED", "1")
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"streamlit_{port}.log"
    log = open(log_path, "w", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py",
         "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--client.showErrorDetails", "full",
         "--server.disconnectedSessionTTL", str(session_ttl), "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(url=url, proc=proc, log_path=log_path, data_dir=data_dir, tmp_dir=tmp_dir, _log=log)
    deadline = time.time() + wait_s
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"the app did not start on {url}:\n{server.log_tail()}")


def chromium_executable() -> str | None:
    """$POLARIS_CHROMIUM, else Debian's /usr/bin/chromium (or a chromium on PATH); None = Playwright's own."""
    for candidate in (os.environ.get("POLARIS_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def launch_browser(playwright):
    """Launch headless Chromium; raises when no browser can be started."""
    exe = chromium_executable()
    kwargs = {"args": CHROMIUM_ARGS, "headless": True}
    if exe:
        try:
            return playwright.chromium.launch(executable_path=exe, **kwargs)
        except Exception:  # noqa: BLE001 - fall back to Playwright's own browser below
            pass
    return playwright.chromium.launch(**kwargs)


def settle(page, timeout_s: float = 90, quiet_s: float = 0.6) -> float:
    """Wait until Streamlit has finished running the script and stays idle for ``quiet_s``.

    Idle means: ``stApp`` reports ``data-test-script-state="notRunning"`` (it is ``initial``
    until the first run has started), and neither the running status widget nor a loading
    skeleton is shown. Returns the seconds until it became idle; raises TimeoutError.
    """
    start = time.time()
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_s * 1000)
    deadline = start + timeout_s
    quiet_since = None
    while time.time() < deadline:
        if not idle_state(page):
            quiet_since = None
        else:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= quiet_s:
                return quiet_since - start
        time.sleep(0.1)
    raise TimeoutError(f"Streamlit was still running after {timeout_s:.0f} s on {page.url}")


def wait_for_charts(page, at_least: int = 1, timeout_s: float = 20) -> int:
    """Wait until ``at_least`` Vega-Lite charts have drawn; return how many have (maybe fewer)."""
    deadline = time.time() + timeout_s
    while True:
        n = chart_count(page)
        if n >= at_least or time.time() > deadline:
            return n
        time.sleep(0.2)


def page_errors(page) -> list[str]:
    """Text of every exception box and error alert on the page."""
    return page.evaluate(
        "(sels) => sels.flatMap(s => [...document.querySelectorAll(s)].map(e => e.innerText.slice(0, 500)))",
        list(ERROR_SELECTORS))


def main_text(page) -> str:
    """The visible text of the page's main area and sidebar."""
    return page.evaluate("() => document.body.innerText")


def chart_count(page) -> int:
    """How many Vega-Lite charts on the page have actually drawn (a canvas or an svg)."""
    return page.evaluate(
        "(sel) => [...document.querySelectorAll(sel)].filter(e => e.querySelector('canvas, svg')).length",
        CHART_SELECTOR)


def english_leaks(text: str) -> list[str]:
    """English catalogue messages (3+ words) that appear verbatim in the text of a Chinese page,
    as tests/page_text.py checks for AppTest runs."""
    from cs_metrics.i18n import catalogue

    leaks = []
    for key, (en, zh) in catalogue().items():
        plain = en.split("{")[0].strip()
        if en != zh and len(plain.split()) >= 3 and plain in text:
            leaks.append(f"{key}: {plain}")
    return leaks


def nav_paths(page, base_url: str) -> list[str]:
    """URL paths of every page in the sidebar navigation (the root page first)."""
    hrefs = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=\"stSidebarNavLink\"]')].map(a => a.href)")
    paths = []
    for href in hrefs:
        path = href.split("://", 1)[-1].split("/", 1)[-1].split("?")[0].strip("/")
        if path not in paths:
            paths.append(path)
    return paths


def selectbox(page, label: str):
    """The Streamlit selectbox whose label is exactly ``label``."""
    return page.locator('[data-testid="stSelectbox"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))).first


def select_option(page, label: str, option: str | None, timeout_s: float = 30) -> None:
    """Choose ``option`` (its exact text; None = the first offered) in the selectbox ``label``.

    Streamlit 1.67 draws a selectbox as a react-aria combobox whose list is virtualised, so
    the option's text is typed to filter the list before it is clicked.
    """
    box = selectbox(page, label).locator('[role="combobox"]').first
    box.click(timeout=timeout_s * 1000)
    options = page.locator('[role="option"]')
    if option is not None:
        box.fill(option, timeout=timeout_s * 1000)
        options = options.filter(has_text=re.compile(rf"^\s*{re.escape(option)}\s*$"))
    options.first.click(timeout=timeout_s * 1000)


def metric_value(page, label: str) -> str:
    """The value shown in the KPI tile labelled ``label``."""
    tile = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    return tile.first.locator('[data-testid="stMetricValue"]').inner_text(timeout=30_000).strip()


def private_tempdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def go_to(page, url_path: str, timeout_s: float = 120) -> None:
    """Open a page of the navigation inside the current session (a sidebar link click, not a
    reload, so the session, its workspace and its cached results are kept)."""
    click_nav(page, url_path)
    settle(page, timeout_s=timeout_s)


def current_language(page) -> str:
    checked = page.locator('[data-testid="stSidebar"] [data-testid="stRadio"] input:checked')
    if checked.count() == 0:
        return ""
    label = page.locator('[data-testid="stSidebar"] [data-testid="stRadio"] label').filter(
        has=page.locator("input:checked")).first.inner_text()
    return "zh" if "简体中文" in label else "en"


def set_language(page, lang: str, timeout_s: float = 120) -> None:
    """Switch the interface language with the sidebar's radio (as a user does)."""
    label = "简体中文" if lang == "zh" else "English"
    page.locator('[data-testid="stSidebar"] [data-testid="stRadio"] label').filter(has_text=label).first.click()
    settle(page, timeout_s=timeout_s)


def set_presenter(page, on: bool, lang: str, timeout_s: float = 120) -> None:
    """Turn presenter mode on with the sidebar toggle, off with the page's exit button."""
    from cs_metrics.i18n import t

    if on:
        page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]').filter(
            has_text=t("sidebar.presenter", lang)).first.locator("label").first.click()
    else:
        page.get_by_role("button", name=t("common.exit_presenter", lang)).first.click()
    settle(page, timeout_s=timeout_s)


def accounts_csv(folder: Path, name: str, prefix: str, n: int, marker: str = "星辰科技",
                 encoding: str = "gbk") -> Path:
    """A CRM export as a Chinese Excel user saves it: GBK, CRLF, Chinese headers.

    ``n`` accounts with ids ``<prefix>000``…, names ``<marker><i>号有限公司``, two regions.
    ``所在大区`` (region) is not a header Polaris recognises, so it is kept as an extra column
    unless mapped by hand.
    """
    rows = ["客户编号,客户名称,行业,所在大区,续约日期,年合同额"]
    for i in range(n):
        region = "华北" if i % 2 else "华东"
        rows.append(f"{prefix}{i:03d},{marker}{i}号有限公司,制造业,{region},2027-{i % 12 + 1:02d}-15,{(i + 1) * 12000}")
    path = folder / name
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode(encoding))
    return path


def idle_state(page) -> bool:
    return page.evaluate(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
                && !document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]');
        }""")


def settle_all(pages: list, timeout_s: float = 180, quiet_s: float = 0.6,
               since: list[float] | None = None) -> list[float]:
    """Wait until every page is idle (see :func:`settle`), polling them in turn.

    Returns, per page, the seconds from ``since[i]`` (when that page's action was issued;
    default: this call) until it became idle for good; raises TimeoutError naming the pages
    still running.
    """
    start = time.time()
    since = since or [start] * len(pages)
    quiet_since: list[float | None] = [None] * len(pages)
    done: list[float | None] = [None] * len(pages)
    while time.time() < start + timeout_s:
        for i, page in enumerate(pages):
            if done[i] is not None:
                continue
            try:
                idle = idle_state(page)
            except Exception:  # noqa: BLE001 - the page is still being replaced by a navigation
                idle = False
            if not idle:
                quiet_since[i] = None
            else:
                quiet_since[i] = quiet_since[i] or time.time()
                if time.time() - quiet_since[i] >= quiet_s:
                    done[i] = quiet_since[i] - since[i]
        if all(d is not None for d in done):
            return [float(d) for d in done]
        time.sleep(0.05)
    running = [p.url for p, d in zip(pages, done) if d is None]
    raise TimeoutError(f"{len(running)} pages still running after {timeout_s:.0f} s: {running[:5]}")


def click_nav(page, url_path: str) -> None:
    """Click the sidebar link to ``url_path`` without waiting (see :func:`go_to`)."""
    ok = page.evaluate(
        """(path) => {
            const links = [...document.querySelectorAll('[data-testid="stSidebarNavLink"]')];
            const link = links.find(a => new URL(a.href).pathname.replace(/^\\/+|\\/+$/g, '') === path)
                || (path === 'overview' ? links.find(a => new URL(a.href).pathname === '/') : undefined);
            if (link) link.click();
            return !!link;
        }""", url_path.strip("/"))
    if not ok:
        raise AssertionError(f"no navigation link to {url_path!r}")


def server_fds(pid: int, folder: Path) -> list[str]:
    """Files under ``folder`` the process has open (from /proc/<pid>/fd)."""
    found = []
    root = str(folder.resolve())
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(root):
            found.append(target)
    return sorted(found)



def listed_rows(text: str, kind: str) -> int | None:
    """Rows of table ``kind`` in the Overview's "Loaded tables" list (``accounts: 1,007 rows``)."""
    from cs_metrics.i18n import t

    rows = re.escape(t("sidebar.rows", "en", rows="\x00")).replace("\x00", r"(?P<n>\d[\d,]*)")
    match = re.search(re.escape(t(f"kind.{kind}", "en")) + r":\s*" + rows, text)
    return int(match.group("n").replace(",", "")) if match else None


def sample_accounts(data_dir: Path) -> int:
    """Accounts in the server's copy of the sample company (read-only; the server only copies it)."""
    import duckdb

    con = duckdb.connect(str(data_dir / "sample.duckdb"), read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM accounts").fetchone()[0])
    finally:
        con.close()
