"""The Segments page: tiers, RFM and column modes in both languages, saving thresholds and segments."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cs_metrics import segments
from cs_metrics.workspace import Workspace
from tests.page_text import english_leaks, run_page, visible_texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "segments.py")


def run(lang="en", ws=None, **state) -> AppTest:
    return run_page(PAGE, lang, ws, **state)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tier_mode_renders_with_figures(lang):
    at = run(lang)
    texts = "\n".join(visible_texts(at))
    assert at.title[0].value == ("Segments" if lang == "en" else "客户分群")
    # One KPI tile per tier, the segment table and the recorded-vs-earned crosstab.
    labels = [m.label for m in at.metric]
    tiers = (["Enterprise · high touch", "Mid-market · standard touch", "SMB · tech touch"] if lang == "en"
             else ["大客户 · 高接触", "中型客户 · 标准化服务", "小微客户 · 自动化服务"])
    assert labels == tiers
    assert all(m.value.startswith("$") for m in at.metric)
    assert len(at.dataframe) >= 2 and len(at.dataframe[0].value) == 4  # three tiers + all accounts
    assert at.get("vega_lite_chart")
    if lang == "zh":
        assert english_leaks(at) == []
        assert re.search(r"[\u4e00-\u9fff]", texts)


@pytest.mark.parametrize("mode, lang", [("rfm", "zh"), ("column", "en")])
def test_rfm_and_column_modes(mode, lang):
    at = run(lang, segments_mode=mode)
    assert len(at.dataframe) >= (3 if mode == "rfm" else 1)  # RFM: table, migration, members
    assert at.get("vega_lite_chart")
    if lang == "zh":
        assert english_leaks(at) == []
        assert "核心拥护者" in "\n".join(visible_texts(at)) or any(
            "核心拥护者" in str(o) for s in at.selectbox for o in s.options)
    else:
        # Needs-based mode defaults to the industry column, one row per industry plus the total.
        assert at.selectbox(key="segments_column").value == "industry"
        assert len(at.dataframe[0].value) > 5


def test_saving_thresholds_and_a_tier_segment(sample_ws):
    at = run("en", ws=sample_ws)
    at.number_input(key="segments_mid").set_value(15000.0)
    at.number_input(key="segments_ent").set_value(150000.0)
    at.button(key="segments_thr_save").click().run()
    assert not at.exception
    assert sample_ws.get_setting(segments.SETTING_TIERS) == {"mid_market": 15000.0, "enterprise": 150000.0}
    at.selectbox(key="seg_save_tier_which").set_value("Enterprise")
    at.text_input(key="seg_save_tier_name").input("Big logos")
    at.button(key="seg_save_tier_save").click().run()
    assert not at.exception
    assert sample_ws.get_setting(segments.SETTING_SAVED) == {"Big logos": {"segment": ["Enterprise"]}}
    assert any("Big logos" in s.value for s in at.success)


def test_empty_workspace_says_what_to_load(tmp_path):
    at = run("zh", ws=Workspace.create(tmp_path / "empty.duckdb"))
    assert at.warning and english_leaks(at) == []
