"""The Leaky Bucket page, driven headless with AppTest in both languages."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from cs_metrics import simulate as sim

PAGE = "../pages/leaky_bucket.py"
TABS = {"en": ["Break-even curves", "The CS lever", "The company", "Sensitivity", "Scenarios"],
        "zh": ["回本曲线", "客户成功杠杆", "公司视角", "敏感性", "情景对比"]}


@pytest.fixture()
def page(tmp_path, monkeypatch, sample_ws):
    """Open the page on a private copy of the sample company, in ``lang``, on ``tab``.

    The workspace is put in place directly: AppTest sessions in one process can share
    session-scoped resources, and each test must see only its own settings.
    """
    monkeypatch.setenv("POLARIS_DATA_DIR", str(tmp_path))

    def open_page(lang: str = "en", tab: str | None = None, ws=None, **state) -> AppTest:
        at = AppTest.from_file(PAGE, default_timeout=60)
        at.session_state["lang"] = lang
        at.session_state["polaris_ws"] = ws or sample_ws
        for key, value in state.items():
            at.session_state[key] = value
        if tab is not None:
            at.session_state["sim_tab"] = tab
        at.run()
        assert not at.exception, at.exception
        return at

    return open_page


def metric(at: AppTest, label: str) -> str:
    """The value of the first KPI tile called ``label``."""
    found = [m.value for m in at.metric if m.label == label]
    assert found, [m.label for m in at.metric]
    return found[0]


def heading(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("#### "))


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def test_default_page_reproduces_the_seed_figure(page):
    at = page()
    assert at.title[0].value == "Leaky Bucket"
    assert heading(at) == "#### One acquired customer at 25.0%/yr churn"
    assert metric(at, "Break-even") == "5.4 years"
    assert metric(at, "LTV") == "$25,329"
    assert metric(at, "LTV : CAC") == "1.27×"
    assert metric(at, "CAC payback") == "2.8 years"
    assert metric(at, "Churn limit") == "30.6%/yr"
    captions = " ".join(c.value for c in at.caption)
    assert "Never profitable (dashed): 35.0%/yr, 40.0%/yr." in captions
    assert "assumptions, not from laws" in captions
    assert "with a 12-month payback it would be 64.8%/yr" in captions
    spec = charts(at)[0]
    assert "When does a customer pay back?" in json.dumps(spec)
    assert at.get("download_button"), "the chart has a PNG download"


def test_moving_sliders_changes_the_break_even(page):
    at = page()
    at.slider(key="sim_annual_churn_s").set_value(35.0).run()
    assert not at.exception
    assert metric(at, "Break-even") == "never"
    assert "35.0%/yr" in heading(at)
    assert at.number_input(key="sim_annual_churn_n").value == 35.0
    at.slider(key="sim_gross_margin_s").set_value(90.0).run()  # m = 750, C = 20,000
    expected = sim.break_even_months(sim.Assumptions(gross_margin=0.9), 0.35) / 12
    assert metric(at, "Break-even") == f"{expected:.1f} years"


def test_number_input_moves_its_slider_and_widens_it(page):
    at = page()
    at.number_input(key="sim_arpa_n").set_value(30000.0).run()
    assert not at.exception
    slider = at.slider(key="sim_arpa_s")
    assert slider.value == 30000.0 and slider.max == 30000.0
    expected = sim.evaluate(sim.Assumptions(arpa=30000.0), 0.25).ltv
    assert metric(at, "LTV") == f"${expected:,.0f}"


def test_monthly_basis_shows_the_same_bucket(page):
    at = page()
    at.segmented_control(key="sim_basis").set_value("monthly").run()
    assert not at.exception
    assert at.slider(key="sim_annual_churn_s").value == pytest.approx(2.3688, abs=1e-4)
    assert metric(at, "Break-even") == "5.4 years"
    assert "2.37%/mo" in heading(at)
    assert at.text_input(key="sim_rates_text").value.startswith("0.4265, 0.8742")
    at.slider(key="sim_annual_churn_s").set_value(2.0).run()  # 2%/month = 21.5%/year, not 24%
    expected = sim.break_even_months(sim.Assumptions(), 1 - 0.98 ** 12) / 12
    assert metric(at, "Break-even") == f"{expected:.1f} years"


def test_zero_churn_shows_unbounded_ltv(page):
    at = page()
    at.slider(key="sim_annual_churn_s").set_value(0.0).run()
    assert metric(at, "LTV") == "unbounded"
    assert metric(at, "Break-even") == "2.8 years"  # = CAC payback


def test_rates_list_is_editable_and_checked(page):
    at = page()
    at.text_input(key="sim_rates_text").input("10, 50").run()
    assert "Never profitable (dashed): 50.0%/yr." in " ".join(c.value for c in at.caption)
    at.text_input(key="sim_rates_text").input("10, lots").run()
    assert not at.exception
    assert any("'lots' is not a percentage" in e.value for e in at.error)


def test_your_bucket_fills_measured_figures(page, sample_ws):
    expected = sim.measured_inputs(sample_ws.con)
    at = page()
    at.button(key="sim_fill").click().run()
    assert not at.exception
    assert at.number_input(key="sim_arpa_n").value == pytest.approx(expected["arpa"])
    assert at.number_input(key="sim_annual_churn_n").value == pytest.approx(
        expected["annual_churn"] * 100, abs=1e-4)
    assert at.session_state["sim.monthly_expansion"] == pytest.approx(expected["monthly_expansion"])
    captions = " ".join(c.value for c in at.caption)
    assert captions.count("measured") >= 3  # ARPA, expansion and churn are marked
    assert f"{expected['window_start']} → {expected['window_end']}" in captions
    # the company's own churn is drawn, thick, on the break-even chart
    assert f"{expected['annual_churn'] * 100:.1f}" in json.dumps(charts(at)[0])


def show(at: AppTest, tab: str) -> AppTest:
    at.session_state["sim_tab"] = tab
    at.run()
    assert not at.exception, at.exception
    return at


def test_empty_workspace_still_simulates(page, tmp_path):
    from cs_metrics.workspace import Workspace

    empty = Workspace.create(tmp_path / "empty.duckdb")
    at = page(ws=empty)
    assert metric(at, "Break-even") == "5.4 years"
    assert at.button(key="sim_fill").disabled
    assert any("Load monthly revenue" in c.value for c in at.caption)
    empty.close()


def test_hidden_money_in_presenter_mode(page):
    at = page(presenter=True, hide_money=True)
    assert metric(at, "LTV") == "•••"
    assert metric(at, "Break-even") == "5.4 years"
    assert not at.get("download_button"), "no download buttons while presenting"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_tab_renders(page, lang):
    at = page(lang)
    for i, tab in enumerate(TABS[lang]):
        show(at, tab)
        assert at.tabs[i].label == tab
        if i == 1:
            assert len(at.metric) == 5 + 4
        if i == 2:
            assert len(at.metric) == 5 + 4 and len(charts(at)) == 2
        if i == 3:
            assert len(charts(at)) == 1


def test_cs_lever_sentence(page):
    at = page(tab="The CS lever")
    text = " ".join(m.value for m in at.markdown).replace("\\$", "$")
    before = sim.evaluate(sim.Assumptions(), 0.25)
    after = sim.evaluate(sim.Assumptions(cost_to_serve=200.0), 0.20)
    assert "Spending **$50** more per customer per month" in text
    a, b = before.break_even_months / 12, after.break_even_months / 12
    assert f"from **{a:.1f} years** to **{b:.1f} years**" in text
    assert f"LTV from **${before.ltv:,.0f}** to **${after.ltv:,.0f}**" in text


def test_heatmap_axes_can_be_changed(page):
    at = page(tab="Sensitivity")
    at.selectbox(key="sim_heat_x").set_value("arpa").run()
    at.selectbox(key="sim_heat_y").set_value("gross_margin").run()
    assert not at.exception
    spec = json.dumps(charts(at)[0])
    assert "ARPA ($ per month)" in spec and "Gross margin" in spec


def test_scenarios_are_saved_in_the_workspace(page):
    at = page(tab="Scenarios")
    for i in range(4):
        at.slider(key="sim_annual_churn_s").set_value(10.0 + 5 * i)
        at.text_input(key="sim_scenario_name").input(f"plan {i}")
        at.button(key="sim_save_scenario").click().run()
        assert not at.exception
    stored = at.session_state["polaris_ws"].get_setting("simulator.scenarios")
    assert [s["name"] for s in stored] == ["plan 0", "plan 1", "plan 2", "plan 3"]
    assert stored[3]["annual_churn"] == pytest.approx(0.25)
    assert at.button(key="sim_save_scenario").disabled
    assert len([m for m in at.metric if m.label == "Break-even"]) == 1 + 4  # headline + cards
    assert "Saved scenarios" in json.dumps(charts(at)[0])
    at.button(key="sim_load_0").click().run()
    assert at.slider(key="sim_annual_churn_s").value == pytest.approx(10.0)
    at.button(key="sim_delete_3").click().run()
    stored = at.session_state["polaris_ws"].get_setting("simulator.scenarios")
    assert [s["name"] for s in stored] == ["plan 0", "plan 1", "plan 2"]


# Words allowed in the Chinese page: acronyms Chinese readers use as they are, formula
# symbols, and the SI suffixes of chart axes.
ALLOWED = {"SaaS", "ARPA", "LTV", "CAC", "MRR", "PNG", "CS", "P", "n", "m", "C", "c", "g", "N", "t", "ln",
           "yrs", "k", "M", "B"}


def visible_text(at: AppTest) -> list[str]:
    texts = [at.title[0].value]
    for kind in ("markdown", "caption", "info", "warning", "error", "subheader"):
        texts += [e.value for e in at.get(kind)]
    for m in at.metric:
        texts += [m.label, m.value, m.proto.help]
    for kind in ("slider", "number_input", "text_input", "button", "selectbox", "download_button",
                 "segmented_control"):
        for w in at.get(kind):
            texts += [w.label, getattr(w, "help", "") or ""]
    texts += [t.label for t in at.tabs] + [e.label for e in at.expander]
    for spec in charts(at):
        texts += re.findall(r'"(?:title|text)": "([^"]*)"', json.dumps(spec, ensure_ascii=False))
    return [t for t in texts if t]


def test_chinese_page_has_no_english_ui_strings(page):
    at = page("zh")
    english: dict[str, set[str]] = {}
    for tab in TABS["zh"]:
        show(at, tab)
        if tab == "情景对比":  # show a saved scenario's card too
            at.text_input(key="sim_scenario_name").input("方案").run()
            at.button(key="sim_save_scenario").click().run()
        for text in visible_text(at):
            for word in re.findall(r"[A-Za-z]+", text):
                if word not in ALLOWED:
                    english.setdefault(tab, set()).add(word)
    assert not english, english
    assert at.title[0].value == "漏水的桶"
