r"""Confidence intervals for stance values, drift magnitudes and branch differences, prompts as clusters.

Every figure valuedrift reports is a linear contrast of per-checkpoint *ratio* means,

.. math:: \theta_s = \sum_j c_{js} R_{js}, \qquad R_{js} = \frac{\sum_x S_{jxs}}{\sum_x N_{jx}},

where :math:`S_{jxs}` is the sum of the judge's p(s) over prompt x's scored answers at checkpoint j and
:math:`N_{jx}` their number (``drift._pooled``). A stance value is c = (1); a drift magnitude
c = (−1, +1) over (start, end); a branch comparison M_A − M_B c = (−1, +1, +1, −1) over
(start_A, end_A, start_B, end_B), which collapses to (+1, −1) over (end_A, end_B) when both branches
start from the same checkpoint. The checkpoints of one contrast are judged on the same prompts, so
the prompt is the independent unit (the cluster): every method below resamples or linearises over
prompts, keeping a prompt's answers at all checkpoints together (paired), which cancels prompt
effects. A prompt with no scored answer at a checkpoint carries no weight there (N = 0).

Methods (``METHODS``; choose with ``analysis.interval``, measured in docs/intervals.md):

- ``t``: the linearised (sandwich, CR1) standard error of θ over prompts,
  :math:`z_{xs} = \sum_j c_{js} (S_{jxs} - R_{js} N_{jx}) / \sum_x N_{jx}`,
  :math:`\widehat{se}^2 = \frac{n}{n-1} \sum_x z_{xs}^2`, with a Student t quantile on n − 1 degrees
  of freedom (n = prompts with a scored answer at a checkpoint of the contrast). With one answer per
  prompt and checkpoint this is the paired t interval.
- ``percentile``: the paired cluster bootstrap over prompts (one level), percentile interval.
- ``bca``: the same draws, bias-corrected and accelerated (Efron 1987); the acceleration from the
  leave-one-prompt-out jackknife.
- ``studentized``: bootstrap-t over the same draws, each draw studentized by its own linearised se.

Intervals are clipped to the contrast's range (a stance value lies in [0, 1]). p-values test θ = 0 by
inverting the same interval. Fewer than two prompts: NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

METHODS: tuple[str, ...] = ("t", "percentile", "bca", "studentized")
"""Interval methods, the first the default (chosen by the coverage simulation, docs/intervals.md)."""


@dataclass(frozen=True)
class Interval:
    """A contrast's estimate and interval, shaped (..., S) (``n_prompts`` (..., S) too)."""

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    se: np.ndarray  # the linearised standard error (every method reports it)
    p_value: np.ndarray  # two-sided, for θ = 0
    n_prompts: np.ndarray
    method: str


