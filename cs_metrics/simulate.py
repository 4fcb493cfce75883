"""The leaky-bucket simulator: what churn costs, per acquired customer and for the company.

The cohort model of ``docs/metrics.md`` (Unit economics), in monthly steps:

- monthly contribution per retained customer ``m = ARPA × gross margin − cost to serve``;
- upfront cost per acquired customer ``C = CAC + onboarding``;
- monthly survival ``ρ = (1 − c)^(1/12)`` for annual churn ``c`` (never ``c / 12``);
- a cohort pays month 1 in full; in month ``k`` a share ``ρ^(k−1)`` of it is still there;
- cumulative profit after ``n`` months ``P(n) = −C + m (1 − ρⁿ) / (1 − ρ)``;
- break-even month ``n* = ln(1 − C(1 − ρ)/m) / ln ρ``, which exists only when LTV > C;
- ``LTV = m / (1 − ρ)``, ``LTV:CAC = LTV / C``, CAC payback ``C / m`` months (ignoring churn);
- the highest annual churn that ever breaks even ``c* = 1 − (1 − m/C)^12``.

With an optional monthly expansion rate ``g`` the revenue of a retained customer grows by
``(1 + g)`` a month, so month ``k`` contributes ``ρ^(k−1) (A (1+g)^(k−1) − S)`` with
``A = ARPA × gross margin`` and ``S`` the cost to serve. The sums stay geometric
(``q = ρ(1+g)`` for revenue, ``ρ`` for cost), so ``P(n)`` and LTV keep closed forms; the
break-even month and the churn threshold have none and are found by bisection, which is
exact to well below a day.

All rates are fractions. Money is in whatever currency the inputs are in.

>>> r = evaluate(Assumptions(), 0.25)
>>> round(r.break_even_months, 1), round(r.break_even_years, 2), round(r.ltv)
(65.0, 5.42, 25329)
>>> evaluate(Assumptions(), 0.35).break_even_months is None
True
>>> round(max_breakeven_churn(Assumptions()), 4)
0.3062
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any, Iterable, Literal

import numpy as np
import pandas as pd

from cs_metrics import formatting
from cs_metrics.errors import InputError
from cs_metrics.i18n import t

DEFAULT_CHURN_RATES = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40)
ChurnBasis = Literal["annual", "monthly"]

# At the exact churn threshold LTV equals C and the curve only approaches zero; floating
# point can land a hair either side, so "breaks even" needs LTV to beat C by more than this
# relative margin.
_THRESHOLD_TOLERANCE = 1e-9
_BISECTION_STEPS = 80
_MAX_HORIZON_MONTHS = 1200


def _error(problems: list[tuple[str, dict[str, Any]]]) -> InputError:
    """An InputError in English that also carries its catalogue keys, so a page can show
    the same message in the user's language (:func:`error_text`)."""
    lines = [t(key, "en", **fmt) for key, fmt in problems]
    exc = InputError(lines[0], lines)
    exc.messages = problems  # type: ignore[attr-defined]
    return exc


def _fail(key: str, **fmt: Any) -> InputError:
    return _error([(key, fmt)])


def error_text(exc: Exception, lang: str = "en") -> str:
    """The message of an error raised here, in ``lang`` (one line per problem)."""
    messages = getattr(exc, "messages", None)
    if not messages:
        return str(exc)
    return "\n".join(t(key, lang, **fmt) for key, fmt in messages)


# Inputs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Assumptions:
    """The levers of the model, per customer. Money per month unless said otherwise.

    Defaults reproduce the chart quoted in seed 002 (25% annual churn breaks even after
    about 5.4 years, 35% never): ARPA 1,000 a month, 75% gross margin, 150 a month cost to
    serve, 16,000 CAC and 4,000 onboarding. They are assumptions, not laws.
    """

    arpa: float = 1000.0
    gross_margin: float = 0.75
    cost_to_serve: float = 150.0
    cac: float = 16000.0
    onboarding: float = 4000.0
    monthly_expansion: float = 0.0
    horizon_months: int = 120

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise _error(problems)

    @property
    def gross_profit(self) -> float:
        """``A = ARPA × gross margin``: gross profit of a retained customer in its first month."""
        return self.arpa * self.gross_margin

    @property
    def monthly_contribution(self) -> float:
        """``m = ARPA × gross margin − cost to serve`` (first month, before any expansion)."""
        return self.gross_profit - self.cost_to_serve

    @property
    def upfront_cost(self) -> float:
        """``C = CAC + onboarding``."""
        return self.cac + self.onboarding

    @property
    def cac_payback_months(self) -> float | None:
        """``C / m`` months, ignoring churn (as commonly quoted); None when m ≤ 0 (never)."""
        m = self.monthly_contribution
        if m <= 0:
            return None
        return self.upfront_cost / m

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _problems(a: Assumptions) -> list[tuple[str, dict[str, Any]]]:
    """Every reason the assumptions make no sense, as catalogue keys (empty when fine)."""
    problems: list[tuple[str, dict[str, Any]]] = []
    for name in ("arpa", "gross_margin", "cost_to_serve", "cac", "onboarding",
                 "monthly_expansion", "horizon_months"):
        if not _finite(getattr(a, name)):
            problems.append(("simulate.err.not_number",
                             {"field": name, "value": repr(getattr(a, name))}))
    if problems:
        return problems
    if a.arpa <= 0:
        problems.append(("simulate.err.arpa", {"value": a.arpa}))
    if not 0 <= a.gross_margin <= 1:
        problems.append(("simulate.err.margin", {"value": a.gross_margin * 100}))
    for name in ("cost_to_serve", "cac", "onboarding"):
        if getattr(a, name) < 0:
            problems.append((f"simulate.err.negative_{name}", {"value": getattr(a, name)}))
    if not 0 <= a.monthly_expansion < 1:
        problems.append(("simulate.err.expansion", {"value": a.monthly_expansion * 100}))
    if int(a.horizon_months) != a.horizon_months or not 1 <= a.horizon_months <= _MAX_HORIZON_MONTHS:
        problems.append(("simulate.err.horizon",
                         {"max": _MAX_HORIZON_MONTHS, "value": repr(a.horizon_months)}))
    return problems


