"""The Retention page renders in both languages, shows the hand-computed figures, lists the
accounts behind a clicked bar or cohort cell, and hides money in presenter mode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cs_metrics.workspace import Workspace
from test_revenue import accounts_frame, mrr_long_frame

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "retention.py")
# Acronyms and names that stay in Latin letters in Chinese UI text too.
ALLOWED_LATIN = {"GRR", "NRR", "MRR", "ARR", "ARPA", "CMRR", "NPS", "PNG", "CSV", "Excel", "Kaplan", "Meier"}


def fixture_ws(tmp_path, chinese_segments: bool = False) -> Workspace:
    ws = Workspace.create(tmp_path / "retention_page.duckdb")
    accounts = accounts_frame()
    if chinese_segments:
        accounts["segment"] = accounts["segment"].map({"SMB": "中小客户", "Enterprise": "大客户"})
        accounts["account_name"] = ["甲", "乙", "丙", "丁", "戊", "己"]
    ws.write_frame("accounts", accounts)
    ws.write_frame("mrr", mrr_long_frame())
    return ws


def run_page(tmp_path, monkeypatch, lang="en", ws=None, **state) -> AppTest:
    monkeypatch.setenv("POLARIS_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["lang"] = lang
    if ws is not None:
        at.session_state["polaris_ws"] = ws
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_english_page_shows_the_hand_computed_figures(tmp_path, monkeypatch):
    at = run_page(tmp_path, monkeypatch, ws=fixture_ws(tmp_path))
    shown = metrics(at)
    assert shown["GRR"] == "74.2%"
    assert shown["NRR"] == "90.3%"
    assert shown["Logo retention"] == "80.0%"
    assert shown["Quick ratio"] == "1.09×"
    assert shown["MRR"] == "$640"
    assert shown["CMRR"] == "$540"
    assert shown["NPS"] == "n/a"
    grr = next(m for m in at.metric if m.label == "GRR")
    assert "2023-01 → 2024-01" in grr.help and "never exceeds 100%" in grr.help
    assert not grr.delta  # the previous window (2022-01 → 2023-01) is before the data
    assert [s.value for s in at.subheader][:2] == ["ARR bridge: from the start of the window to its end",
                                                    "MRR movements by month"]


def test_chinese_page_has_no_english_ui_text(tmp_path, monkeypatch):
    at = run_page(tmp_path, monkeypatch, lang="zh", ws=fixture_ws(tmp_path, chinese_segments=True))
    shown = metrics(at)
    assert shown["总收入留存率"] == "74.2%" and shown["净收入留存率"] == "90.3%"
    texts = [e.value for kind in ("title", "subheader", "caption", "markdown", "info", "warning")
             for e in getattr(at, kind)]
    texts += [m.label for m in at.metric] + [m.help or "" for m in at.metric] + [m.delta or "" for m in at.metric]
    texts += [w.label for w in at.selectbox] + [w.label for w in at.radio] + [t.label for t in at.tabs]
    texts += [opt for w in at.radio for opt in w.options]
    english = {word for text in texts for word in re.findall(r"[A-Za-z]{2,}", text)} - ALLOWED_LATIN
    assert english == set(), english


def test_clicking_a_movement_bar_lists_its_accounts(tmp_path, monkeypatch):
    pick = {"selection": {"movement_pick": [{"month": "2023-05", "movement": "churn"}]}}
    at = run_page(tmp_path, monkeypatch, ws=fixture_ws(tmp_path), retention_movements=pick)
    assert any("Churn in 2023-05" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert list(table["Account ID"]) == ["D"] and list(table["Movement"]) == ["Churn"]
    assert table["Change ($)"].iloc[0] == 70.0


def test_clicking_a_cohort_cell_lists_its_accounts(tmp_path, monkeypatch):
    pick = {"selection": {"cohort_pick": [{"cohort_label": "≤2023-01", "age": 4}]}}
    at = run_page(tmp_path, monkeypatch, ws=fixture_ws(tmp_path), retention_cohorts_logo=pick)
    assert any("3 of 5 accounts still paying" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert list(table["Account ID"][:2]) == ["C", "D"]  # the lost ones first


def test_variant_window_is_labelled(tmp_path, monkeypatch):
    at = run_page(tmp_path, monkeypatch, ws=fixture_ws(tmp_path), retention_window=3)
    grr = next(m for m in at.metric if m.label == "GRR")
    assert "Variant window: 3 months" in grr.help
    # 2023-10 → 2024-01 against 2023-07 → 2023-10: GRR 560/560 then 500/550 (B contracted).
    assert grr.value == "100.0%" and grr.delta == "+9.1 pts"
    assert at.radio(key="retention_window").options == [
        "1 month (variant)", "3 months (variant)", "6 months (variant)", "12 months (standard)"]


def test_window_longer_than_the_history_says_so(tmp_path, monkeypatch):
    at = run_page(tmp_path, monkeypatch, ws=fixture_ws(tmp_path), retention_as_of="2023-06")
    assert any("starts before the first month of the data" in i.value for i in at.info)
    assert metrics(at)["GRR"] == "n/a"
    assert metrics(at)["MRR"] == "$550"


def test_sample_company_in_presenter_mode_hides_money(tmp_path, monkeypatch, sample_path):
    import shutil

    target = tmp_path / "sample_copy.duckdb"
    shutil.copyfile(sample_path, target)
    at = run_page(tmp_path, monkeypatch, ws=Workspace.open(target), presenter=True, hide_money=True)
    shown = metrics(at)
    assert "MRR index" in shown
    assert not any("$" in value for value in shown.values())
    assert re.fullmatch(r"\d+\.\d%", shown["GRR"])


def test_page_without_revenue_says_what_to_load(tmp_path, monkeypatch):
    ws = Workspace.create(tmp_path / "empty.duckdb")
    ws.write_frame("accounts", accounts_frame())
    at = run_page(tmp_path, monkeypatch, ws=ws)
    assert at.warning and "monthly revenue (MRR)" in at.warning[0].value
    assert not at.metric


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_survival_split_by_segment(tmp_path, monkeypatch, lang):
    at = run_page(tmp_path, monkeypatch, lang=lang, ws=fixture_ws(tmp_path, chinese_segments=lang == "zh"),
                  retention_split="segment")
    assert at.selectbox(key="retention_split").value == "segment"
    # Hand log-rank over C (lost at 3 months) and D (lost at 4): chi2 0.0204, p 0.886.
    assert any("p = 0.886" in m.value for m in at.markdown)
