"""Content-addressed cache of generated answers (parquet; no pickle).

Key: the checkpoint's weights (manifest ``sha256``; for adapters also the content hash of the base
they apply to),
the back end and every sampling parameter (``sampling_key``), then per row the exact chat text and
the sample's seed. A changed checkpoint has a new hash, so it is never served stale text; an
identical checkpoint under another name (``sft/step-0`` is ``base/step-0``) reuses its answers.
Checkpoints without a hash (not yet downloaded hub revisions) are not cached.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from valuedrift import io
from valuedrift.generate.base import Answer

COLUMNS = ["key", "response", "n_tokens", "finish_reason"]


def base_weights_key(base: str, known: dict[str, str] | None = None) -> str:
    """Content identity of an adapter's base model: its manifest hash, else the hash of its folder
    (computed once per process and folder state), else the spec itself (hub ``id@revision``)."""
    from valuedrift.models import resolve

    path = str(resolve(base))
    if known and path in known:
        return known[path]
    folder = Path(path)
    if folder.is_dir():
        state = tuple(
            (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.glob("*")) if p.is_file()
        )
        if (path, state) not in _FOLDER_HASHES:
            _FOLDER_HASHES[(path, state)] = io.sha256_weights(folder)
        return _FOLDER_HASHES[(path, state)]
    return base


_FOLDER_HASHES: dict[tuple, str] = {}


def weights_key(entry: dict[str, Any], base_model: str, known: dict[str, str] | None = None) -> str | None:
    """Identity of a checkpoint's weights, or None when it has no content hash.

    An adapter's answers depend on the base it is applied to as well, so its key combines the
    adapter's hash with the base's content hash (``known`` maps resolved folders to manifest hashes).
    """
    sha = entry.get("sha256")
    if not sha:
        return None
    if entry.get("adapter"):
        base = entry.get("base_sha256") or base_weights_key(str(entry.get("base") or base_model), known)
        return hashlib.sha256(f"{sha}\0{base}".encode()).hexdigest()[:32]
    return str(sha)[:32]


def row_key(chat_text: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}\0{chat_text}".encode()).hexdigest()[:32]


class GenerationCache:
    """One parquet file per (weights, sampling) pair under ``<cache_root>/generations``."""

    def __init__(self, root: Path | None = None):
        from valuedrift.models import cache_root

        self.root = Path(root) if root else cache_root() / "generations"

    def _path(self, wkey: str, skey: str) -> Path:
        return self.root / wkey / f"{skey}.parquet"

    def get(self, wkey: str | None, skey: str, keys: list[str]) -> dict[str, Answer]:
        if wkey is None:
            return {}
        path = self._path(wkey, skey)
        if not path.exists():
            return {}
        df = pd.read_parquet(path)
        df = df[df["key"].isin(set(keys))]
        return {r.key: Answer(r.response, int(r.n_tokens), r.finish_reason) for r in df.itertuples()}

    def put(self, wkey: str | None, skey: str, items: dict[str, Answer]) -> None:
        if wkey is None or not items:
            return
        path = self._path(wkey, skey)
        new = pd.DataFrame(
            [(k, a.text, a.n_tokens, a.finish_reason) for k, a in items.items()], columns=COLUMNS
        )
        if path.exists():
            new = pd.concat([pd.read_parquet(path), new]).drop_duplicates("key", keep="last")
        io.write_parquet(path, new)
