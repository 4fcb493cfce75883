"""Account matching: which rows of a loaded table belong to which account.

Each system keys a customer its own way: the CRM by its account ID, billing by a billing
customer ID, the helpdesk and the survey tool by a company name, the ERP by its own code,
finance's spreadsheet by name. Every canonical table keeps the key as it appeared in the
file (``_source_key``) and an ``account_id`` filled here.

Rules, applied in this order to rows whose ``account_id`` is still NULL; a rule only
matches when it points to exactly one account, and never to a pair the user rejected:

1. ``decision``   - a confirmed decision saved in ``_polaris_matches`` for this key.
2. ``account_id`` - the key (trimmed) equals an ``accounts.account_id``.
3. ``alias``      - the key (trimmed) equals a value of an alias column of ``accounts``
   (another system's key: billing customer ID, ERP code …). Alias columns are those set
   with :func:`set_alias_columns` (settings key ``matching.alias_columns``), else detected:
   VARCHAR columns of ``accounts`` whose non-null values are unique and which share at
   least one value with the table's keys.
4. ``name``       - :func:`normalise_name` of the key equals that of exactly one account's
   ``account_name``.
5. ``domain``     - per row: the e-mail or web domain in the key, or in an e-mail column
   (``respondent``, ``*mail*``), equals the ``domain`` of exactly one account. Free-mail
   domains (gmail.com, qq.com …) never match; a key the rules found several accounts for
   may only go to one of those.

When the first rule that finds anything for a key finds several accounts (two accounts
whose names normalise alike, a non-unique alias value), the key stays unmatched and the
accounts are proposed with score 1.0: nothing is guessed silently. Unmatched rows are
kept with ``account_id`` NULL and counted; they are never dropped.

Proposals for unmatched keys come from a set-based fuzzy search: candidate pairs are
blocked on the key's rarest character n-grams and scored with Jaro-Winkler similarity on
characters (see :func:`_fuzzy`). The user confirms, rejects or picks an account by
hand (:func:`decide`); decisions are saved in the workspace, reused on the next upload and
applied at once to the tables already loaded.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable

import duckdb
import pandas as pd

from cs_metrics.errors import InputError
from cs_metrics.i18n import t
from cs_metrics.scope import quote_ident, table_columns

ALIAS_SETTING = "matching.alias_columns"
MATCHES_TABLE = "_polaris_matches"
# Tables whose rows are matched to accounts (the accounts table defines them).
MATCHED_KINDS = ("mrr", "subscriptions", "usage", "tickets", "nps", "goals")
RULES = ("decision", "account_id", "alias", "name", "domain")
DECISIONS = ("confirmed", "rejected")

# Proposals below this similarity are noise rather than candidates.
MIN_SCORE = 0.75
# Numbers usually tell entities apart ('Branch 7' / 'Branch 8'): a pair whose names both
# carry numbers, different ones, has its similarity scaled by this factor.
NUMBER_MISMATCH_FACTOR = 0.8
# Fuzzy blocking: each key is compared only with accounts sharing one of its BLOCK_GRAMS
# rarest n-grams, and fully scored only against the BLOCK_TOP closest of those; an n-gram
# held by more than BLOCK_MAX_DF accounts is too common to block on (it would pair the key
# with most of the table).
BLOCK_GRAMS = 3
BLOCK_TOP = 20
BLOCK_MAX_DF = 2000
# What a load reports: this many unmatched keys, each with this many candidates.
MAX_UNMATCHED_KEYS = 100
PROPOSALS_PER_KEY = 3

# Canonical account attributes: never another system's key, even when unique.
_NOT_ALIAS = frozenset({
    "account_id", "account_name", "domain", "segment", "industry", "region", "plan", "owner",
    "status", "manual_health",
})
_EMAIL_COLUMN = re.compile(r"^(respondent|.*mail.*)$")
GENERIC_EMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "yahoo.co.jp", "icloud.com", "me.com", "aol.com", "proton.me",
    "protonmail.com", "gmx.de", "web.de", "qq.com", "163.com", "126.com", "yeah.net",
    "sina.com", "sina.cn", "sohu.com", "foxmail.com", "139.com", "aliyun.com",
    "example.com", "example.org", "example.net",
})

# Legal-form words removed from the end of a name (after punctuation became spaces).
LEGAL_SUFFIXES_EN = (
    "incorporated", "inc", "corporation", "corp", "company", "co", "limited", "ltd", "llc",
    "llp", "lp", "plc", "gmbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv",
    "pty", "pte", "pvt", "oy", "ab", "kk", "group", "holdings", "holding",
)
LEGAL_SUFFIXES_ZH = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "集团", "公司")

# Full-width ASCII (U+FF01-U+FF5E) and the ideographic space, to their half-width forms.
_FULLWIDTH_FROM = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_FULLWIDTH_TO = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
_FULLWIDTH_TABLE = str.maketrans(_FULLWIDTH_FROM, _FULLWIDTH_TO)
# CJK scripts are written without spaces, so a space next to one is noise.
_CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF),
               (0xF900, 0xFAFF))
_JOINERS = ".'’‘`"


def _py_class(ranges: Iterable[tuple[int, int]]) -> str:
    return "[" + "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in ranges) + "]"


def _re2_class(ranges: Iterable[tuple[int, int]]) -> str:
    return "[" + "".join(f"\\x{{{lo:04x}}}-\\x{{{hi:04x}}}" for lo, hi in ranges) + "]"


_SUFFIX_ALT = ("(?: (?:" + "|".join(LEGAL_SUFFIXES_EN) + ")| ?(?:"
               + "|".join(LEGAL_SUFFIXES_ZH) + "))+")
_PY_JOINERS = re.compile("[" + re.escape(_JOINERS) + "]")
_PY_NON_WORD = re.compile(r"[\W_]+")
_PY_ARTICLE = re.compile(r"^the ")
# "(.)" + suffixes + "$": the leftmost match strips the longest run of suffixes that
# leaves at least one character (an unanchored search is much faster in RE2 than "^(.+?)").
_PY_SUFFIX = re.compile("(.)" + _SUFFIX_ALT + "$")
_PY_CJK_BEFORE = re.compile("(" + _py_class(_CJK_RANGES) + ") ")
_PY_CJK_AFTER = re.compile(" (" + _py_class(_CJK_RANGES) + ")")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return unicodedata.normalize("NFC", kept)


def normalise_name(name: str | None) -> str:
    """A company name reduced to the form two systems' spellings have in common.

    Rules, in order:

    1. full-width ASCII and the ideographic space become half-width (``ＡＢＣ（中国）`` ->
       ``ABC(中国)``);
    2. lower case; accents removed (``Société`` -> ``societe``);
    3. ``&`` becomes ``and``; dots and apostrophes are removed without splitting the word
       (``L.L.C.`` -> ``llc``, ``O'Neil`` -> ``oneil``);
    4. every other run of punctuation, symbols or whitespace becomes one space; the result
       is trimmed;
    5. a leading ``the`` is removed;
    6. legal-form suffixes are removed from the end, repeatedly, keeping at least one
       character: English words ``inc, corp, co, ltd, llc, gmbh, plc, group …``
       (:data:`LEGAL_SUFFIXES_EN`, as whole words) and Chinese ``股份有限公司, 有限责任公司,
       有限公司, 集团, 公司`` (:data:`LEGAL_SUFFIXES_ZH`);
    7. spaces next to a CJK character are removed (``恒达 物流`` -> ``恒达物流``).

    :func:`normalise_name_sql` is the same function as a DuckDB expression (a test checks
    they agree on generated names).

    >>> normalise_name("ACME Co., Ltd.")
    'acme'
    >>> normalise_name("恒达物流（上海）股份有限公司")
    '恒达物流上海'
    """
    if name is None:
        return ""
    text = str(name).translate(_FULLWIDTH_TABLE).lower()
    text = _strip_accents(text).replace("&", " and ")
    text = _PY_JOINERS.sub("", text)
    text = _PY_NON_WORD.sub(" ", text).strip(" ")
    text = _PY_ARTICLE.sub("", text)
    text = _PY_SUFFIX.sub(r"\1", text, count=1)
    text = _PY_CJK_BEFORE.sub(r"\1", text)
    return _PY_CJK_AFTER.sub(r"\1", text)


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> None:
    """Execute a statement and consume its result (DuckDB refuses other work, e.g.
    ``register``, on a connection with an unfinished result)."""
    con.execute(sql, params).fetchall()


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> tuple | None:
    """The first row of a query (None without rows), its result consumed."""
    rows = con.execute(sql, params).fetchall()
    return rows[0] if rows else None


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def normalise_name_sql(expr: str) -> str:
    """:func:`normalise_name` as a DuckDB SQL expression over ``expr`` (NULL stays NULL)."""
    cjk = _re2_class(_CJK_RANGES)
    raw = f"CAST({expr} AS VARCHAR)"
    # translate() with a 95-character map is slow; most names have no full-width character
    sql = (f"CASE WHEN regexp_matches({raw}, '[\\x{{ff01}}-\\x{{ff5e}}\\x{{3000}}]') "
           f"THEN translate({raw}, {_lit(_FULLWIDTH_FROM)}, {_lit(_FULLWIDTH_TO)}) ELSE {raw} END")
    sql = f"replace(strip_accents(lower({sql})), '&', ' and ')"
    sql = f"regexp_replace({sql}, {_lit('[' + re.escape(_JOINERS) + ']')}, '', 'g')"
    sql = f"trim(regexp_replace({sql}, '[^\\p{{L}}\\p{{N}}]+', ' ', 'g'), ' ')"
    sql = f"regexp_replace({sql}, '^the ', '')"
    sql = f"regexp_replace({sql}, {_lit('(.)' + _SUFFIX_ALT + '$')}, '\\1')"
    sql = f"regexp_replace({sql}, {_lit('(' + cjk + ') ')}, '\\1', 'g')"
    return f"regexp_replace({sql}, {_lit(' (' + cjk + ')')}, '\\1', 'g')"


def register_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Define ``polaris_normalise_name(s)`` as a temporary macro on this connection."""
    _run(con, f"CREATE OR REPLACE TEMP MACRO polaris_normalise_name(s) AS {normalise_name_sql('s')}")


class MatchingError(InputError):
    """A matching request a user got wrong; ``message(lang)`` gives it in either language."""

    def __init__(self, key: str, **fmt: object) -> None:
        self.key, self.fmt = key, fmt
        super().__init__(t(key, "en", **fmt))

    def message(self, lang: str = "en") -> str:
        return t(self.key, lang, **self.fmt)


# Results
@dataclass(frozen=True)
class Proposal:
    """A candidate account for an unmatched key; ``score`` in [0, 1], 1 = same name."""

    source_key: str
    account_id: str
    account_name: str | None
    score: float
    rule: str


@dataclass(frozen=True)
class MatchReport:
    """What matching did to one table.

    ``by_rule`` counts rows per rule (``alias:<column>`` for alias columns); its values sum
    to ``matched_rows``. ``unmatched_keys`` lists distinct unmatched keys, most rows first,
    capped at :data:`MAX_UNMATCHED_KEYS`.
    """

    kind: str
    rows: int
    matched_rows: int
    by_rule: dict[str, int] = field(default_factory=dict)
    unmatched_keys: list[str] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)

    @property
    def unmatched_rows(self) -> int:
        return self.rows - self.matched_rows

    @property
    def matched_share(self) -> float | None:
        """matched_rows / rows; None for an empty table."""
        return self.matched_rows / self.rows if self.rows else None


