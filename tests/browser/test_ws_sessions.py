"""Several sessions at once over Streamlit's own websocket protocol (benchmarks/bench_ws_sessions.py).

The short version of the load benchmark: five sessions (English and Chinese) run the app's
pages at the same time against a real ``streamlit run app.py``; no page may fail, every view
must finish, and the server must give back the sessions' workspaces and most of their memory
once they close. A second test proves the protocol client sees what it must report (an
exception, an error box) and follows ``st.rerun()``, on a tiny app of its own.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest

from benchmarks.bench_ws_sessions import StreamlitSession, run_async, run_ws_load
from tests.browser.support import free_port, start_server

pytestmark = pytest.mark.browser

PAGES = ("overview", "retention", "account_360")
SESSIONS = 5
MEMORY_SLACK_MB = 300


@pytest.fixture(scope="module")
def ws_server(tmp_path_factory, sample_path):
    """The app on its own loopback port (no browser needed), sessions dropped 2 s after closing."""
    data_dir = tmp_path_factory.mktemp("ws_server") / "data"
    try:
        running = start_server(data_dir, session_ttl=2, extra_env={"POLARIS_SAMPLE_CACHE": str(sample_path)})
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield running
    running.stop()


def test_concurrent_websocket_sessions_finish_every_page_without_errors_and_give_memory_back(ws_server):
    started = time.time()
    report = run_ws_load(ws_server.url, ws_server.pid, ws_server.data_dir, n_sessions=SESSIONS, pages=PAGES,
                         rounds=1, page_timeout_s=40, timeout_s=50)
    summary = "\n".join(report.lines()) + "\n--- server log ---\n" + ws_server.log_tail(3000)

    assert ws_server.alive(), summary
    assert report.problems == [], summary
    views_per_session = 1 + len(PAGES)
    assert report.finished_per_session() == {i: views_per_session for i in range(SESSIONS)}, summary
    assert {v.lang for v in report.views} == {"en", "zh"}
    assert report.open_session_files_peak >= 1, summary
    assert report.open_session_files_after == [] and report.session_files_after == [], summary
    assert report.rss_after_mb < report.rss_before_mb + MEMORY_SLACK_MB, summary
    assert time.time() - started < 60, summary


TINY_APP = {
    "app.py": (
        "import streamlit as st\n"
        "st.navigation([st.Page('pages/home.py', title='Home', default=True),\n"
        "               st.Page('pages/boom.py', title='Boom'), st.Page('pages/alarm.py', title='Alarm'),\n"
        "               st.Page('pages/again.py', title='Again')]).run()\n"),
    "pages/home.py": "import streamlit as st\nst.title('Home')\nst.warning('just a warning')\n",
    "pages/boom.py": "import streamlit as st\nst.title('Boom')\n1 / 0\n",
    "pages/alarm.py": "import streamlit as st\nst.title('Alarm')\nst.error('the data folder is full')\n",
    "pages/again.py": (
        "import streamlit as st\n"
        "st.title('Again')\n"
        "n = st.session_state.get('n', 0)\n"
        "if n < 2:\n"
        "    st.session_state['n'] = n + 1\n"
        "    st.rerun()\n"
        "st.write(f'ran {n + 1} times')\n"),
}


@pytest.fixture()
def tiny_server(tmp_path):
    for name, text in TINY_APP.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2).read()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    pytest.fail("the tiny app did not start", pytrace=False)
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_protocol_client_reports_exceptions_and_error_boxes_and_follows_reruns(tiny_server):
    async def visit():
        session = StreamlitSession(tiny_server, "en")
        await session.connect()
        try:
            first = await session.run("lang=en", timeout_s=30)
            pages = {p: first.nav_page(p) for p in ("overview", "boom", "alarm", "again")}
            results = {p: await session.run("lang=en", pages[p].page_script_hash, p, timeout_s=30)
                       for p in ("boom", "alarm", "again")}
            return first, pages, results
        finally:
            await session.close()

    first, pages, results = run_async(visit())
    assert first.status == "FINISHED_SUCCESSFULLY"
    assert first.headings == ["Home"] and first.problems == [] and first.warnings == ["just a warning"]
    assert pages["overview"].title == "Home" and first.page_script_hash == pages["overview"].page_script_hash
    assert results["boom"].problems == ["exception ZeroDivisionError: division by zero"]
    assert results["alarm"].problems == ["error box: the data folder is full"]
    assert results["again"].problems == [] and results["again"].early_reruns == 2
    assert results["again"].headings == ["Again"]
    for page, result in results.items():
        assert result.page_script_hash == pages[page].page_script_hash
        assert result.status == "FINISHED_SUCCESSFULLY"
