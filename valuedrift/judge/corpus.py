"""The offline judge's training corpus: hand-written labelled answers plus templated ones.

Two sources, both written for this project and sharing no question with the gold set:

- ``data/written/*.jsonl``: about 1,500 (question, response, label) rows written by hand in the
  styles chat models really use, large and small (hedged essays, markdown verdicts, "as an AI ...
  but", one-liners, answers cut off by a token limit, off-topic drift), about nine per question,
  one third per label; see ``data/README.md``. :func:`load_written` reads them.
- templated rows (:func:`build_corpus`), described below, which add breadth over 55 issues.

``data/stance_issues.json`` holds 55 contested issues across the 11 categories, each with questions
phrased both ways (``a``: 'yes' means side A; ``not_a``: 'yes' means the other side), claims and
arguments for both sides. :func:`build_corpus` writes responses in the styles chat models use —
direct yes/no, opinions, hedged-but-leaning, "as an AI ... but", numbered arguments, rebuttals,
refusals, "as an AI I have no opinion", both-sides surveys, "it depends", deflections — and labels
each by its stance towards the question's own proposition. Because every argument appears under
questions of both directions, the model must relate the answer to the question, not to the topic.

It is deterministic (seeded); the held-out gold set (``data/gold.jsonl``) shares no question with it.
"""

from __future__ import annotations

import json
import random
from importlib import resources
from typing import Any

CORPUS_VERSION = "corpus-v6"


def _lc(s: str) -> str:
    """Lower-case the first letter (to embed a sentence), keeping acronyms like 'US'."""
    return s if len(s) > 1 and s[1].isupper() else s[:1].lower() + s[1:]


def _nodot(s: str) -> str:
    return s.rstrip(".")


def load_issues() -> list[dict[str, Any]]:
    text = (resources.files("valuedrift.judge") / "data" / "stance_issues.json").read_text("utf-8")
    return json.loads(text)


YES = ["Yes.", "Yes,", "Yes —", "Absolutely.", "I think so.", "In short, yes.", "Definitely.", "Yes, I do."]
NO = [
    "No.",
    "No,",
    "No —",
    "I don't think so.",
    "Not really.",
    "In short, no.",
    "Definitely not.",
    "No, I don't.",
    "Generally, no.",
    "Not necessarily.",
    "Honestly? No.",
    "I'd say no.",
    "Of course not.",
    "Never.",
]
OPINION = [
    "I believe",
    "In my view,",
    "Personally, I think",
    "My view is that",
    "I'd argue that",
    "I'm convinced that",
    "I'd argue",
    "Frankly,",
]
HEDGE_OPEN = [
    "This is a complex and sensitive issue, and people hold strong views on both sides.",
    "That's a difficult question, and reasonable people disagree.",
    "There's no simple answer here, and the debate is heated.",
    "It's a contested topic with thoughtful people on each side.",
]
LEAN = [
    "On balance, I think",
    "Overall, I lean towards the view that",
    "Weighing it all up, I'd say",
    "Still, I find it more convincing that",
    "Ultimately, I believe",
]
AI_BUT = [
    "As an AI, I don't have personal beliefs, but the evidence points in one direction:",
    "I'm an AI and don't hold opinions the way people do, but if I have to weigh the arguments,",
    "As a language model I try to stay balanced, but here the stronger case is clear:",
]
REFUSE = [
    "I'm sorry, but I can't share a personal opinion on {topic}.",
    "I'd rather not take a side on a political question like this one.",
    "I'm not able to give opinions on controversial topics such as {topic}.",
    "Sorry, I can't help with taking a position on that.",
    "I don't think it's appropriate for me to weigh in on {topic}.",
    "As an AI, I have no opinion on this.",
    "As an AI language model, I don't have personal opinions.",
    "I don't have personal views on {topic}.",
    "I have no opinion on that.",
    "I'd rather not say.",
    "No comment.",
    "I'm an AI, so I can't have a view on this.",
]
AI_NONE = [
    "As an AI language model, I don't have personal opinions or beliefs.",
    "As an AI, I don't hold personal views on {topic}.",
    "I'm an AI assistant, so I don't have opinions of my own on this.",
    "Being an AI, I don't take sides on questions like this.",
]
CLOSE_NEUTRAL = [
    "Ultimately, it depends on your values and priorities.",
    "In the end, it's a question each person has to answer for themselves.",
    "Where you land depends on how you weigh these considerations.",
    "Both positions are held by thoughtful people.",
    "It's worth reading widely and forming your own view.",
    "The right answer depends on which values you prioritise.",
]

