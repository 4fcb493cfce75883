"""Account matching: normalisation rules, each matching rule, ambiguity, decisions reused on
the next upload, unmatched rows kept, and the example company's eight exports end to end."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cs_metrics import matching
from cs_metrics.errors import InputError
from cs_metrics.matching import (coverage, decide, match_keys, normalise_name, normalise_name_sql,
                                 propose, set_alias_columns)

EXAMPLES = Path("/work/shared/examples")

ACCOUNTS = [
    # account_id, account_name, billing_customer_id, erp_code, industry, domain
    ("A1", "Acme Inc", "cus_A1", "KH001", "Software", "acme.com"),
    ("A2", "ACME Ltd.", "cus_A2", "KH002", "Software", None),
    ("A3", "恒达物流有限公司", "cus_A3", "KH003", "Logistics", "www.hengda.cn"),
    ("A4", "Martha", "cus_A4", "KH004", "Retail", "https://martha.io/"),
    ("A5", "Store 7", "cus_A5", "KH005", "Retail", None),
]


@pytest.fixture()
def con():
    connection = duckdb.connect(":memory:")
    connection.execute(
        "CREATE TABLE accounts (account_id VARCHAR, account_name VARCHAR, billing_customer_id VARCHAR, "
        "erp_code VARCHAR, industry VARCHAR, domain VARCHAR)")
    connection.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?)", ACCOUNTS)
    yield connection
    connection.close()


def stage(con, table: str, keys: list[str | None], **extra: list) -> None:
    """A staged table as ingest hands it over: _source_key, account_id NULL, other columns."""
    frame = pd.DataFrame({"_source_key": pd.Series(keys, dtype="object"), **extra})
    cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in extra)
    con.register("_stage_frame", frame)
    con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT CAST(_source_key AS VARCHAR) AS _source_key, '
                f"CAST(NULL AS VARCHAR) AS account_id{', ' + cols if cols else ''} FROM _stage_frame")
    con.unregister("_stage_frame")


def accounts_of(con, table: str) -> list[tuple[str, str | None]]:
    return con.execute(f'SELECT _source_key, account_id FROM "{table}" ORDER BY rowid').fetchall()


def sql_normalise(con, text: str) -> str:
    return con.execute(f"SELECT {normalise_name_sql('$t')}", {"t": text}).fetchone()[0]


# Normalisation
NORMALISATION_CASES = [
    ("case", "ACME Software", "acme software"),
    ("full-width letters and space", "ＡＣＭＥ　Ｓｏｆｔｗａｒｅ", "acme software"),
    ("full-width punctuation", "恒达物流（上海）", "恒达物流上海"),
    ("punctuation", "Acme, Soft-ware!", "acme soft ware"),
    ("whitespace", "  Acme \t  Software  ", "acme software"),
    ("dots and apostrophes join", "O'Neil A.B.C.", "oneil abc"),
    ("ampersand", "A & B Ltd", "a and b"),
    ("accents", "Société Générale", "societe generale"),
    ("leading article", "The Acme Company", "acme"),
    ("Inc", "Acme Inc.", "acme"),
    ("Ltd", "Acme Ltd", "acme"),
    ("LLC dotted", "Acme L.L.C.", "acme"),
    ("GmbH", "Acme GmbH", "acme"),
    ("Co. Ltd. repeated", "Acme Co., Ltd.", "acme"),
    ("Corp", "Acme Corp", "acme"),
    ("Limited", "Acme Holdings Limited", "acme"),
    ("suffix inside a word stays", "Incubator Colabs", "incubator colabs"),
    ("suffix alone stays", "Inc", "inc"),
    ("number at the end keeps the words", "Nova Group 17", "nova group 17"),
    ("有限公司", "恒达物流有限公司", "恒达物流"),
    ("股份有限公司", "恒达物流股份有限公司", "恒达物流"),
    ("有限责任公司", "恒达物流有限责任公司", "恒达物流"),
    ("集团 + 有限公司", "恒达集团有限公司", "恒达"),
    ("spaces between Chinese characters", "恒达 物流 有限公司", "恒达物流"),
    ("full-width Chinese brackets", "东盛（北京）科技股份有限公司", "东盛北京科技"),
    ("mixed scripts", "华为 Technologies Co., Ltd.", "华为technologies"),
    ("only punctuation", "—·—", ""),
]


@pytest.mark.parametrize("rule,name,expected", NORMALISATION_CASES, ids=[c[0] for c in NORMALISATION_CASES])
def test_normalise_name_rules(con, rule, name, expected):
    assert normalise_name(name) == expected
    assert sql_normalise(con, name) == expected


def test_normalise_none_and_macro(con):
    assert normalise_name(None) == ""
    assert con.execute(f"SELECT {normalise_name_sql('NULL')}").fetchone()[0] is None
    matching.register_macros(con)
    assert con.execute("SELECT polaris_normalise_name('ＡＣＭＥ Co., Ltd.')").fetchone()[0] == "acme"


NAME_PARTS = (list("abcXYZ019 .,&'-_()（）＆．ＡＢｃ　·、恒达物流有限公司股份集团éÉüøİ한국")
              + [" inc", " ltd", " co", " gmbh", "有限公司", "the ", " Group", " L.L.C."])


def generated_names(n: int, seed: int = 9) -> list[str]:
    """Names built from the parts the rules care about, and strings of any assigned BMP
    characters (DuckDB and Python may disagree on code points newer than their Unicode data)."""
    rng = random.Random(seed)
    names = []
    for _ in range(n):
        if rng.random() < 0.6:
            names.append("".join(rng.choice(NAME_PARTS) for _ in range(rng.randint(0, 10))))
        else:
            chars: list[str] = []
            length = rng.randint(0, 12)
            while len(chars) < length:
                c = chr(rng.randint(1, 0xFFFF))
                if unicodedata.category(c) not in ("Cs", "Cc", "Cn", "Co"):
                    chars.append(c)
            names.append("".join(chars))
    return names


def test_python_and_sql_normalisation_agree(con):
    names = generated_names(3000)
    in_sql = con.execute(f"SELECT list({normalise_name_sql('t')} ORDER BY i) FROM "
                         "(SELECT unnest($names) AS t, generate_subscripts($names, 1) AS i)",
                         {"names": names}).fetchall()[0][0]
    differ = [(n, normalise_name(n), s) for n, s in zip(names, in_sql) if normalise_name(n) != s]
    assert differ == []


# Rules
def test_each_rule_in_order_and_unmatched_rows_kept(con):
    stage(con, "nps", ["A4", "cus_A5", "KH003", "恒达物流股份有限公司", "Nobody Ltd", "Nobody Ltd", None],
          respondent=[None, None, None, None, "x@martha.io", "y@gmail.com", None])
    report = match_keys(con, "nps", "nps")
    assert accounts_of(con, "nps") == [
        ("A4", "A4"), ("cus_A5", "A5"), ("KH003", "A3"), ("恒达物流股份有限公司", "A3"),
        ("Nobody Ltd", "A4"),  # the respondent's e-mail domain is Martha's
        ("Nobody Ltd", None),  # gmail.com is nobody's domain
        (None, None)]
    assert report.rows == 7 and report.matched_rows == 5 and report.unmatched_rows == 2
    assert report.by_rule == {"account_id": 1, "alias:billing_customer_id": 1, "alias:erp_code": 1,
                              "name": 1, "domain": 1}
    assert sum(report.by_rule.values()) == report.matched_rows
    assert report.unmatched_keys == ["Nobody Ltd"]
    assert report.matched_share == pytest.approx(5 / 7)


def test_web_domain_key(con):
    stage(con, "usage", ["https://www.acme.com/app", "hengda.cn", "martha.io", "example.com"])
    report = match_keys(con, "usage", "usage")
    assert [a for _, a in accounts_of(con, "usage")] == ["A1", "A3", "A4", None]
    assert report.by_rule == {"domain": 3}


def test_alias_columns_detected_configured_and_cleared(con):
    stage(con, "subscriptions", ["cus_A1", "cus_A1", "KH002"])
    assert matching.detect_alias_columns(con, "subscriptions") == ["billing_customer_id", "erp_code"]
    assert matching.alias_column_options(con) == ["billing_customer_id", "erp_code"]  # not industry/domain
    assert match_keys(con, "subscriptions", "subscriptions").by_rule == {
        "alias:billing_customer_id": 2, "alias:erp_code": 1}

    set_alias_columns(con, ["erp_code"])
    assert matching.configured_alias_columns(con) == ["erp_code"]
    stage(con, "subscriptions", ["cus_A1", "cus_A1", "KH002"])
    report = match_keys(con, "subscriptions", "subscriptions")
    assert report.by_rule == {"alias:erp_code": 1} and report.unmatched_keys == ["cus_A1"]

    set_alias_columns(con, [])
    stage(con, "subscriptions", ["cus_A1", "KH002"])
    assert match_keys(con, "subscriptions", "subscriptions").matched_rows == 0

    set_alias_columns(con, None)
    assert matching.configured_alias_columns(con) is None
    stage(con, "subscriptions", ["cus_A1", "KH002"])
    assert match_keys(con, "subscriptions", "subscriptions").matched_rows == 2
    with pytest.raises(InputError):
        set_alias_columns(con, ["no_such_column"])


def test_non_unique_column_is_not_detected_and_a_configured_one_only_proposes(con):
    con.execute("ALTER TABLE accounts ADD COLUMN region_code VARCHAR")
    con.execute("UPDATE accounts SET region_code = CASE WHEN account_id IN ('A1', 'A2') THEN 'R1' ELSE account_id END")
    stage(con, "tickets", ["R1", "A9"])
    assert matching.detect_alias_columns(con, "tickets") == []
    set_alias_columns(con, ["region_code"])
    report = match_keys(con, "tickets", "tickets")
    assert report.matched_rows == 0
    assert {(p.source_key, p.account_id, p.score, p.rule) for p in report.proposals} == {
        ("R1", "A1", 1.0, "alias"), ("R1", "A2", 1.0, "alias")}


def test_names_that_normalise_alike_are_proposed_never_matched(con):
    stage(con, "tickets", ["acme", "ACME", "Ａｃｍｅ Co."])
    report = match_keys(con, "tickets", "tickets")
    assert report.matched_rows == 0 and report.unmatched_rows == 3
    assert sorted(report.unmatched_keys) == ["ACME", "acme", "Ａｃｍｅ Co."]
    pairs = {(p.source_key, p.account_id, p.score, p.rule) for p in report.proposals}
    assert pairs == {(k, a, 1.0, "name") for k in report.unmatched_keys for a in ("A1", "A2")}
    # "confirm all above a score" leaves ties to the user
    assert matching.confirm_above(con, 0.9) == 0


def test_fuzzy_scores_hand_computed(con):
    stage(con, "tickets", ["Marhta", "恒达物料有限公司", "Store 8", "Zzyzx Quarry"])
    report = match_keys(con, "tickets", "tickets")
    assert report.matched_rows == 0
    by_key = {p.source_key: p for p in report.proposals}
    # Jaro('martha','marhta') = (6/6 + 6/6 + 4/6)/3 = 0.9444; + 3 prefix * 0.1 * 0.0556 = 0.9611
    assert by_key["Marhta"].account_id == "A4" and by_key["Marhta"].score == pytest.approx(0.9611)
    # on characters: Jaro('恒达物流','恒达物料') = (3/4 + 3/4 + 1)/3 = 0.8333; + 3 * 0.1 * 0.1667 = 0.8833
    assert by_key["恒达物料有限公司"].account_id == "A3"
    assert by_key["恒达物料有限公司"].score == pytest.approx(0.8833)
    assert by_key["恒达物料有限公司"].rule == "fuzzy"
    # 'store8' vs 'store7': 0.9333, but different numbers: x 0.8 = 0.7467 < 0.75, not proposed
    assert "Store 8" not in by_key and "Zzyzx Quarry" not in by_key


def test_rejected_pair_never_proposed_or_matched_again(con):
    stage(con, "tickets", ["Marhta", "Marhta"])
    match_keys(con, "tickets", "tickets")
    assert decide(con, "Marhta", "A4", "rejected") == 0
    again = propose(con)
    assert again["source_key"].tolist() == ["Marhta"] and again["account_id"].isna().all()
    stage(con, "tickets", ["Marhta"])  # next upload
    assert match_keys(con, "tickets", "tickets").proposals == []
    # a rejected pair is not matched by a rule either
    stage(con, "nps", ["Martha"])
    decide(con, "Martha", "A4", "rejected")
    stage(con, "nps", ["Martha"])
    assert match_keys(con, "nps", "nps").matched_rows == 0


def test_confirm_updates_loaded_rows_and_is_reused_on_the_next_upload(con):
    stage(con, "tickets", ["Marhta", "Marhta", "Other"])
    match_keys(con, "tickets", "tickets")
    stage(con, "nps", ["Marhta"])
    match_keys(con, "nps", "nps")
    assert decide(con, "Marhta", "A4", "confirmed") == 3  # two ticket rows and one NPS row
    assert accounts_of(con, "tickets") == [("Marhta", "A4"), ("Marhta", "A4"), ("Other", None)]
    saved = con.execute("SELECT source_key, kind, account_id, decision FROM _polaris_matches").fetchall()
    assert saved == [("Marhta", None, "A4", "confirmed")]
    stage(con, "tickets", ["Marhta", "Other"])
    report = match_keys(con, "tickets", "tickets")
    assert report.by_rule == {"decision": 1} and report.unmatched_keys == ["Other"]
    # a new confirmation replaces the old one; no duplicate rows pile up
    assert decide(con, "Marhta", "A5", "confirmed") == 2
    assert con.execute("SELECT count(*), min(account_id) FROM _polaris_matches").fetchone() == (1, "A5")


def test_decision_beats_rules_and_rejecting_an_automatic_match_unmatches(con):
    stage(con, "tickets", ["Martha", "Martha"])
    assert match_keys(con, "tickets", "tickets").by_rule == {"name": 2}
    assert decide(con, "Martha", "A4", "rejected") == 2
    assert accounts_of(con, "tickets") == [("Martha", None), ("Martha", None)]
    assert decide(con, "Martha", "A5", "confirmed") == 2
    assert coverage(con).loc[0, ["matched", "by_decision", "by_name"]].tolist() == [2, 2, 0]
    assert matching.forget(con, "Martha") == 2  # back to the name rule
    assert accounts_of(con, "tickets") == [("Martha", "A4"), ("Martha", "A4")]


def test_no_account_decision_keeps_rows_unmatched_and_silences_proposals(con):
    stage(con, "tickets", ["Marhta", "Acme"])
    match_keys(con, "tickets", "tickets")
    decide(con, "Marhta", None, "rejected")
    decide(con, "Acme", None, "rejected")
    assert propose(con)["account_id"].isna().all()
    stage(con, "tickets", ["Marhta", "Acme"], respondent=["a@martha.io", "b@acme.com"])
    report = match_keys(con, "tickets", "tickets")
    assert report.matched_rows == 0 and report.proposals == []


def test_decisions_for_one_table_override_decisions_for_all(con):
    stage(con, "tickets", ["Northwind"])
    stage(con, "nps", ["Northwind"])
    decide(con, "Northwind", "A1", "confirmed")
    decide(con, "Northwind", "A2", "confirmed", kind="nps")
    assert accounts_of(con, "tickets") == [("Northwind", "A1")]
    assert accounts_of(con, "nps") == [("Northwind", "A2")]
    stage(con, "nps", ["Northwind"])
    assert match_keys(con, "nps", "nps").by_rule == {"decision": 1}
    assert accounts_of(con, "nps") == [("Northwind", "A2")]


def test_decide_refuses_bad_input(con):
    with pytest.raises(InputError):
        decide(con, "x", "A1", "maybe")
    with pytest.raises(InputError):
        decide(con, "x", None, "confirmed")
    with pytest.raises(InputError, match="A99"):
        decide(con, "x", "A99", "confirmed")


def test_match_keys_refuses_missing_tables_and_columns(con):
    with pytest.raises(InputError):
        match_keys(con, "nope", "tickets")
    con.execute("CREATE TABLE bare (_source_key VARCHAR)")
    with pytest.raises(InputError, match="account_id"):
        match_keys(con, "bare", "tickets")
    other = duckdb.connect(":memory:")
    stage(other, "tickets", ["A1"])
    with pytest.raises(InputError, match="accounts"):
        match_keys(other, "tickets", "tickets")


def test_empty_table_and_one_account(con):
    stage(con, "tickets", [])
    report = match_keys(con, "tickets", "tickets")
    assert (report.rows, report.matched_rows, report.matched_share, report.by_rule) == (0, 0, None, {})
    frame = coverage(con)
    assert frame.loc[0, "rows"] == 0 and pd.isna(frame.loc[0, "matched_share"])
    one = duckdb.connect(":memory:")
    one.execute("CREATE TABLE accounts AS SELECT 'X' AS account_id, 'Solo Ltd' AS account_name")
    stage(one, "tickets", ["solo", "SOLO LIMITED", "Sola"])
    report = match_keys(one, "tickets", "tickets")
    assert report.by_rule == {"name": 2} and report.unmatched_keys == ["Sola"]


def test_runs_inside_the_callers_transaction(con):
    stage(con, "tickets", ["Martha"])
    con.execute("BEGIN TRANSACTION")
    assert match_keys(con, "tickets", "tickets").matched_rows == 1
    con.execute("ROLLBACK")
    assert accounts_of(con, "tickets") == [("Martha", None)]


def test_coverage_and_propose_over_loaded_tables(con):
    stage(con, "tickets", ["A1", "cus_A2", "Martha", "Marhta", "Marhta", "Nobody"])
    stage(con, "nps", ["Marhta", "KH005"], respondent=[None, None])
    match_keys(con, "tickets", "tickets")
    match_keys(con, "nps", "nps")
    frame = coverage(con).set_index("kind")
    assert frame.loc["tickets", ["rows", "matched", "unmatched", "by_account_id", "by_alias", "by_name"]
                     ].tolist() == [6, 3, 3, 1, 1, 1]
    assert frame.loc["nps", ["rows", "matched", "by_alias"]].tolist() == [2, 1, 1]
    by_rule = frame[[c for c in frame.columns if c.startswith("by_")]].sum(axis=1)
    assert (by_rule == frame["matched"]).all()
    assert frame.loc["tickets", "matched_share"] == pytest.approx(0.5)

    proposals = propose(con)
    first = proposals.drop_duplicates("source_key").set_index("source_key")
    assert first.loc["Marhta", "kinds"] == "nps, tickets" and first.loc["Marhta", "rows"] == 3
    assert first.loc["Marhta", "account_id"] == "A4" and first.loc["Marhta", "rank"] == 1
    assert pd.isna(first.loc["Nobody", "account_id"])
    assert list(proposals["source_key"].drop_duplicates()) == ["Marhta", "Nobody"]  # most rows first
    assert matching.confirm_above(con, 0.95) == 3
    assert coverage(con).set_index("kind")["unmatched"].to_dict() == {"tickets": 1, "nps": 0}


def test_rematch_after_changing_alias_columns(con):
    stage(con, "subscriptions", ["cus_A1", "KH002"])
    match_keys(con, "subscriptions", "subscriptions")
    set_alias_columns(con, ["billing_customer_id"])
    reports = matching.rematch(con)
    assert reports["subscriptions"].by_rule == {"alias:billing_customer_id": 1}
    assert accounts_of(con, "subscriptions") == [("cus_A1", "A1"), ("KH002", None)]


def test_report_text_in_both_languages(con):
    stage(con, "tickets", ["A1", "Marhta"])
    report = match_keys(con, "tickets", "tickets")
    english = matching.report_text(report, "en")
    assert english.splitlines()[0] == "tickets: 1 of 2 rows matched to an account (50.0%)"
    assert "account ID 1" in english and "Marhta" in english
    chinese = matching.report_text(report, "zh")
    assert chinese.splitlines()[0] == "tickets：2 行中有 1 行匹配到客户（50.0%）" and "客户ID 1" in chinese


def test_search_accounts(con):
    assert matching.search_accounts(con, "acme")["account_id"].tolist() == ["A1", "A2"]
    assert matching.search_accounts(con, "恒达物流")["account_id"].tolist() == ["A3"]
    assert matching.search_accounts(con, "A4")["account_name"].tolist() == ["Martha"]


# The example company
needs_examples = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="example exports not available")


def example_keys() -> dict[str, list[str]]:
    """Each example file's key column as it appears in the file (the rows to match)."""
    read = lambda name, **kw: pd.read_csv(EXAMPLES / name, dtype=str, **kw)  # noqa: E731
    return {
        "subscriptions": read("billing_subscriptions.csv")["Customer ID"].tolist(),
        "accounts": read("客户台账_gbk.csv", encoding="gb18030")["客户编号"].tolist(),
        "goals": read("success_plan_goals.csv", encoding="utf-8-sig")["客户编号"].tolist(),
        "tickets": read("helpdesk_tickets.csv")["Organization"].tolist(),
        "nps": pd.read_excel(EXAMPLES / "nps_responses.xlsx", dtype=str)["Company"].tolist(),
        "mrr": pd.read_excel(EXAMPLES / "finance_mrr_2024.xlsx", header=3, dtype=str)["Customer"].tolist(),
        "usage": read("product_usage_weekly.csv")["account_id"].tolist(),
    }


