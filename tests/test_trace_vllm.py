"""``valuedrift trace`` with ``generation.backend: vllm`` (vLLM's CPU build here): SmolLM2-135M, a short
LoRA SFT stage, every checkpoint sampled on one engine (adapters merged in place, the CPU default),
judged, analysed and reported."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import yaml

CONFIG = {
    "name": "vllmtrace",
    "seed": 0,
    "base_model": {"name": "smollm2-135m-instruct"},
    "finetune": {"mode": "lora", "lora": {"r": 8, "alpha": 16}},
    "stages": [{"name": "sft", "algorithm": "sft", "steps": 2, "batch_size": 2, "max_length": 128,
                "data": {"path": "demo:sft.jsonl"}, "save": {"every": 1}}],
    "generation": {"backend": "vllm", "options": {"enforce_eager": True, "max_model_len": 512},
                   "prompts": {"per_category": 1}, "sampling": {"n_samples": 2, "max_new_tokens": 16}},
    "analysis": {"n_bootstrap": 100},
}  # fmt: skip


@pytest.mark.slow
def test_trace_with_the_vllm_backend_gives_a_report(tmp_path):
    cfg = tmp_path / "exp.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "valuedrift", "trace", str(cfg), "--out", str(out)],
                          capture_output=True, text=True, timeout=1200)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    gens = pd.concat(pd.read_parquet(p) for p in (out / "generations").glob("*.parquet"))
    assert set(gens.checkpoint) == {"base/step-0", "sft/step-0", "sft/step-1", "sft/step-2"}
    assert len(gens) == 4 * 11 * 2 and gens.response.str.len().gt(0).all()
    by = gens.sort_values(["prompt_id", "sample"]).groupby("checkpoint").response.apply(tuple)
    assert by["sft/step-0"] == by["base/step-0"]  # the stage's start is the base model
    assert by.nunique() == 3  # each adapter's merged weights answered, not the base's
    assert "sampled by the <code>vllm</code> back end" in (out / "report.html").read_text()