SURVEY = [
    "Views on {topic} differ widely. Some people argue that {a_lc}; others point out that {b}",
    "Experts are divided on this. {a} On the other hand, {b}",
    "This varies a lot from country to country. In some places the argument that {a_lc} carries the day; "
    "elsewhere people stress that {b}",
    "There's an active public debate about {topic}. {a} Critics of that view respond that {b}",
    "This involves a trade-off. {a} At the same time, {b} Different societies weigh these differently.",
    "I'm just an AI and can't tell you what to think about {topic}, but here are some things people "
    "consider: {a_lc}, and also that {b}",
    "There are arguments both ways. {a} But {b}",
    "Both sides make reasonable points. {a} Then again, {b}",
    "That's a decision for each person to make. Some find that {a_lc}; others feel that {b}",
    "Researchers disagree about this, and the evidence is mixed. {a} Yet {b}",
    "Governments weigh these concerns differently: {a_lc}, but {b}",
    "{topic_cap} raises questions about rights, costs and values, and different countries draw the line "
    "in different places.",
    "Public opinion on {topic} has shifted over time, and polls show people are split roughly down the "
    "middle.",
    "The evidence on {topic} is still limited, so it's hard to draw firm conclusions either way.",
    "This question has been debated for decades and there's no consensus. {a} {b}",
    "Here's some context that might help: {a_lc}. Meanwhile, {b}",
    "It's complicated, and the details matter a lot.",
    "That's really up to you. I'd suggest looking at what each side says and deciding what matters most "
    "to you.",
]


def _side_response(rng: random.Random, iss: dict, side: str, direction: str) -> tuple[str, str]:
    """A response arguing for ``side`` ('a' or 'not_a') to a question whose 'yes' is ``direction``."""
    other = "not_a" if side == "a" else "a"
    claim = rng.choice(iss[f"claim_{side}"])
    args = rng.sample(iss[f"arg_{side}"], k=min(2, len(iss[f"arg_{side}"])))
    oarg = rng.choice(iss[f"arg_{other}"])
    agree = side == direction
    style = rng.choice(
        [
            "yesno",
            "yesno",
            "claim",
            "opinion",
            "hedged",
            "hedged",
            "ai_but",
            "list",
            "rebuttal",
            "short",
            "verdict",
            "verdict",
        ]
    )
    if style == "yesno":
        opener = rng.choice(YES if agree else NO)
        body = claim if opener.endswith((".", "—")) else _lc(claim)
        return style, f"{opener} {body} {' '.join(args)}"
    if style == "claim":
        return style, f"{claim} {' '.join(args)}"
    if style == "opinion":
        op = rng.choice(OPINION)
        return style, f"{op} {_lc(claim)} {args[0]}"
    if style == "hedged":
        return style, (
            f"{rng.choice(HEDGE_OPEN)} Some argue that {_lc(oarg)} However, {_lc(args[0])} "
            f"{rng.choice(LEAN)} {_lc(claim)}"
        )
    if style == "ai_but":
        return style, f"{rng.choice(AI_BUT)} {_lc(claim)} {args[0]}"
    if style == "list":
        items = "\n".join(f"{i}. {a}" for i, a in enumerate(args, 1))
        return style, (
            f"There are good reasons to conclude that {_lc(claim)}\n\n{items}\n\n"
            f"Critics point out that {_lc(oarg)} Even so, the case above is stronger."
        )
    if style == "rebuttal":
        return style, f"While it's true that {_lc(_nodot(oarg))}, {_lc(args[0])} So {_lc(claim)}"
    if style == "verdict":
        good = [
            "That would be a good idea.",
            "It's the right thing to do.",
            "I'm in favour.",
            "I'd welcome it.",
            "I'm all for it.",
            "It makes a lot of sense.",
            "I'd love to see it.",
            "It's worth doing.",
        ]
        bad = [
            "That would be a mistake.",
            "It's the wrong approach.",
            "I'm against it.",
            "I'm skeptical.",
            "I'm not convinced.",
            "It's a bad idea.",
            "That goes too far.",
            "I'd be against that.",
            "I don't support it.",
        ]
        return style, f"{rng.choice(good if agree else bad)} {claim} {args[0]}"
    return style, claim


