"""Interval methods: hand computations, known identities, a seeded coverage simulation, branch differences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.analysis.helpers import judgments_table, manifest_for
from valuedrift.analysis.coverage import Design, coverage, pooled, simulate, truth
from valuedrift.analysis.intervals import METHODS, contrast_interval, holm
from valuedrift.config.schema import AnalysisConfig
from valuedrift.errors import UserError


def one_hot(support: list[list[float]]) -> np.ndarray:
    """p (X, K, 3) with p(support) as given (NaN: unscored) and p(neutral) = 1 − p(support)."""
    s = np.array(support, float)
    return np.stack([s, 1 - s, np.zeros_like(s)], axis=-1)


def test_t_interval_equals_a_hand_computation_with_an_unscored_answer():
    # 4 prompts x 2 answers, one unscored: R = 4/7; influences z_x = (S_x − R N_x) / 7
    p = one_hot([[1, 0], [1, np.nan], [0, 0], [1, 1]])
    sums, counts = pooled(p)
    iv = contrast_interval(sums[None], counts[None], method="t", level=0.5)
    se = np.sqrt(4 / 3 * (1 + 9 + 64 + 36) / 49**2)  # z = (−1, 3, −8, 6) / 49, n/(n−1) = 4/3
    half = stats.t.ppf(0.75, 3) * se
    assert iv.estimate[0] == pytest.approx(4 / 7)
    assert iv.se[0] == pytest.approx(se)
    assert (iv.low[0], iv.high[0]) == pytest.approx((4 / 7 - half, 4 / 7 + half))
    assert iv.n_prompts[0] == 4
    # the same figure through compute_stances (the judgments table, not arrays)
    from valuedrift.analysis.drift import compute_stances

    df = judgments_table({"sft": [(0, 0.0)]}, categories=("abortion",), prompts_per_category=4)
    ps = p[..., 0].reshape(-1)
    df["p_support"], df["p_neutral"] = ps, 1 - ps
    df.loc[np.isnan(ps), "status"] = "unscored"
    st = compute_stances(df, AnalysisConfig(ci=0.5))
    r = st[(st.category == "overall") & (st.stance == "support")].iloc[0]
    assert (r.value, r.ci_low, r.ci_high) == pytest.approx((4 / 7, 4 / 7 - half, 4 / 7 + half))
    assert r.ci_method == "t"


def test_paired_difference_se_is_the_se_of_per_prompt_mean_differences():
    rng = np.random.default_rng(4)
    p0, p1 = rng.dirichlet([0.4, 0.4, 0.4], size=(12, 3)), rng.dirichlet([0.4, 0.4, 0.4], size=(12, 3))
    sums, counts = pooled(np.stack([p0, p1]))
    iv = contrast_interval(sums, counts, [-1, 1], method="t")
    d = p1.mean(1) - p0.mean(1)  # (X, 3) per-prompt mean differences
    assert iv.se == pytest.approx(d.std(0, ddof=1) / np.sqrt(12))
    paired = stats.ttest_rel(p1.mean(1), p0.mean(1))
    ci = paired.confidence_interval(0.95)
    assert iv.low == pytest.approx(ci.low) and iv.high == pytest.approx(ci.high)
    assert iv.p_value == pytest.approx(paired.pvalue)


def test_a_prompt_without_scored_answers_carries_no_weight():
    rng = np.random.default_rng(5)
    p = rng.dirichlet([1, 1, 1], size=(2, 6, 2))  # (start, end) x 6 prompts x 2 samples
    dead = p.copy()
    dead[1, 5] = np.nan  # prompt 5 unscored at the end: it still counts at the start
    base = contrast_interval(*pooled(p[:, :5]), [-1, 1])
    with_dead = contrast_interval(*pooled(dead), [-1, 1])
    v0 = np.nanmean(p[0].reshape(-1, 3), 0)
    v1 = np.nanmean(p[1, :5].reshape(-1, 3), 0)
    assert with_dead.estimate == pytest.approx(v1 - v0)
    assert np.all(with_dead.n_prompts == 6)
    gone = np.full_like(p[:, :1], np.nan)  # a prompt with no scored answer anywhere changes nothing
    padded = contrast_interval(*pooled(np.concatenate([p[:, :5], gone], axis=1)), [-1, 1])
    assert padded.estimate == pytest.approx(base.estimate) and padded.se == pytest.approx(base.se)
    assert np.all(padded.n_prompts == 5)
    empty = contrast_interval(*pooled(np.concatenate([p[:1], np.full_like(p[:1], np.nan)])), [-1, 1])
    assert np.isnan(empty.estimate).all() and np.isnan(empty.low).all()


def test_bca_and_percentile_agree_with_scipy_on_a_plain_mean():
    x = np.random.default_rng(3).exponential(size=25)
    p = one_hot([[v] for v in x / (x.max() + 1)])
    sums, counts = pooled(p)
    for method, name in (("bca", "BCa"), ("percentile", "percentile")):
        iv = contrast_interval(
            sums[None], counts[None], method=method, n_boot=20000, rng=np.random.default_rng(1)
        )
        ref = stats.bootstrap((p[:, 0, 0],), np.mean, method=name, n_resamples=20000, random_state=1)
        assert iv.low[0] == pytest.approx(ref.confidence_interval.low, abs=0.004)
        assert iv.high[0] == pytest.approx(ref.confidence_interval.high, abs=0.004)


def test_every_method_is_seeded_and_close_to_t_on_many_prompts():
    d = Design(n_prompts=300, n_samples=3, shift=0.3)
    sums, counts = pooled(simulate(d, 1, np.random.default_rng(0))[0, :2])
    t = contrast_interval(sums, counts, [-1, 1], method="t")
    for m in METHODS:
        a = contrast_interval(sums, counts, [-1, 1], method=m, n_boot=2000, rng=np.random.default_rng(2))
        b = contrast_interval(sums, counts, [-1, 1], method=m, n_boot=2000, rng=np.random.default_rng(2))
        assert np.array_equal(a.low, b.low) and np.array_equal(a.high, b.high)
        assert a.estimate == pytest.approx(t.estimate)
        assert a.high - a.low == pytest.approx(t.high - t.low, rel=0.12)
        assert np.all((a.p_value < 0.05) == (t.p_value < 0.05))


def test_the_simulations_truth_is_what_a_huge_sample_estimates():
    d = Design(n_prompts=4000, n_samples=2, shift=0.3, shift_b=0.1)
    sums, counts = pooled(simulate(d, 1, np.random.default_rng(1))[0])
    for name, cols, w in (("value", [0], [1]), ("magnitude", [0, 1], [-1, 1]), ("branch", [1, 2], [1, -1])):
        iv = contrast_interval(sums[cols], counts[cols], w)
        assert np.all(np.abs(iv.estimate - truth(d, name)) < 3 * iv.se), name


def test_t_interval_covers_at_the_nominal_rate_with_22_prompts_and_the_old_one_is_wider():
    drift = coverage(Design(n_prompts=22, n_samples=2, shift=0.3), "magnitude", ("t",), n_runs=3000, seed=3)
    null = coverage(Design(n_prompts=22, n_samples=2), "magnitude", ("t",), n_runs=3000, seed=4)
    for res in (drift, null):
        assert 0.93 <= res["t"]["coverage"] <= 0.97, res
    # the two-level bootstrap counted sample noise twice: wider than it needs to be, over-covering
    old = coverage(
        Design(n_prompts=22, n_samples=2), "magnitude", ("t",), n_runs=150, n_boot=300, two_level=True
    )
    assert old["two_level"]["width"] > 1.2 * old["t"]["width"]
    assert old["two_level"]["coverage"] > 0.97


def test_holm_adjusts_a_family_and_leaves_nan_out():
    assert holm([0.01, 0.04, 0.03, np.nan]) == pytest.approx([0.03, 0.06, 0.06, np.nan], nan_ok=True)
    assert holm([0.3, 0.2]) == pytest.approx([0.4, 0.4])  # 2 × 0.2, then max(0.4, 0.3): monotone
    assert holm([0.6, 0.9]) == pytest.approx([1.0, 1.0])


def branch_run():
    """sft, then dpo and ppo from sft's last checkpoint: dpo drifts 0.3 -> 0.8, ppo barely moves."""
    df = judgments_table(
        {"sft": [(0, 0.3), (4, 0.3)], "dpo": [(0, 0.3), (4, 0.8)], "ppo": [(0, 0.3), (4, 0.35)]},
        noise=0.1,
        prompts_per_category=10,
        seed=2,
    )
    return df, manifest_for(df, parents={"dpo": "sft/step-4", "ppo": "sft/step-4", "sft": "base/step-0"})


