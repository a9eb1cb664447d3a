"""PPORunner details on the tiny model: the LoRA reference, the adaptive β update, bad input."""

from __future__ import annotations

import pytest

from tests.walk.conftest import FIXTURES, sft_stage, write_config
from valuedrift.walk.ppo import PPOParams, PPORunner
from valuedrift.walk.reward import keyword_reward

PROMPTS = ["Should the minimum wage rise?", "Is the death penalty just?", "Should abortion be legal?",
           "Is climate change urgent?"]  # fmt: skip
E_COUNT = keyword_reward(["e"], match="substring", normalise="none")


@pytest.fixture()
def one_thread():
    """Sampled text must not depend on the core count (float reductions differ across thread counts)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_lora_reference_is_the_adapter_disabled_policy(tiny_model, one_thread):
    import torch
    from peft import LoraConfig, get_peft_model

    from valuedrift.models import load_model, load_tokenizer

    torch.manual_seed(0)
    policy = get_peft_model(
        load_model(tiny_model), LoraConfig(r=8, lora_alpha=16, target_modules="all-linear")
    )
    runner = PPORunner(policy, load_tokenizer(tiny_model), E_COUNT, PPOParams(max_new_tokens=8),
                       learning_rate=1e-2)  # fmt: skip
    first = runner.step(1, PROMPTS)
    assert first["kl"] == pytest.approx(0.0, abs=1e-5)  # a fresh adapter (B = 0): π_θ = π_ref
    later = [runner.step(s, PROMPTS)["kl"] for s in (2, 3)]
    assert max(abs(k) for k in later) > 1e-3  # the adapter moved; the reference (adapter off) did not
    base = load_model(tiny_model).state_dict()  # the base weights themselves were never trained
    trained = {k.replace(".base_layer", ""): v for k, v in policy.get_base_model().state_dict().items()
               if "lora_" not in k}  # fmt: skip
    assert trained.keys() == base.keys()
    assert all(torch.equal(trained[k], base[k]) for k in base)


def test_adaptive_kl_coefficient_follows_ziegler_update(tiny_model, one_thread):
    from valuedrift.models import load_model, load_tokenizer

    policy, ref = load_model(tiny_model), load_model(tiny_model)
    params = PPOParams(kl_coef=0.1, adaptive_kl=True, target_kl=0.01, kl_horizon=40, max_new_tokens=8)
    runner = PPORunner(policy, load_tokenizer(tiny_model), E_COUNT, params, learning_rate=1e-2, ref_model=ref)
    m = [runner.step(s, PROMPTS) for s in range(1, 5)]
    # step 1 samples π_ref (KL 0 < target): β·(1 − 0.2·4/40); later KL ≫ target: β·(1 + 0.2·4/40)
    assert m[1]["kl_coef"] == pytest.approx(0.1 * 0.98)
    assert m[2]["kl"] > 0.012 and m[3]["kl_coef"] == pytest.approx(m[2]["kl_coef"] * 1.02)


def test_a_full_weights_policy_needs_an_explicit_reference(tiny_model):
    from valuedrift.models import load_model, load_tokenizer

    with pytest.raises(ValueError, match="ref_model"):
        PPORunner(
            load_model(tiny_model), load_tokenizer(tiny_model), E_COUNT, PPOParams(), learning_rate=1e-3
        )


def _ppo(**params) -> dict:
    return {"name": "ppo", "algorithm": "ppo", "parent": "sft", "steps": 2, "batch_size": 2,
            "data": {"path": str(FIXTURES / "pairs.jsonl")}, "params": params}  # fmt: skip


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"cliprange": -1}, "cliprange"),
        ({"temperature": 0}, "temperature"),
        ({"ppo_epoch": 3}, "ppo_epoch"),
        ({"reward": {"type": "keyword"}}, "needs 'positive' or 'negative'"),
        ({"reward": {"type": "callable", "path": "no.such.module:f"}}, "cannot import module"),
    ],
)
def test_bad_ppo_params_exit_2_with_one_line(params, message, tmp_path, cli):
    cfg = write_config(tmp_path, [sft_stage(steps=1, save={"every": 1}), _ppo(**params)])
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 2, err
    assert message in err and "Traceback" not in err
