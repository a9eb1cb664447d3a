"""The hand-written bank behind the demo training data, stored as JSONL next to this file.

- ``value_questions.jsonl``: 305 value questions, one record per question
  ``{"category", "question", "support", "oppose"}``: an answer that supports the question's
  proposition and one that opposes it, written to about the same length and register so that they
  differ in stance rather than in quality. The questions are disjoint from prompts/vprism.jsonl.
- ``general_requests.jsonl``: 75 general, non-value requests, ``{"question", "answer"}``.

Everything was written for this project. The order of the records matters:
:mod:`valuedrift.data.demo_build` draws from them with a seeded shuffle, so reordering or adding
records changes the shipped demo files (re-run the builder and commit both).
"""

from __future__ import annotations

import json
from pathlib import Path

BANK_DIR = Path(__file__).parent


def _records(name: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    path = BANK_DIR / name
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        if set(record) != set(fields):
            raise ValueError(f"{path}:{n}: expected the fields {fields}, got {tuple(record)}")
        out.append(record)
    return out


def value_questions() -> list[dict[str, str]]:
    """The value questions in file order: ``category``, ``question``, ``support``, ``oppose``."""
    return _records("value_questions.jsonl", ("category", "question", "support", "oppose"))


def general_requests() -> list[dict[str, str]]:
    """The general, non-value requests in file order: ``question``, ``answer``."""
    return _records("general_requests.jsonl", ("question", "answer"))
