"""Reading awkward exports: encodings, delimiters, title rows, sheets, wide months, value forms,
day/month questions and every kind of bad file, on files generated in a temp folder."""

from __future__ import annotations

import os
from datetime import date, datetime

import pytest

from cs_metrics import ingest
from cs_metrics.ingest import IngestError
from cs_metrics.workspace import Workspace
from tests import ingest_corpus as C


@pytest.fixture()
def ws():
    # In memory: these tests are about reading files; test_ingest_load covers the workspace file.
    w = Workspace.create(":memory:")
    yield w
    w.close()


def prepare(ws, path, kind=None, **kw):
    raw = ingest.inspect_file(path)
    kind = kind or ingest.detect_kind(raw)[0]
    return ingest.prepare(ws, raw, kind, ingest.propose_mapping(raw, kind), **kw)


def keys(report, severity="error"):
    return [i.key for i in getattr(report, {"error": "errors", "warning": "warnings", "note": "notes"}[severity])]


# Encodings and layouts ---------------------------------------------------------------------
@pytest.mark.parametrize("encoding,expected,delimiter", [
    ("utf-8", "utf-8", ","),
    ("utf-8-sig", "utf-8-sig", ","),
    ("utf-16", "utf-16", "\t"),          # Excel's "Unicode text"
    ("gb18030", "gb18030", ","),
    ("gbk", "gb18030", ","),
    ("big5", "big5", ","),
])
def test_chinese_encodings_are_detected_and_decoded(ws, tmp_path, encoding, expected, delimiter):
    rows = C.ACCOUNTS_ZH
    if encoding == "big5":
        rows = [["客戶編號", "客戶名稱", "所屬行業", "城市", "負責人", "簽約日期", "合約到期日", "年合約金額", "狀態", "是否重點客戶"]]
        rows += [["KH1", "華盛教育有限公司", "軟體", "臺北", "張敏", "2022/6/1", "2025年5月31日", "NT$4,800", "正常", "否"],
                 ["KH2", "東通醫療有限公司", "製造", "高雄", "陳傑", "2023/2/1", "2025年1月31日", "NT$9,600", "已流失", "是"]]
    path = C.write_csv(tmp_path, "ledger.txt", rows, encoding=encoding, delimiter=delimiter)
    raw = ingest.inspect_file(path)
    assert raw.encoding == expected and raw.delimiter == delimiter
    assert raw.columns[1] == rows[0][1]
    mapping = ingest.propose_mapping(raw, "accounts")
    mapping[raw.columns[0]] = "account_id"
    prepared = ingest.prepare(ws, raw, "accounts", mapping)
    assert prepared.report.ok, prepared.report.messages()
    ingest.load(ws, prepared)
    name, start = ws.con.execute("SELECT account_name, start_date FROM accounts WHERE account_id = 'KH1'").fetchone()
    assert name == rows[1][1] and start == date(2022, 6, 1)


def test_cp1252_and_encoding_override(ws, tmp_path):
    rows = [["Account ID", "Account Name", "Region"], ["A1", "Café Müller", "Zürich"], ["A2", "Société “Générale”", "Paris"]]
    path = C.write_csv(tmp_path, "western.csv", rows, encoding="cp1252", delimiter=";")
    raw = ingest.inspect_file(path)
    assert raw.encoding == "cp1252" and raw.delimiter == ";"
    ingest.load(ws, ingest.prepare(ws, raw, "accounts", ingest.propose_mapping(raw, "accounts")))
    assert ws.con.execute("SELECT account_name FROM accounts ORDER BY 1").fetchall() == [
        ("Café Müller",), ("Société “Générale”",)]
    forced = ingest.inspect_file(path, encoding="latin-1")
    assert forced.encoding == "latin-1" and forced.encoding_detected == "cp1252"
    with pytest.raises(IngestError) as err:
        ingest.inspect_file(path, encoding="utf-8")
    assert err.value.issues[0].key == "ingest.error.wrong_encoding"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_delimiters_and_line_ends_are_sniffed(ws, tmp_path, delimiter, newline):
    path = C.write_csv(tmp_path, "mrr.csv", C.MRR_LONG, delimiter=delimiter, newline=newline)
    raw = ingest.inspect_file(path)
    assert raw.delimiter == delimiter and raw.newline == newline
    result = ingest.load_path(ws, path)
    assert result.kind == "mrr" and result.rows == 4
    assert ws.con.execute("SELECT sum(mrr) FROM mrr").fetchone()[0] == 26650.0


