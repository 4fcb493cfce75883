"""Seeded generator of the Polaris sample company.

`generate()` returns the canonical tables of ``docs/architecture.md`` (accounts, mrr,
usage, tickets, nps, goals) for a fictional B2B SaaS company, without the loader's
``_source_key`` / ``_source_file`` columns. Everything is drawn from one seed, so the same
arguments always give the same tables, and the big tables are built with whole-array
numpy operations (the only Python loop runs over months), so
``generate(100_000, 60)`` stays well under 30 seconds.

The company is made so that the analytics have something true to find:

* tiers by contract value: SMB (ARR < 12k), Mid-Market (12k–100k), Enterprise (> 100k);
  annual contracts, so logos churn at a contract anniversary. Annual logo churn is
  roughly SMB 25–30 %, Mid-Market 12–15 %, Enterprise 5–8 %;
* weekly usage falls over the 2–4 months before a churn; NPS answers in the 9 months
  before a churn are mostly detractors; P1 tickets pile up, and stay open, before a churn;
* a latent "fit" per account drives NPS, growth of seat demand and expansion, so
  promoters expand more; seat utilisation (active users / seats) below 50 % leads to a
  contraction, mostly at the anniversary;
* all five MRR movements occur: new, expansion, contraction, churn and reactivation
  (a few churned logos come back and are active again), and some accounts predate the
  window (the opening balance).

Consistency rules that hold by construction: MRR is 0 from the churn month on (except
for reactivated accounts, whose status is ``active`` again and whose ``churn_date`` is
empty); usage and tickets only exist in months with MRR > 0; ``arr = 12 * mrr`` where
``mrr`` is the MRR of the as-of month for active accounts (for churned accounts: the last
MRR before the churn, as a CRM keeps the last contract value).

Example::

    >>> from sample_data.generator import generate
    >>> tables = generate(n_accounts=200, months=24)
    >>> sorted(tables)
    ['accounts', 'goals', 'mrr', 'nps', 'tickets', 'usage']
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_SEED = 20261123

COLUMNS: dict[str, list[str]] = {
    "accounts": [
        "account_id", "account_name", "segment", "industry", "region", "plan", "owner",
        "start_date", "renewal_date", "churn_date", "status", "arr", "mrr", "seats",
        "manual_health", "domain",
    ],
    "mrr": ["account_id", "month", "mrr"],
    "usage": ["account_id", "date", "active_users", "seats", "events", "reports_created"],
    "tickets": [
        "account_id", "ticket_id", "created_at", "resolved_at", "priority", "priority_rank",
        "status", "satisfaction", "first_response_minutes",
    ],
    "nps": ["account_id", "date", "score", "comment", "respondent"],
    "goals": ["account_id", "goal", "metric", "baseline", "target", "current", "due_date", "status"],
}

SEGMENTS = ("Enterprise", "Mid-Market", "SMB")
# The segment is the tier of the ARR signed at the first contract (as a CRM keeps it):
# Enterprise from 100k, Mid-Market from 12k, SMB below.
SEGMENT_ARR_FLOORS = (100_000.0, 12_000.0, 0.0)
_SEGMENT_SHARE = np.array([0.10, 0.30, 0.60])
# Seat bounds keep the ARR bands of the tiers apart at signing (SMB < 12k, Enterprise > 100k).
_SEAT_MEDIAN = np.array([300.0, 60.0, 10.0])
_SEAT_MIN = np.array([210, 23, 3])
_SEAT_MAX = np.array([3000, 180, 20])
_LIST_PRICE = np.array([38.0, 45.0, 49.0])  # per seat per month
_PLANS = (("Enterprise",), ("Business", "Business Plus"), ("Starter", "Team"))
# Nominal chance of not renewing at an anniversary; the per-account risk multiplier
# averages to 1, so the realised annual logo churn lands near these figures.
_ANNUAL_CHURN = np.array([0.065, 0.15, 0.34])

_PREFIXES = (
    "Orion", "Kite", "Quartz", "Harbor", "Summit", "Blue", "Delta", "Cedar", "Aurora",
    "Beacon", "Cobalt", "Crescent", "Falcon", "Granite", "Horizon", "Ivory", "Jade",
    "Juniper", "Lotus", "Maple", "Meridian", "Nimbus", "Northwind", "Oak", "Pacific",
    "Pioneer", "Prism", "Redwood", "Sable", "Sapphire", "Silverline", "Sierra", "Sterling",
    "Sunrise", "Tidal", "Vertex", "Willow", "Zenith", "Atlas", "Bamboo", "Canyon", "Copper",
    "Dragon", "Emerald", "Evergreen", "Golden", "Highland", "Lakeside", "Lighthouse",
    "Magnolia", "Nova", "Onyx", "Pinnacle", "Riverstone", "Skyline", "Starlight", "Terra",
    "Unity", "Vista", "Wavecrest",
)
# (word in the company name, industry): the name tells the industry, as it often does.
_CORES = (
    ("Retail", "Retail"), ("Mart", "Retail"), ("Outfitters", "Retail"), ("Stores", "Retail"),
    ("Foods", "Food & Beverage"), ("Kitchen", "Food & Beverage"), ("Brewing", "Food & Beverage"),
    ("Manufacturing", "Manufacturing"), ("Industries", "Manufacturing"),
    ("Works", "Manufacturing"), ("Machinery", "Manufacturing"),
    ("Logistics", "Logistics"), ("Freight", "Logistics"), ("Express", "Logistics"),
    ("Health", "Healthcare"), ("Medical", "Healthcare"), ("Clinics", "Healthcare"),
    ("Bio", "Healthcare"),
    ("Capital", "Financial Services"), ("Finance", "Financial Services"),
    ("Insurance", "Financial Services"),
    ("Software", "Software"), ("Systems", "Software"), ("Labs", "Software"),
    ("Digital", "Software"),
    ("Learning", "Education"), ("Academy", "Education"),
    ("Energy", "Energy"), ("Solar", "Energy"),
    ("Media", "Media"), ("Studios", "Media"),
    ("Hotels", "Hospitality"), ("Travel", "Hospitality"),
)
_SUFFIXES = ("", " Group", " Co.", " Inc.", " Ltd.", " Holdings")
_REGIONS = (
    "Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Guangzhou", "Chengdu", "Suzhou",
    "Wuhan", "Hong Kong", "Singapore", "Tokyo", "Europe", "North America",
)
_REGION_SHARE = np.array([16, 14, 11, 9, 8, 7, 5, 4, 5, 6, 4, 6, 5], dtype=float)
# CSMs: the first three carry Enterprise (high touch), the last ones the SMB pool.
_OWNERS = (
    "Zhang Min", "Olivia Park", "Lin Wei", "Chen Jie", "Marcus Reed", "Liu Yang",
    "Sofia Alvarez", "Wang Lei",
)
_OWNER_SHARE = np.array([
    [4, 3, 3, 0, 0, 0, 0, 0],
    [0, 1, 2, 3, 3, 2, 0, 0],
    [0, 0, 0, 1, 2, 3, 4, 4],
], dtype=float)

_PRIORITY_TEXT = ("Urgent", "High", "Normal", "Low")
_PRIORITY_SHARE = np.array([0.05, 0.20, 0.50, 0.25])
_PRIORITY_SHARE_PRECHURN = np.array([0.25, 0.30, 0.35, 0.10])
_RESOLVE_HOURS = np.array([8.0, 30.0, 80.0, 140.0])  # median time to resolve
_FIRST_RESPONSE_MIN = np.array([25.0, 90.0, 240.0, 480.0])  # median first response

_FIRST_NAMES = (
    "Li", "Wang", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
    "Emma", "James", "Olivia", "Daniel", "Sophie", "Ken", "Mei", "Ravi",
)
_GIVEN_NAMES = (
    "Na", "Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Jun", "Tao", "Hui",
    "Carter", "Nguyen", "Schmidt", "Tan", "Sato", "Lim", "Brown", "Kumar",
)
_COMMENTS = {
    "promoter": (
        "Reports that used to take a day now take minutes.",
        "Great support team, very responsive.",
        "The dashboards are now part of our weekly ops review.",
        "Easy to roll out to new stores.",
        "Our CSM really understands our business.",
        "报表制作时间从一天缩短到几分钟。",
        "客服响应很快，问题解决得很好。",
        "现在每周经营会都用这个看板。",
        "新门店上线非常顺利。",
        "客户成功经理很懂我们的业务。",
    ),
    "passive": (
        "Does the job, but the learning curve is steep.",
        "Good product; pricing is a bit high for us.",
        "Would like more export options.",
        "Performance is OK, occasionally slow at month end.",
        "功能够用，但上手有点难。",
        "产品不错，价格对我们来说偏高。",
        "希望能支持更多导出格式。",
        "月底的时候偶尔会卡。",
    ),
    "detractor": (
        "Too many bugs after the last release.",
        "Support takes days to answer urgent issues.",
        "We are not getting the value we expected.",
        "Hard to get our team to use it.",
        "Considering other options at renewal.",
        "上次升级后问题太多。",
        "紧急问题要好几天才有回复。",
        "没有达到我们预期的效果。",
        "团队里很少有人用。",
        "续约时会考虑其他产品。",
    ),
}
# (goal, metric, baseline low/high, target low/high); target below baseline means lower is better.
_GOALS = (
    ("Roll out to all stores", "stores live", 0, 0, 20, 200),
    ("Cut time to build the monthly report", "hours per week", 15, 30, 3, 8),
    ("Reduce support tickets", "tickets per week", 8, 20, 2, 5),
    ("Grow weekly active users", "weekly active users", 5, 40, 60, 300),
    ("Automate recurring reports", "reports per month", 10, 50, 150, 400),
    ("Shorten onboarding of new hires", "days to onboard", 30, 60, 10, 20),
    ("Improve forecast accuracy", "forecast accuracy %", 60, 75, 85, 95),
)


@dataclass
class _Company:
    """The simulated company as plain arrays (months are indices into the window).

    ``mrr`` and ``seats`` are (accounts x months); ``churn_month`` is the month the MRR
    drops to 0 (may lie after the window: a churn already decided, used for notices and
    the usage decline); ``reactivation_month`` is -1 when the account never came back.
    """

    n: int
    months: int
    window_start: np.datetime64  # datetime64[M]
    ids: np.ndarray
    segment: np.ndarray  # index into SEGMENTS
    fit: np.ndarray  # latent customer fit, N(0, 1)
    start_month: np.ndarray
    start_day: np.ndarray  # day-of-month offset 0..27 of start and anniversaries
    churn_month: np.ndarray  # _NEVER when no churn is drawn
    reactivation_month: np.ndarray
    notice: np.ndarray
    mrr: np.ndarray
    seats: np.ndarray
    need: np.ndarray  # users who would use the product (seat demand)
    report_rate: np.ndarray  # reports per active user per week


_NEVER = 1_000_000


def _month_index(month: str) -> np.datetime64:
    try:
        return np.datetime64(month, "M")
    except ValueError as exc:
        raise ValueError(f"end_month must look like YYYY-MM, got {month!r}") from exc


def _ids(n: int) -> np.ndarray:
    return np.array([f"KH{100000 + i}" for i in range(n)], dtype=object)


def _stratified_uniforms(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    """Uniform(0, 1) draws, stratified within each group: a group of size g gets exactly
    one draw in each interval [j/g, (j+1)/g), in random order.

    Churn draws are stratified by (tier, anniversary month) so that a 1,000-account
    company shows churn rates close to the intended ones instead of a lucky or unlucky
    year; each single draw is still uniform.
    """
    flat = group.ravel()
    order = np.lexsort((rng.random(flat.size), flat))
    sorted_group = flat[order]
    starts = np.r_[0, np.nonzero(np.diff(sorted_group))[0] + 1]
    sizes = np.diff(np.r_[starts, flat.size])
    group_start = np.repeat(starts, sizes)
    rank = np.arange(flat.size) - group_start
    u = np.empty(flat.size)
    u[order] = (rank + rng.random(flat.size)) / np.repeat(sizes, sizes)
    return u.reshape(group.shape)


def _simulate(n_accounts: int, months: int, end_month: str, seed: int) -> _Company:
    """Draw accounts, their contract anniversaries and the monthly MRR/seat matrix."""
    if n_accounts < 1 or months < 1:
        raise ValueError("n_accounts and months must both be at least 1")
    n, m = int(n_accounts), int(months)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    window_start = _month_index(end_month) - (m - 1)

    segment = rng.choice(3, size=n, p=_SEGMENT_SHARE)
    fit = rng.standard_normal(n)
    # About 40 % of the book predates the window (the opening balance); the rest signs
    # during it, a little faster as the company grows.
    opening = rng.random(n) < 0.4 if m > 1 else np.ones(n, dtype=bool)
    start_month = np.empty(n, dtype=np.int64)
    start_month[opening] = -rng.integers(1, 49, size=int(opening.sum()))
    if m > 1:
        weights = 1.0 + 0.6 * np.arange(1, m) / m
        start_month[~opening] = rng.choice(
            np.arange(1, m), size=int((~opening).sum()), p=weights / weights.sum()
        )
    start_day = rng.integers(0, 28, size=n)

    # Churn happens at an anniversary; the risk multiplier (mean 1) makes poor-fit
    # accounts leave more often. Only anniversaries from month 1 on are drawn, so every
    # opening account is live in month 0.
    risk = np.exp(-0.5 * fit - 0.125)
    p_churn = np.minimum(_ANNUAL_CHURN[segment] * risk, 0.9)
    k_max = (m + 12 + 48) // 12 + 2
    anniversaries = start_month[:, None] + 12 * np.arange(1, k_max + 1)[None, :]
    eligible = (anniversaries >= 1) & (anniversaries <= m - 1 + 12)
    draw_group = np.where(eligible, segment[:, None] * (m + 12) + anniversaries, -1)
    hit = eligible & (_stratified_uniforms(rng, draw_group) < p_churn[:, None])
    churn_month = np.where(hit.any(axis=1), anniversaries[np.arange(n), hit.argmax(axis=1)], _NEVER)

    # A renewal due within the next 3 months that will not happen: about half of those
    # customers have already told us (status "notice").
    notice = (churn_month >= m) & (churn_month <= m + 2) & (rng.random(n) < 0.5)

    # A few churned logos come back 2–9 months later.
    gap = rng.integers(2, 10, size=n)
    reactivation_month = np.where(
        (churn_month <= m - 1) & (churn_month + gap <= m - 1) & (rng.random(n) < 0.12),
        churn_month + gap,
        -1,
    )

    seats0 = np.clip(
        np.round(_SEAT_MEDIAN[segment] * np.exp(0.5 * rng.standard_normal(n))),
        _SEAT_MIN[segment], _SEAT_MAX[segment],
    )
    price = np.round(_LIST_PRICE[segment] * rng.uniform(0.8, 1.0, size=n) * 2) / 2
    util0 = np.clip(0.72 + 0.1 * fit + 0.12 * rng.standard_normal(n), 0.25, 1.0)
    growth = 0.04 + 0.08 * fit + 0.05 * rng.standard_normal(n)  # yearly log-growth of demand
    report_rate = np.exp(np.log(1.5) + 0.3 * fit + 0.3 * rng.standard_normal(n))

    # Opening accounts arrive at month 0 with the demand their tenure has grown into,
    # and seats roughly matched to it.
    need0 = seats0 * util0 * np.exp(growth * np.maximum(-start_month, 0) / 12)
    fitted = np.ceil(need0 / rng.uniform(0.65, 0.9, size=n))
    seats_open = np.where(opening, np.maximum(fitted, _SEAT_MIN[segment]), seats0)

    mrr = np.zeros((n, m))
    seats = np.zeros((n, m))
    need = np.zeros((n, m))
    cur_seats = np.zeros(n)
    for t in range(m):
        need_t = seats0 * util0 * np.exp(growth * (t - start_month) / 12)
        starts = (start_month == t) | (opening & (t == 0))
        cur_seats[starts] = seats_open[starts]
        back = reactivation_month == t
        # A returning customer signs again for somewhat fewer seats than it had.
        cur_seats[back] = np.maximum(np.ceil(cur_seats[back] * rng.uniform(0.6, 1.0, int(back.sum()))), 1)
        live = (t >= start_month) & ((t < churn_month) | ((reactivation_month >= 0) & (t >= reactivation_month)))
        running = live & ~starts & ~back
        anniversary = running & ((t - start_month) % 12 == 0)
        util = need_t / np.maximum(cur_seats, 1)
        u_e, u_c, u_size = rng.random(n), rng.random(n), rng.uniform(0.7, 0.88, size=n)
        # Full seats and a good fit bring upsells; a low utilisation brings a right-sizing,
        # mostly at the anniversary.
        p_exp = np.where(util >= 0.9, 0.2, 0.004) * np.exp(0.5 * fit)
        p_exp = np.where(anniversary, np.minimum(3 * p_exp, 0.9), p_exp)
        p_con = np.where(util < 0.55, np.where(anniversary, 0.5, 0.04), 0.0015)
        expand = running & (u_e < p_exp)
        contract = running & ~expand & (u_c < p_con)
        grown = np.maximum(np.ceil(need_t / u_size), cur_seats + np.ceil(0.1 * cur_seats))
        shrunk = np.clip(np.ceil(need_t / (u_size + 0.1)), 1, np.floor(cur_seats * 0.9))
        cur_seats = np.where(expand, grown, np.where(contract, shrunk, cur_seats))
        mrr[:, t] = np.where(live, np.round(cur_seats * price, 2), 0.0)
        seats[:, t] = np.where(live, cur_seats, 0.0)
        need[:, t] = need_t

    return _Company(
        n=n, months=m, window_start=window_start, ids=_ids(n), segment=segment, fit=fit,
        start_month=start_month, start_day=start_day, churn_month=churn_month,
        reactivation_month=reactivation_month, notice=notice, mrr=mrr, seats=seats,
        need=need, report_rate=report_rate,
    )


def _month_start(co: _Company, month: np.ndarray) -> np.ndarray:
    return (co.window_start + month.astype("timedelta64[M]")).astype("datetime64[D]")


def _as_of_end(co: _Company) -> np.datetime64:
    """First instant after the as-of month (exclusive upper bound of the data)."""
    return (co.window_start + co.months).astype("datetime64[D]")


def _str_column(codes: np.ndarray, labels) -> pd.Series:
    """A pandas ``str`` column from integer codes into ``labels``, without building one
    Python object per row (pyarrow's take when pandas stores strings in Arrow)."""
    dtype = pd.Series([], dtype="str").dtype
    if getattr(dtype, "storage", None) == "pyarrow":
        import pyarrow as pa

        values = pa.array([str(label) for label in labels], type=pa.large_string())
        return pd.Series(values.take(pa.array(codes)), dtype=dtype)
    cat = pd.Categorical.from_codes(codes, categories=pd.Index(list(labels), dtype="str"))
    return pd.Series(cat).astype("str")


def _accounts(co: _Company, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    n, m = co.n, co.months

    # Unique names: distinct draws from prefix x core x suffix (x location when the
    # company is too big for plain names).
    n_pre, n_core, n_suf = len(_PREFIXES), len(_CORES), len(_SUFFIXES)
    base = n_pre * n_core * n_suf
    space = base if n <= base // 2 else base * (1 + len(_REGIONS))
    if n > space:
        raise ValueError(f"at most {space} accounts can be given unique names")
    pick = rng.choice(space, size=n, replace=False)
    location, rest = np.divmod(pick, base)
    pre, rest = np.divmod(rest, n_core * n_suf)
    core, suf = np.divmod(rest, n_suf)
    prefixes = np.array(_PREFIXES, dtype=object)
    cores = np.array([c for c, _ in _CORES], dtype=object)
    industries = np.array([i for _, i in _CORES], dtype=object)
    suffixes = np.array(_SUFFIXES, dtype=object)
    locations = np.array([""] + [f" {r}" for r in _REGIONS], dtype=object)
    short = prefixes[pre] + " " + cores[core]
    name = short + locations[location] + suffixes[suf]

    def slug(values: np.ndarray) -> pd.Series:
        return pd.Series(values, dtype="str").str.lower().str.replace(r"[^a-z0-9]", "", regex=True)

    domain = slug(short)
    # "Orion Retail" keeps orionretail.com; "Orion Retail Group" then gets orionretailgroup.com.
    plain_first = np.lexsort((np.arange(n), (suf != 0) | (location != 0)))
    clash = np.empty(n, dtype=bool)
    clash[plain_first] = domain.iloc[plain_first].duplicated(keep="first").to_numpy()
    domain[clash] = slug(name[clash]).to_numpy()
    while domain.duplicated().any():  # a long name can spell another's short one
        repeat = domain.groupby(domain).cumcount()
        domain = domain.where(repeat == 0, domain + repeat.astype("str"))
    domain = domain + ".com"

    region = rng.choice(len(_REGIONS), size=n, p=_REGION_SHARE / _REGION_SHARE.sum())
    owner = np.empty(n, dtype=np.int64)
    plan = np.empty(n, dtype=object)
    for s in range(3):
        rows = co.segment == s
        owner[rows] = rng.choice(len(_OWNERS), size=int(rows.sum()), p=_OWNER_SHARE[s] / _OWNER_SHARE[s].sum())
        plan[rows] = np.array(_PLANS[s], dtype=object)[rng.integers(0, len(_PLANS[s]), int(rows.sum()))]

    day = co.start_day.astype("timedelta64[D]")
    start_date = _month_start(co, co.start_month) + day
    reactivated = co.reactivation_month >= 0
    churned = (co.churn_month <= m - 1) & ~reactivated
    # Next anniversary after the as-of month, counted from the (re)start of the contract.
    anchor = np.where(reactivated, co.reactivation_month, co.start_month)
    next_anniv = anchor + 12 * ((m - 1 - anchor) // 12 + 1)
    renewal_month = np.where(churned, co.churn_month, next_anniv)
    renewal_date = _month_start(co, renewal_month) + day
    churn_date = np.where(churned, _month_start(co, np.minimum(co.churn_month, m)) + day, np.datetime64("NaT"))
    status = np.where(churned, "churned", np.where(co.notice, "notice", "active"))

    has_mrr = co.mrr > 0
    last = np.where(has_mrr.any(axis=1), m - 1 - np.argmax(has_mrr[:, ::-1], axis=1), 0)
    mrr_now = co.mrr[np.arange(n), last]
    seats_now = co.seats[np.arange(n), last]
    arr_now = np.round(12 * mrr_now, 2)

    # About 10 % of accounts carry a CSM's own colour, which mostly (not always) agrees
    # with how the account is really doing.
    colour_signal = co.fit + rng.normal(0, 0.7, n) - 2.0 * (co.churn_month - (m - 1) <= 6)
    manual = np.where(colour_signal < -0.8, "red", np.where(colour_signal < 0.3, "yellow", "green"))
    manual_health = pd.Series(manual, dtype="str").where(pd.Series(rng.random(n) < 0.10))

    return pd.DataFrame({
        "account_id": pd.Series(co.ids, dtype="str"),
        "account_name": pd.Series(name, dtype="str"),
        "segment": _str_column(co.segment, SEGMENTS),
        "industry": pd.Series(industries[core], dtype="str"),
        "region": _str_column(region, _REGIONS),
        "plan": pd.Series(plan, dtype="str"),
        "owner": _str_column(owner, _OWNERS),
        "start_date": start_date,
        "renewal_date": renewal_date,
        "churn_date": churn_date.astype("datetime64[D]"),
        "status": pd.Series(status, dtype="str"),
        "arr": arr_now,
        "mrr": mrr_now,
        "seats": seats_now,
        "manual_health": manual_health,
        "domain": domain,
    })[COLUMNS["accounts"]]


def _mrr(co: _Company) -> pd.DataFrame:
    account, month = np.nonzero(co.mrr > 0)
    return pd.DataFrame({
        "account_id": _str_column(account, co.ids),
        "month": _month_start(co, month),
        "mrr": co.mrr[account, month],
    })


def _counts(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    """Poisson counts with the given means: drawn exactly below a mean of 10, and above it
    by the normal approximation round(mean + sqrt(mean) Z), which is ten times faster on
    tens of millions of rows and indistinguishable at that size."""
    out = np.empty(mean.size)
    small = mean < 10
    out[small] = rng.poisson(mean[small])
    big = mean[~small]
    z = rng.standard_normal(big.size, dtype=np.float32)
    out[~small] = np.maximum(np.round(big + np.sqrt(big) * z), 0)
    return out


def _usage_arrays(co: _Company, seed: int) -> dict[str, np.ndarray]:
    """Weekly usage rows (Mondays) of every account in every week of a month with MRR.

    active_users = min(seat demand, seats) x onboarding ramp x pre-churn decline x
    seasonality x noise; events (logins) ~ Poisson(4 per active user);
    reports_created (the North Star) ~ Poisson(active users x the account's report rate
    x the pre-churn decline).
    The pre-churn decline falls linearly from 1 four months before the churn to 0.3
    (1 - 0.2 per month closer). Week-level factors are computed per week and gathered,
    and intermediates are float32, so 100k accounts x 5 years stays fast and small.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    f4 = np.float32
    first = co.window_start.astype("datetime64[D]")
    days = np.arange(first, _as_of_end(co), dtype="datetime64[D]")
    mondays = days[(days.astype(np.int64) % 7) == 4]  # 1970-01-05 was a Monday
    # Everything that depends on the week only is computed once per week, then gathered.
    monday_day = mondays.astype(np.int64)
    week_month = (mondays.astype("datetime64[M]") - co.window_start).astype(np.int64)
    month_first_day = _month_start(co, np.arange(co.months)).astype(np.int64)
    week_pos = (week_month + (monday_day - month_first_day[week_month]) / 30.0).astype(f4)
    calendar_month = mondays.astype("datetime64[M]").astype(np.int64) % 12
    week_season = np.where(calendar_month == 1, 0.85, np.where(calendar_month == 11, 0.92, 1.0)).astype(f4)

    start = (_month_start(co, co.start_month) + co.start_day.astype("timedelta64[D]")).astype(np.int64)
    active = (co.mrr > 0)[:, week_month] & (monday_day[None, :] >= start[:, None] - 6)
    account, week = np.nonzero(active)
    del active
    month = week_month[week]
    monday = mondays[week]

    decline = np.clip(
        f4(0.3) + f4(0.2) * (co.churn_month.astype(f4)[account] - week_pos[week] - f4(0.5)), 0.3, 1.0
    )
    weeks_live = (monday_day[week] - start[account]).astype(f4) / f4(7.0)
    ramp = np.where(co.start_month[account] >= 0, np.clip(f4(0.45) + f4(0.55 / 12) * weeks_live, 0.45, 1.0), f4(1.0))
    del weeks_live
    cell = account * co.months + month
    seats = co.seats.ravel()[cell]
    base = np.minimum(co.need.ravel()[cell].astype(f4), seats.astype(f4)) * ramp * decline * week_season[week]
    del ramp, cell
    noise = np.exp(f4(0.12) * rng.standard_normal(base.size, dtype=f4))
    active_users = np.minimum(np.round(base * noise), seats.astype(f4)).astype(np.float64)
    del base, noise
    events = _counts(rng, active_users * 4.0)
    reports = _counts(rng, active_users * co.report_rate[account] * decline)
    return {
        "account": account, "date": monday, "active_users": active_users, "seats": seats,
        "events": events, "reports_created": reports,
    }


def _usage(co: _Company, seed: int) -> pd.DataFrame:
    arr = _usage_arrays(co, seed)
    return pd.DataFrame({
        "account_id": _str_column(arr["account"], co.ids),
        "date": arr["date"],
        "active_users": arr["active_users"],
        "seats": arr["seats"],
        "events": arr["events"],
        "reports_created": arr["reports_created"],
    })


def _row_times(co: _Company, account: np.ndarray, month: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random instant (seconds) inside the month, not before the account's start."""
    lo = _month_start(co, month).astype("datetime64[s]").astype(np.int64)
    hi = _month_start(co, month + 1).astype("datetime64[s]").astype(np.int64)
    start = (_month_start(co, co.start_month[account]) + co.start_day[account].astype("timedelta64[D]"))
    lo = np.maximum(lo, start.astype("datetime64[s]").astype(np.int64))
    return (lo + np.floor(rng.random(lo.size) * (hi - lo))).astype("datetime64[s]")


def _tickets(co: _Company, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 4]))
    live = co.mrr > 0
    months = np.arange(co.months)
    pre_churn = (co.churn_month[:, None] - months[None, :] >= 1) & (co.churn_month[:, None] - months[None, :] <= 4)
    lam = (0.12 + 0.02 * np.sqrt(co.seats)) * np.exp(-0.3 * co.fit)[:, None]
    lam = np.where(pre_churn, 2.0 * lam, lam) * live
    count = rng.poisson(lam)
    account, month = np.nonzero(count)
    reps = count[account, month]
    account, month = np.repeat(account, reps), np.repeat(month, reps)
    pre = pre_churn[account, month]
    k = account.size

    created = _row_times(co, account, month, rng)
    cum_normal = np.cumsum(_PRIORITY_SHARE)
    cum_pre = np.cumsum(_PRIORITY_SHARE_PRECHURN)
    u = rng.random(k)
    rank0 = np.where(pre, np.searchsorted(cum_pre, u, side="right"), np.searchsorted(cum_normal, u, side="right"))
    rank0 = np.minimum(rank0, 3)
    hours = _RESOLVE_HOURS[rank0] * np.exp(rng.normal(0, 0.8, k)) * np.where(pre, 2.0, 1.0)
    resolved = created + np.round(hours * 3600).astype("timedelta64[s]")
    # Escalations before a churn are often never closed; anything resolving after the
    # export date is still open in the export.
    stuck = pre & (rank0 == 0) & (rng.random(k) < 0.6)
    is_open = stuck | (resolved >= _as_of_end(co).astype("datetime64[s]"))
    resolved = np.where(is_open, np.datetime64("NaT"), resolved)

    csat_mean = 4.2 + 0.4 * co.fit[account] - 1.3 * pre - 0.3 * (rank0 == 0)
    csat = np.clip(np.round(csat_mean + rng.normal(0, 0.8, k)), 1, 5)
    satisfaction = np.where(is_open | (rng.random(k) < 0.4), np.nan, csat)
    first_response = np.round(
        _FIRST_RESPONSE_MIN[rank0] * np.exp(rng.normal(0, 0.7, k)) * np.where(pre, 1.8, 1.0), 1
    )

    order = np.lexsort((account, created))
    width = max(6, len(str(k)))
    ticket_id = pd.Series(np.arange(1, k + 1)).astype("str").str.zfill(width).radd("T")
    df = pd.DataFrame({
        "account_id": _str_column(account[order], co.ids),
        "ticket_id": ticket_id,
        "created_at": created[order],
        "resolved_at": resolved[order],
        "priority": _str_column(rank0[order], _PRIORITY_TEXT),
        "priority_rank": (rank0[order] + 1).astype(np.int32),
        "status": _str_column(is_open[order].astype(np.int64), ("closed", "open")),
        "satisfaction": satisfaction[order],
        "first_response_minutes": first_response[order],
    })
    return df


def _nps(co: _Company, seed: int) -> pd.DataFrame:
    """Quarterly surveys (March, June, September, December) answered by some live accounts.

    score ~ round(8.0 + 1.3 fit - 3.5 [churn within 9 months] + N(0, 1.3)), clipped to 0..10.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 5]))
    months = np.arange(co.months)
    calendar = (co.window_start + months).astype(np.int64) % 12
    survey = months[calendar % 3 == 2]
    live = co.mrr[:, survey] > 0
    p_answer = np.array([0.55, 0.4, 0.3])[co.segment]
    answered = live & (rng.random(live.shape) < p_answer[:, None])
    account, q = np.nonzero(answered)
    # Bigger customers have more than one person answering.
    extra = rng.binomial(np.array([2, 1, 0])[co.segment[account]], 0.5)
    account, q = np.repeat(account, 1 + extra), np.repeat(q, 1 + extra)
    month = survey[q]
    k = account.size

    date = _row_times(co, account, month, rng).astype("datetime64[D]")
    to_churn = co.churn_month[account] - month
    near_churn = (to_churn >= 1) & (to_churn <= 9)
    score = np.clip(np.round(8.0 + 1.3 * co.fit[account] - 3.5 * near_churn + rng.normal(0, 1.3, k)), 0, 10)
    score = score.astype(np.int64)
    kind = np.where(score >= 9, "promoter", np.where(score >= 7, "passive", "detractor"))
    comment = np.full(k, None, dtype=object)
    pick = rng.random(k)
    for name, texts in _COMMENTS.items():
        rows = (kind == name) & (rng.random(k) < 0.55)
        comment[rows] = np.array(texts, dtype=object)[(pick[rows] * len(texts)).astype(np.int64)]
    respondent = (
        np.array(_FIRST_NAMES, dtype=object)[rng.integers(0, len(_FIRST_NAMES), k)] + " "
        + np.array(_GIVEN_NAMES, dtype=object)[rng.integers(0, len(_GIVEN_NAMES), k)]
    )
    respondent[rng.random(k) < 0.1] = None  # anonymous answers
    order = np.lexsort((account, date))
    return pd.DataFrame({
        "account_id": _str_column(account[order], co.ids),
        "date": date[order],
        "score": score[order].astype(np.int32),
        "comment": pd.Series(comment[order], dtype="str"),
        "respondent": pd.Series(respondent[order], dtype="str"),
    })


def _goals(co: _Company, seed: int) -> pd.DataFrame:
    """1–3 success-plan goals for about 40 % of accounts.

    current = baseline + progress x (target - baseline), progress driven by fit and
    lower for accounts that churn. Status: achieved (current has reached target), missed (due date
    passed), at risk (behind the elapsed share of time by more than 15 points), on track.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 6]))
    has = rng.random(co.n) < 0.4
    owners = np.nonzero(has)[0]
    n_goals = rng.integers(1, 4, size=owners.size)
    # Distinct goal templates per account: the first n of a random permutation.
    perm = np.argsort(rng.random((owners.size, len(_GOALS))), axis=1)
    slot = np.arange(len(_GOALS))[None, :] < n_goals[:, None]
    row, col = np.nonzero(slot)
    account = owners[row]
    template = perm[row, col]
    k = account.size

    spec = np.array([g[2:] for g in _GOALS], dtype=float)
    baseline = np.round(spec[template, 0] + rng.random(k) * (spec[template, 1] - spec[template, 0]))
    target = np.round(spec[template, 2] + rng.random(k) * (spec[template, 3] - spec[template, 2]))
    churned = co.churn_month[account] <= co.months - 1
    # Weekly-active-user goals are sized to the account's seats.
    wau = template == 3
    seats = co.seats.max(axis=1)[account]
    baseline = np.where(wau, np.round(0.3 * seats), baseline)
    target = np.where(wau, np.maximum(np.round(0.8 * seats), baseline + 1), target)
    progress = np.clip(0.55 + 0.3 * co.fit[account] + rng.normal(0, 0.25, k) - 0.5 * churned, 0.0, 1.2)
    current = np.round(baseline + progress * (target - baseline), 1)

    # Goals are set in the last year and a half of the account's life (before its
    # churn, if it churned) and fall due 6–15 months later.
    last_month = np.minimum(co.churn_month[account], co.months) - 1
    reactivated = co.reactivation_month[account] >= 0
    last_month = np.where(reactivated, co.months - 1, last_month)
    first_month = np.maximum(co.start_month[account], last_month - 18)
    set_month = first_month + np.floor(rng.random(k) * (last_month - first_month + 1)).astype(np.int64)
    due_month = set_month + rng.integers(6, 16, k)
    due_date = _month_start(co, due_month) + rng.integers(0, 28, k).astype("timedelta64[D]")
    as_of = co.months - 1
    elapsed = np.clip((as_of - set_month) / np.maximum(due_month - set_month, 1), 0, 1)
    reached = (current - target) * np.sign(target - baseline) >= 0
    status = np.where(
        reached, "achieved",
        np.where(due_month <= as_of, "missed", np.where(progress < elapsed - 0.15, "at risk", "on track")),
    )
    names = np.array([g[0] for g in _GOALS], dtype=object)
    metrics = np.array([g[1] for g in _GOALS], dtype=object)
    return pd.DataFrame({
        "account_id": _str_column(account, co.ids),
        "goal": pd.Series(names[template], dtype="str"),
        "metric": pd.Series(metrics[template], dtype="str"),
        "baseline": baseline,
        "target": target,
        "current": current,
        "due_date": due_date,
        "status": pd.Series(status, dtype="str"),
    })


