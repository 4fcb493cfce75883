#!/usr/bin/env bash
# Set everything up and run the whole test suite, browser tests included: ./test.sh [pytest options]
# Without options: the unit and page tests on two workers, then the browser tests on their own
# (they start a server and measure it, so they run alone).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --dev
scripts/install_browser.sh
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest "$@"
fi
.venv/bin/python -m pytest -q -n 2 -m "not browser and not slow"
.venv/bin/python -m pytest -q -m "browser and not slow"
