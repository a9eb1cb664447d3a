"""KTO (Ethayarajh et al., 2024) with TRL's ``KTOTrainer`` on unpaired desirable / undesirable answers.

Preference pairs are unpaired (chosen → desirable, rejected → undesirable). KTO estimates its KL
reference point from mismatched answers within a batch, so the batch size must be at least 2.
"""

from __future__ import annotations

from valuedrift.errors import UserError
from valuedrift.walk.base import Algorithm, StageContext


class KTO(Algorithm):
    def train(self, ctx: StageContext) -> None:
        from datasets import Dataset
        from trl import KTOConfig, KTOTrainer

        from valuedrift.data.loaders import load_kto_dataset
        from valuedrift.walk.trl_stage import common_args, run_trainer

        if ctx.stage.batch_size < 2:
            raise UserError(
                f"stage {ctx.stage.name}: KTO needs batch_size >= 2 (it estimates its KL term within a batch)"
            )
        items = [
            {"prompt": [{"role": "user", "content": r["prompt"]}],
             "completion": [{"role": "assistant", "content": r["completion"]}], "label": r["label"]}
            for r in load_kto_dataset(ctx.stage.data)
        ]  # fmt: skip
        model, tok = ctx.load_policy()
        args = KTOConfig(
            **common_args(ctx),
            beta=ctx.params.beta,
            desirable_weight=ctx.params.desirable_weight,
            undesirable_weight=ctx.params.undesirable_weight,
            max_length=ctx.stage.max_length,
        )
        run_trainer(
            KTOTrainer,
            ctx,
            model,
            tok,
            args,
            Dataset.from_list(ctx.ordered(items)),
            ref_model=ctx.load_reference(),
        )
