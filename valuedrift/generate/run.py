"""``generate_run``: sample every checkpoint's answers into the run's generations table.

One part per checkpoint (``generations/<checkpoint>.parquet``) is written atomically when that
checkpoint is complete; a re-run skips complete parts and takes cached answers for anything else it
has seen (same weights, chat and sampling), so it generates nothing new. A broken checkpoint is
reported by name after the others are done; their results are kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from valuedrift.config.schema import GenerationConfig, SamplingConfig
from valuedrift.errors import ExternalFailure, UserError
from valuedrift.generate.base import Request, messages_for, requests_for, rows_for, sampling_key
from valuedrift.generate.cache import GenerationCache, row_key, weights_key
from valuedrift.generate.registry import get_generator
from valuedrift.rundir import RunDir

log = logging.getLogger(__name__)


def resolve_entry(entry: dict[str, Any], root: Path) -> dict[str, Any]:
    """Make a manifest entry's relative local paths absolute (relative to ``root``)."""
    e = dict(entry)
    for key in ("path", "base"):
        v = e.get(key)
        if v and not Path(v).is_absolute() and (root / v).exists():
            e[key] = str((root / v).resolve())
    return e


class CountingGenerator:
    """Wraps a back end with the cache: only answers missing from the cache reach the model."""

    def __init__(
        self,
        backend,
        cache: GenerationCache,
        base_model: str,
        sampling: SamplingConfig,
        known: dict[str, str] | None = None,
    ):
        self.backend = backend
        self.known = known or {}  # resolved full-checkpoint folder -> manifest sha256
        self.cache = cache
        self.base_model = base_model
        self.sampling = sampling
        self.skey = sampling_key(sampling, backend.name, {"tag": getattr(backend, "cache_tag", None)})
        self.generated = 0  # answers produced by the model (not the cache)
        self.tokens = 0

    def answer(self, entry: dict[str, Any], reqs: list[Request], on_chunk=None):
        """Answers for ``reqs`` (cached ones from the cache). Missing ones are generated in chunks of
        about :data:`CHUNK` answers on whole prompts, each cached when done, so a run killed inside
        a long checkpoint resumes from its last chunk. ``on_chunk(n_answers)`` reports progress."""
        try:
            wkey = weights_key(entry, self.base_model, self.known)
        except UserError as e:  # e.g. an adapter's base folder is gone
            raise UserError(f"checkpoint {entry['id']}: {e.line()}") from e
        keys = [row_key(repr(messages_for(r.question, self.sampling)), r.seed) for r in reqs]
        cached = self.cache.get(wkey, self.skey, keys)
        todo = [i for i, k in enumerate(keys) if k not in cached]
        if on_chunk and len(reqs) > len(todo):
            on_chunk(len(reqs) - len(todo))
        for chunk in _chunks(todo, reqs):
            fresh = self.backend.answer(entry, [reqs[i] for i in chunk], self.sampling)
            self.generated += len(fresh)
            self.tokens += sum(a.n_tokens for a in fresh)
            new = {keys[i]: a for i, a in zip(chunk, fresh, strict=True)}
            self.cache.put(wkey, self.skey, new)
            cached.update(new)
            if on_chunk:
                on_chunk(len(chunk))
        return [cached[k] for k in keys]


CHUNK = 256  # answers per cached chunk: large enough to fill a batch, small enough to lose little


def _chunks(todo: list[int], reqs: list[Request]) -> list[list[int]]:
    """Split request indices into chunks of about CHUNK answers, never splitting a prompt's samples
    (the vllm back end draws a prompt's n samples in one request)."""
    by_prompt: dict[str, list[int]] = {}
    for i in todo:
        by_prompt.setdefault(reqs[i].prompt_id, []).append(i)
    out: list[list[int]] = []
    for group in by_prompt.values():
        if not out or len(out[-1]) >= CHUNK:
            out.append([])
        out[-1].extend(group)
    return out


def _load_prompts(cfg: GenerationConfig) -> pd.DataFrame:
    from valuedrift.data.loaders import load_prompts

    prompts = load_prompts(cfg.prompts)
    if prompts.empty:
        raise UserError("no evaluation prompts selected (check generation.prompts)")
    return prompts