@pytest.fixture(scope="module")
def example_con():
    crm = pd.read_csv(EXAMPLES / "crm_accounts_export.csv", dtype=str).rename(columns={
        "Account ID": "account_id", "Account Name": "account_name",
        "Billing Customer ID": "billing_customer_id", "ERP Code": "erp_code", "Industry": "industry"})
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE accounts AS SELECT account_id, account_name, billing_customer_id, erp_code, "
                "industry FROM crm")
    yield con
    con.close()


EXPECTED_RULES = {
    "subscriptions": "alias:billing_customer_id", "accounts": "alias:erp_code", "goals": "alias:erp_code",
    "tickets": "name", "nps": "name", "mrr": "name", "usage": "account_id",
}


@needs_examples
@pytest.mark.parametrize("kind", list(EXPECTED_RULES))
def test_example_exports_match_every_row(example_con, kind):
    keys = example_keys()[kind]
    table = f"staged_{kind}"
    stage(example_con, table, keys)
    report = match_keys(example_con, table, kind)
    assert report.rows == len(keys) > 0
    assert report.by_rule == {EXPECTED_RULES[kind]: len(keys)} and report.unmatched_keys == []


@needs_examples
def test_example_helpdesk_as_another_system_spells_it(example_con):
    """Organisation names respelt (case, width, suffixes, typos): exact forms match, typos
    are proposed with the right account first and match every row once confirmed."""
    crm = dict(example_con.execute("SELECT account_name, account_id FROM accounts").fetchall())
    original = example_keys()["tickets"]
    respelt = {
        "Orion Retail 0": "ORION RETAIL 0, INC.",
        "Kite Retail 1": "Kite Retial 1",
        "Orion Foods 2": "Ｏｒｉｏｎ Ｆｏｏｄｓ ２ Co., Ltd.",
        "Quartz Retail 3": "Quartz  Retail 3 GmbH",
        "Nova Labs 28": "Nvoa Labs 28",
    }
    keys = [respelt.get(k, k) for k in original]
    stage(example_con, "tickets", keys)
    report = match_keys(example_con, "tickets", "tickets")
    assert sorted(report.unmatched_keys) == ["Kite Retial 1", "Nvoa Labs 28"]
    best = {p.source_key: p.account_id for p in report.proposals if p.rule == "fuzzy"
            and p.score == max(q.score for q in report.proposals if q.source_key == p.source_key)}
    assert best == {"Kite Retial 1": crm["Kite Retail 1"], "Nvoa Labs 28": crm["Nova Labs 28"]}
    assert matching.confirm_above(example_con, 0.9) == original.count("Kite Retail 1") + original.count(
        "Nova Labs 28")
    rows = example_con.execute("SELECT _source_key, account_id FROM tickets").fetchall()
    assert all(account == crm[original[i]] for i, (_, account) in enumerate(rows))
    example_con.execute("DROP TABLE tickets")
    example_con.execute("DELETE FROM _polaris_matches")


