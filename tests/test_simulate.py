"""The leaky-bucket simulator: closed forms against month-by-month sums, the seed's
figure from stated assumptions, conversions, edge cases and refusals."""

from __future__ import annotations

import json
import math
import re

import duckdb
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cs_metrics import simulate as sim
from cs_metrics.charts import simulate as charts
from cs_metrics.errors import InputError
from cs_metrics.simulate import Assumptions

DEFAULT = Assumptions()
M, C = 600.0, 20000.0  # 1000 × 0.75 − 150, and 16,000 + 4,000


def rho(annual: float) -> float:
    return (1 - annual) ** (1 / 12)


# Hand-computed unit economics ---------------------------------------------------------------
def test_default_unit_economics_by_hand():
    assert DEFAULT.monthly_contribution == M
    assert DEFAULT.upfront_cost == C
    assert DEFAULT.cac_payback_months == pytest.approx(C / M)  # 33.33 months
    r = sim.evaluate(DEFAULT, 0.25)
    assert r.ltv == pytest.approx(M / (1 - rho(0.25)))  # 25,328.83
    assert r.ltv == pytest.approx(25328.83, abs=0.01)
    assert r.ltv_to_cac == pytest.approx(25328.83 / 20000, abs=1e-6)
    n_star = math.log(1 - C * (1 - rho(0.25)) / M) / math.log(rho(0.25))
    assert r.break_even_months == pytest.approx(n_star)
    assert r.break_even_months == pytest.approx(65.02, abs=0.01)
    assert r.profit_at_horizon == pytest.approx(-C + M * (1 - 0.75 ** 10) / (1 - rho(0.25)))


def test_seed_figure_reproduced_from_defaults():
    """Seed 002: 25% churn pays back after about 5.5 years; above 35% basically never."""
    at_25 = sim.evaluate(DEFAULT, 0.25)
    assert 5.3 <= at_25.break_even_years <= 5.6
    for churn in (0.35, 0.40, 0.60):
        assert sim.evaluate(DEFAULT, churn).break_even_months is None
    assert sim.max_breakeven_churn(DEFAULT) == pytest.approx(1 - 0.97 ** 12)  # 30.6%


def test_twelve_month_payback_moves_the_limit_far_out():
    quick = Assumptions(cac=7200.0 - 1200.0, onboarding=1200.0)  # C = 12 × m
    assert quick.cac_payback_months == pytest.approx(12.0)
    assert sim.max_breakeven_churn(quick) == pytest.approx(1 - (11 / 12) ** 12)  # 64.8%
    assert sim.evaluate(quick, 0.35).break_even_months is not None


# Closed forms against the month-by-month sum -----------------------------------------------
@pytest.mark.parametrize("churn, expansion", [
    (0.05, 0.0), (0.25, 0.0), (0.35, 0.0), (0.0, 0.0), (0.25, 0.01), (0.10, 0.02), (0.0, 0.005),
])
def test_closed_form_matches_monthly_sum(churn, expansion):
    a = Assumptions(monthly_expansion=expansion)
    curve = sim.cohort_curve(a, churn, months=240)
    assert curve["cumulative_profit"].iloc[0] == -C
    assert_allclose(curve["survivors"].iloc[1:4], [1.0, rho(churn), rho(churn) ** 2])
    assert_allclose(curve["cumulative_profit"],
                    sim.cumulative_profit(a, churn, curve["month"].to_numpy()), rtol=1e-10, atol=1e-6)


@pytest.mark.parametrize("churn, expansion", [(0.05, 0.0), (0.25, 0.0), (0.30, 0.0),
                                              (0.25, 0.01), (0.40, 0.015), (0.0, 0.0), (0.0, 0.01)])
def test_break_even_month_is_where_the_running_sum_turns(churn, expansion):
    a = Assumptions(monthly_expansion=expansion)
    n_star = sim.break_even_months(a, churn)
    assert n_star is not None
    curve = sim.cohort_curve(a, churn, months=int(n_star) + 2)["cumulative_profit"]
    assert curve.iloc[math.floor(n_star)] < 0 <= curve.iloc[math.ceil(n_star)]
    assert sim.cumulative_profit(a, churn, n_star) == pytest.approx(0.0, abs=1e-6)


