"""The QBR deck opens with python-pptx, carries the account's figures, and hides amounts on request."""

from __future__ import annotations

import io
import re

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from cs_metrics import account, deck
from test_account import build_company


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    ws = build_company(tmp_path_factory.mktemp("deck") / "d.duckdb")
    yield account.account_view(ws.con, "A1", with_health=False)
    ws.close()


def _texts(data: bytes) -> tuple[list[list[str]], int]:
    prs = Presentation(io.BytesIO(data))
    slides, pictures = [], 0
    for slide in prs.slides:
        texts = []
        for shape in slide.shapes:
            if shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
                pictures += 1
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
        slides.append(texts)
    return slides, pictures


def test_deck_in_english_has_the_accounts_figures(view):
    slides, pictures = _texts(deck.build_deck(view, "en", "USD", metric_label="Reports created"))
    assert len(slides) == 6
    everything = "\n".join("\n".join(s) for s in slides)
    assert "Quarterly business review" in slides[0][0] and "=HYPERLINK(\"x\") Acme" in slides[0][0]
    assert "$1,440" in everything                                   # ARR
    assert "Tenure" in everything and "11 months" in everything
    assert "2026-07-15 (in 15 days)" in everything
    # Goals table: baseline → current → target and attainment.
    assert "Cut report time" in everything and "20.0 → 14.0 → 5.0" in everything and "40%" in everything
    assert "67%" in everything and "on track" in everything and "behind" in everything
    # North Star: 30 of a goal target of 40 (75 %), and the counter.
    assert "30 · 75%" in everything
    assert "Latest Reports created: 30.0 (2026-06); target 40.0 (the account's goal); Below the target." in everything
    assert "Health scores are not available" in everything
    assert "Renewal on 2026-07-15, in 15 days" in everything
    assert pictures == 2                                              # revenue and North Star charts


def test_deck_in_chinese_without_money(view):
    data = deck.build_deck(view, "zh", "USD", hide_money=True)
    slides, pictures = _texts(data)
    everything = "\n".join("\n".join(s) for s in slides)
    assert "季度业务回顾" in everything and "下一步行动" in everything and "目标与达成率" in everything
    assert "MRR 指数（首月 = 100）" in everything and "120" in everything
    assert not re.search(r"\$\s?\d", everything)
    assert "1,440" not in everything
    assert pictures == 2


def test_headline_figures_hide_money(view):
    shown = dict(deck.headline_figures(view, "en", "USD", hide_money=False))
    hidden = dict(deck.headline_figures(view, "en", "USD", hide_money=True))
    assert shown["ARR"] == "$1,440" and "ARR" not in hidden
    assert hidden["MRR index (first month = 100)"] == "120"
    assert shown["NPS, 12 months"] == "0" and shown["CSAT, 12 months"] == "4.00"


def test_deck_for_an_account_with_little_data(tmp_path):
    ws = build_company(tmp_path / "e.duckdb")
    view = account.account_view(ws.con, "A4", with_health=False)
    slides, pictures = _texts(deck.build_deck(view, "en"))
    everything = "\n".join("\n".join(s) for s in slides)
    assert "No goals recorded" in everything and "No North Star is set" in everything
    assert "n/a" in everything and pictures == 1
