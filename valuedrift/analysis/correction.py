r"""Judge-error-aware stance and drift estimates from a few human labels on the run's own answers.

The raw tables treat the judge's probabilities f as truth; a judge that reads a third of the real
*oppose* answers as neutral shrinks exactly the drifts it measures. Two corrections, chosen by
``analysis.correction`` (docs/correction.md):

- ``ppi`` — prediction-powered inference (Angelopoulos et al., *Science* 2023) with the power-tuned
  λ of PPI++ (Angelopoulos, Duchi, Zrnic, arXiv 2311.01453). For checkpoint t and topic T,
  :math:`\hat\theta = \lambda\,\bar f_{all} + \overline{(Y - \lambda f)}_{lab}`: the judge's mean over
  every scored answer plus the *rectifier*, the labelled answers' mean of (human one-hot label Y − λf),
  stratum-weighted by cell_size / cell_drawn. Unbiased for the mean true stance whatever the judge.
  λ minimises the trace of the estimate's cluster-robust variance (clipped to [0, 1]). The standard
  error is the delete-one-prompt jackknife of the whole estimate, λ re-tuned in every copy, so the
  covariance of the judge mean and the rectifier (they share prompts) and the tuning are both
  counted. A drift M = θ̂_end − θ̂_start leaves the same prompt out at both ends (paired). Intervals:
  Student t with (labelled prompts − 1) degrees of freedom.
- ``confusion`` — the misclassification-matrix correction (Rogan & Gladen 1978; "adjusted classify
  and count" in the quantification literature, soft as in Bella et al. 2010): with
  R[s, j] = E[f_j | true s], the judge's mean is v_f = v_true·R, so v_true = v_f·R⁻¹. Each answer's
  p̃ = f·R⁻¹, then the ordinary analysis (``compute_stances`` / ``compute_drift``) on p̃. R comes
  from the run's labels (soft counts Σ Y_s f_j, rows normalised) or, without labels, from the
  judge's validation confusion matrix in ``judge_meta.json`` — an assumption, flagged. The
  intervals add R's uncertainty (its items resampled). Why not P(true | vote): that map depends on
  the stance mix, which is exactly what drifts — it pulls every checkpoint towards the pooled mix
  and measured *smaller* drifts than the raw judge (docs/correction.md).

Everything here is a pure function of a judgments table and a labels table; only ``analyze_run``
(``valuedrift/analysis/drift.py``) reads them from a run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from valuedrift.analysis.cube import Cube, build_cube
from valuedrift.analysis.drift import _stage_layout, compute_drift, compute_stances
from valuedrift.config.schema import AnalysisConfig
from valuedrift.tables import OVERALL, STANCES

LABEL_KEY = ["checkpoint", "prompt_id", "sample"]

PPI_NOTE = (
    "PPI++: judge mean over all scored answers + rectifier mean(Y - lambda*f) over the human labels "
    "(stratum-weighted), lambda power-tuned; delete-one-prompt jackknife, t interval. Assumes the "
    "labelled answers are a random sample of each (checkpoint, topic) cell's scored answers and that "
    "'skip' labels are missing at random."
)
CONFUSION_LABELS_NOTE = (
    "p = f.R^-1, R[s, j] = mean judge probability of j over the answers humans labelled s ({n} labels "
    "of this run, pooled over checkpoints); assumes the judge errs on a true stance the same way at "
    "every checkpoint. The intervals add R's uncertainty (labels resampled)."
)
CONFUSION_VALIDATION_NOTE = (
    "assumes the judge errs on this run's answers as on its validation set (n = {n}): p = vote.R^-1, "
    "R = P(judge vote | true stance) from that set's confusion matrix. The intervals add R's "
    "uncertainty on that set, not the doubt that it transfers."
)


# --- labels ---------------------------------------------------------------------------------------
def usable_labels(labels: pd.DataFrame) -> pd.DataFrame:
    """One row per labelled answer: one-hot ``y_<stance>`` and a weight.

    An answer's latest label counts (as ``judge-eval --gold RUN_DIR`` reads them); 'skip' is
    dropped. The weight is cell_size / cell_drawn (1 where absent), the inverse of the answer's
    chance of being drawn in its (checkpoint, topic) stratum.
    """
    cols = [*LABEL_KEY, *(f"y_{s}" for s in STANCES), "weight"]
    if labels is None or labels.empty:
        return pd.DataFrame(columns=cols)
    latest = labels.assign(sample=labels["sample"].astype(int)).drop_duplicates(LABEL_KEY, keep="last")
    lab = latest[latest["label"].isin(STANCES)].copy()
    if lab.empty:
        return pd.DataFrame(columns=cols)
    for s in STANCES:
        lab[f"y_{s}"] = (lab["label"] == s).astype(float)
    w = pd.Series(1.0, index=lab.index)
    if {"cell_size", "cell_drawn"} <= set(lab.columns):
        with np.errstate(invalid="ignore", divide="ignore"):
            w = pd.to_numeric(lab["cell_size"], errors="coerce") / pd.to_numeric(
                lab["cell_drawn"], errors="coerce"
            )
    lab["weight"] = w.where(np.isfinite(w) & (w > 0), 1.0)
    return lab[cols].reset_index(drop=True)


def _label_arrays(cube: Cube, samples: np.ndarray, lab: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Labels on the cube's grid: Y (C, X, K, 3), NaN where unlabelled or unscored; weights (C, X, K)."""
    y = np.full(cube.p.shape, np.nan)
    w = np.zeros(cube.p.shape[:3])
    if lab.empty:
        return y, w
    c = pd.Index(cube.checkpoints["checkpoint"]).get_indexer(lab["checkpoint"])
    x = pd.Index(cube.prompts["prompt_id"]).get_indexer(lab["prompt_id"])
    k = pd.Index(samples).get_indexer(lab["sample"].astype(int))
    ok = (c >= 0) & (x >= 0) & (k >= 0)
    c, x, k = c[ok], x[ok], k[ok]
    scored = ~np.isnan(cube.p[c, x, k, 0])  # a label on an answer the judge could not score is unusable
    c, x, k = c[scored], x[scored], k[scored]
    y[c, x, k] = lab[[f"y_{s}" for s in STANCES]].to_numpy(float)[ok][scored]
    w[c, x, k] = lab["weight"].to_numpy(float)[ok][scored]
    return y, w