def test_ltv_is_the_limit_of_the_monthly_sum():
    for churn, expansion in ((0.25, 0.0), (0.10, 0.0), (0.30, 0.01)):
        a = Assumptions(monthly_expansion=expansion, horizon_months=1200)
        total = sim.cohort_curve(a, churn, months=1200)["contribution"].iloc[1:].sum()
        assert sim.ltv(a, churn) == pytest.approx(total, rel=1e-4)  # 100 years ≈ forever
        assert total == pytest.approx(sim.cumulative_profit(a, churn, 1200) + C, abs=1e-6)


def test_ltv_with_expansion_closed_form():
    a = Assumptions(monthly_expansion=0.01)
    r, q = rho(0.25), rho(0.25) * 1.01
    assert sim.ltv(a, 0.25) == pytest.approx(750 / (1 - q) - 150 / (1 - r))
    assert sim.evaluate(a, 0.25).break_even_months < sim.evaluate(DEFAULT, 0.25).break_even_months


def test_threshold_with_expansion_is_where_ltv_equals_upfront_cost():
    a = Assumptions(monthly_expansion=0.01)
    c_star = sim.max_breakeven_churn(a)
    assert c_star > sim.max_breakeven_churn(DEFAULT)
    assert sim.ltv(a, c_star) == pytest.approx(C, rel=1e-9)
    assert sim.break_even_months(a, c_star - 0.001) is not None
    assert sim.break_even_months(a, c_star + 0.001) is None


# Conversions --------------------------------------------------------------------------------
def test_monthly_annual_conversion_is_compounded_not_times_twelve():
    assert sim.annual_from_monthly(0.02) == pytest.approx(1 - 0.98 ** 12)  # 21.53%, not 24%
    assert sim.annual_from_monthly(0.02) == pytest.approx(0.215284, abs=1e-6)
    assert sim.monthly_from_annual(0.25) == pytest.approx(1 - 0.75 ** (1 / 12))  # 2.37%
    for x in (0.0, 0.01, 0.25, 0.9):
        assert sim.annual_from_monthly(sim.monthly_from_annual(x)) == pytest.approx(x)


def test_report_on_monthly_basis_equals_its_annual_equivalent():
    monthly = sim.simulate_report([0.02], churn_basis="monthly")["scenarios"][0]
    annual = sim.simulate_report([1 - 0.98 ** 12])["scenarios"][0]
    assert monthly["monthly_churn"] == pytest.approx(0.02)
    assert monthly == annual


# Edge cases ---------------------------------------------------------------------------------
def test_zero_churn_breaks_even_at_payback_and_ltv_is_unbounded():
    r = sim.evaluate(DEFAULT, 0.0)
    assert r.break_even_months == pytest.approx(C / M) == pytest.approx(r.payback_months)
    assert math.isinf(r.ltv) and r.ltv > 0
    row = sim.simulate_report([0.0])["scenarios"][0]
    assert row["ltv"] is None and row["ltv_unbounded"] is True and row["ltv_to_cac"] is None
    assert row["break_even_months"] == 33.3
    assert row["profit_at_horizon"] == pytest.approx(-C + 120 * M)
    json.dumps(row, allow_nan=False)  # valid JSON: no Infinity


def test_churn_exactly_at_threshold_never_breaks_even():
    c_star = sim.max_breakeven_churn(DEFAULT)
    assert sim.break_even_months(DEFAULT, c_star) is None
    assert sim.break_even_months(DEFAULT, c_star + 1e-6) is None
    below = sim.break_even_months(DEFAULT, c_star - 1e-4)
    assert below is not None and below > 240  # pays back, but only after decades


def test_no_contribution_never_breaks_even_at_any_churn():
    a = Assumptions(cost_to_serve=750.0)  # m = 0
    assert a.cac_payback_months is None
    assert sim.max_breakeven_churn(a) is None
    assert sim.break_even_months(a, 0.0) is None
    assert sim.ltv(a, 0.0) == 0.0
    losing = Assumptions(cost_to_serve=800.0)
    assert sim.ltv(losing, 0.0) == -math.inf
    assert sim.ltv(losing, 0.25) == pytest.approx(-50 / (1 - rho(0.25)))


def test_contribution_above_upfront_cost_breaks_even_at_any_churn():
    a = Assumptions(cac=300.0, onboarding=0.0)  # m = 600 > C = 300
    assert sim.max_breakeven_churn(a) == 1.0
    assert sim.break_even_months(a, 0.99) == pytest.approx(
        math.log(1 - 300 * (1 - rho(0.99)) / 600) / math.log(rho(0.99)))
    free = Assumptions(cac=0.0, onboarding=0.0)
    assert sim.break_even_months(free, 0.5) == 0.0
    assert sim.evaluate(free, 0.5).ltv_to_cac is None