def contrast_interval(
    sums: np.ndarray,
    counts: np.ndarray,
    contrast=None,
    *,
    method: str = "t",
    level: float = 0.95,
    n_boot: int = 1000,
    rng: np.random.Generator | None = None,
) -> Interval:
    """Estimate and interval of θ = Σ_j c_j R_j for each leading index, prompts as paired clusters.

    ``sums``: (..., J, X, S) per-prompt sums of p(s) over scored answers; ``counts``: (..., J, X)
    their numbers; ``contrast``: (J,) or broadcastable to (..., J, S) (default: J = 1, θ = R).
    The bootstrap methods draw ``n_boot`` prompt resamples from ``rng``, shared by every leading
    index (so the checkpoints of one contrast are paired in each draw).
    """
    if method not in METHODS:
        raise ValueError(f"interval method must be one of {', '.join(METHODS)}, got {method!r}")
    sums, counts = np.asarray(sums, float), np.asarray(counts, float)
    c = _contrast(contrast, sums.shape)
    used = c != 0  # (..., J, S): checkpoints that enter the contrast of each stance
    total = counts.sum(-1)  # (..., J)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(total[..., None] > 0, sums.sum(-2) / total[..., None], 0.0)  # (..., J, S)
        per_answer = np.where(used & (total[..., None] > 0), c / total[..., None], 0.0)
    empty = ((total[..., None] == 0) & used).any(-2)  # a checkpoint of the contrast has no scored answer
    theta = np.where(empty, np.nan, (c * ratio).sum(-2))  # (..., S)
    # influence of each prompt on θ (the linearised ratio): (..., X, S)
    z = np.einsum("...js,...jxs->...xs", per_answer, sums - ratio[..., None, :] * counts[..., None])
    n = ((counts[..., None] > 0) & used[..., None, :]).any(-3).sum(-2)  # (..., S) prompts that count
    n = np.broadcast_to(n, theta.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(n / (n - 1) * (z**2).sum(-2))
    se = np.where((n >= 2) & ~empty, se, np.nan)
    alpha = (1 - level) / 2
    if method == "t":
        low, high, p = _t_interval(theta, se, n, alpha)
    else:
        rng = rng if rng is not None else np.random.default_rng(0)
        n_x = sums.shape[-2]
        w = rng.multinomial(n_x, np.full(n_x, 1 / n_x), size=n_boot).astype(float)  # (B, X)
        draws, boot_ratio, boot_total = _draws(w, sums, counts, c)  # (..., B, S)
        if method == "percentile":
            low, high, p = _percentile(draws, alpha)
        elif method == "bca":
            low, high, p = _bca(draws, theta, _jackknife(sums, counts, c), alpha)
        else:
            se_star = _boot_se(w, sums, counts, c, boot_ratio, boot_total, n)
            low, high, p = _studentized(draws, theta, se, se_star, alpha)
        low, high = np.where(n >= 2, low, np.nan), np.where(n >= 2, high, np.nan)
    floor, ceil = np.minimum(c, 0).sum(-2), np.maximum(c, 0).sum(-2)  # θ's range: R_j in [0, 1]
    low, high = np.clip(low, floor, ceil), np.clip(high, floor, ceil)
    return Interval(theta, low, high, se, p, n, method)


def _contrast(contrast, shape: tuple) -> np.ndarray:
    """The contrast as an array broadcastable to (..., J, S)."""
    n_j = shape[-3]
    c = np.ones(1) if contrast is None else np.asarray(contrast, float)
    if c.ndim == 1:
        c = c[:, None]
    if c.shape[-2] != n_j:
        raise ValueError(f"contrast has {c.shape[-2]} checkpoint weights for {n_j} checkpoints")
    return c


def _t_interval(theta, se, n, alpha):
    """θ ± t_{n−1, 1−α} · se, and the t-test p-value (se = 0: p = 0 unless θ = 0)."""
    dof = np.where(n >= 2, n - 1, np.nan)
    q = stats.t.ppf(1 - alpha, dof)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * stats.t.sf(np.abs(theta) / se, dof)
    p = np.where((se == 0) & (theta == 0), 1.0, p)
    return theta - q * se, theta + q * se, p


def _draws(w, sums, counts, c):
    """Bootstrap draws of θ: prompts reweighted by w (B, X), the same draw at every checkpoint."""
    boot_total = np.einsum("bx,...jx->...bj", w, counts)  # (..., B, J)
    with np.errstate(invalid="ignore", divide="ignore"):  # a draw with no scored answer: NaN
        boot_ratio = np.einsum("bx,...jxs->...bjs", w, sums) / boot_total[..., None]
    cb = c[..., None, :, :]
    draws = (cb * np.nan_to_num(boot_ratio)).sum(-2)  # (..., B, S)
    draws = np.where((np.isnan(boot_ratio) & (cb != 0)).any(-2), np.nan, draws)
    return draws, boot_ratio, boot_total


def _quantile(draws: np.ndarray, q) -> np.ndarray:
    """Per-element quantile q (..., S) of draws (..., B, S) ignoring NaN (linear interpolation)."""
    ordered = np.sort(draws, axis=-2)  # NaN last
    valid = (~np.isnan(draws)).sum(-2)  # (..., S)
    q = np.asarray(q, float)
    pos = np.clip(np.nan_to_num(q), 0, 1) * np.maximum(valid - 1, 0)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(valid - 1, 0))
    a = np.take_along_axis(ordered, lo[..., None, :], axis=-2)[..., 0, :]
    b = np.take_along_axis(ordered, hi[..., None, :], axis=-2)[..., 0, :]
    with np.errstate(invalid="ignore"):
        out = a + (pos - lo) * (b - a)
    out = np.where(pos == lo, a, out)  # no inf − inf at an exact order statistic
    return np.where((valid > 0) & ~np.isnan(q), out, np.nan)