def test_title_rows_are_skipped_and_rows_numbered_as_in_the_file(ws, tmp_path):
    rows = C.MRR_LONG + [["A4", "2024-13", "10"]]
    path = C.write_csv(tmp_path, "mrr.csv", rows, title=["Monthly revenue report", "Exported 2025-01-03", ""])
    raw = ingest.inspect_file(path)
    assert raw.header_row == 4 and raw.columns == ["account_id", "month", "mrr"]
    prepared = prepare(ws, path)
    (issue,) = prepared.report.errors
    assert issue.key == "ingest.bad.month" and issue.rows == [9] and issue.column == "month"
    assert "row 9" in issue.message("en") and "第 9 行" in issue.message("zh")


def test_header_row_override(tmp_path):
    path = C.write_csv(tmp_path, "x.csv", C.MRR_LONG, title=["a,b,c"])
    assert ingest.inspect_file(path, header_row=2).columns == ["account_id", "month", "mrr"]


def test_workbook_skips_empty_and_notes_sheets(ws, tmp_path):
    path = C.write_xlsx(tmp_path, "book.xlsx", {
        "Cover": [],
        "Notes": [["Notes"], ["Blank = no revenue"]],
        "Data": [["FY2024 MRR"], [], C.MRR_LONG[0], *C.MRR_LONG[1:]],
    })
    raw = ingest.inspect_file(path)
    assert raw.sheets == ["Cover", "Notes", "Data"] and raw.sheet == "Data" and raw.header_row == 3
    assert ingest.load_path(ws, path).rows == 4
    with pytest.raises(IngestError) as err:
        ingest.inspect_file(path, sheet="Missing")
    assert "Cover, Notes, Data" in err.value.messages("en")[0]


@pytest.mark.parametrize("headers", [
    ["2024-01", "2024-02", "2024-03"],
    ["Jan 2024", "Feb 2024", "Mar 2024"],
    ["Jan-24", "Feb-24", "Mar-24"],
    ["2024年1月", "2024年2月", "2024年3月"],
    ["2024/1", "2024/2", "2024/3"],
    ["MRR 2024-01", "MRR 2024-02", "MRR 2024-03"],
    C.DATE_HEADERS_EXCEL,
])
def test_wide_month_layouts_unpivot(ws, tmp_path, headers):
    path = C.write_xlsx(tmp_path, "wide.xlsx", {"MRR": [["Finance MRR"], [], *C.wide_rows(headers)]})
    raw = ingest.inspect_file(path)
    assert ingest.detect_kind(raw)[0] == "mrr"
    mapping = ingest.propose_mapping(raw, "mrr")
    assert mapping["Customer"] == "_source_key"
    assert sorted(v for v in mapping.values() if v.startswith("month:")) == ["month:2024-01", "month:2024-02", "month:2024-03"]
    result = ingest.load_path(ws, path)
    # 3 + 2 + 2 filled cells; blanks are months without revenue.
    assert result.rows == 7
    got = ws.con.execute("SELECT _source_key, month, mrr FROM mrr ORDER BY 1, 2").fetchall()
    assert got[:2] == [("Kite Foods", date(2024, 2, 1), 800.0), ("Kite Foods", date(2024, 3, 1), 800.0)]
    assert ("Pine Systems", date(2024, 1, 1), 1000.0) in got and ("Pine Systems", date(2024, 3, 1), 1200.0) in got


def test_wide_csv_with_total_row_and_bad_cell(ws, tmp_path):
    rows = C.wide_rows(["2024-01", "2024-02", "2024-03"]) + [["Total", 1400, 1200, 2450]]
    rows[2][2] = "n/a"
    prepared = prepare(ws, C.write_csv(tmp_path, "wide.csv", rows))
    (issue,) = prepared.report.errors
    assert issue.key == "ingest.bad.number" and issue.rows == [3] and issue.column == "2024-02"
    assert prepared.rows == 7  # the total row is not a customer


