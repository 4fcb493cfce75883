"""Translation: every user-visible string goes through :func:`t`.

Catalogues live in ``cs_metrics/locales/<area>.py``; each defines
``MESSAGES = {"area.key": ("English", "中文")}``. Identifiers and canonical column names
stay English; only display text is translated.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

LANGS = ("en", "zh")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, tuple[str, str]]:
    """All messages of all areas, merged. A key defined twice is a bug (a test checks)."""
    from cs_metrics import locales

    merged: dict[str, tuple[str, str]] = {}
    for info in pkgutil.iter_modules(locales.__path__):
        module = importlib.import_module(f"cs_metrics.locales.{info.name}")
        merged.update(getattr(module, "MESSAGES", {}))
    return merged


def duplicate_keys() -> list[str]:
    """Keys defined in more than one catalogue file."""
    from cs_metrics import locales

    seen: dict[str, str] = {}
    dupes = []
    for info in pkgutil.iter_modules(locales.__path__):
        module = importlib.import_module(f"cs_metrics.locales.{info.name}")
        for key in getattr(module, "MESSAGES", {}):
            if key in seen:
                dupes.append(f"{key} ({seen[key]}, {info.name})")
            seen[key] = info.name
    return dupes


def normalise_lang(lang: str | None) -> str:
    return "zh" if str(lang or "").lower().startswith("zh") else "en"


def t(key: str, lang: str = "en", **fmt: object) -> str:
    """The text of ``key`` in ``lang`` ('en' or 'zh'), formatted with ``fmt``.

    An unknown key returns the key itself, so a missing translation is visible (and
    caught by the tests) rather than crashing a page.

    >>> t("common.na", "zh")
    '不可用'
    """
    pair = catalogue().get(key)
    if pair is None:
        return key
    text = pair[1] if normalise_lang(lang) == "zh" else pair[0]
    return text.format(**fmt) if fmt else text


def has(key: str) -> bool:
    return key in catalogue()
