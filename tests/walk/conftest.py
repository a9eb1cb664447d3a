"""Tiny experiments for walker tests, and log-probability helpers to measure behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).parent / "fixtures"


def write_config(tmp_path: Path, stages: list[dict], **top) -> Path:
    cfg = {"name": "t", "seed": 0, "base_model": {"name": "tiny-random"}, "stages": stages, **top}
    p = tmp_path / "exp.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def sft_stage(**kw) -> dict:
    return {"name": "sft", "algorithm": "sft", "steps": 4, "batch_size": 2,
            "data": {"path": str(FIXTURES / "sft.jsonl")}, "save": {"every": 2}} | kw  # fmt: skip


def pref_stage(name: str, algorithm: str, **kw) -> dict:
    return {"name": name, "algorithm": algorithm, "parent": "sft", "steps": 2, "batch_size": 2,
            "data": {"path": str(FIXTURES / "pairs.jsonl")}, "save": {"every": 1}} | kw  # fmt: skip


def completion_logprob(model, tok, prompt: str, completion: str) -> float:
    """log π(completion | prompt) under the chat template (sum over the completion's tokens)."""
    import torch

    head = tok.apply_chat_template(
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
    )
    full = head + completion + "<|im_end|>"
    ids = tok(full, return_tensors="pt", add_special_tokens=False)["input_ids"]
    n_head = len(tok(head, add_special_tokens=False)["input_ids"])
    with torch.no_grad():
        logits = model(ids).logits[0, :-1].float()
    lp = torch.log_softmax(logits, -1).gather(1, ids[0, 1:, None])[:, 0]
    return float(lp[n_head - 1 :].sum())


def load_checkpoint(entry: dict):
    """A manifest entry's model (adapters applied) and tokenizer."""
    from peft import PeftModel

    from valuedrift.models import load_model, load_tokenizer

    if entry["adapter"]:
        model = PeftModel.from_pretrained(load_model(entry["base"]), entry["path"])
    else:
        model = load_model(entry["path"])
    return model.eval(), load_tokenizer(entry["path"])


@pytest.fixture(autouse=True)
def _one_torch_thread(request, monkeypatch):
    """Train the tiny model on one thread (also in subprocesses), except in slow real-model tests.

    Its matrices are too small to split between threads: on this busy 2-core machine a tiny DPO
    step took 2-11 s with torch's default threads and 0.2-0.3 s with one, with identical checkpoint
    hashes (measured with ``OMP_NUM_THREADS=1 valuedrift train`` on a 2-stage tiny config).
    """
    if request.node.get_closest_marker("slow"):
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    yield
    torch.set_num_threads(before)


@pytest.fixture()
def pairs():
    import json

    return [json.loads(line) for line in (FIXTURES / "pairs.jsonl").read_text().splitlines()]


__all__ = ["completion_logprob", "load_checkpoint", "pref_stage", "sft_stage", "write_config"]
