#!/usr/bin/env bash
# Create .venv and install what Polaris needs. Usage: scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
req=requirements.txt
[ "${1:-}" = "--dev" ] && req=requirements-dev.txt
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
# Make cs_metrics and sample_data importable from anywhere (python -m cs_metrics in any folder).
site=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()[\"purelib\"])")
pwd > "$site/polaris.pth"