def rule_label(rule: str, lang: str = "en") -> str:
    """Display text of a rule name (``alias:erp_code`` -> 'alias column erp_code')."""
    if rule.startswith("alias:"):
        return t("matching.rule.alias_column", lang, column=rule.split(":", 1)[1])
    return t(f"matching.rule.{rule}", lang)


def report_text(report: MatchReport, lang: str = "en") -> str:
    """The coverage report of one load, as the command line prints it."""
    share = (f"{report.matched_share:.1%}" if report.matched_share is not None
             else t("common.na", lang))
    lines = [t("matching.report.summary", lang, kind=report.kind, matched=report.matched_rows,
               rows=report.rows, share=share)]
    if report.by_rule:
        parts = ", ".join(f"{rule_label(r, lang)} {n}" for r, n in report.by_rule.items())
        lines.append(t("matching.report.by_rule", lang, rules=parts))
    if report.unmatched_rows:
        keys = ", ".join(report.unmatched_keys[:10])
        more = len(report.unmatched_keys) - 10
        if more > 0:
            keys += " " + t("matching.report.more", lang, n=more)
        lines.append(t("matching.report.unmatched", lang, rows=report.unmatched_rows, keys=keys))
        if report.proposals:
            lines.append(t("matching.report.proposals", lang, n=len(report.proposals)))
    return "\n".join(lines)


