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
  :math:`t_{total}` is the stage's total steps. NaN (not 0) when the drift is not distinguishable from
  noise: ``|peak| <= min_drift``, or the peak's interval (``peak_ci_low``, ``peak_ci_high``) includes
  0; ``drift_time_note`` then says why (empty when η is reported).
- **Confidence intervals** (``analysis.interval``, column ``ci_method``; ``valuedrift/analysis/
  intervals.py``, docs/intervals.md): prompts are the independent unit. v_t, M and the peak drift
  v_peak − v_start are contrasts of per-checkpoint ratio means on the same prompts, so each prompt's
  answers at both checkpoints stay together (paired). ``t`` (default, chosen by a coverage
  simulation): the linearised (sandwich) standard error over prompts with a Student t quantile on
  (prompts − 1) degrees of freedom; ``percentile``, ``bca``, ``studentized``: a paired cluster
  bootstrap over prompts, ``n_bootstrap`` draws seeded by ``seed``. Level ``ci`` (``ci_level``).
  The peak is the largest of several checkpoints' drifts, so its interval is optimistic (selected).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from valuedrift.analysis.cube import Cube, build_cube
from valuedrift.analysis.intervals import contrast_interval
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
    """Long table of v_t(T)_s per checkpoint, category (and overall) and stance, with CIs.

    Columns: stage, algorithm, checkpoint, step, progress, category, stance, value, ci_low, ci_high,
    n (valid judged answers), n_prompts, n_unscored, ci_method (``analysis.interval``).
    """
    cfg = cfg or AnalysisConfig()
    cube = build_cube(judgments)
    rng = np.random.default_rng(cfg.seed)
    out = []
    for category in [*cube.categories, OVERALL]:
        mask = cube.prompt_mask(None if category == OVERALL else category)
        idx = np.flatnonzero(mask)
        sums, counts = _pooled(cube.p[:, idx], np.ones(len(idx)))  # (C, Xt, 3), (C, Xt)
        iv = contrast_interval(  # one checkpoint per contrast: (C, 1, Xt, 3) -> (C, 3)
            sums[:, None], counts[:, None], method=cfg.interval, level=cfg.ci, n_boot=cfg.n_bootstrap, rng=rng
        )
        n_uns = cube.unscored[:, idx].sum(axis=(1, 2))
        n_prompts = (counts > 0).sum(1)
        for si, stance in enumerate(STANCES):
            frame = cube.checkpoints.copy()
            frame["category"] = category
            frame["stance"] = stance
            frame["value"] = iv.estimate[:, si]
            frame["ci_low"] = iv.low[:, si]
            frame["ci_high"] = iv.high[:, si]
            frame["n"] = counts.sum(1).astype(int)
            frame["n_prompts"] = n_prompts
            frame["n_unscored"] = n_uns
            frame["ci_method"] = cfg.interval
            out.append(frame)
    cols = ["stage", "algorithm", "checkpoint", "step", "progress", "category", "stance", "value"]
    cols += ["ci_low", "ci_high", "n", "n_prompts", "n_unscored", "ci_method"]
    return (
        pd.concat(out, ignore_index=True)[cols]
        .sort_values(["stage", "step", "category", "stance"])
        .reset_index(drop=True)
    )


def _drift_time(
    d: np.ndarray, steps: np.ndarray, total: int, cfg: AnalysisConfig, peak_ci: tuple[float, float]
) -> tuple[float, str]:
    """η: the first step where |d_t| reaches ``drift_threshold`` of the peak |drift|, over total steps.

    Returns (η, note): η is NaN, and the note says why, when the peak is not distinguishable from
    noise (|peak| <= ``min_drift``, or its interval ``peak_ci`` includes 0 or is undefined).
    """
    peak = np.abs(d).max() if np.isfinite(d).any() else np.nan
    signed = d[np.nanargmax(np.abs(d))] if np.isfinite(peak) else np.nan
    lo, hi = peak_ci
    ci = f"{cfg.ci:.0%} CI [{lo:+.3f}, {hi:+.3f}]"
    if not np.isfinite(peak):
        return float("nan"), "no scored answers at a checkpoint"
    if peak <= 1e-12:
        return float("nan"), "no drift: flat trajectory"
    if peak <= cfg.min_drift:
        return float("nan"), f"|peak| {peak:.3f} <= min_drift {cfg.min_drift:g}"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return float("nan"), f"peak {signed:+.3f}: no interval (fewer than 2 prompts)"
    if lo <= 0 <= hi:
        return float("nan"), f"peak {signed:+.3f} within noise, {ci}"
    if not total:
        return float("nan"), "the stage has 0 total steps"
    first = np.flatnonzero(np.abs(d) >= cfg.drift_threshold * peak - 1e-12)[0]
    return float(steps[first] / total), ""


