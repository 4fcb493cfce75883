"""Data page: upload a GBK export with Chinese headers, correct a mapping, check, load."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from cs_metrics.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
LEDGER = ("客户编号,客户名称,所属行业,年合同金额(元),客户状态,备注\n"
          "KH1,恒达物流有限公司,金融,\"¥4,800.00\",正常,华东\n"
          "KH2,金通医疗有限公司,软件,\"¥9,600.00\",已流失,华南\n").encode("gb18030")


def test_upload_correct_mapping_check_and_load(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    at = AppTest.from_file(str(ROOT / "pages/data.py"), default_timeout=120)
    at.session_state["polaris_ws"] = ws
    at.session_state["lang"] = "zh"
    at.run()
    at.file_uploader[0].upload("客户台账.csv", LEDGER, "text/csv").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key=[s.key for s in at.selectbox if s.key.startswith("kind_")][0]).value == "accounts"
    # the user says the free-text 备注 column is the region
    region = next(s for s in at.selectbox if s.label == "备注")
    region.set_value("region").run()
    at.button(key="check").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    at.button(key="load").click().run()
    assert not at.exception, [e.message for e in at.exception]
    rows = ws.con.execute("SELECT account_id, region, arr, status FROM accounts ORDER BY 1").fetchall()
    assert rows == [("KH1", "华东", 4800.0, "active"), ("KH2", "华南", 9600.0, "churned")]
    assert any("已将" in s.value for s in at.success)


def test_a_file_with_errors_cannot_be_loaded_and_changes_nothing(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    at = AppTest.from_file(str(ROOT / "pages/data.py"), default_timeout=120)
    at.session_state["polaris_ws"] = ws
    at.run()
    bad = b"account_id,month,mrr\nA1,2024-01,100\nA1,2024-01,-5\n"
    at.file_uploader[0].upload("bad.csv", bad, "text/csv").run()
    at.button(key="check").click().run()
    assert not at.exception
    messages = " ".join(e.value for e in at.error)
    assert "bad.csv" in messages and "row" in messages.lower()
    assert at.button(key="load").disabled
    assert not ws.has("mrr")