# Values ----------------------------------------------------------------------------------
@pytest.mark.parametrize("values,expected", [
    (["2024-01-31", "2024-02-29"], [date(2024, 1, 31), date(2024, 2, 29)]),
    (["2024/1/31", "2024/2/5"], [date(2024, 1, 31), date(2024, 2, 5)]),
    (["31.01.2024", "05.02.2024"], [date(2024, 1, 31), date(2024, 2, 5)]),
    (["01/31/2024", "02/05/2024"], [date(2024, 1, 31), date(2024, 2, 5)]),
    (["2024年1月31日", "2024年2月5日"], [date(2024, 1, 31), date(2024, 2, 5)]),
    (["2024-01-31 00:00", "2024-02-05 13:45"], [date(2024, 1, 31), date(2024, 2, 5)]),
    (["45322", "45327"], [date(2024, 1, 31), date(2024, 2, 5)]),
    (["Jan 31, 2024", "Feb 5, 2024"], [date(2024, 1, 31), date(2024, 2, 5)]),
])
def test_date_forms(ws, tmp_path, values, expected):
    rows = [["account_id", "goal", "due_date"]] + [[f"A{i}", "Go live", v] for i, v in enumerate(values)]
    prepared = prepare(ws, C.write_csv(tmp_path, "goals.csv", rows), "goals")
    assert prepared.report.ok and not prepared.report.warnings
    assert list(prepared.preview["due_date"].dt.date) == expected



@pytest.mark.parametrize("values", [
    ["2024-09-01", "2024-10-01"], ["2024-12-31", "1900-01-01", "2200-12-31"], ["2024-02-30"], ["2024-02-29"],
    ["2023-02-29"], ["1899-12-31", "2024-01-01"], ["2201-01-01"], ["2024-13-01"], ["0000-01-01"],
    ["２０２４-01-01"], ["2024-1-01"], ["2024-01-01 "], ["2024-01-01", "2024/02/01"],
])
@pytest.mark.parametrize("month", [False, True])
def test_plain_iso_sample_shortcut_finds_what_the_search_finds(values, month, monkeypatch):
    from cs_metrics.ingest import values as V
    from cs_metrics.ingest.staging import _detector

    con = _detector().cursor()
    quick = V.detect_date(con, values, month=month)
    monkeypatch.setattr(V, "_plain_iso_dates", lambda vals: False)
    assert quick == V.detect_date(con, values, month=month)
    con.close()


@pytest.mark.parametrize("values", [["1.5", "2"], ["1,5", "2,25"], ["1.234,56"], ["1,234.56"], ["12,5 €"], ["7"], []])
def test_number_sample_shortcut_finds_what_the_patterns_find(values):
    from cs_metrics.ingest import values as V

    comma = sum(1 for v in values if any(p.search(v) for p in V._DC))
    point = sum(1 for v in values if any(p.search(v) for p in V._DP))
    assert V.detect_number(values).decimal_comma == (comma > point)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_count_across_chunks(tmp_path, monkeypatch, newline):
    from cs_metrics.ingest import encodings

    text = newline.join(f"A{i},{'x' * (i % 13)}" for i in range(500)) + newline + newline
    path = C.write_text(tmp_path, "lines.csv", text)
    monkeypatch.setattr(encodings, "SCAN_CHUNK_BYTES", 7)  # line ends fall on chunk edges
    found = encodings.scan_utf8(path, newline[-1:].encode())
    assert found.newlines == text.count(newline[-1:]) and found.ends_with_newline and not found.has_nul
    assert found.size == len(text.encode())

def test_ambiguous_day_month_is_asked_with_a_default(ws, tmp_path):
    rows = [["account_id", "goal", "due_date"], ["A1", "g", "03/04/2024"], ["A2", "g", "05/06/2024"]]
    path = C.write_csv(tmp_path, "goals.csv", rows)
    prepared = prepare(ws, path, "goals")
    (question,) = prepared.report.questions
    assert question.id == "date_order" and question.options == ["dmy", "mdy"] and question.default == "mdy"
    assert question.columns == ["due_date"] and "03/04/2024" in question.text("en")
    assert question.option_label("dmy", "zh").startswith("日在前")
    assert keys(prepared.report, "warning") == ["ingest.warning.date_order_default"]
    assert prepared.preview["due_date"].dt.date.tolist() == [date(2024, 3, 4), date(2024, 5, 6)]
    answered = prepare(ws, path, "goals", date_order="dmy")
    assert answered.report.ok and not answered.report.warnings
    assert answered.preview["due_date"].dt.date.tolist() == [date(2024, 4, 3), date(2024, 6, 5)]
    dotted = prepare(ws, C.write_csv(tmp_path, "g2.csv", [r[:2] + [r[2].replace("/", ".")] for r in rows]), "goals")
    assert dotted.report.questions[0].default == "dmy"


