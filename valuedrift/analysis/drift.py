r"""Stance trajectories and value drift, exactly as defined by Bhatia et al. (arXiv 2510.26707).

Definitions (S = {support, neutral, oppose}; T a topic/category, or ``overall`` pooling all topics):

- **Stance distribution** at checkpoint t:
  :math:`v_t(T)_s = \mathbb{E}_{x \in X_T,\, y \sim \pi_t(\cdot|x)}\,[p(s \mid x, y, T)]`, the mean of the
  judge's probability of stance s over every judged (prompt x, sample y) pair of topic T. Unscored
  judgments are excluded from the mean and counted (``n_unscored``).
- **Drift magnitude** over a stage: :math:`M_s = v_{end}(T)_s - v_{start}(T)_s` (signed), where start is
  step 0 of the stage (its parent's last checkpoint) and end is the stage's last checkpoint.
- **Peak drift**: the extreme of :math:`v_t - v_{start}` over the stage (signed); ``v_peak`` is
  :math:`v_{start} + \text{peak}`.
- **Drift time**: :math:`\eta_s = t^\ast / t_{total}`, where :math:`t^\ast` is the first step at which
  :math:`|v_t - v_{start}| \ge \theta \cdot |\text{peak}|` (θ = ``drift_threshold``, default 0.95) and
  :math:`t_{total}` is the stage's total steps. NaN (not 0) when there is no drift
  (``|peak| <= min_drift``).
- **Confidence intervals**: percentile bootstrap. For the magnitude: resample prompts with replacement
  (the same prompts at start and end: paired), then samples within each prompt, ``n_bootstrap``
  times, seeded. For per-checkpoint stance values: resample prompts (cluster bootstrap).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from valuedrift.analysis.cube import Cube, build_cube
from valuedrift.config.schema import AnalysisConfig
from valuedrift.tables import DRIFT_COLUMNS, OVERALL, STANCES


def _pooled(p: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum over (prompt, sample) of valid probabilities and the number of valid cells.

    ``p``: (..., X, K, 3); returns sums (..., X, 3) and counts (..., X).
    """
    valid = ~np.isnan(p[..., 0])
    sums = np.where(valid[..., None], p, 0.0).sum(axis=-2)
    counts = valid.sum(axis=-1).astype(float)
    sums = sums * mask[:, None]
    counts = counts * mask
    return sums, counts


def _stage_layout(cube: Cube, manifest: dict | None) -> list[dict]:
    """For each stage: its checkpoint codes in step order (step 0 first) and its total steps."""
    ck = cube.checkpoints
    entries = {e["id"]: e for e in (manifest or {}).get("checkpoints", [])}
    code_of = {cid: i for i, cid in enumerate(ck["checkpoint"])}
    stages = []
    for stage, grp in ck.groupby("stage", sort=False):
        grp = grp.sort_values("step")
        codes = list(grp.index)
        steps = [int(s) for s in grp["step"]]
        if steps[0] != 0:  # step 0 not judged under this stage's name: use the parent checkpoint
            first = entries.get(grp["checkpoint"].iloc[0], {})
            parent = first.get("parent")
            if parent in code_of:
                codes.insert(0, code_of[parent])
                steps.insert(0, 0)
        if len(codes) < 2:
            continue  # a lone checkpoint (the base model) has no drift
        totals = [entries.get(c, {}).get("total_steps") for c in grp["checkpoint"]]
        total = max([t for t in totals if t] or [max(steps)])
        stages.append(
            {
                "stage": stage,
                "algorithm": grp["algorithm"].iloc[-1],
                "codes": codes,
                "steps": np.array(steps),
                "total": total,
            }
        )
    return stages


def compute_stances(judgments: pd.DataFrame, cfg: AnalysisConfig | None = None) -> pd.DataFrame:
    """Long table of v_t(T)_s per checkpoint, category (and overall) and stance, with bootstrap CIs.

    Columns: stage, algorithm, checkpoint, step, progress, category, stance, value, ci_low, ci_high,
    n (valid judged answers), n_prompts, n_unscored.
    """
    cfg = cfg or AnalysisConfig()
    cube = build_cube(judgments)
    rng = np.random.default_rng(cfg.seed)
    alpha = (1 - cfg.ci) / 2
    out = []
    for category in [*cube.categories, OVERALL]:
        mask = cube.prompt_mask(None if category == OVERALL else category)
        idx = np.flatnonzero(mask)
        sums, counts = _pooled(cube.p[:, idx], np.ones(len(idx)))  # (C, Xt, 3), (C, Xt)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = sums.sum(1) / counts.sum(1)[:, None]  # (C, 3)
        w = rng.multinomial(len(idx), np.full(len(idx), 1 / len(idx)), size=cfg.n_bootstrap).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):  # a draw with no valid answer -> NaN
            bs = np.einsum("bx,cxs->bcs", w, sums) / np.einsum("bx,cx->bc", w, counts)[..., None]
        lo, hi = np.nanquantile(bs, [alpha, 1 - alpha], axis=0)  # (C, 3) each
        n_uns = cube.unscored[:, idx].sum(axis=(1, 2))
        n_prompts = (counts > 0).sum(1)
        for si, stance in enumerate(STANCES):
            frame = cube.checkpoints.copy()
            frame["category"] = category
            frame["stance"] = stance
            frame["value"] = value[:, si]
            frame["ci_low"] = lo[:, si]
            frame["ci_high"] = hi[:, si]
            frame["n"] = counts.sum(1).astype(int)
            frame["n_prompts"] = n_prompts
            frame["n_unscored"] = n_uns
            out.append(frame)
    cols = ["stage", "algorithm", "checkpoint", "step", "progress", "category", "stance", "value"]
    cols += ["ci_low", "ci_high", "n", "n_prompts", "n_unscored"]
    return (
        pd.concat(out, ignore_index=True)[cols]
        .sort_values(["stage", "step", "category", "stance"])
        .reset_index(drop=True)
    )


