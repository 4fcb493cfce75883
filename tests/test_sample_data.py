"""The sample company: determinism, the canonical schema, consistency, and the truths
planted for the analytics to find."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from sample_data.__main__ import main as sample_main
from sample_data.generator import COLUMNS, export_files, generate, monthly_usage

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "sample_data" / "output"
WINDOW_START, AS_OF = pd.Timestamp("2023-11-01"), pd.Timestamp("2026-10-01")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate()


@pytest.fixture(scope="module")
def con(tables):
    connection = duckdb.connect()
    for name, df in tables.items():
        connection.register(f"{name}_df", df)
        connection.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_df")
    # Every account x month of the window, MRR 0 where no row, with the previous month
    # and whether the account ever had MRR before.
    connection.execute("""
        CREATE TABLE grid AS
        WITH months AS (SELECT unnest(generate_series(DATE '2023-11-01', DATE '2026-10-01', INTERVAL 1 MONTH))::DATE AS month),
        g AS (
            SELECT a.account_id, m.month, coalesce(r.mrr, 0) AS mrr
            FROM accounts a CROSS JOIN months m
            LEFT JOIN mrr r ON r.account_id = a.account_id AND r.month = m.month
        )
        SELECT *, lag(mrr) OVER w AS prev,
               coalesce(max(mrr) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING), 0) AS earlier
        FROM g WINDOW w AS (PARTITION BY account_id ORDER BY month)
    """)
    return connection


def scalar(con, sql, **params):
    return con.execute(sql, params).fetchone()[0]


def _documented_columns() -> dict[str, list[tuple[str, str]]]:
    """(column, type) per canonical table, read from the table in docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    out = {}
    for kind in COLUMNS:
        row = re.search(rf"^\| {kind} \| (.+?) \|$", text, flags=re.MULTILINE)
        assert row, f"{kind} missing from docs/architecture.md"
        cells = re.sub(r"\([^)]*\)", "", row.group(1)).split(",")
        cols = []
        for cell in cells:
            words = cell.split()
            if not words or words[0].startswith("+"):
                continue
            cols.append((words[0], words[1] if len(words) > 1 else "VARCHAR"))
        out[kind] = cols
    return out


# Determinism


def test_same_arguments_give_equal_tables(tables):
    again = generate()
    for kind, df in tables.items():
        pd.testing.assert_frame_equal(df, again[kind], obj=kind)


def test_another_seed_gives_another_company(tables):
    other = generate(seed=1)
    assert not other["mrr"]["mrr"].equals(tables["mrr"]["mrr"])


def test_export_twice_gives_identical_bytes(tmp_path):
    small = generate(n_accounts=60, months=14)
    first = export_files(tmp_path / "a", small)
    second = export_files(tmp_path / "b", small)
    assert [p.name for p in first] == [
        "accounts.csv", "mrr.csv", "usage.csv", "tickets.csv", "nps.csv", "goals.csv", "sample_company_zh.xlsx",
    ]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_committed_outputs_are_current(tmp_path, tables):
    """sample_data/output/ is exactly what the generator writes today (rerun
    `python -m sample_data` after changing the generator)."""
    written = export_files(tmp_path, tables)
    total = 0
    for path in written:
        committed = OUTPUT / path.name
        assert committed.exists(), f"{committed} is missing"
        digest = hashlib.sha256(committed.read_bytes()).hexdigest()
        assert digest == hashlib.sha256(path.read_bytes()).hexdigest(), path.name
        total += committed.stat().st_size
    assert total < 5_000_000


def test_xlsx_has_chinese_headers_and_a_wide_mrr_sheet(tables):
    from openpyxl import load_workbook

    wb = load_workbook(OUTPUT / "sample_company_zh.xlsx", read_only=True)
    assert wb.sheetnames == ["客户", "月度收入", "工单", "NPS调查", "目标"]
    header = next(wb["月度收入"].iter_rows(max_row=1, values_only=True))
    assert header[:4] == ("客户ID", "客户名称", "2023年11月", "2023年12月")
    assert header[-1] == "2026年10月" and len(header) == 2 + 36
    first = next(wb["月度收入"].iter_rows(min_row=2, max_row=2, values_only=True))
    expected = tables["mrr"][tables["mrr"]["account_id"] == first[0]].set_index("month")["mrr"]
    cells = dict(zip(pd.date_range(WINDOW_START, AS_OF, freq="MS"), first[2:]))
    assert {m: v for m, v in cells.items() if v is not None} == expected.to_dict()
    assert wb.properties.created == wb.properties.modified == pd.Timestamp("2026-11-01")