def test_day_month_decided_by_a_later_row_beyond_the_sample(ws, tmp_path):
    rows = [["account_id", "goal", "due_date"]] + [[f"A{i}", "g", "03/04/2024"] for i in range(2500)]
    rows.append(["Z", "g", "25/04/2024"])
    prepared = prepare(ws, C.write_csv(tmp_path, "goals.csv", rows), "goals")
    assert prepared.report.ok and not prepared.report.questions and not prepared.report.warnings
    assert keys(prepared.report, "note") == ["ingest.note.date_order"]
    assert prepared.preview["due_date"].iloc[0].date() == date(2024, 4, 3)


@pytest.mark.parametrize("raw_value,expected", [
    ("$4,800", 4800.0), ("¥4,800.00", 4800.0), ("4800", 4800.0), ("USD 1,200.50", 1200.5),
    ("RMB 1,000元", 1000.0), ("(1,200)", -1200.0), ("-$1,200", -1200.0), ("1 234", 1234.0),
])
def test_money_forms(ws, tmp_path, raw_value, expected):
    rows = [["Account ID", "ARR"], ["A1", raw_value], ["A2", "10"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "a.csv", rows), "accounts")
    assert prepared.preview["arr"].iloc[0] == pytest.approx(expected)


def test_decimal_comma_money(ws, tmp_path):
    rows = [["Account ID", "ARR"], ["A1", "1.234,56 €"], ["A2", "12,5"], ["A3", "(1.200,00)"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "a.csv", rows, delimiter=";"), "accounts")
    assert prepared.preview["arr"].tolist() == pytest.approx([1234.56, 12.5, -1200.0])


def test_percentages_booleans_and_extras_keep_their_types(ws, tmp_path):
    rows = [["Account ID", "Adoption", "Key account", "Onboarded", "Zip code", "Notes"],
            ["A1", "45%", "是", "yes", "01234", "call back"],
            ["A2", "5%", "否", "N", "98765", ""],
            ["A3", "", "", "TRUE", "", "3"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "a.csv", rows), "accounts")
    assert prepared.columns["adoption"] == "DOUBLE" and prepared.columns["key_account"] == "BOOLEAN"
    assert prepared.columns["zip_code"] == "VARCHAR" and prepared.columns["notes"] == "VARCHAR"
    p = prepared.preview
    assert p["adoption"].tolist()[:2] == pytest.approx([0.45, 0.05])
    assert p["key_account"].tolist()[:2] == [True, False] and p["onboarded"].tolist() == [True, False, True]
    assert p["zip_code"].tolist()[0] == "01234"


def test_status_and_health_words(ws, tmp_path):
    words = {"Active": "active", "正常": "active", "预警": "active", "已流失": "churned", "Churned": "churned",
             "Cancelled": "churned", "notice": "notice", "cancelling": "notice", "即将到期": "notice"}
    rows = [["Account ID", "Status", "Health"]] + [[f"A{i}", w, h] for i, (w, h) in
                                                   enumerate(zip(words, ["Red", "绿", "Yellow", "amber", "", "", "", "", ""]))]
    prepared = prepare(ws, C.write_csv(tmp_path, "a.csv", rows), "accounts")
    assert prepared.report.ok and not prepared.report.warnings
    assert prepared.preview["status"].tolist() == list(words.values())
    assert prepared.preview["manual_health"].tolist()[:4] == ["red", "green", "yellow", "yellow"]


def test_unknown_status_is_a_warning_and_left_empty(ws, tmp_path):
    rows = [["Account ID", "Status"], ["A1", "Active"], ["A2", "Sleeping"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "a.csv", rows), "accounts")
    assert prepared.report.ok
    (w,) = prepared.report.warnings
    assert w.key == "ingest.bad.status.kept_empty" and w.rows == [3] and "Sleeping" in w.message("en")


def test_ticket_values(ws, tmp_path):
    rows = [["Ticket ID", "Company", "Created", "Solved at", "Priority", "Status", "CSAT", "First reply time"]]
    cases = [("Urgent", "Solved", "Good"), ("P2", "Open", "Bad"), ("中", "已解决", "Offered"), ("Low", "Pending", "4.5"),
             ("紧急", "已关闭", "Not Offered"), ("Medium", "", "")]
    for i, (prio, status, sat) in enumerate(cases):
        rows.append([f"T{i}", "Acme", "2024-02-24 09:30", "", prio, status, sat, "15"])
    prepared = prepare(ws, C.write_csv(tmp_path, "t.csv", rows))
    assert prepared.kind == "tickets" and prepared.report.ok and not prepared.report.warnings
    p = prepared.preview
    assert p["priority_rank"].tolist() == [1, 2, 3, 4, 1, 3]
    assert p["status"].tolist() == ["closed", "open", "closed", "open", "closed", "open"]
    assert p["satisfaction"].tolist()[:2] == [1.0, 0.0] and p["satisfaction"].iloc[3] == 4.5
    assert p["satisfaction"].isna().tolist() == [False, False, True, False, True, True]
    assert p["created_at"].iloc[0] == datetime(2024, 2, 24, 9, 30)
    assert p["first_response_minutes"].iloc[0] == 15.0


