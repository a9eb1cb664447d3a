r"""Coverage of the interval methods on simulated runs with a known truth (docs/intervals.md).

A run is simulated as valuedrift sees one: X prompts drawn from a prompt population, K answers per
prompt at each checkpoint, a judge that returns near-one-hot probabilities, some answers unscored.

- Prompt x's stance propensity at the start: :math:`\pi_{0x} \sim \mathrm{Dir}(\kappa \mu)`; a small
  κ puts the propensities near the corners, so a prompt's answers are near-deterministic.
- At the end of a branch the same prompt moves towards the target stance e (oppose):
  :math:`\pi_{1x} = (1 - \lambda_x) \pi_{0x} + \lambda_x e`, :math:`\lambda_x \sim
  \mathrm{Beta}(2\bar\lambda, 2(1 - \bar\lambda))` (λ = 0 when λ̄ = 0: no drift, prompt effects shared).
- An answer's stance y ~ π; the judge says :math:`(1-\varepsilon)` for y and splits ε at random
  between the other two, :math:`\varepsilon \sim U(0, \varepsilon_{max})`; an answer is unscored
  with probability ``unscored``, independently of everything else.

The truth is the expectation over the prompt population (the ratio estimator's limit; unscored
answers are missing at random): :math:`\mathbb{E}[p] = (1 - \tfrac32\bar\varepsilon)\,\mathbb{E}[\pi] +
\tfrac12\bar\varepsilon`, so :math:`v_{start} = (1 - \tfrac32\bar\varepsilon)\mu + \tfrac12\bar\varepsilon`,
:math:`M = (1 - \tfrac32\bar\varepsilon)\,\bar\lambda\,(e - \mu)` and, for two branches from the same
start, :math:`M_A - M_B = (1 - \tfrac32\bar\varepsilon)(\bar\lambda_A - \bar\lambda_B)(e - \mu)`.

>>> from valuedrift.analysis.coverage import Design, coverage
>>> coverage(Design(n_prompts=11, n_samples=3, shift=0.3), "magnitude", n_runs=200)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from valuedrift.analysis.intervals import METHODS, contrast_interval

ESTIMANDS: tuple[str, ...] = ("value", "magnitude", "branch")
"""value: v_start; magnitude: M = v_end − v_start; branch: M_A − M_B, two branches from one start."""


@dataclass(frozen=True)
class Design:
    """One simulated setting (see the module docstring for the model)."""

    n_prompts: int = 22
    n_samples: int = 2
    mu: tuple[float, float, float] = (0.5, 0.3, 0.2)  # mean start propensity (support, neutral, oppose)
    concentration: float = 0.5  # κ: small = answers near-deterministic per prompt
    shift: float = 0.0  # λ̄ of branch A (the drift)
    shift_b: float = 0.0  # λ̄ of branch B (estimand 'branch')
    target: int = 2  # the stance the branches move towards (oppose)
    eps_max: float = 0.1  # judge softness: ε ~ U(0, eps_max)
    unscored: float = 0.05


def truth(design: Design, estimand: str) -> np.ndarray:
    """The estimand's exact value (S,) under the design: an expectation over the prompt population."""
    mu = np.asarray(design.mu, float)
    e = np.eye(3)[design.target]
    shrink = 1 - 1.5 * design.eps_max / 2  # 1 − 3ε̄/2 with ε̄ = eps_max / 2
    if estimand == "value":
        return shrink * mu + design.eps_max / 4
    if estimand == "magnitude":
        return shrink * design.shift * (e - mu)
    if estimand == "branch":
        return shrink * (design.shift - design.shift_b) * (e - mu)
    raise ValueError(f"estimand must be one of {', '.join(ESTIMANDS)}, got {estimand!r}")


def _shift(rng: np.random.Generator, mean: float, shape: tuple) -> np.ndarray:
    if mean <= 0:
        return np.zeros(shape)
    return rng.beta(2 * mean, 2 * (1 - mean), size=shape)


def simulate(design: Design, n_runs: int, rng: np.random.Generator) -> np.ndarray:
    """Judge probabilities p[r, j, x, k, s] of ``n_runs`` runs at the start, end of A, end of B (NaN: unscored)."""
    d = design
    shape = (n_runs, d.n_prompts)
    pi0 = rng.dirichlet(d.concentration * np.asarray(d.mu, float), size=shape)  # (R, X, 3)
    pi0 = np.nan_to_num(pi0)  # a Dirichlet draw that underflowed in every coordinate: vanishingly rare
    e = np.eye(3)[d.target]
    pis = [pi0]
    for mean in (d.shift, d.shift_b):
        lam = _shift(rng, mean, shape)[..., None]
        pis.append((1 - lam) * pi0 + lam * e)
    pi = np.stack(pis, axis=1)  # (R, J, X, 3)
    cum = np.cumsum(pi, axis=-1)[..., None, :]  # (R, J, X, 1, 3)
    u = rng.random((*pi.shape[:-1], d.n_samples))[..., None]
    y = np.minimum((u > cum).sum(-1), 2)  # (R, J, X, K): the answer's stance
    eps = rng.uniform(0, d.eps_max, size=y.shape)
    split = rng.random(y.shape)
    p = np.zeros((*y.shape, 3))
    np.put_along_axis(p, y[..., None], (1 - eps)[..., None], axis=-1)
    np.put_along_axis(p, ((y + 1) % 3)[..., None], (eps * split)[..., None], axis=-1)
    np.put_along_axis(p, ((y + 2) % 3)[..., None], (eps * (1 - split))[..., None], axis=-1)
    p[rng.random(y.shape) < d.unscored] = np.nan
    return p