# --- PPI++ ----------------------------------------------------------------------------------------
def _ppi_core(n: np.ndarray, f: np.ndarray, w: np.ndarray, wf: np.ndarray, wy: np.ndarray) -> tuple:
    """θ̂ and λ of PPI++ from per-prompt sums over the prompt axis (−1 for n, w; −2 for the rest).

    n: scored answers, f: Σ f, w: Σ label weights, wf: Σ w·f, wy: Σ w·Y, per prompt (a left-out prompt
    is all zeros); leading batch dimensions (the jackknife's copies) are reduced separately.
    λ minimises Σ_x ||λ b_x + k_x||², the trace of the cluster-robust variance of θ̂(λ), where b_x
    and k_x are prompt x's influence on f̄_all − f̄_lab and on Ȳ_lab.
    """
    big_n, big_w = n.sum(-1)[..., None], w.sum(-1)[..., None]  # (..., 1)
    fbar, fl, yl = f.sum(-2) / big_n, wf.sum(-2) / big_w, wy.sum(-2) / big_w  # (..., 3)
    a = (f - n[..., None] * fbar[..., None, :]) / big_n[..., None]
    h = (wf - w[..., None] * fl[..., None, :]) / big_w[..., None]
    k = (wy - w[..., None] * yl[..., None, :]) / big_w[..., None]
    b = a - h
    bb, kk = (b * b).sum((-2, -1)), (k * k).sum((-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):  # b = 0: a judge without information
        lam = np.where(bb > 1e-12 * kk, np.clip(-(b * k).sum((-2, -1)) / bb, 0.0, 1.0), 1.0)
    return lam[..., None] * fbar + yl - lam[..., None] * fl, lam


def _ppi_parts(f: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict:
    """PPI++ at one checkpoint over one topic's prompts: f, y (X, K, 3), w (X, K).

    Returns θ̂ (3,), λ, the leave-one-prompt-out estimates ``loo`` (X, 3) for the jackknife (λ
    re-tuned in each), the number of usable labels, and which prompts have answers / labels.
    """
    valid = ~np.isnan(f[..., 0])
    lab = valid & ~np.isnan(y[..., 0]) & (w > 0)
    n_lab = int(lab.sum())
    out = {"n_labels": n_lab, "has_answers": valid.any(1), "has_labels": lab.any(1)}
    if not valid.any() or n_lab == 0:
        return out | {"theta": np.full(3, np.nan), "lam": np.nan, "loo": None}
    f0 = np.where(valid[..., None], f, 0.0)
    wl = np.where(lab, w, 0.0)
    sums = (
        valid.sum(1).astype(float),
        f0.sum(1),
        wl.sum(1),
        (wl[..., None] * f0).sum(1),
        (wl[..., None] * np.where(lab[..., None], y, 0.0)).sum(1),
    )
    theta, lam = _ppi_core(*sums)
    n_x = len(f)
    loo = np.empty((n_x, 3))
    block = max(1, 1_000_000 // (n_x * 3))  # leave-one-out copies per batch: ~25 MB per array
    for lo in range(0, n_x, block):
        keep = (np.arange(n_x)[None, :] != np.arange(lo, min(lo + block, n_x))[:, None]).astype(float)
        copies = [s[None] * (keep if s.ndim == 1 else keep[..., None]) for s in sums]
        with np.errstate(invalid="ignore", divide="ignore"):
            loo[lo : lo + block], _ = _ppi_core(*copies)
    return out | {"theta": theta, "lam": float(lam), "loo": loo}


def _jackknife_interval(loo: np.ndarray, clusters: np.ndarray, df_clusters: int, level: float) -> tuple:
    """Delete-one-prompt jackknife standard error over the G prompts present, and a t interval.

    SE² = (G−1)/G Σ_x (θ̂_(−x) − mean)²; it re-tunes λ in every copy, so the tuning's optimism is
    counted too. Degrees of freedom: labelled prompts − 1.
    """
    g = int(clusters.sum())
    if g < 2 or df_clusters < 2:
        nan = np.full(loo.shape[1], np.nan)
        return nan, nan, np.nan
    th = loo[clusters]
    se = np.sqrt((g - 1) / g * ((th - th.mean(0)) ** 2).sum(0))
    df = df_clusters - 1
    return se, stats.t.ppf(0.5 + level / 2, df) * se, df


def _ppi_reason(parts: dict, where: str) -> str:
    if not parts["has_answers"].any():
        return f"no scored answers at {where}"
    if parts["n_labels"] < 2:
        return f"{parts['n_labels']} usable label(s) at {where}: at least 2 needed"
    if int(parts["has_labels"].sum()) < 2:
        return f"labels on a single prompt at {where}: at least 2 prompts needed"
    return ""


def _grid(judgments: pd.DataFrame, labels: pd.DataFrame):
    cube = build_cube(judgments)
    samples = np.unique(judgments["sample"].astype(int).to_numpy())
    y, w = _label_arrays(cube, samples, usable_labels(labels))
    return cube, y, w


def ppi_stances(
    judgments: pd.DataFrame, labels: pd.DataFrame, cfg: AnalysisConfig | None = None
) -> pd.DataFrame:
    """PPI++ stance distributions: the stances table's key columns, every checkpoint and category.

    value / ci_low / ci_high are NaN, with ``reason``, where a (checkpoint, category) has fewer than
    2 usable labels (or labels on a single prompt) — never the raw value. Extra columns: se, df,
    lambda, n_labels, correction, correction_note, reason.
    """
    cfg = cfg or AnalysisConfig()
    cube, y, w = _grid(judgments, labels)
    rows = []
    for category in [*cube.categories, OVERALL]:
        idx = np.flatnonzero(cube.prompt_mask(None if category == OVERALL else category))
        for c, ck in cube.checkpoints.iterrows():
            parts = _ppi_parts(cube.p[c, idx], y[c, idx], w[c, idx])
            reason = _ppi_reason(parts, ck["checkpoint"])
            theta, lam = parts["theta"], parts["lam"]
            se = half = np.full(3, np.nan)
            df = np.nan
            if not reason:
                se, half, df = _jackknife_interval(
                    parts["loo"], parts["has_answers"], int(parts["has_labels"].sum()), cfg.ci
                )
            else:
                theta, lam = np.full(3, np.nan), np.nan
            n_valid = int((~np.isnan(cube.p[c, idx][..., 0])).sum())
            for si, stance in enumerate(STANCES):
                rows.append(
                    {
                        **ck.to_dict(),
                        "category": category,
                        "stance": stance,
                        "value": theta[si],
                        "ci_low": theta[si] - half[si],
                        "ci_high": theta[si] + half[si],
                        "n": n_valid,
                        "n_prompts": int(parts["has_answers"].sum()),
                        "n_unscored": int(cube.unscored[c, idx].sum()),
                        "se": se[si],
                        "df": df,
                        "lambda": lam,
                        "n_labels": parts["n_labels"],
                        "ci_level": cfg.ci,
                        "correction": "ppi",
                        "correction_note": PPI_NOTE,
                        "reason": reason,
                    }
                )
    return pd.DataFrame(rows).sort_values(["stage", "step", "category", "stance"]).reset_index(drop=True)


def ppi_drift(
    judgments: pd.DataFrame,
    labels: pd.DataFrame,
    manifest: dict | None = None,
    cfg: AnalysisConfig | None = None,
) -> pd.DataFrame:
    """PPI++ drift magnitudes M = θ̂_end − θ̂_start per stage, category and stance, with t intervals.

    The jackknife leaves the same prompt out at both ends: the judge terms are paired over prompts,
    and the two label samples, drawn independently, add their variances. NaN with ``reason`` where
    either end lacks 2 usable labels on 2 prompts.
    """
    cfg = cfg or AnalysisConfig()
    cube, y, w = _grid(judgments, labels)
    rows = []
    for st in _stage_layout(cube, manifest):
        c0, c1 = st["codes"][0], st["codes"][-1]
        names = cube.checkpoints["checkpoint"]
        for category in [*cube.categories, OVERALL]:
            idx = np.flatnonzero(cube.prompt_mask(None if category == OVERALL else category))
            p0 = _ppi_parts(cube.p[c0, idx], y[c0, idx], w[c0, idx])
            p1 = _ppi_parts(cube.p[c1, idx], y[c1, idx], w[c1, idx])
            reason = _ppi_reason(p0, names[c0]) or _ppi_reason(p1, names[c1])
            m = se = half = np.full(3, np.nan)
            df = np.nan
            if not reason:
                m = p1["theta"] - p0["theta"]
                labelled = p0["has_labels"] | p1["has_labels"]
                se, half, df = _jackknife_interval(
                    p1["loo"] - p0["loo"], p0["has_answers"] | p1["has_answers"], int(labelled.sum()), cfg.ci
                )
            n_prompts = int((p0["has_answers"] & p1["has_answers"]).sum())
            for si, stance in enumerate(STANCES):
                rows.append(
                    {
                        "stage": st["stage"],
                        "algorithm": st["algorithm"],
                        "category": category,
                        "stance": stance,
                        "v_start": p0["theta"][si] if not reason else np.nan,
                        "v_end": p1["theta"][si] if not reason else np.nan,
                        "magnitude": m[si],
                        "ci_low": m[si] - half[si],
                        "ci_high": m[si] + half[si],
                        "ci_level": cfg.ci,
                        "se": se[si],
                        "df": df,
                        "n_prompts": n_prompts,
                        "lambda_start": p0["lam"],
                        "lambda_end": p1["lam"],
                        "n_labels": p0["n_labels"] + p1["n_labels"],
                        "n_labels_start": p0["n_labels"],
                        "n_labels_end": p1["n_labels"],
                        "correction": "ppi",
                        "correction_note": PPI_NOTE,
                        "reason": reason,
                    }
                )
    return pd.DataFrame(rows)


# --- confusion-matrix correction -------------------------------------------------------------------
MAX_CONDITION = 30.0
"""A misclassification matrix worse conditioned than this amplifies noise too much to invert."""


@dataclass
class Misclassification:
    """R[s, j] = E[judge's probability of j | true stance s], and the items it was estimated from.

    ``y`` (n, 3) one-hot true labels and ``f`` (n, 3) the judge's probabilities (or one-hot votes,
    ``votes=True``, for a validation matrix that counts votes): resampled for R's uncertainty.
    """

    y: np.ndarray
    f: np.ndarray
    source: str  # 'labels' or 'validation'
    votes: bool = False

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def r(self) -> np.ndarray:
        return _misclassification(self.y, self.f)

    def check(self) -> str:
        """'' when R can be inverted; else why not (a true stance never seen, or near-singular)."""
        missing = [s for s, c in zip(STANCES, self.y.sum(0), strict=True) if c == 0]
        if missing:
            return f"no {self.source} answer whose true stance is {', '.join(missing)}"
        cond = float(np.linalg.cond(self.r))
        if not np.isfinite(cond) or cond > MAX_CONDITION:
            return f"the judge's confusion matrix is too close to singular to invert (condition number {cond:.0f})"
        return ""


def _misclassification(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Soft counts C[s, j] = Σ_i Y_is f_ij, rows normalised (a true stance with no item: identity row)."""
    counts = y.T @ f
    r = np.eye(len(STANCES))
    tot = counts.sum(1)
    r[tot > 0] = counts[tot > 0] / tot[tot > 0, None]
    return r


def misclassification_from_labels(judgments: pd.DataFrame, labels: pd.DataFrame) -> Misclassification:
    """R from the run's human labels pooled over checkpoints: R[s, j] = mean f_j over answers labelled s."""
    lab = usable_labels(labels)
    merged = lab.merge(judgments[judgments["status"] == "ok"], on=LABEL_KEY, how="inner")
    f = merged[[f"p_{s}" for s in STANCES]].to_numpy(float)
    y = merged[[f"y_{s}" for s in STANCES]].to_numpy(float)
    return Misclassification(y=y, f=f, source="labels")


def misclassification_from_validation(judge_meta: dict | None) -> Misclassification | None:
    """R from the judge's validation confusion matrix (``judge_meta.json``: validation.gold.confusion).

    The matrix is {true: {judged: count}} over hard votes ('unscored' votes are left out), so the
    correction is then applied to the run's votes. None when no matrix was stored.
    """
    gold = ((judge_meta or {}).get("validation") or {}).get("gold") or {}
    conf = gold.get("confusion")
    if not conf:
        return None
    y, f = [], []
    eye = np.eye(len(STANCES))
    for si, true in enumerate(STANCES):
        for ji, judged in enumerate(STANCES):
            m = int((conf.get(true) or {}).get(judged, 0))
            y += [eye[si]] * m
            f += [eye[ji]] * m
    if not y:
        return None
    return Misclassification(y=np.array(y), f=np.array(f), source="validation", votes=True)


def apply_confusion(judgments: pd.DataFrame, q: np.ndarray, *, votes: bool = False) -> pd.DataFrame:
    """The judgments with each scored row's probabilities replaced by p̃ = f·Q (or onehot(vote)·Q).

    With Q = R⁻¹ the rows of p̃ still sum to 1, but single entries may leave [0, 1]: p̃ is unbiased
    for the true stance *on average*, not a probability of one answer.
    """
    cols = [f"p_{s}" for s in STANCES]
    out = judgments.copy()
    ok = (out["status"] == "ok").to_numpy()
    f = out.loc[ok, cols].to_numpy(float)
    if votes:
        f = np.eye(len(STANCES))[f.argmax(1)]
    out.loc[ok, cols] = f @ q
    return out


def _widen(df: pd.DataFrame, raw: pd.DataFrame, col: str, keys: list[str], mis, cfg, n_boot: int):
    """Add R's uncertainty: resample the items R came from, map the raw means through each R_b⁻¹,
    and add the percentile interval's half-widths to the analysis's, in quadrature, side by side.

    Resamples whose R_b is too ill-conditioned to invert count at the interval's far ends, so a
    matrix known from few labels widens the interval rather than being dropped.
    """
    wide = raw.pivot_table(index=keys, columns="stance", values=col, dropna=False)[list(STANCES)]
    v = wide.reset_index().merge(df[keys], on=keys, how="right")[list(STANCES)].to_numpy(float)
    rng = np.random.default_rng(cfg.seed)
    q_b = np.full((n_boot, len(STANCES), len(STANCES)), np.nan)
    for b in range(n_boot):
        i = rng.integers(0, mis.n, mis.n)
        r_b = _misclassification(mis.y[i], mis.f[i])
        if np.linalg.cond(r_b) <= MAX_CONDITION:
            q_b[b] = np.linalg.inv(r_b)
    si = df["stance"].map(STANCES.index).to_numpy()
    est = np.einsum("rj,bjs->brs", v, q_b)[:, np.arange(len(df)), si]  # (B, rows)
    bad = np.isnan(q_b[:, 0, 0])
    est[bad] = np.where(np.arange(bad.sum()) % 2 == 0, -np.inf, np.inf)[:, None]
    alpha = (1 - cfg.ci) / 2
    point = df[col].to_numpy(float)
    lo = np.quantile(est, alpha, axis=0, method="lower")  # no interpolation: draws may be ±inf
    hi = np.quantile(est, 1 - alpha, axis=0, method="higher")
    down, up = np.clip(point - lo, 0, None), np.clip(hi - point, 0, None)
    df["ci_low"] = point - np.sqrt((point - df["ci_low"]) ** 2 + down**2)
    df["ci_high"] = point + np.sqrt((df["ci_high"] - point) ** 2 + up**2)
    df["se_correction"] = (hi - lo) / (2 * stats.norm.ppf(1 - alpha))


def confusion_tables(
    judgments: pd.DataFrame,
    mis: Misclassification,
    manifest: dict | None = None,
    cfg: AnalysisConfig | None = None,
    *,
    note: str = "",
    propagate: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stances and drift recomputed with the ordinary analysis on p̃ = f·R⁻¹, with ``note``.

    With ``propagate`` the intervals also carry R's own uncertainty (``n_bootstrap`` resamples of
    the items R was estimated from, added in quadrature); column ``ci_includes_correction_uncertainty``.
    """
    cfg = cfg or AnalysisConfig()
    q = np.linalg.inv(mis.r)
    base = apply_confusion(judgments, np.eye(len(STANCES)), votes=mis.votes)  # the judge's f (or votes)
    corrected = apply_confusion(base, q)
    stances, drift = compute_stances(corrected, cfg), compute_drift(corrected, manifest, cfg)
    if propagate:
        _widen(
            stances,
            compute_stances(base, cfg),
            "value",
            ["checkpoint", "category"],
            mis,
            cfg,
            cfg.n_bootstrap,
        )
        _widen(
            drift,
            compute_drift(base, manifest, cfg),
            "magnitude",
            ["stage", "category"],
            mis,
            cfg,
            cfg.n_bootstrap,
        )
    for df in (stances, drift):
        df["n_labels"] = mis.n if mis.source == "labels" else 0
        df["correction"] = "confusion"
        df["correction_note"] = note
        df["ci_includes_correction_uncertainty"] = propagate
        df["reason"] = ""
    return stances, drift


def correct(
    judgments: pd.DataFrame,
    labels: pd.DataFrame | None,
    method: str,
    manifest: dict | None = None,
    cfg: AnalysisConfig | None = None,
    *,
    judge_meta: dict | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Corrected (stances, drift) tables by ``method`` ('ppi' or 'confusion').

    ``confusion`` estimates R from the labels when there are any, else from ``judge_meta``'s
    validation confusion matrix; ValueError when neither can be inverted (``analyze_run`` checks
    this first and raises a UserError).
    """
    labels = labels if labels is not None else pd.DataFrame()
    if method == "ppi":
        return ppi_stances(judgments, labels, cfg), ppi_drift(judgments, labels, manifest, cfg)
    if method != "confusion":
        raise ValueError(f"unknown correction {method!r}")
    mis = misclassification(judgments, labels, judge_meta)
    if mis is None or mis.check():
        raise ValueError(f"confusion correction impossible: {mis.check() if mis else 'no labels, no matrix'}")
    template = CONFUSION_LABELS_NOTE if mis.source == "labels" else CONFUSION_VALIDATION_NOTE
    return confusion_tables(judgments, mis, manifest, cfg, note=template.format(n=mis.n))


def misclassification(
    judgments: pd.DataFrame, labels: pd.DataFrame, judge_meta: dict | None
) -> Misclassification | None:
    """R from the run's labels when it has usable ones, else from the validation matrix, else None."""
    mis = misclassification_from_labels(judgments, labels) if not labels.empty else None
    return mis if mis is not None and mis.n else misclassification_from_validation(judge_meta)


# --- a run's inputs and outputs (called by analyze_run) --------------------------------------------
CORRECTED_TABLES = ("stances_corrected", "drift_corrected")


def _read_labels(run) -> pd.DataFrame:
    """``RUN_DIR/labels.jsonl`` (``valuedrift label``) as a DataFrame; empty when the run has none."""
    from valuedrift.judge.labels import read_labels

    return read_labels(run)


def correction_inputs(run, method: str, judgments: pd.DataFrame) -> dict | None:
    """The labels and judge_meta a correction needs; a UserError, before any work, when it cannot run.

    ``ppi`` needs usable human labels in the run; ``confusion`` needs labels or a validation
    confusion matrix in ``judge_meta.json``, invertible. None for ``method == 'none'``.
    """
    from valuedrift.errors import UserError

    if method == "none":
        return None
    labels = _read_labels(run)
    n = len(usable_labels(labels))
    meta_path = run.path / "judge_meta.json"
    judge_meta = json.loads(meta_path.read_text()) if meta_path.exists() else None
    if method == "ppi" and n == 0:
        raise UserError(
            f"{run.path}: analysis.correction is 'ppi' but the run has no human labels (labels.jsonl)",
            hint=f"label a sample of its answers first: valuedrift label {run.path}",
        )
    if method == "confusion":
        mis = misclassification(judgments, labels, judge_meta)
        if mis is None:
            raise UserError(
                f"{run.path}: analysis.correction is 'confusion' but the run has neither human labels "
                "nor a validation confusion matrix of its judge",
                hint=f"label a sample of its answers (valuedrift label {run.path}) or validate the judge "
                "(valuedrift judge --validate)",
            )
        if why := mis.check():
            raise UserError(
                f"{run.path}: analysis.correction 'confusion': {why}",
                hint="label more answers, or use analysis.correction: ppi",
            )
    return {"method": method, "labels": labels, "judge_meta": judge_meta}


def write_corrected(run, judgments: pd.DataFrame, manifest: dict | None, cfg: AnalysisConfig, inputs):
    """Write ``stances_corrected.parquet`` and ``drift_corrected.parquet`` (or, with no correction,
    remove stale ones, so the report never shows figures of an earlier analysis). Returns the tables."""
    if inputs is None:
        for name in CORRECTED_TABLES:
            run.table_path(name).unlink(missing_ok=True)
        return None
    tables = correct(
        judgments, inputs["labels"], inputs["method"], manifest, cfg, judge_meta=inputs["judge_meta"]
    )
    for name, df in zip(CORRECTED_TABLES, tables, strict=True):
        run.write_table(name, df)
    return tables


def correction_summary(run_path) -> dict | None:
    """What a run's corrected tables rest on, for headings: method, n_labels, label, note; or None.

    ``label`` reads 'PPI, 96 labels', 'confusion, 96 labels' or 'confusion, validation set'.
    """
    from pathlib import Path

    path = Path(run_path) / "stances_corrected.parquet"
    if not path.exists():
        return None
    st = pd.read_parquet(path, columns=["category", "stance", "n_labels", "correction", "correction_note"])
    if st.empty:
        return None
    method = str(st["correction"].iloc[0])
    one = st[(st["category"] == OVERALL) & (st["stance"] == STANCES[0])]
    n = int(one["n_labels"].sum()) if method == "ppi" else int(st["n_labels"].max())
    name = "PPI" if method == "ppi" else method
    label = f"{name}, {n} labels" if n else f"{name}, validation set"
    return {"method": method, "n_labels": n, "label": label, "note": str(st["correction_note"].iloc[0])}
