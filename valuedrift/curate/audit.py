"""Value-gap audit of a preference set: how far apart are the stances of chosen and rejected?

The paper's controlled experiments find that preference optimisation moves a model's values only
when the chosen and rejected responses of its pairs differ in stance (a *value gap*); in standard
preference data they mostly share a stance and differ in style. The audit measures that gap with a
stance judge: for every pair, p(s | prompt, response, topic) of the chosen and of the rejected reply,
s in S = {support, neutral, oppose}. Per category T:

- ``chosen_s`` = mean over pairs of p(s | x, y_chosen, T); ``rejected_s`` likewise;
- ``gap_s`` = chosen_s − rejected_s (signed: > 0 means the chosen side leans to s);
- ``value_gap`` = ½ Σ_s |gap_s|, the total-variation distance between the two mean stance
  distributions, in [0, 1] (0: the same distribution; 1: disjoint stances);
- ``pair_gap`` = mean over pairs of ½ Σ_s |p_chosen(s) − p_rejected(s)|, which also counts gaps that
  cancel in the means (half the pairs support-over-oppose, half oppose-over-support).

Pairs where either verdict is ``unscored`` are excluded and counted (``n_unscored``). The pool of all
categories is the row ``overall``.
"""

from __future__ import annotations

import math

import pandas as pd

from valuedrift.curate.contamination import check_contamination
from valuedrift.tables import STANCES

AUDIT_COLUMNS = [
    "category",
    "n_pairs",
    "n_unscored",
    *[f"chosen_{s}" for s in STANCES],
    *[f"rejected_{s}" for s in STANCES],
    *[f"gap_{s}" for s in STANCES],
    "value_gap",
    "pair_gap",
    "chosen_majority",
    "rejected_majority",
]


def judge_pairs(pairs: list[dict], judge) -> pd.DataFrame:
    """One row per pair: prompt, category and the judge's probabilities for chosen and rejected."""
    from valuedrift.judge.base import JudgeItem

    items = []
    for p in pairs:
        cat = p.get("category") or None
        items.append(JudgeItem(p["prompt"], p["chosen"], cat))
        items.append(JudgeItem(p["prompt"], p["rejected"], cat))
    verdicts = judge.judge(items)
    rows = []
    for i, p in enumerate(pairs):
        vc, vr = verdicts[2 * i], verdicts[2 * i + 1]
        row = {"prompt": p["prompt"], "category": p.get("category") or "uncategorised"}
        for side, v in (("chosen", vc), ("rejected", vr)):
            row.update({f"{side}_{s}": x for s, x in zip(STANCES, v.probs, strict=True)})
            row[f"{side}_label"] = v.label if v.status == "ok" else ""
        row["scored"] = vc.status == "ok" and vr.status == "ok"
        rows.append(row)
    return pd.DataFrame(rows)


def _summary(cat: str, g: pd.DataFrame) -> dict:
    ok = g[g["scored"]]
    row: dict = {"category": cat, "n_pairs": len(ok), "n_unscored": int((~g["scored"]).sum())}
    for side in ("chosen", "rejected"):
        for s in STANCES:
            row[f"{side}_{s}"] = float(ok[f"{side}_{s}"].mean()) if len(ok) else math.nan
    for s in STANCES:
        row[f"gap_{s}"] = row[f"chosen_{s}"] - row[f"rejected_{s}"]
    row["value_gap"] = 0.5 * sum(abs(row[f"gap_{s}"]) for s in STANCES)
    if len(ok):
        per_pair = 0.5 * sum((ok[f"chosen_{s}"] - ok[f"rejected_{s}"]).abs() for s in STANCES)
        row["pair_gap"] = float(per_pair.mean())
        for side in ("chosen", "rejected"):
            row[f"{side}_majority"] = ok[f"{side}_label"].value_counts().idxmax()
    else:
        row["pair_gap"] = math.nan
        row["chosen_majority"] = row["rejected_majority"] = ""
    return row


def summarise(judged: pd.DataFrame) -> pd.DataFrame:
    """Per-category and ``overall`` stance distributions of chosen and rejected, and their gap."""
    rows = [_summary(str(c), g) for c, g in judged.groupby("category", sort=True)]
    rows.append(_summary("overall", judged))
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def audit_pairs(pairs: list[dict], judge, eval_questions: list[str] | None = None) -> dict:
    """Judge a preference set and summarise its value gap; with ``eval_questions``, also check the
    pairs' prompts against them for contamination.

    Returns ``{"table": DataFrame (AUDIT_COLUMNS), "pairs": per-pair DataFrame,
    "contamination": DataFrame or None}``.
    """
    judged = judge_pairs(pairs, judge)
    out: dict = {"table": summarise(judged), "pairs": judged, "contamination": None}
    if eval_questions is not None:
        prompts = list(dict.fromkeys(p["prompt"] for p in pairs))
        out["contamination"] = check_contamination(eval_questions, prompts)
    return out
