"""Training algorithms by name. ``register(algo)`` adds one; the config loader calls ``validate_params``."""

from __future__ import annotations

from typing import Any

from valuedrift.errors import UserError
from valuedrift.walk.base import Algorithm

_ALGOS: dict[str, Algorithm] = {}


def register(algo: Algorithm) -> Algorithm:
    _ALGOS[algo.name] = algo
    return algo


def _builtin() -> None:
    if _ALGOS:
        return
    from valuedrift.walk.dpo import DPO
    from valuedrift.walk.kto import KTO
    from valuedrift.walk.sft import SFT
    from valuedrift.walk.simpo import SimPO

    for cls in (SFT, DPO, SimPO, KTO):
        register(cls())
    for mod in ("ppo", "una", "raft", "grpo", "rloo"):  # algorithms in their own modules, when present
        try:
            __import__(f"valuedrift.walk.{mod}")
        except ModuleNotFoundError as e:
            if e.name != f"valuedrift.walk.{mod}":
                raise


def algorithms() -> dict[str, Algorithm]:
    _builtin()
    return dict(_ALGOS)


def get(name: str) -> Algorithm:
    algos = algorithms()
    if name not in algos:
        raise UserError(
            f"algorithm {name!r} is not available in this installation (have: {', '.join(sorted(algos))})"
        )
    return algos[name]


def validate_params(algorithm: str, params: dict[str, Any]) -> dict[str, Any]:
    """Validate a stage's ``params`` with its algorithm's Params model (raises pydantic ValidationError)."""
    algos = algorithms()
    if algorithm not in algos:
        return params  # the config schema already checked the name; training will say it is unavailable
    return algos[algorithm].Params.model_validate(params).model_dump()
