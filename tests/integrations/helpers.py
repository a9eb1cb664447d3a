"""Helpers of the ValueDriftCallback tests: read a run's table, redo a run post hoc, compare."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

KEY = ["checkpoint", "prompt_id", "sample"]


def table(run: Path, name: str = "judgments") -> pd.DataFrame:
    from valuedrift.rundir import RunDir

    return RunDir(run).read_table(name).sort_values(KEY).reset_index(drop=True)


def assert_same(live: pd.DataFrame, again: pd.DataFrame) -> None:
    """Every column equal, dtypes included: the answers' text exactly, the judge's probabilities up to
    float32 rounding (the judge scores answers in padded batches whose make-up depends on what its
    verdict cache already held; on SmolLM2 that moved 3 of 396 probabilities by at most 1.8e-7)."""
    assert live.response.tolist() == again.response.tolist()
    pd.testing.assert_frame_equal(live, again[live.columns], check_exact=False, rtol=0, atol=1e-6)


def post_hoc(cli, monkeypatch, live: Path, out: Path) -> pd.DataFrame:
    """``valuedrift generate`` + ``judge`` of the callback's manifest (its saved checkpoints) into a new
    run directory, with empty generation and verdict caches: every answer and verdict made anew."""
    from valuedrift.generate.cache import GenerationCache

    out.mkdir()
    shutil.copy(live / "config.yaml", out / "config.yaml")
    monkeypatch.setattr("valuedrift.generate.run.GenerationCache", lambda: GenerationCache(out / "gen-cache"))
    code, _, err = cli("generate", out, "--manifest", live / "checkpoints_manifest.json")
    assert code == 0, err
    code, _, err = cli("judge", out, "--set", f"judge.cache_path={out / 'verdicts.sqlite'}")
    assert code == 0, err
    assert " 0 judge calls" not in err  # a fresh verdict cache: the judge read the answers again
    return table(out)
