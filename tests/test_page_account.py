"""Account 360 page (AppTest): both languages, preselection by URL, search on big workspaces,
North Star settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from test_account import build_company

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "account_360.py")


def _app(ws, lang="en", account=None):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["polaris_ws"] = ws
    at.session_state["lang"] = lang
    if account:
        at.query_params["account"] = account
    return at


@pytest.fixture()
def company(tmp_path):
    ws = build_company(tmp_path / "p.duckdb")
    yield ws
    ws.close()


def _texts(at):
    out = [m.label + " " + str(m.value) + " " + str(m.delta or "") for m in at.metric]
    for kind in ("markdown", "caption", "subheader", "info", "warning"):
        out += [e.value for e in getattr(at, kind)]
    return "\n".join(out)


@pytest.mark.parametrize("lang, words", [
    ("en", ["Value delivered: goals", "Usage and the North Star", "Next steps", "Tenure"]),
    ("zh", ["价值证明：客户目标", "产品使用与北极星指标", "下一步行动", "合作时长"]),
])
def test_page_renders_preselected_account(company, lang, words):
    at = _app(company, lang, account="A1")
    at.run()
    assert not at.exception
    assert at.selectbox(key="account_pick").value == "A1"
    text = _texts(at)
    for word in words:
        assert word in text
    metrics = {m.label: m for m in at.metric}
    arr = metrics["ARR" if lang == "en" else "年度经常性收入"]
    assert arr.value == "$1,440"
    assert ("11 months" if lang == "en" else "11 个月") in text
    assert at.query_params["account"] == ["A1"] or at.query_params["account"] == "A1"


def test_page_without_choice_and_unknown_account(company):
    at = _app(company)
    at.run()
    assert not at.exception and at.selectbox(key="account_pick").value is None
    assert at.info and "Choose an account" in at.info[0].value
    at = _app(company, account="NOPE")
    at.run()
    assert not at.exception and "“NOPE” is not in this workspace" in at.warning[0].value


def test_choosing_an_account_updates_the_url(company):
    at = _app(company)
    at.run()
    at.selectbox(key="account_pick").set_value("A3").run()
    assert not at.exception
    assert at.subheader[0].value == "Gamma_Corp"
    assert "A3" in str(at.query_params["account"])


def test_big_workspace_uses_a_search_box(tmp_path):
    ws = build_company(tmp_path / "big.duckdb", n_extra=2100)
    at = _app(ws)
    at.run()
    assert not at.exception
    assert len(at.selectbox(key="account_pick").options) == 50
    at.text_input(key="account_search").input("gamma").run()
    assert at.selectbox(key="account_pick").options == ["Gamma_Corp · A3"]
    at.selectbox(key="account_pick").set_value("A3").run()
    assert not at.exception and at.subheader[0].value == "Gamma_Corp"


def test_north_star_settings_are_saved(company):
    company.set_setting("northstar", None)
    at = _app(company, account="A1")
    at.run()
    assert not at.exception and "No North Star is chosen yet" in _texts(at)
    at.selectbox(key="ns_metric").set_value("events")
    at.selectbox(key="ns_counter").set_value("active_users")
    at.button(key="ns_save").click().run()
    assert not at.exception
    assert company.get_setting("northstar") == {"metric": "events", "counter": "active_users", "agg": "sum",
                                                "counter_agg": "avg"}
    assert "Events, 2026-06" in _texts(at)
