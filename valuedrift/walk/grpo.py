"""GRPO (Shao et al., 2024, DeepSeekMath) with TRL's ``GRPOTrainer``, on the walk/reward.py rewards.

For each prompt x, G completions are sampled from π_θ and scored, r_i = r(x, y_i); the advantage of
each is its reward normalised within the group, Â_i = (r_i − mean(r)) / std(r) (``scale_rewards``),
and the policy maximises the clipped surrogate min(ρ Â, clip(ρ, 1 ± ε) Â) minus β·KL(π_θ ‖ π_ref),
with ρ = π_θ / π_θ_old per token and π_ref the stage's starting policy.

Batches: ``batch_size`` is *prompts* per optimizer step; each step samples G = ``num_generations``
completions for each, so TRL's per-device batch is batch_size × G completions. Prompts are taken in
the walker's seeded order (TRL's own shuffling is off), so a resumed stage continues the same stream.

TRL traps handled here: configs default to bf16 and ``use_cpu=False`` (``common_args`` sets both for the
device); with full fine-tuning TRL would reload π_ref from ``config._name_or_path`` — on a resumed
stage that is the resume checkpoint, not the stage's start — so the weights of
``ctx.load_reference()`` are copied into it; with LoRA π_ref is the policy with the adapter disabled (the stage base).

Example stage (YAML)::

    - name: grpo
      algorithm: grpo
      parent: sft
      data: {path: "demo:value_gap_support.jsonl"}   # only the prompts are used
      steps: 20
      batch_size: 2                                    # prompts per step (x num_generations completions)
      params:
        num_generations: 4
        beta: 0.04
        reward: {type: model}
"""

from __future__ import annotations

from typing import Any

from valuedrift.config.params import GRPOParams
from valuedrift.walk.base import Algorithm, StageContext


def trl_reward(reward, name: str = "valuedrift_reward"):
    """A TRL reward function (prompts=, completions=, **kw) around a valuedrift ``RewardFn``.

    TRL passes conversational prompts / completions as message lists: the user's last turn and the
    assistant's reply are handed to the RewardFn as plain text.
    """
    from valuedrift.walk.rollout import score

    def text(v: Any) -> str:
        return v[-1]["content"] if isinstance(v, list) else str(v)

    def fn(prompts, completions, **_kw):
        return score(reward, [text(p) for p in prompts], [text(c) for c in completions])

    fn.__name__ = name
    return fn


def group_config_args(ctx: StageContext, p) -> dict[str, Any]:
    """Arguments GRPOConfig and RLOOConfig share: the walker's ones, batch in completions, sampling."""
    from valuedrift.walk.trl_stage import common_args

    args = common_args(ctx)
    args.pop("train_sampling_strategy")  # TRL's RepeatSampler orders the prompts; shuffle_dataset=False
    args["per_device_train_batch_size"] = ctx.stage.batch_size * p.num_generations
    return args | {
        "num_generations": p.num_generations,
        "beta": p.beta,
        "temperature": p.temperature,
        "top_p": p.top_p,
        "max_completion_length": p.max_new_tokens,
        "shuffle_dataset": False,
        "remove_unused_columns": False,
    }


def run_group_stage(ctx: StageContext, trainer_cls, config) -> None:
    """Train a TRL group-sampling trainer (GRPO / RLOO) as a stage, with the stage's own π_ref."""
    from datasets import Dataset

    from valuedrift.data.loaders import prompt_texts
    from valuedrift.walk.reward import build_reward
    from valuedrift.walk.trl_stage import run_trainer

    reward = trl_reward(build_reward(ctx.params.reward, ctx))
    prompts = ctx.ordered(prompt_texts(ctx.stage.data))
    rows = [{"prompt": [{"role": "user", "content": q}]} for q in prompts]
    model, tok = ctx.load_policy()

    class StageTrainer(trainer_cls):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            if self.ref_model is not None:
                # full fine-tuning with β > 0: π_ref is the stage's start, not config._name_or_path; copy its
                # weights into TRL's copy (which TRL has patched with its fused log-prob head)
                start = ctx.load_reference().state_dict()
                self.accelerator.unwrap_model(self.ref_model).load_state_dict(start)

    StageTrainer.__name__ = trainer_cls.__name__
    run_trainer(StageTrainer, ctx, model, tok, config, Dataset.from_list(rows), reward_funcs=[reward])


class GRPO(Algorithm):
    def train(self, ctx: StageContext) -> None:
        from trl import GRPOConfig, GRPOTrainer

        p: GRPOParams = ctx.params
        config = GRPOConfig(**group_config_args(ctx, p), epsilon=p.epsilon, loss_type=p.loss_type,
                            scale_rewards=p.scale_rewards)  # fmt: skip
        run_group_stage(ctx, GRPOTrainer, config)