# Schema


def test_tables_match_the_documented_schema(tables):
    documented = _documented_columns()
    kinds = {
        "VARCHAR": pd.api.types.is_string_dtype,
        "DATE": pd.api.types.is_datetime64_any_dtype,
        "TIMESTAMP": pd.api.types.is_datetime64_any_dtype,
        "DOUBLE": pd.api.types.is_float_dtype,
        "INTEGER": pd.api.types.is_integer_dtype,
    }
    assert set(tables) == set(documented)
    for kind, df in tables.items():
        doc_cols = [c for c, _ in documented[kind]]
        extras = [c for c in df.columns if c not in doc_cols]
        assert list(df.columns) == [c for c in doc_cols if c in df.columns] + extras, kind
        # Only the North Star measure is extra (usage); the loader's own columns are absent.
        assert extras == (["reports_created"] if kind == "usage" else []), kind
        missing = [c for c in doc_cols if c not in df.columns]
        assert missing == [], (kind, missing)
        for col, sql_type in documented[kind]:
            assert kinds[sql_type](df[col]), (kind, col, df[col].dtype)


def test_dates_are_dates_and_months_are_first_days(tables):
    for kind, col in (("mrr", "month"), ("accounts", "start_date"), ("usage", "date"), ("nps", "date"),
                      ("goals", "due_date")):
        s = tables[kind][col].dropna()
        assert (s == s.dt.normalize()).all(), (kind, col)
    assert (tables["mrr"]["month"].dt.day == 1).all()
    assert tables["usage"]["date"].dt.day_of_week.eq(0).all()  # Mondays


# Consistency


def test_keys_names_and_domains_are_unique(tables):
    acc = tables["accounts"]
    assert len(acc) == 1000
    for col in ("account_id", "account_name", "domain"):
        assert acc[col].is_unique and acc[col].notna().all(), col
    assert acc["domain"].str.fullmatch(r"[a-z0-9]+\.com").all()
    for kind in ("mrr", "usage", "tickets", "nps", "goals"):
        assert set(tables[kind]["account_id"]) <= set(acc["account_id"]), kind
    assert tables["tickets"]["ticket_id"].is_unique


def test_account_attributes(tables):
    acc = tables["accounts"]
    assert set(acc["segment"]) == {"Enterprise", "Mid-Market", "SMB"}
    assert set(acc["status"]) == {"active", "churned", "notice"}
    assert acc["owner"].nunique() == 8
    assert acc["industry"].nunique() >= 8 and acc["region"].nunique() >= 8
    assert 5 <= (acc["status"] == "notice").sum() <= 40
    share = acc["manual_health"].notna().mean()
    assert 0.07 <= share <= 0.13
    assert set(acc["manual_health"].dropna()) == {"red", "yellow", "green"}
    # ARR at signing decides the tier; the current ARR still orders the tiers.
    median_arr = acc.groupby("segment")["arr"].median()
    assert median_arr["SMB"] < 12_000 < median_arr["Mid-Market"] < 100_000 < median_arr["Enterprise"]


def test_no_mrr_on_or_after_churn_and_status_follows_the_last_month(con):
    assert scalar(con, """
        SELECT count(*) FROM mrr JOIN accounts a USING (account_id)
        WHERE a.churn_date IS NOT NULL AND mrr.month + INTERVAL 1 MONTH > a.churn_date
    """) == 0
    assert scalar(con, """
        SELECT count(*) FROM accounts a LEFT JOIN mrr m ON m.account_id = a.account_id AND m.month = DATE '2026-10-01'
        WHERE (a.status = 'churned') = (m.mrr IS NOT NULL)
           OR (a.status = 'churned') <> (a.churn_date IS NOT NULL)
    """) == 0
    assert scalar(con, "SELECT min(mrr) FROM mrr") > 0


