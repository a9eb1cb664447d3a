"""Shared by the offline preference algorithms: pairs as TRL conversational rows."""

from __future__ import annotations

from valuedrift.walk.base import StageContext


def conversational_pairs(ctx: StageContext) -> list[dict]:
    """The stage's preference pairs as {prompt: [user], chosen: [assistant], rejected: [assistant]}."""
    from valuedrift.data.loaders import preference_pairs

    return [
        {
            "prompt": [{"role": "user", "content": p["prompt"]}],
            "chosen": [{"role": "assistant", "content": p["chosen"]}],
            "rejected": [{"role": "assistant", "content": p["rejected"]}],
        }
        for p in preference_pairs(ctx.stage.data)
    ]
