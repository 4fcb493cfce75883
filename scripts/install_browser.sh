#!/usr/bin/env bash
# Make a Chromium available for the browser tests: Debian's package where we can, else Playwright's.
set -euo pipefail
cd "$(dirname "$0")/.."
for candidate in "${POLARIS_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    if ! fc-list 2>/dev/null | grep -qi "cjk" && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
      apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1 || true
    fi
    exit 0
  fi
done
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1) || \
    (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1) || true
fi
if [ ! -x /usr/bin/chromium ]; then
  .venv/bin/python -m playwright install chromium || echo "warning: no Chromium available; browser tests will be skipped" >&2
fi
