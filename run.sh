#!/usr/bin/env bash
# Set everything up and start Polaris on the sample company: ./run.sh [streamlit options]
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/python -m streamlit run app.py "$@"
