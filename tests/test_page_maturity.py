"""Maturity page (AppTest): both languages, evidence shown, assessments saved and compared."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cs_metrics import maturity
from test_account import build_company

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "maturity.py")


@pytest.fixture()
def company(tmp_path):
    ws = build_company(tmp_path / "m.duckdb")
    yield ws
    ws.close()


def _app(ws, lang="en"):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["polaris_ws"] = ws
    at.session_state["lang"] = lang
    return at


@pytest.mark.parametrize("lang, total_label, evidence", [
    ("en", "Total score", "Your data suggests at least level 3"),
    ("zh", "总分", "数据显示至少为 3 级"),
])
def test_page_renders_with_suggestions(company, lang, total_label, evidence):
    at = _app(company, lang)
    at.run()
    assert not at.exception
    # Defaults come from the evidence: value proof 3, segmentation 1, data visibility 2, ...
    assert at.selectbox(key="maturity_level_value_proof").value == 3
    assert at.selectbox(key="maturity_level_segmentation").value == 1
    metrics = {m.label: m.value for m in at.metric}
    expected = maturity.suggest_levels(company.con)["levels"]
    assert metrics[total_label] == f"{sum(expected.values())} / 44"
    assert any(evidence in c.value for c in at.caption)
    assert len(at.selectbox) == 11


def test_save_and_compare_assessments(company):
    at = _app(company)
    at.run()
    at.selectbox(key="maturity_level_lifecycle").set_value(2)
    at.date_input(key="maturity_date").set_value(dt.date(2026, 1, 15))
    at.button(key="maturity_save").click().run()
    assert not at.exception and "Assessment of 2026-01-15 saved." in at.success[0].value
    saved = company.get_setting("maturity.assessments")
    assert saved[0]["date"] == "2026-01-15" and saved[0]["levels"]["lifecycle"] == 2

    at.selectbox(key="maturity_level_team").set_value(2)
    at.selectbox(key="maturity_level_value_proof").set_value(1)
    at.date_input(key="maturity_date").set_value(dt.date(2026, 6, 30))
    at.button(key="maturity_save").click().run()
    assert not at.exception
    assert [a["date"] for a in company.get_setting("maturity.assessments")] == ["2026-01-15", "2026-06-30"]
    history = at.dataframe[0].value
    changes = dict(zip(history["Dimension"], history["Change"]))
    assert changes["Team structure"] == 2 and changes["Value proof"] == -2 and changes["Total score"] == 0
    # Rated below what the data shows: said so.
    assert any("Rated below what the data suggests" in c.value for c in at.caption)


def test_page_on_an_empty_workspace(tmp_path):
    from cs_metrics.workspace import Workspace

    at = _app(Workspace.create(tmp_path / "e.duckdb"), "zh")
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["总分"] == "0 / 44"
