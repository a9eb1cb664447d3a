"""SFT on the real SmolLM2-135M-Instruct: a few LoRA steps lower the loss on held-out conversations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.walk.conftest import load_checkpoint
from valuedrift.manifest import load_manifest

DEMO_SFT = Path(__file__).resolve().parents[2] / "valuedrift" / "demo" / "data" / "sft.jsonl"


def reply_nll(model, tok, conv: list[dict]) -> float:
    """Mean negative log-likelihood per token of the conversation's final (assistant) reply."""
    import torch

    head = tok.apply_chat_template(conv[:-1], tokenize=False, add_generation_prompt=True)
    full = tok.apply_chat_template(conv, tokenize=False)
    ids = tok(full, return_tensors="pt", add_special_tokens=False)["input_ids"]
    n_head = len(tok(head, add_special_tokens=False)["input_ids"])
    with torch.no_grad():
        logits = model(ids).logits[0, :-1].float()
    lp = torch.log_softmax(logits, -1).gather(1, ids[0, 1:, None])[:, 0]
    return float(-lp[n_head - 1 :].mean())


@pytest.mark.slow
def test_sft_lowers_held_out_loss_on_smollm2(smollm2, tmp_path, cli):
    rows = [json.loads(line) for line in DEMO_SFT.read_text().splitlines()]
    train, held_out = rows[:200], [r["messages"] for r in rows[-12:]]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in train))
    cfg = {
        "name": "sft-smollm2",
        "seed": 0,
        "base_model": {"name": smollm2},
        "stages": [{"name": "sft", "algorithm": "sft", "steps": 6, "batch_size": 4, "max_length": 192,
                    "data": {"path": str(tmp_path / "train.jsonl")}, "save": {"log": 3}}],
    }  # fmt: skip
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(cfg))
    code, _, err = cli("train", tmp_path / "exp.yaml", "--out", tmp_path / "run")
    assert code == 0, err

    man = {c["id"]: c for c in load_manifest(tmp_path / "run" / "checkpoints_manifest.json")["checkpoints"]}
    assert [i for i in man if i.startswith("sft/")] == [
        "sft/step-0",
        "sft/step-1",
        "sft/step-2",
        "sft/step-6",
    ]

    def loss(entry) -> float:
        model, tok = load_checkpoint(entry)
        return sum(reply_nll(model, tok, c) for c in held_out) / len(held_out)

    before, after = loss(man["sft/step-0"]), loss(man["sft/step-6"])
    assert after < before - 0.05, (before, after)