def _tail(draws: np.ndarray, value) -> tuple[np.ndarray, np.ndarray]:
    """Fractions of the valid draws at or below / at or above ``value`` (..., S)."""
    valid = (~np.isnan(draws)).sum(-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        below = (draws <= value[..., None, :]).sum(-2) / valid
        above = (draws >= value[..., None, :]).sum(-2) / valid
    return below, above


def _percentile(draws, alpha):
    """Percentile interval; p-value 2·min(P*(θ* ≤ 0), P*(θ* ≥ 0))."""
    low, high = _quantile(draws, alpha), _quantile(draws, 1 - alpha)
    below, above = _tail(draws, np.zeros(draws.shape[:-2] + draws.shape[-1:]))
    return low, high, np.minimum(1.0, 2 * np.minimum(below, above))


def _jackknife(sums, counts, c):
    """Leave-one-prompt-out θ (..., X, S); NaN where prompt x carries no weight (not a jackknife unit)."""
    total, tot_s = counts.sum(-1), sums.sum(-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        loo = (tot_s[..., None, :] - sums) / (total[..., None] - counts)[..., None]  # (..., J, X, S)
    loo = (c[..., None, :] * np.where(c[..., None, :] != 0, loo, 0.0)).sum(-3)
    live = ((counts[..., None] > 0) & (c != 0)[..., None, :]).any(-3)  # (..., X, S)
    return np.where(live, loo, np.nan)


def _bca(draws, theta, loo, alpha):
    """Efron's BCa: bias z0 from the draws below θ̂, acceleration a from the jackknife skewness."""
    ok = ~np.isnan(draws)
    valid = np.maximum(ok.sum(-2), 1)
    at = theta[..., None, :]
    frac = ((draws < at) & ok).sum(-2) / valid + ((draws == at) & ok).sum(-2) / (2 * valid)
    z0 = stats.norm.ppf(np.clip(frac, 0.5 / valid, 1 - 0.5 / valid))
    live = (~np.isnan(loo)).sum(-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.nansum(loo, axis=-2, keepdims=True) / live - loo
    num, den = np.nansum(d**3, axis=-2), np.nansum(d**2, axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(den > 0, num / (6 * den**1.5), 0.0)

    def adjusted(zq):
        return stats.norm.cdf(z0 + (z0 + zq) / (1 - a * (z0 + zq)))

    za = stats.norm.ppf(alpha)
    low, high = _quantile(draws, adjusted(za)), _quantile(draws, adjusted(-za))
    # p: the α at which an end point reaches 0, the BCa map inverted at u = Φ⁻¹(P*(θ* ≤ 0)) − z0
    below0, _ = _tail(draws, np.zeros_like(theta))
    u = stats.norm.ppf(np.clip(below0, 0.5 / valid, 1 - 0.5 / valid)) - z0  # resolution: 1 / draws
    with np.errstate(invalid="ignore", divide="ignore"):
        zalpha = u / (1 + a * u) - z0
    p = np.minimum(1.0, 2 * stats.norm.cdf(-np.abs(zalpha)))
    return low, high, np.where(theta == 0, 1.0, p)


def _boot_se(w, sums, counts, c, boot_ratio, boot_total, n):
    """Each draw's own linearised se (..., B, S), from Σ_x w_bx z_bx² expanded in per-prompt products."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cb = c[..., None, :, :]
        a = np.where(cb != 0, cb / boot_total[..., None], 0.0)  # (..., B, J, S)
        b = a * np.nan_to_num(boot_ratio)
    ss = np.einsum("bx,...jxs,...kxs->...bjks", w, sums, sums, optimize=True)
    sn = np.einsum("bx,...jxs,...kx->...bjks", w, sums, counts, optimize=True)
    nn = np.einsum("bx,...jx,...kx->...bjk", w, counts, counts, optimize=True)
    with np.errstate(invalid="ignore"):
        sq = (
            np.einsum("...bjs,...bks,...bjks->...bs", a, a, ss)
            - 2 * np.einsum("...bjs,...bks,...bjks->...bs", a, b, sn)
            + np.einsum("...bjs,...bks,...bjk->...bs", b, b, nn)
        )
        return np.sqrt(n[..., None, :] / (n[..., None, :] - 1) * np.maximum(sq, 0.0))


def _studentized(draws, theta, se, se_star, alpha):
    """Bootstrap-t: quantiles of (θ* − θ̂)/se* turned around θ̂ with the sample's se."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (draws - theta[..., None, :]) / se_star
    t = np.where((draws == theta[..., None, :]) & (se_star == 0), 0.0, t)  # a draw equal to θ̂
    q_lo, q_hi = _quantile(t, alpha), _quantile(t, 1 - alpha)
    with np.errstate(invalid="ignore"):
        low, high = theta - q_hi * se, theta - q_lo * se
    with np.errstate(invalid="ignore", divide="ignore"):
        t_obs = np.where(se > 0, theta / se, np.sign(theta) * np.inf)
    below, above = _tail(t, t_obs)
    p = np.minimum(1.0, 2 * np.minimum(below, above))
    return low, high, np.where(theta == 0, 1.0, p)


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (NaN stays NaN, out of the family)."""
    p = np.asarray(p_values, float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    adj = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    out[order] = np.minimum(adj, 1.0)
    return out
