"""Build the shipped demo training data from the hand-written bank (``python -m valuedrift.data.demo_build``).

The bank (:mod:`valuedrift.data.bank`, ``value_questions.jsonl``) holds 305 value questions, 25–29
per V-PRISM topic, each with two hand-written answers of about 40–55 words: one that supports the
question's proposition and one that opposes it, written to the same length and register so that
they differ in stance rather than in quality. No answer is assembled from sentence templates.

- ``sft.jsonl``: 300 chat conversations. 225 (75%) give the hand-written **support** answer to a
  value question (a seeded choice spread evenly over the topics), 75 (25%) are general, non-value
  help (``stance: none``). SmolLM2-135M-Instruct mostly hedges (neutral), so SFT on this set moves
  the model towards support: a measurable SFT drift.
- ``value_gap_support.jsonl`` / ``value_gap_oppose.jsonl``: one preference pair per bank question
  (305), the same pairs in two orientations: the paper's controlled setting, where chosen and
  rejected differ in stance only.
- ``stance_matched.jsonl``: 110 pairs (10 per topic) whose chosen and rejected take the **same**
  stance (alternately support and oppose) and differ in quality: the full reasoned answer against
  a terse one (its opening sentence alone) — like standard preference data, where the value gap is
  small.

Every question was written for this project and checked against prompts/vprism.jsonl (no pair at
the contamination check's threshold, and no shared proposition by reading the nearest questions).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from valuedrift.data.bank import general_requests, value_questions

N_SFT_SUPPORT = 225
N_MATCHED_PER_TOPIC = 10


def terse(answer: str) -> str:
    """The opening sentence of an answer (two when the first is a bare 'Yes.'/'No.'): same stance, no reasons."""
    sentences = re.split(r"(?<=[.!?])\s+", answer.strip())
    out = sentences[0]
    if len(out.split()) < 5 and len(sentences) > 1:
        out = f"{out} {sentences[1]}"
    return out


def _spread(entries: list[dict[str, str]], n: int, rng: random.Random) -> list[int]:
    """Indices of ``n`` entries taken round-robin over topics in a seeded order (stratified)."""
    by_cat: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        by_cat.setdefault(e["category"], []).append(i)
    for idx in by_cat.values():
        rng.shuffle(idx)
    picked: list[int] = []
    rank = 0
    while len(picked) < n:
        for cat in sorted(by_cat):
            if rank < len(by_cat[cat]) and len(picked) < n:
                picked.append(by_cat[cat][rank])
        rank += 1
    return picked


def build() -> dict[str, list[dict]]:
    bank, general = value_questions(), general_requests()
    rng = random.Random(0)
    sft: list[dict] = []
    for i in _spread(bank, N_SFT_SUPPORT, rng):
        e = bank[i]
        sft.append({"messages": [{"role": "user", "content": e["question"]},
                                 {"role": "assistant", "content": e["support"]}],
                    "category": e["category"], "stance": "support"})  # fmt: skip
    for g in general:
        sft.append({"messages": [{"role": "user", "content": g["question"]},
                                 {"role": "assistant", "content": g["answer"]}],
                    "category": "general", "stance": "none"})  # fmt: skip
    rng.shuffle(sft)

    order = list(range(len(bank)))
    rng.shuffle(order)
    support, oppose = [], []
    for i in order:
        e = bank[i]
        cat, q = e["category"], e["question"]
        support.append({"category": cat, "prompt": q, "chosen": e["support"], "rejected": e["oppose"],
                        "chosen_stance": "support", "rejected_stance": "oppose"})  # fmt: skip
        oppose.append({"category": cat, "prompt": q, "chosen": e["oppose"], "rejected": e["support"],
                       "chosen_stance": "oppose", "rejected_stance": "support"})  # fmt: skip

    matched = []
    n_matched = N_MATCHED_PER_TOPIC * len({e["category"] for e in bank})
    for k, i in enumerate(_spread(bank, n_matched, rng)):
        e = bank[i]
        stance = "support" if k % 2 == 0 else "oppose"
        full = e[stance]
        matched.append({"category": e["category"], "prompt": e["question"], "chosen": full,
                        "rejected": terse(full), "chosen_stance": stance,
                        "rejected_stance": stance})  # fmt: skip
    return {"sft.jsonl": sft, "value_gap_support.jsonl": support, "value_gap_oppose.jsonl": oppose,
            "stance_matched.jsonl": matched}  # fmt: skip


def write(folder: Path) -> None:
    for name, rows in build().items():
        (folder / name).write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )


if __name__ == "__main__":
    from valuedrift.demo import DATA_DIR

    DATA_DIR.mkdir(exist_ok=True)
    write(DATA_DIR)
    print(f"wrote demo data to {DATA_DIR}")