def check_churn(rate: float, basis: ChurnBasis = "annual") -> float:
    """Return ``rate`` as a float if it is a churn rate in [0, 1); raise InputError otherwise."""
    if basis not in ("annual", "monthly"):
        raise _fail("simulate.err.basis", value=repr(basis))
    if isinstance(rate, bool) or not _finite(rate):
        raise _fail("simulate.err.churn_number", value=repr(rate))
    value = float(rate)
    if not 0 <= value < 1:
        raise _fail(f"simulate.err.churn_{basis}", value=value * 100)
    return value


def annual_from_monthly(monthly_churn: float) -> float:
    """``1 − (1 − monthly)^12`` (never ``monthly × 12``)."""
    return 1.0 - (1.0 - monthly_churn) ** 12


def monthly_from_annual(annual_churn: float) -> float:
    """``1 − (1 − annual)^(1/12)``."""
    return 1.0 - (1.0 - annual_churn) ** (1.0 / 12.0)


def to_annual(rate: float, basis: ChurnBasis) -> float:
    """A churn rate given on ``basis`` as an annual rate, validated."""
    value = check_churn(rate, basis)
    return annual_from_monthly(value) if basis == "monthly" else value


def monthly_survival(annual_churn: float) -> float:
    """``ρ = (1 − c)^(1/12)``: the share of customers still there a month later."""
    return (1.0 - annual_churn) ** (1.0 / 12.0)