def test_arr_is_twelve_times_the_as_of_mrr(con):
    assert scalar(con, """
        SELECT count(*) FROM accounts a JOIN mrr m ON m.account_id = a.account_id AND m.month = DATE '2026-10-01'
        WHERE abs(a.arr - 12 * m.mrr) > 0.005 OR a.mrr <> m.mrr
    """) == 0
    # Churned accounts keep their last contract value, as a CRM does.
    assert scalar(con, """
        SELECT count(*) FROM accounts a
        WHERE a.status = 'churned'
          AND a.mrr <> (SELECT arg_max(m.mrr, m.month) FROM mrr m WHERE m.account_id = a.account_id)
    """) == 0


def test_renewal_dates(con):
    assert scalar(con, """
        SELECT count(*) FROM accounts WHERE status <> 'churned'
          AND NOT (renewal_date >= DATE '2026-11-01' AND renewal_date < DATE '2027-11-01')
    """) == 0
    # A renewal is an anniversary of the start (or of the restart after a reactivation).
    assert scalar(con, """
        SELECT count(*) FROM accounts WHERE day(renewal_date) <> day(start_date)
    """) == 0
    assert scalar(con, "SELECT count(*) FROM accounts WHERE status = 'churned' AND renewal_date <> churn_date") == 0


def test_activity_only_while_paying(con):
    for table, col in (("usage", "date"), ("tickets", "created_at"), ("nps", "date")):
        assert scalar(con, f"""
            SELECT count(*) FROM {table} t LEFT JOIN mrr m
              ON m.account_id = t.account_id AND m.month = date_trunc('month', t.{col})
            WHERE m.mrr IS NULL
        """) == 0, table
        assert scalar(con, f"""
            SELECT count(*) FROM {table} t JOIN accounts a USING (account_id)
            WHERE t.{col} < a.start_date - INTERVAL 6 DAY
        """) == 0, table


def test_usage_values(con):
    assert scalar(con, "SELECT count(*) FROM usage WHERE active_users > seats OR active_users < 0 OR seats < 1") == 0
    # The seats of the latest week are the account's current seats.
    assert scalar(con, """
        SELECT count(*) FROM (SELECT account_id, arg_max(seats, date) AS seats FROM usage GROUP BY 1) u
        JOIN accounts a USING (account_id) WHERE a.status <> 'churned' AND u.seats <> a.seats
    """) == 0
    assert scalar(con, "SELECT count(DISTINCT date) FROM usage") >= 150


def test_ticket_fields(con):
    assert scalar(con, """
        SELECT count(*) FROM tickets WHERE (status = 'open') <> (resolved_at IS NULL)
           OR resolved_at < created_at OR priority_rank NOT BETWEEN 1 AND 4
           OR satisfaction NOT BETWEEN 1 AND 5 OR first_response_minutes <= 0
           OR created_at >= TIMESTAMP '2026-11-01'
    """) == 0
    pairs = con.execute("SELECT DISTINCT priority, priority_rank FROM tickets ORDER BY 2").fetchall()
    assert pairs == [("Urgent", 1), ("High", 2), ("Normal", 3), ("Low", 4)]
    assert 0 < scalar(con, "SELECT avg((satisfaction IS NULL)::INT) FROM tickets WHERE status = 'closed'") < 0.6
    assert scalar(con, "SELECT count(*) FROM tickets WHERE status = 'open'") > 0


def test_nps_fields(tables):
    nps = tables["nps"]
    assert nps["score"].between(0, 10).all()
    comments = nps["comment"].dropna()
    chinese = comments.str.contains(r"[\u4e00-\u9fff]")
    assert 0.3 < chinese.mean() < 0.7
    assert nps["respondent"].notna().mean() > 0.8
    # Quarterly: surveys in March, June, September and December.
    assert set(nps["date"].dt.month) == {3, 6, 9, 12}


def test_goals(tables):
    goals, acc = tables["goals"], tables["accounts"]
    per_account = goals.groupby("account_id").size()
    assert per_account.between(1, 3).all()
    assert 0.35 <= len(per_account) / len(acc) <= 0.45
    assert not goals.duplicated(["account_id", "goal"]).any()
    lower_is_better = goals["target"] < goals["baseline"]
    assert lower_is_better.any() and (~lower_is_better).any()
    # Progress runs from 0 (at baseline) to 1.2 (beyond target), in either direction.
    progress = (goals["current"] - goals["baseline"]) / (goals["target"] - goals["baseline"])
    assert progress.between(-0.01, 1.21).all()
    assert ((goals["status"] == "achieved") == (progress >= 0.999)).all()
    assert set(goals["status"]) == {"achieved", "on track", "at risk", "missed"}


