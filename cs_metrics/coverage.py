"""What the loaded data supports: which answers are available and what each one still needs."""

from __future__ import annotations

from dataclasses import dataclass

# Answer -> tables it needs; "a|b" means either will do. Optional tables enrich it.
NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "retention": (("mrr|subscriptions",), ("accounts",)),
    "segments": (("accounts",), ("mrr|subscriptions", "usage", "nps")),
    "health": (("accounts", "usage|tickets|nps"), ("goals",)),
    "lifecycle": (("accounts", "usage"), ("mrr|subscriptions",)),
    "risk": (("accounts",), ("usage", "tickets", "nps")),
    "renewals": (("accounts",), ("mrr|subscriptions",)),
    "growth": (("accounts", "usage|nps"), ("tickets",)),
    "account": (("accounts",), ("mrr|subscriptions", "usage", "tickets", "nps", "goals")),
    "goals": (("accounts", "goals"), ()),
    "simulator": ((), ("mrr|subscriptions",)),
}


@dataclass(frozen=True)
class Availability:
    answer: str
    available: bool
    missing: tuple[str, ...]
    optional_missing: tuple[str, ...]


def availability(loaded: set[str]) -> list[Availability]:
    """For each answer: available or not, the required tables missing, the optional ones missing.

    >>> [a.available for a in availability({"mrr"}) if a.answer == "retention"]
    [True]
    """
    def ok(need: str) -> bool:
        return any(kind in loaded for kind in need.split("|"))

    out = []
    for answer, (required, optional) in NEEDS.items():
        missing = tuple(need for need in required if not ok(need))
        optional_missing = tuple(need for need in optional if not ok(need))
        out.append(Availability(answer, not missing, missing, optional_missing))
    return out
