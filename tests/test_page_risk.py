"""The Risk & Renewals page: register, exports, rule editing and renewals, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cs_metrics import risk
from cs_metrics.i18n import t
from cs_metrics.workspace import Workspace
from tests.page_text import english_leaks, run_page, visible_texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "risk_renewals.py")


def run(lang="en", ws=None, **state) -> AppTest:
    return run_page(PAGE, lang, ws, **state)


def open_renewals(at: AppTest, lang: str = "en") -> AppTest:
    """Switch to the Renewals tab (tabs run only when open) and rerun."""
    at.session_state["risk_view"] = t("renewals.tab", lang)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def download_labels(at: AppTest) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_register_exports_and_renewals(lang):
    at = run(lang)
    metrics = {m.label: m.value for m in at.metric}
    flagged = "Accounts flagged" if lang == "en" else "被标记的客户"
    assert int(metrics[flagged].replace(",", "")) > 0
    labels = download_labels(at)
    csv, xlsx = ("Download CSV", "Download Excel") if lang == "en" else ("下载 CSV", "下载 Excel")
    assert csv in labels and xlsx in labels
    register = at.dataframe[0].value
    assert len(register) == int(metrics[flagged].replace(",", ""))
    assert len(at.get("vega_lite_chart")) == 1  # ARR by reason; the renewals tab has not run
    assert "CMRR" not in metrics
    if lang == "zh":
        assert english_leaks(at) == []
        assert "原因" in register.columns
        assert re.search(r"[\u4e00-\u9fff]", register["原因"].iloc[0])
    open_renewals(at, lang)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["CMRR"].startswith("$")
    assert len(at.get("vega_lite_chart")) == 1  # the renewal calendar
    if lang == "zh":
        assert english_leaks(at) == []


def test_filtering_by_reason_narrows_the_register():
    at = run("en")
    total = len(at.dataframe[0].value)
    at.multiselect(key="risk_filter_reasons").set_value(["notice"]).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert 0 < len(shown) < total
    assert all("given notice" in why for why in shown["Why"])


def test_switching_a_rule_off_is_saved_and_applied(sample_ws):
    at = run("en", ws=sample_ws)
    before = len(at.dataframe[0].value)
    at.toggle(key="risk_rule_detractor").set_value(False)
    at.button(key="risk_rules_save").click().run()
    assert not at.exception
    assert sample_ws.get_setting(risk.SETTING_RULES)["detractor"]["enabled"] is False
    assert len(at.dataframe[0].value) < before


def test_accounts_without_renewal_dates_or_history(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    ws.write_frame("accounts", pd.DataFrame({"account_id": ["A", "B"], "account_name": ["=1+1", "B"],
                                             "status": ["notice", "active"], "arr": [1000.0, 2000.0]}))
    at = open_renewals(run("zh", ws=ws), "zh")
    assert english_leaks(at) == []
    assert at.info  # the renewals section says what is missing
    texts = "\n".join(visible_texts(at))
    assert "续约日期" in texts


def test_presenter_mode_hides_money_and_file_buttons():
    at = run("en", presenter=True, hide_money=True)
    for _ in range(2):  # the register, then the renewals tab
        money_tiles = [m for m in at.metric if "ARR" in m.label or m.label == "CMRR"]
        assert money_tiles and all(m.value == "•••" for m in money_tiles)
        assert not at.get("download_button")
        assert all("ARR" not in c for df in at.dataframe for c in df.value.columns if c != "Why")
        at = open_renewals(at)
