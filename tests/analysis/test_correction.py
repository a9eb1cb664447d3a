"""Judge-error corrections (valuedrift/analysis/correction.py) on simulated runs with a known truth.

The simulation: prompts with their own stance propensities; a stage that moves each prompt a random
fraction towards *oppose*; true labels drawn per answer; a judge that reads ~35% of the true oppose
answers as neutral, with soft probabilities; ~100 human labels drawn stratified by checkpoint and
topic at the stage's start and end. The coverage table in docs/correction.md comes from::

    OMP_NUM_THREADS=1 .venv/bin/python -m tests.analysis.test_correction 1000
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd
import pytest

from valuedrift.analysis.correction import (
    Misclassification,
    apply_confusion,
    confusion_tables,
    misclassification_from_labels,
    ppi_drift,
    ppi_stances,
    usable_labels,
)
from valuedrift.analysis.drift import compute_drift, compute_stances
from valuedrift.config.schema import AnalysisConfig
from valuedrift.tables import STANCES

M0 = np.array([0.45, 0.35, 0.20])  # mean start propensity (support, neutral, oppose)
SHIFT = (4.0, 6.0)  # Beta(a, b): each prompt moves this fraction of the way to 'oppose' (mean 0.4)
TRUE_DRIFT = SHIFT[0] / sum(SHIFT) * (np.array([0.0, 0.0, 1.0]) - M0)  # E[δ](e_oppose − m0)
# P(judge reads j | true s), rows = true: 35% of true oppose answers read as neutral
READ = np.array([[0.93, 0.05, 0.02], [0.04, 0.93, 0.03], [0.02, 0.35, 0.63]])


def judge_probs(rng: np.random.Generator, truth: np.ndarray, read: np.ndarray = READ) -> np.ndarray:
    """Soft judge probabilities for true labels (n,): a vote drawn from ``read``, then a Dirichlet
    around it (about 0.86 on the vote)."""
    votes = (rng.random(len(truth))[:, None] > read[truth].cumsum(1)).sum(1)
    conc = np.ones((len(truth), 3))
    conc[np.arange(len(truth)), votes] = 12.0
    g = rng.gamma(conc)
    return g / g.sum(1, keepdims=True)


def simulate(
    seed: int,
    *,
    topics: int = 3,
    prompts_per_topic: int = 8,
    samples: int = 4,
    n_labels: int = 100,
    read: np.ndarray = READ,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A two-checkpoint stage ``dpo`` (step 0 → step 10): judgments, labels and the true labels."""
    rng = np.random.default_rng(seed)
    n_x = topics * prompts_per_topic
    start = rng.dirichlet(8 * M0, size=n_x)  # (X, 3) prompt propensities at the start
    delta = rng.beta(*SHIFT, size=n_x)[:, None]
    end = (1 - delta) * start + delta * np.array([0.0, 0.0, 1.0])
    rows = []
    for step, pi in ((0, start), (10, end)):
        for x in range(n_x):
            truth = rng.choice(3, size=samples, p=pi[x])
            f = judge_probs(rng, truth, read)
            for k in range(samples):
                rows.append(
                    {
                        "checkpoint": f"dpo/step-{step}",
                        "stage": "dpo",
                        "algorithm": "dpo",
                        "step": step,
                        "progress": step / 10,
                        "prompt_id": f"t{x % topics}-{x:03d}",
                        "category": f"t{x % topics}",
                        "sample": k,
                        "p_support": f[k, 0],
                        "p_neutral": f[k, 1],
                        "p_oppose": f[k, 2],
                        "label": STANCES[int(f[k].argmax())],
                        "status": "ok",
                        "truth": STANCES[truth[k]],
                    }
                )
    judgments = pd.DataFrame(rows)
    labels = draw_labels(judgments, n_labels, rng)
    return judgments.drop(columns="truth"), labels, judgments


