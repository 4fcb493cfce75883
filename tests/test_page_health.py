"""The Health page: renders in both languages; weights re-score and re-run the backtest; fitted
weights are adopted with one click; settings are saved; missing data is explained."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cs_metrics import health
from cs_metrics.charts.health import component_label
from cs_metrics.i18n import t
from cs_metrics.workspace import Workspace
from tests.page_text import english_leaks, run_page, visible_texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "health.py")


def run(lang: str = "en", ws: Workspace | None = None, **state) -> AppTest:
    return run_page(PAGE, lang, ws, **state)


def chart_data(at: AppTest, title: str) -> str:
    """The dataset fingerprint of the chart whose spec carries ``title`` (changes with its data)."""
    for chart in at.get("vega_lite_chart"):
        if title in chart.proto.spec:
            return ",".join(d.name for d in chart.proto.datasets)
    raise AssertionError(f"no chart titled {title!r}")


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_tiles_charts_sentence_and_table(lang):
    at = run(lang)
    assert at.title[0].value == t("health.title", lang)
    labels = [m.label for m in at.metric]
    assert t("health.arr_at_risk", lang) in labels and t("health.tile_auc", lang) in labels
    assert float(metric(at, t("health.tile_auc", lang))) > 0.7
    # The plain sentence of the backtest, the charts and the account table.
    texts = "\n".join(visible_texts(at))
    assert ("churned" in texts and "as often as green" in texts) if lang == "en" else "流失频率" in texts
    assert len(at.get("vega_lite_chart")) >= 5
    assert len(at.dataframe) >= 2 and len(at.dataframe[0].value) > 100
    assert at.button(key="health_adopt")
    if lang == "zh":
        assert english_leaks(at) == []
        assert re.search(r"[\u4e00-\u9fff]", texts)


def test_changing_a_weight_rescores_and_reruns_the_backtest(sample_ws):
    at = run("en", ws=sample_ws)
    band_title = t("health.band_chart", "en", n=3)
    before = (chart_data(at, band_title), chart_data(at, t("health.auc_chart", "en")),
              metric(at, t("health.tile_auc", "en")))
    for comp in ("usage_level", "usage_trend", "breadth"):
        at.slider(key=f"health_w_{comp}").set_value(0)
    at.run()
    assert not at.exception
    after = (chart_data(at, band_title), chart_data(at, t("health.auc_chart", "en")),
             metric(at, t("health.tile_auc", "en")))
    assert all(a != b for a, b in zip(before, after))
    # The page says the sliders are not saved yet; the workspace still has no weights.
    assert any(t("health.unsaved", "en") in c.value for c in at.caption)
    assert sample_ws.get_setting("health.weights") is None


def test_horizon_changes_the_backtest(sample_ws):
    at = run("en", ws=sample_ws)
    at.number_input(key="health_horizon").set_value(6).run()
    assert not at.exception
    chart_data(at, t("health.band_chart", "en", n=6))
    assert "6 months" in "\n".join(m.value for m in at.markdown)


def test_adopting_the_fitted_weights(sample_ws):
    at = run("en", ws=sample_ws)
    fit = health.suggest_weights(sample_ws.con, horizon=3)
    assert fit.judgeable
    at.button(key="health_adopt").click().run()
    assert not at.exception
    assert sample_ws.get_setting("health.weights") == fit.weights
    assert {c: at.session_state[f"health_w_{c}"] for c in health.COMPONENTS} == fit.weights
    assert any(t("health.adopted", "en") in s.value for s in at.success)
    assert not any(t("health.unsaved", "en") in c.value for c in at.caption)


def test_saving_weights_and_bands(sample_ws):
    at = run("en", ws=sample_ws)
    at.slider(key="health_w_nps").set_value(40)
    at.slider(key="health_bands").set_value((35, 75))
    at.button(key="health_save").click().run()
    assert not at.exception
    saved = health.health_settings(sample_ws.con)
    assert saved["weights"]["nps"] == 40 and saved["bands"] == {"green": 75.0, "red": 35.0}
    # A fresh session on the same workspace starts from the saved weights.
    again = run("zh", ws=sample_ws)
    assert again.slider(key="health_w_nps").value == 40


def test_all_weights_zero_is_refused(sample_ws):
    state = {f"health_w_{c}": 0 for c in health.COMPONENTS}
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["polaris_ws"] = sample_ws
    at.run()
    for key in state:
        at.slider(key=key).set_value(0)
    at.run()
    assert not at.exception
    assert any(t("health.all_zero", "en") in w.value for w in at.warning)


def test_explanation_follows_the_chosen_account(sample_ws):
    at = run("en", ws=sample_ws)
    box = at.selectbox(key="health_explain_account")
    first = box.value
    texts = "\n".join(m.value for m in at.markdown)
    assert "Dragging it down most" in texts or "Already green" in texts
    box.set_value(box.options[-1] if box.options[-1] != first else box.options[0]).run()
    assert not at.exception
    assert chart_data(at, t("health.contrib_chart", "en"))


def test_band_filter_narrows_the_table(sample_ws):
    at = run("en", ws=sample_ws)
    everyone = len(at.dataframe[0].value)
    at.multiselect(key="health_band_filter").set_value(["red"]).run()
    red = at.dataframe[0].value
    assert 0 < len(red) < everyone
    assert set(red[t("health.col.band", "en")]) == {t("band.red", "en")}


def test_missing_tables_are_explained(tmp_path):
    empty = run("en", ws=Workspace.create(tmp_path / "empty.duckdb"))
    assert empty.warning and not empty.metric
    ws = Workspace.create(tmp_path / "revenue_only.duckdb")
    ws.write_frame("mrr", pd.DataFrame({"account_id": ["a"], "month": pd.to_datetime(["2024-01-01"]),
                                        "mrr": [10.0]}))
    only_revenue = run("zh", ws=ws)
    assert any(t("health.no_inputs", "zh") in i.value for i in only_revenue.info)


def test_short_history_is_said_plainly(tmp_path):
    ws = Workspace.create(tmp_path / "short.duckdb")
    ws.write_frame("mrr", pd.DataFrame({"account_id": ["a", "b"], "month": pd.to_datetime(["2024-01-01"] * 2),
                                        "mrr": [10.0, 20.0]}))
    ws.write_frame("nps", pd.DataFrame({"account_id": ["a", "b"], "date": pd.to_datetime(["2024-01-05"] * 2),
                                        "score": [9, 2]}))
    at = run("en", ws=ws)
    infos = "\n".join(i.value for i in at.info)
    assert t("health.short_history", "en", need=6, have=1) in infos
    assert t("health.fit_short_history", "en") in infos
    assert component_label("nps", "en") in "\n".join(s.label for s in at.slider)
