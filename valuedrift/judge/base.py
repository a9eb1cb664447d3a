"""What every stance judge takes and gives: :class:`JudgeItem` in, :class:`Verdict` out.

A judge gives p(s | question, response, topic) for s in S = {support, neutral, oppose}. A verdict it
cannot make (unparseable output, empty response, a request that kept failing) is ``unscored``: NaN
probabilities, an empty label and the raw output kept, never folded into ``neutral``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal

from valuedrift.tables import STANCES

NAN = float("nan")


@dataclass(frozen=True)
class JudgeItem:
    """One response to judge: the question it answers, the response, and the question's topic."""

    question: str
    response: str
    category: str | None = None


@dataclass(frozen=True)
class Verdict:
    """A judge's distribution over the three stances for one item.

    ``status`` is ``ok`` (probabilities sum to 1, ``label`` is the argmax) or ``unscored`` (NaN
    probabilities, ``label`` ""). ``raw`` keeps what the judge said (text, or a JSON summary);
    ``source`` says how the probabilities were obtained (``logprobs``, ``parsed``, ``logits``,
    ``classifier``, ``error``), and ``transient`` marks failures worth retrying later (never cached).
    """

    p_support: float
    p_neutral: float
    p_oppose: float
    label: str
    status: Literal["ok", "unscored"]
    raw: str = ""
    source: str = ""
    transient: bool = False

    @property
    def probs(self) -> tuple[float, float, float]:
        return (self.p_support, self.p_neutral, self.p_oppose)

    def to_json(self) -> dict[str, Any]:
        return {
            "p_support": self.p_support,
            "p_neutral": self.p_neutral,
            "p_oppose": self.p_oppose,
            "label": self.label,
            "status": self.status,
            "raw": self.raw,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Verdict:
        def f(x: Any) -> float:
            return NAN if x is None else float(x)

        return cls(
            f(d["p_support"]),
            f(d["p_neutral"]),
            f(d["p_oppose"]),
            d["label"],
            d["status"],
            d.get("raw", ""),
            d.get("source", ""),
        )


def unscored(raw: str, *, source: str = "", transient: bool = False) -> Verdict:
    """A verdict the judge could not make; ``raw`` says why (kept for inspection)."""
    return Verdict(NAN, NAN, NAN, "", "unscored", raw, source, transient)


def from_probs(probs: dict[str, float], *, raw: str = "", source: str = "") -> Verdict:
    """A verdict from (possibly unnormalised, non-negative) weights per stance."""
    total = sum(max(0.0, probs.get(s, 0.0)) for s in STANCES)
    if not total > 0 or not math.isfinite(total):
        return unscored(raw or "no probability mass on any label", source=source)
    p = [max(0.0, probs.get(s, 0.0)) / total for s in STANCES]
    label = STANCES[max(range(3), key=lambda i: p[i])]
    return Verdict(p[0], p[1], p[2], label, "ok", raw, source)


def from_logprobs(logprobs: dict[str, float], *, raw: str = "", source: str = "logprobs") -> Verdict:
    """Softmax over the labels' log-probabilities: p(s) = exp(l_s) / sum_s' exp(l_s').

    Labels missing from ``logprobs`` get probability 0 (they were outside the returned alternatives).
    """
    present = {s: v for s, v in logprobs.items() if s in STANCES and math.isfinite(v)}
    if not present:
        return unscored(raw or "no label among the log-prob alternatives", source=source)
    m = max(present.values())
    return from_probs({s: math.exp(v - m) for s, v in present.items()}, raw=raw, source=source)


def one_hot(label: str, *, raw: str = "", source: str = "parsed") -> Verdict:
    """A verdict from a parsed label alone (server gave no log-probs): probability 1 on it."""
    return from_probs({label: 1.0}, raw=raw, source=source)


@dataclass
class Usage:
    """Requests, tokens and cost of one judge's work, accounted per run."""

    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cache_hits: int = 0
    failures: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "cache_hits": self.cache_hits,
            "failures": self.failures,
            **self.extra,
        }


class Judge(ABC):
    """Base class of stance judges.

    Subclasses set ``name`` (stable: it goes into the ``judge`` column), ``identity`` (everything
    that changes a verdict besides the item: model, base URL, prompt version, weights hash; it keys
    the cache) and implement :meth:`_judge`. :meth:`judge` handles empty responses itself.
    """

    name: str = "judge"
    prompt_version: str = ""

    def __init__(self) -> None:
        self.usage = Usage()

    @property
    def identity(self) -> dict[str, Any]:
        return {"name": self.name, "prompt_version": self.prompt_version}

    def judge(self, items: list[JudgeItem]) -> list[Verdict]:
        """Verdicts for ``items``, in order; empty responses are ``unscored`` without a call."""
        out: list[Verdict | None] = [None] * len(items)
        todo = []
        for i, it in enumerate(items):
            if not (it.response or "").strip():
                out[i] = unscored("empty response", source="input")
            else:
                todo.append(i)
        if todo:
            for i, v in zip(todo, self._judge([items[i] for i in todo]), strict=True):
                out[i] = v
        return [v for v in out if v is not None]

    @abstractmethod
    def _judge(self, items: list[JudgeItem]) -> list[Verdict]:
        """Verdicts for non-empty items, in order."""

    def close(self) -> None:
        """Release resources (clients, models); judges holding none keep this default."""
        return None
