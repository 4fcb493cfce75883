"""A shared link to a page, opened first on a freshly started server, shows the whole app."""

from __future__ import annotations

from cs_metrics.i18n import t
from tests.browser.support import settle, start_server


def test_a_deep_link_opened_first_shows_the_page_inside_the_app(browser, tmp_path, sample_path):
    server = start_server(tmp_path / "data", extra_env={"POLARIS_SAMPLE_CACHE": str(sample_path)})
    try:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        tab = context.new_page()
        # Nobody has opened "/" yet: the server has not run app.py's navigation once.
        tab.goto(server.url + "/retention?lang=zh")
        settle(tab)
        sidebar = tab.locator('[data-testid="stSidebar"]').inner_text()
        assert "Language · 语言" in sidebar, sidebar                  # the app's sidebar
        assert t("nav.section.revenue", "zh") in sidebar, sidebar     # the app's own navigation
        assert "risk renewals" not in sidebar                        # not the bare pages/ list
        assert tab.locator("h1").first.inner_text() == t("retention.title", "zh")
        context.close()
    finally:
        server.stop()