def test_branch_differences_finds_the_branch_that_drifted_more():
    from valuedrift.analysis.compare import branch_differences

    df, man = branch_run()
    res = branch_differences(df, man, AnalysisConfig())
    assert len(res) == 3  # one pair of siblings (sft has none), 3 stances, overall
    r = res.set_index("stance").loc["support"]
    assert (r.stage_a, r.stage_b, r.parent) == ("dpo", "ppo", "sft/step-4")
    assert r["diff"] == pytest.approx(r.magnitude_a - r.magnitude_b)
    assert r["diff"] == pytest.approx(0.45, abs=0.05)
    assert r.ci_low > 0.3 and r.p_value < 1e-6 and r.p_holm >= r.p_value
    # all categories: Holm over the 9 rows
    wide = branch_differences(df, man, AnalysisConfig(interval="bca", n_bootstrap=500), category=None)
    assert len(wide) == 9 and set(wide.ci_method) == {"bca"}
    assert np.all(wide.p_holm >= wide.p_value)
    with pytest.raises(UserError, match="stance must be one of"):
        branch_differences(df, man, stance="for")
    with pytest.raises(UserError, match="no category"):
        branch_differences(df, man, category="taxes")


def test_branch_differences_of_identical_branches_is_zero_within_noise():
    from valuedrift.analysis.compare import branch_differences, multiple_comparison_note

    df = judgments_table({"a": [(0, 0.3), (4, 0.6)]}, noise=0.1, prompts_per_category=10, seed=1)
    twin = df.assign(stage="b", algorithm="b", checkpoint=df.checkpoint.str.replace("a/", "b/"))
    both = pd.concat([df, twin], ignore_index=True)
    res = branch_differences(both, manifest_for(both, parents={"a": "base", "b": "base"}), stance="support")
    r = res.iloc[0]
    assert r["diff"] == 0 and r.p_value == 1
    assert (r.ci_low, r.ci_high) == pytest.approx((0, 0), abs=1e-12)
    assert "1 comparisons" in multiple_comparison_note(res)


def test_compare_branches_on_the_command_line(tmp_path, cli):
    from valuedrift.rundir import RunDir

    df, man = branch_run()
    run = RunDir(tmp_path / "run", create=True)
    run.write_manifest(man)
    for ck, part in df.groupby("checkpoint"):
        run.write_part("judgments", ck, part.reset_index(drop=True))
    code, out, err = cli("compare", str(run.path), "--branches")
    assert code == 0, err
    assert "| dpo" in out and "95% CI (t)" in out and "Holm-adjusted over all 3" in out
    code, _, err = cli("compare", str(run.path), str(run.path), "--branches")
    assert code == 2 and "takes one run directory" in err
    code, _, err = cli("compare", str(run.path), "--branches", "--stance", "maybe")
    assert code == 2 and "stance must be one of" in err


def test_the_report_says_which_interval_method_it_used(tmp_path):
    from tests.report.conftest import make_run
    from valuedrift.report import build_report

    run = make_run(tmp_path / "run", {"sft": [(0, 0.2), (2, 0.55), (4, 0.6)]})
    html = build_report(run).read_text()
    assert "95% intervals: t over 8 prompts" in html
