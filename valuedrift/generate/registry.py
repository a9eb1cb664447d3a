"""Generator back ends by name: ``hf`` (default), ``vllm`` (optional extra), ``openai``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from valuedrift.config.schema import GenerationConfig
from valuedrift.errors import UserError

_BACKENDS: dict[str, Callable[..., Any]] = {}


def register(name: str):
    """Decorator: register a factory ``(cfg, *, base_model, device, **kw) -> Generator``."""

    def deco(fn):
        _BACKENDS[name] = fn
        return fn

    return deco


@register("hf")
def _hf(cfg: GenerationConfig, *, base_model: str, device: str = "auto", **kw: Any):
    from valuedrift.generate.hf import HFGenerator

    return HFGenerator(cfg, base_model=base_model, device=device, **kw)


@register("vllm")
def _vllm(cfg: GenerationConfig, *, base_model: str, device: str = "auto", **kw: Any):
    from valuedrift.generate.vllm_backend import VLLMGenerator

    return VLLMGenerator(cfg, base_model=base_model, **kw)


@register("openai")
def _openai(cfg: GenerationConfig, *, base_model: str, device: str = "auto", **kw: Any):
    from valuedrift.generate.openai_backend import OpenAIGenerator

    return OpenAIGenerator(cfg, base_model=base_model)


def backends() -> list[str]:
    return sorted(_BACKENDS)


def get_generator(cfg: GenerationConfig, *, base_model: str, device: str = "auto", **kw: Any):
    """Build the configured back end for a series whose base model is ``base_model``."""
    try:
        factory = _BACKENDS[cfg.backend]
    except KeyError:
        raise UserError(
            f"unknown generator back end {cfg.backend!r} (known: {', '.join(backends())})"
        ) from None
    return factory(cfg, base_model=base_model, device=device, **kw)
