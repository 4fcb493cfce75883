"""Numbers as people read them: money, percentages and counts per language.

Rates are fractions in code (0.9032) and percentages on screen (90.3%). A value the data
cannot support is ``None`` and is shown as "n/a" / "不可用", never as 0.
"""

from __future__ import annotations

import math

import pandas as pd

from cs_metrics.i18n import t

CURRENCY_SYMBOLS = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£", "JPY": "¥"}


def is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def currency_symbol(currency: str | None) -> str:
    """'USD' -> '$'; a symbol or unknown code is returned as given."""
    if not currency:
        return "$"
    return CURRENCY_SYMBOLS.get(currency.upper(), currency)


def number(value: object, lang: str = "en", decimals: int = 0) -> str:
    """1234.5 -> '1,235'; None -> 'n/a'."""
    if is_missing(value):
        return t("common.na", lang)
    v = float(value)  # type: ignore[arg-type]
    if math.isinf(v):
        return t("common.unbounded", lang)
    return f"{v:,.{decimals}f}"


def compact(value: float, lang: str = "en") -> str:
    """Short form for tiles: 1.2M / 345k in English, 120万 / 1.2亿 in Chinese."""
    v = float(value)
    sign = "-" if v < 0 else ""
    v = abs(v)
    if lang == "zh":
        if v >= 1e8:
            return f"{sign}{v / 1e8:.2f}亿"
        if v >= 1e4:
            return f"{sign}{v / 1e4:.1f}万"
        return f"{sign}{v:,.0f}"
    if v >= 1e9:
        return f"{sign}{v / 1e9:.2f}B"
    if v >= 1e6:
        return f"{sign}{v / 1e6:.2f}M"
    if v >= 1e4:
        return f"{sign}{v / 1e3:.1f}k"
    return f"{sign}{v:,.0f}"


def money(value: object, currency: str | None = "USD", lang: str = "en", *,
          short: bool = False, decimals: int = 0) -> str:
    """Money in the currency of the data (never converted): '$12,400' or '$1.24M'."""
    if is_missing(value):
        return t("common.na", lang)
    v = float(value)  # type: ignore[arg-type]
    symbol = currency_symbol(currency)
    body = compact(abs(v), lang) if short else f"{abs(v):,.{decimals}f}"
    return f"-{symbol}{body}" if v < 0 else f"{symbol}{body}"


def pct(value: object, lang: str = "en", decimals: int = 1, signed: bool = False) -> str:
    """0.9032 -> '90.3%'; None -> 'n/a'."""
    if is_missing(value):
        return t("common.na", lang)
    v = float(value) * 100  # type: ignore[arg-type]
    return f"{v:+.{decimals}f}%" if signed else f"{v:.{decimals}f}%"


def ratio(value: object, lang: str = "en", decimals: int = 2) -> str:
    """A plain ratio such as a quick ratio or LTV:CAC: '1.09×'."""
    if is_missing(value):
        return t("common.na", lang)
    v = float(value)  # type: ignore[arg-type]
    if math.isinf(v):
        return t("common.unbounded", lang)
    return f"{v:.{decimals}f}×"