# Workspace tables
def ensure_matches_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``_polaris_matches`` (the user's decisions) when missing."""
    _run(con,
        f"CREATE TABLE IF NOT EXISTS {MATCHES_TABLE} (source_key VARCHAR NOT NULL, kind VARCHAR, "
        "account_id VARCHAR, decision VARCHAR NOT NULL CHECK (decision IN ('confirmed', 'rejected')), "
        "decided_at TIMESTAMP)")


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = _one(con,
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
        "AND table_schema = current_schema()", [table])
    return bool(row and row[0])


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() ORDER BY ordinal_position", [table]).fetchall()
    return {name: dtype for name, dtype in rows}


def loaded_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Loaded tables that carry ``_source_key`` and ``account_id`` (matched to accounts)."""
    out = []
    for kind in MATCHED_KINDS:
        if _has_table(con, kind):
            cols = set(table_columns(con, kind))
            if {"_source_key", "account_id"} <= cols:
                out.append(kind)
    return out


def _get_setting(con: duckdb.DuckDBPyConnection, key: str) -> Any:
    if not _has_table(con, "_polaris_settings"):
        return None
    row = _one(con, "SELECT value FROM _polaris_settings WHERE key = ?", [key])
    return json.loads(row[0]) if row and row[0] is not None else None


def alias_column_options(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Columns of ``accounts`` that could hold another system's key (non-canonical VARCHAR)."""
    if not _has_table(con, "accounts"):
        return []
    return [c for c, dtype in _column_types(con, "accounts").items()
            if dtype == "VARCHAR" and c not in _NOT_ALIAS and not c.startswith("_")]


def configured_alias_columns(con: duckdb.DuckDBPyConnection) -> list[str] | None:
    """The alias columns the user set, or None when detection is automatic."""
    value = _get_setting(con, ALIAS_SETTING)
    return [str(c) for c in value] if isinstance(value, list) else None


def set_alias_columns(con: duckdb.DuckDBPyConnection, columns: list[str] | None) -> None:
    """Mark ``columns`` of ``accounts`` as alias keys; ``None`` returns to detection.

    An empty list means "no alias columns". Only the setting changes: call
    :func:`rematch` to re-resolve the tables already loaded.
    """
    if columns is not None:
        known = set(table_columns(con, "accounts")) if _has_table(con, "accounts") else set()
        unknown = [c for c in columns if c not in known or c in {"account_id", "account_name"}]
        if unknown:
            raise MatchingError("matching.error.alias_unknown", columns=", ".join(unknown))
    _run(con, "CREATE TABLE IF NOT EXISTS _polaris_settings (key VARCHAR PRIMARY KEY, value JSON)")
    if columns is None:
        _run(con, "DELETE FROM _polaris_settings WHERE key = ?", [ALIAS_SETTING])
        return
    _run(con,
        "INSERT INTO _polaris_settings VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [ALIAS_SETTING, json.dumps(list(dict.fromkeys(columns)), ensure_ascii=False)])


def detect_alias_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Alias candidates whose non-null values are unique and overlap ``table``'s keys."""
    found = []
    for col in alias_column_options(con):
        q = quote_ident(col)
        unique, overlap = _one(con,
            f"SELECT count({q}) > 0 AND count({q}) = count(DISTINCT {q}), "
            f"EXISTS (SELECT 1 FROM {quote_ident(table)} s JOIN accounts a "
            f"ON trim(a.{q}) = trim(CAST(s._source_key AS VARCHAR))) FROM accounts")
        if unique and overlap:
            found.append(col)
    return found


def alias_columns(con: duckdb.DuckDBPyConnection, table: str | None = None) -> list[str]:
    """The alias columns in force for ``table``: configured ones, else detected ones.

    Without ``table`` detection looks at every loaded table's keys.
    """
    configured = configured_alias_columns(con)
    if configured is not None:
        known = set(table_columns(con, "accounts")) if _has_table(con, "accounts") else set()
        return [c for c in configured if c in known]
    tables = [table] if table else loaded_tables(con)
    found: list[str] = []
    for name in tables:
        found += [c for c in detect_alias_columns(con, name) if c not in found]
    return found


# Resolution
class _Temp:
    """Fresh names for this call's temporary tables, all dropped on exit."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.tag = uuid.uuid4().hex[:10]
        self.names: list[str] = []
        self._acc: str | None = None

    def __call__(self, name: str) -> str:
        full = f"_pm_{name}_{len(self.names)}_{self.tag}"
        self.names.append(full)
        return full

    def accounts(self) -> str:
        """Temp table of named accounts: account_id, account_name, norm, compact.

        ``norm`` is :func:`normalise_name` of the name, ``compact`` the same without spaces.
        Built once per call.
        """
        if self._acc is None:
            self._acc = self("acc")
            _run(self.con,
                f"CREATE TEMP TABLE {self._acc} AS SELECT *, replace(norm, ' ', '') AS compact "
                f"FROM (SELECT account_id, account_name, {normalise_name_sql('account_name')} AS norm "
                "FROM accounts WHERE account_id IS NOT NULL AND account_name IS NOT NULL)")
        return self._acc

    def __enter__(self) -> "_Temp":
        return self

    def __exit__(self, *exc: object) -> None:
        for name in reversed(self.names):
            try:
                _run(self.con, f"DROP TABLE IF EXISTS temp.{name}")
            except duckdb.Error:
                pass


def _decisions_for(tmp: _Temp, kind: str) -> str:
    """Temp table of the decisions in force for ``kind``.

    Decisions saved for this kind replace, for their key, the decisions saved for every
    kind (kind NULL).
    """
    name = tmp("dec")
    _run(tmp.con,
        f"CREATE TEMP TABLE {name} AS SELECT source_key, account_id, decision, decided_at "
        f"FROM {MATCHES_TABLE} m WHERE m.kind = $kind OR (m.kind IS NULL AND NOT EXISTS ("
        f"SELECT 1 FROM {MATCHES_TABLE} s WHERE s.source_key = m.source_key AND s.kind = $kind))",
        {"kind": kind})
    return name


def _key_candidates(tmp: _Temp, keys: str, dec: str, aliases: list[str]) -> str:
    """Temp table of candidate (key, account_id, prio, sub, rule) from the key rules.

    ``keys`` has columns ``key`` (the _source_key) and ``norm``. Rejected pairs, and keys
    rejected outright (decision 'rejected' with NULL account), yield no candidates except
    a confirmed decision.
    """
    acc = tmp.accounts()
    parts = [
        f"SELECT k.key, d.account_id, 1 AS prio, 0 AS sub, 'decision' AS rule FROM {keys} k "
        f"JOIN (SELECT source_key, arg_max(account_id, decided_at) AS account_id FROM {dec} "
        f"WHERE decision = 'confirmed' GROUP BY source_key) d ON d.source_key = k.key "
        f"JOIN accounts a ON a.account_id = d.account_id",
        f"SELECT k.key, a.account_id, 2, 0, 'account_id' FROM {keys} k "
        f"JOIN accounts a ON a.account_id = trim(k.key)",
    ]
    for i, col in enumerate(aliases):
        parts.append(
            f"SELECT k.key, a.account_id, 3, {i}, {_lit('alias:' + col)} FROM {keys} k "
            f"JOIN accounts a ON trim(CAST(a.{quote_ident(col)} AS VARCHAR)) = trim(k.key) "
            "WHERE a.account_id IS NOT NULL")
    parts.append(
        f"SELECT k.key, a.account_id, 4, 0, 'name' FROM {keys} k JOIN {acc} a "
        "ON a.norm = k.norm WHERE k.norm <> ''")
    name = tmp("cand")
    _run(tmp.con,
        f"CREATE TEMP TABLE {name} AS SELECT c.* FROM ({' UNION ALL '.join(parts)}) c "
        f"WHERE c.prio = 1 OR NOT EXISTS (SELECT 1 FROM {dec} r WHERE r.decision = 'rejected' "
        "AND r.source_key = c.key AND (r.account_id IS NULL OR r.account_id = c.account_id))")
    return name


def _resolve(tmp: _Temp, cand: str) -> tuple[str, str]:
    """(resolved, ambiguous) temp tables from the candidates.

    For each key only the first rule (lowest prio) that found anything counts: one
    account -> resolved (key, account_id, rule); several -> ambiguous (key, account_id,
    rule), for the user to choose. A lower rule never settles what a higher one found
    ambiguous.
    """
    first = tmp("first")
    _run(tmp.con,
        f"CREATE TEMP TABLE {first} AS SELECT c.* FROM {cand} c JOIN "
        f"(SELECT key, min(prio) AS prio FROM {cand} GROUP BY key) m USING (key, prio)")
    resolved, ambiguous = tmp("res"), tmp("amb")
    _run(tmp.con,
        f"CREATE TEMP TABLE {resolved} AS SELECT key, min(account_id) AS account_id, "
        f"arg_min(rule, sub) AS rule FROM {first} GROUP BY key "
        "HAVING count(DISTINCT account_id) = 1")
    _run(tmp.con,
        f"CREATE TEMP TABLE {ambiguous} AS SELECT key, account_id, arg_min(rule, sub) AS rule "
        f"FROM {first} WHERE key NOT IN (SELECT key FROM {resolved}) GROUP BY key, account_id")
    return resolved, ambiguous


def _ambiguous_frame(tmp: _Temp, ambiguous: str, rejected: str | None = None) -> pd.DataFrame:
    """Ambiguous exact matches as proposals (score 1.0), rule without the alias column."""
    keep = (f"WHERE NOT EXISTS (SELECT 1 FROM {rejected} r WHERE r.key = m.key "
            "AND (r.account_id IS NULL OR r.account_id = m.account_id))") if rejected else ""
    return tmp.con.execute(
        f"SELECT m.key AS source_key, m.account_id, a.account_name, 1.0 AS score, "
        f"split_part(m.rule, ':', 1) AS rule FROM {ambiguous} m "
        f"JOIN accounts a ON a.account_id = m.account_id {keep}").df()


def _domain_sql(expr: str) -> str:
    """The e-mail domain (after '@') or web host in ``expr``, lower case, without 'www.'."""
    v = f"lower(trim(CAST({expr} AS VARCHAR)))"
    return (f"regexp_replace(CASE WHEN contains({v}, '@') "
            f"THEN regexp_extract({v}, '@([^@\\s>]+)>?$', 1) "
            f"WHEN regexp_matches({v}, '^(https?://)?[a-z0-9-]+(\\.[a-z0-9-]+)+(/.*)?$') "
            f"THEN regexp_extract({v}, '^(https?://)?([^/]+)', 2) END, '^www\\.', '')")


def _email_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return ["_source_key"] + [c for c, dtype in _column_types(con, table).items()
                              if dtype == "VARCHAR" and _EMAIL_COLUMN.match(c.lower())]


def _account_domains(tmp: _Temp) -> str | None:
    """Temp table (domain, account_id) of domains held by exactly one account."""
    if "domain" not in table_columns(tmp.con, "accounts"):
        return None
    name = tmp("adom")
    _run(tmp.con,
        f"CREATE TEMP TABLE {name} AS SELECT d AS domain, min(account_id) AS account_id "
        f"FROM (SELECT account_id, {_domain_sql('domain')} AS d FROM accounts) "
        "WHERE d IS NOT NULL AND d <> '' AND NOT list_contains($generic, d) "
        "GROUP BY d HAVING count(DISTINCT account_id) = 1",
        {"generic": sorted(GENERIC_EMAIL_DOMAINS)})
    return name


def _row_domains_sql(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL list of the domains found in a row of ``table`` (key and e-mail columns)."""
    return "[" + ", ".join(_domain_sql(f"s.{quote_ident(c)}") for c in _email_columns(con, table)) + "]"


def _update_rows(con: duckdb.DuckDBPyConnection, table: str, updates: str) -> int:
    """Set ``account_id`` of ``table``'s rows from ``updates`` (rid, account_id).

    The updates are applied in row order: DuckDB updates rows scattered at random across
    a table many times slower than in storage order.
    """
    t_q = quote_ident(table)
    row = _one(con,
        f"UPDATE {t_q} SET account_id = u.account_id FROM (SELECT rid, account_id FROM {updates} "
        f"ORDER BY rid) u WHERE {t_q}.rowid = u.rid")
    return int(row[0]) if row else 0


@dataclass
class _Applied:
    by_rule: dict[str, int]
    decisions: str
    ambiguous: str


def _apply_rules(tmp: _Temp, table: str, kind: str, aliases: list[str],
                 only_key: str | None = None) -> _Applied:
    """Fill ``account_id`` where NULL in ``table`` by the rules, set-based; count by rule.

    ``only_key`` restricts the work to rows with that ``_source_key``.
    """
    con = tmp.con
    t_q = quote_ident(table)
    key_filter = "AND s._source_key = $only_key" if only_key is not None else ""
    params = {"only_key": only_key} if only_key is not None else None
    dec = _decisions_for(tmp, kind)
    keys = tmp("keys")
    _run(con,
        f"CREATE TEMP TABLE {keys} AS SELECT key, {normalise_name_sql('key')} AS norm FROM ("
        f"SELECT DISTINCT CAST(s._source_key AS VARCHAR) AS key FROM {t_q} s "
        f"WHERE s.account_id IS NULL AND s._source_key IS NOT NULL {key_filter})", params)
    resolved, ambiguous = _resolve(tmp, _key_candidates(tmp, keys, dec, aliases))
    by_key = tmp("upd")
    _run(con,
        f"CREATE TEMP TABLE {by_key} AS SELECT s.rowid AS rid, r.account_id, r.rule "
        f"FROM {t_q} s JOIN {resolved} r ON r.key = s._source_key WHERE s.account_id IS NULL")
    counts = dict(con.execute(f"SELECT rule, count(*) FROM {by_key} GROUP BY rule").fetchall())
    _update_rows(con, table, by_key)
    domains = _account_domains(tmp)
    if domains is not None:
        by_domain = tmp("dom")
        _run(con,
            f"CREATE TEMP TABLE {by_domain} AS SELECT r.rid, min(a.account_id) AS account_id FROM ("
            f"SELECT s.rowid AS rid, s._source_key AS key, unnest({_row_domains_sql(con, table)}) "
            f"AS domain FROM {t_q} s WHERE s.account_id IS NULL {key_filter}) r "
            f"JOIN {domains} a ON a.domain = r.domain "
            f"WHERE NOT EXISTS (SELECT 1 FROM {dec} x WHERE x.decision = 'rejected' "
            "AND x.source_key = r.key AND (x.account_id IS NULL OR x.account_id = a.account_id)) "
            # a key the rules found several accounts for may only go to one of those
            f"AND (r.key NOT IN (SELECT key FROM {ambiguous}) OR EXISTS (SELECT 1 FROM "
            f"{ambiguous} m WHERE m.key = r.key AND m.account_id = a.account_id)) "
            "GROUP BY r.rid HAVING count(DISTINCT a.account_id) = 1", params)
        counts["domain"] = _update_rows(con, table, by_domain)
    order = {"decision": (0, 0), "account_id": (1, 0), "name": (3, 0), "domain": (4, 0)}
    ranked = sorted(counts, key=lambda r: order.get(r) or (2, aliases.index(r[6:])))
    return _Applied({r: int(counts[r]) for r in ranked if counts[r]}, dec, ambiguous)


def _fuzzy(tmp: _Temp, keys: str, rejected: str, limit: int) -> pd.DataFrame:
    """Best ``limit`` candidate accounts per key by name similarity, set-based.

    Blocking: normalised names are compacted (spaces removed) and cut into character
    3-grams (plus 2-grams when 3 to 6 characters long, as Chinese names are). A key is
    compared only with accounts sharing one of its :data:`BLOCK_GRAMS` rarest n-grams
    (rarest among account names; n-grams held by more than :data:`BLOCK_MAX_DF` accounts
    are not used), and scored in full only against the :data:`BLOCK_TOP` of those closest
    by a cheap byte-wise Jaro-Winkler of the compacted names.

    Score: the greater of the Jaro-Winkler similarity of the compacted names and of the
    compacted names with their words sorted, on characters (DuckDB compares bytes, so a
    pair with non-ASCII characters is first re-coded one byte per distinct character),
    times :data:`NUMBER_MISMATCH_FACTOR` when both names carry numbers and these differ
    ('Store 7' and 'Store 8' are different customers however alike they look). 1.0 and rule 'name'
    when the normalised names are equal, else rule 'fuzzy'. Scores below
    :data:`MIN_SCORE` are dropped; ``rejected`` holds (key, account_id) pairs, or
    (key, NULL) for a key, never to propose.
    """
    con = tmp.con
    acc = tmp.accounts()
    qkeys, kgrams, agrams, pairs = tmp("qk"), tmp("kg"), tmp("ag"), tmp("pairs")
    _run(con,
        f"CREATE TEMP TABLE {qkeys} AS SELECT key, norm, replace(norm, ' ', '') AS compact "
        f"FROM {keys} k WHERE norm IS NOT NULL AND norm <> '' AND NOT EXISTS (SELECT 1 FROM "
        f"{rejected} r WHERE r.key = k.key AND r.account_id IS NULL)")
    if not _one(con, f"SELECT count(*) FROM {qkeys}")[0]:
        return _empty_candidates()
    _run(con, f"CREATE TEMP TABLE {kgrams} AS SELECT DISTINCT key, g FROM ({_grams_sql(qkeys, 'key')})")
    # only the account n-grams some key has: the rest cannot make a candidate pair
    _run(con,
        f"CREATE TEMP TABLE {agrams} AS SELECT DISTINCT account_id, g FROM "
        f"({_grams_sql(acc, 'account_id')}) WHERE g IN (SELECT g FROM {kgrams})")
    # Candidates: accounts sharing one of the key's rarest n-grams; of these, the
    # BLOCK_TOP closest by a cheap byte-wise Jaro-Winkler go on to the full score.
    _run(con,
        f"CREATE TEMP TABLE {pairs} AS SELECT key, unnest(max_by(c.account_id, {{'s': "
        f"jaro_winkler_similarity(k.compact, a.compact), 'id': c.account_id}}, {int(BLOCK_TOP)})) "
        f"AS account_id FROM (SELECT DISTINCT key, account_id FROM (SELECT key, g FROM ("
        f"SELECT k.key, k.g, row_number() OVER (PARTITION BY k.key ORDER BY df.n, k.g) AS rk "
        f"FROM {kgrams} k JOIN (SELECT g, count(*) AS n FROM {agrams} GROUP BY g) df USING (g) "
        f"WHERE df.n <= {int(BLOCK_MAX_DF)}) WHERE rk <= {int(BLOCK_GRAMS)}) "
        f"JOIN {agrams} USING (g)) c JOIN {qkeys} k USING (key) JOIN {acc} a USING (account_id) "
        "GROUP BY key")
    words = "array_to_string(list_sort(string_split({n}, ' ')), '')"
    return con.execute(
        f"SELECT key AS source_key, account_id, account_name, score, rule FROM ("
        f"SELECT *, row_number() OVER (PARTITION BY key ORDER BY score DESC, lower(account_name), "
        f"account_id) AS rk FROM ("
        f"SELECT key, account_id, account_name, CASE WHEN same THEN 1.0 ELSE round(greatest("
        f"{_similarity_sql('kc', 'ac', 'al')}, CASE WHEN kw IS NULL THEN 0 ELSE "
        f"{_similarity_sql('kw', 'aw', 'al')} END) * CASE WHEN kd = ad OR len(kd) = 0 "
        f"OR len(ad) = 0 THEN 1 ELSE {float(NUMBER_MISMATCH_FACTOR)} END, 4) END AS score, "
        f"CASE WHEN same THEN 'name' ELSE 'fuzzy' END AS rule FROM ("
        f"SELECT *, CASE WHEN strlen(kc || ac) <> length(kc || ac) "
        f"THEN array_to_string(list_distinct(string_split(kc || ac, '')), '') END AS al FROM ("
        f"SELECT p.key, p.account_id, a.account_name, k.norm = a.norm AS same, "
        f"k.compact AS kc, a.compact AS ac, "
        f"CASE WHEN contains(k.norm, ' ') OR contains(a.norm, ' ') "
        f"THEN {words.format(n='k.norm')} END AS kw, "
        f"CASE WHEN contains(k.norm, ' ') OR contains(a.norm, ' ') "
        f"THEN {words.format(n='a.norm')} END AS aw, "
        f"regexp_extract_all(k.norm, '[0-9]+') AS kd, regexp_extract_all(a.norm, '[0-9]+') AS ad "
        f"FROM {pairs} p JOIN {qkeys} k USING (key) JOIN {acc} a USING (account_id) "
        f"WHERE NOT EXISTS (SELECT 1 FROM {rejected} r WHERE r.key = p.key "
        f"AND r.account_id = p.account_id)))) "
        f"WHERE score >= {float(MIN_SCORE)}) WHERE rk <= {int(limit)} "
        "ORDER BY source_key, score DESC, lower(account_name), account_id").df()


def _grams_sql(table: str, id_col: str) -> str:
    """(id, g): character 3-grams of ``table``.compact (the whole of a shorter string),
    plus its 2-grams when it has 3 to 6 characters."""
    return (f"SELECT {id_col}, substr(compact, unnest(range(1, greatest(length(compact) - 1, 2))), 3) "
            f"AS g FROM {table} WHERE compact <> '' UNION ALL SELECT {id_col}, "
            f"substr(compact, unnest(range(1, length(compact))), 2) FROM {table} "
            "WHERE length(compact) BETWEEN 3 AND 6")


_RECODE = "".join(chr(c) for c in range(0x21, 0x7F))


def _similarity_sql(x: str, y: str, alphabet: str) -> str:
    """Jaro-Winkler similarity of ``x`` and ``y`` on characters, not bytes.

    ``alphabet`` is NULL for an ASCII pair, else the pair's distinct characters: each is
    re-coded to one ASCII byte first, which keeps equal characters equal and different
    ones different (a pair with more distinct characters than printable ASCII is compared
    on bytes).
    """
    def recode(v: str) -> str:
        return f"translate({v}, {alphabet}, substr({_lit(_RECODE)}, 1, length({alphabet})))"

    return (f"CASE WHEN {alphabet} IS NULL OR length({alphabet}) > {len(_RECODE)} "
            f"THEN jaro_winkler_similarity({x}, {y}) "
            f"ELSE jaro_winkler_similarity({recode(x)}, {recode(y)}) END")


CANDIDATE_COLUMNS = ["source_key", "account_id", "account_name", "score", "rule"]


def _empty_candidates() -> pd.DataFrame:
    return pd.DataFrame({"source_key": pd.Series(dtype="object"),
                         "account_id": pd.Series(dtype="object"),
                         "account_name": pd.Series(dtype="object"),
                         "score": pd.Series(dtype="float64"), "rule": pd.Series(dtype="object")})


def _proposal_list(frame: pd.DataFrame) -> list[Proposal]:
    return [Proposal(str(r.source_key), str(r.account_id),
                     None if pd.isna(r.account_name) else str(r.account_name),
                     float(r.score), str(r.rule)) for r in frame.itertuples(index=False)]


def _merge_candidates(frames: list[pd.DataFrame], limit: int) -> pd.DataFrame:
    """Ambiguous exact matches (score 1) and fuzzy candidates, best ``limit`` per key."""
    frames = [f[CANDIDATE_COLUMNS] for f in frames if not f.empty]
    if not frames:
        return _empty_candidates()
    both = pd.concat(frames, ignore_index=True)
    both["score"] = both["score"].astype("float64")
    # an ambiguous exact match outranks the same pair found again by the fuzzy search
    both["_fuzzy"] = (both["rule"] == "fuzzy").astype(int)
    both["_name"] = both["account_name"].fillna("").str.lower()
    both = (both.sort_values(["source_key", "score", "_fuzzy", "_name", "account_id"],
                             ascending=[True, False, True, True, True])
            .drop_duplicates(["source_key", "account_id"]))
    both = both.groupby("source_key", sort=False).head(limit)
    return both.drop(columns=["_fuzzy", "_name"]).reset_index(drop=True)


def match_keys(con: duckdb.DuckDBPyConnection, staged_table: str, kind: str) -> MatchReport:
    """Fill ``account_id`` in ``staged_table`` from its ``_source_key`` by the rules above.

    ``staged_table`` has ``_source_key VARCHAR`` and ``account_id VARCHAR``; rows whose
    ``account_id`` is already set are left alone (counted as rule 'other'). ``accounts``
    must exist in ``con``. Returns the rows matched per rule, the unmatched keys (most
    rows first) and up to :data:`PROPOSALS_PER_KEY` candidate accounts for each listed
    unmatched key. Issues no BEGIN/COMMIT, so it runs inside the caller's transaction.
    """
    if not _has_table(con, staged_table):
        raise MatchingError("matching.error.no_table", table=staged_table)
    if not _has_table(con, "accounts"):
        raise MatchingError("matching.error.no_accounts")
    missing = {"_source_key", "account_id"} - set(table_columns(con, staged_table))
    if missing:
        raise MatchingError("matching.error.columns", table=staged_table,
                            columns=", ".join(sorted(missing)))
    ensure_matches_table(con)
    t_q = quote_ident(staged_table)
    preset = _one(con, f"SELECT count(account_id) FROM {t_q}")[0]
    with _Temp(con) as tmp:
        applied = _apply_rules(tmp, staged_table, kind, alias_columns(con, staged_table))
        rows, matched = _one(con, f"SELECT count(*), count(account_id) FROM {t_q}")
        unmatched = [r[0] for r in con.execute(
            f"SELECT CAST(_source_key AS VARCHAR) AS k FROM {t_q} WHERE account_id IS NULL "
            f"AND _source_key IS NOT NULL GROUP BY k ORDER BY count(*) DESC, k "
            f"LIMIT {int(MAX_UNMATCHED_KEYS)}").fetchall()]
        proposals: list[Proposal] = []
        if unmatched:
            keys, rejected = tmp("ukeys"), tmp("urej")
            _run(con,
                f"CREATE TEMP TABLE {keys} AS SELECT key, {normalise_name_sql('key')} AS norm "
                "FROM (SELECT unnest($keys) AS key)", {"keys": unmatched})
            _run(con,
                f"CREATE TEMP TABLE {rejected} AS SELECT source_key AS key, account_id "
                f"FROM {applied.decisions} WHERE decision = 'rejected'")
            amb = _ambiguous_frame(tmp, applied.ambiguous)
            amb = amb[amb["source_key"].isin(unmatched)]
            proposals = _proposal_list(_merge_candidates(
                [amb, _fuzzy(tmp, keys, rejected, PROPOSALS_PER_KEY)], PROPOSALS_PER_KEY))
    by_rule = dict(applied.by_rule)
    if preset:
        by_rule["other"] = int(preset)
    return MatchReport(kind, int(rows), int(matched), by_rule, unmatched, proposals)


def rematch(con: duckdb.DuckDBPyConnection, kind: str | None = None) -> dict[str, MatchReport]:
    """Match every loaded table (or ``kind``'s) afresh: reset ``account_id``, apply the rules.

    For after a change of alias columns or of the accounts table. All or nothing.
    """
    kinds = [kind] if kind else loaded_tables(con)
    with _transaction(con):
        reports = {}
        for name in kinds:
            _run(con, f"UPDATE {quote_ident(name)} SET account_id = NULL")
            reports[name] = match_keys(con, name, name)
    return reports


class _transaction:
    """BEGIN/COMMIT around a block, unless the caller already holds a transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.own = False

    def __enter__(self) -> None:
        try:
            _run(self.con, "BEGIN TRANSACTION")
            self.own = True
        except duckdb.TransactionException:
            self.own = False

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if self.own:
            _run(self.con, "ROLLBACK" if exc_type else "COMMIT")


# Review
COVERAGE_COLUMNS = ["kind", "rows", "matched", "unmatched", "matched_share", "by_decision",
                    "by_account_id", "by_alias", "by_name", "by_domain", "by_other"]


def coverage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per loaded table: rows, matched, unmatched, matched share and matched rows by rule.

    ``matched_share`` = matched / rows (None for an empty table). The rule of a matched row
    is the first rule that, today, gives the account it holds (decision, account_id, alias,
    name, then domain); ``by_other`` counts rows whose account no current rule explains
    (e.g. matched through an alias column since removed). The by_* columns sum to
    ``matched``.
    """
    out = []
    has_accounts = _has_table(con, "accounts")
    if has_accounts:
        ensure_matches_table(con)
    for kind in loaded_tables(con):
        rows, matched = _one(con,
            f"SELECT count(*), count(account_id) FROM {quote_ident(kind)}")
        by = dict.fromkeys(COVERAGE_COLUMNS[5:], 0)
        if matched:
            by.update(_explain(con, kind) if has_accounts else {"by_other": int(matched)})
        out.append({"kind": kind, "rows": int(rows), "matched": int(matched),
                    "unmatched": int(rows - matched),
                    "matched_share": matched / rows if rows else None, **by})
    frame = pd.DataFrame(out, columns=COVERAGE_COLUMNS)
    counts = {c: "int64" for c in COVERAGE_COLUMNS if c not in ("kind", "matched_share")}
    return frame.astype({**counts, "kind": "object", "matched_share": "Float64"})


def _explain(con: duckdb.DuckDBPyConnection, kind: str) -> dict[str, int]:
    """Matched rows of ``kind`` by the rule that explains their account (see coverage)."""
    t_q = quote_ident(kind)
    with _Temp(con) as tmp:
        dec = _decisions_for(tmp, kind)
        keys = tmp("keys")
        _run(con,
            f"CREATE TEMP TABLE {keys} AS SELECT key, {normalise_name_sql('key')} AS norm FROM ("
            f"SELECT DISTINCT CAST(_source_key AS VARCHAR) AS key FROM {t_q} "
            "WHERE account_id IS NOT NULL)")
        resolved, _ = _resolve(tmp, _key_candidates(tmp, keys, dec, alias_columns(con, kind)))
        domains = _account_domains(tmp)
        by_domain = (f"WHEN EXISTS (SELECT 1 FROM {domains} x WHERE x.account_id = s.account_id "
                     f"AND list_contains({_row_domains_sql(con, kind)}, x.domain)) THEN 'domain'"
                     if domains else "")
        rows = con.execute(
            f"SELECT CASE WHEN r.account_id = s.account_id THEN split_part(r.rule, ':', 1) "
            f"{by_domain} ELSE 'other' END AS rule, count(*) FROM {t_q} s LEFT JOIN {resolved} r "
            f"ON r.key = s._source_key WHERE s.account_id IS NOT NULL GROUP BY 1").fetchall()
    return {f"by_{rule}": int(n) for rule, n in rows}


PROPOSE_COLUMNS = ["source_key", "kinds", "rows", "rank", "account_id", "account_name",
                   "score", "rule"]


def propose(con: duckdb.DuckDBPyConnection, kind: str | None = None, limit: int = 5,
            max_keys: int | None = 500) -> pd.DataFrame:
    """Unmatched keys of the loaded tables (or of ``kind``) with their best candidates.

    One row per (key, candidate), ``rank`` 1 = best; a key without candidates has one row
    with ``rank``, ``account_id`` and ``score`` missing. ``kinds`` lists the tables the key
    is unmatched in and ``rows`` counts those rows. Keys are ordered by rows (most first),
    capped at ``max_keys``. Candidates: accounts a rule found several of (score 1.0) and
    the fuzzy search (:func:`_fuzzy`), without pairs rejected for every table or for a
    table the key is in, and without keys rejected outright.
    """
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in PROPOSE_COLUMNS})
    if not _has_table(con, "accounts"):
        return empty
    ensure_matches_table(con)
    loaded = loaded_tables(con)
    kinds = [k for k in ([kind] if kind else loaded) if k in loaded]
    if not kinds:
        return empty
    union = " UNION ALL ".join(
        f"SELECT CAST(_source_key AS VARCHAR) AS key, {_lit(k)} AS kind, count(*) AS n "
        f"FROM {quote_ident(k)} WHERE account_id IS NULL AND _source_key IS NOT NULL GROUP BY 1"
        for k in kinds)
    cap = f"LIMIT {int(max_keys)}" if max_keys else ""
    with _Temp(con) as tmp:
        per_kind, keys, rejected = tmp("pk"), tmp("keys"), tmp("rej")
        _run(con, f"CREATE TEMP TABLE {per_kind} AS {union}")
        _run(con,
            f"CREATE TEMP TABLE {keys} AS SELECT key, {normalise_name_sql('key')} AS norm, "
            f"rows, kinds FROM (SELECT key, sum(n)::BIGINT AS rows, "
            f"string_agg(kind, ', ' ORDER BY kind) AS kinds FROM {per_kind} GROUP BY key "
            f"ORDER BY rows DESC, key {cap})")
        key_frame = con.execute(
            f"SELECT key AS source_key, kinds, rows FROM {keys} ORDER BY rows DESC, key").df()
        if key_frame.empty:
            return empty
        _run(con,
            f"CREATE TEMP TABLE {rejected} AS SELECT DISTINCT p.key, m.account_id "
            f"FROM {per_kind} p JOIN {MATCHES_TABLE} m ON m.source_key = p.key "
            "AND (m.kind IS NULL OR m.kind = p.kind) WHERE m.decision = 'rejected'")
        frames = []
        for k in kinds:
            key_kind = tmp("kk")
            _run(con,
                f"CREATE TEMP TABLE {key_kind} AS SELECT key, norm FROM {keys} "
                f"WHERE key IN (SELECT key FROM {per_kind} WHERE kind = $kind)", {"kind": k})
            cand = _key_candidates(tmp, key_kind, _decisions_for(tmp, k), alias_columns(con, k))
            frames.append(_ambiguous_frame(tmp, _resolve(tmp, cand)[1], rejected))
        frames.append(_fuzzy(tmp, keys, rejected, limit))
        cands = _merge_candidates(frames, limit)
    cands["rank"] = cands.groupby("source_key").cumcount() + 1
    out = key_frame.merge(cands, on="source_key", how="left", sort=False)
    out = out.astype({"rank": "Int64", "score": "Float64", "rows": "int64"})
    return out[PROPOSE_COLUMNS].reset_index(drop=True)


