"""Drift metrics on hand-built tables with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.analysis.helpers import judgments_table, manifest_for
from valuedrift.analysis.drift import compute_drift, compute_stances
from valuedrift.config.schema import AnalysisConfig

CFG = AnalysisConfig(n_bootstrap=200, seed=0)


def row(drift, stage="sft", category="overall", stance="support"):
    sel = drift[(drift.stage == stage) & (drift.category == category) & (drift.stance == stance)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_magnitude_peak_and_drift_time_of_a_monotone_drift():
    df = judgments_table({"sft": [(0, 0.2), (2, 0.5), (4, 0.58), (8, 0.6)]})
    r = row(compute_drift(df, manifest_for(df), CFG))
    assert r.v_start == pytest.approx(0.2) and r.v_end == pytest.approx(0.6)
    assert r.magnitude == pytest.approx(0.4) and r.peak_drift == pytest.approx(0.4)
    # 95% of the peak (0.38) is first reached at step 4 (0.58 - 0.2 = 0.38): 4 / 8
    assert r.drift_time == pytest.approx(0.5)
    neutral = row(compute_drift(df, manifest_for(df), CFG), stance="neutral")
    assert neutral.magnitude == pytest.approx(-0.4)


def test_overshoot_then_return_separates_peak_from_end():
    df = judgments_table({"dpo": [(0, 0.3), (5, 0.9), (10, 0.4)]})
    r = row(compute_drift(df, manifest_for(df), CFG), stage="dpo")
    assert r.magnitude == pytest.approx(0.1)
    assert r.peak_drift == pytest.approx(0.6) and r.v_peak == pytest.approx(0.9) and r.peak_step == 5
    assert r.drift_time == pytest.approx(0.5)


def test_no_drift_gives_nan_drift_time_not_zero():
    df = judgments_table({"ppo": [(0, 0.4), (5, 0.4), (10, 0.4)]})
    r = row(compute_drift(df, manifest_for(df), CFG), stage="ppo")
    assert r.magnitude == pytest.approx(0.0)
    assert math.isnan(r.drift_time) and r.drift_time_note == "no drift: flat trajectory"
    r2 = row(compute_drift(df, manifest_for(df), AnalysisConfig(n_bootstrap=50, min_drift=0.05)), stage="ppo")
    assert math.isnan(r2.drift_time)


def test_drift_threshold_is_configurable():
    df = judgments_table({"sft": [(0, 0.0), (1, 0.5), (2, 0.9), (4, 1.0)]})
    half = row(compute_drift(df, manifest_for(df), AnalysisConfig(n_bootstrap=50, drift_threshold=0.5)))
    assert half.drift_time == pytest.approx(0.25)
    assert row(compute_drift(df, manifest_for(df), CFG)).drift_time == pytest.approx(1.0)


def test_unscored_rows_are_excluded_and_counted():
    clean = judgments_table({"sft": [(0, 0.2), (4, 0.6)]})
    dirty = judgments_table({"sft": [(0, 0.2), (4, 0.6)]}, unscored=3)
    r = row(compute_drift(dirty, manifest_for(dirty), CFG))
    assert r.n_unscored == 3
    assert r.v_end == pytest.approx(0.6)  # not pulled towards neutral
    assert row(compute_drift(clean, manifest_for(clean), CFG)).n_unscored == 0
    st = compute_stances(dirty, CFG)
    last = st[(st.checkpoint == "sft/step-4") & (st.category == "overall") & (st.stance == "support")].iloc[0]
    assert last.n == 4 * 2 * 2 - 3 and last.n_unscored == 3 and last.value == pytest.approx(0.6)


def test_stage_start_falls_back_to_parent_checkpoint():
    base = judgments_table({"sft": [(0, 0.1), (4, 0.7)]})
    child = judgments_table({"dpo": [(3, 0.2), (6, 0.1)]})  # no dpo/step-0 rows
    import pandas as pd

    df = pd.concat([base, child], ignore_index=True)
    man = manifest_for(df, parents={"dpo": "sft/step-4"})
    for e in man["checkpoints"]:
        if e["stage"] == "dpo":
            e["total_steps"] = 6
    r = row(compute_drift(df, man, CFG), stage="dpo")
    assert r.v_start == pytest.approx(0.7) and r.v_end == pytest.approx(0.1)
    assert r.magnitude == pytest.approx(-0.6)
    assert r.drift_time == pytest.approx(1.0)


def test_ci_contains_truth_shrinks_with_more_prompts_and_is_seeded():
    small = judgments_table({"sft": [(0, 0.3), (4, 0.6)]}, noise=0.2, prompts_per_category=5, seed=1)
    big = judgments_table({"sft": [(0, 0.3), (4, 0.6)]}, noise=0.2, prompts_per_category=80, seed=1)
    rs = row(compute_drift(small, manifest_for(small), CFG))
    rb = row(compute_drift(big, manifest_for(big), CFG))
    for r in (rs, rb):
        assert r.ci_low < r.magnitude < r.ci_high
        assert r.ci_low < 0.3 < r.ci_high  # true drift (clipping aside, noise is symmetric around 0.3/0.6)
    assert (rb.ci_high - rb.ci_low) < 0.5 * (rs.ci_high - rs.ci_low)
    assert rs.ci_method == "t"  # analytic: the seed plays no part
    other = row(compute_drift(small, manifest_for(small), AnalysisConfig(seed=7)))
    assert (other.ci_low, other.ci_high) == (rs.ci_low, rs.ci_high)
    boot = AnalysisConfig(n_bootstrap=200, seed=0, interval="percentile")
    rp = row(compute_drift(small, manifest_for(small), boot))
    assert rp.ci_method == "percentile" and rp.ci_low < 0.3 < rp.ci_high
    again = row(compute_drift(small, manifest_for(small), boot))
    assert (again.ci_low, again.ci_high) == (rp.ci_low, rp.ci_high)
    other = row(compute_drift(small, manifest_for(small), boot.model_copy(update={"seed": 7})))
    assert (other.ci_low, other.ci_high) != (rp.ci_low, rp.ci_high)


def test_paired_interval_is_narrower_than_unpaired_when_prompts_differ():
    # prompts differ a lot (0.1 .. 0.9) but each moves by +0.2: pairing cancels the prompt effects
    df = judgments_table({"sft": [(0, 0.0), (4, 0.0)]}, prompts_per_category=6, seed=0)
    base = df.prompt_id.str[-1].astype(int) / 6 + 0.05 + (df.category == "immigration") * 0.03
    df["p_support"] = (
        base + np.where(df.step == 4, 0.2, 0.0) + 0.02 * np.random.default_rng(0).standard_normal(len(df))
    )
    df["p_neutral"] = 1 - df["p_support"]
    r = row(compute_drift(df, manifest_for(df), CFG))
    assert r.magnitude == pytest.approx(0.2, abs=0.02)
    assert r.ci_high - r.ci_low < 0.05  # unpaired, the spread of the prompts (~0.3 sd) would dominate


def test_drift_time_only_for_a_drift_distinguishable_from_noise():
    noise = judgments_table(
        {"dpo": [(0, 0.4), (3, 0.4), (6, 0.4)]}, noise=0.15, prompts_per_category=6, seed=5
    )
    r = row(compute_drift(noise, manifest_for(noise), CFG), stage="dpo")
    assert r.peak_ci_low <= 0 <= r.peak_ci_high
    assert math.isnan(r.drift_time)
    assert r.drift_time_note.startswith(f"peak {r.peak_drift:+.3f} within noise, 95% CI [")
    real = judgments_table(
        {"dpo": [(0, 0.4), (3, 0.85), (6, 0.6)]}, noise=0.15, prompts_per_category=6, seed=5
    )
    r = row(compute_drift(real, manifest_for(real), CFG), stage="dpo")
    assert r.peak_ci_low > 0 and r.drift_time == pytest.approx(0.5) and r.drift_time_note == ""
    # min_drift still applies on top, with its own reason
    r = row(compute_drift(real, manifest_for(real), AnalysisConfig(min_drift=0.5)), stage="dpo")
    assert math.isnan(r.drift_time) and "min_drift 0.5" in r.drift_time_note


def test_categories_are_separate_and_overall_pools_them():
    a = judgments_table({"sft": [(0, 0.2), (4, 0.8)]}, categories=("abortion",))
    b = judgments_table({"sft": [(0, 0.2), (4, 0.2)]}, categories=("immigration",))
    import pandas as pd

    df = pd.concat([a, b], ignore_index=True)
    d = compute_drift(df, manifest_for(df), CFG)
    assert row(d, category="abortion").magnitude == pytest.approx(0.6)
    assert row(d, category="immigration").magnitude == pytest.approx(0.0)
    assert row(d, category="overall").magnitude == pytest.approx(0.3)
    assert set(d.category) == {"abortion", "immigration", "overall"}
    assert np.all(d.n_prompts[d.category == "overall"] == 8)


def test_drift_table_has_the_design_columns():
    from valuedrift.tables import DRIFT_COLUMNS

    df = judgments_table({"sft": [(0, 0.2), (4, 0.6)]})
    d = compute_drift(df, manifest_for(df), CFG)
    assert list(d.columns[: len(DRIFT_COLUMNS)]) == DRIFT_COLUMNS
    assert len(d) == 3 * 3  # 2 categories + overall, 3 stances