def generate(
    n_accounts: int = 1000,
    months: int = 36,
    end_month: str = "2026-10",
    seed: int = DEFAULT_SEED,
) -> dict[str, pd.DataFrame]:
    """The sample company as canonical tables (see ``docs/architecture.md``).

    Returns ``{"accounts", "mrr", "usage", "tickets", "nps", "goals"}``; the MRR window
    is the ``months`` calendar months ending with ``end_month`` (the as-of month).
    ``mrr`` is long (one row per account and month with MRR > 0; a missing row is 0),
    ``month`` the first day of the month; ``usage`` has one row per account and week
    (``date`` = the Monday) while the account pays. Same arguments, same tables.
    """
    co = _simulate(n_accounts, months, end_month, seed)
    return {
        "accounts": _accounts(co, seed),
        "mrr": _mrr(co),
        "usage": _usage(co, seed),
        "tickets": _tickets(co, seed),
        "nps": _nps(co, seed),
        "goals": _goals(co, seed),
    }


_XLSX_SHEETS = {
    "accounts": ("客户", {
        "account_id": "客户ID", "account_name": "客户名称", "segment": "客户分层", "industry": "行业",
        "region": "地区", "plan": "套餐", "owner": "负责人", "start_date": "签约日期",
        "renewal_date": "续约日期", "churn_date": "流失日期", "status": "客户状态",
        "arr": "年度合同金额", "mrr": "月度收入", "seats": "席位数", "manual_health": "健康度(人工)",
        "domain": "域名",
    }),
    "tickets": ("工单", {
        "ticket_id": "工单编号", "account_id": "客户ID", "created_at": "创建时间", "resolved_at": "解决时间",
        "priority": "优先级", "priority_rank": "优先级序号", "status": "状态", "satisfaction": "满意度",
        "first_response_minutes": "首次响应时长(分钟)",
    }),
    "nps": ("NPS调查", {
        "account_id": "客户ID", "date": "日期", "score": "评分", "comment": "评论", "respondent": "答卷人",
    }),
    "goals": ("目标", {
        "account_id": "客户ID", "goal": "目标", "metric": "指标", "baseline": "基线", "target": "目标值",
        "current": "当前值", "due_date": "截止日期", "status": "状态",
    }),
}
_OUTPUT_FILES = ("accounts.csv", "mrr.csv", "usage.csv", "tickets.csv", "nps.csv", "goals.csv",
                 "sample_company_zh.xlsx")


