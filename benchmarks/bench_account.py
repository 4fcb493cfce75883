"""Account 360 and the QBR deck on a big workspace: prints the figures issue 7 asks for.

Targets: Account 360 first render ≤ 1 s server time on 100k accounts; a deck built in ≤ 5 s.
The first render is timed in a new session on a workspace analysed before (the health
model keeps its monthly medians in the file), and also on one never analysed.

    python benchmarks/bench_account.py                 # builds generate(100_000, 60) in a temp dir
    python benchmarks/bench_account.py --workspace W   # reuses a workspace file built before
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import build_workspace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=60)
    args = parser.parse_args()

    from streamlit.testing.v1 import AppTest

    from cs_metrics import account, deck, northstar
    from cs_metrics.workspace import Workspace

    tmp = Path(tempfile.mkdtemp(prefix="polaris_bench_account_"))
    try:
        path = tmp / "bench.duckdb"
        if args.workspace:
            shutil.copyfile(args.workspace, path)
        else:
            build_workspace(path, args.accounts, args.months)
        ws = Workspace.open(path)
        ws.set_setting("northstar", northstar.make_config(ws.con, "reports_created", "events").to_setting())
        n = account.account_count(ws.con)
        target = account.search_accounts(ws.con, "", limit=1).iloc[0]["account_id"]
        print(f"workspace: {n:,} accounts; account shown: {target}")
        import streamlit as st

        def first_render(workspace: Workspace, account_id: str) -> tuple[AppTest, float]:
            """A new session's first render of the page: Streamlit's caches empty."""
            st.cache_data.clear()
            page = AppTest.from_file(str(ROOT / "pages" / "account_360.py"), default_timeout=300)
            page.session_state["polaris_ws"] = workspace
            page.query_params["account"] = account_id
            started = time.perf_counter()
            page.run()
            assert not page.exception, page.exception
            return page, time.perf_counter() - started

        # A workspace nobody has analysed yet: the first view scores every account once and
        # keeps the monthly medians in the workspace file.
        _, never = first_render(ws, target)
        ws.close()
        # The usual case: a workspace analysed before (by any page, any session, or an earlier
        # run of the server), opened afresh in a new session with empty caches.
        analysed = tmp / "analysed.duckdb"
        shutil.copyfile(path, analysed)
        ws = Workspace.open(analysed)
        other = account.search_accounts(ws.con, "", limit=2).iloc[1]["account_id"]
        page, first = first_render(ws, other)
        started = time.perf_counter()
        page.run()
        again = time.perf_counter() - started
        page.query_params["account"] = target
        page.session_state["account_pick"] = target
        started = time.perf_counter()
        page.run()
        switch = time.perf_counter() - started
        print(f"Account 360 first render in a new session: {first:.2f} s (target <= 1 s); rerun {again:.2f} s; "
              f"another account {switch:.2f} s")
        print(f"  on a workspace never analysed before (scores every account once, then keeps the "
              f"monthly medians): {never:.2f} s")

        started = time.perf_counter()
        peers = northstar.peer_medians(ws.con)
        t_peers = time.perf_counter() - started
        started = time.perf_counter()
        csat = account.segment_csat(ws.con)
        t_csat = time.perf_counter() - started
        started = time.perf_counter()
        account.account_view(ws.con, target, peers=peers, csat_peers=csat, with_health=False, with_signals=False)
        t_view = time.perf_counter() - started
        started = time.perf_counter()
        view = account.account_view(ws.con, target, peers=peers, csat_peers=csat)
        t_signals = time.perf_counter() - started
        started = time.perf_counter()
        account.account_health_scores(ws.con, target)
        t_health = time.perf_counter() - started
        print(f"core: peer medians {t_peers:.3f} s and tier CSAT {t_csat:.3f} s (both cached per data version); "
              f"one account's view without health {t_view:.3f} s; "
              f"with its health, risk reasons and opportunities {t_signals:.3f} s; its health alone {t_health:.3f} s")

        for label, hide in (("cold (first vl-convert call)", False), ("warm", False), ("warm, hide money, zh", True)):
            started = time.perf_counter()
            data = deck.build_deck(view, "zh" if hide else "en", "USD", hide_money=hide)
            print(f"QBR deck {label}: {time.perf_counter() - started:.2f} s, {len(data) / 1024:.0f} KiB (target <= 5 s)")
        ws.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