def test_subscription_amounts(ws, tmp_path):
    rows = [["Subscription ID", "Customer ID", "Plan", "Quantity", "Interval", "Amount", "Start", "Ended At"],
            ["s1", "c1", "Pro", "10", "month", "50", "2024-01-01", ""],
            ["s2", "c1", "Pro", "4", "quarter", "$300", "2024-01-01", ""],
            ["s3", "c2", "Enterprise", "2", "year", "1,200", "2024-01-01", "2024-06-01"],
            ["s4", "c3", "Trial", "1", "month", "0", "2024-01-01", "2024-01-15"],
            ["s5", "c3", "Pro", "1", "月", "0", "2024-01-01", ""]]
    prepared = prepare(ws, C.write_csv(tmp_path, "s.csv", rows))
    assert prepared.kind == "subscriptions" and prepared.report.ok
    p = prepared.preview
    assert p["mrr"].tolist() == pytest.approx([500.0, 400.0, 200.0, 0.0, 0.0])
    assert p["is_trial"].tolist() == [False, False, False, True, True]
    assert p["seats"].tolist() == [10.0, 4.0, 2.0, 1.0, 1.0]
    assert p["end_date"].iloc[2].date() == date(2024, 6, 1)
    arr = [["Subscription", "Account ID", "ARR", "Start date", "Trial"], ["s1", "A1", "12,000", "2024-01-01", "no"],
           ["s2", "A2", "2400", "2024-02-01", "yes"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "arr.csv", arr), "subscriptions")
    assert prepared.preview["mrr"].tolist() == [1000.0, 200.0]
    assert prepared.preview["is_trial"].tolist() == [False, True]


def test_unknown_interval_blocks_the_load(ws, tmp_path):
    rows = [["id", "Customer ID", "Interval", "Amount", "Start"], ["s1", "c1", "fortnight", "50", "2024-01-01"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "s.csv", rows), "subscriptions")
    assert keys(prepared.report) == ["ingest.bad.interval"]


def test_nps_question_header_and_score_range(ws, tmp_path):
    rows = [["Company", "How likely are you to recommend us to a friend? (0-10)", "Why?", "Submitted"],
            ["Acme", "9", "great", "28.12.2024"], ["Beta", "11", "", "01.12.2024"], ["Gamma", "7.5", "", "02.12.2024"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "n.csv", rows))
    assert prepared.kind == "nps"
    assert prepared.mapping["How likely are you to recommend us to a friend? (0-10)"] == "score"
    errs = {i.key: i.rows for i in prepared.report.errors}
    assert errs == {"ingest.bad.score": [4], "ingest.error.score_range": [3]}


# Validation --------------------------------------------------------------------------------
def test_duplicate_accounts_and_negative_arr(ws, tmp_path):
    rows = [["Account ID", "ARR"], ["A1", "100"], ["A2", "-5"], ["A1", "200"], ["A3", "1"], ["A1", "1"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "a.csv", rows), "accounts")
    errs = {i.key: i for i in prepared.report.errors}
    assert errs["ingest.error.duplicate_accounts"].rows == [2, 4, 6] and errs["ingest.error.duplicate_accounts"].count == 3
    assert errs["ingest.error.negative_mrr"].rows == [3]
    assert "A1" in errs["ingest.error.duplicate_accounts"].message("zh")


def test_duplicate_and_negative_mrr(ws, tmp_path):
    rows = C.MRR_LONG + [["A1", "2024-01-01", "400"], ["A9", "2024-03", "-10"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "m.csv", rows))
    errs = {i.key: i for i in prepared.report.errors}
    assert errs["ingest.error.duplicate_mrr"].rows == [2, 6]
    assert errs["ingest.error.negative_mrr"].rows == [7]
    with pytest.raises(IngestError):
        ingest.load(ws, prepared)
    assert not ws.has("mrr")