def pooled(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-prompt sums of scored probabilities (..., X, 3) and counts (..., X) from p (..., X, K, 3)."""
    valid = ~np.isnan(p[..., 0])
    return np.nan_to_num(p).sum(-2), valid.sum(-1).astype(float)


CONTRASTS = {"value": ([0], [1.0]), "magnitude": ([0, 1], [-1.0, 1.0]), "branch": ([1, 2], [1.0, -1.0])}
"""Per estimand: the simulated checkpoints it uses and its contrast weights."""


def two_level_interval(
    p0: np.ndarray, p1: np.ndarray, n_boot: int, rng: np.random.Generator, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """The interval valuedrift used before 0.2 for M, kept as the baseline: prompts resampled (paired),
    then the samples within each prompt resampled again, independently at start and end (counting the
    sample noise twice and breaking the pairing). ``p0``, ``p1``: (X, K, 3); returns (low, high) (3,)."""
    n_x, n_k = p0.shape[0], p0.shape[1]
    wx = rng.multinomial(n_x, np.full(n_x, 1 / n_x), size=n_boot).astype(float)  # (B, X)
    draws = []
    for p in (p0, p1):
        valid = ~np.isnan(p[..., 0])
        pick = rng.integers(0, n_k, size=(n_boot, n_x, n_k))  # samples drawn with replacement
        wk = (pick[..., None] == np.arange(n_k)).sum(-2).astype(float) * valid  # (B, X, K)
        sums = np.einsum("bxk,xks->bxs", wk, np.nan_to_num(p))
        with np.errstate(invalid="ignore", divide="ignore"):
            draws.append(np.einsum("bx,bxs->bs", wx, sums) / np.einsum("bx,bxk->b", wx, wk)[:, None])
    alpha = (1 - level) / 2
    lo, hi = np.nanquantile(draws[1] - draws[0], [alpha, 1 - alpha], axis=0)
    return lo, hi


def coverage(
    design: Design,
    estimand: str,
    methods: tuple[str, ...] = METHODS,
    *,
    n_runs: int = 1000,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    chunk: int = 100,
    two_level: bool = False,
) -> dict[str, dict]:
    """Coverage and mean width of each method over ``n_runs`` simulated runs of one design.

    Returns {method: {"coverage": pooled over the 3 stances, "worst": the lowest stance's coverage,
    "per_stance": [3], "width": mean width}}. Runs are processed ``chunk`` at a time, each chunk with
    its own bootstrap draws. ``two_level`` adds the old interval (estimand 'magnitude' only; slow).
    """
    truth_s = truth(design, estimand)
    rng = np.random.default_rng(seed)
    cols, weights = CONTRASTS[estimand]
    names = [*methods, *(["two_level"] if two_level and estimand == "magnitude" else [])]
    hits = {m: [] for m in names}
    widths = {m: [] for m in names}
    for start in range(0, n_runs, chunk):
        p = simulate(design, min(chunk, n_runs - start), rng)[:, cols]  # (R, J, X, K, 3)
        sums, counts = pooled(p)
        for m in methods:
            iv = contrast_interval(sums, counts, weights, method=m, level=level, n_boot=n_boot, rng=rng)
            hits[m].append((iv.low <= truth_s) & (truth_s <= iv.high))
            widths[m].append(iv.high - iv.low)
        if "two_level" in names:
            ends = np.array([two_level_interval(r[0], r[1], n_boot, rng, level) for r in p])  # (R, 2, 3)
            lo, hi = ends[:, 0], ends[:, 1]
            hits["two_level"].append((lo <= truth_s) & (truth_s <= hi))
            widths["two_level"].append(hi - lo)
    out = {}
    for m in names:
        h, w = np.concatenate(hits[m]), np.concatenate(widths[m])  # (R, 3); NaN intervals miss
        per = h.mean(0)
        out[m] = {
            "coverage": float(h.mean()),
            "worst": float(per.min()),
            "per_stance": [round(float(v), 4) for v in per],
            "width": float(np.nanmean(w)),
        }
    return out
