"""Loading is all or nothing: one transaction; a failure at any point leaves the workspace as it was."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from cs_metrics import ingest
from cs_metrics.ingest import IngestError, loading, staging
from cs_metrics.workspace import Workspace
from tests import ingest_corpus as C


def snapshot(ws):
    """Every table of the workspace (but files staged for loading) with its columns and rows."""
    con = ws.con
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_name NOT LIKE '\\_polaris\\_stage\\_%' ESCAPE '\\' ORDER BY 1").fetchall()]
    return {t: (con.execute(f'DESCRIBE "{t}"').fetchall(), sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())))
            for t in tables}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A workspace file with accounts and MRR loaded, built once and copied per test."""
    folder = tmp_path_factory.mktemp("baseline")
    w = Workspace.create(folder / "w.duckdb")
    ingest.load_path(w, C.write_csv(folder, "accounts.csv", C.ACCOUNTS_EN))
    ingest.load_path(w, C.write_csv(folder, "mrr.csv", C.MRR_LONG))
    w.con.execute("CHECKPOINT")
    w.close()
    return folder / "w.duckdb"


@pytest.fixture()
def ws(tmp_path, baseline):
    shutil.copyfile(baseline, tmp_path / "w.duckdb")
    w = Workspace.open(tmp_path / "w.duckdb")
    yield w
    w.close()


def prepared_for(ws, tmp_path, rows, name="new.csv", kind=None):
    raw = ingest.inspect_file(C.write_csv(tmp_path, name, rows))
    kind = kind or ingest.detect_kind(raw)[0]
    return ingest.prepare(ws, raw, kind, ingest.propose_mapping(raw, kind))


@pytest.mark.parametrize("mode", ["replace", "append"])
def test_failure_in_the_middle_of_a_load_changes_nothing(ws, tmp_path, monkeypatch, mode):
    before = snapshot(ws)
    version = ws.data_version()
    rows = [["account_id", "month", "mrr", "region"], ["A1", "2024-05", "1", "EU"], ["A2", "2024-05", "2", "US"]]
    prepared = prepared_for(ws, tmp_path, rows)
    assert prepared.report.ok

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    # The table has been replaced (or appended to, with a new column) when this runs.
    monkeypatch.setattr(loading, "_record_load", explode)
    with pytest.raises(RuntimeError):
        ingest.load(ws, prepared, mode=mode)
    assert snapshot(ws) == before and ws.data_version() == version
    # The prepared file is intact: once the fault is gone it loads.
    monkeypatch.undo()
    assert ingest.load(ws, prepared, mode=mode).rows == 2
    assert ws.con.execute("SELECT count(*) FROM mrr WHERE region IS NOT NULL").fetchone()[0] == 2
    ingest.discard(ws, prepared)



