"""Several people on one Polaris server: uploads stay private, and 20 sessions at once work.

CS data is confidential; a dashboard on a shared server must never show one person's file
to another, nor lose or mix a load when many people work at the same time.
"""

from __future__ import annotations

import pytest

from benchmarks.bench_load_sessions import run_load
from cs_metrics.i18n import t
from tests.browser.support import (
    accounts_csv, click_nav, listed_rows, metric_value, page_errors, sample_accounts, select_option, selectbox,
    settle, settle_all)

pytestmark = pytest.mark.browser


def account_options(tab, text: str) -> list[str]:
    """The accounts the Account 360 picker offers for a search text (what this user can see)."""
    box = selectbox(tab, t("account.pick", "en")).locator('[role="combobox"]').first
    box.click()
    box.fill(text)
    tab.wait_for_timeout(300)
    options = tab.locator('[role="option"]').all_inner_texts()
    tab.keyboard.press("Escape")
    return [o for o in options if text in o]


def test_two_sessions_uploading_at_once_never_see_each_others_data(browser, server, tmp_path):
    files = {
        "a": accounts_csv(tmp_path, "甲方客户.csv", "JA", 5, marker="甲方独有客户"),
        "b": accounts_csv(tmp_path, "乙方客户.csv", "YB", 9, marker="乙方独有客户"),
    }
    rows = {"a": 5, "b": 9}
    contexts = {k: browser.new_context(viewport={"width": 1400, "height": 1000}) for k in files}
    tabs = {k: c.new_page() for k, c in contexts.items()}
    try:
        for tab in tabs.values():
            tab.set_default_timeout(120_000)
            tab.goto(server.url + "/data?lang=en", wait_until="commit")
        settle_all(list(tabs.values()))
        # Every step is issued to both sessions before either is waited for.
        for k, tab in tabs.items():
            tab.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(files[k]))
        settle_all(list(tabs.values()))
        for name in (t("data.check", "en"), t("data.load", "en")):
            for tab in tabs.values():
                tab.get_by_role("button", name=name, exact=True).first.click()
            settle_all(list(tabs.values()))
        for k, tab in tabs.items():
            assert not page_errors(tab), page_errors(tab)
        for tab in tabs.values():
            click_nav(tab, "overview")
        settle_all(list(tabs.values()))
        shown = {k: metric_value(tab, t("overview.accounts", "en")) for k, tab in tabs.items()}
        assert shown["a"] != shown["b"], shown
        base = sample_accounts(server.data_dir)
        for k, tab in tabs.items():
            # Replaced, or merged into the sample's accounts (the default for a second file).
            listed = listed_rows(tab.locator('[data-testid="stMain"]').inner_text(), "accounts")
            assert listed in (rows[k], base + rows[k]), f"session {k} lists {listed} accounts"
        for tab in tabs.values():
            click_nav(tab, "account_360")
        settle_all(list(tabs.values()))
        mine = {"a": "甲方独有客户", "b": "乙方独有客户"}
        for k, tab in tabs.items():
            other = "b" if k == "a" else "a"
            assert len(account_options(tab, mine[k])) == rows[k]
            assert account_options(tab, mine[other]) == [], f"session {k} sees session {other}'s accounts"
            assert mine[other] not in tab.locator("body").inner_text()
        # Each session's data lives in its own private workspace file.
        select_option(tabs["a"], t("account.pick", "en"), None)
        settle(tabs["a"])
        assert not page_errors(tabs["a"]), page_errors(tabs["a"])
    finally:
        for ctx in contexts.values():
            ctx.close()


@pytest.mark.timeout(900)
def test_twenty_concurrent_sessions_load_navigate_and_release_memory(browser, server, capsys):
    """20 sessions at once: each uploads its own file, loads it, sees only its own rows, and
    navigates; no errors. Once they are closed, the server closes their workspaces and its
    memory comes back near where it started. Prints the page-time percentiles."""
    # The Overview visit after the load is the navigation here; the benchmark adds heavier pages.
    report = run_load(browser, server.url, server.pid, server.data_dir, n_sessions=20,
                      pages=(), session_ttl_s=2.0, step_timeout_s=240, tmp_dir=server.tmp_dir)
    with capsys.disabled():
        print("\n" + "\n".join(report.lines()))
    assert not report.problems, "\n".join(report.problems)
    assert report.open_session_files_peak >= 20
    # The one left is the session opened afterwards to make Streamlit expire the others.
    assert len(report.open_session_files_after) <= 1, report.open_session_files_after
    assert len(report.session_files_after) <= 1, f"private copies left on disk: {report.session_files_after}"
    assert not [f for f in report.temp_files_after if "polaris_upload_" in f], (
        f"uploaded files left in the server's temp folder: {report.temp_files_after}")
    assert report.percentile(95) < 120, "p95 page time above two minutes"
    growth = report.rss_peak_mb - report.rss_before_mb
    retained = report.rss_after_mb - report.rss_before_mb
    assert retained <= max(150.0, 0.6 * growth), (
        f"server memory did not come back: before {report.rss_before_mb:.0f} MB, "
        f"peak {report.rss_peak_mb:.0f} MB, after {report.rss_after_mb:.0f} MB")
