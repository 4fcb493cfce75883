"""Health and lifecycle chart builders: translated titles and labels, fixed state colours,
no ARR in the tooltips when money is hidden."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cs_metrics import health
from cs_metrics.charts import health as charts
from cs_metrics.charts.base import BAND_COLORS
from cs_metrics.i18n import t

MOVES = pd.DataFrame({"from_state": ["new", "green", "green", "red"], "to_state": ["yellow", "green", "red", "churned"],
                      "accounts": [1, 5, 2, 1], "arr": [100.0, 900.0, 300.0, 50.0]})


def spec(chart) -> str:
    return json.dumps(chart.to_dict(), ensure_ascii=False)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_builder_renders_with_translated_text(lang):
    mix = pd.DataFrame({"month": pd.to_datetime(["2024-01-01"] * 2), "state": ["green", "red"],
                        "accounts": [3, 1], "arr": [10.0, 5.0]})
    rates = pd.DataFrame({"band": ["green", "yellow", "red"], "account_months": [10, 5, 4], "churned": [1, 1, 2],
                          "churn_rate": [0.1, 0.2, 0.5]})
    aucs = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-02-01"]), "auc": [0.8, 0.9],
                         "accounts": [10, 10], "churned": [1, 2]})
    why = health.explain({"usage_level": 20.0, "support": 80.0}, {"usage_level": 1, "support": 1})
    times = pd.DataFrame({"stage": ["onboarding", "steady"], "spells": [2, 3], "completed": [1, 1],
                          "mean_months": [3.0, None], "median_months": [3.0, None], "accounts_now": [1, 2],
                          "months_so_far": [2.0, 5.0]})
    built = [
        (charts.state_mix_chart(mix, lang), "health.mix_title"),
        (charts.band_churn_chart(rates, 3, lang), "health.band_chart"),
        (charts.auc_chart(aucs, lang), "health.auc_chart"),
        (charts.weights_chart({"usage_level": 1, "support": 3}, {"usage_level": 50, "support": 50}, lang),
         "health.weights_chart"),
        (charts.contributions_chart(why.contributions, lang), "health.contrib_chart"),
        (charts.migration_heatmap(MOVES, lang), "lifecycle.matrix_title"),
        (charts.migration_flow_chart(MOVES, lang, "arr"), "lifecycle.flow_title"),
        (charts.time_in_stage_chart(times, lang), "lifecycle.time_title"),
    ]
    for chart, key in built:
        text = spec(chart)
        assert t(key, lang, n=3) in text
    assert charts.state_label("green", lang) in spec(built[0][0])
    assert charts.component_label("usage_level", lang) in spec(built[3][0])
    assert charts.state_label("new", lang) in spec(built[5][0])


def test_bands_keep_their_colours():
    rates = pd.DataFrame({"band": ["green", "red"], "account_months": [10, 4], "churned": [1, 2],
                          "churn_rate": [0.1, 0.5]})
    text = spec(charts.band_churn_chart(rates, 3, "en"))
    assert BAND_COLORS["green"] in text and BAND_COLORS["red"] in text


def test_hidden_money_leaves_arr_out_of_the_tooltips():
    shown = charts.migration_flow_chart(MOVES, "en").to_dict()
    hidden = charts.migration_flow_chart(MOVES, "en", money=False).to_dict()
    fields = lambda d: [tip["field"] for tip in d["encoding"]["tooltip"]]  # noqa: E731
    assert "arr" in fields(shown) and "arr" not in fields(hidden)
