"""The Account matching page: coverage with translated headers, unmatched keys with their
candidates, confirm / reject / no-account / bulk / by-hand decisions saved in the workspace,
alias columns, in English and in Chinese."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cs_metrics import matching
from cs_metrics.workspace import Workspace
from tests.page_text import english_leaks, visible_texts

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "matching.py")

ACCOUNTS = pd.DataFrame({
    "account_id": ["A1", "A2", "A3", "A4", "A5"],
    "account_name": ["Acme Inc", "ACME Ltd.", "恒达物流有限公司", "Martha", "Store 7"],
    "billing_customer_id": ["cus_A1", "cus_A2", "cus_A3", "cus_A4", "cus_A5"],
    "erp_code": ["KH001", "KH002", "KH003", "KH004", "KH005"],
})


def keyed(keys: list[str], **extra: list) -> pd.DataFrame:
    return pd.DataFrame({"_source_key": keys, "account_id": pd.Series([None] * len(keys), dtype="string"),
                         **extra})


def fixture_ws(tmp_path, tickets=("A1", "Marhta", "Marhta", "Acme", "Nobody"),
               nps=("恒达物料有限公司",)) -> Workspace:
    ws = Workspace.create(tmp_path / "matching_page.duckdb")
    ws.write_frame("accounts", ACCOUNTS)
    if tickets:
        ws.write_frame("tickets", keyed(list(tickets), ticket_id=[str(i) for i in range(len(tickets))]))
        matching.match_keys(ws.con, "tickets", "tickets")
    if nps:
        ws.write_frame("nps", keyed(list(nps), score=[9] * len(nps)))
        matching.match_keys(ws.con, "nps", "nps")
    return ws


def run_page(tmp_path, monkeypatch, ws, lang="en") -> AppTest:
    monkeypatch.setenv("POLARIS_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["lang"] = lang
    at.session_state["polaris_ws"] = ws
    at.run()
    assert not at.exception, at.exception
    return at


def widget(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


def account_of(ws: Workspace, table: str, key: str) -> list:
    return [r[0] for r in ws.con.execute(f"SELECT account_id FROM {table} WHERE _source_key = ?", [key]).fetchall()]


def test_english_page_shows_coverage_and_unmatched_keys(tmp_path, monkeypatch):
    at = run_page(tmp_path, monkeypatch, fixture_ws(tmp_path))
    assert at.title[0].value == "Account matching"
    assert {m.label: m.value for m in at.metric} == {"Rows": "6", "Matched share": "16.7%", "Unmatched": "5"}
    table = at.dataframe[0].value
    assert list(table.columns) == ["Table", "Rows", "Matched", "Unmatched", "Matched share", "By decision",
                                   "By account ID", "By alias", "By name", "By domain", "Other"]
    assert table.iloc[0].tolist()[:5] == ["support tickets", 5, 1, 4, "20.0%"]
    assert table.iloc[1].tolist()[:5] == ["NPS responses", 1, 0, 1, "0.0%"]
    shown = "\n".join(visible_texts(at))
    for key in ("Marhta", "Acme", "Nobody", "恒达物料有限公司"):
        assert f"**{key}**" in shown
    marhta = at.selectbox(key=widget("matching_pick", "Marhta"))
    assert marhta.value == "A4" and marhta.options[0] == "0.96 · Martha · A4 (similar name)"
    acme = at.selectbox(key=widget("matching_pick", "Acme"))
    assert acme.options == ["1.00 · Acme Inc · A1 (same name)", "1.00 · ACME Ltd. · A2 (same name)"]
    # a key without candidates can only be marked "no account" (or picked by hand)
    assert at.button(key=widget("matching_confirm", "Nobody")).disabled
    assert at.button(key="matching_bulk").label == "Confirm the best candidate of 1 key(s) scoring ≥ 0.95"


def test_confirm_reject_and_no_account(tmp_path, monkeypatch):
    ws = fixture_ws(tmp_path)
    at = run_page(tmp_path, monkeypatch, ws)
    at.button(key=widget("matching_confirm", "Marhta")).click().run()
    assert not at.exception
    assert account_of(ws, "tickets", "Marhta") == ["A4", "A4"]
    assert at.success[0].value == "Decision saved; 2 rows re-matched."
    assert {m.label: m.value for m in at.metric}["Unmatched"] == "3"  # caches refreshed

    at.selectbox(key=widget("matching_pick", "Acme")).set_value("A2")
    at.button(key=widget("matching_reject", "Acme")).click().run()
    at.button(key=widget("matching_none", "Nobody")).click().run()
    decisions = ws.con.execute("SELECT source_key, account_id, decision FROM _polaris_matches "
                               "ORDER BY source_key").fetchall()
    assert decisions == [("Acme", "A2", "rejected"), ("Marhta", "A4", "confirmed"), ("Nobody", None, "rejected")]
    # with A2 rejected the name rule finds one account only, so Acme's row now has it
    assert account_of(ws, "tickets", "Acme") == ["A1"]
    assert widget("matching_pick", "Acme") not in [s.key for s in at.selectbox]
    assert at.button(key=widget("matching_reject", "Nobody")).disabled  # no candidates any more
    assert account_of(ws, "tickets", "Nobody") == [None]


def test_bulk_confirm_and_pick_by_hand(tmp_path, monkeypatch):
    ws = fixture_ws(tmp_path)
    at = run_page(tmp_path, monkeypatch, ws)
    at.number_input(key="matching_bulk_score").set_value(0.85).run()
    assert at.button(key="matching_bulk").label == "Confirm the best candidate of 2 key(s) scoring ≥ 0.85"
    at.button(key="matching_bulk").click().run()
    assert account_of(ws, "tickets", "Marhta") == ["A4", "A4"]
    assert account_of(ws, "nps", "恒达物料有限公司") == ["A3"]
    assert account_of(ws, "tickets", "Acme") == [None]  # tied candidates are left to the user
    assert at.success[0].value == "3 rows matched."

    at.selectbox(key="matching_manual_key").set_value("Nobody")
    at.text_input(key="matching_manual_search").input("store").run()
    assert at.selectbox(key="matching_manual_account").options == ["Store 7 · A5"]
    at.button(key="matching_manual_confirm").click().run()
    assert account_of(ws, "tickets", "Nobody") == ["A5"]

    # removing a saved decision puts the rows back to what the rules say
    saved = matching.decisions(ws.con)
    at.selectbox(key="matching_forget").set_value(int(saved.index[saved["source_key"] == "Nobody"][0]))
    at.button(key="matching_forget_button").click().run()
    assert account_of(ws, "tickets", "Nobody") == [None]


def test_alias_columns_are_chosen_and_applied(tmp_path, monkeypatch):
    ws = fixture_ws(tmp_path, tickets=("cus_A1", "KH002", "KH002"), nps=())
    at = run_page(tmp_path, monkeypatch, ws)
    aliases = at.multiselect(key="matching_aliases")
    assert aliases.value == ["billing_customer_id", "erp_code"]  # detected: unique and in the file
    assert any(c.value == "Detected automatically: billing_customer_id, erp_code" for c in at.caption)
    aliases.set_value(["billing_customer_id"])
    at.button(key="matching_aliases_save").click().run()
    assert matching.configured_alias_columns(ws.con) == ["billing_customer_id"]
    assert account_of(ws, "tickets", "KH002") == [None, None]
    assert at.success[0].value == "Re-matched: 1 of 3 rows now matched."
    at.button(key="matching_aliases_reset").click().run()
    assert matching.configured_alias_columns(ws.con) is None
    assert account_of(ws, "tickets", "KH002") == ["A2", "A2"]
    assert at.multiselect(key="matching_aliases").value == ["billing_customer_id", "erp_code"]


def test_chinese_page(tmp_path, monkeypatch):
    ws = fixture_ws(tmp_path)
    at = run_page(tmp_path, monkeypatch, ws, lang="zh")
    assert at.title[0].value == "客户匹配"
    assert list(at.dataframe[0].value.columns) == ["数据表", "行数", "已匹配", "未匹配", "匹配率", "按决定",
                                                   "按客户ID", "按别名", "按名称", "按域名", "其他"]
    assert at.dataframe[0].value.iloc[0, 0] == "工单"
    assert english_leaks(at) == []
    assert at.selectbox(key=widget("matching_pick", "Acme")).options[0] == "1.00 · Acme Inc · A1 (名称相同)"
    at.button(key=widget("matching_confirm", "Marhta")).click().run()
    assert at.success[0].value == "决定已保存；2 行已重新匹配。"
    assert english_leaks(at) == []


@pytest.mark.parametrize("lang, text", [("en", "Every row of every loaded table is matched to an account."),
                                        ("zh", "所有已导入数据表的每一行都已匹配到客户。")])
def test_all_matched(tmp_path, monkeypatch, lang, text):
    at = run_page(tmp_path, monkeypatch, fixture_ws(tmp_path, tickets=("A1", "Martha"), nps=()), lang)
    assert at.success[0].value == text


def test_empty_table_shows_na(tmp_path, monkeypatch):
    ws = fixture_ws(tmp_path, tickets=("A1",), nps=())
    ws.con.execute("DELETE FROM tickets")
    at = run_page(tmp_path, monkeypatch, ws)
    assert at.dataframe[0].value.iloc[0].tolist()[:5] == ["support tickets", 0, 0, 0, "n/a"]
    assert {m.label: m.value for m in at.metric}["Matched share"] == "n/a"


def test_without_tables_to_match(tmp_path, monkeypatch):
    at = run_page(tmp_path, monkeypatch, fixture_ws(tmp_path, tickets=(), nps=()))
    assert at.info[0].value == "No table besides accounts is loaded yet, so there is nothing to match."
    empty = Workspace.create(tmp_path / "empty.duckdb")
    at = run_page(tmp_path, monkeypatch, empty, lang="zh")
    assert "客户表" in at.warning[0].value
