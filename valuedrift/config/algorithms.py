"""The algorithm table: every training algorithm a stage may use, by name — the one place to add one.

Each row names the trainer class (``"module:Class"``, imported only when a stage trains), its params
model (:mod:`valuedrift.config.params`), the kind of data it trains on and its default learning rates.
Everything else is derived from this table: the names a config accepts, ``config validate``'s check of
``params``, the walker's registry (``valuedrift.walk.registry.get``), the learning-rate defaults and the
table in ``docs/design.md`` (a test keeps the two equal). A plug-in adds a row with :func:`register`::

    register(AlgorithmSpec("orpo", "my_pkg.orpo:ORPO", ORPOParams, "preference", 5e-5, 1e-5, "ORPO"))

Manifests take any algorithm name (a hand-written series of ORPO checkpoints is traced as is); only
*training* a stage needs a row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from valuedrift.config import params as P
from valuedrift.errors import UserError

DataKind = Literal["sft", "preference", "kto", "prompts"]
"""What a stage's data loads as: conversations, preference pairs, KTO rows, or prompts alone."""

DATA_FORMATS: dict[str, tuple[str, ...]] = {
    "sft": ("chat", "alpaca", "wildchat"),
    "preference": ("ultrafeedback", "pairs", "hh-rlhf"),
    "kto": ("kto", "ultrafeedback", "pairs", "hh-rlhf"),
    "prompts": ("prompts", "ultrafeedback", "pairs", "hh-rlhf", "kto", "chat", "alpaca", "wildchat"),
}
"""The row formats (``data.format``) each data kind can be read from, in the order auto-detection tries
them (the columns each needs: ``valuedrift.data.loaders.FORMAT_COLUMNS``): a preference stage never reads
a file as ``chat``, even when it also has a ``messages`` column. ``ultrafeedback`` (told apart by its
``score_chosen``/``score_rejected``) comes before ``pairs`` and ``hh-rlhf``, whose columns it also has."""


@dataclass(frozen=True)
class AlgorithmSpec:
    """One row of the table."""

    name: str
    trainer: str
    """``"module:Class"`` of the :class:`valuedrift.walk.base.Algorithm` subclass, imported lazily."""
    params: type[P.Params]
    data: DataKind
    lr_lora: float
    """Default learning rate with LoRA adapters."""
    lr_full: float
    """Default learning rate with full fine-tuning."""
    summary: str

    def learning_rate(self, mode: str) -> float:
        """The default learning rate for ``finetune.mode`` (``lora`` or ``full``)."""
        return self.lr_full if mode == "full" else self.lr_lora


_TABLE: dict[str, AlgorithmSpec] = {
    s.name: s
    for s in (
        AlgorithmSpec("sft", "valuedrift.walk.sft:SFT", P.SFTParams, "sft", 2e-4, 2e-5,
                      "supervised fine-tuning (loss on the assistant reply)"),
        AlgorithmSpec("dpo", "valuedrift.walk.dpo:DPO", P.DPOParams, "preference", 5e-5, 1e-5,
                      "direct preference optimisation, β = 0.1"),
        AlgorithmSpec("simpo", "valuedrift.walk.simpo:SimPO", P.SimPOParams, "preference", 5e-5, 1e-5,
                      "length-normalised, reference-free, β = 2.0, γ = 0.5"),
        AlgorithmSpec("kto", "valuedrift.walk.kto:KTO", P.KTOParams, "kto", 5e-5, 1e-5,
                      "unpaired desirable / undesirable answers, β = 0.1; batch size ≥ 2"),
        AlgorithmSpec("ppo", "valuedrift.walk.ppo:PPO", P.PPOParams, "prompts", 1e-4, 1e-5,
                      "PPO with a value head and a KL penalty, β = 0.05"),
        AlgorithmSpec("grpo", "valuedrift.walk.grpo:GRPO", P.GRPOParams, "prompts", 1e-5, 1e-6,
                      "group-normalised advantages, G = 4, β = 0.04"),
        AlgorithmSpec("rloo", "valuedrift.walk.rloo:RLOO", P.RLOOParams, "prompts", 1e-5, 1e-6,
                      "leave-one-out baseline, G = 4, β = 0.05"),
        AlgorithmSpec("raft", "valuedrift.walk.raft:RAFT", P.RAFTParams, "prompts", 1e-4, 1e-5,
                      "reward-ranked fine-tuning: best of K = 8 samples"),
        AlgorithmSpec("una", "valuedrift.walk.una:UNA", P.UNAParams, "preference", 5e-5, 5e-6,
                      "implicit reward fitted to pair / binary / score / online feedback"),
    )
}  # fmt: skip


def register(spec: AlgorithmSpec, *, replace: bool = False) -> AlgorithmSpec:
    """Add an algorithm (a plug-in or a test's toy); an existing name needs ``replace=True``."""
    if spec.name in _TABLE and not replace:
        raise ValueError(f"algorithm {spec.name!r} is already registered")
    if spec.data not in DATA_FORMATS:
        raise ValueError(
            f"algorithm {spec.name!r}: data kind {spec.data!r} is not one of {sorted(DATA_FORMATS)}"
        )
    _TABLE[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a registered algorithm (for tests that add a toy one)."""
    _TABLE.pop(name, None)


def names() -> list[str]:
    """Registered algorithm names, in table order."""
    return list(_TABLE)


def get_spec(name: str) -> AlgorithmSpec:
    """The row of ``name``; a one-line UserError listing the names otherwise."""
    try:
        return _TABLE[name]
    except KeyError:
        raise UserError(f"unknown algorithm {name!r} (one of: {', '.join(_TABLE)})") from None


def all_specs() -> list[AlgorithmSpec]:
    return list(_TABLE.values())


__all__ = ["DATA_FORMATS", "AlgorithmSpec", "DataKind", "all_specs", "get_spec", "names", "register",
           "unregister"]  # fmt: skip
