"""The Lifecycle page: renders in both languages, switches dimension, month and measure, saves
its rules, refuses rules that contradict each other, and explains missing data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cs_metrics import lifecycle
from cs_metrics.charts.health import state_label
from cs_metrics.i18n import t
from cs_metrics.workspace import Workspace
from tests.page_text import english_leaks, run_page, visible_texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "lifecycle.py")


def run(lang: str = "en", ws: Workspace | None = None, **state) -> AppTest:
    return run_page(PAGE, lang, ws, **state)


def table_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_matrix_flow_queue_and_time_in_stage(lang):
    at = run(lang)
    assert at.title[0].value == t("lifecycle.title", lang)
    assert [m.label for m in at.metric] == [t(k, lang) for k in (
        "lifecycle.moved_down", "lifecycle.moved_down_arr", "lifecycle.churned_tile", "lifecycle.in_renewal")]
    assert len(at.get("vega_lite_chart")) == 4
    matrix = table_with(at, t("lifecycle.col.from", lang))
    assert state_label("green", lang) in matrix.columns and state_label("churned", lang) in matrix.columns
    queue = table_with(at, t("lifecycle.reason", lang))
    assert len(queue) == int(at.metric[0].value.replace(",", "")) > 0
    assert queue[t("lifecycle.reason", lang)].str.len().gt(0).all()
    texts = "\n".join(visible_texts(at))
    if lang == "zh":
        assert english_leaks(at) == []
        assert re.search(r"[\u4e00-\u9fff]", texts)


def test_dimension_value_and_month_switch(sample_ws):
    at = run("en", ws=sample_ws)
    at.segmented_control(key="lc_dim").set_value("stage").run()
    assert not at.exception
    matrix = table_with(at, t("lifecycle.col.from", "en"))
    assert state_label("onboarding", "en") in matrix[t("lifecycle.col.from", "en")].tolist()
    at.segmented_control(key="lc_value").set_value("arr").run()
    assert not at.exception
    months = at.select_slider(key="lc_month").options
    at.select_slider(key="lc_month").set_value(months[len(months) // 2]).run()
    assert not at.exception
    assert any(months[len(months) // 2] in c.value for c in at.caption)
    at.select_slider(key="lc_month").set_value(months[0]).run()
    assert any(t("lifecycle.first_month", "en") in i.value for i in at.info)


def test_activity_by_events_and_saved_rules(sample_ws):
    at = run("en", ws=sample_ws)
    at.radio(key="lc_measure").set_value("events").run()
    assert not at.exception
    assert at.number_input(key="lc_events_very_active").value == 12.0
    at.number_input(key="lc_onboarding").set_value(60)
    at.number_input(key="lc_events_low").set_value(2.0)
    at.button(key="lc_save").click().run()
    assert not at.exception
    saved = lifecycle.lifecycle_rules(sample_ws.con)
    assert saved["activity_measure"] == "events" and saved["onboarding_days"] == 60 and saved["low"] == 2.0
    assert any(t("lifecycle.saved", "en") in s.value for s in at.success)


def test_contradictory_rules_are_refused(sample_ws):
    at = run("en", ws=sample_ws)
    at.number_input(key="lc_utilisation_active").set_value(0.95).run()
    assert not at.exception
    assert at.warning and not at.metric


def test_missing_tables_are_explained(tmp_path):
    at = run("zh", ws=Workspace.create(tmp_path / "empty.duckdb"))
    assert at.warning and not at.metric
