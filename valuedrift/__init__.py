"""valuedrift: trace how post-training changes what a language model believes.

Train stages (SFT, DPO, SimPO, KTO, PPO, GRPO, RLOO, RAFT, UNA — a tree of them) while saving checkpoints,
sample every checkpoint's answers to value-laden questions, have a stance judge label them, and
measure drift magnitude and drift time with confidence intervals (Bhatia et al., arXiv 2510.26707).

>>> import valuedrift
>>> run = valuedrift.load_run("runs/demo")          # doctest: +SKIP
>>> run.drift.head()                                 # doctest: +SKIP
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("valuedrift")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+local"

from valuedrift.rundir import Run, RunDir, load_run

__all__ = ["Run", "RunDir", "__version__", "compare", "load_run"]


def compare(runs_or_paths, **kwargs):
    """One tidy DataFrame comparing the drift of several runs (see :mod:`valuedrift.analysis`)."""
    from valuedrift.analysis.compare import compare as _compare

    return _compare(runs_or_paths, **kwargs)
