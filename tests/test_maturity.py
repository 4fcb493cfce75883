"""CS maturity (seed 001): scoring, next steps, evidence rules, saved assessments."""

from __future__ import annotations

import datetime as dt

import pytest

from cs_metrics import maturity
from cs_metrics.errors import InputError
from cs_metrics.i18n import t
from cs_metrics.workspace import Workspace
from test_account import build_company

ZERO = {d: 0 for d in maturity.DIMENSIONS}


def test_eight_modules_and_three_enablers_with_five_levels_each():
    assert len(maturity.MODULES) == 8 and len(maturity.ENABLERS) == 3
    for dim in maturity.DIMENSIONS:
        for level in range(5):
            for lang in ("en", "zh"):
                assert t(f"maturity.{dim}.{level}", lang) != f"maturity.{dim}.{level}"
    # The seed's own words.
    assert maturity.level_text("health_model", 1, "zh").startswith("手动定义客户健康度")
    assert maturity.level_text("value_proof", 1, "zh") == "有特定位置可以追踪客户目标"


def test_score_by_hand():
    levels = dict(ZERO, segmentation=4, lifecycle=3, risk=2, value_proof=1, leadership=2, tooling=4)
    s = maturity.score(levels)
    assert (s["modules"], s["enablers"], s["total"], s["max"]) == (10, 6, 16, 44)
    assert s["share"] == pytest.approx(16 / 44)
    assert maturity.score(ZERO)["total"] == 0
    assert maturity.score({d: 4 for d in maturity.DIMENSIONS})["share"] == 1.0


@pytest.mark.parametrize("bad", [5, -1, 2.5, None, "x"])
def test_invalid_levels_are_refused(bad):
    with pytest.raises(InputError):
        maturity.score(dict(ZERO, risk=bad))
    with pytest.raises(InputError):
        maturity.validate_levels({"risk": 1})                 # the others missing


def test_next_step_is_the_next_level():
    assert maturity.next_step("risk", 1, "en") == maturity.level_text("risk", 2, "en")
    assert maturity.next_step("segmentation", 0, "zh") == "有先验分群"
    assert maturity.next_step("tooling", 4, "en") == t("maturity.top_reached", "en")


def _levels(found):
    out = dict(ZERO)
    for item in found:
        out[item.dimension] = max(out[item.dimension], item.level)
    return out


def test_evidence_rules_on_facts():
    assert _levels(maturity.evidence({})) == ZERO
    facts = {"accounts": True, "tiers": 3, "goals": 10, "goals_quantified": 0.9, "northstar": True,
             "joined_kinds": ["mrr", "usage", "goals"], "shared": True, "manual_health": 5,
             "health_weights": True, "health_module": True, "health_inputs": ["usage"],
             "risk_module": True, "expansions": 4, "growth_module": True, "nps_promoters": 3,
             "nps_months": 4}
    levels = _levels(maturity.evidence(facts))
    assert levels == dict(ZERO, segmentation=1, value_proof=3, data_visibility=3, health_model=3,
                          risk=1, expansion=2, customer_marketing=2, tooling=1)
    # Each threshold on its own.
    assert _levels(maturity.evidence({"tiers": 1}))["segmentation"] == 0
    assert _levels(maturity.evidence({"goals": 10, "goals_quantified": 0.79, "northstar": True}))["value_proof"] == 1
    assert _levels(maturity.evidence({"goals": 10, "goals_quantified": 0.8}))["value_proof"] == 2
    assert _levels(maturity.evidence({"accounts": True, "joined_kinds": ["mrr"]}))["data_visibility"] == 1
    assert _levels(maturity.evidence({"accounts": True, "joined_kinds": ["mrr", "nps"]}))["data_visibility"] == 2
    assert _levels(maturity.evidence({"manual_health": 1}))["health_model"] == 1
    assert _levels(maturity.evidence({"health_module": True, "health_inputs": ["usage"]}))["health_model"] == 0
    assert _levels(maturity.evidence({"nps_promoters": 1, "nps_months": 3}))["customer_marketing"] == 1
    assert _levels(maturity.evidence({"expansions": 2}))["expansion"] == 1


def test_evidence_from_a_workspace(tmp_path):
    ws = build_company(tmp_path / "m.duckdb")
    facts = maturity.workspace_facts(ws.con)
    assert facts["tiers"] == 2 and facts["manual_health"] == 2 and facts["goals"] == 2
    assert facts["goals_quantified"] == 1.0 and facts["northstar"] is True
    assert set(facts["joined_kinds"]) == {"mrr", "usage", "tickets", "nps", "goals"}
    assert facts["nps_promoters"] == 2 and facts["nps_months"] == 3
    # A1 goes 100 → 0 → 100 → 120: one expansion (2026-01); the return after the gap is not one.
    assert facts["expansions"] == 1
    suggestion = maturity.suggest_levels(ws.con)
    assert suggestion["levels"]["value_proof"] == 3 and suggestion["levels"]["segmentation"] == 1
    assert suggestion["levels"]["data_visibility"] == 2
    assert maturity.suggest_levels(ws.con, shared=True)["levels"]["data_visibility"] == 3
    reasons = [e.reason("zh") for e in suggestion["evidence"] if e.dimension == "health_model"]
    assert any("客户成功经理手动标记" in r for r in reasons)


def test_empty_workspace_suggests_nothing(tmp_path):
    ws = Workspace.create(tmp_path / "e.duckdb")
    assert maturity.suggest_levels(ws.con)["levels"] == ZERO


def test_assessments_saved_by_date_and_compared():
    first = dict(ZERO, risk=1)
    second = dict(ZERO, risk=3, tooling=2)
    saved = maturity.add_assessment([], first, dt.date(2026, 1, 5))
    saved = maturity.add_assessment(saved, second, "2026-06-30")
    saved = maturity.add_assessment(saved, dict(second, team=1), dt.date(2026, 6, 30))   # same date replaces
    assert [a["date"] for a in saved] == ["2026-01-05", "2026-06-30"]
    assert saved[-1]["levels"]["team"] == 1
    table = maturity.comparison(saved, "en").set_index("dimension")
    assert table.loc["risk", "change"] == 2 and table.loc["tooling", "change"] == 2
    assert table.loc["total", "2026-06-30"] == 6 and table.loc["total", "change"] == 5
    assert maturity.comparison(saved[:1])["change"].isna().all()
    # Broken entries are dropped, not fatal.
    cleaned = maturity.load_assessments(saved + [{"date": "bad", "levels": first}, {"levels": first}])
    assert len(cleaned) == 2


def test_assessment_frame_for_export():
    found = [maturity.Evidence("segmentation", 1, "maturity.ev.tiers", {"n": 3})]
    frame = maturity.assessment_frame(dict(ZERO, segmentation=1), "en", found)
    assert len(frame) == 11 and frame.columns.tolist() == [
        "dimension", "group", "level", "meaning", "next_step", "evidence"]
    row = frame.iloc[0]
    assert row["dimension"] == "Segmentation" and row["meaning"].startswith("A-priori")
    assert row["next_step"] == "Needs-based segments" and row["evidence"] == "accounts carry 3 tiers"
    assert frame.iloc[-1]["group"] == "enabler"
