"""The reward spec of the online algorithms (PPO, RAFT, GRPO, RLOO, UNA score/online): a typed union.

``params.reward`` is one of three shapes, told apart by ``type`` and validated when the config loads,
for every algorithm that takes a reward (so a bad spec fails before any stage trains):

- :class:`ModelReward` (``type: model``, the default): a reward model r_φ(x, y) trained on preference
  pairs with TRL's ``RewardTrainer`` (built in ``walk/reward.py``);
- :class:`KeywordReward` (``type: keyword``): +1 per listed word, −1 per avoided one, over the length;
- :class:`CallableReward` (``type: callable``): any Python function ``f(prompts, completions) ->
  scores``; a bare ``"pkg.module:function"`` string is read as this type.

Light by design: pydantic only, no torch, so ``config validate`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from valuedrift.config.schema import DataConfig


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ModelReward(_Spec):
    """r_φ(x, y): a one-logit reward model trained with the Bradley–Terry loss, cached per settings."""

    type: Literal["model"] = "model"
    data: DataConfig | None = Field(
        None, description="Preference pairs to train it on; None: the stage's own data."
    )
    base: Literal["parent", "base"] = Field(
        "parent", description="Start from the stage's starting policy (parent) or the base model."
    )
    reward_steps: int = Field(
        30, gt=0, validation_alias=AliasChoices("reward_steps", "steps"), description="Training steps."
    )
    batch_size: int = Field(8, gt=0, description="Pairs per training step.")
    learning_rate: float | None = Field(None, gt=0, description="None: 1e-4 with LoRA, 2e-5 full.")
    lora: bool | None = Field(
        None, description="Train a LoRA adapter (merged before saving); None: as finetune.mode."
    )
    max_length: int | None = Field(
        None, gt=0, description="Token limit of a pair; None: the stage's max_length."
    )


class KeywordReward(_Spec):
    """score(y) = scale · (n_pos − n_neg + other · n_plain) / max(1, |y|)."""

    type: Literal["keyword"]
    positive: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("positive", "words"), description="+1 each."
    )
    negative: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("negative", "avoid"), description="−1 each."
    )
    other: float = Field(0.0, description="Score of a word that holds no listed keyword.")
    match: Literal["word", "substring"] = Field("word", description="Whole words, or substrings.")
    normalise: Literal["words", "chars", "none"] = Field("words", description="|y| in words, chars, or 1.")
    case_sensitive: bool = Field(False, description="Match case.")
    scale: float = Field(1.0, description="Multiply the score by this.")

    @model_validator(mode="before")
    @classmethod
    def _one_name_each(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for alias, name in (("words", "positive"), ("avoid", "negative")):
                if alias in data and name in data:
                    raise ValueError(f"give '{alias}' or '{name}', not both")
            data = {k: [v] if k in ("words", "avoid", "positive", "negative") and isinstance(v, str) else v
                    for k, v in data.items()}  # fmt: skip
        return data

    @model_validator(mode="after")
    def _some_words(self) -> KeywordReward:
        if not self.positive and not self.negative and self.other == 0:
            raise ValueError("a keyword reward needs 'positive' or 'negative' words")
        return self


class CallableReward(_Spec):
    """A Python reward function, imported (and so checked) when the config loads."""

    type: Literal["callable"]
    path: str = Field(..., description="'pkg.module:function' with the signature f(prompts, completions).")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="Extra keyword arguments for it.")

    @field_validator("path")
    @classmethod
    def _importable(cls, path: str) -> str:
        resolve_callable(path)
        return path


RewardSpec = Annotated[ModelReward | KeywordReward | CallableReward, Field(discriminator="type")]


def resolve_callable(path: str):
    """The function at ``pkg.module:function`` (ValueError naming what is wrong)."""
    if ":" not in path:
        raise ValueError(f"{path!r} is not of the form 'pkg.module:function'")
    mod_name, _, attr = path.partition(":")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as e:
        raise ValueError(f"cannot import module {mod_name!r}: {e}") from None
    fn = getattr(mod, attr, None)
    if not callable(fn):
        raise ValueError(f"module {mod_name!r} has no function {attr!r}")
    return fn


def coerce_reward(spec: Any) -> Any:
    """The spec shorthands: None is a default reward model, a string is a callable's path."""
    if spec is None:
        return {"type": "model"}
    if isinstance(spec, str):
        return {"type": "callable", "path": spec}
    if isinstance(spec, dict) and "type" not in spec:
        raise ValueError("a reward spec needs a 'type': model, keyword or callable")
    return spec


__all__ = [
    "CallableReward",
    "KeywordReward",
    "ModelReward",
    "RewardSpec",
    "coerce_reward",
    "resolve_callable",
]