def _drift_contrasts(n_ckpt: int, d: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Checkpoints (positions in the stage) and contrast weights (2, J, 3) of M and of the peak drift."""
    peak = [int(np.nanargmax(np.abs(d[:, s]))) if np.isfinite(d[:, s]).any() else 0 for s in range(3)]
    sel = sorted({0, n_ckpt - 1, *peak})
    pos = {k: i for i, k in enumerate(sel)}
    c = np.zeros((2, len(sel), 3))
    c[0, pos[n_ckpt - 1]] += 1  # M = v_end − v_start
    c[0, pos[0]] -= 1
    for s, k in enumerate(peak):  # peak = v_peak − v_start (0 when the peak is the start: no drift)
        c[1, pos[k], s] += 1
        c[1, pos[0], s] -= 1
    return sel, c


def compute_drift(
    judgments: pd.DataFrame, manifest: dict | None = None, cfg: AnalysisConfig | None = None
) -> pd.DataFrame:
    """Drift table: one row per stage, category, stance.

    Columns: DRIFT_COLUMNS, then peak_drift, peak_step, total_steps, ci_level, ci_method, peak_ci_low,
    peak_ci_high, drift_time_note.
    """
    cfg = cfg or AnalysisConfig()
    cube = build_cube(judgments)
    opts = {
        "method": cfg.interval,
        "level": cfg.ci,
        "n_boot": cfg.n_bootstrap,
        "rng": np.random.default_rng(cfg.seed),
    }
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
            sel, contrast = _drift_contrasts(len(codes), d)
            iv = contrast_interval(sums[sel], counts[sel], contrast, **opts)  # [M, peak] x stance, paired
            n_prompts = int(((counts[0] > 0) & (counts[-1] > 0)).sum())
            n_uns = int(cube.unscored[np.ix_(codes, idx)].sum())
            for si, stance in enumerate(STANCES):
                k = int(np.nanargmax(np.abs(d[:, si]))) if np.isfinite(d[:, si]).any() else 0
                peak_ci = (float(iv.low[1, si]), float(iv.high[1, si]))
                eta, note = _drift_time(d[:, si], st["steps"], st["total"], cfg, peak_ci)
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
                        "drift_time": eta,
                        "ci_low": iv.low[0, si],
                        "ci_high": iv.high[0, si],
                        "n_prompts": n_prompts,
                        "n_unscored": n_uns,
                        "peak_drift": d[k, si],
                        "peak_step": int(st["steps"][k]),
                        "total_steps": int(st["total"]),
                        "ci_level": cfg.ci,
                        "ci_method": cfg.interval,
                        "peak_ci_low": peak_ci[0],
                        "peak_ci_high": peak_ci[1],
                        "drift_time_note": note,
                    }
                )
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    return df


def analyze_run(run, exp=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a run's judgments and manifest; write ``stances.parquet`` and ``drift.parquet``.

    With ``analysis.correction`` set, also the judge-error-corrected ``stances_corrected.parquet``
    and ``drift_corrected.parquet`` (the raw tables are written unchanged).
    """
    from valuedrift.errors import UserError
    from valuedrift.rundir import RunDir

    run = run if isinstance(run, RunDir) else RunDir(run)
    cfg = exp.analysis if exp is not None else AnalysisConfig()
    judgments = run.read_table("judgments")
    if judgments.empty:
        raise UserError(f"{run.path}: the judgments table is empty", hint="run 'valuedrift judge' first")
    manifest = run.read_manifest() if run.manifest_path.exists() else None
    from valuedrift.analysis.correction import correction_inputs, write_corrected

    correction = correction_inputs(run, cfg.correction, judgments)  # a UserError here, before any work
    stances = compute_stances(judgments, cfg)
    drift = compute_drift(judgments, manifest, cfg)
    run.write_table("stances", stances)
    run.write_table("drift", drift)
    # analysis.correction != none: also stances_corrected / drift_corrected (docs/correction.md)
    write_corrected(run, judgments, manifest, cfg, correction)
    return stances, drift
