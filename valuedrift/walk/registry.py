"""The walker's view of the algorithm table: ``get(name)`` imports and returns a stage's trainer.

The table itself (names, params models, data kinds, learning rates) is
:mod:`valuedrift.config.algorithms`; a trainer module is imported only when a stage of its algorithm
trains, so a config of DPO stages never imports the PPO code.
"""

from __future__ import annotations

import importlib

from valuedrift.config.algorithms import AlgorithmSpec, all_specs, get_spec
from valuedrift.walk.base import Algorithm


def trainer(spec: AlgorithmSpec) -> Algorithm:
    """An instance of the spec's trainer class (``"module:Class"``), imported now."""
    module, _, cls = spec.trainer.partition(":")
    obj = getattr(importlib.import_module(module), cls)()
    obj.spec = spec
    return obj


def get(name: str) -> Algorithm:
    """The trainer of algorithm ``name`` (a one-line UserError for an unknown name)."""
    return trainer(get_spec(name))


def algorithms() -> dict[str, AlgorithmSpec]:
    """Every registered algorithm's table row, by name."""
    return {s.name: s for s in all_specs()}


__all__ = ["algorithms", "get", "trainer"]
