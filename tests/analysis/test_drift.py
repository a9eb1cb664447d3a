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
    assert math.isnan(r.drift_time)
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
    again = row(compute_drift(small, manifest_for(small), CFG))
    assert (again.ci_low, again.ci_high) == (rs.ci_low, rs.ci_high)
    other = row(compute_drift(small, manifest_for(small), AnalysisConfig(n_bootstrap=200, seed=7)))
    assert (other.ci_low, other.ci_high) != (rs.ci_low, rs.ci_high)


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