def monthly_usage(usage: pd.DataFrame) -> pd.DataFrame:
    """Weekly usage rolled up to calendar months (``date`` = first day of the month).

    active_users = mean of the weekly active users (1 decimal), seats = the most seats
    of the month, events and reports_created = sums over the weeks dated in the month.
    """
    month = usage["date"].dt.to_period("M").dt.to_timestamp()
    grouped = usage.assign(date=month).groupby(["account_id", "date"], sort=True, observed=True)
    out = grouped.agg(
        active_users=("active_users", "mean"), seats=("seats", "max"),
        events=("events", "sum"), reports_created=("reports_created", "sum"),
    ).reset_index()
    out["active_users"] = out["active_users"].round(1)
    return out


def _csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Dates as YYYY-MM-DD, timestamps as YYYY-MM-DD HH:MM:SS, whole numbers without '.0'."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            has_time = bool((s.dropna() != s.dropna().dt.normalize()).any())
            fmt = "%Y-%m-%d %H:%M:%S" if has_time or col.endswith("_at") else "%Y-%m-%d"
            out[col] = s.dt.strftime(fmt)
        elif pd.api.types.is_float_dtype(s) and col not in ("arr", "mrr") and bool(
            (s.dropna() == s.dropna().round()).all()
        ):
            out[col] = s.astype("Int64")
    return out


