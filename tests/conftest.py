"""Shared fixtures: a pinned environment, and the sample company built once per run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session", autouse=True)
def _pinned_environment(tmp_path_factory):
    """Pin locale/timezone, ignore the developer's own data folder, prebuild the sample once."""
    os.environ["TZ"] = "UTC"
    os.environ["LC_ALL"] = "C.UTF-8"
    os.environ["POLARIS_VALIDATE_CHARTS"] = "1"  # every chart a page shows is checked against the schema
    from streamlit import config as st_config

    st_config.set_option("client.showErrorDetails", "full")  # tests want the real message
    os.chdir(ROOT)
    base = tmp_path_factory.mktemp("polaris_data")
    os.environ["POLARIS_DATA_DIR"] = str(base)
    from cs_metrics.workspace import ensure_sample

    os.environ["POLARIS_SAMPLE_CACHE"] = str(ensure_sample(base))
    yield


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return Path(os.environ["POLARIS_SAMPLE_CACHE"])


@pytest.fixture()
def sample_ws(tmp_path, sample_path):
    """A private, writable copy of the sample company's workspace."""
    import shutil

    from cs_metrics.workspace import Workspace

    target = tmp_path / "sample_copy.duckdb"
    shutil.copyfile(sample_path, target)
    ws = Workspace.open(target)
    yield ws
    ws.close()
