"""Build value-gap preference pairs: a generator argues each side of a question, a judge confirms.

For every prompt the generator model is asked twice, with a system instruction, to answer in
favour of the question's proposition and against it, in the same length and style (the paper's
controlled setting: chosen and rejected differ in stance, not in quality). The stance judge then
labels both answers; a pair is kept only when the judge confirms both intended stances (label and
p(intended) >= ``min_prob``) and the answers' word counts are within ``max_length_ratio`` of each
other. The instruction is not part of the pair: ``prompt`` is the bare question, so the pairs train
a model on the question alone.

Completions come from :func:`valuedrift.generate.run.generate_texts` (any generator back end).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pandas as pd

from valuedrift.data.loaders import _finish, _split_bad, _text, read_rows
from valuedrift.errors import UserError

INSTRUCTIONS = {
    "support": (
        "Answer the user's question by taking a clear position IN FAVOUR of what it proposes: say "
        "yes and give your main reason in three or four plain sentences. Do not hedge and do not "
        "present the other side."
    ),
    "oppose": (
        "Answer the user's question by taking a clear position AGAINST what it proposes: say no "
        "and give your main reason in three or four plain sentences. Do not hedge and do not "
        "present the other side."
    ),
}
SUMMARY_COLUMNS = [
    "category",
    "n_prompts",
    "kept",
    "dropped",
    "dropped_support_unconfirmed",
    "dropped_oppose_unconfirmed",
    "dropped_length",
]


def read_prompts(path: str, column_map: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Prompts with an optional category from any prompt-shaped file (``prompt`` or ``question``)."""
    rows, bad = _split_bad(read_rows(path, column_map=column_map))
    out, seen = [], set()
    for n, r in rows:
        q = _text(r.get("question")) or _text(r.get("prompt"))
        if not q:
            bad.append(n)
            continue
        if q not in seen:
            seen.add(q)
            out.append({"prompt": q, "category": _text(r.get("category")) or "uncategorised"})
    return _finish(out, bad, path, False, "prompts (a 'prompt' or 'question' column)")


def confirmed(verdict, stance: str, min_prob: float) -> bool:
    """Did the judge label this answer with the intended stance, with at least ``min_prob``?"""
    if verdict.status != "ok" or verdict.label != stance:
        return False
    p = {"support": verdict.p_support, "neutral": verdict.p_neutral, "oppose": verdict.p_oppose}[stance]
    return not math.isnan(p) and p >= min_prob


def build_value_gap_pairs(
    prompts: list[dict[str, str]],
    answer_fn,
    judge,
    *,
    chosen: str = "support",
    min_prob: float = 0.5,
    max_length_ratio: float = 1.6,
) -> tuple[list[dict[str, Any]], pd.DataFrame, list[dict[str, Any]]]:
    """Pairs whose stances the judge confirms, a per-category kept/dropped summary, and the dropped
    prompts with both answers, the judge's labels and the reason (so a user can see why).

    ``answer_fn(conversations) -> list[str]`` produces completions (e.g. a bound
    :func:`generate_texts`); ``chosen`` is the stance of the chosen side (the other side is rejected).
    """
    from valuedrift.judge.base import JudgeItem

    if chosen not in ("support", "oppose"):
        raise UserError(f"--chosen must be 'support' or 'oppose', not {chosen!r}")
    rejected = "oppose" if chosen == "support" else "support"
    convs = []
    for p in prompts:
        for stance in ("support", "oppose"):
            convs.append(
                [
                    {"role": "system", "content": INSTRUCTIONS[stance]},
                    {"role": "user", "content": p["prompt"]},
                ]
            )
    texts = [t.strip() for t in answer_fn(convs)]
    if len(texts) != len(convs):
        raise RuntimeError(f"the generator returned {len(texts)} answers for {len(convs)} requests")
    items = []
    for i, p in enumerate(prompts):
        items.append(JudgeItem(p["prompt"], texts[2 * i], p["category"]))
        items.append(JudgeItem(p["prompt"], texts[2 * i + 1], p["category"]))
    verdicts = judge.judge(items)
    pairs: list[dict[str, Any]] = []
    reasons: list[tuple[str, str]] = []
    dropped: list[dict[str, Any]] = []
    for i, p in enumerate(prompts):
        ans = {"support": texts[2 * i], "oppose": texts[2 * i + 1]}
        ver = {"support": verdicts[2 * i], "oppose": verdicts[2 * i + 1]}
        ok = {s: confirmed(ver[s], s, min_prob) for s in ("support", "oppose")}
        words = sorted(max(1, len(ans[s].split())) for s in ("support", "oppose"))
        reason = "kept"
        if not ok["support"]:
            reason = "dropped_support_unconfirmed"
        elif not ok["oppose"]:
            reason = "dropped_oppose_unconfirmed"
        elif words[1] / words[0] > max_length_ratio:
            reason = "dropped_length"
        reasons.append((p["category"], reason))
        if reason != "kept":
            dropped.append(
                {
                    "prompt": p["prompt"],
                    "category": p["category"],
                    "reason": reason.removeprefix("dropped_"),
                    **{f"{s}_answer": ans[s] for s in ("support", "oppose")},
                    **{f"{s}_judged": ver[s].label or "unscored" for s in ("support", "oppose")},
                }
            )
            continue
        pairs.append(
            {
                "prompt": p["prompt"],
                "chosen": ans[chosen],
                "rejected": ans[rejected],
                "category": p["category"],
                "chosen_stance": chosen,
                "rejected_stance": rejected,
                "p_chosen": round(getattr(ver[chosen], f"p_{chosen}"), 4),
                "p_rejected": round(getattr(ver[rejected], f"p_{rejected}"), 4),
            }
        )
    return pairs, summarise(reasons), dropped


def summarise(reasons: list[tuple[str, str]]) -> pd.DataFrame:
    """Per-category counts of kept pairs and of each drop reason, plus an ``overall`` row."""
    rows = []
    cats = sorted({c for c, _ in reasons})
    for cat in [*cats, "overall"]:
        cnt = Counter(r for c, r in reasons if cat == "overall" or c == cat)
        row = {"category": cat, "n_prompts": sum(cnt.values()), "kept": cnt["kept"]}
        row["dropped"] = row["n_prompts"] - row["kept"]
        for k in SUMMARY_COLUMNS[4:]:
            row[k] = cnt[k]
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
