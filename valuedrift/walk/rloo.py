"""RLOO, REINFORCE Leave-One-Out (Ahmadian et al., 2024), with TRL's ``RLOOTrainer``.

For each prompt x, G completions are sampled and scored; the KL-penalised reward is
r̃_i = r(x, y_i) − β·KL_i(π_θ ‖ π_ref) (sequence KL estimate, π_ref the stage's starting policy), and
each completion's advantage is its reward minus the mean of the *other* G − 1 rewards,
Â_i = r̃_i − (1/(G−1)) Σ_{j≠i} r̃_j, used in a (clipped) policy-gradient loss. No value model.

Batches, reward, π_ref and the TRL traps are handled as for GRPO (``walk/grpo.py``): ``batch_size`` is
prompts per step, the per-device batch is batch_size × G completions.

Example stage (YAML)::

    - name: rloo
      algorithm: rloo
      parent: sft
      data: {path: "demo:value_gap_support.jsonl"}   # only the prompts are used
      steps: 20
      batch_size: 2
      params:
        num_generations: 4
        beta: 0.05
        reward: {type: keyword, positive: [support], negative: [oppose]}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from valuedrift.walk.base import Algorithm, StageContext


class RLOOParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    num_generations: int = Field(4, ge=2, description="G: completions per prompt (the leave-one-out group).")
    beta: float = Field(
        0.05, ge=0, description="β of the KL penalty in the reward (TRL default 0.05; 0 drops π_ref)."
    )
    epsilon: float = Field(0.2, gt=0, description="ε of the ratio clipping.")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature.")
    top_p: float = Field(1.0, gt=0, le=1, description="Nucleus sampling p.")
    max_new_tokens: int = Field(64, gt=0, description="Most new tokens per sampled completion.")
    normalize_advantages: bool = Field(False, description="Normalise advantages to mean 0, std 1 per batch.")
    reward: dict[str, Any] | str | None = Field(
        None,
        description="The reward r(x, y), a walk/reward.py spec; None: a reward model trained on "
        "preference pairs ({type: model}).",
    )


class RLOO(Algorithm):
    name = "rloo"
    data_kind = "prompts"
    Params = RLOOParams
    default_learning_rate = 1e-5

    def train(self, ctx: StageContext) -> None:
        from trl import RLOOConfig, RLOOTrainer

        from valuedrift.walk.grpo import group_config_args, run_group_stage

        p: RLOOParams = ctx.params
        config = RLOOConfig(**group_config_args(ctx, p), epsilon=p.epsilon,
                            normalize_advantages=p.normalize_advantages)  # fmt: skip
        run_group_stage(ctx, RLOOTrainer, config)


def _register() -> None:
    from valuedrift.walk import registry

    registry.algorithms()  # the built-ins first: registering into an empty registry would hide them
    registry.register(RLOO())


_register()
