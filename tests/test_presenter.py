"""Presenter mode with hidden money: every page renders on the sample company without
showing an amount (no currency sign followed by a digit in any text, metric or alert)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cs_metrics import account
from cs_metrics.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "pages").glob("*.py"))
AMOUNT = re.compile(r"[$¥€£]\s?\d")
TEXT_KINDS = ("markdown", "text", "caption", "title", "header", "subheader", "info", "warning",
              "success", "error", "code", "latex")


def rendered_texts(at: AppTest) -> list[str]:
    """Every piece of text the page put on screen (not data tables or charts)."""
    texts = []
    for kind in TEXT_KINDS:
        texts += [str(e.value) for e in getattr(at, kind)]
    for metric in at.metric:
        texts += [str(metric.label), str(metric.value), str(metric.delta or "")]
    return texts


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_hides_money_in_presenter_mode(page, tmp_path, sample_path):
    target = tmp_path / "presenter.duckdb"
    shutil.copyfile(sample_path, target)
    ws = Workspace.open(target)
    try:
        at = AppTest.from_file(str(page), default_timeout=180)
        at.session_state["polaris_ws"] = ws
        at.session_state["presenter"] = True
        at.session_state["hide_money"] = True
        # Pages about one account show the biggest one, so every section has data.
        at.query_params["account"] = account.search_accounts(ws.con, "", limit=1).iloc[0]["account_id"]
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        leaks = [text for text in rendered_texts(at) if AMOUNT.search(text)]
        assert leaks == []
    finally:
        ws.close()
