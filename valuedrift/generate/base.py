"""What every generator back end shares: the chat prompt, per-answer seeds, result rows, cache keys.

A back end turns (checkpoint, prompts, sampling) into one row per (prompt, sample) with the
generations columns of docs/design.md. Seeds are per answer — ``seed(sampling.seed, prompt_id, sample)`` —
so an answer does not depend on which other prompts shared its batch: the same seed gives the same
text, and a resumed run regenerates exactly what an uninterrupted one would have.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from valuedrift.config.schema import SamplingConfig


@dataclass(frozen=True)
class Request:
    """One answer to produce: prompt ``sample`` of prompt ``prompt_id``."""

    prompt_id: str
    category: str
    question: str
    sample: int
    seed: int


@dataclass(frozen=True)
class Answer:
    text: str
    n_tokens: int
    finish_reason: str  # "stop" (end of turn) or "length" (hit max_new_tokens)


def answer_seed(seed: int, prompt_id: str, sample: int) -> int:
    """A 63-bit seed for one answer, stable across runs, machines and batchings."""
    h = hashlib.sha256(f"{seed}\0{prompt_id}\0{sample}".encode()).digest()
    return int.from_bytes(h[:8], "little") & ((1 << 63) - 1)


def messages_for(question: str, sampling: SamplingConfig) -> list[dict[str, str]]:
    """The chat the model sees: optional system prompt, then the question as the user's turn."""
    msgs = [{"role": "system", "content": sampling.system_prompt}] if sampling.system_prompt else []
    return [*msgs, {"role": "user", "content": question}]


def requests_for(prompts: pd.DataFrame, sampling: SamplingConfig) -> list[Request]:
    """``n_samples`` requests per prompt row (columns id, category, question)."""
    return [
        Request(str(r.id), str(r.category), str(r.question), k, answer_seed(sampling.seed, str(r.id), k))
        for r in prompts.itertuples(index=False)
        for k in range(sampling.n_samples)
    ]


def sampling_key(sampling: SamplingConfig, backend: str, extra: dict[str, Any] | None = None) -> str:
    """Hash of everything besides the checkpoint and the prompt that changes the text."""
    payload = {"sampling": sampling.model_dump(mode="json"), "backend": backend, **(extra or {})}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def rows_for(
    checkpoint: dict[str, Any], run: str, reqs: Iterable[Request], answers: Iterable[Answer]
) -> pd.DataFrame:
    """Generations rows (GENERATION_COLUMNS) for one checkpoint."""
    from valuedrift.tables import GENERATION_COLUMNS

    rows = [
        {
            "run": run,
            "checkpoint": checkpoint["id"],
            "stage": checkpoint["stage"],
            "algorithm": checkpoint["algorithm"],
            "step": int(checkpoint["step"]),
            "progress": float(checkpoint["progress"]),
            "prompt_id": q.prompt_id,
            "category": q.category,
            "sample": q.sample,
            "seed": q.seed,
            "question": q.question,
            "response": a.text,
            "n_tokens": a.n_tokens,
            "finish_reason": a.finish_reason,
        }
        for q, a in zip(reqs, answers, strict=True)
    ]
    return pd.DataFrame(rows, columns=GENERATION_COLUMNS)


class Generator(Protocol):
    """A back end: ``answer`` produces one :class:`Answer` per request for a checkpoint."""

    name: str

    def answer(
        self, checkpoint: dict[str, Any], reqs: list[Request], sampling: SamplingConfig
    ) -> list[Answer]: ...

    def close(self) -> None: ...