# Refusals -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, fragment", [
    ({"gross_margin": -0.1}, "Gross margin"),
    ({"gross_margin": 1.2}, "Gross margin"),
    ({"arpa": 0.0}, "ARPA"),
    ({"arpa": -5.0}, "ARPA"),
    ({"cost_to_serve": -1.0}, "Cost to serve"),
    ({"cac": -100.0}, "CAC"),
    ({"onboarding": -1.0}, "Onboarding"),
    ({"monthly_expansion": -0.01}, "expansion"),
    ({"horizon_months": 0}, "horizon"),
    ({"arpa": float("nan")}, "must be a number"),
    ({"churn_rates": [1.0]}, "below 100%"),
    ({"churn_rates": [-0.05]}, "at least 0%"),
    ({"churn_rates": [0.2], "churn_basis": "monthly", "gross_margin": 2.0}, "Gross margin"),
    ({"churn_rates": [0.2], "churn_basis": "weekly"}, "annual' or 'monthly"),
    ({"churn_rates": []}, "at least one churn rate"),
])
def test_nonsense_inputs_are_refused_with_a_message(kwargs, fragment):
    with pytest.raises(InputError, match=re.escape(fragment)):
        sim.simulate_report(**kwargs)


def test_report_lists_every_problem_at_once():
    with pytest.raises(InputError) as info:
        sim.simulate_report([1.2, 0.1, -0.1], gross_margin=2.0)
    assert len(info.value.problems) == 3
    assert "Gross margin" in info.value.problems[0] and "120%" in info.value.problems[1]


def test_every_problem_is_listed_and_translatable():
    with pytest.raises(InputError) as info:
        Assumptions(arpa=0, gross_margin=1.5, cac=-1)
    assert len(info.value.problems) == 3
    chinese = sim.error_text(info.value, "zh")
    assert "ARPA" in chinese and "毛利率" in chinese and "获客成本" in chinese
    assert not re.search(r"\b(must|cannot|got)\b", chinese)


def test_parse_rates():
    assert sim.parse_rates("5, 10，12.5% 40") == [0.05, 0.10, 0.125, 0.40]
    assert sim.parse_rates("25、25") == [0.25]
    for bad in ("", "abc", "100", "-5"):
        with pytest.raises(InputError):
            sim.parse_rates(bad)


# The report ---------------------------------------------------------------------------------
def test_report_shape_matches_the_contract():
    report = sim.simulate_report([0.25, 0.35])
    assert set(report) >= {"scenarios", "max_breakeven_churn", "assumptions"}
    first, second = report["scenarios"]
    assert set(first) >= {"annual_churn", "break_even_months", "break_even_years", "ltv",
                          "ltv_to_cac", "payback_months", "profit_at_horizon"}
    assert first["break_even_months"] == 65.0 and first["break_even_years"] == 5.42
    assert first["ltv"] == 25328.83 and first["ltv_to_cac"] == 1.27
    assert first["payback_months"] == 33.3 and first["profit_at_horizon"] == 3902.47
    assert second["break_even_months"] is None and second["break_even_years"] is None
    assert report["max_breakeven_churn"] == 0.3062
    assert report["assumptions"]["arpa"] == 1000.0 and report["assumptions"]["cac"] == 16000.0
    json.dumps(report, allow_nan=False)
    assert len(sim.simulate_report()["scenarios"]) == 8  # 5% … 40%


@pytest.mark.parametrize("lang, words", [
    ("en", ["65.0 months (5.42 years)", "never", "30.6%", "25,329", "assumptions"]),
    ("zh", ["65.0 个月（5.42 年）", "永不回本", "30.6%", "25,329", "假设"]),
])
def test_format_text(lang, words):
    text = sim.format_text(sim.simulate_report([0.25, 0.35]), lang)
    for word in words:
        assert word in text
    if lang == "zh":
        assert not re.search(r"\b(never|months|years|churn|profit)\b", text)


def test_format_text_unbounded_and_extremes():
    text = sim.format_text(sim.simulate_report([0.0], cac=100.0, onboarding=0.0))
    assert "unbounded" in text and "Every churn rate breaks even" in text
    text = sim.format_text(sim.simulate_report([0.1], cost_to_serve=750.0))
    assert "No churn rate breaks even" in text