def test_unreadable_required_is_error_optional_is_warning(ws, tmp_path):
    rows = [["account_id", "month", "mrr"], ["A1", "2024-01", "abc"], ["A2", "", "5"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "m.csv", rows), "mrr")
    errs = {i.key: (i.rows, i.column) for i in prepared.report.errors}
    assert errs == {"ingest.bad.number": ([2], "mrr"), "ingest.error.required_empty": ([3], "month")}
    rows = [["Account ID", "Seats", "Customer Since"], ["A1", "x", "2024-01-01"], ["A2", "3", "soon"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "a.csv", rows), "accounts")
    assert prepared.report.ok
    assert [(w.key, w.column, w.rows) for w in prepared.report.warnings] == [
        ("ingest.bad.number.kept_empty", "Seats", [2]), ("ingest.bad.date.kept_empty", "Customer Since", [3])]
    assert prepared.preview["seats"].isna().tolist() == [True, False]


def test_many_bad_rows_list_five_and_count(ws, tmp_path):
    rows = [["account_id", "month", "mrr"]] + [[f"A{i}", "2024-01", "oops" if i % 2 else "1"] for i in range(40)]
    prepared = prepare(ws, C.write_csv(tmp_path, "m.csv", rows))
    (issue,) = prepared.report.errors
    assert issue.rows == [3, 5, 7, 9, 11] and issue.count == 20
    assert "and 15 more" in issue.message("en") and "另有 15 行" in issue.message("zh")


def test_missing_required_column(ws, tmp_path):
    rows = [["Customer", "Amount"], ["Acme", "10"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "x.csv", rows), "mrr")
    assert keys(prepared.report) == ["ingest.error.missing_column"]
    assert "Month" in prepared.report.errors[0].message("en") and "月份" in prepared.report.errors[0].message("zh")
    sub = prepare(ws, C.write_csv(tmp_path, "s.csv", [["id", "Customer ID", "Start"], ["s", "c", "2024-01-01"]]),
                  "subscriptions")
    assert keys(sub.report) == ["ingest.error.missing_amount"]


def test_mapping_errors(ws, tmp_path):
    raw = ingest.inspect_file(C.write_csv(tmp_path, "m.csv", C.MRR_LONG))
    bad = ingest.prepare(ws, raw, "mrr", {"account_id": "account_id", "month": "month", "mrr": "colour"})
    assert keys(bad.report) == ["ingest.error.bad_target", "ingest.error.missing_column"]
    twice = ingest.prepare(ws, raw, "mrr", {"account_id": "account_id", "month": "mrr", "mrr": "mrr"})
    assert "ingest.error.duplicate_target" in keys(twice.report)
    assert ingest.prepare(ws, raw, "pets", {}).report.errors[0].key == "ingest.error.unknown_kind"


def test_unknown_accounts_are_kept_with_a_warning(ws, tmp_path):
    ingest.load_path(ws, C.write_csv(tmp_path, "a.csv", [["Account ID", "Account Name"], ["A1", "Orion"], ["A2", "Kite"]]))
    rows = C.MRR_LONG
    result = ingest.load_path(ws, C.write_csv(tmp_path, "m.csv", rows))
    assert result.rows == 4 and any("A3" in w for w in result.warnings)
    assert ws.con.execute("SELECT count(*) FROM mrr WHERE account_id IS NULL AND _source_key = 'A3'").fetchone()[0] == 1


def test_without_accounts_the_key_is_the_account(ws, tmp_path):
    ingest.load_path(ws, C.write_csv(tmp_path, "m.csv", C.MRR_LONG))
    assert ws.con.execute("SELECT count(*) FROM mrr WHERE account_id = _source_key").fetchone()[0] == 4


def test_without_matching_module_exact_keys_are_used(ws, tmp_path, monkeypatch):
    from cs_metrics.ingest import staging

    monkeypatch.setattr(staging, "_matching", lambda: None)
    ingest.load_path(ws, C.write_csv(tmp_path, "a.csv", [["Account ID", "Account Name"], ["A1", "Orion"]]))
    result = ingest.load_path(ws, C.write_csv(tmp_path, "m.csv", C.MRR_LONG))
    assert result.match is None
    assert ws.con.execute("SELECT count(account_id) FROM mrr").fetchone()[0] == 2


