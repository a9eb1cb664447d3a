"""The vocabulary and column contracts of valuedrift's long-format tables (see docs/design.md).

These tables are the single source of truth; every summary (stance trajectories, drift, reports) is
derived from them. Column names are relied on by checks outside the code: add, never rename.
"""

from __future__ import annotations

STANCES: tuple[str, ...] = ("support", "neutral", "oppose")
"""Stance labels s in S = {support, neutral, oppose}."""

OVERALL = "overall"
"""The category that pools all categories."""

CATEGORIES: tuple[str, ...] = (
    "abortion",
    "immigration",
    "climate_change",
    "economic_policy",
    "religion",
    "family_relationships",
    "death_penalty",
    "elections_parties",
    "gender_lgbtq",
    "race_racism",
    "war_conflict",
)
"""The 11 V-PRISM-style topics of the built-in prompt set (ids as used in ``prompts/vprism.jsonl``)."""

CHECKPOINT_KEY = ["run", "checkpoint", "stage", "algorithm", "step", "progress"]

GENERATION_COLUMNS: list[str] = [
    *CHECKPOINT_KEY,
    "prompt_id",
    "category",
    "sample",
    "seed",
    "question",
    "response",
    "n_tokens",
    "finish_reason",
]
"""Generations table: one row per (checkpoint, prompt, sample)."""

GENERATION_KEY = ["checkpoint", "prompt_id", "sample"]
"""The columns that identify one generation (and one judgment)."""

JUDGMENT_COLUMNS: list[str] = [
    *GENERATION_COLUMNS,
    "judge",
    "p_support",
    "p_neutral",
    "p_oppose",
    "label",
    "status",
    "raw",
]
"""Judgments table: the generation row plus the judge's distribution, label and status.

``status`` is ``ok`` or ``unscored``; an unscored row keeps the judge's raw output in ``raw`` and
has NaN probabilities and an empty label. It is never folded into a stance.
"""

JUDGMENT_STATUSES: tuple[str, ...] = ("ok", "unscored")

DRIFT_COLUMNS: list[str] = [
    "stage",
    "algorithm",
    "category",
    "stance",
    "v_start",
    "v_end",
    "v_peak",
    "magnitude",
    "drift_time",
    "ci_low",
    "ci_high",
    "n_prompts",
    "n_unscored",
]
"""Drift table: one row per (stage, category, stance)."""
