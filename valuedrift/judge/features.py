"""Answer-shape cues for the offline judge: how a chat answer signals its stance in its wording.

Frozen sentence embeddings tell refusals and surveys from argued answers well, but they barely see
*direction* ("Yes." vs "No." are one token in a long answer). These cues make the common ways of
answering a yes/no question explicit — a yes-type or no-type opening or closing, "I'm against it",
"that would be a mistake", a negated modal ("should not", "isn't"), disclaimers ("as an AI", "it
depends", "experts are divided") — and the classifier learns their weights from the corpus.
"""

from __future__ import annotations

import re

_YES_OPEN = re.compile(
    r"^\W*(yes|yeah|yep|absolutely|definitely|certainly|of course|sure|indeed|i think so|i believe so|"
    r"i do\b|i'?d say yes|i would say yes|in short, yes|honestly\W+yes|generally,? yes|often,? yes)",
    re.I,
)
_NO_OPEN = re.compile(
    r"^\W*(no\b(?!\s+(one|longer|doubt|matter|single|evidence|country|government|system)\b)|nope|"
    r"not really|not necessarily|not at all|absolutely not|definitely not|certainly not|of course not|"
    r"never\b|i don'?t think so|i do not think so|i don'?t believe so|i'?d say no|i would say no|"
    r"in short, no|honestly\W+no|generally,? no)",
    re.I,
)
_YES_ANY = re.compile(r"(,|\?|—|-)\s*yes\b|\byes[.!]", re.I)
_NO_ANY = re.compile(r"(,|\?|—|-)\s*no[.!]|\bno[.!]\s*$", re.I)
_FAVOUR = re.compile(
    r"\b(i'?m in favou?r|i support|i'?m for it|good idea|the right (call|thing|approach|choice)|i agree|"
    r"should absolutely|is justified|is the right|makes (a lot of )?sense|i'?d welcome|all for it|"
    r"love to see|worth doing|good (practice|thing)|i'?d support)\b",
    re.I,
)
_AGAINST = re.compile(
    r"\b(i'?m against|i oppose|bad idea|a mistake|the wrong (approach|call|choice)|i disagree|goes too far|"
    r"would be wrong|do more harm than good|not wise|backfire|is weak|i'?m skeptical|not convinced|"
    r"too risky|i'?d be against|i don'?t support|far too)\b",
    re.I,
)
_NEG = re.compile(
    r"\b(should not|shouldn'?t|should never|must not|mustn'?t|cannot|can'?t|is not|isn'?t|are not|"
    r"aren'?t|don'?t think|do not think|don'?t believe|won'?t|would not|wouldn'?t)\b",
    re.I,
)
_NEUTRAL = re.compile(
    r"\b(as an ai|language model|i'?m an ai|just an ai|don'?t (have|hold) (personal )?(opinions|views|beliefs)|"
    r"can'?t (share|give|offer|take|tell)|not able to|both sides|both ways|it depends|depends on|"
    r"there are arguments|people disagree|views differ|opinions differ|debated?|divided|disagree about|"
    r"no consensus|personal decision|decision for|i'?m sorry|varies|trade-off|mixed)\b",
    re.I,
)
_ATTRIBUTION = re.compile(
    r"\b(some (people |experts |critics |argue|say|believe|find|see)|others|supporters|critics|opponents|"
    r"proponents|advocates|skeptics|many people|economists|researchers|scientists|experts)\b",
    re.I,
)
_FIRST_PERSON = re.compile(
    r"\b(i think|i believe|i'?d (argue|say)|in my view|personally|i'?m (convinced|sure))\b", re.I
)
_LEAN = re.compile(r"\b(on balance|overall|ultimately|still|even so|but|however|that said)\b", re.I)
_SENT = re.compile(r"(?<=[.!?])\s+|\n+")

N_CUES = 15


def sentences(text: str) -> list[str]:
    """Sentences (or lines) of a response; the whole text if it has none."""
    out = [s.strip() for s in _SENT.split(text.strip()) if s.strip()]
    return out or [text]


def cues(response: str) -> list[float]:
    """The ``N_CUES`` answer-shape cues of one response, each in [0, 1]."""
    s = sentences(response)
    first, last = s[0], s[-1]
    f = [
        bool(_YES_OPEN.search(first)),
        bool(_NO_OPEN.search(first)),
        bool(_YES_ANY.search(first)),
        bool(_NO_ANY.search(first)),
        bool(_YES_ANY.search(last) or _YES_OPEN.search(last)),
        bool(_NO_ANY.search(last) or _NO_OPEN.search(last)),
        bool(_FAVOUR.search(response)),
        bool(_AGAINST.search(response)),
        bool(_NEG.search(first)),
        bool(_NEG.search(last)),
        min(3, len(_NEUTRAL.findall(response))) / 3,
        bool(_LEAN.search(last)),
        min(len(s), 10) / 10,
        min(3, len(_ATTRIBUTION.findall(response))) / 3,
        bool(_FIRST_PERSON.search(response)),
    ]
    return [float(x) for x in f]


_NEG_ACTION = re.compile(
    r"\b(ban(ned|s)?|abolish(ed)?|end(ed)?|cut|reduced?|restrict(ed)?|remove[ds]?|prohibit(ed)?|"
    r"limit(ed)?|cap(ped)?|outlaw(ed)?|phased? out|barred|bar|stop(ped)?|drop(ped)?|deport(ed)?|"
    r"defund(ed)?|break up|eliminat(e|ed)|forbid(den)?|criminali[sz]e[ds]?|a crime|illegal|kept (away|out)|"
    r"stay out|destroy|take .* away|hurt|harm(ful)?|wrong|bad( for| idea)?|spared|overhyped|exaggerated|overstated|myth|waste|"
    r"outdated|unfair|cruel|mistake|selfish|dangerous|immoral|inhumane|suppress)\b",
    re.I,
)


def question_polarity(question: str) -> float:
    """+1 when 'yes' to the question endorses the thing it names (allow, keep, raise, "is X good?"),
    -1 when 'yes' rejects it (ban, abolish, cut, "is X harmful?"); from a small lexicon.

    A response's evaluative tone towards the thing discussed, multiplied by this sign, is its stance
    towards the question's proposition; the classifier gets both the features and their product.
    """
    return -1.0 if _NEG_ACTION.search(question) else 1.0
