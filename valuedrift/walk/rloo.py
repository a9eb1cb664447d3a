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

from valuedrift.config.params import RLOOParams
from valuedrift.walk.base import Algorithm, StageContext


class RLOO(Algorithm):
    def train(self, ctx: StageContext) -> None:
        from trl import RLOOConfig, RLOOTrainer

        from valuedrift.walk.grpo import group_config_args, run_group_stage

        p: RLOOParams = ctx.params
        config = RLOOConfig(**group_config_args(ctx, p), epsilon=p.epsilon,
                            normalize_advantages=p.normalize_advantages)  # fmt: skip
        run_group_stage(ctx, RLOOTrainer, config)
