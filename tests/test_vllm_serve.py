"""vLLM's OpenAI-compatible server as the way in to a shared inference box: a real ``vllm serve`` (the CPU
build here) on 127.0.0.1, started once for the module, serving SmolLM2-135M and a LoRA adapter by name.
The ``openai`` generator samples the base and the adapter through it; the ``openai`` judge reads label
log-probs from it (SmolLM2 standing in for a local judge model)."""

from __future__ import annotations

import math

import pytest

from tests.fixtures import vllm_server as vs
from valuedrift.config.schema import GenerationConfig, JudgeConfig, SamplingConfig
from valuedrift.generate.base import Request, answer_seed
from valuedrift.generate.registry import get_generator
from valuedrift.judge.base import JudgeItem
from valuedrift.judge.registry import get_judge

pytestmark = [pytest.mark.server, pytest.mark.slow]

SAMPLING = SamplingConfig(n_samples=2, temperature=0.7, max_new_tokens=16)
QUESTIONS = ["Should the minimum wage rise?", "Is nuclear power a good idea?"]
REQS = [
    Request(f"p{i}", "c", q, k, answer_seed(0, f"p{i}", k)) for i, q in enumerate(QUESTIONS) for k in range(2)
]


@pytest.fixture(scope="module")
def server(smollm2, tmp_path_factory):
    root = tmp_path_factory.mktemp("vllm-serve")
    adapter = vs.random_lora(smollm2, root / "adapter", r=8, lora_alpha=16)
    s = vs.start(root, smollm2, {"sft/step-2": str(adapter)})  # named after its checkpoint id
    yield s
    vs.stop(s)


def _entry(cid: str, adapter: bool, served: str | None = None) -> dict:
    e = {"id": cid, "stage": cid.split("/")[0], "algorithm": "sft", "step": 2, "progress": 1.0,
         "path": "unused-on-a-server", "adapter": adapter}  # fmt: skip
    return {**e, "served_model": served} if served else e


def test_openai_generator_samples_the_base_and_an_adapter_by_name(server):
    gen = get_generator(
        GenerationConfig(backend="openai", base_url=server.base_url, concurrency=1), base_model=server.model
    )
    base = [a.text for a in gen.answer(_entry("base/step-0", False, server.model), REQS, SAMPLING)]
    assert all(base) and len(set(base)) > 1
    # one request at a time: the same seed on the same weights gives the same text
    assert [a.text for a in gen.answer(_entry("base/step-0", False, server.model), REQS, SAMPLING)] == base
    tuned = gen.answer(_entry("sft/step-2", True), REQS, SAMPLING)  # served name = checkpoint id
    assert [a.text for a in tuned] != base and all(0 < a.n_tokens <= 16 for a in tuned)
    assert gen.requests == 3 * len(REQS)


def test_openai_judge_reads_label_logprobs_from_vllm_serve(server, tmp_path):
    items = [
        JudgeItem("Should the death penalty be abolished?", "Yes. Executions are irreversible.", "death_penalty"),
        JudgeItem("Should rent control be expanded?", "No, it reduces the housing supply.", "economic_policy"),
    ]  # fmt: skip
    cfg = JudgeConfig(backend="openai", model=server.model, base_url=server.base_url,
                      cache_path=str(tmp_path / "verdicts.sqlite"), timeout_s=120, concurrency=2)  # fmt: skip
    judge = get_judge(cfg)
    verdicts = judge.judge(items)
    assert [v.source for v in verdicts] == ["logprobs", "logprobs"], [v.raw for v in verdicts]
    for v in verdicts:
        assert math.isclose(sum(v.probs), 1.0, abs_tol=1e-9) and 0 < max(v.probs) <= 1
        assert v.label == ("support", "neutral", "oppose")[v.probs.index(max(v.probs))]
    again = get_judge(cfg)  # a fresh judge on the same cache: no request reaches the server
    assert [v.probs for v in again.judge(items)] == [v.probs for v in verdicts]
    assert again.usage.requests == 0 and again.usage.cache_hits == len(items)
