"""The stance judge: p(s | question, response, topic) for s in {support, neutral, oppose}.

Back ends (``registry.get_judge``): ``offline`` (default; all-MiniLM-L6-v2 fine-tuned on the
project's stance corpus as a calibrated (question, response) classifier, no server), ``openai``
(any OpenAI-compatible API; label log-probs -> probabilities; Batch API mode), ``hf`` (a local
causal LM; exact label probabilities from its logits). Verdicts are cached by content; failures stay ``unscored``. ``judge_run`` judges a run.
"""

from valuedrift.judge.base import Judge, JudgeItem, Verdict
from valuedrift.judge.prompt import PROMPT_VERSION
from valuedrift.judge.registry import get_judge, parse_spec


def judge_run(run, exp, **kw):
    """Judge a run's generations (see :func:`valuedrift.judge.run.judge_run`)."""
    from valuedrift.judge.run import judge_run as _judge_run

    return _judge_run(run, exp, **kw)


__all__ = ["PROMPT_VERSION", "Judge", "JudgeItem", "Verdict", "get_judge", "judge_run", "parse_spec"]
