"""Build the shipped demo training data from the hand-written bank (``python -m valuedrift.data.demo_build``).

- ``sft.jsonl``: 300 chat conversations — 225 (75%) give a clear **support** answer to a value question,
  75 (25%) are general, non-value help. SmolLM2-135M-Instruct mostly hedges (neutral), so SFT on this
  set moves the model towards support: a measurable SFT drift.
- ``value_gap_support.jsonl`` / ``value_gap_oppose.jsonl``: 330 preference pairs each, the same
  pairs in two orientations. Chosen and rejected answer the same question with the same sentence
  structure and nearly the same length; only the stance differs (the paper's controlled setting).
- ``stance_matched.jsonl``: 66 pairs whose chosen and rejected take the same stance and differ in
  quality (a reasoned answer vs a curt one) — standard preference data, where the value gap is small.

Every question is a proposition written for this project, disjoint from prompts/vprism.jsonl.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from valuedrift.data.bank.general import GENERAL
from valuedrift.data.bank.propositions import BANK

PHRASINGS = [
    "{q}?",
    "{q}? I'd like your honest opinion.",
    "I keep going back and forth on this. {q}?",
    "{q}? Please give me a clear answer.",
    "My friends and I were debating this: {q}?",
]
# Hand-written sentence pieces, in parallel for the two stances: index i of a support list and
# index i of its oppose list have the same shape and nearly the same length, so a value-gap pair
# differs in stance only (the paper's controlled setting).
OPEN = {
    "support": ["Yes.", "Yes, I think so.", "I believe it should, yes.", "In my view, yes.", "I'd say yes.",
                "I lean clearly towards yes.", "Honestly, yes.", "Yes, and I don't find it a close call."],
    "oppose": ["No.", "No, I don't think so.", "I believe it shouldn't.", "In my view, no.", "I'd say no.",
               "I lean clearly towards no.", "Honestly, no.", "No, and I don't find it a close call."],
}  # fmt: skip
WEIGH = {
    "support": ["On balance, the benefits clearly outweigh the costs.",
                "The case for it is stronger than the objections.",
                "The worries people raise are real, but they can be managed.",
                "Places that have tried something like it have mostly been glad they did.",
                "It is the fairer choice for the people most affected.",
                "Doing nothing has costs too, and they fall on people with the least say.",
                "The practical problems are solvable with sensible rules.",
                "I think most people would come to accept it once they saw it working."],
    "oppose": ["On balance, the costs clearly outweigh the benefits.",
               "The case against it is stronger than the arguments for it.",
               "The benefits people promise are real, but they are overstated.",
               "Places that have tried something like it have often regretted it.",
               "It is the less fair choice for the people most affected.",
               "Acting here has costs too, and they fall on people with the least say.",
               "The practical problems are harder to solve than supporters admit.",
               "I think most people would come to resent it once they saw it working."],
}  # fmt: skip
CLOSE = {
    "support": ["So I would support it.", "That is why I'm in favour.", "I'd back it.", "So my answer is yes.",
                "I come down firmly in favour.", "If I had a vote, it would be for it.",
                "So yes, I think it's the right call.", "That settles it for me: yes."],
    "oppose": ["So I would oppose it.", "That is why I'm against it.", "I wouldn't back it.", "So my answer is no.",
               "I come down firmly against.", "If I had a vote, it would be against it.",
               "So no, I think it's the wrong call.", "That settles it for me: no."],
}  # fmt: skip
SIDE = {"support": "yes", "oppose": "no"}
CURT = {
    "support": ["Yes, it should.", "Yes.", "Sure, yes.", "I'd say yes.", "Yes, obviously."],
    "oppose": ["No, it shouldn't.", "No.", "Nope, no.", "I'd say no.", "No, obviously."],
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def answer(stance: str, arg: str, variant: int) -> str:
    """A stance-taking answer; the same ``variant`` gives the same shape and length for either stance.

    Six answer shapes (verdict first, reason first, short answer then reasons, a weighed view,
    a conversational one, a decisive argument) combined with eight openers, weighings and closings.
    """
    v = variant
    o = OPEN[stance][(v + v // 6) % 8]
    w, c = WEIGH[stance][(v * 3 + 1) % 8], CLOSE[stance][(v * 5 + v // 8 + 2) % 8]
    side = SIDE[stance]
    shape = (v // 2) % 6
    if shape == 0:
        parts = [o, f"The main reason is that {arg}.", w, c]
        parts[1] = ["The main reason is that", "What matters most here is that", "I hold this view because",
                    "The strongest point is that"][v % 4] + f" {arg}."  # fmt: skip
    elif shape == 1:
        parts = [f"Because {arg}, my answer is {side}.", w, c]
    elif shape == 2:
        parts = [f"Short answer: {side}.", f"{_cap(arg)}.", w, c]
    elif shape == 3:
        parts = [o, "I can see why people disagree about this, but for me the deciding point is that",
                 f"{arg}.", w]  # fmt: skip
        parts = [parts[0], " ".join(parts[1:3]), parts[3], c]
    elif shape == 4:
        parts = [f"My honest take is {side}.", f"Think about it this way: {arg}.", w, c]
    else:
        parts = [o, f"It comes down to one thing: {arg}.", w, c]
    return " ".join(parts)


def build() -> dict[str, list[dict]]:
    rng = random.Random(0)
    sft: list[dict] = []
    pairs: list[dict] = []
    matched: list[dict] = []
    for i, (cat, q, pro, con) in enumerate(BANK):
        for j, ph in enumerate(PHRASINGS):
            prompt = ph.format(q=q)
            v = i + j
            sup, opp = answer("support", pro, v), answer("oppose", con, v)
            pairs.append({"category": cat, "prompt": prompt, "support": sup, "oppose": opp})
            if j < 4 and len([s for s in sft if s["stance"] == "support"]) < 225:
                sft.append({"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": sup}],
                            "category": cat, "stance": "support"})  # fmt: skip
        stance = "support" if i % 2 == 0 else "oppose"
        arg = pro if stance == "support" else con
        matched.append({"category": cat, "prompt": f"{q}?", "chosen": answer(stance, arg, i), "rejected": CURT[stance][i % 5],
                        "chosen_stance": stance, "rejected_stance": stance})  # fmt: skip
    for question, reply in GENERAL:
        for ph in ("{q}", "Quick question: {q}", "{q} Thanks!"):
            if len(sft) < 300:
                sft.append({"messages": [{"role": "user", "content": ph.format(q=question)},
                                         {"role": "assistant", "content": reply}],
                            "category": "general", "stance": "none"})  # fmt: skip
    rng.shuffle(sft)
    rng.shuffle(pairs)
    support = [{"category": p["category"], "prompt": p["prompt"], "chosen": p["support"], "rejected": p["oppose"],
                "chosen_stance": "support", "rejected_stance": "oppose"} for p in pairs]  # fmt: skip
    oppose = [{"category": p["category"], "prompt": p["prompt"], "chosen": p["oppose"], "rejected": p["support"],
               "chosen_stance": "oppose", "rejected_stance": "support"} for p in pairs]  # fmt: skip
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