def _python_cell(value):
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime() if (value.hour or value.minute or value.second) else value.date()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _sheet_rows(df: pd.DataFrame) -> list[list]:
    cols = []
    for name in df.columns:
        s = df[name]
        if pd.api.types.is_datetime64_any_dtype(s):
            timed = name.endswith("_at")
            cols.append([None if pd.isna(v) else (v.to_pydatetime() if timed else v.date()) for v in s])
        else:
            cols.append([_python_cell(v) for v in s.astype(object)])
    return [list(row) for row in zip(*cols)]


def _wide_mrr(tables: dict[str, pd.DataFrame]) -> tuple[list[str], list[list]]:
    """MRR as a finance sheet: one row per account, one column per month (2024年1月); empty = 0."""
    mrr = tables["mrr"]
    months = pd.DatetimeIndex(sorted(mrr["month"].unique()))
    if len(months):
        months = pd.date_range(months.min(), months.max(), freq="MS")
    wide = mrr.pivot_table(index="account_id", columns="month", values="mrr", aggfunc="sum")
    wide = wide.reindex(columns=months)
    names = tables["accounts"].set_index("account_id")["account_name"]
    header = ["客户ID", "客户名称"] + [f"{m.year}年{m.month}月" for m in months]
    rows = []
    values = wide.to_numpy()
    for i, account in enumerate(wide.index):
        cells = [None if np.isnan(v) else float(v) for v in values[i]]
        rows.append([str(account), _python_cell(names.get(account))] + cells)
    return header, rows


