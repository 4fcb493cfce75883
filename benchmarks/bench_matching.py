"""Benchmark: match 100k rows keyed by company name against 100k accounts.

Target (issue 9): ``match_keys`` on 100k name-keyed rows against 100k accounts in ≤ 3 s.

The accounts are generated with a fixed seed: 70% English names (invented words plus an
industry word), 30% Chinese names (two characters + industry + 有限公司). The rows carry
the name of a random account as another system would spell it (case, full-width letters,
legal suffixes, punctuation, spacing) for 90% of rows, a typo for 7% (left unmatched and
proposed) and a customer that is not in the accounts table for 3%. The script checks that
no row is attached to the wrong account and prints the timings (wall clock and CPU: on a
shared machine the wall clock includes waiting for a core).

    .venv/bin/python benchmarks/bench_matching.py [--accounts 100000] [--rows 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cs_metrics.matching import match_keys, propose  # noqa: E402

SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "vor", "zan", "qui", "bel", "dor", "fen", "gra",
             "hul", "jor", "kel", "lum", "mar", "nov", "pex", "sol", "tir", "ul", "ven", "wix",
             "yar", "zel", "an", "bri", "cor", "del"]
INDUSTRIES_EN = ["Logistics", "Systems", "Retail", "Foods", "Motors", "Labs", "Health",
                 "Capital", "Energy", "Media", "Software", "Textiles"]
HANZI = list("恒达金通东盛华泰永安鑫源宏远凯瑞博雅天宇润和瑞丰嘉诚鼎信国科中汇海蓝新峰明德锦程正祥")
INDUSTRIES_ZH = ["物流", "医疗", "科技", "教育", "食品", "制造", "贸易", "软件", "能源", "传媒"]
SUFFIXES = ["", " Inc.", " Co., Ltd.", " LLC", " GmbH", " Corp", " Limited"]
FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"})


def make_accounts(n: int, rng: np.random.Generator) -> pd.DataFrame:
    names: set[str] = set()
    out = []
    while len(out) < n:
        if rng.random() < 0.7:
            word = "".join(rng.choice(SYLLABLES, size=rng.integers(2, 4))).capitalize()
            name = f"{word} {rng.choice(INDUSTRIES_EN)}"
            if rng.random() < 0.3:
                name += f" {rng.integers(1, 99)}"
        else:
            name = "".join(rng.choice(HANZI, size=rng.integers(2, 4))) + str(
                rng.choice(INDUSTRIES_ZH)) + "有限公司"
        if name in names:
            continue
        names.add(name)
        out.append(name)
    return pd.DataFrame({"account_id": [f"A{i:06d}" for i in range(n)], "account_name": out})


def respell(name: str, rng: np.random.Generator) -> str:
    """The same customer as another system writes it."""
    roll = rng.random()
    if name.endswith("有限公司"):
        base = name[: -len("有限公司")]
        return rng.choice([base, base + "股份有限公司", base + " 有限公司", name.translate(FULLWIDTH)])
    if roll < 0.25:
        return name.upper() + str(rng.choice(SUFFIXES))
    if roll < 0.5:
        return name.translate(FULLWIDTH)
    if roll < 0.75:
        return "  " + name.lower().replace(" ", " - ") + str(rng.choice(SUFFIXES))
    return name + str(rng.choice(SUFFIXES))


def typo(name: str, rng: np.random.Generator) -> str:
    """Two neighbouring letters swapped, away from the start."""
    i = int(rng.integers(2, max(3, len(name) - 2)))
    return name[:i] + name[i + 1] + name[i] + name[i + 2:] if i + 1 < len(name) else name + "x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(9)
    accounts = make_accounts(args.accounts, rng)
    names = accounts["account_name"].tolist()
    picks = rng.integers(0, len(names), size=args.rows)
    kinds = rng.random(args.rows)
    keys, truth = [], []
    for pick, roll in zip(picks, kinds):
        if roll < 0.90:
            keys.append(respell(names[pick], rng))
            truth.append(accounts["account_id"].iat[pick])
        elif roll < 0.97:
            keys.append(typo(names[pick], rng))
            truth.append(accounts["account_id"].iat[pick])
        else:
            keys.append(f"Unknown Customer {int(roll * 1e9)}")
            truth.append(None)
    rows = pd.DataFrame({"_source_key": keys, "truth": truth, "row_no": range(len(keys))})

    con = duckdb.connect()
    con.execute("CREATE TABLE accounts AS SELECT account_id::VARCHAR AS account_id, "
                "account_name::VARCHAR AS account_name FROM accounts")
    con.execute("CREATE TABLE tickets AS SELECT _source_key::VARCHAR AS _source_key, "
                "NULL::VARCHAR AS account_id, truth::VARCHAR AS truth, row_no FROM rows")

    start, cpu = time.perf_counter(), time.process_time()
    report = match_keys(con, "tickets", "tickets")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu

    wrong = con.execute("SELECT count(*) FROM tickets WHERE account_id IS NOT NULL "
                        "AND account_id IS DISTINCT FROM truth").fetchone()[0]
    kept = con.execute("SELECT count(*) FROM tickets").fetchone()[0]
    start = time.perf_counter()
    proposals = propose(con, "tickets", limit=3, max_keys=None)
    propose_s = time.perf_counter() - start
    best = proposals[proposals["rank"] == 1]
    typo_keys = best.merge(con.execute("SELECT DISTINCT _source_key AS source_key, truth "
                                       "FROM tickets WHERE account_id IS NULL").df(),
                           on="source_key")
    right_first = int((typo_keys["account_id"] == typo_keys["truth"]).sum())
    unmatched_keys = proposals["source_key"].nunique()

    print(f"accounts: {args.accounts:,}  rows: {args.rows:,} (keyed by name)")
    print(f"match_keys: {elapsed:.2f} s wall, {cpu:.2f} s CPU (target ≤ 3 s); matched "
          f"{report.matched_rows:,} rows by {report.by_rule}; unmatched {report.unmatched_rows:,}; "
          f"rows kept {kept:,}; {len(report.proposals)} proposals for the first "
          f"{len(report.unmatched_keys)} unmatched keys")
    print(f"rows attached to the wrong account: {wrong}")
    print(f"propose over all {unmatched_keys:,} unmatched keys: {propose_s:.2f} s; "
          f"true account ranked first for {right_first:,} of "
          f"{int(typo_keys['truth'].notna().sum()):,} misspelt keys")


if __name__ == "__main__":
    main()