def decide(con: duckdb.DuckDBPyConnection, source_key: str, account_id: str | None,
           decision: str, kind: str | None = None) -> int:
    """Save a decision about ``source_key`` and re-resolve the loaded rows with that key.

    - ``confirmed`` + account: rows keyed ``source_key`` belong to ``account_id``
      (replaces an earlier confirmation for this key; clears a rejection of this pair);
    - ``rejected`` + account: never match or propose this pair (clears its confirmation);
    - ``rejected`` + None: the key belongs to no account; keep its rows unmatched.

    ``kind`` None applies the decision to every table; a kind's own decisions about a key
    take precedence over those for every table. The loaded tables concerned are then
    re-resolved for this key (``UPDATE … SET account_id … WHERE _source_key = key``).
    Returns the number of rows whose ``account_id`` changed.
    """
    if decision not in DECISIONS:
        raise MatchingError("matching.error.decision", decision=decision)
    if decision == "confirmed" and account_id is None:
        raise MatchingError("matching.error.confirm_none", source=source_key)
    if account_id is not None:
        if not _has_table(con, "accounts") or not _one(con,
                "SELECT count(*) FROM accounts WHERE account_id = ?", [account_id])[0]:
            raise MatchingError("matching.error.unknown_account", account=account_id)
    ensure_matches_table(con)
    scope = "kind = $kind" if kind is not None else "kind IS NULL"
    where = {"confirmed": "(decision = 'confirmed' OR account_id = $account OR account_id IS NULL)",
             "rejected": "TRUE" if account_id is None else "account_id = $account"}[decision]
    params: dict[str, Any] = {"key": source_key}
    if kind is not None:
        params["kind"] = kind
    if "$account" in where:
        params["account"] = account_id
    with _transaction(con):
        # one current decision per (key, table scope, account); one confirmation per key
        _run(con, f"DELETE FROM {MATCHES_TABLE} WHERE source_key = $key AND {scope} AND {where}",
                    params)
        _run(con, f"INSERT INTO {MATCHES_TABLE} VALUES ($key, $kind, $account, $decision, "
                    "CAST(now() AS TIMESTAMP))",
                    {"key": source_key, "kind": kind, "account": account_id, "decision": decision})
        changed = 0
        for name in ([kind] if kind in loaded_tables(con) else [] if kind else loaded_tables(con)):
            changed += _rematch_key(con, name, source_key)
    return changed