# Closed forms, vectorised ----------------------------------------------------------------
def _geometric_sum(ratio: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``Σ_{k=0}^{n−1} ratio^k = (1 − ratioⁿ)/(1 − ratio)``, and ``n`` when ratio = 1."""
    ratio = np.asarray(ratio, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        one = np.isclose(ratio, 1.0, rtol=0.0, atol=1e-15)
        safe = np.where(one, 0.5, ratio)
        value = (1.0 - safe ** n) / (1.0 - safe)
    return np.where(one, n, value)


def _cumulative(gross: np.ndarray, serve: np.ndarray, upfront: np.ndarray, rho: np.ndarray,
                growth: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``P(n) = A·Σ q^k − S·Σ ρ^k − C`` over k < n, with ``q = ρ(1+g)``; ``n`` may be real."""
    return (gross * _geometric_sum(rho * (1.0 + growth), n)
            - serve * _geometric_sum(rho, n) - upfront)


def _ltv_array(gross: np.ndarray, serve: np.ndarray, rho: np.ndarray,
               growth: np.ndarray) -> np.ndarray:
    """``LTV = A/(1 − q) − S/(1 − ρ)``, ±inf where a sum does not converge.

    Revenue diverges when ``q = ρ(1+g) ≥ 1`` and A > 0; cost diverges when ρ = 1 and S > 0.
    With zero churn and no expansion both do, and the sign of ``m = A − S`` decides.
    """
    gross, serve, rho, growth = np.broadcast_arrays(*(np.asarray(x, dtype=float)
                                                      for x in (gross, serve, rho, growth)))
    q = rho * (1.0 + growth)
    with np.errstate(divide="ignore", invalid="ignore"):
        revenue = np.where(q < 1.0, gross / np.where(q < 1.0, 1.0 - q, 1.0),
                           np.where(gross > 0, np.inf, 0.0))
        cost = np.where(rho < 1.0, serve / np.where(rho < 1.0, 1.0 - rho, 1.0),
                        np.where(serve > 0, np.inf, 0.0))
        value = revenue - cost
    both_infinite = np.isinf(revenue) & np.isinf(cost)
    # Both sums diverge only at zero churn: with expansion revenue grows geometrically and
    # wins; without it the constant monthly contribution m decides the sign.
    m = gross - serve
    tie = np.where(growth > 0, np.inf, np.where(m > 0, np.inf, np.where(m < 0, -np.inf, 0.0)))
    return np.where(both_infinite, tie, value)


def _breaks_even(ltv: np.ndarray, upfront: np.ndarray) -> np.ndarray:
    return ltv - upfront > _THRESHOLD_TOLERANCE * np.maximum(upfront, 1.0)


def break_even_months_array(gross: Any, serve: Any, upfront: Any, rho: Any,
                            growth: Any = 0.0) -> np.ndarray:
    """Break-even month ``n*`` for arrays of inputs (broadcast together); NaN where never.

    Without expansion: ``n* = ln(1 − C(1 − ρ)/m) / ln ρ`` (``C / m`` at zero churn). With
    expansion there is no closed form, and ``n*`` is found by bisection on ``P(n)``, which
    is unimodal here (it falls while a month's contribution is negative, then rises), so
    it crosses zero once exactly when LTV > C.
    """
    gross, serve, upfront, rho, growth = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (gross, serve, upfront, rho, growth)))
    ltv = _ltv_array(gross, serve, rho, growth)
    feasible = _breaks_even(ltv, upfront)
    m = gross - serve
    result = np.full(gross.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        no_growth = feasible & (growth == 0)
        zero_churn = no_growth & (rho >= 1.0)
        result = np.where(zero_churn, upfront / np.where(m > 0, m, 1.0), result)
        churning = no_growth & (rho < 1.0)
        safe_rho = np.where(churning & (rho > 0), rho, 0.5)
        inner = 1.0 - upfront * (1.0 - safe_rho) / np.where(m > 0, m, 1.0)
        closed = np.log(np.where(churning & (inner > 0), inner, 1.0)) / np.log(safe_rho)
        # ρ = 0 (every customer leaves after month 1): it breaks even in month 1 or never.
        closed = np.where(rho > 0, closed, np.where(upfront > 0, upfront / np.where(m > 0, m, 1.0), 0.0))
        result = np.where(churning, closed, result)
    grows = feasible & (growth > 0)
    if grows.any():
        result = np.where(grows, _bisect_break_even(gross, serve, upfront, rho, growth, grows), result)
    return result


def _bisect_break_even(gross: np.ndarray, serve: np.ndarray, upfront: np.ndarray,
                       rho: np.ndarray, growth: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Smallest real n with P(n) ≥ 0, for the cells in ``mask`` (known to break even)."""
    low = np.zeros(gross.shape)
    high = np.full(gross.shape, 12.0)
    for _ in range(64):
        short = mask & (_cumulative(gross, serve, upfront, rho, growth, high) < 0)
        if not short.any():
            break
        low = np.where(short, high, low)
        high = np.where(short, high * 2.0, high)
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) / 2.0
        below = _cumulative(gross, serve, upfront, rho, growth, mid) < 0
        low = np.where(below, mid, low)
        high = np.where(below, high, mid)
    return np.where(mask, high, np.nan)


# Per-churn results ------------------------------------------------------------------------
@dataclass(frozen=True)
class ScenarioResult:
    """The unit economics of one acquired customer at one churn rate.

    ``ltv`` is ``math.inf`` when it is unbounded (zero churn, or expansion that outgrows
    churn); ``break_even_months`` is None when the cohort never breaks even.
    """

    annual_churn: float
    monthly_churn: float
    monthly_contribution: float
    upfront_cost: float
    ltv: float
    ltv_to_cac: float | None
    payback_months: float | None
    break_even_months: float | None
    profit_at_horizon: float
    horizon_months: int

    @property
    def break_even_years(self) -> float | None:
        return None if self.break_even_months is None else self.break_even_months / 12.0

    @property
    def breaks_even(self) -> bool:
        return self.break_even_months is not None


def ltv(a: Assumptions, annual_churn: float) -> float:
    """``LTV = m / (1 − ρ)`` (with expansion ``A/(1 − ρ(1+g)) − S/(1 − ρ)``); ±inf if unbounded."""
    rho = monthly_survival(check_churn(annual_churn))
    return float(_ltv_array(a.gross_profit, a.cost_to_serve, rho, a.monthly_expansion))


def cumulative_profit(a: Assumptions, annual_churn: float, months: Any) -> Any:
    """Closed-form ``P(n)`` per acquired customer after ``months`` (scalar or array)."""
    rho = monthly_survival(check_churn(annual_churn))
    value = _cumulative(np.asarray(a.gross_profit), np.asarray(a.cost_to_serve),
                        np.asarray(a.upfront_cost), np.asarray(rho),
                        np.asarray(a.monthly_expansion), np.asarray(months, dtype=float))
    return float(value) if np.ndim(value) == 0 else value


def break_even_months(a: Assumptions, annual_churn: float) -> float | None:
    """Months until the cumulative profit of a customer turns positive; None if never."""
    rho = monthly_survival(check_churn(annual_churn))
    value = float(break_even_months_array(a.gross_profit, a.cost_to_serve, a.upfront_cost,
                                          rho, a.monthly_expansion))
    return None if math.isnan(value) else value


def evaluate(a: Assumptions, annual_churn: float) -> ScenarioResult:
    """Every per-customer figure at one annual churn rate."""
    churn = check_churn(annual_churn)
    value = ltv(a, churn)
    upfront = a.upfront_cost
    # No upfront cost: the ratio has no denominator. An unbounded LTV gives ±inf.
    ratio = value / upfront if upfront > 0 else None
    return ScenarioResult(
        annual_churn=churn,
        monthly_churn=monthly_from_annual(churn),
        monthly_contribution=a.monthly_contribution,
        upfront_cost=upfront,
        ltv=value,
        ltv_to_cac=ratio,
        payback_months=a.cac_payback_months,
        break_even_months=break_even_months(a, churn),
        profit_at_horizon=cumulative_profit(a, churn, a.horizon_months),
        horizon_months=a.horizon_months,
    )


def max_breakeven_churn(a: Assumptions) -> float | None:
    """The highest annual churn at which a customer ever pays back: ``c* = 1 − (1 − m/C)^12``.

    Churn at or above ``c*`` never breaks even. Returns 1.0 when even 100% churn breaks
    even (the first month's contribution covers C) and None when no churn does (not even
    zero: m ≤ 0 and no expansion). With expansion, LTV rises with survival above the
    threshold, so the boundary is found by bisection on ρ.
    """
    m, upfront, growth = a.monthly_contribution, a.upfront_cost, a.monthly_expansion

    def ltv_at(rho: float) -> float:
        return float(_ltv_array(a.gross_profit, a.cost_to_serve, rho, growth))

    if ltv_at(1.0) <= upfront:
        return None
    if m > upfront:
        return 1.0
    if growth == 0:
        return 1.0 - (1.0 - m / upfront) ** 12
    low, high = 0.0, 1.0  # ltv_at(low) ≤ C < ltv_at(high)
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) / 2.0
        if ltv_at(mid) > upfront:
            high = mid
        else:
            low = mid
    return 1.0 - high ** 12


def cohort_curve(a: Assumptions, annual_churn: float, months: int | None = None) -> pd.DataFrame:
    """Month-by-month life of one acquired customer (a cohort of size 1), summed step by step.

    Columns: ``month`` (0 … months; month 0 is the upfront cost), ``survivors`` (share of
    the cohort paying in that month, ``ρ^(month−1)``), ``revenue``, ``contribution`` (per
    acquired customer, that month) and ``cumulative_profit``. The running sum agrees with
    the closed form :func:`cumulative_profit` at every whole month (a test checks).
    """
    rho = monthly_survival(check_churn(annual_churn))
    n = int(months if months is not None else a.horizon_months)
    if n < 0:
        raise _fail("simulate.err.months", value=n)
    k = np.arange(n + 1)
    survivors = np.where(k >= 1, rho ** np.maximum(k - 1, 0), 0.0)
    grown = (1.0 + a.monthly_expansion) ** np.maximum(k - 1, 0)
    revenue = survivors * a.arpa * grown
    contribution = survivors * (a.gross_profit * grown - a.cost_to_serve)
    flows = contribution.copy()
    flows[0] = -a.upfront_cost
    return pd.DataFrame({
        "month": k,
        "survivors": survivors,
        "revenue": revenue,
        "contribution": contribution,
        "cumulative_profit": np.cumsum(flows),
    })


def break_even_curves(a: Assumptions, annual_churns: Iterable[float],
                      months: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The break-even chart's data: one cumulative-profit curve per churn rate.

    Returns ``(curves, points)``. ``curves``: annual_churn, month, years, cumulative_profit,
    breaks_even (ever, not only within the horizon). ``points``: one row per distinct churn with its
    break-even month/years (None if never) and ``within_horizon``.
    """
    n = int(months if months is not None else a.horizon_months)
    churns = list(dict.fromkeys(check_churn(c) for c in annual_churns))
    k = np.arange(n + 1, dtype=float)
    frames, rows = [], []
    for churn in churns:
        result = evaluate(a, churn)
        frames.append(pd.DataFrame({
            "annual_churn": churn,
            "month": k.astype(int),
            "years": k / 12.0,
            "cumulative_profit": cumulative_profit(a, churn, k),
            "breaks_even": result.breaks_even,
        }))
        be = result.break_even_months
        rows.append({
            "annual_churn": churn,
            "break_even_months": be,
            "break_even_years": result.break_even_years,
            "within_horizon": be is not None and be <= n,
            "profit_at_end": cumulative_profit(a, churn, n),
        })
    curves = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["annual_churn", "month", "years", "cumulative_profit", "breaks_even"])
    return curves, pd.DataFrame(rows, columns=["annual_churn", "break_even_months",
                                               "break_even_years", "within_horizon",
                                               "profit_at_end"])


# The company view -------------------------------------------------------------------------
@dataclass(frozen=True)
class CompanyView:
    """A company adding ``new_per_month`` customers every month from month 1.

    In month t the cohort of month j is in its (t − j + 1)-th month, so customers
    ``N (1 − ρ^t)/(1 − ρ)`` approach the bucket's level ``N / (1 − ρ)`` (new per month ÷
    monthly churn). The month's P&L (contribution of every live customer − N × C of
    acquisition) equals ``N × P(t)``: it turns positive exactly at the break-even month.
    """

    frame: pd.DataFrame
    new_per_month: float
    customer_ceiling: float | None
    mrr_ceiling: float | None
    pnl_positive_month: int | None
    cash_low: float
    cash_low_month: int
    cash_positive_month: int | None
    cumulative_cash: float


def company_view(a: Assumptions, annual_churn: float, new_per_month: float,
                 months: int | None = None) -> CompanyView:
    """Customers, MRR, monthly P&L and cumulative cash, months 1 … horizon.

    Ceilings are None when unbounded (zero churn, or expansion at least as fast as churn).
    ``pnl_positive_month``: first whole month with P&L ≥ 0 within the horizon, else None.
    ``cash_low``: the lowest cumulative cash (the funding the bucket needs) and its month.
    """
    churn = check_churn(annual_churn)
    if not _finite(new_per_month) or new_per_month < 0:
        raise _fail("simulate.err.new_per_month", value=repr(new_per_month))
    n = int(months if months is not None else a.horizon_months)
    if n < 1:
        raise _fail("simulate.err.months", value=n)
    rho = monthly_survival(churn)
    q = rho * (1.0 + a.monthly_expansion)
    t_ = np.arange(1, n + 1, dtype=float)
    big_n = float(new_per_month)
    customers = big_n * _geometric_sum(rho, t_)
    mrr = big_n * a.arpa * _geometric_sum(q, t_)
    gross_profit = mrr * a.gross_margin
    serve = customers * a.cost_to_serve
    acquisition = np.full(n, big_n * a.upfront_cost)
    pnl = gross_profit - serve - acquisition
    cash = np.cumsum(pnl)
    frame = pd.DataFrame({
        "month": t_.astype(int),
        "customers": customers,
        "mrr": mrr,
        "gross_profit": gross_profit,
        "cost_to_serve": serve,
        "acquisition": acquisition,
        "pnl": pnl,
        "cumulative_cash": cash,
    })
    # P&L = N·P(t) falls while a month's contribution is negative and rises after, so cash
    # falls while P&L < 0 and the first month with cash ≥ 0 is where the bucket has paid back.
    positive = np.flatnonzero(pnl >= 0) if big_n > 0 else np.array([], dtype=int)
    cash_pos = np.flatnonzero(cash >= 0) if big_n > 0 else np.array([], dtype=int)
    low = int(np.argmin(cash))
    return CompanyView(
        frame=frame,
        new_per_month=big_n,
        customer_ceiling=big_n / (1.0 - rho) if rho < 1 else None,
        mrr_ceiling=big_n * a.arpa / (1.0 - q) if q < 1 else None,
        pnl_positive_month=int(positive[0]) + 1 if positive.size else None,
        cash_low=float(min(cash[low], 0.0)),
        cash_low_month=low + 1 if cash[low] < 0 else 0,
        cash_positive_month=int(cash_pos[0]) + 1 if cash_pos.size else None,
        cumulative_cash=float(cash[-1]),
    )


# The CS lever ----------------------------------------------------------------------------
@dataclass(frozen=True)
class CsLever:
    """Spend ``extra_cost`` more per customer per month on CS and cut annual churn by
    ``churn_cut`` (a fraction: 0.05 = five points): before and after, per customer.

    ``max_justified_spend``: the extra monthly spend per customer at which the cut leaves
    LTV unchanged, ``(1 − ρ')·(LTV(c', S) − LTV(c, S))``; spending less than this raises LTV.
    ``point_worth``: the LTV one point (0.01) less annual churn adds at the current churn.
    """

    before: ScenarioResult
    after: ScenarioResult
    churn_cut: float
    extra_cost: float
    max_justified_spend: float | None
    point_worth: float | None


def cs_lever(a: Assumptions, annual_churn: float, extra_cost: float,
             churn_cut: float) -> CsLever:
    """The CS investment case. Churn after the cut is floored at 0 (it cannot go below)."""
    churn = check_churn(annual_churn)
    if not _finite(extra_cost) or extra_cost < 0:
        raise _fail("simulate.err.extra_cost", value=repr(extra_cost))
    if not _finite(churn_cut) or churn_cut < 0:
        raise _fail("simulate.err.churn_cut", value=repr(churn_cut))
    after_churn = max(churn - float(churn_cut), 0.0)
    spent = replace(a, cost_to_serve=a.cost_to_serve + float(extra_cost))
    before, after = evaluate(a, churn), evaluate(spent, after_churn)
    ltv_cut = ltv(a, after_churn)
    if math.isfinite(ltv_cut) and math.isfinite(before.ltv):
        justified: float | None = (1.0 - monthly_survival(after_churn)) * (ltv_cut - before.ltv)
    else:
        justified = None  # unbounded LTV on either side: any spend or none
    one_point = max(churn - 0.01, 0.0)
    worth_after = ltv(a, one_point)
    point_worth = (worth_after - before.ltv
                   if math.isfinite(worth_after) and math.isfinite(before.ltv) else None)
    return CsLever(before=before, after=after, churn_cut=churn - after_churn,
                   extra_cost=float(extra_cost), max_justified_spend=justified,
                   point_worth=point_worth)


# The sensitivity heatmap -----------------------------------------------------------------
SENSITIVITY_PARAMS = ("annual_churn", "cac_payback", "cac", "onboarding", "arpa",
                      "gross_margin", "cost_to_serve", "monthly_expansion")


def default_axis(a: Assumptions, param: str, annual_churn: float, cells: int = 40) -> np.ndarray:
    """``cells`` evenly spaced values of ``param`` around the current assumptions."""
    if cells < 2:
        raise _fail("simulate.err.cells", value=cells)
    m = a.monthly_contribution
    spans: dict[str, tuple[float, float]] = {
        "annual_churn": (0.01, max(0.60, min(annual_churn * 1.5, 0.95))),
        "cac_payback": (3.0, 60.0),
        "cac": (0.0, max(a.cac, 1000.0) * 2.5),
        "onboarding": (0.0, max(a.onboarding, 1000.0) * 2.5),
        "arpa": (a.arpa * 0.25, a.arpa * 2.5),
        "gross_margin": (0.30, 0.95),
        "cost_to_serve": (0.0, max(a.gross_profit, a.cost_to_serve * 2.0, 1.0)),
        "monthly_expansion": (0.0, 0.03),
    }
    if param not in spans:
        raise _fail("simulate.err.axis", value=repr(param), choices=", ".join(SENSITIVITY_PARAMS))
    lo, hi = spans[param]
    if param == "cac_payback" and m <= 0:
        raise _fail("simulate.err.payback_axis")
    return np.linspace(lo, hi, cells)


def sensitivity_grid(a: Assumptions, annual_churn: float, x_param: str, y_param: str,
                     x_values: Iterable[float] | None = None,
                     y_values: Iterable[float] | None = None, cells: int = 40) -> pd.DataFrame:
    """Break-even years over a grid of two levers, the others held at ``a`` and ``annual_churn``.

    One vectorised evaluation of the closed form (bisection with expansion) over all
    cells. ``cac_payback`` (months of contribution to repay C) sets ``C = payback × m``,
    so it cannot be paired with CAC or onboarding. Columns: x, y, break_even_months,
    break_even_years (NaN = never).
    """
    for p in (x_param, y_param):
        if p not in SENSITIVITY_PARAMS:
            raise _fail("simulate.err.axis", value=repr(p), choices=", ".join(SENSITIVITY_PARAMS))
    if x_param == y_param:
        raise _fail("simulate.err.same_axes")
    if "cac_payback" in (x_param, y_param) and {x_param, y_param} & {"cac", "onboarding"}:
        raise _fail("simulate.err.payback_pair")
    xs = np.asarray(list(x_values) if x_values is not None
                    else default_axis(a, x_param, annual_churn, cells), dtype=float)
    ys = np.asarray(list(y_values) if y_values is not None
                    else default_axis(a, y_param, annual_churn, cells), dtype=float)
    grid_x, grid_y = np.meshgrid(xs, ys)
    values: dict[str, np.ndarray] = {
        p: np.full(grid_x.shape, float(getattr(a, p)))
        for p in ("arpa", "gross_margin", "cost_to_serve", "cac", "onboarding", "monthly_expansion")}
    values["annual_churn"] = np.full(grid_x.shape, float(annual_churn))
    values[x_param] = grid_x
    values[y_param] = grid_y
    churn = values["annual_churn"]
    if np.any((churn < 0) | (churn >= 1)) or np.any(values["gross_margin"] < 0) \
            or np.any(values["gross_margin"] > 1) or np.any(values["arpa"] <= 0):
        raise _fail("simulate.err.grid_range")
    gross = values["arpa"] * values["gross_margin"]
    serve = values["cost_to_serve"]
    if "cac_payback" in (x_param, y_param):
        payback = grid_x if x_param == "cac_payback" else grid_y
        upfront = payback * np.maximum(gross - serve, 0.0)
    else:
        upfront = values["cac"] + values["onboarding"]
    rho = (1.0 - churn) ** (1.0 / 12.0)
    months = break_even_months_array(gross, serve, upfront, rho, values["monthly_expansion"])
    return pd.DataFrame({
        "x": grid_x.ravel(),
        "y": grid_y.ravel(),
        "break_even_months": months.ravel(),
        "break_even_years": months.ravel() / 12.0,
    })


# Measured inputs from a workspace --------------------------------------------------------
def measured_inputs(con: Any, scope: Any = None, as_of: str | None = None) -> dict[str, Any] | None:
    """ARPA, annual logo churn and monthly expansion measured from the workspace's revenue.

    The same figures as the Retention page, from :mod:`cs_metrics.revenue` (its monthly
    MRR matrix, built from ``mrr`` or ``subscriptions``), over the trailing twelve months
    ``a … b`` (b = the as-of month, default the latest in the data):

    - ARPA = MRR_b / accounts active at b;
    - annual logo churn = 1 − logo retention of the window (accounts paying at a that
      pay at b);
    - monthly expansion = mean over months a+1 … b of expansion MRR_m / MRR_{m−1}.

    With less than twelve months of history the longest window k the data allows is used
    and churn annualised as ``1 − retention^(12/k)`` (``annualised`` is then True).
    Returns None when there is no revenue data, a single month of it, nobody paying at
    a or b, or when every account of the cohort left (no churn below 100% describes it).
    ``monthly_expansion`` is None when no month of the window had opening MRR.
    """
    from cs_metrics import revenue

    end = as_of[:7] if as_of else revenue.latest_month(con)
    first = revenue.first_month(con)
    if end is None or first is None:
        return None
    k = min(12, revenue.month_index(end) - revenue.month_index(first))
    if k < 1:
        return None
    window = revenue.window_retention(con, as_of=end, window_months=k, scope=scope)
    arpa = revenue.arpa(con, as_of=end, scope=scope)
    if window is None or not window.covered or window.logo_retention is None or arpa is None:
        return None
    annual = 1.0 - window.logo_retention ** (12.0 / k)
    if annual >= 1.0:
        return None
    expansion = revenue.monthly_expansion_rate(con, as_of=end, window_months=k, scope=scope)
    _, active = revenue.mrr_at(con, as_of=end, scope=scope)
    return {
        "arpa": float(arpa),
        "annual_churn": float(annual),
        "monthly_expansion": float(expansion) if expansion is not None else None,
        "window_start": window.start,
        "window_end": window.end,
        "window_months": int(k),
        "annualised": k != 12,
        "active_accounts": int(active or 0),
        "cohort_accounts": int(window.cohort_accounts or 0),
    }


# The command-line report -----------------------------------------------------------------
def _round(value: float | None, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def scenario_dict(result: ScenarioResult) -> dict[str, Any]:
    """One scenario as JSON-ready figures (``null`` = never / undefined / unbounded)."""
    return {
        "annual_churn": _round(result.annual_churn, 4),
        "monthly_churn": _round(result.monthly_churn, 6),
        "break_even_months": _round(result.break_even_months, 1),
        "break_even_years": _round(result.break_even_years, 2),
        "breaks_even": result.breaks_even,
        "ltv": _round(result.ltv, 2),
        "ltv_unbounded": math.isinf(result.ltv),
        "ltv_to_cac": _round(result.ltv_to_cac, 2),
        "payback_months": _round(result.payback_months, 1),
        "profit_at_horizon": _round(result.profit_at_horizon, 2),
    }


def simulate_report(churn_rates: list[float] | None = None, *, arpa: float = 1000.0,
                    gross_margin: float = 0.75, cost_to_serve: float = 150.0,
                    cac: float = 16000.0, onboarding: float = 4000.0,
                    monthly_expansion: float = 0.0, horizon_months: int = 120,
                    churn_basis: ChurnBasis = "annual") -> dict[str, Any]:
    """The ``simulate --format json`` report: break-even per churn rate.

    ``churn_rates`` are fractions on ``churn_basis`` (default 5% … 40% annual). ``ltv`` is
    null with ``ltv_unbounded: true`` when it has no bound (zero churn); break-even figures
    are null when the cohort never breaks even. Raises InputError for nonsense inputs.

    >>> r = simulate_report([0.25, 0.35])
    >>> [s["break_even_years"] for s in r["scenarios"]], r["max_breakeven_churn"]
    ([5.42, None], 0.3062)
    """
    # Every problem at once, so a command line shows them all in one go.
    problems: list[tuple[str, dict[str, Any]]] = []
    try:
        a = Assumptions(arpa=arpa, gross_margin=gross_margin, cost_to_serve=cost_to_serve,
                        cac=cac, onboarding=onboarding, monthly_expansion=monthly_expansion,
                        horizon_months=horizon_months)
    except InputError as exc:
        problems.extend(exc.messages)  # type: ignore[attr-defined]
    if churn_basis not in ("annual", "monthly"):
        raise _error(problems + [("simulate.err.basis", {"value": repr(churn_basis)})])
    rates = list(DEFAULT_CHURN_RATES) if churn_rates is None else list(churn_rates)
    if not rates:
        problems.append(("simulate.err.no_rates", {}))
    annual = []
    for rate in rates:
        try:
            annual.append(to_annual(rate, churn_basis))
        except InputError as exc:
            problems.extend(exc.messages)  # type: ignore[attr-defined]
    if problems:
        raise _error(problems)
    ceiling = max_breakeven_churn(a)
    return {
        "scenarios": [scenario_dict(evaluate(a, c)) for c in annual],
        "max_breakeven_churn": _round(ceiling, 4),
        "max_breakeven_monthly_churn": _round(monthly_from_annual(ceiling), 6)
        if ceiling is not None and ceiling < 1 else _round(ceiling, 4),
        "assumptions": {
            **a.to_dict(),
            "churn_basis": churn_basis,
            "monthly_contribution": _round(a.monthly_contribution, 2),
            "upfront_cost": _round(a.upfront_cost, 2),
        },
    }


def format_text(report: dict[str, Any], lang: str = "en") -> str:
    """The report as plain text for a terminal, in English or Chinese."""
    a = report["assumptions"]
    horizon = int(a["horizon_months"])

    def money(value: Any) -> str:
        # The simulator's inputs carry no currency: plain amounts in whatever was given.
        return formatting.number(value, lang, 0)

    def years(value: float) -> str:
        decimals = 0 if float(value).is_integer() else 1
        return t("simulate.text.years", lang, value=formatting.number(value, lang, decimals))

    lines = [
        t("simulate.text.title", lang),
        t("simulate.text.assumptions", lang,
          arpa=money(a["arpa"]), margin=formatting.pct(a["gross_margin"], lang),
          serve=money(a["cost_to_serve"]), cac=money(a["cac"]), onboarding=money(a["onboarding"]),
          expansion=formatting.pct(a["monthly_expansion"], lang, 2),
          horizon=years(horizon / 12)),
        t("simulate.text.unit", lang, m=money(a["monthly_contribution"]), c=money(a["upfront_cost"]),
          payback=(t("simulate.months", lang, value=formatting.number(
              report["scenarios"][0]["payback_months"], lang, 1))
              if report["scenarios"] and report["scenarios"][0]["payback_months"] is not None
              else t("simulate.never", lang))),
        "",
    ]
    header = [t("simulate.text.col_annual", lang), t("simulate.text.col_monthly", lang),
              t("simulate.text.col_break_even", lang), t("simulate.text.col_ltv", lang),
              t("simulate.text.col_ratio", lang),
              t("simulate.text.col_profit", lang, horizon=years(horizon / 12))]
    rows = [header]
    for s in report["scenarios"]:
        if s["break_even_months"] is None:
            be = t("simulate.never", lang)
        else:
            be = t("simulate.text.break_even_at", lang,
                   months=formatting.number(s["break_even_months"], lang, 1),
                   years=formatting.number(s["break_even_years"], lang, 2))
        rows.append([
            formatting.pct(s["annual_churn"], lang),
            formatting.pct(s["monthly_churn"], lang, 2),
            be,
            t("common.unbounded", lang) if s["ltv_unbounded"] else money(s["ltv"]),
            t("common.unbounded", lang) if s["ltv_to_cac"] is None and s["ltv_unbounded"]
            else formatting.ratio(s["ltv_to_cac"], lang),
            money(s["profit_at_horizon"]),
        ])
    widths = [max(_display_width(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        lines.append("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(r)).rstrip())
    ceiling = report["max_breakeven_churn"]
    lines.append("")
    if ceiling is None:
        lines.append(t("simulate.text.ceiling_none", lang))
    elif ceiling >= 1:
        lines.append(t("simulate.text.ceiling_all", lang))
    else:
        lines.append(t("simulate.text.ceiling", lang, churn=formatting.pct(ceiling, lang)))
    lines.append(t("simulate.assumptions_not_laws", lang))
    return "\n".join(lines)


def _display_width(text: str) -> int:
    """Terminal width: CJK characters take two columns."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return " " * (width - _display_width(text)) + text


# Saved scenarios -------------------------------------------------------------------------
MAX_SAVED_SCENARIOS = 4
SCENARIOS_SETTING = "simulator.scenarios"


@dataclass(frozen=True)
class SavedScenario:
    """A named set of levers, as stored in the workspace setting ``simulator.scenarios``."""

    name: str
    assumptions: Assumptions
    annual_churn: float
    measured: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "annual_churn": self.annual_churn, "measured": self.measured,
                **self.assumptions.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SavedScenario":
        """Rebuild a stored scenario; raises InputError if it no longer makes sense."""
        if not isinstance(data, dict):
            raise _fail("simulate.err.scenario")
        known = {k: data[k] for k in Assumptions().to_dict() if k in data}
        return cls(name=str(data.get("name") or "?"), assumptions=Assumptions(**known),
                   annual_churn=check_churn(data.get("annual_churn", 0.0)),
                   measured=bool(data.get("measured", False)))


def scenario_curves(scenarios: Iterable[SavedScenario], months: int) -> pd.DataFrame:
    """Cumulative profit per acquired customer of each saved scenario over ``months``
    (columns name, month, years, cumulative_profit, breaks_even)."""
    k = np.arange(int(months) + 1, dtype=float)
    frames = [pd.DataFrame({
        "name": s.name, "month": k.astype(int), "years": k / 12.0,
        "cumulative_profit": cumulative_profit(s.assumptions, s.annual_churn, k),
        "breaks_even": break_even_months(s.assumptions, s.annual_churn) is not None,
    }) for s in scenarios]
    if not frames:
        return pd.DataFrame(columns=["name", "month", "years", "cumulative_profit", "breaks_even"])
    return pd.concat(frames, ignore_index=True)


def load_scenarios(stored: Any) -> list[SavedScenario]:
    """The saved scenarios from a setting value; entries that no longer validate are skipped."""
    scenarios = []
    for item in stored if isinstance(stored, list) else []:
        try:
            scenarios.append(SavedScenario.from_dict(item))
        except (InputError, TypeError):
            continue
    return scenarios[:MAX_SAVED_SCENARIOS]


def add_scenario(stored: Any, scenario: SavedScenario) -> list[dict[str, Any]]:
    """The setting value with ``scenario`` added (replacing one of the same name).

    Raises InputError when four scenarios are already saved under other names.
    """
    kept = [s for s in load_scenarios(stored) if s.name != scenario.name]
    if len(kept) >= MAX_SAVED_SCENARIOS:
        raise _fail("simulate.err.too_many", max=MAX_SAVED_SCENARIOS)
    return [s.to_dict() for s in kept] + [scenario.to_dict()]


def remove_scenario(stored: Any, name: str) -> list[dict[str, Any]]:
    return [s.to_dict() for s in load_scenarios(stored) if s.name != name]


def parse_rates(text: str) -> list[float]:
    """'5, 10, 12.5%' -> [0.05, 0.10, 0.125]: percentages separated by commas or spaces.

    Chinese commas (，、) work too. Raises InputError naming the entry it cannot read.
    """
    cleaned = text.replace("，", ",").replace("、", ",").replace(";", ",")
    parts = [p.strip().rstrip("%").strip() for chunk in cleaned.split(",") for p in chunk.split()]
    rates = []
    for part in parts:
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            raise _fail("simulate.err.rate_text", value=part) from None
        if not math.isfinite(value) or not 0 <= value < 100:
            raise _fail("simulate.err.rate_range", value=part)
        rates.append(value / 100.0)
    if not rates:
        raise _fail("simulate.err.no_rates")
    return sorted(set(rates))