ProgressFn = Callable[[int, int, str], None]
"""``on_progress(done, total, description)``: answers done of all to do, and what is being sampled
(checkpoint k/N, tokens per second). The CLI draws it as a progress bar; any callable will do."""


def generate_run(
    run: RunDir,
    exp,
    manifest: dict[str, Any] | None = None,
    *,
    cache: GenerationCache | None = None,
    backend=None,
    on_progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Generate every missing checkpoint part of ``run``; return counts (generated, skipped, failed)."""
    manifest = manifest or run.read_manifest()
    cfg: GenerationConfig = exp.generation
    prompts = _load_prompts(cfg)
    base_model = manifest["base_model"]
    entries = [resolve_entry(e, run.path) for e in manifest["checkpoints"]]
    todo = [e for e in entries if not run.has_part("generations", e["id"])]
    stats: dict[str, Any] = {"checkpoints": len(entries), "skipped": len(entries) - len(todo), "failed": []}
    if not todo:
        stats.update(generated=0, tokens=0)
        return stats
    backend = backend or get_generator(
        cfg,
        base_model=base_model,
        device=getattr(exp, "device", "auto"),
        **({"trust_remote_code": exp.base_model.trust_remote_code} if cfg.backend == "hf" else {}),
    )
    known = {
        str(Path(e["path"]).resolve()): e["sha256"]
        for e in entries
        if e.get("sha256") and not e.get("adapter") and Path(e["path"]).is_dir()
    }
    gen = CountingGenerator(backend, cache or GenerationCache(), base_model, cfg.sampling, known)
    reqs = requests_for(prompts, cfg.sampling)
    t0 = time.perf_counter()
    total = len(todo) * len(reqs)
    done = 0
    where = ""

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if on_progress:
            elapsed = time.perf_counter() - t0
            tps = f"{gen.tokens / elapsed:.0f}" if elapsed > 0 and gen.tokens else "—"
            on_progress(done, total, f"{where} {tps} tok/s")

    try:
        for k, entry in enumerate(todo, 1):
            where = f"checkpoint {k}/{len(todo)} {entry['id']}"
            advance(0)
            start = done
            try:
                answers = gen.answer(entry, reqs, advance)
            except ExternalFailure:
                raise  # a server or disk problem: the next checkpoints would fail alike
            except UserError as e:
                log.error("%s", e.line())
                stats["failed"].append(e.line())
                advance(start + len(reqs) - done)
                continue
            run.write_part(
                "generations",
                entry["id"],
                rows_for(entry, manifest.get("run", run.path.name), reqs, answers),
            )
    finally:
        backend.close()
    stats.update(generated=gen.generated, tokens=gen.tokens, seconds=round(time.perf_counter() - t0, 2))
    if stats["failed"]:
        first = stats["failed"][0]
        more = f" (+{len(stats['failed']) - 1} more)" if len(stats["failed"]) > 1 else ""
        raise UserError(f"{first}{more}; the other checkpoints' generations are saved")
    return stats


def generate_texts(
    cfg: GenerationConfig,
    model: str,
    conversations: list[list[dict[str, str]]],
    sampling: SamplingConfig,
    *,
    device: str = "auto",
) -> list[str]:
    """Completions for chat ``conversations`` with one model (for tools like ``data value-gap``)."""
    from valuedrift.generate.base import answer_seed

    backend = get_generator(cfg, base_model=model, device=device)
    seeds = [answer_seed(sampling.seed, str(i), 0) for i in range(len(conversations))]
    entry = {
        "id": "model/step-0",
        "stage": "model",
        "algorithm": "base",
        "step": 0,
        "progress": 0.0,
        "path": str(model),
        "adapter": False,
    }
    if hasattr(backend, "generate_chats"):
        from valuedrift.models import resolve

        entry["path"] = str(resolve(model))
        backend.activate(entry)
        answers = backend.generate_chats(conversations, seeds, sampling)
    else:
        reqs = [
            Request(str(i), "", c[-1]["content"], 0, s)
            for i, (c, s) in enumerate(zip(conversations, seeds, strict=True))
        ]
        answers = backend.answer(entry, reqs, sampling)
    backend.close()
    return [a.text for a in answers]
