"""The PPO math for RLHF, on plain tensors: per-token rewards, GAE, whitening, clipped losses, KL control.

Shapes: ``(batch, T)`` over the response tokens; ``mask`` is 1 on response tokens up to and including
the first end-of-turn token and 0 on padding after it (always a prefix of each row).

Sources: PPO — Schulman et al. 2017, "Proximal Policy Optimization Algorithms" (clipped surrogate,
Eq. 7); GAE — Schulman et al. 2016, "High-Dimensional Continuous Control Using Generalized Advantage
Estimation" (Eq. 16); the RLHF reward r_t = −β·KL_t with the reward model's score added at the last
token and the adaptive KL controller — Ziegler et al. 2019, "Fine-Tuning Language Models from Human
Preferences" (§2.2); implementation details (whitened advantages, clipped value loss, temperature in
the training log-probs, value head initialised to zero) — Huang et al. 2024, "The N+ Implementation
Details of RLHF with PPO: A Case Study on TL;DR Summarization".
"""

from __future__ import annotations

import torch


def masked_mean(x: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """Mean of ``x`` over the positions where ``mask`` is 1."""
    if dim is None:
        return (x * mask).sum() / mask.sum().clamp(min=1)
    return (x * mask).sum(dim) / mask.sum(dim).clamp(min=1)


def masked_whiten(x: torch.Tensor, mask: torch.Tensor, shift_mean: bool = True) -> torch.Tensor:
    """(x − mean) / std over masked positions (Huang et al. detail: whiten advantages per batch).

    The variance is the unbiased one; with ``shift_mean=False`` the mean is added back (scale only).
    """
    mean = masked_mean(x, mask)
    n = mask.sum().clamp(min=2)
    var = (((x - mean) ** 2) * mask).sum() / (n - 1)
    out = (x - mean) * torch.rsqrt(var + 1e-8)
    if not shift_mean:
        out = out + mean
    return out * mask


def logprobs_from_logits(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """log π(token) for each position: ``logits`` (B, T, V), ``tokens`` (B, T) -> (B, T)."""
    return torch.log_softmax(logits.float(), dim=-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """H(π(·|s_t)) = −Σ_a π(a) log π(a) per position (B, T)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    return -(logp.exp() * logp).sum(-1)


def per_token_rewards(
    logprobs: torch.Tensor, ref_logprobs: torch.Tensor, scores: torch.Tensor, mask: torch.Tensor, beta: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Ziegler et al. 2019: R(x, y) = r(x, y) − β log(π(y|x)/π_ref(y|x)), spread over tokens.

    r_t = −β·(log π(y_t|·) − log π_ref(y_t|·)) at every response token, plus the score r(x, y) at the
    last (masked) token. Returns (rewards, kl) where kl is the per-token log-ratio (the k1 estimator).
    """
    kl = (logprobs - ref_logprobs) * mask
    rewards = -beta * kl
    last = (mask.sum(1).long() - 1).clamp(min=0)
    rows = torch.arange(mask.shape[0], device=mask.device)
    rewards[rows, last] += scores.to(rewards.dtype) * (mask.sum(1) > 0)
    return rewards * mask, kl


def gae(
    rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation (Schulman et al. 2016, Eq. 16).

    δ_t = r_t + γ V(s_{t+1}) − V(s_t);  Â_t = δ_t + γλ Â_{t+1}; the value after the last response
    token is 0 (the episode ends). Returns (advantages Â_t, returns Â_t + V(s_t)), both masked.
    """
    values = values * mask
    T = rewards.shape[1]
    adv = torch.zeros_like(rewards)
    last = torch.zeros_like(rewards[:, 0])
    for t in reversed(range(T)):
        nxt_mask = mask[:, t + 1] if t + 1 < T else torch.zeros_like(mask[:, 0])
        next_value = values[:, t + 1] * nxt_mask if t + 1 < T else torch.zeros_like(last)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        last = delta + gamma * lam * last * nxt_mask
        adv[:, t] = last
    adv = adv * mask
    return adv, (adv + values) * mask


def policy_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    cliprange: float,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """PPO's clipped surrogate (Schulman et al. 2017, Eq. 7), as a loss to minimise.

    ρ_t = π_θ(a_t|s_t) / π_θ_old(a_t|s_t);  L = E_t max(−Â_t ρ_t, −Â_t clip(ρ_t, 1−ε, 1+ε)).
    Also returns the fraction of clipped tokens and the approximate KL(π_old‖π_θ) ≈ E ½(log ρ)².
    """
    log_ratio = logprobs - old_logprobs
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - cliprange, 1.0 + cliprange)
    loss = masked_mean(torch.maximum(unclipped, clipped), mask)
    stats = {
        "clipfrac": masked_mean((clipped > unclipped).float(), mask),
        "approx_kl": masked_mean(0.5 * log_ratio**2, mask),
    }
    return loss, stats


def value_loss(
    values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    mask: torch.Tensor,
    cliprange_value: float,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Clipped value loss (Huang et al. detail; as in OpenAI's baselines PPO2).

    V_clip = V_old + clip(V − V_old, −ε_v, ε_v);  L_V = ½ E_t max((V − R_t)², (V_clip − R_t)²).
    """
    v_clipped = old_values + torch.clamp(values - old_values, -cliprange_value, cliprange_value)
    a = (values - returns) ** 2
    b = (v_clipped - returns) ** 2
    loss = 0.5 * masked_mean(torch.maximum(a, b), mask)
    return loss, {"vf_clipfrac": masked_mean((b > a).float(), mask)}


class FixedKLController:
    """A constant KL coefficient β."""

    def __init__(self, beta: float):
        self.value = beta

    def update(self, kl: float, n_steps: int) -> None:
        return None


class AdaptiveKLController:
    """Ziegler et al. 2019, §2.2: steer β so the policy's KL to π_ref tracks a target KL_target.

    e_t = clip(KL_t / KL_target − 1, −0.2, 0.2);  β_{t+1} = β_t (1 + K_β e_t), K_β = n_steps / horizon,
    where KL_t is the mean per-sequence KL of the latest rollout batch and n_steps its size.
    """

    def __init__(self, beta: float, target: float, horizon: int):
        self.value = beta
        self.target = target
        self.horizon = horizon

    def update(self, kl: float, n_steps: int) -> None:
        error = max(-0.2, min(0.2, kl / self.target - 1.0))
        self.value *= 1.0 + error * n_steps / self.horizon


__all__ = [
    "AdaptiveKLController",
    "FixedKLController",
    "entropy_from_logits",
    "gae",
    "logprobs_from_logits",
    "masked_mean",
    "masked_whiten",
    "per_token_rewards",
    "policy_loss",
    "value_loss",
]
