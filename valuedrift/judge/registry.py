"""Judges by name: ``offline`` (default, no server), ``openai`` (any compatible API), ``hf`` (local LM).

:func:`get_judge` builds one from a :class:`~valuedrift.config.schema.JudgeConfig`, wrapped in the
content-addressed verdict cache; :func:`parse_spec` turns a CLI spec into a config:

- ``offline``
- ``hf:smollm2-135m-instruct`` (an alias, folder or hub id)
- ``openai:gpt-4o`` or ``openai:MODEL@http://127.0.0.1:8080/v1``
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from valuedrift.errors import UserError
from valuedrift.judge.base import Judge

_FACTORIES: dict[str, Callable[..., Judge]] = {}


def register(name: str):
    """Decorator: register a judge factory ``(cfg, **kw) -> Judge`` under ``name``."""

    def deco(fn: Callable[..., Judge]) -> Callable[..., Judge]:
        _FACTORIES[name] = fn
        return fn

    return deco


@register("offline")
def _offline(cfg, **kw: Any) -> Judge:
    from valuedrift.judge.offline import OfflineJudge

    return OfflineJudge(cfg)


@register("openai")
def _openai(cfg, *, state_dir: Path | None = None, **kw: Any) -> Judge:
    from valuedrift.judge.openai_judge import OpenAIJudge

    return OpenAIJudge(cfg, state_dir=state_dir)


@register("hf")
def _hf(cfg, *, device: str = "auto", **kw: Any) -> Judge:
    from valuedrift.judge.hf_judge import HFJudge

    return HFJudge(cfg, device=device)


def judges() -> list[str]:
    return sorted(_FACTORIES)


def parse_spec(spec: str, base=None):
    """A JudgeConfig from ``offline`` | ``hf:MODEL`` | ``openai:MODEL[@BASE_URL]`` (other fields from ``base``)."""
    from valuedrift.config.schema import JudgeConfig

    base = base or JudgeConfig()
    kind, _, rest = spec.partition(":")
    if kind not in _FACTORIES:
        raise UserError(f"unknown judge '{spec}'", hint="use offline, hf:MODEL or openai:MODEL[@BASE_URL]")
    update: dict[str, Any] = {"backend": kind}
    if kind == "openai":
        model, _, url = rest.partition("@")
        if not model:
            raise UserError(f"judge '{spec}': give a model, e.g. openai:gpt-4o")
        update.update(model=model, base_url=url or None)
    elif kind == "hf":
        update["model"] = rest or None
    elif rest:
        raise UserError(f"judge '{spec}': the offline judge takes no model")
    return base.model_copy(update=update)


def get_judge(cfg=None, *, state_dir: str | Path | None = None, device: str = "auto") -> Judge:
    """The judge a config asks for, with the verdict cache unless ``cfg.cache`` is off.

    ``state_dir`` is where the Batch API mode keeps its in-flight batch id (the run directory).
    """
    from valuedrift.config.schema import JudgeConfig
    from valuedrift.judge.cache import CachedJudge, VerdictCache

    cfg = cfg or JudgeConfig()
    factory = _FACTORIES.get(cfg.backend)
    if factory is None:
        raise UserError(f"judge.backend: unknown judge '{cfg.backend}'", hint=f"known: {', '.join(judges())}")
    judge = factory(cfg, state_dir=Path(state_dir) if state_dir else None, device=device)
    if not cfg.cache:
        return judge
    # Batch API: all uncached items go in one batch (chunks would each wait for their own batch)
    chunk = 1 << 30 if cfg.backend == "openai" and cfg.batch_api else 256
    return CachedJudge(judge, VerdictCache(cfg.cache_path), chunk=chunk)
