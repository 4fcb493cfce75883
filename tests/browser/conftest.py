"""Browser-test fixtures: the app running on loopback, and a headless Chromium driving it.

``server`` starts ``streamlit run app.py`` once per test run with ``POLARIS_DATA_DIR`` set to
a fresh temporary folder (the prebuilt sample company comes from ``POLARIS_SAMPLE_CACHE``,
set by tests/conftest.py), waits for ``/_stcore/health`` and stops it at the end. When a
browser test fails, the tail of the server's output is attached to the failure report.
``browser`` is Debian's Chromium (or ``$POLARIS_CHROMIUM``), else Playwright's own; the
tests are skipped, with the reason, when neither can be started.
"""

from __future__ import annotations

import pytest

from tests.browser.support import launch_browser, settle, start_server

_STATE: dict[str, object] = {}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    server = _STATE.get("server")
    if report.failed and server is not None and "/tests/browser/" in str(item.fspath).replace("\\", "/"):
        report.sections.append(("streamlit server output (tail)", server.log_tail()))


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install playwright)")
    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="session")
def browser(playwright_instance):
    try:
        instance = launch_browser(playwright_instance)
    except Exception as exc:  # noqa: BLE001 - any launch failure means: no browser here
        pytest.skip("no Chromium could be started (install Debian's chromium, set POLARIS_CHROMIUM, or run "
                    f"`python -m playwright install chromium`): {str(exc).splitlines()[0]}")
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory, sample_path, browser):
    """The app on a free loopback port; ``server.url``, ``server.pid``, ``server.data_dir``.

    Depends on ``browser`` so that the app is not started when the tests will be skipped.
    """
    data_dir = tmp_path_factory.mktemp("browser_server") / "data"
    try:
        running = start_server(data_dir, extra_env={"POLARIS_SAMPLE_CACHE": str(sample_path)})
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    _STATE["server"] = running
    yield running
    _STATE.pop("server", None)
    running.stop()


@pytest.fixture()
def context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    yield ctx
    ctx.close()


@pytest.fixture()
def page(context, server):
    """A tab on the app's root page, finished running."""
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    tab.goto(server.url + "/")
    settle(tab)
    return tab
