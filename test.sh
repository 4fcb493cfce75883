#!/usr/bin/env bash
# Set everything up and run the whole test suite, browser tests included: ./test.sh [pytest options]
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --dev
scripts/install_browser.sh
exec .venv/bin/python -m pytest "$@"
