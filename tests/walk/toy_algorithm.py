"""A toy training algorithm that lives outside the package, for the plug-in tests.

``Toy`` moves every trainable weight by ``params.scale × learning_rate`` per step (no data gradient):
enough to make each checkpoint differ, so the walker, the manifest and the hashes see real training.
``Broken`` has a bug in its training loop.
"""

from __future__ import annotations

from pydantic import Field

from valuedrift.config.params import Params
from valuedrift.walk.base import Algorithm, StageContext


class ToyParams(Params):
    scale: float = Field(1.0, gt=0, description="Multiplier of the per-step move.")


class Toy(Algorithm):
    def train(self, ctx: StageContext) -> None:
        import torch

        model, tok = ctx.load_policy()
        for step in range(ctx.start_step + 1, ctx.total_steps + 1):
            with torch.no_grad():
                for p in model.parameters():
                    if p.requires_grad:
                        p.add_(ctx.params.scale * ctx.learning_rate)
            ctx.log_metrics(step, {"learning_rate": ctx.learning_rate, "scale": ctx.params.scale})
            if step in ctx.save_steps:
                ctx.save_checkpoint(step, model, tok)


class Broken(Algorithm):
    def train(self, ctx: StageContext) -> None:
        ctx.load_policy()
        {}["a key the author forgot"]