def _rematch_key(con: duckdb.DuckDBPyConnection, table: str, source_key: str) -> int:
    """Reset and re-resolve the rows of ``table`` keyed ``source_key``; rows changed."""
    t_q = quote_ident(table)
    if not _one(con, f"SELECT count(*) FROM {t_q} WHERE _source_key = $key", {"key": source_key})[0]:
        return 0
    with _Temp(con) as tmp:
        before = tmp("before")
        _run(con, f"CREATE TEMP TABLE {before} AS SELECT rowid AS rid, account_id FROM {t_q} "
                    "WHERE _source_key = $key", {"key": source_key})
        _run(con, f"UPDATE {t_q} SET account_id = NULL WHERE _source_key = $key", {"key": source_key})
        _apply_rules(tmp, table, table, alias_columns(con, table), only_key=source_key)
        return int(_one(con,
            f"SELECT count(*) FROM {before} b JOIN {t_q} s ON s.rowid = b.rid "
            "WHERE s.account_id IS DISTINCT FROM b.account_id")[0])


def best_candidates(proposals: pd.DataFrame, min_score: float) -> pd.DataFrame:
    """Each key's best candidate from :func:`propose`, when it scores ≥ ``min_score`` and
    is not tied with the key's second candidate (a tie is for the user to settle).

    Columns: source_key, account_id, account_name, score, rule.
    """
    cands = proposals.dropna(subset=["account_id"])
    best = cands[cands["rank"] == 1].set_index("source_key")
    second = cands[cands["rank"] == 2].set_index("source_key")["score"].reindex(best.index)
    tied = (second == best["score"]).fillna(False).astype(bool)
    chosen = best[(best["score"] >= float(min_score)).fillna(False).astype(bool) & ~tied]
    return chosen.reset_index()[["source_key", "account_id", "account_name", "score", "rule"]]


