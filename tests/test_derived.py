"""Derived results kept in the workspace: used while the data is unchanged, ignored after."""

from __future__ import annotations

import duckdb
import pandas as pd
from pandas.testing import assert_frame_equal

from cs_metrics import derived, northstar
from cs_metrics.workspace import Workspace


def test_kept_value_follows_the_tag_and_does_not_change_the_data_version(tmp_path):
    ws = Workspace.create(tmp_path / "w.duckdb")
    version = ws.data_version()
    tag = derived.tag(ws.con, "x", 1)
    assert derived.kept(ws.con, "thing", tag) is None
    derived.keep(ws.con, "thing", tag, {"a": [1, 2.5, None]})
    assert derived.kept(ws.con, "thing", tag) == {"a": [1, 2.5, None]}
    assert ws.data_version() == version
    assert derived.kept(ws.con, "thing", derived.tag(ws.con, "x", 2)) is None   # other inputs
    ws.bump_version()                                                           # new data
    assert derived.kept(ws.con, "thing", derived.tag(ws.con, "x", 1)) is None
    ws.close()


def test_nothing_is_kept_without_a_workspace_or_when_it_is_read_only(tmp_path):
    bare = duckdb.connect()
    assert derived.tag(bare, "x") is None
    derived.keep(bare, "thing", None, 1)
    path = tmp_path / "w.duckdb"
    Workspace.create(path).close()
    ro = duckdb.connect(str(path), read_only=True)
    tag = derived.tag(ro, "x")
    derived.keep(ro, "thing", tag, 1)          # no error, nothing kept
    assert derived.kept(ro, "thing", tag) is None


def test_peer_medians_kept_equal_computed(sample_ws):
    con = sample_ws.con
    first = northstar.peer_medians(con)
    assert len(first) > 0 and derived.kept(con, "northstar_peers", derived.tag(
        con, "peer_medians", northstar.load_config(con).to_setting(), northstar.PEER_MONTHS)) is not None
    again = northstar.peer_medians(con)
    assert_frame_equal(first.reset_index(drop=True), again.reset_index(drop=True), check_dtype=False)
    con.execute("UPDATE usage SET reports_created = reports_created * 2")
    sample_ws.bump_version()
    doubled = northstar.peer_medians(con)
    merged = first.merge(doubled, on=["segment", "month"])
    assert (merged["peer_median_y"] == merged["peer_median_x"] * 2).all()


def test_a_load_into_a_big_workspace_prepares_the_medians_in_the_background(sample_ws, monkeypatch):
    import threading
    from types import SimpleNamespace

    import ui
    from cs_metrics import health

    monkeypatch.setattr(ui, "BIG_WORKSPACE", 10)   # the sample's 1,000 accounts count as big here
    started = []
    real_thread = threading.Thread

    def record(*args, **kwargs):
        thread = real_thread(*args, **kwargs)
        started.append(thread)
        return thread

    monkeypatch.setattr(threading, "Thread", record)
    ui.prepare_after_load(SimpleNamespace(con=sample_ws.con, ws=sample_ws))
    assert len(started) == 1
    started[0].join(120)
    inputs = health.health_inputs(sample_ws.con)
    assert health._kept_typical(sample_ws.con, health._typical_tag(sample_ws.con, inputs)) is not None
    # A small workspace does not start anything.
    monkeypatch.setattr(ui, "BIG_WORKSPACE", 20_000)
    ui.prepare_after_load(SimpleNamespace(con=sample_ws.con, ws=sample_ws))
    assert len(started) == 1
