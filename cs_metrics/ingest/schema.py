"""The canonical tables as the ingest sees them: fields, their value types and the headers
(English and Chinese) that name them in real exports; kind detection and column mapping.

A header is compared in a normalised form: NFKC (full-width -> half-width), lower case, any
parenthesised unit removed (``ARR (USD)`` -> ``arr``, ``年合同金额(元)`` -> ``年合同金额``),
then everything but letters, digits and CJK characters removed. A field matches a header when
the normalised header equals one of the field's synonyms (normalised the same way) or, failing
that, matches one of the field's patterns.

Special mapping targets:

* ``_source_key`` - another system's key or a company name (billing customer ID, helpdesk
  organisation); ``account_id`` is then filled by account matching.
* ``month:YYYY-MM`` - one month column of a wide MRR sheet (unpivoted to rows).
* ``""`` - keep as an extra column (sanitised snake_case name); never dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

KINDS = ("accounts", "mrr", "subscriptions", "usage", "tickets", "nps", "goals")
SOURCE_KEY = "_source_key"
MONTH_PREFIX = "month:"
RESERVED = {"_source_key", "_source_file", "_row", "_bad"}


@dataclass(frozen=True)
class Field:
    """One canonical column: name, value type, whether required, how strongly it suggests the kind."""

    name: str
    ctype: str
    synonyms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    required: bool = False
    weight: float = 1.0


# Traditional characters of common headers -> simplified, so Big5 exports (客戶名稱) match.
_TRAD = str.maketrans(
    "戶稱屬業負責簽約額狀態點編號經續價數單間產終標當實際員組織類區評論見滿時創決關閉優級顧問訂閱計費週試開結務線動躍帳賬統註備聯繫電話郵積報幣種營銷勢風險",
    "户称属业负责签约额状态点编号经续价数单间产终标当实际员组织类区评论见满时创决关闭优级顾问订阅计费周试开结务线动跃账账统注备联系电话邮积报币种营销势风险")


def norm_header(header: object) -> str:
    """Normalised header used for matching (see module docstring)."""
    text = unicodedata.normalize("NFKC", str(header if header is not None else "")).lower().strip()
    text = text.translate(_TRAD).replace("合约", "合同")
    text = re.sub(r"\([^()]*\)", "", text)
    text = re.sub(r"\[[^\[\]]*\]", "", text)
    return re.sub(r"[^0-9a-z\u3400-\u9fff]+", "", text)


def _f(name: str, ctype: str, syns: str, *, patterns: tuple[str, ...] = (), required: bool = False,
       weight: float = 1.0) -> Field:
    return Field(name, ctype, tuple(norm_header(s) for s in syns.split("|") if s.strip()),
                 patterns, required, weight)


# The key of an account in the CRM; in accounts files also any "customer ID".
_ACCOUNT_ID = ("account id|account_id|accountid|acct id|account number|account no|account code|"
               "crm id|crm account id|salesforce id|sfdc id|客户id|客户编号|客户编码|客户代码|客户号|"
               "账户id|帐户id|账户编号|客户账号")
# Another system's key or a company name, most specific first.
_SOURCE_KEY = ("customer id|billing customer id|customer number|customer no|client id|erp code|erp id|"
               "company id|org id|organization id|organisation id|customer code|"
               "customer|customer name|client|client name|company|company name|organization|"
               "organisation|org|org name|organization name|account|account name|"
               "客户|客户名称|客户名|公司|公司名称|企业名称|单位名称|组织|客户全称")

_KEY = _f("account_id", "key", _ACCOUNT_ID, required=True, weight=1.0)
_SRC = _f(SOURCE_KEY, "key", _SOURCE_KEY, weight=0.5)

FIELDS: dict[str, tuple[Field, ...]] = {
    "accounts": (
        _f("account_id", "key", _ACCOUNT_ID + "|customer id|customer number|customer no|client id|"
           "company id|id|客户代码", required=True, weight=2.0),
        _f("account_name", "text", "account name|name|customer name|customer|company|company name|"
           "organization|organisation|client|client name|客户名称|公司名称|客户名|企业名称|名称|客户全称", weight=1.5),
        _f("segment", "text", "segment|tier|customer segment|customer tier|分群|客户分层|客户等级|细分市场|客户分级"),
        _f("industry", "text", "industry|vertical|sector|行业|所属行业|行业类别"),
        _f("region", "text", "region|territory|geo|sales region|区域|地区|大区|所属区域"),
        _f("plan", "text", "plan|edition|package|product plan|套餐|版本|产品版本", weight=0.5),
        _f("owner", "text", "owner|account owner|csm|customer success manager|cs owner|cs manager|"
           "account manager|am|负责人|客户成功经理|客户经理|csm负责人|客户负责人", weight=1.5),
        _f("start_date", "date", "start date|customer since|signed date|sign date|contract start|"
           "contract start date|since|close date|签约日期|开始日期|合同开始日期|首次签约日期|成为客户日期", weight=1.5),
        _f("renewal_date", "date", "renewal date|contract end date|contract end|end date|expiry date|"
           "expiration date|next renewal|next renewal date|renewal|续约日期|合同到期日|到期日|到期日期|"
           "合同结束日期|续费日期", weight=2.0),
        _f("churn_date", "date", "churn date|churned on|churned date|churned at|cancel date|"
           "cancellation date|lost date|流失日期|流失时间|取消日期", weight=2.0),
        _f("status", "status", "status|account status|customer status|lifecycle status|客户状态|状态", weight=1.0),
        _f("arr", "money", "arr|annual recurring revenue|acv|annual contract value|contract value|"
           "年合同金额|合同金额|年收入|年度合同额|年合同额|arr金额", weight=1.5),
        _f("mrr", "money", "mrr|monthly recurring revenue|monthly revenue|月收入|月经常性收入|月度收入", weight=1.0),
        _f("seats", "number", "seats|licenses|licences|seats purchased|licensed seats|席位|席位数|账号数", weight=0.5),
        _f("manual_health", "health", "health|health status|csm health|manual health|rag|rag status|"
           "health score|健康度|健康状态|健康", weight=2.0),
        _f("domain", "text", "domain|website|web site|url|域名|官网|网址"),
        _f("tenure_months", "number", "tenure months|tenure|合作月数|客户年限月"),
    ),
    "mrr": (
        _KEY, _SRC,
        _f("month", "month", "month|period|billing month|revenue month|month start|月份|月|期间|账期|收入月份",
           required=True, weight=3.0),
        _f("mrr", "money", "mrr|amount|revenue|monthly revenue|mrr amount|monthly recurring revenue|"
           "金额|收入|月收入|月经常性收入|mrr金额", required=True, weight=3.0),
    ),
    "subscriptions": (
        _KEY, _SRC,
        _f("subscription_id", "text", "id|subscription id|sub id|subscription|subscription number|"
           "订阅id|订阅编号|合同编号|订阅号", weight=1.5),
        _f("start_date", "date", "start|start date|started at|start at|subscription start|"
           "current period start|开始日期|生效日期|开始时间|订阅开始日期", required=True, weight=2.0),
        _f("end_date", "date", "end|end date|ended at|ends at|cancelled at|canceled at|"
           "subscription end|结束日期|终止日期|结束时间|订阅结束日期", weight=2.0),
        _f("mrr", "money", "mrr|monthly amount|monthly recurring revenue|月费|月经常性收入|月收入", weight=2.0),
        _f("arr", "money", "arr|annual amount|annual recurring revenue|年费|年收入", weight=1.0),
        _f("amount", "money", "amount|price|unit amount|unit price|plan amount|金额|单价|价格", weight=3.0),
        _f("quantity", "number", "quantity|qty|units|数量", weight=3.0),
        _f("interval", "interval", "interval|billing interval|billing period|billing cycle|period|"
           "frequency|计费周期|付费周期|周期", weight=3.0),
        _f("interval_count", "number", "interval count|billing interval count|周期数"),
        _f("plan", "text", "plan|plan name|product|price name|套餐|版本|产品", weight=1.0),
        _f("seats", "number", "seats|licenses|licences|席位|席位数", weight=0.5),
        _f("is_trial", "bool", "trial|is trial|trial flag|is_trial|试用|是否试用", weight=1.0),
        _f("status", "lower_text", "status|subscription status|状态|订阅状态", weight=0.5),
    ),
    "usage": (
        _KEY, _SRC,
        _f("date", "date", "date|week|week start|week_start|week starting|day|month|period|"
           "activity date|日期|周|周开始|周开始日期|月份", required=True, weight=2.0),
        _f("active_users", "number", "active users|wau|mau|dau|weekly active users|monthly active users|"
           "daily active users|活跃用户|活跃用户数|周活|月活|日活", weight=3.0),
        _f("seats", "number", "seats|seats purchased|licensed seats|licenses|purchased seats|席位|购买席位|席位数",
           weight=1.0),
        _f("events", "number", "events|event count|actions|事件|事件数", weight=2.0),
        _f("feature", "text", "feature|feature name|功能|功能名称", weight=1.0),
    ),
    "tickets": (
        _KEY, _SRC,
        _f("ticket_id", "text", "id|ticket id|ticket|ticket number|ticket no|case number|case id|"
           "工单号|工单编号|工单id", weight=1.5),
        _f("created_at", "timestamp", "created at|created|created date|opened|opened at|date opened|"
           "request date|创建时间|创建日期|提交时间|报障时间", required=True, weight=2.0),
        _f("resolved_at", "timestamp", "solved at|resolved at|closed at|resolved|solved|closed|"
           "resolution date|date closed|解决时间|关闭时间|完成时间", weight=2.5),
        _f("priority", "priority", "priority|severity|urgency|优先级|紧急程度|严重程度", weight=2.5),
        _f("status", "ticket_status", "status|ticket status|状态|工单状态", weight=0.5),
        _f("satisfaction", "satisfaction", "satisfaction|satisfaction score|satisfaction rating|csat|"
           "csat score|满意度|满意度评分|客户满意度", weight=2.5),
        _f("first_response_minutes", "number", "first response minutes|first reply time|"
           "first response time|first reply time in minutes|first reply minutes|首次响应时长|首次响应分钟|首响时长",
           weight=2.0),
    ),
    "nps": (
        _KEY, _SRC,
        _f("date", "date", "date|submitted at|submitted|response date|responded at|created at|"
           "survey date|completed at|日期|提交时间|填写时间|回复时间", required=True, weight=1.0),
        _f("score", "score", "score|nps|nps score|rating|likelihood to recommend|评分|分数|推荐分|nps评分|推荐值",
           patterns=(r"recommend", r"推荐", r"likely", r"可能性"), required=True, weight=4.0),
        _f("comment", "text", "comment|comments|feedback|reason|verbatim|评论|意见|原因|反馈|备注",
           patterns=(r"reason", r"comment", r"feedback", r"why", r"原因", r"意见"), weight=1.0),
        _f("respondent", "text", "respondent|email|e-mail|email address|contact|user|受访者|邮箱|联系人|填写人",
           weight=1.0),
    ),
    "goals": (
        _KEY, _SRC,
        _f("goal", "text", "goal|objective|success goal|goal name|目标|目标名称|成功目标|业务目标",
           required=True, weight=3.0),
        _f("metric", "text", "metric|kpi|unit|measure|指标|指标单位|单位|衡量指标", weight=1.5),
        _f("baseline", "number", "baseline|start value|baseline value|基线|基线值|初始值", weight=2.5),
        _f("target", "number", "target|target value|目标值", weight=2.5),
        _f("current", "number", "current|current value|actual|actual value|当前值|实际值|当前", weight=2.0),
        _f("due_date", "date", "due date|due|deadline|target date|截止日期|截止时间|到期日", weight=1.5),
        _f("status", "text", "status|状态", weight=0.5),
    ),
}

# Canonical column types in the loaded tables (architecture.md); derived columns included.
CANONICAL_TYPES: dict[str, dict[str, str]] = {
    "accounts": {"account_id": "VARCHAR", "account_name": "VARCHAR", "segment": "VARCHAR",
                 "industry": "VARCHAR", "region": "VARCHAR", "plan": "VARCHAR", "owner": "VARCHAR",
                 "start_date": "DATE", "renewal_date": "DATE", "churn_date": "DATE", "status": "VARCHAR",
                 "arr": "DOUBLE", "mrr": "DOUBLE", "seats": "DOUBLE", "manual_health": "VARCHAR",
                 "domain": "VARCHAR"},
    "mrr": {"account_id": "VARCHAR", "month": "DATE", "mrr": "DOUBLE"},
    "subscriptions": {"account_id": "VARCHAR", "subscription_id": "VARCHAR", "start_date": "DATE",
                      "end_date": "DATE", "mrr": "DOUBLE", "plan": "VARCHAR", "seats": "DOUBLE",
                      "is_trial": "BOOLEAN", "status": "VARCHAR"},
    "usage": {"account_id": "VARCHAR", "date": "DATE", "active_users": "DOUBLE", "seats": "DOUBLE",
              "events": "DOUBLE"},
    "tickets": {"account_id": "VARCHAR", "ticket_id": "VARCHAR", "created_at": "TIMESTAMP",
                "resolved_at": "TIMESTAMP", "priority": "VARCHAR", "priority_rank": "INTEGER",
                "status": "VARCHAR", "satisfaction": "DOUBLE", "first_response_minutes": "DOUBLE"},
    "nps": {"account_id": "VARCHAR", "date": "DATE", "score": "INTEGER", "comment": "VARCHAR",
            "respondent": "VARCHAR"},
    "goals": {"account_id": "VARCHAR", "goal": "VARCHAR", "metric": "VARCHAR", "baseline": "DOUBLE",
              "target": "DOUBLE", "current": "DOUBLE", "due_date": "DATE", "status": "VARCHAR"},
}

# Chinese headers of common extra columns, so that they keep a readable snake_case name.
_EXTRA_NAMES_ZH = {
    "城市": "city", "所在城市": "city", "省份": "province", "所在省份": "province", "国家": "country",
    "是否重点客户": "is_key_account", "重点客户": "is_key_account", "备注": "notes", "联系人": "contact",
    "电话": "phone", "联系电话": "phone", "邮箱": "email", "地址": "address", "销售": "sales_rep",
    "渠道": "channel", "来源": "source", "币种": "currency", "货币": "currency", "标题": "subject",
    "主题": "subject", "描述": "description", "类型": "type", "客户类型": "customer_type",
    "员工数": "employees", "员工人数": "employees", "规模": "company_size", "合同编号": "contract_id",
    "产品": "product", "功能": "feature", "登录次数": "logins", "报表数": "reports_created",
}

_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_MONTHS.update({"sept": 9, "january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7,
                "august": 8, "september": 9, "october": 10, "november": 11, "december": 12})
_MONTH_WORDS = r"(?:mrr|revenue|arr|收入|月收入|金额)"


def parse_month_header(header: object) -> date | None:
    """The month a wide-sheet header names, or None.

    Recognised: ``2024-01``, ``2024/1``, ``2024.01``, ``2024-01-01`` (with or without a time,
    as Excel date headers arrive), ``Jan 2024``, ``January 2024``, ``Jan-24``, ``Jan'24``,
    ``2024 Jan``, ``01/2024``, ``2024年1月``, ``24年1月``, an Excel serial date, optionally
    with a word such as ``MRR`` before or after.

    >>> parse_month_header("Jan-24"), parse_month_header("2024年3月")
    (datetime.date(2024, 1, 1), datetime.date(2024, 3, 1))
    """
    if isinstance(header, datetime):
        return date(header.year, header.month, 1)
    if isinstance(header, date):
        return date(header.year, header.month, 1)
    text = unicodedata.normalize("NFKC", str(header if header is not None else "")).strip().lower()
    text = re.sub(rf"^{_MONTH_WORDS}\s*[:_\-]?\s*|\s*[:_\-]?\s*{_MONTH_WORDS}$", "", text).strip()
    if not text:
        return None

    def ym(y: int, m: int) -> date | None:
        if y < 100:
            y += 2000
        return date(y, m, 1) if 1 <= m <= 12 and 1900 <= y <= 2200 else None

    m = re.fullmatch(r"(\d{4})\s*[-/.]\s*(\d{1,2})", text)
    if m:
        return ym(int(m[1]), int(m[2]))
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t]00:00(?::00(?:\.0+)?)?)?", text)
    if m:
        return ym(int(m[1]), int(m[2])) if 1 <= int(m[3]) <= 31 else None
    m = re.fullmatch(r"(\d{2}|\d{4})\s*年\s*(\d{1,2})\s*月(?:份)?", text)
    if m:
        return ym(int(m[1]), int(m[2]))
    m = re.fullmatch(r"([a-z]{3,9})\.?[\s\-/.']*(\d{4}|\d{2})", text)
    if m and m[1] in _MONTHS:
        return ym(int(m[2]), _MONTHS[m[1]])
    m = re.fullmatch(r"(\d{4})[\s\-/.]*([a-z]{3,9})\.?", text)
    if m and m[2] in _MONTHS:
        return ym(int(m[1]), _MONTHS[m[2]])
    m = re.fullmatch(r"(\d{1,2})\s*[-/.]\s*(\d{4})", text)
    if m:
        return ym(int(m[2]), int(m[1]))
    m = re.fullmatch(r"(\d{5})(?:\.0+)?", text)
    if m and 20000 <= int(m[1]) <= 80000:
        d = date(1899, 12, 30) + timedelta(days=int(m[1]))
        return date(d.year, d.month, 1)
    return None


def sanitise_name(header: str, position: int) -> str:
    """Snake_case ``[a-z0-9_]`` name for an extra column (``Billing City`` -> ``billing_city``).

    Chinese headers of common extras get their English name (``所在城市`` -> ``city``); other
    headers with no Latin letters or digits become ``col_<position>`` (1-based).
    """
    raw = unicodedata.normalize("NFKC", str(header)).strip()
    key = re.sub(r"\([^()]*\)", "", raw).strip()
    if key in _EXTRA_NAMES_ZH:
        return _EXTRA_NAMES_ZH[key]
    name = re.sub(r"[^0-9a-z]+", "_", raw.lower()).strip("_")
    name = re.sub(r"_+", "_", name)
    if not name or not re.search(r"[a-z]", name) and re.search(r"[\u3400-\u9fff]", raw):
        name = f"col_{position}"
    return name


def extra_names(columns: list[str], mapping: dict[str, str], kind: str) -> dict[str, str]:
    """Final names of the extra columns (mapping value ``""``), unique and clash-free.

    Names are prefixed ``x_`` when they start with a digit or clash with a canonical column,
    a reserved column or another extra.
    """
    taken = set(CANONICAL_TYPES[kind]) | set(RESERVED) | {"account_id"}
    taken |= {f.name for f in FIELDS[kind]}
    result: dict[str, str] = {}
    for pos, col in enumerate(columns, start=1):
        if mapping.get(col, "") != "":
            continue
        name = sanitise_name(col, pos)
        if name[0].isdigit() or name in taken:
            name = f"x_{name}"
        base, n = name, 2
        while name in taken:
            name = f"{base}_{n}"
            n += 1
        taken.add(name)
        result[col] = name
    return result


def _assign(columns: list[str], fields: tuple[Field, ...]) -> dict[str, str]:
    """Map source columns to fields: exact synonyms first (in each field's order), then patterns."""
    normed = [norm_header(c) for c in columns]
    raw_lower = [unicodedata.normalize("NFKC", str(c)).lower() for c in columns]
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field in fields:
        for syn in field.synonyms:
            hit = next((c for c, n in zip(columns, normed) if n == syn and c not in mapping), None)
            if hit is not None:
                mapping[hit] = field.name
                used.add(field.name)
                break
    for field in fields:
        if field.name in used or not field.patterns:
            continue
        for col, low in zip(columns, raw_lower):
            if col not in mapping and any(re.search(p, low) for p in field.patterns):
                mapping[col] = field.name
                used.add(field.name)
                break
    if "account_id" in used and SOURCE_KEY in used:
        # The file carries our account key: another system's key is kept as an extra.
        mapping = {c: v for c, v in mapping.items() if v != SOURCE_KEY}
    return mapping


def month_columns(columns: list[str], headers: list[object] | None = None) -> dict[str, date]:
    """Columns whose header names a month (wide MRR layout)."""
    originals = headers if headers is not None else columns
    found = {}
    for col, original in zip(columns, originals):
        month = parse_month_header(original)
        if month is not None:
            found[col] = month
    return found


def is_wide(columns: list[str], headers: list[object] | None = None) -> bool:
    """A wide MRR layout: at least three month headers, and they are most of the columns."""
    months = month_columns(columns, headers)
    return len(months) >= 3 and len(months) >= (len(columns) - 1) / 2


def base_mapping(columns: list[str], kind: str, headers: list[object] | None = None) -> dict[str, str]:
    """The automatic mapping of ``columns`` for ``kind`` (every column listed; ``""`` = extra)."""
    mapping: dict[str, str] = {}
    if kind == "mrr" and is_wide(columns, headers):
        months = month_columns(columns, headers)
        rest = [c for c in columns if c not in months]
        key_fields = tuple(f for f in FIELDS["mrr"] if f.ctype == "key")
        mapping.update(_assign(rest, key_fields))
        if not any(v in ("account_id", SOURCE_KEY) for v in mapping.values()) and rest:
            # Finance sheets key rows by the first column (customer name or code).
            mapping[rest[0]] = SOURCE_KEY
        for col, month in months.items():
            mapping[col] = f"{MONTH_PREFIX}{month:%Y-%m}"
    else:
        mapping.update(_assign(columns, FIELDS[kind]))
    return {c: mapping.get(c, "") for c in columns}


def kind_scores(columns: list[str], headers: list[object] | None = None) -> dict[str, float]:
    """Score of each kind for these columns: weights of the fields found, halved per missing
    required field; a wide month layout scores MRR by its month columns."""
    scores = {}
    for kind in KINDS:
        mapping = base_mapping(columns, kind, headers)
        fields = {f.name: f for f in FIELDS[kind]}
        targets = set(mapping.values()) - {""}
        if kind == "mrr" and any(t.startswith(MONTH_PREFIX) for t in targets):
            n_months = sum(1 for t in targets if t.startswith(MONTH_PREFIX))
            scores[kind] = 6.0 + min(n_months, 12) * 0.5
            continue
        score = sum(fields[t].weight for t in targets if t in fields)
        has_key = "account_id" in targets or SOURCE_KEY in targets
        for f in fields.values():
            if f.required and f.name not in targets and not (f.ctype == "key" and has_key):
                score *= 0.4
        if kind == "subscriptions" and not ({"mrr", "arr", "amount"} & targets):
            score *= 0.4
        scores[kind] = round(score, 3)
    return scores


def detect_kind_from_columns(columns: list[str], headers: list[object] | None = None) -> tuple[str, float]:
    """The best kind and a confidence in [0, 1] (best score against the runner-up)."""
    scores = kind_scores(columns, headers)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], KINDS.index(kv[0])))
    (best, top), (_, second) = ranked[0], ranked[1]
    if top <= 0:
        return "accounts", 0.0
    strength = min(1.0, top / 6.0)
    separation = (top - second) / top
    return best, round(strength * (0.5 + 0.5 * separation), 2)


def header_signature(columns: list[str]) -> str:
    """Hash of the normalised header list: files with the same headers share a signature."""
    normed = [re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(c)).strip().lower()) for c in columns]
    return hashlib.sha1(json.dumps(normed, ensure_ascii=False).encode("utf-8")).hexdigest()


def valid_targets(kind: str) -> set[str]:
    """Mapping targets a user may choose for ``kind`` (besides ``""`` and ``month:YYYY-MM``)."""
    names = {f.name for f in FIELDS[kind]}
    if kind != "accounts":
        names |= {"account_id", SOURCE_KEY}
    return names