def _drift_time(d: np.ndarray, steps: np.ndarray, total: int, threshold: float, min_drift: float) -> float:
    """First step where |d_t| reaches ``threshold`` of the peak |drift|, over total steps; NaN if none."""
    peak = np.abs(d).max()
    if not np.isfinite(peak) or peak <= max(min_drift, 1e-12):
        return float("nan")
    first = np.flatnonzero(np.abs(d) >= threshold * peak - 1e-12)[0]
    return float(steps[first] / total) if total else float("nan")


def _bootstrap_magnitude(p0: np.ndarray, p1: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap draws of v_end − v_start (B, 3): prompts resampled (paired), then samples per prompt."""
    n_x, n_k = p0.shape[0], p0.shape[1]
    wx = rng.multinomial(n_x, np.full(n_x, 1 / n_x), size=n_boot).astype(float)  # (B, X)
    draws = []
    for p in (p0, p1):
        valid = ~np.isnan(p[..., 0])  # (X, K)
        wk = rng.multinomial(n_k, np.full(n_k, 1 / n_k), size=(n_boot, n_x)).astype(float)  # (B, X, K)
        wk = wk * valid
        sums = np.einsum("bxk,xks->bxs", wk, np.nan_to_num(p))
        counts = wk.sum(-1)
        with np.errstate(invalid="ignore", divide="ignore"):  # a draw with no valid answer -> NaN
            draws.append(np.einsum("bx,bxs->bs", wx, sums) / np.einsum("bx,bx->b", wx, counts)[:, None])
    return draws[1] - draws[0]


def compute_drift(
    judgments: pd.DataFrame, manifest: dict | None = None, cfg: AnalysisConfig | None = None
) -> pd.DataFrame:
    """Drift table (DRIFT_COLUMNS plus peak_drift, peak_step, ci_level): one row per stage, category, stance."""
    cfg = cfg or AnalysisConfig()
    cube = build_cube(judgments)
    rng = np.random.default_rng(cfg.seed)
    alpha = (1 - cfg.ci) / 2
    rows = []
    for st in _stage_layout(cube, manifest):
        codes = st["codes"]
        for category in [*cube.categories, OVERALL]:
            idx = np.flatnonzero(cube.prompt_mask(None if category == OVERALL else category))
            p = cube.p[np.ix_(codes, idx)]  # (T, Xt, K, 3)
            sums, counts = _pooled(p, np.ones(len(idx)))
            with np.errstate(invalid="ignore", divide="ignore"):
                v = sums.sum(1) / counts.sum(1)[:, None]  # (T, 3)
            d = v - v[0]
            draws = _bootstrap_magnitude(p[0], p[-1], cfg.n_bootstrap, rng)
            lo, hi = np.nanquantile(draws, [alpha, 1 - alpha], axis=0)
            n_prompts = int(((counts[0] > 0) & (counts[-1] > 0)).sum())
            n_uns = int(cube.unscored[np.ix_(codes, idx)].sum())
            for si, stance in enumerate(STANCES):
                k = int(np.nanargmax(np.abs(d[:, si]))) if np.isfinite(d[:, si]).any() else 0
                rows.append(
                    {
                        "stage": st["stage"],
                        "algorithm": st["algorithm"],
                        "category": category,
                        "stance": stance,
                        "v_start": v[0, si],
                        "v_end": v[-1, si],
                        "v_peak": v[0, si] + d[k, si],
                        "magnitude": v[-1, si] - v[0, si],
                        "drift_time": _drift_time(
                            d[:, si], st["steps"], st["total"], cfg.drift_threshold, cfg.min_drift
                        ),
                        "ci_low": lo[si],
                        "ci_high": hi[si],
                        "n_prompts": n_prompts,
                        "n_unscored": n_uns,
                        "peak_drift": d[k, si],
                        "peak_step": int(st["steps"][k]),
                        "total_steps": int(st["total"]),
                        "ci_level": cfg.ci,
                    }
                )
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    return df


def analyze_run(run, exp=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a run's judgments and manifest; write ``stances.parquet`` and ``drift.parquet``."""
    from valuedrift.errors import UserError
    from valuedrift.rundir import RunDir

    run = run if isinstance(run, RunDir) else RunDir(run)
    cfg = exp.analysis if exp is not None else AnalysisConfig()
    judgments = run.read_table("judgments")
    if judgments.empty:
        raise UserError(f"{run.path}: the judgments table is empty", hint="run 'valuedrift judge' first")
    manifest = run.read_manifest() if run.manifest_path.exists() else None
    stances = compute_stances(judgments, cfg)
    drift = compute_drift(judgments, manifest, cfg)
    run.write_table("stances", stances)
    run.write_table("drift", drift)
    return stances, drift
