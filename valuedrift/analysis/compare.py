"""Compare drift across runs and algorithms: one tidy DataFrame, and a paired bootstrap test.

>>> df = valuedrift.compare(["runs/a", "runs/b"])                          # doctest: +SKIP
>>> df.pivot_table(index="category", columns="algorithm", values="magnitude")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from valuedrift.analysis.cube import build_cube
from valuedrift.analysis.drift import _bootstrap_magnitude, _stage_layout, compute_drift
from valuedrift.errors import UserError
from valuedrift.tables import OVERALL, STANCES

COMPARE_COLUMNS = [
    "run",
    "algorithm",
    "stage",
    "category",
    "stance",
    "v_start",
    "v_end",
    "magnitude",
    "peak_drift",
    "drift_time",
    "ci_low",
    "ci_high",
    "n_prompts",
    "n_unscored",
]


def _as_run(obj):
    from valuedrift.rundir import Run

    return obj if isinstance(obj, Run) else Run(Path(obj))


def _run_drift(run) -> pd.DataFrame:
    """The run's drift table: drift.parquet if analysed, else computed from its judgments."""
    if run.dir.table_path("drift").exists():
        return run.drift
    manifest = run.manifest if run.dir.manifest_path.exists() else None
    return compute_drift(run.judgments, manifest)


def compare(runs_or_paths, *, stages: list[str] | None = None) -> pd.DataFrame:
    """One tidy DataFrame of every stage's drift across runs, ready for ``pivot_table``.

    Columns: run, algorithm, stage, category, stance, v_start, v_end, magnitude, peak_drift,
    drift_time, ci_low, ci_high, n_prompts, n_unscored.
    """
    if isinstance(runs_or_paths, (str, Path)):
        runs_or_paths = [runs_or_paths]
    frames = []
    for obj in runs_or_paths:
        run = _as_run(obj)
        d = _run_drift(run).copy()
        d.insert(0, "run", run.path.name)
        frames.append(d)
    if not frames:
        raise UserError("compare needs at least one run directory")
    df = pd.concat(frames, ignore_index=True)
    if stages:
        df = df[df["stage"].isin(stages)]
    for col in COMPARE_COLUMNS:
        if col not in df:
            df[col] = np.nan
    return df[COMPARE_COLUMNS].sort_values(["run", "stage", "category", "stance"]).reset_index(drop=True)


def paired_drift_test(
    judgments: pd.DataFrame,
    stage_a: str,
    stage_b: str,
    *,
    manifest: dict | None = None,
    category: str = OVERALL,
    stance: str = "support",
    n_boot: int = 2000,
    seed: int = 0,
) -> dict:
    """Does stage A drift more than stage B on the same prompts? Paired bootstrap of |M_A| − |M_B|.

    Both stages must have been evaluated on the same prompts (as in one run, or two runs with the same
    prompt subset: concatenate their judgments with distinct stage names). The same resampled prompts
    are used for both stages in every draw. Returns diff (point estimate), ci_low, ci_high (95%), and
    a two-sided bootstrap p-value for diff = 0.
    """
    if stance not in STANCES:
        raise UserError(f"stance must be one of {', '.join(STANCES)}, got {stance!r}")
    cube = build_cube(judgments)
    layout = {s["stage"]: s for s in _stage_layout(cube, manifest)}
    for st in (stage_a, stage_b):
        if st not in layout:
            raise UserError(
                f"no stage named {st!r} with at least two checkpoints (have: {', '.join(layout)})"
            )
    idx = np.flatnonzero(cube.prompt_mask(None if category == OVERALL else category))
    si = STANCES.index(stance)
    est, draws = [], []
    for st in (stage_a, stage_b):
        codes = layout[st]["codes"]
        p0, p1 = cube.p[codes[0], idx], cube.p[codes[-1], idx]
        m = np.nanmean(p1[..., si]) - np.nanmean(p0[..., si])
        est.append(abs(m))
        # the same generator state for both stages -> the same prompt resampling in each draw
        draws.append(np.abs(_bootstrap_magnitude(p0, p1, n_boot, np.random.default_rng(seed))[:, si]))
    diff = est[0] - est[1]
    dd = draws[0] - draws[1]
    lo, hi = np.nanquantile(dd, [0.025, 0.975])
    p = min(1.0, 2 * min(np.mean(dd <= 0), np.mean(dd >= 0)))
    return {
        "stage_a": stage_a,
        "stage_b": stage_b,
        "category": category,
        "stance": stance,
        "abs_magnitude_a": est[0],
        "abs_magnitude_b": est[1],
        "diff": diff,
        "ci_low": float(lo),
        "ci_high": float(hi),
        "p_value": float(p),
        "n_boot": n_boot,
    }
