#!/usr/bin/env bash
# The README's first command: set up .venv and run `valuedrift trace` on the built-in demo
# (offline, CPU). Extra arguments go to `valuedrift trace`, e.g. `bash scripts/demo.sh --fresh`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
exec .venv/bin/valuedrift trace "$@"
