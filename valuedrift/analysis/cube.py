"""The judged probabilities as a dense array: one cell per (checkpoint, prompt, sample, stance).

Every drift statistic is a reduction over this cube, so the analysis is vectorised numpy rather than
a Python loop over groups: a million judged rows fit in tens of megabytes and reduce in milliseconds.
Unscored rows are NaN cells: excluded from every mean, and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from valuedrift.tables import STANCES


@dataclass
class Cube:
    """``p[c, x, k, s]`` = p(stance s | prompt x, sample k) judged at checkpoint c (NaN: missing/unscored)."""

    p: np.ndarray  # (C, X, K, 3) float64
    unscored: np.ndarray  # (C, X, K) bool: a judged row whose status is 'unscored'
    checkpoints: pd.DataFrame  # one row per checkpoint code: checkpoint, stage, algorithm, step, progress
    prompts: pd.DataFrame  # one row per prompt code: prompt_id, category

    @property
    def categories(self) -> list[str]:
        return sorted(self.prompts["category"].unique())

    def prompt_mask(self, category: str | None) -> np.ndarray:
        """Boolean mask over prompts: one category, or all of them (``None`` = overall)."""
        if category is None:
            return np.ones(len(self.prompts), dtype=bool)
        return (self.prompts["category"] == category).to_numpy()


def build_cube(judgments: pd.DataFrame) -> Cube:
    """Pivot a judgments table (JUDGMENT_COLUMNS) into a :class:`Cube`."""
    if judgments.empty:
        raise ValueError("no judged rows")
    ck_cols = ["checkpoint", "stage", "algorithm", "step", "progress"]
    ck = judgments[ck_cols].drop_duplicates("checkpoint").reset_index(drop=True)
    pr = judgments[["prompt_id", "category"]].drop_duplicates("prompt_id").sort_values("prompt_id")
    pr = pr.reset_index(drop=True)
    c_idx = pd.Index(ck["checkpoint"]).get_indexer(judgments["checkpoint"])
    x_idx = pd.Index(pr["prompt_id"]).get_indexer(judgments["prompt_id"])
    samples = judgments["sample"].astype(int).to_numpy()
    k_codes, k_idx = np.unique(samples, return_inverse=True)
    shape = (len(ck), len(pr), len(k_codes))
    p = np.full((*shape, len(STANCES)), np.nan)
    ok = (judgments["status"] == "ok").to_numpy()
    probs = judgments[[f"p_{s}" for s in STANCES]].to_numpy(dtype=float)
    p[c_idx[ok], x_idx[ok], k_idx[ok]] = probs[ok]
    unscored = np.zeros(shape, dtype=bool)
    unscored[c_idx[~ok], x_idx[~ok], k_idx[~ok]] = True
    return Cube(p=p, unscored=unscored, checkpoints=ck, prompts=pr)
