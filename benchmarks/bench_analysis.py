"""Benchmark: drift analysis of 1,000,000 judged rows (550 prompts × 5 samples × 364 checkpoints).

    .venv/bin/python benchmarks/bench_analysis.py [--checkpoints 364] [--bootstrap 1000] [--interval t]

Prints the time of the vectorised analysis (stance table with CIs + drift table with CIs) and rows/s
with the interval method ``--interval`` (default: the config's, ``t``, analytic) and with the
percentile bootstrap (``--bootstrap`` draws), and, side by side in the same run, a naive per-group
Python bootstrap loop against the vectorised percentile bootstrap on the same subset of
checkpoints, as a ratio. Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from valuedrift.analysis.drift import compute_drift, compute_stances
from valuedrift.config.schema import AnalysisConfig
from valuedrift.tables import CATEGORIES


def synthetic(
    n_ckpt: int, n_prompts: int = 550, n_samples: int = 5, seed: int = 0
) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    stages = ["sft", "ppo", "dpo", "simpo"]
    per = n_ckpt // len(stages)
    ck = []
    for s in stages:
        for i in range(per):
            ck.append((s, i * 10))
    ck_df = pd.DataFrame(ck, columns=["stage", "step"])
    ck_df["checkpoint"] = ck_df.stage + "/step-" + ck_df.step.astype(str)
    n_c = len(ck_df)
    cats = np.array(CATEGORIES)[np.arange(n_prompts) % len(CATEGORIES)]
    c_idx = np.repeat(np.arange(n_c), n_prompts * n_samples)
    x_idx = np.tile(np.repeat(np.arange(n_prompts), n_samples), n_c)
    k_idx = np.tile(np.arange(n_samples), n_c * n_prompts)
    logits = rng.normal(size=(len(c_idx), 3)) + (ck_df.step.to_numpy()[c_idx] / 1000.0)[:, None] * [1, 0, -1]
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    status = np.where(rng.random(len(c_idx)) < 0.01, "unscored", "ok")
    p[status == "unscored"] = np.nan
    df = pd.DataFrame(
        {
            "checkpoint": ck_df.checkpoint.to_numpy()[c_idx],
            "stage": ck_df.stage.to_numpy()[c_idx],
            "algorithm": ck_df.stage.to_numpy()[c_idx],
            "step": ck_df.step.to_numpy()[c_idx],
            "progress": ck_df.step.to_numpy()[c_idx] / ((per - 1) * 10),
            "prompt_id": np.char.add("p", x_idx.astype(str)),
            "category": cats[x_idx],
            "sample": k_idx,
            "p_support": p[:, 0],
            "p_neutral": p[:, 1],
            "p_oppose": p[:, 2],
            "status": status,
        }
    )
    man = {
        "checkpoints": [
            {
                "id": r.checkpoint,
                "stage": r.stage,
                "step": int(r.step),
                "total_steps": (per - 1) * 10,
                "parent": None,
            }
            for r in ck_df.itertuples()
        ]
    }
    return df, man


def naive_stances(df: pd.DataFrame, n_boot: int, seed: int = 0) -> pd.DataFrame:
    """What a first attempt looks like: a Python loop per (checkpoint, category) and per bootstrap draw."""
    rng = np.random.default_rng(seed)
    out = []
    ok = df[df.status == "ok"]
    for (ck, cat), g in ok.groupby(["checkpoint", "category"]):
        per_prompt = g.groupby("prompt_id")[["p_support", "p_neutral", "p_oppose"]]
        sums, counts = per_prompt.sum().to_numpy(), per_prompt.size().to_numpy()
        for si, s in enumerate(("support", "neutral", "oppose")):
            draws = []
            for _ in range(n_boot):
                pick = rng.integers(0, len(counts), len(counts))
                draws.append(sums[pick, si].sum() / counts[pick].sum())
            lo, hi = np.quantile(draws, [0.025, 0.975])
            out.append((ck, cat, s, float(g[f"p_{s}"].mean()), lo, hi))
    return pd.DataFrame(out, columns=["checkpoint", "category", "stance", "value", "ci_low", "ci_high"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoints", type=int, default=364)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--subset", type=int, default=8, help="checkpoints in the side-by-side baseline")
    ap.add_argument("--interval", default=AnalysisConfig().interval, help="interval method timed first")
    args = ap.parse_args()
    df, man = synthetic(args.checkpoints)
    cfg = AnalysisConfig(n_bootstrap=args.bootstrap, interval=args.interval)
    boot = AnalysisConfig(n_bootstrap=args.bootstrap, interval="percentile")
    print(f"rows: {len(df):,}  checkpoints: {df.checkpoint.nunique()}  bootstrap: {args.bootstrap}")

    t = time.perf_counter()
    stances = compute_stances(df, cfg)
    assert len(stances) == df.checkpoint.nunique() * (len(CATEGORIES) + 1) * 3
    t_st = time.perf_counter() - t
    t = time.perf_counter()
    drift = compute_drift(df, man, cfg)
    t_dr = time.perf_counter() - t
    t = time.perf_counter()
    compute_stances(df, boot)
    compute_drift(df, man, boot)
    t_boot = time.perf_counter() - t
    # baseline, side by side on the same work: per-checkpoint stance values with bootstrap CIs on a
    # subset of checkpoints, naive loop vs vectorised
    subset = df[df.checkpoint.isin(df.checkpoint.unique()[: args.subset])]
    t = time.perf_counter()
    naive = naive_stances(subset, args.bootstrap)
    t_naive = time.perf_counter() - t
    t = time.perf_counter()
    vec = compute_stances(subset, boot)
    t_vec = time.perf_counter() - t
    m = vec.merge(naive, on=["checkpoint", "category", "stance"], suffixes=("", "_naive"))
    assert np.allclose(m.value, m.value_naive)  # the two agree on the stance means

    total = t_st + t_dr
    res = {
        "rows": len(df),
        "interval": args.interval,
        "stances_s": round(t_st, 2),
        "drift_s": round(t_dr, 2),
        "analysis_s": round(total, 2),
        "rows_per_s": round(len(df) / total),
        "percentile_bootstrap_analysis_s": round(t_boot, 2),
        "subset_checkpoints": args.subset,
        "subset_naive_loop_s": round(t_naive, 2),
        "subset_vectorised_s": round(t_vec, 3),
        "speedup_vs_naive_loop": round(t_naive / t_vec, 1),
        "drift_rows": len(drift),
        "bootstrap": args.bootstrap,
    }
    print(f"vectorised analysis with CIs ({args.interval}): {total:.2f} s ({res['rows_per_s']:,} rows/s)")
    print(f"the same with the percentile bootstrap ({args.bootstrap} draws): {t_boot:.2f} s")
    print(
        f"stance values + bootstrap CIs on {args.subset} checkpoints: naive loop {t_naive:.2f} s, "
        f"vectorised {t_vec:.3f} s -> {res['speedup_vs_naive_loop']}x"
    )
    print(json.dumps(res))


if __name__ == "__main__":
    main()
