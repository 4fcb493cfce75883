"""Every page of the navigation, in a real browser, in English, in Chinese and in presenter mode.

One browser session (on the sample company) walks the navigation the way a user does:
for each page it opens the page from the sidebar, checks it in the current language,
switches the sidebar's language (English <-> Chinese), checks again, turns presenter mode
on, checks again, and leaves presenter mode. Each check: the script finished with no exception and no error
box, the page shows content, a page whose code draws a chart shows a drawn chart; in
Chinese, no English interface text (catalogue messages of 3+ words) and a Chinese title;
in presenter mode, no sidebar. Switching in one session also exercises the sidebar
widgets, which AppTest cannot drive, and lets the variants share the session's cache.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cs_metrics.i18n import t
from tests.browser.support import (
    chart_count, current_language, english_leaks, go_to, main_text, nav_paths, page_errors, select_option,
    set_language, set_presenter, settle, wait_for_charts)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def navigation_pages() -> list[str]:
    """Page files listed in app.py's navigation that exist (the app skips the others)."""
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    files = dict.fromkeys(re.findall(r'"(pages/[a-z_0-9]+\.py)"', source))
    return [f for f in files if (ROOT / f).exists()]


def draws_chart(page_file: str) -> bool:
    source = (ROOT / page_file).read_text(encoding="utf-8")
    return "ui.chart(" in source or "st.altair_chart(" in source


def choose_first_account(tab) -> None:
    """Account 360 draws its charts once an account is picked: pick the first one offered."""
    select_option(tab, t("account.pick", current_language(tab)), None)
    settle(tab)


SETUP = {"pages/account_360.py": choose_first_account}


@pytest.fixture(scope="module")
def tab(browser, server):
    """One tab (one Streamlit session) shared by the page walk."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(server.url + "/?lang=en")
    settle(page, timeout_s=120)
    yield page
    ctx.close()


def fresh_if_needed(tab, server) -> None:
    """Start a new session when an earlier failure left this one in presenter mode."""
    if current_language(tab) not in ("en", "zh") or not tab.locator('[data-testid="stSidebar"]').first.is_visible():
        tab.goto(server.url + "/?lang=en")
        settle(tab, timeout_s=120)


def check(tab, page_file: str, variant: str) -> list[str]:
    problems = []
    errors = page_errors(tab)
    if errors:
        problems.append(f"{variant}: error shown: {errors}")
    text = main_text(tab)
    if len(text) < 80:
        problems.append(f"{variant}: the page shows almost nothing: {text!r}")
    if draws_chart(page_file) and wait_for_charts(tab) < 1:
        problems.append(f"{variant}: no chart drawn ({chart_count(tab)} chart elements drawn)")
    if variant == "zh":
        leaks = english_leaks(text)
        if leaks:
            problems.append(f"zh: English text on the Chinese page: {leaks}")
        title = tab.locator("h1").first.inner_text()
        if not re.search(r"[\u4e00-\u9fff]", title):
            problems.append(f"zh: the title {title!r} is not Chinese")
    if variant == "present":
        if tab.locator('[data-testid="stSidebar"]').first.is_visible():
            problems.append("present: the sidebar is still shown in presenter mode")
    return problems


def test_navigation_lists_every_page(tab, server):
    paths = nav_paths(tab, server.url)
    expected = [Path(f).stem for f in navigation_pages()]
    # The default page (Overview) is served at the root URL.
    assert sorted(p or "overview" for p in paths) == sorted(expected)


@pytest.mark.parametrize("page_file", navigation_pages())
def test_page_in_english_chinese_and_presenter_mode(tab, server, page_file):
    fresh_if_needed(tab, server)
    go_to(tab, Path(page_file).stem)
    if page_file in SETUP:
        SETUP[page_file](tab)
    # The walk alternates: a page is first seen in the language the previous one ended in.
    first = current_language(tab)
    second = "zh" if first == "en" else "en"
    problems = check(tab, page_file, first)
    set_language(tab, second)
    problems += check(tab, page_file, second)
    set_presenter(tab, True, second)
    problems += check(tab, page_file, "present")
    set_presenter(tab, False, second)
    assert not problems, f"{page_file}:\n" + "\n".join(problems)
