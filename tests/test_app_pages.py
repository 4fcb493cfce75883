"""Every page of the app renders on the sample company, in English and in Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.page_text import english_leaks, visible_texts

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


def run_page(page: str, lang: str, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return at


def test_every_page_is_in_the_navigation():
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    listed = set(re.findall(r'"(pages/[a-z_0-9]+\.py)"', source))
    assert set(PAGES) <= listed, f"pages missing from app.py: {set(PAGES) - listed}"


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_with_content(page, lang):
    at = run_page(page, lang)
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    texts = visible_texts(at)
    assert len(" ".join(texts)) > 80, f"{page} shows almost nothing: {texts}"
    if lang == "zh":
        assert english_leaks(at) == []
        assert any(re.search(r"[\u4e00-\u9fff]", t) for t in texts)


# AppTest drops the sidebar of an st.navigation app on its second run, so the sidebar's
# widgets are driven in the browser tests; here each case is a fresh first run.
@pytest.mark.parametrize("lang, label, title", [("en", "Presenter mode", "Overview"), ("zh", "演示模式", "总览")])
def test_app_entrypoint_builds_navigation_and_sidebar(lang, label, title):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [r.label for r in at.sidebar.radio][0] == "Language · 语言"
    assert any(t.label == label for t in at.sidebar.toggle)
    assert at.title[0].value == title


def test_overview_changes_with_the_global_filter():
    def metrics(scope):
        at = AppTest.from_file(str(ROOT / "pages/overview.py"), default_timeout=120)
        at.session_state["scope"] = scope
        at.run()
        assert not at.exception
        return {m.label: m.value for m in at.metric}

    everyone, smb = metrics({}), metrics({"segment": ["SMB"]})
    assert int(smb["Accounts"].replace(",", "")) < int(everyone["Accounts"].replace(",", ""))


def test_empty_workspace_overview_says_what_to_do(tmp_path):
    from cs_metrics.workspace import Workspace

    at = AppTest.from_file(str(ROOT / "pages/overview.py"), default_timeout=60)
    at.session_state["polaris_ws"] = Workspace.create(tmp_path / "empty.duckdb")
    at.run()
    assert not at.exception
    assert any("empty" in i.value for i in at.info)
