"""Atomic writes: the one way valuedrift writes results.

Every file is written to a temporary name in the same folder and renamed into place, so a reader (or a
re-run after SIGKILL) sees either the old complete file or the new complete file, never half of one.
Directories (checkpoints) are built under a temporary name and renamed the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    >>> with atomic_path("out.parquet") as tmp:   # doctest: +SKIP
    ...     df.to_parquet(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
        _fsync_dir(path.parent)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Atomically write ``data`` to ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Atomically write UTF-8 ``text`` to ``path``."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Atomically write ``obj`` as indented JSON."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def write_parquet(path: str | os.PathLike[str], df: Any) -> Path:
    """Atomically write a pandas DataFrame as parquet (no index)."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)
    return Path(path)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a directory under a temporary name and rename it onto ``path`` when complete.

    A crash leaves only a ``.<name>.partial-*`` folder, which :func:`clean_partials` removes;
    ``path`` itself is never half-written. An existing ``path`` is replaced.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def clean_partials(folder: str | os.PathLike[str]) -> int:
    """Remove leftovers of interrupted :func:`atomic_dir` / :func:`atomic_path` calls under ``folder``."""
    folder = Path(folder)
    if not folder.exists():
        return 0
    n = 0
    for p in folder.rglob(".*"):
        if ".partial-" in p.name or ".old-" in p.name or p.name.endswith(".tmp"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            n += 1
    return n


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex sha256 of one file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt")


def sha256_weights(folder: str | os.PathLike[str]) -> str:
    """A content hash of a checkpoint: sha256 over (relative name, sha256) of its weight files.

    Config and tokenizer files are included too, since they change what the weights mean. Optimizer
    and trainer state are excluded: they do not change the model's outputs. An adapter's config is
    hashed without its ``base_model_name_or_path`` (a location, recorded in the manifest's ``base``).
    """
    folder = Path(folder)
    h = hashlib.sha256()
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not p.name.startswith(".")
        and "optimizer" not in p.name
        and "scheduler" not in p.name
        and "rng_state" not in p.name
        and "trainer_state" not in p.name
        and p.suffix in (*WEIGHT_SUFFIXES, ".json", ".jinja", ".model", ".txt")
        and "training_args" not in p.name
    )
    for p in files:
        h.update(str(p.relative_to(folder)).encode())
        h.update(b"\0")
        h.update(_adapter_config_hash(p) if p.name == "adapter_config.json" else sha256_file(p).encode())
        h.update(b"\n")
    return h.hexdigest()


def _adapter_config_hash(path: Path) -> bytes:
    """An adapter's config without where its base model happened to live (a path, not content)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return sha256_file(path).encode()
    data.pop("base_model_name_or_path", None)
    for key in ("target_modules", "modules_to_save"):
        if isinstance(data.get(key), list):
            data[key] = sorted(data[key])
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest().encode()