# Company view -------------------------------------------------------------------------------
def test_company_view_fills_to_the_bucket_level():
    view = sim.company_view(DEFAULT, 0.25, new_per_month=10, months=600)
    monthly_churn = 1 - rho(0.25)
    assert view.customer_ceiling == pytest.approx(10 / monthly_churn)  # 422.1
    assert view.mrr_ceiling == pytest.approx(10 * 1000 / monthly_churn)
    frame = view.frame
    assert frame["customers"].iloc[0] == pytest.approx(10.0)
    assert frame["customers"].iloc[1] == pytest.approx(10 + 10 * rho(0.25))
    assert frame["customers"].iloc[-1] == pytest.approx(view.customer_ceiling, rel=1e-4)
    assert frame["customers"].is_monotonic_increasing
    # identities: P&L = gross profit − cost to serve − acquisition = N × P(t); cash = Σ P&L
    assert_allclose(frame["pnl"], frame["gross_profit"] - frame["cost_to_serve"] - frame["acquisition"])
    assert_allclose(frame["pnl"], 10 * sim.cumulative_profit(DEFAULT, 0.25, frame["month"].to_numpy()),
                    atol=1e-6)
    assert_allclose(frame["cumulative_cash"], frame["pnl"].cumsum())
    assert view.pnl_positive_month == math.ceil(sim.break_even_months(DEFAULT, 0.25)) == 66
    assert view.cash_low_month == 65 and view.cash_low == pytest.approx(frame["cumulative_cash"].min())
    assert view.cash_positive_month is not None and view.cash_positive_month > 66
    assert frame["cumulative_cash"].iloc[view.cash_positive_month - 2] < 0 \
        <= frame["cumulative_cash"].iloc[view.cash_positive_month - 1]


def test_company_view_edge_cases():
    never = sim.company_view(DEFAULT, 0.40, new_per_month=5)
    assert never.pnl_positive_month is None and never.cash_positive_month is None
    assert never.cumulative_cash < 0
    none = sim.company_view(DEFAULT, 0.25, new_per_month=0)
    assert none.pnl_positive_month is None and none.cash_low == 0.0
    flat = sim.company_view(DEFAULT, 0.0, new_per_month=1, months=24)
    assert flat.customer_ceiling is None and flat.mrr_ceiling is None
    assert flat.frame["customers"].iloc[-1] == 24
    with pytest.raises(InputError):
        sim.company_view(DEFAULT, 0.25, new_per_month=-1)


# The CS lever -------------------------------------------------------------------------------
def test_cs_lever_by_hand():
    lever = sim.cs_lever(DEFAULT, 0.25, extra_cost=50.0, churn_cut=0.05)
    assert lever.before.annual_churn == 0.25 and lever.after.annual_churn == pytest.approx(0.20)
    assert lever.after.monthly_contribution == 550.0
    assert lever.after.ltv == pytest.approx(550 / (1 - rho(0.20)))  # 29,853
    assert lever.before.break_even_months == pytest.approx(65.02, abs=0.01)
    assert lever.after.break_even_months == pytest.approx(
        math.log(1 - C * (1 - rho(0.20)) / 550) / math.log(rho(0.20)))
    # break-even spend: (1 − ρ')(LTV(20%) − LTV(25%)) leaves LTV unchanged
    justified = (1 - rho(0.20)) * (600 / (1 - rho(0.20)) - 600 / (1 - rho(0.25)))
    assert lever.max_justified_spend == pytest.approx(justified)  # ≈ 134 a month
    same = sim.cs_lever(DEFAULT, 0.25, extra_cost=justified, churn_cut=0.05)
    assert same.after.ltv == pytest.approx(same.before.ltv)
    assert lever.point_worth == pytest.approx(600 / (1 - rho(0.24)) - 600 / (1 - rho(0.25)))


def test_cs_lever_floors_churn_at_zero():
    lever = sim.cs_lever(DEFAULT, 0.03, extra_cost=0.0, churn_cut=0.05)
    assert lever.after.annual_churn == 0.0 and lever.churn_cut == pytest.approx(0.03)
    assert math.isinf(lever.after.ltv) and lever.max_justified_spend is None
    with pytest.raises(InputError):
        sim.cs_lever(DEFAULT, 0.25, extra_cost=-1.0, churn_cut=0.01)


