"""The main flows, clicked through in a real browser: load a file, tune health, export, deck.

Each flow runs in a fresh browser session (its own private copy of the sample company).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest

from cs_metrics.i18n import t
from tests.browser.support import (
    accounts_csv, go_to, listed_rows, metric_value, page_errors, select_option, settle, wait_for_charts)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def template_regex(template: str) -> re.Pattern:
    """A catalogue message as a regex: ``{n} of {total}`` -> ``(?P<n>.+?) of (?P<total>.+?)``."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)))


def fresh_tab(browser, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = ctx.new_page()
    tab.set_default_timeout(60_000)
    tab.goto(server.url + "/?lang=en")
    settle(tab, timeout_s=120)
    return ctx, tab


def upload(tab, path: Path) -> None:
    tab.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(path))
    settle(tab, timeout_s=120)


def click(tab, name: str) -> None:
    tab.get_by_role("button", name=name, exact=True).first.click()
    settle(tab, timeout_s=120)


def load_file_through_data_page(tab, path: Path, region_column: str | None = "所在大区") -> None:
    """Upload, map (one column by hand), check and load a file on the Data page."""
    go_to(tab, "data")
    upload(tab, path)
    assert not page_errors(tab), page_errors(tab)
    if region_column:
        select_option(tab, region_column, f"{t('col.region', 'en')} (region)")
        settle(tab)
    click(tab, t("data.check", "en"))
    assert not page_errors(tab), page_errors(tab)
    click(tab, t("data.load", "en"))


def test_upload_map_load_then_overview_changes(browser, server, tmp_path):
    ctx, tab = fresh_tab(browser, server)
    try:
        path = accounts_csv(tmp_path, "客户台账.csv", "KB", 7)
        before = metric_value(tab, t("overview.accounts", "en"))
        base = listed_rows(tab.locator('[data-testid="stMain"]').inner_text(), "accounts")
        load_file_through_data_page(tab, path)
        assert not page_errors(tab), page_errors(tab)
        notice = tab.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
        assert path.name in notice and t("kind.accounts", "en") in notice, notice
        go_to(tab, "overview")
        assert metric_value(tab, t("overview.accounts", "en")) != before
        # Replaced, or merged into the sample's accounts (the default for a second file).
        listed = listed_rows(tab.locator('[data-testid="stMain"]').inner_text(), "accounts")
        assert listed in (7, base + 7), f"{listed} accounts listed after loading 7 (before: {base})"
        # The hand-mapped column arrived as the canonical region: the sidebar filter offers it.
        select_option(tab, t("sidebar.filter_column", "en"), t("col.region", "en"))
        settle(tab)
        assert not page_errors(tab), page_errors(tab)
    finally:
        ctx.close()


def health_figures(tab) -> tuple[str, ...]:
    labels = [t("health.tile_band", "en", band=t(f"band.{b}", "en")) for b in ("green", "yellow", "red")]
    return tuple(metric_value(tab, label) for label in labels + [t("health.tile_auc", "en")])


def test_changing_health_weights_updates_the_backtest(browser, server):
    if not (ROOT / "pages/health.py").exists():
        pytest.skip("pages/health.py does not exist yet")
    from cs_metrics import health
    from cs_metrics.charts.health import component_label

    ctx, tab = fresh_tab(browser, server)
    try:
        go_to(tab, "health")
        assert not page_errors(tab), page_errors(tab)
        before = health_figures(tab)
        # Drop the three usage components (45 of 100 points by default) to zero with the keyboard.
        for comp in ("usage_level", "usage_trend", "breadth"):
            assert health.DEFAULT_WEIGHTS[comp] > 0
            slider = tab.locator('[data-testid="stSlider"]').filter(
                has=tab.locator('[data-testid="stWidgetLabel"]', has_text=component_label(comp, "en")))
            slider.first.locator('input[type="range"]').first.focus()
            tab.keyboard.press("Home")
            settle(tab, timeout_s=120)
        assert not page_errors(tab), page_errors(tab)
        assert t("health.unsaved", "en") in tab.locator("body").inner_text()
        after = health_figures(tab)
        assert after != before, f"backtest and bands did not change: {before} -> {after}"
        click(tab, t("health.save", "en"))
        assert t("health.saved", "en") in tab.locator("body").inner_text()
        assert not page_errors(tab), page_errors(tab)
    finally:
        ctx.close()


def test_risk_register_export_downloads_the_rows_shown(browser, server):
    if not (ROOT / "pages/risk_renewals.py").exists():
        pytest.skip("pages/risk_renewals.py does not exist yet")
    ctx, tab = fresh_tab(browser, server)
    try:
        go_to(tab, "risk_renewals")
        assert not page_errors(tab), page_errors(tab)
        with tab.expect_download(timeout=60_000) as info:
            # Streamlit marks a keyed widget's container with the class st-key-<key>.
            tab.locator(".st-key-risk_csv button").first.click()
        download = info.value
        assert download.suggested_filename.startswith("risk_register_")
        data = Path(download.path()).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), "CSV for Excel should carry a UTF-8 BOM"
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        caption = template_regex(t("risk.showing", "en"))
        shown = caption.search(tab.locator("body").inner_text())
        assert shown, "the register caption with the number of accounts shown is missing"
        assert len(rows) - 1 == int(shown.group("n").replace(",", ""))
        assert all(not cell.startswith(("=", "+", "@")) for row in rows[1:] for cell in row)
    finally:
        ctx.close()


def test_account_deck_downloads_a_presentation(browser, server):
    if not (ROOT / "pages/account_360.py").exists():
        pytest.skip("pages/account_360.py does not exist yet")
    ctx, tab = fresh_tab(browser, server)
    try:
        go_to(tab, "account_360")
        select_option(tab, t("account.pick", "en"), None)
        settle(tab, timeout_s=120)
        assert not page_errors(tab), page_errors(tab)
        assert wait_for_charts(tab) >= 1
        with tab.expect_download(timeout=120_000) as info:
            tab.get_by_role("button", name=t("account.deck", "en")).first.click()
        download = info.value
        assert download.suggested_filename.endswith(".pptx")
        with zipfile.ZipFile(download.path()) as deck:
            slides = [n for n in deck.namelist() if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)]
        assert slides, "the deck has no slides"
    finally:
        ctx.close()
