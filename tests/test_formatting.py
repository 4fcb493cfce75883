import math

import pandas as pd
import pytest

from cs_metrics import formatting


@pytest.mark.parametrize("value, lang, expected", [
    (0.9032, "en", "90.3%"), (1.0, "zh", "100.0%"), (None, "en", "n/a"), (None, "zh", "不可用"),
    (float("nan"), "en", "n/a"), (pd.NA, "en", "n/a"),
])
def test_pct(value, lang, expected):
    assert formatting.pct(value, lang) == expected


@pytest.mark.parametrize("value, currency, short, lang, expected", [
    (12400, "USD", False, "en", "$12,400"), (-50, "USD", False, "en", "-$50"),
    (1_240_000, "USD", True, "en", "$1.24M"), (1_240_000, "CNY", True, "zh", "¥124.0万"),
    (2.5e8, "CNY", True, "zh", "¥2.50亿"), (0, "EUR", False, "en", "€0"), (None, "USD", False, "en", "n/a"),
])
def test_money(value, currency, short, lang, expected):
    assert formatting.money(value, currency, lang, short=short) == expected


def test_zero_is_shown_as_zero_and_missing_as_unavailable():
    assert formatting.number(0) == "0"
    assert formatting.number(None) == "n/a"
    assert formatting.ratio(math.inf) == "unbounded"
    assert formatting.ratio(1.0909) == "1.09×"
