"""Compare drift across runs and algorithms: one tidy DataFrame, and the paired branch differences.

>>> df = valuedrift.compare(["runs/a", "runs/b"])                          # doctest: +SKIP
>>> df.pivot_table(index="category", columns="algorithm", values="magnitude")  # doctest: +SKIP
>>> branch_differences(run.judgments, run.manifest)  # did DPO drift more than SimPO?  # doctest: +SKIP
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from valuedrift.analysis.cube import build_cube
from valuedrift.analysis.drift import _pooled, _stage_layout, compute_drift
from valuedrift.analysis.intervals import contrast_interval, holm
from valuedrift.config.schema import AnalysisConfig
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
    "ci_method",
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


BRANCH_COLUMNS = [
    "stage_a",
    "stage_b",
    "algorithm_a",
    "algorithm_b",
    "parent",
    "category",
    "stance",
    "magnitude_a",
    "magnitude_b",
    "diff",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "n_prompts",
    "ci_level",
    "ci_method",
]


def _parent(st: dict, cube, manifest: dict | None) -> str:
    """The checkpoint a stage starts from: its manifest parent, else its first judged checkpoint."""
    names = cube.checkpoints["checkpoint"]
    for e in (manifest or {}).get("checkpoints", []):
        if e.get("stage") == st["stage"] and e.get("parent"):
            return e["parent"]
    return names[st["codes"][0]]


def branch_differences(
    judgments: pd.DataFrame,
    manifest: dict | None = None,
    cfg: AnalysisConfig | None = None,
    *,
    category: str | None = OVERALL,
    stance: str | None = None,
) -> pd.DataFrame:
    """Did branch A drift more than branch B? M_A − M_B for every pair of sibling stages.

    Siblings start from the same parent checkpoint (the manifest's ``parent``) and are judged on the
    same prompts, so M_A − M_B = (v_end,A − v_start,A) − (v_end,B − v_start,B) is one contrast of
    checkpoints paired on the prompts (prompt effects cancel), with the interval of
    ``cfg.interval`` at level ``cfg.ci`` and a two-sided p-value for no difference. ``p_holm``
    adjusts the p-values by Holm's method over every row of the table (the family compared).
    ``category=None`` or ``stance=None``: all of them. Columns: BRANCH_COLUMNS.
    """
    cfg = cfg or AnalysisConfig()
    cube = build_cube(judgments)
    categories = [*cube.categories, OVERALL]
    if category is not None and category not in categories:
        raise UserError(f"no category {category!r} in the judgments (have: {', '.join(categories)})")
    if stance is not None and stance not in STANCES:
        raise UserError(f"stance must be one of {', '.join(STANCES)}, got {stance!r}")
    groups: dict[str, list[dict]] = {}
    for st in _stage_layout(cube, manifest):
        groups.setdefault(_parent(st, cube, manifest), []).append(st)
    stance_idx = [STANCES.index(stance)] if stance else list(range(len(STANCES)))
    rows = []
    for parent, stages in groups.items():
        for a, b in combinations(stages, 2):
            # checkpoints of the contrast (start_A, end_A, start_B, end_B), shared ones merged
            weights: dict[int, float] = {}
            for code, w in (
                (a["codes"][0], -1),
                (a["codes"][-1], 1),
                (b["codes"][0], 1),
                (b["codes"][-1], -1),
            ):
                weights[code] = weights.get(code, 0.0) + w
            codes = list(weights)
            for cat in categories if category is None else [category]:
                idx = np.flatnonzero(cube.prompt_mask(None if cat == OVERALL else cat))
                sums, counts = _pooled(cube.p[np.ix_(codes, idx)], np.ones(len(idx)))
                iv = contrast_interval(
                    sums,
                    counts,
                    [weights[c] for c in codes],
                    method=cfg.interval,
                    level=cfg.ci,
                    n_boot=cfg.n_bootstrap,
                    rng=np.random.default_rng(cfg.seed),
                )
                with np.errstate(invalid="ignore", divide="ignore"):
                    v = dict(zip(codes, sums.sum(1) / counts.sum(1)[:, None], strict=True))
                for si in stance_idx:
                    rows.append(
                        {
                            "stage_a": a["stage"],
                            "stage_b": b["stage"],
                            "algorithm_a": a["algorithm"],
                            "algorithm_b": b["algorithm"],
                            "parent": parent,
                            "category": cat,
                            "stance": STANCES[si],
                            "magnitude_a": v[a["codes"][-1]][si] - v[a["codes"][0]][si],
                            "magnitude_b": v[b["codes"][-1]][si] - v[b["codes"][0]][si],
                            "diff": iv.estimate[si],
                            "ci_low": iv.low[si],
                            "ci_high": iv.high[si],
                            "p_value": iv.p_value[si],
                            "n_prompts": int(iv.n_prompts[si]),
                            "ci_level": cfg.ci,
                            "ci_method": cfg.interval,
                        }
                    )
    df = pd.DataFrame(rows, columns=[c for c in BRANCH_COLUMNS if c != "p_holm"])
    df.insert(BRANCH_COLUMNS.index("p_holm"), "p_holm", holm(df["p_value"].to_numpy(float)))
    return df


def multiple_comparison_note(df: pd.DataFrame) -> str:
    """One line on the family of comparisons in a ``branch_differences`` table and how to read p_holm."""
    m = int(df["p_value"].notna().sum())
    if m == 0:
        return "no sibling stages (stages from the same parent checkpoint) to compare"
    level = float(df["ci_level"].iloc[0])
    alpha = 1 - level
    pairs = df[["stage_a", "stage_b"]].drop_duplicates().shape[0]
    hits = int((df["p_holm"] < alpha).sum())
    return (
        f"{m} comparisons ({pairs} pair(s) of sibling stages x {m // max(pairs, 1)} category/stance): "
        f"p_holm is Holm-adjusted over all {m}, so 'differs' at p_holm < {alpha:g} holds family-wise "
        f"({hits} do); the {level:.0%} intervals are per comparison, not simultaneous."
    )
