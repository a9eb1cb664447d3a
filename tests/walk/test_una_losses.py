"""UNA losses against hand-computed values, and UNA-pair against TRL's DPO loss on a real model."""

from __future__ import annotations

import math

import pytest
import torch

from valuedrift.walk.una_losses import (
    implicit_reward,
    sequence_logps,
    una_binary_loss,
    una_pair_loss,
    una_score_loss,
)


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_implicit_reward_is_beta_times_the_log_ratio():
    r = implicit_reward(torch.tensor([-1.0, -2.0]), torch.tensor([-1.5, -1.0]), beta=0.5)
    assert r.tolist() == pytest.approx([0.25, -0.5])


def test_pair_loss_by_hand():
    # −log σ(1 − 0) = 0.313262, −log σ(0 − 0.5) = 0.974077
    loss = una_pair_loss(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 0.5]))
    assert float(loss) == pytest.approx((0.313262 + 0.974077) / 2, abs=1e-6)
    assert float(una_pair_loss(torch.zeros(3), torch.zeros(3))) == pytest.approx(math.log(2))


def test_pair_loss_equals_dpo_sigmoid_formula():
    """−log σ(r_w − r_l) with r = β log π/π_ref is DPO's −log σ(β[(π_w − ref_w) − (π_l − ref_l)])."""
    g = torch.Generator().manual_seed(0)
    pw, rw, pl, rl = (torch.randn(5, generator=g) * 3 for _ in range(4))
    beta = 0.3
    una = una_pair_loss(implicit_reward(pw, rw, beta), implicit_reward(pl, rl, beta))
    dpo = -torch.nn.functional.logsigmoid(beta * ((pw - rw) - (pl - rl))).mean()
    assert float(una) == pytest.approx(float(dpo), rel=1e-6)


def test_binary_loss_by_hand():
    r, y = torch.tensor([0.0, 2.0, -1.0]), torch.tensor([1.0, 0.0, 0.0])
    mse = [(0.5 - 1) ** 2, sig(2.0) ** 2, sig(-1.0) ** 2]  # 0.25, 0.775803, 0.072329
    assert float(una_binary_loss(r, y, "mse")) == pytest.approx(sum(mse) / 3, abs=1e-6)
    assert float(una_binary_loss(r, y, "mse")) == pytest.approx(0.366044, abs=1e-6)
    bce = [math.log(2), -math.log(1 - sig(2.0)), -math.log(1 - sig(-1.0))]  # 0.693147, 2.126928, 0.313262
    assert float(una_binary_loss(r, y, "bce")) == pytest.approx(1.044446, abs=1e-6)
    assert float(una_binary_loss(r, y, "bce")) == pytest.approx(sum(bce) / 3, abs=1e-6)
    weighted = una_binary_loss(r, y, "mse", desirable_weight=2.0, undesirable_weight=0.5)
    assert float(weighted) == pytest.approx((2 * mse[0] + 0.5 * (mse[1] + mse[2])) / 3, abs=1e-6)
    # large rewards stay finite with BCE (computed from the logits)
    assert math.isfinite(float(una_binary_loss(torch.tensor([80.0]), torch.tensor([0.0]), "bce")))


def test_binary_loss_is_lowest_when_thumbs_up_rewards_are_high():
    y = torch.tensor([1.0, 0.0])
    good, bad = una_binary_loss(torch.tensor([3.0, -3.0]), y), una_binary_loss(torch.tensor([-3.0, 3.0]), y)
    assert float(good) < 0.01 < 0.8 < float(bad)


def test_score_loss_by_hand():
    r, s = torch.tensor([0.2, 0.9]), torch.tensor([0.5, 0.4])
    assert float(una_score_loss(r, s, "mse")) == pytest.approx((0.09 + 0.25) / 2, abs=1e-7)
    bce = [-(0.5 * math.log(sig(0.2)) + 0.5 * math.log(1 - sig(0.2))),
           -(0.4 * math.log(sig(0.9)) + 0.6 * math.log(1 - sig(0.9)))]  # fmt: skip
    assert float(una_score_loss(r, s, "bce")) == pytest.approx(sum(bce) / 2, abs=1e-6)
    assert float(una_score_loss(r, s, "bce")) == pytest.approx(0.789647, abs=1e-5)


def test_losses_give_gradients_towards_the_targets():
    r = torch.tensor([0.0, 0.0], requires_grad=True)
    una_score_loss(r, torch.tensor([1.0, 0.0])).backward()
    assert r.grad.tolist() == pytest.approx([-1.0, 0.0])  # d/dr mean (r − s)² = (r − s)


def test_sequence_logps_counts_completion_tokens_only():
    logits = torch.zeros(1, 4, 2)  # uniform over 2 tokens: each token has log-prob log 1/2
    ids = torch.tensor([[0, 1, 1, 0]])
    mask = torch.tensor([[0, 0, 1, 1]])
    assert float(sequence_logps(logits, ids, mask)[0]) == pytest.approx(2 * math.log(0.5))
    logits[0, 1, 1] = 5.0  # position 1 predicts token 2 (= 1): log σ-like softmax(5, 0)[1]
    expect = math.log(math.exp(5) / (1 + math.exp(5))) + math.log(0.5)
    assert float(sequence_logps(logits, ids, mask)[0]) == pytest.approx(expect, abs=1e-6)


def test_una_pair_on_the_tiny_model_equals_trl_dpo_loss(tiny_model, tmp_path):
    """The same batch through TRL's DPOTrainer (sigmoid loss) and through UNA-pair gives the same loss."""
    import json

    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    from tests.walk.conftest import FIXTURES
    from valuedrift.models import load_model, load_tokenizer
    from valuedrift.walk.rollout import completion_logps, encode

    pairs = [json.loads(line) for line in (FIXTURES / "pairs.jsonl").read_text().splitlines()][:2]
    tok = load_tokenizer(tiny_model)
    policy, ref = load_model(tiny_model), load_model(tiny_model).eval()
    torch.manual_seed(1)
    with torch.no_grad():  # move the policy away from the reference so the loss is not log 2
        for prm in policy.parameters():
            prm.add_(torch.randn_like(prm) * 0.05)
    rows = [{"prompt": [{"role": "user", "content": p["prompt"]}],
             "chosen": [{"role": "assistant", "content": p["chosen"]}],
             "rejected": [{"role": "assistant", "content": p["rejected"]}]} for p in pairs]  # fmt: skip
    args = DPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=2, beta=0.3, loss_type=["sigmoid"],
                     bf16=False, use_cpu=True, max_length=256, report_to="none",
                     train_sampling_strategy="sequential")  # fmt: skip
    trainer = DPOTrainer(model=policy, ref_model=ref, args=args, train_dataset=Dataset.from_list(rows),
                         processing_class=tok)  # fmt: skip
    policy.eval()
    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    with torch.no_grad():
        trl_loss = float(trainer.compute_loss(trainer.model, batch))
        enc = encode(tok, [p["prompt"] for p in pairs] * 2,
                     [p["chosen"] for p in pairs] + [p["rejected"] for p in pairs], 256)  # fmt: skip
        r = implicit_reward(completion_logps(policy, enc), completion_logps(ref, enc), 0.3)
        una = float(una_pair_loss(r[:2], r[2:]))
    assert abs(trl_loss - math.log(2)) > 1e-3
    assert una == pytest.approx(trl_loss, rel=1e-4)