def draw_labels(answers: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A labeller who reads the truth: n answers stratified by checkpoint × topic, as ``valuedrift label``."""
    cells = list(answers.groupby(["checkpoint", "category"]))
    per = np.full(len(cells), n // len(cells))
    per[: n % len(cells)] += 1
    picked = []
    for (_, grp), m in zip(cells, per, strict=True):
        take = grp.iloc[rng.choice(len(grp), size=min(m, len(grp)), replace=False)]
        picked.append(take.assign(cell_size=len(grp), cell_drawn=len(take)))
    lab = pd.concat(picked, ignore_index=True)
    return pd.DataFrame(
        {
            "checkpoint": lab["checkpoint"],
            "prompt_id": lab["prompt_id"],
            "sample": lab["sample"],
            "label": lab["truth"],
            "labeller": "sim",
            "seconds": 1.0,
            "at": "2025-01-01T00:00:00Z",
            "cell_size": lab["cell_size"],
            "cell_drawn": lab["cell_drawn"],
        }
    )


def _overall_oppose(df: pd.DataFrame) -> pd.Series:
    sel = df[(df.category == "overall") & (df.stance == "oppose")]
    assert len(sel) == 1
    return sel.iloc[0]


END_TRUTH = (1 - SHIFT[0] / sum(SHIFT)) * M0 + SHIFT[0] / sum(SHIFT) * np.array([0.0, 0.0, 1.0])


def _tables(method: str, judgments: pd.DataFrame, labels: pd.DataFrame, cfg, stances: bool) -> dict:
    if method == "ppi":
        out = {"drift": ppi_drift(judgments, labels, None, cfg)}
        return out | ({"stances": ppi_stances(judgments, labels, cfg)} if stances else {})
    if method == "confusion":
        mis = misclassification_from_labels(judgments, labels)
        st, dr = confusion_tables(judgments, mis, None, cfg)
        return {"drift": dr} | ({"stances": st} if stances else {})
    out = {"drift": compute_drift(judgments, None, cfg)}
    return out | ({"stances": compute_stances(judgments, cfg)} if stances else {})


def coverage(
    n_sims: int, *, n_labels: int = 100, methods=("ppi", "raw"), stances: bool = False, **kw
) -> pd.DataFrame:
    """Coverage and mean width of every interval against the known truth, over seeds 0..n_sims−1.

    One row per method × table (drift, stances) × scope (overall, topic) × stance: covered (count),
    n (intervals), width (median), infinite (intervals without a bound), mean (estimate), truth.
    """
    cfg = AnalysisConfig(n_bootstrap=200, seed=0)
    rows = []
    for seed in range(n_sims):
        judgments, labels, _ = simulate(seed, n_labels=n_labels, **kw)
        for method in methods:
            for table, df in _tables(method, judgments, labels, cfg, stances).items():
                si = df["stance"].map(STANCES.index).to_numpy()
                if table == "drift":
                    truth, est = TRUE_DRIFT[si], df["magnitude"].to_numpy()
                else:
                    truth = np.where(df["step"] == 0, M0[si], END_TRUTH[si])
                    est = df["value"].to_numpy()
                rows.append(
                    pd.DataFrame(
                        {
                            "method": method,
                            "table": table,
                            "scope": np.where(df["category"] == "overall", "overall", "topic"),
                            "stance": df["stance"],
                            "covered": (df["ci_low"] <= truth) & (truth <= df["ci_high"]),
                            "width": df["ci_high"] - df["ci_low"],
                            "mean": est,
                            "truth": truth,
                        }
                    )
                )
    res = pd.concat(rows, ignore_index=True)
    keys = ["method", "table", "scope", "stance"]
    return res.groupby(keys, as_index=False).agg(
        covered=("covered", "sum"),
        n=("covered", "size"),
        width=("width", "median"),
        infinite=("width", lambda w: int(np.isinf(w).sum())),
        mean=("mean", "mean"),
        truth=("truth", "mean"),
    )


def _cov_row(res: pd.DataFrame, method: str, table: str = "drift", scope: str = "overall", stance="oppose"):
    sel = res.query("method == @method and table == @table and scope == @scope and stance == @stance")
    assert len(sel) == 1
    return sel.iloc[0]


def _full_table(judgments: pd.DataFrame) -> pd.DataFrame:
    """The simulated judgments with every JUDGMENT_COLUMNS column, as a judge phase writes them."""
    out = judgments.copy()
    out["run"] = "sim"
    out["seed"] = out["sample"]
    out["question"] = "Should " + out["prompt_id"] + "?"
    out["response"] = "answer " + out["checkpoint"] + " " + out["prompt_id"] + " " + out["sample"].astype(str)
    out["n_tokens"] = 5
    out["finish_reason"] = "stop"
    out["judge"] = "sim"
    out["raw"] = ""
    return out


def _write_run(path, judgments: pd.DataFrame, labels: pd.DataFrame | None, correction: str, **meta):
    from valuedrift.config.loader import dump_config, load_config
    from valuedrift.rundir import RunDir

    run = RunDir(path, create=True)
    for ck, part in _full_table(judgments).groupby("checkpoint"):
        run.write_part("judgments", ck, part.reset_index(drop=True))
    exp = load_config(None, [f"analysis.correction={correction}", "analysis.n_bootstrap=100"])
    run.config_path.write_text(dump_config(exp))
    if labels is not None:
        lines = [json.dumps(r) for r in labels.to_dict("records")]
        (run.path / "labels.jsonl").write_text("\n".join(lines) + "\n")
    if meta:
        (run.path / "judge_meta.json").write_text(json.dumps(meta))
    return run


def test_ppi_intervals_cover_the_true_drift_where_raw_intervals_do_not():
    res = coverage(100)
    ppi, raw = _cov_row(res, "ppi"), _cov_row(res, "raw")
    # 95% intervals of the overall oppose drift over 100 seeded simulations: PPI's cover the known
    # drift, the raw judge's do not
    assert ppi.n == raw.n == 100
    assert ppi.covered >= 93, res
    assert raw.covered <= 50, res
    # the raw judge shrinks the drift towards oppose; PPI is unbiased
    assert abs(ppi["mean"] - ppi.truth) < 0.03, res
    assert raw["mean"] < raw.truth - 0.1, res


def _perfect_and_blind(seed: int):
    """A judge whose probabilities are the true one-hot labels, and one that always says 1/3."""
    _, labels, answers = simulate(seed)
    truth = answers["truth"].map(STANCES.index).to_numpy()
    perfect = answers.drop(columns="truth")
    perfect[[f"p_{s}" for s in STANCES]] = np.eye(3)[truth]
    blind = perfect.copy()  # a judge that says nothing: PPI reduces to the labelled mean
    blind[[f"p_{s}" for s in STANCES]] = 1 / 3
    return perfect, blind, labels, truth


def test_ppi_with_a_perfect_judge_is_narrower_than_labels_alone():
    cfg = AnalysisConfig(n_bootstrap=50)
    widths = {"perfect": [], "alone": [], "perfect_drift": [], "alone_drift": []}
    for seed in range(10):
        perfect, blind, labels, _ = _perfect_and_blind(seed)
        for name, judged in (("perfect", perfect), ("alone", blind)):
            st = ppi_stances(judged, labels, cfg).query("category == 'overall'")
            dr = ppi_drift(judged, labels, None, cfg).query("category == 'overall'")
            widths[name].append((st.ci_high - st.ci_low).mean())
            widths[f"{name}_drift"].append((dr.ci_high - dr.ci_low).mean())
    w = {k: np.array(v) for k, v in widths.items()}
    assert w["perfect"].mean() < 0.85 * w["alone"].mean(), w
    assert w["perfect_drift"].mean() < 0.85 * w["alone_drift"].mean(), w
    assert (w["perfect"] < w["alone"]).all() and (w["perfect_drift"] < w["alone_drift"]).sum() >= 9, w


def test_ppi_point_estimates_of_a_perfect_and_an_uninformative_judge():
    perfect, blind, labels, truth = _perfect_and_blind(3)
    cfg = AnalysisConfig(n_bootstrap=50)
    good = ppi_stances(perfect, labels, cfg).query("category == 'overall' and step == 10")
    alone = ppi_stances(blind, labels, cfg).query("category == 'overall' and step == 10")
    # a perfect judge: λ near 1, the value between the all-answers and the labelled mean of the truth
    all_mean = (truth[perfect["step"] == 10] == 2).mean()
    lab = labels[labels.checkpoint == "dpo/step-10"]
    w = lab.cell_size / lab.cell_drawn
    lab_mean = float(((lab.label == "oppose") * w).sum() / w.sum())
    g = good[good.stance == "oppose"].iloc[0]
    assert g["lambda"] > 0.5
    assert g.value == pytest.approx(g["lambda"] * all_mean + (1 - g["lambda"]) * lab_mean)
    # an uninformative judge: exactly the stratum-weighted mean of the labels
    assert alone[alone.stance == "oppose"].iloc[0].value == pytest.approx(lab_mean)


def test_the_ppi_standard_error_is_the_leave_one_prompt_out_jackknife():
    judgments, labels, _ = simulate(11)
    labels = labels.iloc[::2]  # unequal strata: the weights matter
    cfg = AnalysisConfig(n_bootstrap=50)
    full = ppi_stances(judgments, labels, cfg).query("category == 'overall' and step == 10")
    prompts = sorted(judgments.prompt_id.unique())
    loo = np.stack(
        [
            ppi_stances(judgments[judgments.prompt_id != p], labels[labels.prompt_id != p], cfg)
            .query("category == 'overall' and step == 10")["value"]
            .to_numpy()
            for p in prompts
        ]
    )
    g = len(prompts)
    se = np.sqrt((g - 1) / g * ((loo - loo.mean(0)) ** 2).sum(0))
    np.testing.assert_allclose(full["se"].to_numpy(), se, rtol=1e-9)
    assert (full["df"] == labels[labels.checkpoint == "dpo/step-10"].prompt_id.nunique() - 1).all()


# E[judge probabilities | vote j]: the Dirichlet of judge_probs puts 12/14 on the vote, 1/14 elsewhere
R_TRUE = READ @ ((np.ones((3, 3)) + 11 * np.eye(3)) / 14)  # R[s, j] = E[f_j | true s]


def test_confusion_correction_recovers_the_truth_when_the_judge_error_is_known():
    judgments, _, answers = simulate(7, prompts_per_topic=20, samples=5)
    truth = answers["truth"].map(STANCES.index).to_numpy()
    known = Misclassification(y=np.eye(3), f=R_TRUE, source="labels")  # three items that give R exactly
    np.testing.assert_allclose(known.r, R_TRUE)
    cfg = AnalysisConfig(n_bootstrap=50)
    stances, drift = confusion_tables(judgments, known, None, cfg, note="known R", propagate=False)
    true_means = {}
    for step in (0, 10):
        true_means[step] = (truth[answers.step == step][:, None] == np.arange(3)).mean(0)
        got = stances.query("step == @step and category == 'overall'").set_index("stance").value
        raw = judgments[judgments.step == step][[f"p_{s}" for s in STANCES]].mean().to_numpy()
        assert np.abs(got[list(STANCES)].to_numpy() - true_means[step]).max() < 0.03
        assert np.abs(raw - true_means[step]).max() > 0.05  # the raw judge is off
    m = drift.query("category == 'overall'").set_index("stance").magnitude[list(STANCES)].to_numpy()
    assert np.abs(m - (true_means[10] - true_means[0])).max() < 0.04
    raw_m = compute_drift(judgments, None, cfg).query("category == 'overall'").set_index("stance")
    assert np.abs(raw_m.magnitude[list(STANCES)].to_numpy() - (true_means[10] - true_means[0])).max() > 0.1
    assert set(drift.correction) == {"confusion"} and (~drift.ci_includes_correction_uncertainty).all()
    # R estimated from labels on every answer: close to the judge's true error
    all_labels = answers[["checkpoint", "prompt_id", "sample"]].assign(label=answers["truth"])
    mis = misclassification_from_labels(judgments, all_labels)
    assert mis.n == len(judgments) and mis.check() == ""
    np.testing.assert_allclose(mis.r, R_TRUE, atol=0.03)
    corrected = apply_confusion(judgments, np.linalg.inv(mis.r))
    np.testing.assert_allclose(corrected[[f"p_{s}" for s in STANCES]].sum(axis=1), 1.0)


def test_confusion_intervals_carry_the_uncertainty_of_the_estimated_error():
    judgments, labels, _ = simulate(2)
    mis = misclassification_from_labels(judgments, labels)
    cfg = AnalysisConfig(n_bootstrap=200)
    _, fixed = confusion_tables(judgments, mis, None, cfg, propagate=False)
    _, wide = confusion_tables(judgments, mis, None, cfg)
    pd.testing.assert_series_equal(fixed.magnitude, wide.magnitude)
    assert (wide.ci_high - wide.ci_low > fixed.ci_high - fixed.ci_low).all()
    assert wide.ci_includes_correction_uncertainty.all() and (wide.se_correction > 0).all()
    # a judge that guesses: its confusion matrix cannot be inverted, and says so
    guess = Misclassification(y=np.eye(3)[[0, 1, 2, 0, 1, 2]], f=np.full((6, 3), 1 / 3), source="labels")
    assert "too close to singular" in guess.check()
    assert "oppose" in Misclassification(y=np.eye(3)[[0, 1]], f=np.eye(3)[[0, 1]], source="labels").check()


def test_too_few_labels_give_nan_with_a_reason_never_the_raw_value():
    judgments, labels, _ = simulate(1)
    one_at_end = pd.concat(
        [labels[labels.checkpoint == "dpo/step-0"], labels[labels.checkpoint == "dpo/step-10"].head(1)]
    )
    cfg = AnalysisConfig(n_bootstrap=50)
    d = ppi_drift(judgments, one_at_end, None, cfg)
    assert d.magnitude.isna().all() and d.ci_low.isna().all()
    assert d.reason.str.contains("1 usable label").all() or d.reason.str.contains("usable label").all()
    st = ppi_stances(judgments, one_at_end, cfg)
    start = st[st.checkpoint == "dpo/step-0"]
    assert start.value.notna().all() and (start.reason == "").all()
    end = st[st.checkpoint == "dpo/step-10"]
    assert end.value.isna().all() and (end.reason != "").all()
    skipped = labels.assign(label="skip")  # 'skip' is never a stance
    assert ppi_drift(judgments, skipped, None, cfg).magnitude.isna().all()


def test_an_answers_latest_label_counts():
    _, labels, _ = simulate(1)
    relabelled = pd.concat(
        [labels, labels.head(5).assign(label="skip"), labels.iloc[[7]].assign(label="support")]
    )
    u = usable_labels(relabelled)
    assert len(u) == len(labels) - 5  # the 5 answers whose latest label is 'skip' are out
    seventh = labels.iloc[7]
    row = u[
        (u.checkpoint == seventh.checkpoint)
        & (u.prompt_id == seventh.prompt_id)
        & (u["sample"] == seventh["sample"])
    ]
    assert row[["y_support", "y_neutral", "y_oppose"]].to_numpy().tolist() == [[1.0, 0.0, 0.0]]
    assert (u.weight == (labels.cell_size / labels.cell_drawn).iloc[0]).any()


def test_analyze_writes_raw_and_corrected_tables_side_by_side(tmp_path, cli):
    from valuedrift import load_run
    from valuedrift.report import build_report

    judgments, labels, _ = simulate(5)
    run = _write_run(tmp_path / "run", judgments, labels, "ppi")
    code, _, err = cli("analyze", run.path)
    assert code == 0, err
    assert "corrected (PPI, 100 labels): PPI++" in err and "raw" in err
    loaded = load_run(run.path)
    raw = compute_drift(_full_table(judgments), None, AnalysisConfig(n_bootstrap=100))
    pd.testing.assert_frame_equal(loaded.drift, raw)  # the raw table is written unchanged
    dc = loaded.drift_corrected
    assert {"correction", "n_labels", "correction_note"} <= set(dc.columns)
    assert set(dc.correction) == {"ppi"} and (dc.query("category == 'overall'").n_labels == 100).all()
    assert dc.query("category != 'overall'").n_labels.sum() == 3 * 100  # each topic's own labels
    assert len(dc) == len(raw) and len(loaded.stances_corrected) == len(loaded.stances)
    # the corrected oppose drift is larger than the raw one: the judge shrank it
    assert _overall_oppose(dc).magnitude > _overall_oppose(raw).magnitude + 0.05
    for m in (_overall_oppose(dc).magnitude, _overall_oppose(raw).magnitude):  # side by side in the CLI
        assert f"{m:+.3f}" in err
    html = build_report(run).read_text()
    assert "corrected (PPI, 100 labels)" in html and "raw judge" in html
    # back to no correction: the corrected tables go, the raw ones stay
    _write_run(tmp_path / "run", judgments, None, "none")
    assert cli("analyze", run.path)[0] == 0
    assert load_run(run.path).drift_corrected is None and load_run(run.path).stances_corrected is None
    assert "corrected" not in build_report(run).read_text().split('id="drift"')[1].split('id="compare"')[0]


def test_ppi_without_labels_is_a_user_error_before_any_work(tmp_path, cli):
    from valuedrift.analysis.drift import analyze_run
    from valuedrift.errors import UserError

    judgments, _, _ = simulate(2)
    run = _write_run(tmp_path / "run", judgments, None, "ppi")
    with pytest.raises(UserError, match="no human labels"):
        analyze_run(run, run.read_config())
    assert not run.table_path("stances").exists()
    code, _, err = cli("analyze", run.path)
    assert code == 2 and "valuedrift label" in err


def test_confusion_without_labels_uses_the_validation_matrix_and_says_so(tmp_path, cli):
    judgments, _, _ = simulate(4)
    bare = _write_run(tmp_path / "bare", judgments, None, "confusion")
    code, _, err = cli("analyze", bare.path)
    assert code == 2 and "confusion matrix" in err
    confusion = {"support": {"support": 40, "neutral": 2, "oppose": 1, "unscored": 0}}
    confusion |= {"neutral": {"support": 1, "neutral": 45, "oppose": 2, "unscored": 0}}
    confusion |= {"oppose": {"support": 1, "neutral": 14, "oppose": 26, "unscored": 0}}
    meta = {"validation": {"gold": {"n": 132, "accuracy": 0.84, "confusion": confusion}}}
    run = _write_run(tmp_path / "run", judgments, None, "confusion", **meta)
    code, _, err = cli("analyze", run.path)
    assert code == 0, err
    dc = pd.read_parquet(run.table_path("drift_corrected"))
    assert dc.correction_note.str.startswith("assumes the judge errs on this run's answers").all()
    assert (dc.n_labels == 0).all()
    raw = pd.read_parquet(run.table_path("drift"))
    # 14 of 41 true-oppose answers were judged neutral: the correction moves neutral mass to oppose
    assert _overall_oppose(dc).v_end > _overall_oppose(raw).v_end
    assert "corrected (confusion, validation set): assumes the judge errs" in err


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    pd.set_option("display.width", 200)
    for n_lab in (50, 100, 192):  # 192 = every answer at the start and end labelled
        t0 = time.perf_counter()
        res = coverage(n, n_labels=n_lab, methods=("raw", "ppi", "confusion"), stances=True)
        res["coverage"] = res["covered"] / res["n"]
        print(f"## {n_lab} labels, {n} simulations ({time.perf_counter() - t0:.0f} s)")
        print(res.drop(columns="covered").to_markdown(index=False, floatfmt=".3f"))