def confirm_above(con: duckdb.DuckDBPyConnection, min_score: float, kind: str | None = None,
                  proposals: pd.DataFrame | None = None) -> int:
    """Confirm :func:`best_candidates` of every unmatched key (of ``proposals`` when given,
    e.g. the ones a page shows); returns the rows whose account changed."""
    if proposals is None:
        proposals = propose(con, kind, limit=2, max_keys=None)
    chosen = best_candidates(proposals, min_score)
    return sum(decide(con, str(r.source_key), str(r.account_id), "confirmed", kind)
               for r in chosen.itertuples(index=False))


def forget(con: duckdb.DuckDBPyConnection, source_key: str, kind: str | None = None) -> int:
    """Remove the decisions about ``source_key`` (for ``kind``, or for every table when
    None) and re-resolve its rows by the rules; returns the rows whose account changed."""
    ensure_matches_table(con)
    scope = "kind = $kind" if kind is not None else "kind IS NULL"
    params: dict[str, Any] = {"key": source_key, **({"kind": kind} if kind is not None else {})}
    with _transaction(con):
        _run(con, f"DELETE FROM {MATCHES_TABLE} WHERE source_key = $key AND {scope}", params)
        loaded = loaded_tables(con)
        return sum(_rematch_key(con, name, source_key)
                   for name in ([kind] if kind in loaded else [] if kind else loaded))


