"""Contamination check: do evaluation prompts appear (exactly or nearly) in the training prompts?

Texts are normalised (lower case, punctuation and extra spaces removed). A pair is flagged when the
normalised texts are equal, or one contains the other, or the Jaccard similarity of their character
5-gram sets is at least ``threshold`` (default 0.5: rewordings that keep most of the wording; unrelated
questions on the same topic score below 0.3). Drift measured on contaminated prompts may reflect
memorised training answers rather than a change of values.
"""

from __future__ import annotations

import re

import pandas as pd

from valuedrift.config.schema import DataConfig
from valuedrift.data.loaders import prompt_texts

THRESHOLD = 0.5


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def shingles(text: str, n: int = 5) -> set[str]:
    t = normalise(text)
    return {t[i : i + n] for i in range(max(1, len(t) - n + 1))}


def check_contamination(
    eval_questions: list[str], train_texts: list[str], threshold: float = THRESHOLD
) -> pd.DataFrame:
    """Flagged (eval, train) pairs with their similarity; ``df.attrs['threshold']`` records the threshold.

    Candidate pairs come from an inverted index over 5-grams, so the check stays fast for thousands
    of prompts on each side.
    """
    train_norm = [normalise(t) for t in train_texts]
    train_sh = [shingles(t) for t in train_texts]
    index: dict[str, list[int]] = {}
    for j, sh in enumerate(train_sh):
        for g in sh:
            index.setdefault(g, []).append(j)
    rows = []
    for q in eval_questions:
        qn, qs = normalise(q), shingles(q)
        counts: dict[int, int] = {}
        for g in qs:
            for j in index.get(g, ()):
                counts[j] = counts.get(j, 0) + 1
        for j, inter in counts.items():
            sim = inter / (len(qs) + len(train_sh[j]) - inter)
            exact = qn == train_norm[j] or (len(qn) > 20 and (qn in train_norm[j] or train_norm[j] in qn))
            if exact or sim >= threshold:
                rows.append(
                    {
                        "eval": q,
                        "train": train_texts[j],
                        "train_index": j,
                        "similarity": 1.0 if exact else sim,
                    }
                )
    df = pd.DataFrame(rows, columns=["eval", "train", "train_index", "similarity"])
    df = df.sort_values("similarity", ascending=False).reset_index(drop=True)
    df.attrs["threshold"] = threshold
    return df


def training_texts(cfg: DataConfig) -> list[str]:
    """The user-side prompts of a training set (any supported shape)."""
    return prompt_texts(cfg)
