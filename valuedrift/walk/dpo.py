"""DPO (Rafailov et al., 2023) with TRL's ``DPOTrainer``.

L_DPO = −E log σ(β log π_θ(y_w|x)/π_ref(y_w|x) − β log π_θ(y_l|x)/π_ref(y_l|x)); π_ref is the stage's
starting policy. The paper finds DPO amplifies the preferred stance strongly when chosen and
rejected differ in stance (a value gap).
"""

from __future__ import annotations

from valuedrift.walk.base import Algorithm, StageContext


class DPO(Algorithm):
    def train(self, ctx: StageContext) -> None:
        from datasets import Dataset
        from trl import DPOConfig, DPOTrainer

        from valuedrift.walk.preference import conversational_pairs
        from valuedrift.walk.trl_stage import common_args, run_trainer

        rows = ctx.ordered(conversational_pairs(ctx))
        model, tok = ctx.load_policy()
        args = DPOConfig(
            **common_args(ctx),
            beta=ctx.params.beta,
            loss_type=[ctx.params.loss_type],
            max_length=ctx.stage.max_length,
        )
        run_trainer(
            DPOTrainer, ctx, model, tok, args, Dataset.from_list(rows), ref_model=ctx.load_reference()
        )