def _normalised_xlsx(raw: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite an XLSX (a zip) with fixed entry times and document timestamps, so the
    same workbook content always gives the same bytes (openpyxl stamps 'now')."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)", rf"\g<1>{iso}\g<3>", text)
                data = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data, compresslevel=6)
    return out.getvalue()


def _write_xlsx(path: Path, tables: dict[str, pd.DataFrame]) -> None:
    from openpyxl import Workbook

    months = tables["mrr"]["month"]
    stamp = (months.max() + pd.offsets.MonthBegin(1)).to_pydatetime() if len(months) else dt.datetime(2000, 1, 1)
    wb = Workbook(write_only=True)
    wb.properties.creator = "Polaris sample data"
    wb.properties.created = stamp
    wb.properties.modified = stamp

    def add(title: str, header: list[str], rows: list[list]) -> None:
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append(row)

    name, headers = _XLSX_SHEETS["accounts"]
    add(name, list(headers.values()), _sheet_rows(tables["accounts"][list(headers)]))
    add("月度收入", *_wide_mrr(tables))
    for kind in ("tickets", "nps", "goals"):
        name, headers = _XLSX_SHEETS[kind]
        add(name, list(headers.values()), _sheet_rows(tables[kind][list(headers)]))
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_normalised_xlsx(buffer.getvalue(), stamp))


def export_files(out_dir: str | Path, tables: dict[str, pd.DataFrame] | None = None) -> list[Path]:
    """Write the sample company as files a CS team would export.

    English CSVs with canonical headers (accounts, mrr (long), usage (monthly roll-up of
    the weekly rows, see `monthly_usage`), tickets, nps, goals) and
    ``sample_company_zh.xlsx`` with Chinese headers: sheets 客户, 月度收入 (wide, one
    column a month), 工单, NPS调查, 目标 (usage stays in the CSV: as cells it would double
    the workbook). The same tables give the same bytes.
    Returns the paths written.
    """
    tables = generate() if tables is None else tables
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    usage_monthly = monthly_usage(tables["usage"])
    csv_tables = {
        "accounts": tables["accounts"], "mrr": tables["mrr"], "usage": usage_monthly,
        "tickets": tables["tickets"], "nps": tables["nps"], "goals": tables["goals"],
    }
    paths = []
    for kind, df in csv_tables.items():
        path = out / f"{kind}.csv"
        _csv_ready(df).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        paths.append(path)
    xlsx = out / "sample_company_zh.xlsx"
    _write_xlsx(xlsx, tables)
    paths.append(xlsx)
    return paths
