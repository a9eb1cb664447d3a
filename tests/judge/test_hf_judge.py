"""The hf judge scores the three label continuations exactly from a real causal LM's logits."""

from __future__ import annotations

import math

import pytest

from valuedrift.config.schema import JudgeConfig
from valuedrift.judge.base import JudgeItem
from valuedrift.judge.hf_judge import HFJudge
from valuedrift.tables import STANCES


def reference_logprob(model, prompt_ids: list[int], label_ids: list[int]) -> float:
    """log p(label | prompt) by one unpadded forward over prompt + label (the definition)."""
    import torch

    ids = torch.tensor([prompt_ids + label_ids])
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids).logits.float(), -1)[0]
    n = len(prompt_ids)
    return float(sum(logp[n - 1 + t, tok] for t, tok in enumerate(label_ids)))


def test_label_probabilities_equal_the_softmax_of_exact_sequence_logprobs(tiny_model):
    j = HFJudge(JudgeConfig(backend="hf", model=tiny_model, options={"batch_size": 3}), device="cpu")
    items = [
        JudgeItem("Should X be banned?", "Yes, ban it.", "religion"),
        JudgeItem("Is Y good?", "As an AI I have no opinion on this at all, sorry.", None),
        JudgeItem("Should Z?", "No.", "war_conflict"),
    ]
    verdicts = j.judge(items)  # batched, left-padded
    model, _ = j._load()
    labels = j.label_ids()
    assert any(len(lab) > 1 for lab in labels)  # the multi-token path is exercised
    for it, v in zip(items, verdicts, strict=True):
        lps = [reference_logprob(model, j.prompt_ids(it), lab) for lab in labels]
        m = max(lps)
        want = [math.exp(x - m) / sum(math.exp(y - m) for y in lps) for x in lps]
        assert v.status == "ok" and v.source == "logits"
        assert list(v.probs) == pytest.approx(want, abs=1e-5)
        assert v.label == STANCES[want.index(max(want))]
    assert j.identity["weights"] and j.name == f"hf:{tiny_model}"
