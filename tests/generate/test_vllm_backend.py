"""The vllm back end. Without vllm (CPU machines) only the missing-dependency message is checked;
with vllm and CUDA, a real engine on SmolLM2-135M: seeded reproducibility, in-place full reloads,
LoRA requests and the stale-weight guard."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from valuedrift.config.schema import GenerationConfig, SamplingConfig
from valuedrift.errors import MissingDependency, UserError
from valuedrift.generate.base import Request, answer_seed
from valuedrift.generate.registry import get_generator


def test_missing_vllm_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` fail even where it is installed
    with pytest.raises(MissingDependency) as e:
        get_generator(GenerationConfig(backend="vllm"), base_model="tiny-random")
    assert "vllm" in e.value.line() and "pip install 'valuedrift[vllm]'" in e.value.line()


def _cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except ImportError:
        return False


needs_vllm = pytest.mark.skipif(
    importlib.util.find_spec("vllm") is None or not _cuda(), reason="vllm with CUDA is not available here"
)
SAMPLING = SamplingConfig(n_samples=3, temperature=0.7, max_new_tokens=24)
QUESTIONS = ["Should the minimum wage rise?", "Is nuclear power a good idea?"]
REQS = [
    Request(f"p{i}", "c", q, k, answer_seed(0, f"p{i}", k)) for i, q in enumerate(QUESTIONS) for k in range(3)
]


def _entry(cid: str, path: str, *, adapter: bool = False, sha: str | None = None) -> dict:
    stage, step = cid.split("/step-")
    return {"id": cid, "stage": stage, "algorithm": "sft", "step": int(step), "total_steps": 2,
            "progress": int(step) / 2, "path": path, "parent": None, "adapter": adapter, "sha256": sha}  # fmt: skip


@pytest.fixture(scope="module")
def smol_series(smollm2, tmp_path_factory):
    """SmolLM2 (base), a copy with perturbed weights (full), and a random LoRA adapter on it."""
    import shutil

    import torch
    from peft import LoraConfig, get_peft_model

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
    peft = get_peft_model(
        load_model(smollm2), LoraConfig(r=8, target_modules="all-linear", init_lora_weights=False)
    )
    lora = root / "lora"
    peft.save_pretrained(lora)
    return {
        "base": _entry("base/step-0", smollm2, sha=sha256_weights(smollm2)),
        "full": _entry("sft/step-2", str(full), sha=sha256_weights(full)),
        "lora": _entry("lora/step-2", str(lora), adapter=True, sha=sha256_weights(lora)),
    }


@needs_vllm
@pytest.mark.slow
def test_vllm_engine_reproduces_and_switches_checkpoints_in_place(smol_series, smollm2):
    cfg = GenerationConfig(backend="vllm", options={"gpu_memory_utilization": 0.3, "max_model_len": 512})
    gen = get_generator(cfg, base_model=smollm2)
    texts = lambda e: [a.text for a in gen.answer(e, REQS, SAMPLING)]  # noqa: E731
    base = texts(smol_series["base"])
    engine = gen.llm
    assert texts(smol_series["base"]) == base  # same seeds, same text
    assert len(set(base)) > 1  # the n samples of a prompt differ
    full = texts(smol_series["full"])
    assert gen.llm is engine and gen.reloads == 1 and full != base  # reloaded in place
    lora = texts(smol_series["lora"])  # base weights restored, adapter applied per request
    assert gen.reloads == 2 and lora != base and lora != full
    assert texts(smol_series["base"]) == base


@needs_vllm
@pytest.mark.slow
def test_vllm_reload_that_does_not_take_effect_is_refused(smol_series, smollm2, monkeypatch):
    cfg = GenerationConfig(backend="vllm", options={"gpu_memory_utilization": 0.3, "max_model_len": 512})
    gen = get_generator(cfg, base_model=smollm2)
    gen.answer(smol_series["base"], REQS[:1], SAMPLING)
    # a worker that acknowledges the load but changes nothing: the fault the guard exists for
    monkeypatch.setattr(gen.llm, "collective_rpc", lambda *a, **k: [1])
    with pytest.raises(
        UserError, match=r"checkpoint sft/step-2: the in-place weight reload did not take effect"
    ):
        gen.answer(smol_series["full"], REQS[:1], SAMPLING)
