#!/usr/bin/env bash
# Set everything up and start Polaris on the sample company: ./run.sh [streamlit options]
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
# Fewer malloc arenas: with many sessions the server then keeps less memory after they close.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec .venv/bin/python -m streamlit run app.py "$@"