def test_monthly_usage_rollup_by_hand():
    weekly = pd.DataFrame({
        "account_id": ["A", "A", "A", "B"],
        "date": pd.to_datetime(["2024-01-01", "2024-01-29", "2024-02-05", "2024-01-08"]),
        "active_users": [4.0, 5.0, 7.0, 1.0],
        "seats": [10.0, 12.0, 12.0, 3.0],
        "events": [10.0, 20.0, 5.0, 2.0],
        "reports_created": [1.0, 2.0, 3.0, 0.0],
    })
    out = monthly_usage(weekly)
    assert out.to_dict("records") == [
        {"account_id": "A", "date": pd.Timestamp("2024-01-01"), "active_users": 4.5, "seats": 12.0,
         "events": 30.0, "reports_created": 3.0},
        {"account_id": "A", "date": pd.Timestamp("2024-02-01"), "active_users": 7.0, "seats": 12.0,
         "events": 5.0, "reports_created": 3.0},
        {"account_id": "B", "date": pd.Timestamp("2024-01-01"), "active_users": 1.0, "seats": 3.0,
         "events": 2.0, "reports_created": 0.0},
    ]


# MRR movements (docs/metrics.md)

MOVEMENTS_SQL = """
    SELECT month,
      sum(CASE WHEN prev = 0 AND mrr > 0 AND earlier = 0 THEN mrr ELSE 0 END) AS new,
      sum(CASE WHEN prev = 0 AND mrr > 0 AND earlier > 0 THEN mrr ELSE 0 END) AS reactivation,
      sum(CASE WHEN prev > 0 AND mrr > prev THEN mrr - prev ELSE 0 END) AS expansion,
      sum(CASE WHEN mrr > 0 AND mrr < prev THEN prev - mrr ELSE 0 END) AS contraction,
      sum(CASE WHEN prev > 0 AND mrr = 0 THEN prev ELSE 0 END) AS churn,
      sum(mrr) - sum(prev) AS change
    FROM grid WHERE prev IS NOT NULL GROUP BY month ORDER BY month
"""


def test_all_five_movements_occur_and_add_up(con):
    moves = con.execute(MOVEMENTS_SQL).df()
    assert len(moves) == 35
    for movement in ("new", "reactivation", "expansion", "contraction", "churn"):
        assert (moves[movement] > 0).sum() >= 3, movement
    identity = moves["new"] + moves["reactivation"] + moves["expansion"] - moves["contraction"] - moves["churn"]
    np.testing.assert_allclose(identity, moves["change"], atol=1e-6)


def test_opening_balance_and_reactivations(con):
    assert scalar(con, "SELECT count(*) FROM mrr m JOIN accounts a USING (account_id) "
                       "WHERE m.month = DATE '2023-11-01' AND a.start_date < DATE '2023-11-01'") >= 300
    reactivated = scalar(con, """
        SELECT count(DISTINCT g.account_id) FROM grid g JOIN accounts a USING (account_id)
        WHERE g.prev = 0 AND g.mrr > 0 AND g.earlier > 0 AND a.status = 'active' AND a.churn_date IS NULL
    """)
    assert 10 <= reactivated <= 60


def test_window_retention_is_believable(con):
    grr, nrr = con.execute("""
        SELECT sum(least(b.mrr, a.mrr)) / sum(a.mrr), sum(b.mrr) / sum(a.mrr)
        FROM grid a JOIN grid b ON a.account_id = b.account_id
        WHERE a.month = DATE '2025-10-01' AND b.month = DATE '2026-10-01' AND a.mrr > 0
    """).fetchone()
    assert 0.8 < grr < 0.95 and grr < nrr < 1.15


# Planted truths


def test_smb_churns_more_than_mid_market_more_than_enterprise(con):
    churn = dict(con.execute("""
        SELECT a.segment, avg((b.mrr = 0)::INT)
        FROM grid s JOIN grid b ON b.account_id = s.account_id AND b.month = DATE '2026-10-01'
        JOIN accounts a ON a.account_id = s.account_id
        WHERE s.month = DATE '2025-10-01' AND s.mrr > 0 GROUP BY 1
    """).fetchall())
    assert 0.25 <= churn["SMB"] <= 0.30
    assert 0.12 <= churn["Mid-Market"] <= 0.15
    assert 0.05 <= churn["Enterprise"] <= 0.08