# Sensitivity grid ---------------------------------------------------------------------------
def test_sensitivity_grid_matches_scalar_results():
    grid = sim.sensitivity_grid(DEFAULT, 0.25, "annual_churn", "cac_payback")
    assert len(grid) == 40 * 40
    for _, row in grid.sample(25, random_state=7).iterrows():
        a = Assumptions(cac=row["y"] * M, onboarding=0.0)
        expected = sim.break_even_months(a, row["x"])
        if expected is None:
            assert np.isnan(row["break_even_months"])
        else:
            assert row["break_even_months"] == pytest.approx(expected)
    # the payback view does not depend on m: n* = ln(1 − p(1 − ρ)) / ln ρ
    other = sim.sensitivity_grid(Assumptions(arpa=3000.0), 0.25, "annual_churn", "cac_payback")
    assert_allclose(grid["break_even_months"], other["break_even_months"], equal_nan=True)


def test_sensitivity_grid_with_expansion_and_other_pairs():
    a = Assumptions(monthly_expansion=0.01)
    grid = sim.sensitivity_grid(a, 0.25, "arpa", "gross_margin", cells=8)
    for _, row in grid.iterrows():
        expected = sim.break_even_months(
            Assumptions(arpa=row["x"], gross_margin=row["y"], monthly_expansion=0.01), 0.25)
        got = row["break_even_months"]
        assert (expected is None and np.isnan(got)) or got == pytest.approx(expected, rel=1e-9)
    with pytest.raises(InputError):
        sim.sensitivity_grid(DEFAULT, 0.25, "cac", "cac_payback")
    with pytest.raises(InputError):
        sim.sensitivity_grid(DEFAULT, 0.25, "arpa", "arpa")
    with pytest.raises(InputError):
        sim.sensitivity_grid(DEFAULT, 0.25, "arpa", "colour")


