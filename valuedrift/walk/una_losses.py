"""UNA losses (Wang et al., 2024, "UNA: Unifying Alignments of RLHF/PPO, DPO and KTO by a Generalized
Implicit Reward Function") as small pure functions on tensors, plus the sequence log-probabilities
they are computed from.

UNA's starting point is the implicit reward of the RLHF optimum,

    r_θ(x, y) = β · log(π_θ(y|x) / π_ref(y|x)),

which it trains to agree with an explicit signal r_φ(x, y) by supervised losses
L = E[g(r_φ(x, y), r_θ(x, y))]:

- pairwise (:func:`una_pair_loss`):   −log σ(r_θ(x, y_w) − r_θ(x, y_l))  — DPO's loss;
- binary (:func:`una_binary_loss`):   g(σ(r_θ(x, y)), 1) for thumbs-up, g(σ(r_θ(x, y)), 0) for thumbs-down,
  with g = MSE or BCE (σ maps the unbounded implicit reward into [0, 1], where the targets live);
- score (:func:`una_score_loss`):     (r_θ(x, y) − r_φ(x, y))² with r_φ ∈ [0, 1] from a reward model or
  judge (or BCE(σ(r_θ), r_φ));
- online: the score loss on completions sampled from π_θ and scored by a reward model (no value model,
  no PPO) — the same function, on fresh samples.

Log-probabilities are sums over the completion's tokens (as in DPO), so r_θ is a sequence-level reward.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

Distance = Literal["mse", "bce"]


def implicit_reward(policy_logps: torch.Tensor, ref_logps: torch.Tensor, beta: float) -> torch.Tensor:
    """r_θ(x, y) = β · (log π_θ(y|x) − log π_ref(y|x)), element-wise over a batch of sequences."""
    return beta * (policy_logps - ref_logps)


def una_pair_loss(reward_chosen: torch.Tensor, reward_rejected: torch.Tensor) -> torch.Tensor:
    """L_UNA-pair = mean of −log σ(r_θ(x, y_w) − r_θ(x, y_l)).

    With r_θ = β log π_θ/π_ref this is exactly DPO's sigmoid loss
    −log σ(β[(log π_θ(y_w) − log π_ref(y_w)) − (log π_θ(y_l) − log π_ref(y_l))]).
    """
    return -F.logsigmoid(reward_chosen - reward_rejected).mean()


def _distance(pred: torch.Tensor, target: torch.Tensor, g: Distance) -> torch.Tensor:
    """g(pred, target) per element: squared error, or binary cross-entropy with pred a probability."""
    if g == "mse":
        return (pred - target) ** 2
    if g == "bce":
        return F.binary_cross_entropy(pred.clamp(1e-7, 1 - 1e-7), target, reduction="none")
    raise ValueError(f"unknown distance g={g!r} (use 'mse' or 'bce')")


def una_binary_loss(
    rewards: torch.Tensor,
    labels: torch.Tensor,
    g: Distance = "mse",
    desirable_weight: float = 1.0,
    undesirable_weight: float = 1.0,
) -> torch.Tensor:
    """L_UNA-binary = mean of w_y · g(σ(r_θ(x, y)), t_y) with t = 1 for thumbs-up, 0 for thumbs-down.

    ``g="mse"``: (σ(r_θ) − t)²; ``g="bce"``: −[t log σ(r_θ) + (1 − t) log(1 − σ(r_θ))] (computed from
    the logits, so it stays finite for large |r_θ|). ``desirable_weight`` / ``undesirable_weight`` are
    w_1 / w_0, as KTO's λ_D / λ_U, for unbalanced feedback.
    """
    target = labels.to(rewards.dtype)
    if g == "bce":
        per = F.binary_cross_entropy_with_logits(rewards, target, reduction="none")
    else:
        per = _distance(torch.sigmoid(rewards), target, g)
    weights = target * desirable_weight + (1 - target) * undesirable_weight
    return (weights * per).mean()


def una_score_loss(rewards: torch.Tensor, scores: torch.Tensor, g: Distance = "mse") -> torch.Tensor:
    """L_UNA-score = mean of g(r_θ(x, y), r_φ(x, y)) for explicit scores r_φ ∈ [0, 1].

    ``g="mse"``: (r_θ − r_φ)², the paper's score / online loss on the raw implicit reward;
    ``g="bce"``: BCE(σ(r_θ), r_φ), the soft-label version (r_φ read as a probability of "good").
    """
    target = scores.to(rewards.dtype)
    if g == "bce":
        return F.binary_cross_entropy_with_logits(rewards, target)
    return _distance(rewards, target, g).mean()


def sequence_logps(
    logits: torch.Tensor, input_ids: torch.Tensor, completion_mask: torch.Tensor
) -> torch.Tensor:
    """Σ_t log π(y_t | x, y_<t) over the completion tokens of each row.

    ``logits``: (B, T, V) from a causal LM on ``input_ids`` (B, T); ``completion_mask`` (B, T) is 1 on
    completion tokens. Logits at position t predict token t + 1, hence the shift.
    """
    logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
    tok = logp.gather(2, input_ids[:, 1:, None])[..., 0]
    return (tok * completion_mask[:, 1:].to(tok.dtype)).sum(-1)
