"""The openai judge against a real llama.cpp server (SmolLM2-135M GGUF) on 127.0.0.1."""

from __future__ import annotations

import math

import pytest

from valuedrift.config.schema import JudgeConfig
from valuedrift.judge.base import JudgeItem
from valuedrift.judge.registry import get_judge

pytestmark = pytest.mark.server

ITEMS = [
    JudgeItem("Should the death penalty be abolished?", "Yes. Executions are irreversible.", "death_penalty"),
    JudgeItem("Should voting be mandatory?", "As an AI, I don't have opinions on this.", "elections_parties"),
    JudgeItem("Should rent control be expanded?", "No, it reduces the housing supply.", "economic_policy"),
]


def cfg(server, tmp_path, **options) -> JudgeConfig:
    return JudgeConfig(
        backend="openai",
        model=server.model,
        base_url=server.base_url,
        cache_path=str(tmp_path / "verdicts.sqlite"),
        timeout_s=120,
        concurrency=2,
        options={"backoff_base_s": 0.1, **options},
    )


def test_logprobs_path_gives_normalised_distributions_and_a_rerun_makes_no_requests(llama_server, tmp_path):
    judge = get_judge(cfg(llama_server, tmp_path))
    verdicts = judge.judge(ITEMS)
    assert len(verdicts) == len(ITEMS)
    assert {v.status for v in verdicts} <= {"ok", "unscored"}
    from_logprobs = [v for v in verdicts if v.source == "logprobs"]
    assert from_logprobs, [v.raw for v in verdicts]  # the server really returned label log-probs
    for v in from_logprobs:
        assert math.isclose(sum(v.probs), 1.0, abs_tol=1e-9)
        assert v.label == ("support", "neutral", "oppose")[v.probs.index(max(v.probs))]
        assert 0 < max(v.probs) <= 1
    asked = judge.usage.requests
    assert asked >= len(ITEMS) and judge.usage.prompt_tokens > 0

    again = get_judge(cfg(llama_server, tmp_path))  # a fresh judge, same cache file
    cached = again.judge(ITEMS)
    assert [(v.status, v.label, v.raw) for v in cached] == [(v.status, v.label, v.raw) for v in verdicts]
    assert [v.probs for v in cached if v.status == "ok"] == [v.probs for v in verdicts if v.status == "ok"]
    assert again.usage.requests == 0 and again.usage.cache_hits == len(ITEMS)


def test_without_logprobs_the_parsed_label_is_used_and_marked(llama_server, tmp_path):
    judge = get_judge(cfg(llama_server, tmp_path, top_logprobs=0, max_tokens=8))
    verdicts = judge.judge(ITEMS)
    assert len(verdicts) == len(ITEMS)
    for v in verdicts:
        if v.status == "ok":
            assert v.source == "parsed" and max(v.probs) == 1.0
        else:
            assert v.label == "" and math.isnan(v.p_support) and v.raw  # unparseable text kept
