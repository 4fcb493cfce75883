"""Helpers for page tests: every visible text of an AppTest run, and English leaks on Chinese pages."""

from __future__ import annotations

import re

from cs_metrics.i18n import catalogue

_KEY_LIKE = re.compile(r"\b[a-z_]+\.[a-z_]+(?:\.[a-z_0-9]+)*\b")


def visible_texts(at) -> list[str]:
    """Labels, values and bodies of the rendered elements (main area and sidebar)."""
    texts: list[str] = []

    def add(*values):
        for v in values:
            if isinstance(v, str) and v.strip():
                texts.append(v)

    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error",
                 "success", "text", "latex"):
        for el in getattr(at, kind, []):
            add(getattr(el, "value", None), getattr(el, "body", None))
    for el in at.metric:
        add(el.label, el.value, getattr(el, "help", None))
    for kind in ("button", "toggle", "checkbox", "text_input", "number_input", "slider",
                 "date_input", "text_area", "select_slider"):
        for el in getattr(at, kind, []):
            add(getattr(el, "label", None), getattr(el, "help", None))
    for kind in ("selectbox", "multiselect", "radio"):
        for el in getattr(at, kind, []):
            add(el.label)
            try:
                add(*[str(o) for o in el.options])
            except Exception:  # options of some widgets are not strings
                pass
    for kind in ("tabs", "expander"):
        for el in getattr(at, kind, []):
            add(getattr(el, "label", None))
    return texts


def english_leaks(at) -> list[str]:
    """English catalogue messages (3+ words) that appear verbatim on a page rendered in Chinese,
    plus raw message keys (a key with no translation renders as itself)."""
    texts = "\n".join(visible_texts(at))
    leaks = []
    catalogue_keys = set(catalogue())
    for key, (en, zh) in catalogue().items():
        plain = en.split("{")[0].strip()
        if en != zh and len(plain.split()) >= 3 and plain in texts:
            leaks.append(f"{key}: {plain}")
    for match in _KEY_LIKE.findall(texts):
        if match in catalogue_keys or re.match(r"^(common|col|kind|band|status)\.", match):
            leaks.append(f"raw key: {match}")
    return leaks


def run_page(page: str, lang: str = "en", ws=None, **state):
    """Run one page file in AppTest with ``lang``, an optional workspace and session state;
    fail on any exception or error box; return the AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(page, default_timeout=120)
    at.session_state["lang"] = lang
    if ws is not None:
        at.session_state["polaris_ws"] = ws
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at
