"""PPO math against values computed by hand on small tensors."""

from __future__ import annotations

import pytest
import torch

from valuedrift.walk import ppo_core as core


def test_gae_matches_hand_computed_advantages_and_returns():
    # row 0: three tokens, reward only at the end; row 1: two tokens then padding (garbage value 9.0)
    rewards = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    values = torch.tensor([[0.5, 0.4, 0.3], [0.5, 0.4, 9.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    adv, ret = core.gae(rewards, values, mask, gamma=0.9, lam=0.8)
    # δ2 = 1 − 0.3 = 0.7; δ1 = 0.9·0.3 − 0.4 = −0.13, A1 = −0.13 + 0.72·0.7 = 0.374;
    # δ0 = 0.9·0.4 − 0.5 = −0.14, A0 = −0.14 + 0.72·0.374 = 0.12928
    # row 1: δ1 = 1 − 0.4 = 0.6; A0 = −0.14 + 0.72·0.6 = 0.292; the padded value is never used
    torch.testing.assert_close(adv, torch.tensor([[0.12928, 0.374, 0.7], [0.292, 0.6, 0.0]]))
    torch.testing.assert_close(ret, torch.tensor([[0.62928, 0.774, 1.0], [0.792, 1.0, 0.0]]))


def test_gae_with_lambda_one_and_gamma_one_is_return_minus_value():
    rewards = torch.tensor([[0.1, -0.2, 2.0]])
    values = torch.tensor([[0.3, 0.1, -0.4]])
    adv, ret = core.gae(rewards, values, torch.ones(1, 3), gamma=1.0, lam=1.0)
    torch.testing.assert_close(ret, torch.tensor([[1.9, 1.8, 2.0]]))  # Monte-Carlo returns
    torch.testing.assert_close(adv, ret - values)


def test_clipped_policy_loss_by_hand():
    old = torch.zeros(1, 3)
    new = torch.log(torch.tensor([[1.5, 0.5, 1.1]]))
    adv = torch.tensor([[1.0, -1.0, 2.0]])
    loss, stats = core.policy_loss(new, old, adv, torch.ones(1, 3), cliprange=0.2)
    # token 0: max(−1.5, −1.2) = −1.2 (clipped); token 1: max(0.5, 0.8) = 0.8 (clipped); token 2: −2.2
    assert float(loss) == pytest.approx((-1.2 + 0.8 - 2.2) / 3)
    assert float(stats["clipfrac"]) == pytest.approx(2 / 3)
    # a masked token changes nothing
    loss_m, _ = core.policy_loss(
        torch.cat([new, torch.tensor([[5.0]])], 1), torch.zeros(1, 4),
        torch.cat([adv, torch.tensor([[9.0]])], 1), torch.tensor([[1.0, 1.0, 1.0, 0.0]]), 0.2,
    )  # fmt: skip
    assert float(loss_m) == pytest.approx(float(loss))


def test_clipped_value_loss_by_hand():
    v = torch.tensor([[0.5, -0.1]])
    old = torch.zeros(1, 2)
    ret = torch.ones(1, 2)
    loss, stats = core.value_loss(v, old, ret, torch.ones(1, 2), cliprange_value=0.2)
    # token 0: max((0.5−1)², (0.2−1)²) = 0.64; token 1: max(1.21, 1.21) = 1.21; ½·mean
    assert float(loss) == pytest.approx(0.5 * (0.64 + 1.21) / 2)
    assert float(stats["vf_clipfrac"]) == pytest.approx(0.5)


def test_per_token_rewards_put_the_score_on_the_last_response_token():
    logp = torch.tensor([[-1.0, -2.0, -3.0]])
    ref = torch.tensor([[-1.5, -2.0, -2.0]])
    rewards, kl = core.per_token_rewards(logp, ref, torch.tensor([2.0]), torch.tensor([[1.0, 1.0, 0.0]]), 0.1)
    torch.testing.assert_close(kl, torch.tensor([[0.5, 0.0, 0.0]]))
    torch.testing.assert_close(rewards, torch.tensor([[-0.05, 2.0, 0.0]]))


def test_masked_whiten_ignores_padding():
    x = torch.tensor([[1.0, 2.0, 3.0, 100.0]])
    out = core.masked_whiten(x, torch.tensor([[1.0, 1.0, 1.0, 0.0]]))
    torch.testing.assert_close(out, torch.tensor([[-1.0, 0.0, 1.0, 0.0]]), atol=1e-4, rtol=0)


def test_logprobs_and_entropy_of_a_uniform_distribution():
    logits = torch.zeros(1, 2, 4)
    lp = core.logprobs_from_logits(logits, torch.tensor([[0, 3]]))
    torch.testing.assert_close(lp, torch.full((1, 2), -torch.log(torch.tensor(4.0)).item()))
    torch.testing.assert_close(
        core.entropy_from_logits(logits), torch.full((1, 2), torch.log(torch.tensor(4.0)).item())
    )


def test_adaptive_kl_controller_follows_ziegler():
    ctl = core.AdaptiveKLController(0.1, target=6.0, horizon=100)
    ctl.update(12.0, n_steps=10)  # error clipped to +0.2: β·(1 + 0.2·10/100)
    assert ctl.value == pytest.approx(0.1 * 1.02)
    ctl.update(5.4, n_steps=10)  # error −0.1
    assert ctl.value == pytest.approx(0.1 * 1.02 * 0.99)
    fixed = core.FixedKLController(0.3)
    fixed.update(100.0, 10)
    assert fixed.value == 0.3
