"""A hand-made analysed run directory for report and compare tests."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.analysis.helpers import judgments_table, manifest_for

XSS = '<script>document.title="PWNED";window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def make_run(path, trajectories, *, algorithms=None, parents=None, xss=False, name="r"):
    from valuedrift.analysis.drift import analyze_run
    from valuedrift.rundir import RunDir

    run = RunDir(path, create=True)
    df = judgments_table(trajectories, algorithms=algorithms, run=name, noise=0.05, seed=3)
    if xss:
        df["response"] = df["response"].astype(str) + " " + XSS
    man = manifest_for(df, parents)
    run.write_manifest(man)
    for ck, part in df.groupby("checkpoint"):
        run.write_part("judgments", ck, part.reset_index(drop=True))
    analyze_run(run)
    return run


@pytest.fixture()
def analysed_run(tmp_path):
    return make_run(
        tmp_path / "demo",
        {"sft": [(0, 0.2), (2, 0.55), (4, 0.6)], "dpo": [(0, 0.6), (3, 0.3), (6, 0.25)]},
        xss=True,
    )


@pytest.fixture()
def two_runs(tmp_path):
    a = make_run(tmp_path / "run_a", {"dpo": [(0, 0.3), (4, 0.8)]}, name="run_a")
    b = make_run(tmp_path / "run_b", {"ppo": [(0, 0.3), (4, 0.32)]}, algorithms={"ppo": "ppo"}, name="run_b")
    return a, b


__all__ = ["XSS", "make_run", "pd"]