def test_a_failed_load_is_not_visible_after_reopening(ws, tmp_path, monkeypatch):
    before = snapshot(ws)
    prepared = prepared_for(ws, tmp_path, [["account_id", "month", "mrr"], ["A1", "2024-05", "1"]])
    monkeypatch.setattr(loading, "remember_mapping", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        ingest.load(ws, prepared)
    path = ws.path
    ws.close()
    reopened = Workspace.open(path)
    assert snapshot(reopened) == before
    reopened.close()


def test_database_error_mid_load_is_a_clear_message_and_rolls_back(ws, tmp_path, monkeypatch):
    before = snapshot(ws)
    prepared = prepared_for(ws, tmp_path, C.MRR_LONG)
    monkeypatch.setattr(loading, "remember_mapping",
                        lambda *a, **k: ws.con.execute("SELECT * FROM no_such_table"))
    with pytest.raises(IngestError) as err:
        ingest.load(ws, prepared)
    assert err.value.issues[0].key == "ingest.error.write_failed"
    assert "Nothing was changed" in err.value.messages("en")[0] and "未做任何更改" in err.value.messages("zh")[0]
    assert snapshot(ws) == before


def test_a_report_with_errors_is_never_loaded(ws, tmp_path):
    before = snapshot(ws)
    prepared = prepared_for(ws, tmp_path, C.MRR_LONG + [["A1", "2024-01", "-5"]])
    assert not prepared.report.ok
    with pytest.raises(IngestError) as err:
        ingest.load(ws, prepared)
    assert "ingest.error.duplicate_mrr" in [i.key for i in err.value.issues]
    assert snapshot(ws) == before
    with pytest.raises(IngestError):
        ingest.load_path(ws, C.write_csv(tmp_path, "bad.csv", C.MRR_LONG + [["A1", "2024-01", "-5"]]))
    assert snapshot(ws) == before


def test_replace_swaps_the_table_and_logs_the_load(ws, tmp_path):
    prepared = prepared_for(ws, tmp_path, [["account_id", "month", "mrr"], ["A1", "2024-03", "10"]])
    table = prepared.table
    result = ingest.load(ws, prepared)
    assert result.rows == 1 and result.mode == "replace" and result.kind == "mrr"
    assert ws.con.execute("SELECT account_id, month, mrr, _source_file FROM mrr").fetchall() == [
        ("A1", __import__("datetime").date(2024, 3, 1), 10.0, "new.csv")]
    log = ws.con.execute("SELECT kind, file, rows, mode FROM _polaris_loads WHERE load_id = ?", [result.load_id]).fetchone()
    assert log == ("mrr", "new.csv", 1, "replace")
    assert ws.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()[0] == 0


def test_append_adds_rows_and_new_columns_but_refuses_loaded_keys(ws, tmp_path):
    rows = [["account_id", "month", "mrr", "region"], ["A1", "2024-03", "10", "EU"]]
    result = ingest.load(ws, prepared_for(ws, tmp_path, rows), mode="append")
    assert result.rows == 1
    assert ws.con.execute("SELECT count(*), count(region), sum(mrr) FROM mrr").fetchone() == (5, 1, 26660.0)
    before = snapshot(ws)
    with pytest.raises(IngestError) as err:
        ingest.load(ws, prepared_for(ws, tmp_path, C.MRR_LONG, name="again.csv"), mode="append")
    assert err.value.issues[0].key == "ingest.error.append_duplicate_mrr" and err.value.issues[0].count == 4
    assert snapshot(ws) == before


def test_accounts_append_refuses_existing_ids(ws, tmp_path):
    before = snapshot(ws)
    with pytest.raises(IngestError) as err:
        ingest.load_path(ws, C.write_csv(tmp_path, "more.csv", [["Account ID", "Account Name"], ["A4", "New"], ["A1", "Dup"]]),
                         mode="append")
    assert err.value.issues[0].key == "ingest.error.append_duplicate_accounts" and err.value.issues[0].rows == [3]
    assert snapshot(ws) == before


def test_progress_is_reported(ws, tmp_path):
    seen = []
    ingest.load_path(ws, C.write_csv(tmp_path, "m.csv", C.MRR_LONG), progress=lambda share, key: seen.append((share, key)))
    shares = [s for s, _ in seen]
    assert shares == sorted(shares) and shares[-1] == 1.0
    assert {k for _, k in seen} >= {"ingest.progress.reading", "ingest.progress.writing", "ingest.progress.done"}


def test_mapping_memory_round_trip(tmp_path):
    ws = Workspace.create(tmp_path / "m.duckdb")
    assert ingest.recall_mapping(ws, "abc") is None
    ingest.remember_mapping(ws, "abc", "nps", {"Q1": "score"})
    ingest.remember_mapping(ws, "abc", "nps", {"Q1": "score", "Who": "respondent"})
    assert ingest.recall_mapping(ws, "abc") == ("nps", {"Q1": "score", "Who": "respondent"})
    ws.close()


def test_bad_mode(ws, tmp_path):
    with pytest.raises(IngestError):
        ingest.load(ws, prepared_for(ws, tmp_path, C.MRR_LONG), mode="merge")


def test_loading_accounts_matches_the_tables_loaded_before(tmp_path):
    ws = Workspace.create(tmp_path / "order.duckdb")
    tickets = [["Ticket ID", "Organization", "Created at"], ["T1", "Orion Retail", "2024-01-05"],
               ["T2", "Kite Foods", "2024-01-06"]]
    ingest.load_path(ws, C.write_csv(tmp_path, "t.csv", tickets))
    # No accounts yet: the key is kept as the account.
    assert ws.con.execute("SELECT account_id FROM tickets ORDER BY 1").fetchall() == [("Kite Foods",), ("Orion Retail",)]
    result = ingest.load_path(ws, C.write_csv(tmp_path, "a.csv", C.ACCOUNTS_EN))
    assert result.rematched["tickets"].matched_rows == 2
    assert ws.con.execute("SELECT account_id FROM tickets ORDER BY 1").fetchall() == [("A1",), ("A2",)]
    ws.close()


# Checks on files of several row groups ----------------------------------------------------------
# The checks let DuckDB skip row groups whose statistics rule a problem out, and the duplicate
# check counts months per key: problems beyond the sample and in later row groups must still be
# found exactly, with their line numbers.
def _big_mrr(path, rows=300_000, keys=5_000, negative=-1, empty_key=-1, duplicate_of=None):
    """``rows`` monthly MRR rows of ``keys`` accounts from 2020-01 (row i is on line i + 2): row
    ``negative`` has MRR -5, row ``empty_key`` no key, and the last row repeats the key and
    month of row ``duplicate_of``."""
    last = rows - 1 if duplicate_of is not None else -1
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT CASE WHEN i = {empty_key} THEN NULL ELSE 'K' || (j % {keys}) END AS account_id,
            strftime(DATE '2020-01-01' + to_months(CAST(j // {keys} AS INTEGER)), '%Y-%m-%d') AS month,
            CASE WHEN i = {negative} THEN -5 ELSE 100 + i % 7 END AS mrr
        FROM (SELECT i, CASE WHEN i = {last} THEN {duplicate_of or 0} ELSE i END AS j FROM range({rows}) t(i)))
        TO '{path}' (HEADER)""")
    con.close()
    return path


def test_problems_in_later_row_groups_are_found_with_their_lines(ws, tmp_path):
    path = _big_mrr(tmp_path / "big.csv", negative=250_000, empty_key=200_000, duplicate_of=3)
    raw = ingest.inspect_file(path)
    prepared = ingest.prepare(ws, raw, "mrr", ingest.propose_mapping(raw, "mrr"))
    errs = {i.key: i for i in prepared.report.errors}
    assert errs["ingest.error.negative_mrr"].rows == [250_002] and errs["ingest.error.negative_mrr"].count == 1
    assert errs["ingest.error.required_empty"].rows == [200_002] and errs["ingest.error.required_empty"].count == 1
    dup = errs["ingest.error.duplicate_mrr"]
    assert dup.rows == [5, 300_001] and dup.count == 2 and "K3" in dup.message("en")
    assert set(errs) == {"ingest.error.negative_mrr", "ingest.error.required_empty", "ingest.error.duplicate_mrr"}
    ingest.discard(ws, prepared)


def test_a_clean_big_file_loads_every_row(ws, tmp_path):
    result = ingest.load_path(ws, _big_mrr(tmp_path / "big.csv"))
    assert result.rows == 300_000
    n, keys, months, lo = ws.con.execute(
        "SELECT count(*), count(DISTINCT _source_key), count(DISTINCT month), min(mrr) FROM mrr").fetchone()
    assert (n, keys, months, lo) == (300_000, 5_000, 60, 100)


@pytest.mark.parametrize("bitmap_months", [600, 1])
def test_duplicate_months_found_by_either_probe(ws, tmp_path, monkeypatch, bitmap_months):
    # 1: the months span more than the bitmap allows, so the hash probe decides.
    monkeypatch.setattr(staging, "BITMAP_MONTHS", bitmap_months)
    clean = C.MRR_LONG + [["A1", "1950-01", "5"], ["A2", "2024-02", "9"]]
    assert prepared_for(ws, tmp_path, clean).report.ok
    twice = clean + [["A1", "1950-01-01", "6"]]
    (err,) = prepared_for(ws, tmp_path, twice, name="twice.csv").report.errors
    assert err.key == "ingest.error.duplicate_mrr" and err.rows == [6, 8] and err.count == 2


def test_duplicates_in_a_wide_sheet(ws, tmp_path):
    rows = C.wide_rows(["2024-01", "2024-02", "2024-03"]) + [["Kite Foods", 1, 2, 3]]
    (err,) = prepared_for(ws, tmp_path, rows, name="wide.csv", kind="mrr").report.errors
    # Kite Foods appears twice with values for February and March: two duplicate keys, four rows.
    assert err.key == "ingest.error.duplicate_mrr" and err.count == 4 and err.rows == [3, 5]
    assert err.params["groups"] == "2"


def test_existing_columns_reads_the_workspace_table_not_a_temp_one(ws):
    ws.con.execute('CREATE TEMP TABLE "mrr" (z INTEGER)')
    found = loading._existing_columns(ws.con, "mrr")
    expected = ws.con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'mrr' AND database_name <> 'temp' "
        "ORDER BY column_index").fetchall()
    assert list(found.items()) == expected and "month" in found
    assert loading._existing_columns(ws.con, "nps") is None
    ws.con.execute('DROP TABLE temp."mrr"')


def test_every_row_keeps_its_file_name_across_appends_and_odd_names(ws, tmp_path):
    """A load stores the file name as a one-value ENUM; appending another file turns the
    column into text so both names stay, quotes included."""
    first = [["account_id", "month", "mrr"], ["A1", "2024-03", "10"]]
    ingest.load(ws, prepared_for(ws, tmp_path, first, name="o'brien \"mrr\".csv"))
    second = [["account_id", "month", "mrr"], ["A1", "2024-04", "20"]]
    ingest.load(ws, prepared_for(ws, tmp_path, second, name="april.csv"), mode="append")
    rows = ws.con.execute("SELECT strftime(month, '%Y-%m'), _source_file FROM mrr ORDER BY month").fetchall()
    assert rows == [("2024-03", "o'brien \"mrr\".csv"), ("2024-04", "april.csv")]
    assert ws.con.execute("SELECT any_value(typeof(_source_file)) FROM mrr").fetchone()[0] == "VARCHAR"


def test_merged_accounts_keep_their_files(ws, tmp_path):
    ws.con.execute("DROP TABLE IF EXISTS accounts")
    ingest.load(ws, prepared_for(ws, tmp_path, [["account_id", "account_name"], ["A1", "Acme"]], name="crm.csv"))
    ingest.load(ws, prepared_for(ws, tmp_path, [["account_id", "account_name"], ["B2", "Beta"]], name="erp.csv"),
                mode="merge")
    assert ws.con.execute("SELECT account_id, _source_file FROM accounts ORDER BY 1").fetchall() == [
        ("A1", "crm.csv"), ("B2", "erp.csv")]


@pytest.mark.parametrize("word", ["infinity", "epoch", "-infinity"])
def test_words_duckdb_reads_as_dates_are_reported_not_loaded(ws, tmp_path, word):
    """DuckDB's parsers take 'infinity' / 'epoch' as dates (strptime even as 1900-01-01): the
    load names the row, the column and the value instead of storing a made-up month."""
    rows = [["account_id", "month", "mrr"], ["A1", "2024-01-01", "10"], ["A1", word, "20"]]
    before = snapshot(ws)
    with pytest.raises(IngestError) as err:
        ingest.load(ws, prepared_for(ws, tmp_path, rows, name="words.csv"))
    issue = err.value.issues[0]
    assert issue.rows == [3] and issue.column == "month" and word in err.value.issues[0].message("en")
    assert snapshot(ws) == before


def test_a_real_1900_date_still_loads(ws, tmp_path):
    ws.con.execute("DROP TABLE IF EXISTS mrr")
    rows = [["account_id", "month", "mrr"], ["A1", "1900-01-01", "10"]]
    ingest.load(ws, prepared_for(ws, tmp_path, rows, name="old.csv"))
    assert ws.con.execute("SELECT strftime(month, '%Y-%m') FROM mrr").fetchall() == [("1900-01",)]