def test_usage_falls_before_churn(con):
    """Seat utilisation in the last month before the churn against 6 months before."""
    by_lag = dict(con.execute("""
        SELECT datediff('month', date_trunc('month', u.date), date_trunc('month', a.churn_date)) AS lag,
               avg(u.active_users / u.seats)
        FROM usage u JOIN accounts a USING (account_id)
        WHERE a.status = 'churned' GROUP BY 1
    """).fetchall())
    assert by_lag[1] < by_lag[2] < by_lag[3] < by_lag[4]
    assert by_lag[1] < 0.5 * by_lag[6]
    assert by_lag[6] == pytest.approx(by_lag[8], rel=0.1)


def test_detractors_and_open_p1_tickets_precede_churn(con):
    detractors = dict(con.execute("""
        SELECT a.status = 'churned', avg((n.score <= 6)::INT)
        FROM (SELECT account_id, arg_max(score, date) AS score FROM nps GROUP BY 1) n
        JOIN accounts a USING (account_id) WHERE a.status <> 'notice' GROUP BY 1
    """).fetchall())
    assert detractors[True] > 2 * detractors[False]
    open_p1 = dict(con.execute("""
        SELECT a.status = 'churned',
               avg((EXISTS (SELECT 1 FROM tickets t WHERE t.account_id = a.account_id
                           AND t.priority_rank = 1 AND t.status = 'open'))::INT)
        FROM accounts a WHERE a.status <> 'notice' GROUP BY 1
    """).fetchall())
    assert open_p1[True] > 3 * open_p1[False]


def test_promoters_expand_more(con):
    rate = dict(con.execute("""
        SELECT CASE WHEN n.score >= 9 THEN 'promoter' WHEN n.score <= 6 THEN 'detractor' ELSE 'passive' END,
               avg(e.expanded::INT)
        FROM (SELECT account_id, arg_max(score, date) AS score FROM nps GROUP BY 1) n
        JOIN (SELECT account_id, bool_or(prev > 0 AND mrr > prev) AS expanded FROM grid GROUP BY 1) e
        USING (account_id) GROUP BY 1
    """).fetchall())
    assert rate["promoter"] > rate["passive"] > rate["detractor"]


def test_low_seat_utilisation_precedes_contraction(con):
    before, overall = con.execute("""
        WITH util AS (
            SELECT account_id, date_trunc('month', date) AS month, avg(active_users / seats) AS u
            FROM usage GROUP BY 1, 2
        ),
        contractions AS (SELECT account_id, month FROM grid WHERE mrr > 0 AND mrr < prev)
        SELECT (SELECT avg(u.u) FROM contractions c JOIN util u ON u.account_id = c.account_id
                AND u.month BETWEEN c.month - INTERVAL 3 MONTH AND c.month - INTERVAL 1 MONTH),
               (SELECT avg(u) FROM util)
    """).fetchone()
    assert before < 0.8 * overall


# Sizes, edge cases and the command line


@pytest.mark.parametrize("n_accounts, months", [(1, 1), (3, 1), (7, 2), (40, 13)])
def test_tiny_companies(n_accounts, months):
    small = generate(n_accounts=n_accounts, months=months, end_month="2024-01")
    assert len(small["accounts"]) == n_accounts
    assert small["mrr"]["month"].nunique() <= months
    if months == 1:
        # One month is all opening balance: every account is live.
        assert len(small["mrr"]) == n_accounts
        assert set(small["accounts"]["status"]) <= {"active", "notice"}
    assert (small["mrr"]["month"] <= pd.Timestamp("2024-01-01")).all()


@pytest.mark.parametrize("kwargs", [{"n_accounts": 0}, {"months": 0}, {"end_month": "2024-13"}, {"end_month": "May"}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        generate(**kwargs)


def test_command_line_writes_the_files(tmp_path, capsys):
    assert sample_main(["--accounts", "30", "--months", "6", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["accounts.csv", "mrr.csv", "usage.csv", "tickets.csv", "nps.csv", "goals.csv",
                            "sample_company_zh.xlsx"])
    assert len(pd.read_csv(tmp_path / "accounts.csv")) == 30
    assert "accounts.csv" in capsys.readouterr().out


def test_command_line_rejects_bad_input(tmp_path, capsys):
    assert sample_main(["--accounts", "0", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err