# Bad files --------------------------------------------------------------------------------
@pytest.mark.parametrize("name,data,key", [
    ("empty.csv", b"", "ingest.error.empty"),
    ("blank.csv", b"\n\n  \n", "ingest.error.empty"),
    ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "ingest.error.binary"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "ingest.error.legacy_xls"),
    ("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "ingest.error.unsupported"),
    ("fake.xlsx", b"id,name\n1,a\n", "ingest.error.bad_xlsx"),
    ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 100, "ingest.error.bad_xlsx"),
])
def test_unreadable_files_are_refused_clearly(tmp_path, name, data, key):
    with pytest.raises(IngestError) as err:
        ingest.inspect_file(C.write_bytes(tmp_path, name, data))
    assert err.value.issues[0].key == key
    for lang in ("en", "zh"):
        message = err.value.messages(lang)[0]
        assert name in message and "ingest." not in message


def test_legacy_xls_message_names_what_is_accepted(tmp_path):
    with pytest.raises(IngestError) as err:
        ingest.inspect_file(C.write_bytes(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64))
    assert ".xlsx" in str(err.value) and "CSV" in str(err.value)


def test_header_only_file(ws, tmp_path):
    prepared = prepare(ws, C.write_csv(tmp_path, "m.csv", C.MRR_LONG[:1]))
    assert keys(prepared.report) == ["ingest.error.no_rows"] and prepared.rows == 0


def test_ragged_rows(ws, tmp_path):
    text = "account_id,month,mrr\nA1,2024-01,400\nA2,2024-01,$4,800\nA3,2024-02\nA4,2024-02,5\n"
    prepared = prepare(ws, C.write_text(tmp_path, "m.csv", text), "mrr")
    # The short row is padded, so its MRR is missing: that is an error of its own.
    assert [(e.key, e.rows) for e in prepared.report.errors] == [
        ("ingest.error.ragged_long", [3]), ("ingest.error.required_empty", [4])]
    assert [(w.key, w.rows) for w in prepared.report.warnings] == [("ingest.warning.ragged_short", [4])]


def test_blank_lines_and_quoted_line_breaks_keep_row_numbers(ws, tmp_path):
    text = ('account_id,month,mrr,note\nA1,2024-01,400,"two\nlines"\n\nA2,2024-01,oops,x\n,,,\nA3,2024-02,5,\n')
    prepared = prepare(ws, C.write_text(tmp_path, "m.csv", text), "mrr")
    (err,) = prepared.report.errors
    assert err.rows == [5] and prepared.rows == 3


def test_too_many_columns(tmp_path):
    path = C.write_csv(tmp_path, "wide.csv", C.many_columns(2001))
    with pytest.raises(IngestError) as err:
        ingest.inspect_file(path)
    assert err.value.issues[0].key == "ingest.error.too_many_columns" and "2,000" in str(err.value)
    assert len(ingest.inspect_file(path, max_columns=3000).columns) == 2001


def test_megabyte_cell(ws, tmp_path):
    rows = [["Account ID", "Notes"], ["A1", "x" * (1 << 20 + 1)], ["A2", "fine"]]
    prepared = prepare(ws, C.write_csv(tmp_path, "a.csv", rows), "accounts")
    (err,) = prepared.report.errors
    assert err.key == "ingest.error.cell_too_large" and err.rows == [2] and err.column == "Notes"
    assert "1 MB" in err.message("en")


def test_invalid_bytes_beyond_the_sample(ws, tmp_path):
    head = "account_id,month,mrr\n" + "".join(f"A{i},2024-01,{i}\n" for i in range(300_000))
    path = C.write_bytes(tmp_path, "m.csv", head.encode() + b"B1,2024-01,\xff\xfe\n")
    raw = ingest.inspect_file(path)
    assert raw.encoding == "utf-8" and not raw.complete
    with pytest.raises(IngestError) as err:
        ingest.prepare(ws, raw, "mrr", ingest.propose_mapping(raw, "mrr"))
    assert err.value.issues[0].key == "ingest.error.bad_bytes" and "300002" in str(err.value)


def test_small_file_with_stray_bytes_is_read_as_western(ws, tmp_path):
    path = C.write_bytes(tmp_path, "m.csv", b"account_id,month,mrr\nA1,2024-01,5\nB1,2024-01,\xff\n")
    raw = ingest.inspect_file(path)
    assert raw.encoding == "cp1252"
    prepared = ingest.prepare(ws, raw, "mrr", ingest.propose_mapping(raw, "mrr"))
    assert [(e.key, e.rows) for e in prepared.report.errors] == [("ingest.bad.number", [3])]


