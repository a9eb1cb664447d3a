"""Hyperparameters of each training algorithm (a stage's ``params:``), one pydantic model each.

These are config, not training code: they live here, light (pydantic only), so that validating a
config never imports torch or TRL — the trainers in ``valuedrift/walk/`` read them as ``ctx.params``.
Every field has a default and help text (``valuedrift config show`` prints them). The online
algorithms share their sampling fields and the typed reward spec (:mod:`valuedrift.config.reward`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from valuedrift.config.reward import ModelReward, RewardSpec, coerce_reward


class Params(BaseModel):
    """Base of every algorithm's params: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class SFTParams(Params):
    completion_only: bool = Field(True, description="Loss on the assistant reply only (not on the prompt).")


class DPOParams(Params):
    beta: float = Field(0.1, gt=0, description="β: strength of the KL anchor to the reference policy.")
    loss_type: str = Field("sigmoid", description="TRL DPO loss: sigmoid (DPO), ipo, hinge, ...")


class SimPOParams(Params):
    beta: float = Field(
        2.0, gt=0, description="β: scale of the length-normalised reward (SimPO paper: 2.0-2.5)."
    )
    gamma: float = Field(0.5, ge=0, description="γ: target reward margin (TRL's simpo_gamma).")


class KTOParams(Params):
    beta: float = Field(0.1, gt=0, description="β: strength of the anchor to the reference policy.")
    desirable_weight: float = Field(1.0, gt=0, description="Weight λ_D of desirable examples.")
    undesirable_weight: float = Field(1.0, gt=0, description="Weight λ_U of undesirable examples.")


class OnlineParams(Params):
    """What every algorithm that samples from its policy and scores the samples shares."""

    reward: RewardSpec = Field(
        default_factory=ModelReward,
        description="The reward r(x, y): {type: model} (default: a reward model trained on the stage's "
        "preference pairs), {type: keyword, ...} or {type: callable, path: 'pkg.module:fn'}.",
    )
    temperature: float = Field(1.0, gt=0, description="Sampling temperature (also used in the log-probs).")
    max_new_tokens: int = Field(64, gt=0, description="Most new tokens per sampled completion.")

    @field_validator("reward", mode="before")
    @classmethod
    def _shorthand(cls, spec: Any) -> Any:
        return coerce_reward(spec)


class NucleusParams(OnlineParams):
    top_p: float = Field(1.0, gt=0, le=1, description="Nucleus sampling p.")


class PPOParams(OnlineParams):
    kl_coef: float = Field(0.05, ge=0, description="β: KL penalty coefficient (initial value if adaptive).")
    adaptive_kl: bool = Field(False, description="Adapt β towards target_kl (Ziegler et al. 2019).")
    target_kl: float = Field(6.0, gt=0, description="Adaptive KL: target KL per sequence (nats).")
    kl_horizon: int = Field(10000, gt=0, description="Adaptive KL: horizon (in samples) of β's updates.")
    gamma: float = Field(1.0, ge=0, le=1, description="γ: discount of GAE.")
    lam: float = Field(0.95, ge=0, le=1, description="λ: GAE trade-off between bias and variance.")
    cliprange: float = Field(0.2, gt=0, description="ε: clip range of the policy ratio.")
    cliprange_value: float = Field(0.2, gt=0, description="ε_v: clip range of the value update.")
    vf_coef: float = Field(0.1, ge=0, description="Weight of the value loss.")
    ppo_epochs: int = Field(2, gt=0, description="Passes over each rollout batch.")
    rollout_batch_size: int | None = Field(
        None, gt=0, description="Prompts sampled per step; None: the stage's batch_size."
    )
    mini_batch_size: int | None = Field(
        None, gt=0, description="Rollouts per optimizer step; None: the whole rollout batch."
    )
    max_new_tokens: int = Field(48, gt=0, description="Most tokens per sampled completion.")
    missing_eos_penalty: float | None = Field(
        None, ge=0, description="Subtract this from the score of a completion that never ends (Huang et al.)."
    )
    max_grad_norm: float = Field(1.0, gt=0, description="Gradient clipping norm.")


class GRPOParams(NucleusParams):
    num_generations: int = Field(4, ge=2, description="G: completions sampled per prompt (group size).")
    beta: float = Field(
        0.04, ge=0, description="β of the KL penalty to π_ref (DeepSeekMath: 0.04; 0 drops π_ref)."
    )
    epsilon: float = Field(0.2, gt=0, description="ε of the ratio clipping.")
    loss_type: str = Field(
        "grpo", description="TRL GRPO loss: grpo (per-sequence mean), dr_grpo, dapo, bnpo, ..."
    )
    scale_rewards: str = Field("group", description="Advantage scaling: group (std per group), batch, none.")


class RLOOParams(NucleusParams):
    num_generations: int = Field(4, ge=2, description="G: completions per prompt (the leave-one-out group).")
    beta: float = Field(
        0.05, ge=0, description="β of the KL penalty in the reward (TRL default 0.05; 0 drops π_ref)."
    )
    epsilon: float = Field(0.2, gt=0, description="ε of the ratio clipping.")
    normalize_advantages: bool = Field(False, description="Normalise advantages to mean 0, std 1 per batch.")


class RAFTParams(NucleusParams):
    k: int = Field(8, ge=1, description="K: completions sampled per prompt; the best one is kept.")
    steps_per_iteration: int = Field(
        1, ge=1, description="Optimizer steps per sample-rank-finetune iteration (b = batch_size × this)."
    )
    kl_beta: float = Field(
        0.0, ge=0, description="β of the KL-regularised reward r − β log π_θ/π_0 (0: plain reward)."
    )


class UNAParams(NucleusParams):
    variant: Literal["pair", "binary", "score", "online"] = Field(
        "pair", description="Feedback kind: pair (DPO-equivalent), binary (thumbs up/down), score, online."
    )
    beta: float = Field(0.1, gt=0, description="β of the implicit reward r_θ = β log π_θ/π_ref.")
    g: Literal["mse", "bce"] = Field(
        "mse", description="Distance g of binary/score/online: mse, or bce on σ(r_θ) (binary, score)."
    )
    desirable_weight: float = Field(1.0, gt=0, description="binary: weight of thumbs-up examples.")
    undesirable_weight: float = Field(1.0, gt=0, description="binary: weight of thumbs-down examples.")
    reward_transform: Literal["none", "sigmoid"] = Field(
        "none", description="Map r_φ before the loss: none, or sigmoid (an unbounded RM logit into [0, 1])."
    )
    num_samples: int = Field(2, gt=0, description="online: completions sampled per prompt and step.")


__all__ = ["DPOParams", "GRPOParams", "KTOParams", "NucleusParams", "OnlineParams", "PPOParams", "Params",
           "RAFTParams", "RLOOParams", "SFTParams", "SimPOParams", "UNAParams"]  # fmt: skip