# Measured inputs ----------------------------------------------------------------------------
def _mrr_con(rows: list[tuple[str, str, float]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE mrr (account_id VARCHAR, month DATE, mrr DOUBLE)")
    if rows:
        con.executemany("INSERT INTO mrr VALUES (?, CAST(? AS DATE), ?)", rows)
    return con


def _months(start_year: int, start_month: int, n: int) -> list[str]:
    out = []
    for i in range(n):
        y, m = divmod(start_month - 1 + i, 12)
        out.append(f"{start_year + y}-{m + 1:02d}-01")
    return out


def test_measured_inputs_by_hand():
    months = _months(2023, 1, 13)  # 2023-01 … 2024-01: a = 2023-01, b = 2024-01
    rows = []
    for i, month in enumerate(months):
        rows.append(("A", month, 100.0))                       # steady
        rows.append(("B", month, 100.0 if i < 6 else 150.0))   # +50 expansion in 2023-07
        if i < 4:
            rows.append(("C", month, 200.0))                   # churns in 2023-05
        if i == 0 or i >= 8:
            rows.append(("D", month, 50.0))                    # leaves, returns: retained
        if i >= 3:
            rows.append(("E", month, 80.0))                    # new: not in the cohort
    rows.append((None, months[-1], 999.0))                     # unmatched row: ignored
    got = sim.measured_inputs(_mrr_con(rows))
    assert got["window_start"] == "2023-01" and got["window_end"] == "2024-01"
    assert got["window_months"] == 12 and not got["annualised"]
    assert got["arpa"] == pytest.approx((100 + 150 + 50 + 80) / 4)
    assert got["annual_churn"] == pytest.approx(1 - 3 / 4)      # A, B, D of A, B, C, D
    assert got["cohort_accounts"] == 4 and got["active_accounts"] == 4
    # expansion: only 2023-07 (+50 on an opening 100+100+80 = 280); D's return is a reactivation
    assert got["monthly_expansion"] == pytest.approx((50 / 280) / 12)


def test_measured_inputs_short_history_is_annualised():
    months = _months(2024, 1, 4)  # three months of window
    rows = [(acc, m, 100.0) for m in months for acc in ("A", "B")]
    rows += [("C", m, 100.0) for m in months[:2]]
    rows += [("D", m, 100.0) for m in months[:3]]
    got = sim.measured_inputs(_mrr_con(rows))
    assert got["window_months"] == 3 and got["annualised"]
    assert got["annual_churn"] == pytest.approx(1 - 0.5 ** 4)
    assert got["monthly_expansion"] == 0.0


def test_measured_inputs_absent_when_the_data_cannot_support_them():
    assert sim.measured_inputs(duckdb.connect()) is None                  # no revenue table
    assert sim.measured_inputs(_mrr_con([])) is None                      # empty
    assert sim.measured_inputs(_mrr_con([("A", "2024-01-01", 10.0)])) is None  # one month
    all_gone = [("A", "2024-01-01", 10.0), ("A", "2024-02-01", 0.0), ("B", "2024-02-01", 5.0)]
    assert sim.measured_inputs(_mrr_con(all_gone)) is None                # every cohort account left


# Saved scenarios ----------------------------------------------------------------------------
def test_scenarios_add_replace_remove_and_cap():
    stored: list = []
    for i in range(4):
        stored = sim.add_scenario(stored, sim.SavedScenario(f"s{i}", DEFAULT, 0.05 * (i + 1)))
    assert [s.name for s in sim.load_scenarios(stored)] == ["s0", "s1", "s2", "s3"]
    stored = sim.add_scenario(stored, sim.SavedScenario("s1", Assumptions(arpa=2000.0), 0.1))
    assert sim.load_scenarios(stored)[-1].assumptions.arpa == 2000.0
    with pytest.raises(InputError, match="At most 4"):
        sim.add_scenario(stored, sim.SavedScenario("s9", DEFAULT, 0.1))
    stored = sim.remove_scenario(stored, "s0")
    assert len(stored) == 3
    json.dumps(stored)
    # a stored entry that no longer validates is skipped, not fatal
    assert len(sim.load_scenarios(stored + [{"name": "bad", "arpa": -1}, "junk"])) == 3


# Charts -------------------------------------------------------------------------------------
def test_break_even_chart_marks_never_lines_and_points():
    curves, points = sim.break_even_curves(DEFAULT, [0.25, 0.35], months=120)
    spec = charts.break_even_chart(curves, points, lang="en", highlight=0.25).to_dict()
    text = json.dumps(spec)
    assert "never" in text and "strokeDash" in text
    values = [v for d in spec["datasets"].values() for v in d]
    ends = {v["end_text"] for v in values if "end_text" in v}
    assert ends == {"25%", "35% · never"}
    marked = [v for v in values if "break_even_years" in v and v.get("zero") == 0.0]
    assert len(marked) == 1 and marked[0]["break_even_years"] == pytest.approx(65.02 / 12, abs=1e-3)


def test_heatmap_chart_has_every_cell():
    grid = sim.sensitivity_grid(DEFAULT, 0.25, "annual_churn", "cac_payback")
    spec = charts.heatmap_chart(grid, x_title="churn", y_title="payback", x_percent=True,
                                y_percent=False, lang="zh", marker=(0.25, 33.3)).to_dict()
    cells = {(v["x"], v["y"]) for d in spec["datasets"].values() for v in d if "x0" in v}
    assert len(cells) == 1600
    assert "永不回本" in json.dumps(spec, ensure_ascii=False)


def test_scenario_curves_and_chart():
    saved = [sim.SavedScenario("now", DEFAULT, 0.25), sim.SavedScenario("leaky", DEFAULT, 0.40)]
    curves = sim.scenario_curves(saved, 24)
    assert len(curves) == 2 * 25
    assert_allclose(curves.loc[curves["name"] == "now", "cumulative_profit"],
                    sim.cumulative_profit(DEFAULT, 0.25, np.arange(25)))
    assert curves.groupby("name")["breaks_even"].first().to_dict() == {"leaky": False, "now": True}
    spec = json.dumps(charts.scenarios_chart(curves, lang="en").to_dict())
    assert "never" in spec and "strokeDash" in spec
    assert sim.scenario_curves([], 12).empty


def test_company_charts_build():
    view = sim.company_view(DEFAULT, 0.25, new_per_month=10)
    for chart in (charts.company_chart(view.frame, ceiling=view.mrr_ceiling),
                  charts.cash_chart(view.frame, hide_money=True)):
        assert chart.to_dict()["layer"]


def test_curves_frame_is_tidy():
    curves, points = sim.break_even_curves(DEFAULT, [0.1, 0.1, 0.4], months=12)
    assert len(points) == 2 and len(curves) == 2 * 13
    assert isinstance(curves, pd.DataFrame)
    assert points.loc[points["annual_churn"] == 0.4, "break_even_months"].isna().all()