def decisions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The saved decisions with the account name, newest first."""
    ensure_matches_table(con)
    name = "a.account_name" if _has_table(con, "accounts") else "NULL"
    join = "LEFT JOIN accounts a ON a.account_id = m.account_id" if _has_table(con, "accounts") else ""
    return con.execute(
        f"SELECT m.source_key, m.kind, m.account_id, {name} AS account_name, m.decision, "
        f"m.decided_at FROM {MATCHES_TABLE} m {join} ORDER BY m.decided_at DESC, m.source_key").df()


def search_accounts(con: duckdb.DuckDBPyConnection, text: str, limit: int = 20) -> pd.DataFrame:
    """Accounts whose ID or name contains ``text`` (or whose normalised name does)."""
    if not _has_table(con, "accounts"):
        return pd.DataFrame(columns=["account_id", "account_name"])
    needle = (text or "").strip()
    return con.execute(
        f"SELECT account_id, account_name FROM accounts WHERE $t = '' "
        f"OR contains(lower(account_id), lower($t)) OR contains(lower(account_name), lower($t)) "
        f"OR contains({normalise_name_sql('account_name')}, {normalise_name_sql('$t')}) "
        f"ORDER BY lower(account_name), account_id LIMIT {int(limit)}", {"t": needle}).df()
