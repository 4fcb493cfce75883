"""Values: detecting each column's format on a sample, then typing the whole column in SQL.

Detection runs DuckDB's own parsers (``try_strptime``, ``TRY_CAST``) over the sample (up to
2,000 rows) so that what is detected is exactly what the full-file SQL will accept. Typing is
one SQL expression per column (:func:`typed_sql`), evaluated by DuckDB over all rows at once;
a raw value that is not empty but types to NULL is an unreadable value, reported with its row.

Dates: a short list of strptime formats per column (greedy cover of the sample), then ISO
(``TRY_CAST``), then Excel serial numbers if the sample had them. Day/month order: when both
orders read every sample value (no first or second part above 12) the column is
*ambiguous* and the user is asked; otherwise the order that reads the values is used and the
report says so.

Money and numbers: currency symbols and codes, spaces and thousands separators removed;
``(1,200)`` is negative; a trailing ``%`` divides by 100 (45% -> 0.45); decimal comma
(``1.234,56``) when the sample shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import duckdb

# Date parts: (strptime format, day/month order or None).
DATE_PARTS: tuple[tuple[str, str | None], ...] = (
    ("%Y-%m-%d", None), ("%Y/%m/%d", None), ("%Y.%m.%d", None), ("%Y年%m月%d日", None), ("%Y%m%d", None),
    ("%d.%m.%Y", "dmy"), ("%m.%d.%Y", "mdy"), ("%d/%m/%Y", "dmy"), ("%m/%d/%Y", "mdy"),
    ("%d-%m-%Y", "dmy"), ("%m-%d-%Y", "mdy"),
    ("%d.%m.%y", "dmy"), ("%m.%d.%y", "mdy"), ("%d/%m/%y", "dmy"), ("%m/%d/%y", "mdy"),
    ("%d-%m-%y", "dmy"), ("%m-%d-%y", "mdy"),
    ("%d %b %Y", None), ("%d %B %Y", None), ("%b %d, %Y", None), ("%B %d, %Y", None), ("%b %d %Y", None),
    ("%d-%b-%Y", None), ("%d-%b-%y", None), ("%d/%b/%Y", None), ("%Y-%b-%d", None),
)
TIME_PARTS = ("", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f", "T%H:%M", "T%H:%M:%S", "T%H:%M:%S.%f",
              "T%H:%M:%SZ", "T%H:%M:%S.%fZ", " %I:%M %p", " %I:%M:%S %p", " %H时%M分", " %H:%M:%S UTC")
MONTH_PARTS: tuple[tuple[str, str | None], ...] = (
    ("%Y-%m", None), ("%Y/%m", None), ("%Y.%m", None), ("%Y年%m月", None), ("%b %Y", None), ("%B %Y", None),
    ("%b-%y", None), ("%b-%Y", None), ("%b %y", None), ("%b'%y", None), ("%m/%Y", None), ("%m-%Y", None),
    ("%m.%Y", None), ("%Y%m", None), ("%Y-%b", None), ("%Y %b", None), ("%B-%y", None),
)
# Excel serial day numbers accepted as dates: 1954-10-03 .. 2119-01-09.
SERIAL_MIN, SERIAL_MAX = 20000, 80000
# Parsed dates outside this range are misreadings (``%Y`` also reads ``1`` as year 1).
DATE_RANGE = "TIMESTAMP '1900-01-01' AND TIMESTAMP '2200-12-31 23:59:59'"
SERIAL_RE = re.compile(r"^\d{5}(\.\d+)?$")

# RE2 class of what is stripped from money before casting: currency codes and symbols, spaces
# (incl. no-break and narrow no-break) and apostrophes used as thousands separators.
CURRENCY_RE = (r"(us\$|hk\$|nt\$|a\$|c\$|s\$|usd|rmb|cny|eur|gbp|hkd|jpy|aud|cad|sgd|twd|inr|krw|chf|"
               r"元|[$¥￥€£₩₹\s\x{00a0}\x{202f}'’])")

TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "对", "√", "✓", "✔", "on", "checked", "有", "真", "x")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "不是", "错", "×", "✗", "off", "unchecked", "无", "假")

STATUS_WORDS = {
    "active": ("active", "live", "customer", "paying", "current", "ok", "normal", "healthy", "at risk",
               "at-risk", "risk", "trial", "trialing", "renewed", "正常", "活跃", "在用", "使用中", "预警",
               "合作中", "有效", "已续约", "续约", "试用", "风险"),
    "churned": ("churned", "churn", "cancelled", "canceled", "lost", "inactive", "terminated", "closed",
                "closed lost", "ended", "expired", "former customer", "former", "已流失", "流失", "已取消",
                "已终止", "终止", "停用", "已停用", "已过期", "过期", "取消", "已解约", "解约"),
    "notice": ("notice", "cancelling", "canceling", "pending cancellation", "pending churn", "non-renewing",
               "non renewing", "not renewing", "churning", "notice given", "即将到期", "即将流失", "待流失",
               "不续约", "解约中", "已提出解约", "待解约"),
}
HEALTH_WORDS = {
    "red": ("red", "r", "poor", "bad", "at risk", "critical", "红", "红色", "差", "危险"),
    "yellow": ("yellow", "amber", "orange", "medium", "fair", "neutral", "warning", "黄", "黄色", "中", "一般", "橙"),
    "green": ("green", "g", "good", "healthy", "绿", "绿色", "好", "健康", "良好"),
}
PRIORITY_WORDS = {
    1: ("urgent", "p1", "p0", "critical", "highest", "blocker", "sev1", "sev 1", "s1", "紧急", "最高", "严重",
        "特急", "非常紧急"),
    2: ("high", "p2", "sev2", "sev 2", "s2", "major", "高", "重要", "较高"),
    3: ("normal", "medium", "p3", "sev3", "sev 3", "s3", "moderate", "standard", "中", "普通", "一般", "中等"),
    4: ("low", "p4", "p5", "sev4", "sev 4", "s4", "minor", "lowest", "trivial", "低", "较低", "最低"),
}
CLOSED_WORDS = ("solved", "closed", "resolved", "done", "complete", "completed", "fixed", "已解决", "已关闭",
                "关闭", "已完成", "完成", "已处理", "解决")
SATISFACTION_GOOD = ("good", "satisfied", "positive", "happy", "great", "满意", "好评", "非常满意", "好", "👍")
SATISFACTION_BAD = ("bad", "unsatisfied", "dissatisfied", "negative", "unhappy", "不满意", "差评", "差", "👎")
SATISFACTION_NONE = ("offered", "not offered", "unoffered", "not_offered", "unanswered", "n/a", "na", "-",
                     "未评价", "未邀请", "已邀请", "未回复")
INTERVAL_MONTHS = {
    1.0: ("month", "monthly", "mo", "m", "1m", "per month", "月", "月付", "按月", "每月", "月度"),
    3.0: ("quarter", "quarterly", "q", "3m", "季", "季度", "按季", "季付", "按季度"),
    6.0: ("half-year", "half year", "semiannual", "semi-annual", "6m", "半年", "半年付"),
    12.0: ("year", "yearly", "annual", "annually", "y", "yr", "12m", "年", "年付", "按年", "每年", "年度"),
    12.0 / 52.0: ("week", "weekly", "wk", "周", "每周", "按周"),
}


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def _in_list(words: tuple[str, ...]) -> str:
    return "(" + ", ".join(lit(w) for w in words) + ")"


@dataclass
class DateSpec:
    """How a date column is read: strptime formats in order, Excel serials, day/month order.

    ``ambiguous``: the sample reads in both orders (``formats`` then use the default or the
    user's answer and ``alt_formats`` the other order). ``decided``: the sample showed the
    order (a part above 12), so it was chosen automatically.
    """

    formats: list[str] = field(default_factory=list)
    serial: bool = False
    order: str | None = None
    ambiguous: bool = False
    decided: bool = False
    alt_formats: list[str] = field(default_factory=list)
    unparsed: int = 0
    example: str | None = None
    evidence: str | None = None


@dataclass
class NumberSpec:
    """How a number column is read: decimal comma (``1.234,56``) or point."""

    decimal_comma: bool = False


def _date_candidates(values: list[str], month: bool) -> list[tuple[str, str | None]]:
    has_colon = any(":" in v or "时" in v for v in values)
    has_t = any("T" in v for v in values)
    has_ampm = any(re.search(r"[ap]\.?m\.?$", v, re.I) for v in values)
    times = [tp for tp in TIME_PARTS
             if tp == "" or (has_colon and (("T" in tp) == has_t or not has_t)
                             and ("%p" not in tp or has_ampm))]
    out = []
    if month:
        out.extend(MONTH_PARTS)
    for fmt, order in DATE_PARTS:
        for tp in times:
            out.append((fmt + tp, order))
    return out


_SHAPES = {"%Y": r"\d{1,4}", "%m": r"\d{1,2}", "%d": r"\d{1,2}", "%y": r"\d{1,2}", "%H": r"\d{1,2}",
           "%I": r"\d{1,2}", "%M": r"\d{1,2}", "%S": r"\d{1,2}", "%f": r"\d{1,9}", "%b": r"[^\W\d_]{3,4}\.?",
           "%B": r"[^\W\d_]+", "%p": r"[AaPp]\.?[Mm]\.?"}


@lru_cache(maxsize=None)
def _shape(fmt: str) -> re.Pattern[str]:
    """A regex a value must match (per line) for strptime ``fmt`` to have a chance: a cheap
    pre-filter so that only plausible formats are tried by DuckDB."""
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%" and fmt[i:i + 2] in _SHAPES:
            out.append(_SHAPES[fmt[i:i + 2]])
            i += 2
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$", re.M | re.I)


def _swap(fmt: str) -> str:
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def detect_date(con: duckdb.DuckDBPyConnection, values: list[str], *, month: bool = False,
                default_order: str | None = None, forced_order: str | None = None) -> DateSpec:
    """Formats reading the sample ``values`` (non-empty strings), chosen by greedy cover.

    ``forced_order`` ('dmy'/'mdy') is the user's answer for an ambiguous column;
    ``default_order`` applies when the sample cannot decide (None: by separator, '.' and
    '-' day first, '/' month first).
    """
    distinct = sorted(set(values))
    spec = DateSpec()
    if not distinct:
        return spec
    if _plain_iso_dates(distinct):
        # What the search below finds for such a sample, without running it.
        spec.formats = ["%Y-%m-%d"]
        return spec
    serials = {i for i, v in enumerate(distinct) if SERIAL_RE.match(v) and SERIAL_MIN <= float(v) <= SERIAL_MAX}
    spec.serial = bool(serials)
    rest = [v for i, v in enumerate(distinct) if i not in serials]
    if not rest:
        return spec
    cands = [c for c in _date_candidates(rest, month) if _shape(c[0]).search("\n".join(rest))]
    if not cands:
        spec.unparsed = len(rest)
        spec.example = rest[0]
        return spec
    select = ", ".join(f"list(i) FILTER (WHERE try_strptime(v, {lit(f)}) BETWEEN {DATE_RANGE})" for f, _ in cands)
    row = con.execute(f"SELECT {select} FROM (SELECT unnest($v) AS v, generate_subscripts($v, 1) AS i)",
                      {"v": rest}).fetchone()
    covers = [set(x or []) for x in row]
    remaining = set(range(1, len(rest) + 1))
    chosen: list[int] = []
    order: str | None = None
    while remaining:
        best, gain = None, 0
        for k, (fmt, o) in enumerate(cands):
            if order is not None and o is not None and o != order:
                continue
            g = len(covers[k] & remaining)
            if g > gain:
                best, gain = k, g
        if best is None:
            break
        chosen.append(best)
        remaining -= covers[best]
        order = order or cands[best][1]
    spec.unparsed = len(remaining)
    if remaining:
        spec.example = rest[min(remaining) - 1]
    if order is not None:
        ordered = [k for k in chosen if cands[k][1] is not None]
        partner = {f: k for k, (f, _) in enumerate(cands)}
        mine = set().union(*(covers[k] for k in ordered))
        theirs = set().union(*(covers[partner[_swap(cands[k][0])]] for k in ordered if _swap(cands[k][0]) in partner))
        if mine == theirs:
            spec.ambiguous = True
            if forced_order:
                order = forced_order
            else:
                sep = next((c for c in cands[ordered[0]][0] if c in "./-"), "/")
                order = default_order or ("mdy" if sep == "/" else "dmy")
        else:
            spec.decided = True
    formats = []
    for k in chosen:
        fmt, o = cands[k]
        if o is not None and o != order:
            fmt = _swap(fmt)
        formats.append(fmt)
    spec.formats = formats
    spec.order = order
    if spec.ambiguous:
        spec.alt_formats = [_swap(f) if (cands[k][1] is not None) else f for f, k in zip(formats, chosen)]
    return spec


def date_parse_sql(r: str, spec: DateSpec, formats: list[str] | None = None) -> str:
    """SQL parsing raw text ``r`` to TIMESTAMP: the column's formats first (the fast path, one
    ``try_strptime`` per row); only the rows that fail are trimmed and tried as ISO text and,
    if the sample had them, as Excel serial numbers."""
    fmts = spec.formats if formats is None else formats
    listed = f"[{', '.join(lit(f) for f in fmts)}]"
    x = f"trim({r})"
    slow = [f"try_strptime({x}, {listed})"] if fmts else []
    slow.append(f"TRY_CAST({x} AS TIMESTAMP)")
    if spec.serial:
        slow.append(
            f"CASE WHEN regexp_full_match({x}, '\\d{{5}}(\\.\\d+)?') AND TRY_CAST({x} AS DOUBLE) "
            f"BETWEEN {SERIAL_MIN} AND {SERIAL_MAX} THEN TIMESTAMP '1899-12-30' + "
            f"to_microseconds(CAST(round(TRY_CAST({x} AS DOUBLE) * 86400000000) AS BIGINT)) END")
    slow_sql = slow[0] if len(slow) == 1 else f"COALESCE({', '.join(slow)})"
    if not fmts:
        return slow_sql
    fast = f"try_strptime({r}, {listed})"
    # CASE evaluates the slow branch only for rows the fast one did not read (COALESCE would not).
    return f"(CASE WHEN {fast} IS NOT NULL THEN {fast} ELSE {slow_sql} END)"


def date_finish_sql(p: str, out: str, raw: str | None = None) -> str:
    """A parsed TIMESTAMP ``p`` checked against the plausible range, cast to ``out``
    (DATE, TIMESTAMP, or MONTH = the first day of its month as DATE).

    With the raw text ``raw``: DuckDB's strptime reads words such as 'infinity' or 'epoch'
    as 1900-01-01 00:00, so that value counts only when the text says 1900."""
    guard = f" AND ({p} <> TIMESTAMP '1900-01-01' OR contains({raw}, '1900'))" if raw else ""
    checked = f"(CASE WHEN {p} BETWEEN {DATE_RANGE}{guard} THEN {p} END)"
    if out == "MONTH":
        return f"CAST(date_trunc('month', {checked}) AS DATE)"
    return f"CAST({checked} AS {out})"


def date_sql(r: str, spec: DateSpec, out: str = "DATE", formats: list[str] | None = None) -> str:
    """SQL typing raw text ``r`` to ``out`` (DATE, TIMESTAMP or MONTH = first day, DATE)."""
    return date_finish_sql(date_parse_sql(r, spec, formats), out, r)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PLAIN_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def native_type(ctype: str, values: list[str]) -> str | None:
    """The DuckDB type the CSV reader can parse this column as directly, or None.

    Only for plain forms every sample value has (ISO dates, ``1234.5`` numbers): the reader
    then types the column itself, which is much faster than SQL on text. A later value it
    cannot read makes the read fail and the column is typed in SQL instead.
    """
    if not values:
        return None
    if ctype in ("money", "number") and all(_PLAIN_NUMBER.match(v) for v in values):
        return "DOUBLE"
    if ctype in ("date", "month", "timestamp"):
        if all(_ISO_DATE.match(v) for v in values):
            return "DATE" if ctype != "timestamp" else "TIMESTAMP"
        if all(_ISO_TIMESTAMP.match(v) for v in values):
            return "TIMESTAMP"
    return None


_DC = (re.compile(r"\d\.\d{3},"), re.compile(r"\d\.\d{3}\.\d{3}"), re.compile(r"^\D*-?\d+,\d{1,2}\D*$"),
       re.compile(r"\d,\d+\s*€"))
_DP = (re.compile(r"\d,\d{3}\."), re.compile(r"\d,\d{3},\d{3}"), re.compile(r"^\D*-?\d+\.\d{1,2}\D*$"))


def _plain_iso_dates(values: list[str]) -> bool:
    """Every value a real ``YYYY-MM-DD`` date within the plausible range (1900–2200): the
    sample that only ``%Y-%m-%d`` reads, without day/month question or Excel serials."""
    for v in values:
        if not _PLAIN_ISO_DATE.fullmatch(v):
            return False
        try:
            year = date(int(v[:4]), int(v[5:7]), int(v[8:10])).year
        except ValueError:
            return False
        if not 1900 <= year <= 2200:
            return False
    return True


def detect_number(values: list[str]) -> NumberSpec:
    """Decimal comma when more sample values show it (``1.234,56``, ``12,5``) than a point."""
    if not any("," in v for v in values):
        # Every decimal-comma shape has a comma.
        return NumberSpec()
    comma = sum(1 for v in values if any(p.search(v) for p in _DC))
    point = sum(1 for v in values if any(p.search(v) for p in _DP))
    return NumberSpec(decimal_comma=comma > point)


def number_sql(r: str, spec: NumberSpec) -> str:
    """SQL typing raw text ``r`` to DOUBLE (see module docstring).

    Plain numbers take the fast path (one cast); only the others are cleaned of currency,
    separators and brackets, so a column of plain numbers costs one cast per value.
    """
    cleaned = f"regexp_replace(replace({r}, '−', '-'), {lit(CURRENCY_RE)}, '', 'gi')"
    if spec.decimal_comma:
        s = f"replace(replace({cleaned}, '.', ''), ',', '.')"
    else:
        s = f"replace({cleaned}, ',', '')"
    slow = (f"(CASE WHEN {s} LIKE '(%)' THEN -1.0 ELSE 1.0 END) * "
            f"TRY_CAST(replace(replace(replace({s}, '(', ''), ')', ''), '%', '') AS DOUBLE) / "
            f"(CASE WHEN {s} LIKE '%\\%%' ESCAPE '\\' THEN 100.0 ELSE 1.0 END)")
    if spec.decimal_comma:
        return f"({slow})"
    fast = f"TRY_CAST({r} AS DOUBLE)"
    return f"(CASE WHEN {fast} IS NOT NULL THEN {fast} ELSE {slow} END)"


def score_sql(n: str) -> str:
    """A parsed number ``n`` as a whole-number INTEGER score, NULL when it has a fraction."""
    return f"(CASE WHEN {n} = floor({n}) AND abs({n}) < 2147483647 THEN CAST({n} AS INTEGER) END)"


def bool_sql(r: str) -> str:
    return (f"(CASE WHEN lower({r}) IN {_in_list(TRUE_WORDS)} THEN TRUE "
            f"WHEN lower({r}) IN {_in_list(FALSE_WORDS)} THEN FALSE END)")


def _word_case(r: str, table: dict, cast: str = "VARCHAR") -> str:
    whens = " ".join(f"WHEN lower({r}) IN {_in_list(words)} THEN {lit(value) if cast == 'VARCHAR' else value}"
                     for value, words in table.items())
    return f"(CASE {whens} END)"


def status_sql(r: str) -> str:
    """'active' / 'churned' / 'notice' from the many spellings of an account's status."""
    return _word_case(r, STATUS_WORDS)


