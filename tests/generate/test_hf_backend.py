"""The hf back end on the tiny model: reproducible sampling, checkpoint switching, broken checkpoints."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from valuedrift.config.schema import GenerationConfig, SamplingConfig
from valuedrift.errors import UserError
from valuedrift.generate.base import Request, answer_seed
from valuedrift.generate.hf import HFGenerator

SAMPLING = SamplingConfig(n_samples=2, temperature=0.8, max_new_tokens=10)
QUESTIONS = [
    "Should the minimum wage rise?",
    "Is it fair?",
    "Should immigration be easier for skilled workers?",
]
REQS = [
    Request(f"p{i}", "c", q, k, answer_seed(0, f"p{i}", k)) for i, q in enumerate(QUESTIONS) for k in range(2)
]


def texts(gen, entry, sampling=SAMPLING):
    return [a.text for a in gen.answer(entry, REQS, sampling)]


def test_same_seed_same_text_across_instances_and_batch_sizes(tiny_model, series):
    a = texts(HFGenerator(GenerationConfig(), base_model=tiny_model), series["base"])
    b = texts(HFGenerator(GenerationConfig(batch_size=1), base_model=tiny_model), series["base"])
    assert a == b
    assert len(set(a)) > 1  # samples differ from each other
    other_seed = SamplingConfig(**{**SAMPLING.model_dump(), "seed": 1})
    reqs = [
        Request(r.prompt_id, r.category, r.question, r.sample, answer_seed(1, r.prompt_id, r.sample))
        for r in REQS
    ]
    c = [
        x.text
        for x in HFGenerator(GenerationConfig(), base_model=tiny_model).answer(
            series["base"], reqs, other_seed
        )
    ]
    assert c != a


def test_greedy_is_deterministic_and_stops_at_length(tiny_model, series):
    gen = HFGenerator(GenerationConfig(), base_model=tiny_model)
    greedy = SamplingConfig(n_samples=1, temperature=0, max_new_tokens=6)
    out = gen.answer(series["base"], REQS[:2], greedy)
    assert out[0].n_tokens <= 6 and out[0].finish_reason in ("stop", "length")
    assert [a.text for a in gen.answer(series["base"], REQS[:2], greedy)] == [a.text for a in out]


def test_switching_checkpoints_changes_outputs_and_switches_back(tiny_model, series):
    gen = HFGenerator(GenerationConfig(), base_model=tiny_model)
    base = texts(gen, series["base"])
    model_obj = gen.model
    other = texts(gen, series["other"])  # full weights loaded in place
    assert gen.model is model_obj  # the same built model, new weights
    assert other != base
    lora = texts(gen, series["lora"])  # adapter on the (restored) base weights
    assert lora != base and lora != other
    assert texts(gen, series["base"]) == base  # adapter dropped, base weights back
    assert texts(gen, series["lora"]) == lora
    assert gen.model is model_obj
    # an adapter of the same configuration is copied into the live adapter's tensors
    peft_obj, name = gen.peft, gen._adapter
    lora2 = texts(gen, series["lora2"])
    assert gen.peft is peft_obj and gen._adapter == name  # no new adapter injected
    assert lora2 != lora
    assert texts(gen, series["lora"]) == lora


def test_in_place_full_loads_hold_exactly_the_files_weights(tiny_model, series, tmp_path):
    """Same dtype: parameters rebound to the file's tensors; another dtype (bf16 file, float32 model):
    converted into the live tensors. Either way the model's weights are the file's afterwards."""
    import torch
    from safetensors.torch import load_file

    from valuedrift.models import load_model

    gen = HFGenerator(GenerationConfig(), base_model=tiny_model)
    texts(gen, series["base"])
    model_obj = gen.model
    bf16 = tmp_path / "bf16"
    load_model(series["other"]["path"]).to(torch.bfloat16).save_pretrained(bf16)
    for f in Path(series["other"]["path"]).glob("tokenizer*"):
        shutil.copy(f, bf16)
    for entry, cast in (
        (series["other"], None),
        ({**series["other"], "id": "x/step-1", "path": str(bf16)}, 1),
    ):
        gen.activate(entry)
        assert gen.model is model_obj
        weights = load_file(str(Path(entry["path"]) / "model.safetensors"))
        live = dict(gen.model.named_parameters())
        for name, value in weights.items():
            assert live[name].dtype == torch.float32
            torch.testing.assert_close(live[name], value.float(), rtol=0, atol=0, msg=f"{name} ({cast})")
    gen.activate(series["base"])  # and back: the base file's weights again
    for name, value in load_file(str(Path(tiny_model) / "model.safetensors")).items():
        assert torch.equal(dict(gen.model.named_parameters())[name], value)


def test_missing_and_corrupted_checkpoints_are_named(tiny_model, series, tmp_path):
    gen = HFGenerator(GenerationConfig(), base_model=tiny_model)
    missing = {**series["other"], "id": "dpo/step-2", "path": str(tmp_path / "gone")}
    with pytest.raises(UserError, match=r"checkpoint dpo/step-2: folder not found"):
        gen.answer(missing, REQS, SAMPLING)
    broken = tmp_path / "broken"
    shutil.copytree(series["other"]["path"], broken)
    (broken / "model.safetensors").write_bytes(b"\x00" * 64)
    texts(gen, series["base"])
    with pytest.raises(UserError, match=r"checkpoint dpo/step-3: cannot read weights"):
        gen.answer({**series["other"], "id": "dpo/step-3", "path": str(broken)}, REQS, SAMPLING)
    not_adapter = {**series["lora"], "id": "kto/step-1", "path": series["other"]["path"]}
    with pytest.raises(UserError, match=r"checkpoint kto/step-1: .* is not a LoRA adapter folder"):
        gen.answer(not_adapter, REQS, SAMPLING)


def test_seeded_sampler_draws_from_softmax_over_temperature_within_top_p():
    import torch

    from valuedrift.generate.hf import SeededSampler

    logits = torch.tensor([2.0, 1.0, 0.5, -1.0, -3.0])
    n = 4000
    seeds = list(range(n))
    picks = SeededSampler(seeds, 0.7, 1.0)(None, logits.repeat(n, 1)).argmax(-1)
    freq = torch.bincount(picks, minlength=5).double() / n
    expect = torch.softmax(logits / 0.7, -1).double()
    assert torch.allclose(freq, expect, atol=0.025), (freq, expect)
    # one row alone draws what it drew in the batch: batch-mates do not shift its randomness
    alone = SeededSampler(seeds[17:18], 0.7, 1.0)(None, logits[None]).argmax(-1)
    assert alone.item() == picks[17].item()
    # top-p: only the smallest set of top tokens whose mass reaches p can be drawn
    nucleus = SeededSampler(seeds, 1.0, 0.75)(None, logits.repeat(n, 1)).argmax(-1)
    p = torch.softmax(logits, -1)
    assert p[0] < 0.75 <= p[0] + p[1] and set(nucleus.tolist()) == {0, 1}
