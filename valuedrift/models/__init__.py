"""Base models: the alias registry, offline SmolLM2, the tiny test model, safe loading."""

from valuedrift.models.loading import load_model, load_tokenizer, pick_device, pick_dtype
from valuedrift.models.registry import ModelSource, aliases, cache_root, pull, resolve

__all__ = [
    "ModelSource",
    "aliases",
    "cache_root",
    "load_model",
    "load_tokenizer",
    "pick_device",
    "pick_dtype",
    "pull",
    "resolve",
]