def health_sql(r: str) -> str:
    return _word_case(r, HEALTH_WORDS)


def priority_rank_sql(r: str) -> str:
    """1 urgent/P1/紧急, 2 high/P2/高, 3 normal/medium/P3/中, 4 low/P4/低."""
    return _word_case(r, PRIORITY_WORDS, cast="INTEGER")


def ticket_status_sql(r: str) -> str:
    """'closed' for solved/closed/resolved/已解决/已关闭 …, 'open' for any other status."""
    return f"(CASE WHEN {r} IS NULL THEN NULL WHEN lower({r}) IN {_in_list(CLOSED_WORDS)} THEN 'closed' ELSE 'open' END)"


def satisfaction_sql(r: str, spec: NumberSpec) -> str:
    """Numbers kept as they are; Good = 1, Bad = 0; Offered / Not Offered = NULL."""
    return (f"(CASE WHEN lower({r}) IN {_in_list(SATISFACTION_GOOD)} THEN 1.0 "
            f"WHEN lower({r}) IN {_in_list(SATISFACTION_BAD)} THEN 0.0 "
            f"WHEN lower({r}) IN {_in_list(SATISFACTION_NONE)} THEN NULL ELSE {number_sql(r, spec)} END)")


def satisfaction_blank_sql(r: str) -> str:
    """Raw values that mean 'no rating' (not an unreadable value)."""
    return f"lower({r}) IN {_in_list(SATISFACTION_NONE)}"


def interval_months_sql(r: str) -> str:
    """Months in a billing interval: month 1, quarter 3, half-year 6, year 12, week 12/52."""
    whens = " ".join(f"WHEN lower({r}) IN {_in_list(words)} THEN CAST({months!r} AS DOUBLE)"
                     for months, words in INTERVAL_MONTHS.items())
    return f"(CASE {whens} END)"