# Through the ingest package
@needs_examples
def test_all_example_files_through_ingest(tmp_path):
    """The eight files loaded through cs_metrics.ingest into one workspace: every row of every
    table is matched; the Chinese ledger's rows match the CRM accounts by ERP code."""
    ingest = pytest.importorskip("cs_metrics.ingest")
    from cs_metrics.workspace import Workspace

    ws = Workspace.create(tmp_path / "examples.duckdb")
    try:
        results = {name: ingest.load_path(ws, EXAMPLES / name) for name in [
            "crm_accounts_export.csv", "billing_subscriptions.csv", "finance_mrr_2024.xlsx",
            "product_usage_weekly.csv", "helpdesk_tickets.csv", "nps_responses.xlsx", "success_plan_goals.csv"]}
        for name, result in results.items():
            if result.kind != "accounts":
                assert result.match.unmatched_rows == 0, matching.report_text(result.match)
        frame = coverage(ws.con).set_index("kind")
        assert set(frame.index) == {"subscriptions", "mrr", "usage", "tickets", "nps", "goals"}
        assert (frame["unmatched"] == 0).all() and (frame["by_other"] == 0).all()
        assert frame.loc["subscriptions", "by_alias"] == frame.loc["subscriptions", "rows"] == 293
        assert frame.loc["goals", "by_alias"] == 48 and frame.loc["usage", "by_account_id"] == 4844
        assert frame.loc["tickets", "by_name"] == 890 and frame.loc["nps", "by_name"] == 207

        raw = ingest.inspect_file(EXAMPLES / "客户台账_gbk.csv")
        prepared = ingest.prepare(ws, raw, "accounts", ingest.propose_mapping(raw, "accounts"))
        ws.con.execute(f"UPDATE {prepared.table} SET account_id = NULL")
        ledger = match_keys(ws.con, prepared.table, "accounts")
        assert ledger.rows == ledger.matched_rows == 150 and ledger.by_rule == {"alias:erp_code": 150}
        ingest.discard(ws, prepared)

        # A re-exported helpdesk file with a misspelt organisation: proposed, confirmed, then
        # matched by the saved decision on the next upload.
        text = (EXAMPLES / "helpdesk_tickets.csv").read_text(encoding="utf-8")
        changed = tmp_path / "helpdesk_tickets.csv"
        changed.write_text(text.replace(",Kite Retail 1,", ",Kite Retial 1,"), encoding="utf-8")
        first = ingest.load_path(ws, changed).match
        kite_rows = first.unmatched_rows
        assert kite_rows > 0 and first.unmatched_keys == ["Kite Retial 1"]
        assert decide(ws.con, "Kite Retial 1", first.proposals[0].account_id, "confirmed") == kite_rows
        second = ingest.load_path(ws, changed).match
        assert second.unmatched_rows == 0 and second.by_rule["decision"] == kite_rows
    finally:
        ws.close()
