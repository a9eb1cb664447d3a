"""SimPO (Meng et al., 2024) with TRL's CPO trainer and ``loss_type="simpo"``, ``cpo_alpha=0``.

L_SimPO = −E log σ(β/|y_w| log π_θ(y_w|x) − β/|y_l| log π_θ(y_l|x) − γ): no reference model, a
length-normalised reward and a target margin γ. ``cpo_alpha`` must be 0 for pure SimPO (otherwise
CPO adds an NLL term on the chosen answer).
"""

from __future__ import annotations

from valuedrift.walk.base import Algorithm, StageContext


class SimPO(Algorithm):
    def train(self, ctx: StageContext) -> None:
        from datasets import Dataset
        from trl.experimental.cpo import CPOConfig, CPOTrainer

        from valuedrift.walk.preference import conversational_pairs
        from valuedrift.walk.trl_stage import common_args, run_trainer

        rows = ctx.ordered(conversational_pairs(ctx))
        model, tok = ctx.load_policy()
        args = CPOConfig(
            **common_args(ctx),
            loss_type="simpo",
            cpo_alpha=0.0,
            beta=ctx.params.beta,
            simpo_gamma=ctx.params.gamma,
            max_length=ctx.stage.max_length,
        )
        run_trainer(CPOTrainer, ctx, model, tok, args, Dataset.from_list(rows))