# Mappings remembered -----------------------------------------------------------------------
def test_corrected_mapping_is_remembered_for_the_same_headers(ws, tmp_path):
    rows = [["Kunde", "Periode", "Umsatz"], ["A1", "2024-01", "10"]]
    path = C.write_csv(tmp_path, "de.csv", rows)
    raw = ingest.inspect_file(path)
    assert ingest.propose_mapping(raw, "mrr", ws) == {"Kunde": "", "Periode": "", "Umsatz": ""}
    result = ingest.load_path(ws, path, kind="mrr", mapping_overrides={"Kunde": "account_id", "Periode": "month",
                                                                       "Umsatz": "mrr"})
    assert result.rows == 1
    again = ingest.inspect_file(C.write_csv(tmp_path, "de2.csv", rows + [["A2", "2024-02", "5"]]))
    assert ingest.recall_mapping(ws, again.signature)[0] == "mrr"
    assert ingest.propose_mapping(again, "mrr", ws) == {"Kunde": "account_id", "Periode": "month", "Umsatz": "mrr"}
    assert ingest.load_path(ws, again.path).rows == 2


# Robustness --------------------------------------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# More examples on demand: INGEST_FUZZ_EXAMPLES=2000 pytest tests/test_ingest.py -k any_text
FUZZ_EXAMPLES = int(os.environ.get("INGEST_FUZZ_EXAMPLES", "40"))

_cells = st.one_of(st.sampled_from(["", "A1", "2024-01", "2024-13", "$4,800", "(5)", "是", "abc", "1.234,5",
                                    '"', "a,b", "x\ny", "03/04/2024", "-1", " ", "\t"]), st.text(max_size=8))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(["account_id", "month", "mrr", "Status", "Date", "客户编号", "", "x", "Amount",
                                         "Interval", "Priority", "Score", "Goal", "Created at", "Jan-24", "2024-02"]),
                       min_size=1, max_size=5),
       rows=st.lists(st.lists(_cells, max_size=6), max_size=8),
       delimiter=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-16", "gb18030"]),
       kind=st.sampled_from(ingest.KINDS))
def test_any_text_file_gives_a_report_or_a_clear_error(ws, tmp_path_factory, header, rows, delimiter, encoding,
                                                       kind):
    folder = tmp_path_factory.mktemp("fuzz")
    text = C.csv_text([header] + rows, delimiter)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    path = C.write_bytes(folder, "f.csv", data)
    try:
        raw = ingest.inspect_file(path)
        mapping = ingest.propose_mapping(raw, kind)
        if raw.columns and not any(v in ("account_id", "_source_key") for v in mapping.values()):
            mapping[raw.columns[0]] = "account_id"
        prepared = ingest.prepare(ws, raw, kind, mapping)
        for issue in prepared.report.errors + prepared.report.warnings:
            assert "ingest." not in issue.message("en") and issue.message("zh")
        if prepared.report.ok:
            ingest.load(ws, prepared)
        else:
            ingest.discard(ws, prepared)
    except IngestError as err:
        assert err.messages("en")[0] and "ingest." not in err.messages("zh")[0]


def test_unclosed_quote_is_an_error_not_one_long_cell(ws, tmp_path):
    path = C.write_text(tmp_path, "q.csv", 'account_id,notes\nA1,"never closed\nA2,z\nA3,y\n')
    with pytest.raises(IngestError) as err:
        prepare(ws, path, "accounts")
    assert err.value.issues[0].key == "ingest.error.bad_quotes" and "line 2" in str(err.value)


def test_ragged_rows_beyond_the_sample_are_counted_exactly(ws, tmp_path):
    lines = ["account_id,month,mrr"] + [f"A{i},2024-01,{i}" for i in range(3000)]
    lines[1] = "A0,2024-01,$1,000"       # in the sample
    lines[2800] = "B1,2024-02,$4,800"    # beyond it
    prepared = prepare(ws, C.write_text(tmp_path, "m.csv", "\n".join(lines) + "\n"), "mrr")
    (err,) = prepared.report.errors
    assert err.key == "ingest.error.ragged_long" and err.rows == [2, 2801] and err.count == 2


def test_wide_sheet_lists_each_row_once(ws, tmp_path):
    ingest.load_path(ws, C.write_csv(tmp_path, "a.csv", [["Account ID", "Account Name"], ["A1", "Orion Retail"]]))
    prepared = prepare(ws, C.write_csv(tmp_path, "wide.csv", C.wide_rows(["2024-01", "2024-02", "2024-03"])))
    (warning,) = prepared.report.warnings
    assert warning.key == "ingest.warning.unknown_account" and warning.rows == [3, 4] and warning.count == 2
