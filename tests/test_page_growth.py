"""The Growth page: expansion and advocacy lists, NPS over time, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cs_metrics.workspace import Workspace
from tests.page_text import english_leaks, run_page, visible_texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "growth.py")


def run(lang="en", ws=None, **state) -> AppTest:
    return run_page(PAGE, lang, ws, **state)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_both_lists_and_voice(lang):
    at = run(lang)
    metrics = [m.value for m in at.metric]
    assert int(metrics[0]) > 0 and metrics[1].startswith("$") and int(metrics[2]) > 0
    assert re.match(r"\d+% (vs|对) \d+%", metrics[3])
    expansion, advocacy = at.dataframe[0].value, at.dataframe[1].value
    assert len(expansion) == int(metrics[0]) and len(advocacy) == int(metrics[2])
    assert len(at.get("vega_lite_chart")) == 2
    evidence = expansion.iloc[:, -1]
    if lang == "zh":
        assert english_leaks(at) == []
        assert all(re.search(r"[\u4e00-\u9fff]", e) for e in evidence)
    else:
        assert all(("Seats" in e or "usage" in e) for e in evidence)


def test_thresholds_change_the_expansion_list():
    at = run("en")
    wide = len(at.dataframe[0].value)
    at.slider(key="growth_min_util").set_value(100)
    at.slider(key="growth_min_growth").set_value(100).run()
    assert not at.exception
    narrow = at.dataframe[0].value if at.dataframe and "Evidence" in at.dataframe[0].value.columns else []
    assert len(narrow) < wide


def test_accounts_only_workspace(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    ws.write_frame("accounts", pd.DataFrame({"account_id": ["A"], "arr": [1000.0]}))
    at = run("zh", ws=ws)
    assert english_leaks(at) == []
    texts = "\n".join(visible_texts(at))
    assert "产品使用数据" in texts or "NPS 调研" in texts  # says which tables would feed the lists