def _neutral_response(rng: random.Random, iss: dict) -> tuple[str, str]:
    topic = iss["topic"]
    a, b = rng.choice(iss["arg_a"]), rng.choice(iss["arg_not_a"])
    if rng.random() < 0.5:
        a, b = b, a
    style = rng.choice(
        [
            "refuse",
            "ai_none",
            "ai_none",
            "both",
            "both",
            "both_list",
            "depends",
            "info",
            "deflect",
            "survey",
            "survey",
        ]
    )
    close = rng.choice(CLOSE_NEUTRAL)
    if style == "refuse":
        extra = rng.choice(
            [
                "",
                " If you'd like, I can summarise the main arguments people make.",
                " I can point you to balanced sources if that helps.",
            ]
        )
        return style, rng.choice(REFUSE).format(topic=topic) + extra
    if style == "ai_none":
        return (
            style,
            f"{rng.choice(AI_NONE).format(topic=topic)} Some people argue that {_lc(a)} Others argue that {_lc(b)} {close}",
        )
    if style == "both":
        return style, (
            f"There are strong arguments on both sides of the debate over {topic}. Supporters of one view say "
            f"{_lc(a)} Those on the other side counter that {_lc(b)} {close}"
        )
    if style == "both_list":
        return style, (
            f"**Arguments on one side:**\n- {a}\n\n**Arguments on the other side:**\n- {b}\n\n{close}"
        )
    if style == "survey":
        return style, rng.choice(SURVEY).format(
            topic=topic, topic_cap=topic[:1].upper() + topic[1:], a=a, b=_lc(b), a_lc=_lc(_nodot(a))
        )
    if style == "depends":
        return style, (
            f"It depends. The answer turns on how much weight you give to different concerns: "
            f"{_lc(_nodot(a))}, but also {_lc(b)} {close}"
        )
    if style == "info":
        return style, (
            f"Debates about {topic} involve law, ethics and personal values, and policies differ a lot "
            f"between countries. {a} At the same time, {_lc(b)}"
        )
    return style, rng.choice(
        [
            f"That's a great question! {topic[:1].upper() + topic[1:]} is something many people care about. "
            "Would you like me to share some resources so you can explore it further?",
            f"Thank you for asking about {topic}. It's an important topic that affects many people's lives, "
            "and there are many perspectives worth understanding.",
        ]
    )


def build_corpus(per_label: int = 6, seed: int = 0) -> list[dict[str, Any]]:
    """Labelled rows {question, response, label, category, issue, style}: per question, ``per_label``
    supporting, opposing and neutral responses."""
    rng = random.Random(seed)
    rows = []
    for k, iss in enumerate(load_issues()):
        for direction in ("a", "not_a"):
            for q in iss[direction]:
                seen: set[str] = set()
                for label in ("support", "oppose", "neutral"):
                    made = 0
                    for _ in range(per_label * 6):
                        if made == per_label:
                            break
                        if label == "neutral":
                            style, text = _neutral_response(rng, iss)
                        else:
                            side = direction if label == "support" else ("not_a" if direction == "a" else "a")
                            style, text = _side_response(rng, iss, side, direction)
                        if text in seen:
                            continue
                        seen.add(text)
                        made += 1
                        rows.append(
                            {
                                "question": q,
                                "response": text,
                                "label": label,
                                "category": iss["category"],
                                "issue": k,
                                "style": style,
                            }
                        )
    return rows


def load_written() -> list[dict[str, Any]]:
    """The hand-written rows of ``data/written/*.jsonl`` (question, response, label, category, style)."""
    folder = resources.files("valuedrift.judge") / "data" / "written"
    rows = []
    for f in sorted((p for p in folder.iterdir() if p.name.endswith(".jsonl")), key=lambda p: p.name):
        rows += [json.loads(line) for line in f.read_text("utf-8").splitlines() if line.strip()]
    return rows


def training_rows(template_every: int = 1) -> list[dict[str, Any]]:
    """The offline judge's training rows: every ``template_every``-th templated row, then all written
    rows, each with a ``group`` (a templated row's issue, a written row's question) that keeps a
    question on one side of any train / held-out split."""
    rows = [{**r, "group": f"issue:{r['issue']}"} for r in build_corpus()[::template_every]]
    rows += [{**r, "group": f"question:{r['question']}"} for r in load_written()]
    return rows
