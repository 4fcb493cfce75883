"""Shared UI helpers (ui.py) that are not a page."""

from __future__ import annotations


def test_charts_skip_schema_validation_outside_the_tests_only(monkeypatch):
    """ui.chart writes the spec without JSON-schema validation in the app (speed), the same
    spec as with it; under the tests (POLARIS_VALIDATE_CHARTS=1) charts are validated."""
    import altair as alt
    import pandas as pd

    import ui

    def build():
        return alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_bar().encode(x="x:Q")

    monkeypatch.setenv("POLARIS_VALIDATE_CHARTS", "1")
    assert "to_dict" not in vars(ui._unvalidated(build()))
    monkeypatch.delenv("POLARIS_VALIDATE_CHARTS")
    fast = ui._unvalidated(build())
    assert fast.to_dict() == build().to_dict()
    broken = alt.Chart(pd.DataFrame({"x": [1]})).mark_bar().encode(x=alt.X("x:Q", bin="not a bin"))
    try:
        broken.to_dict()
    except Exception:  # noqa: BLE001 - the schema refuses it when validating
        pass
    else:
        raise AssertionError("expected a validation error")
    ui._unvalidated(broken).to_dict()  # unvalidated: written as is
