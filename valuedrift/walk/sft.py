"""SFT: supervised fine-tuning on chat data with TRL's ``SFTTrainer``.

L_SFT(θ) = −E_(x,y)~D [log π_θ(y|x)], the loss on the assistant's final reply only (the data is passed
as prompt/completion conversations, so TRL masks the prompt).
"""

from __future__ import annotations

from valuedrift.walk.base import Algorithm, StageContext


class SFT(Algorithm):
    def train(self, ctx: StageContext) -> None:
        from datasets import Dataset
        from trl import SFTConfig, SFTTrainer

        from valuedrift.data.loaders import sft_conversations
        from valuedrift.walk.trl_stage import common_args, run_trainer

        convs = sft_conversations(ctx.stage.data)
        rows = [{"prompt": c[:-1], "completion": [c[-1]]} for c in convs]
        model, tok = ctx.load_policy()
        args = SFTConfig(
            **common_args(ctx),
            max_length=ctx.stage.max_length,
            completion_only_loss=ctx.params.completion_only,
            packing=False,
            dataset_num_proc=None,
        )
        run_trainer(SFTTrainer, ctx, model, tok, args, Dataset.from_list(ctx.ordered(rows)))
