"""Benchmark: coverage and width of the interval methods on simulated runs with a known truth.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_coverage.py [--runs 1000] [--boot 1000] [--t-runs 10000] [--quick]

The model and its exact truth: ``valuedrift/analysis/coverage.py``; the design and the reading of
the table: docs/intervals.md. One row per setting (estimand, prompts X, samples K, true drift): for
each method the coverage of the nominal 95% interval pooled over the three stances, the worst
stance's coverage in brackets, and the mean width. ``two_level`` is the interval valuedrift used
before (prompts and then samples resampled), measured on the magnitude rows with K = 2. The analytic
``t`` interval is cheap, so it is measured a second time on ``--t-runs`` fresh runs (column
``t@N``): its coverage to within about ±0.4 points (two Monte Carlo standard errors).
Last line: one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import time

from valuedrift.analysis.coverage import Design, coverage
from valuedrift.analysis.intervals import METHODS

PROMPTS = (6, 11, 22, 55, 110)
SKEWED = (0.75, 0.2, 0.05)  # a rare stance (oppose 5% at the start)


def settings(quick: bool) -> list[tuple[str, str, Design]]:
    """(estimand, label, design) for every row of the table."""
    prompts = (6, 22, 110) if quick else PROMPTS
    rows = []
    for x in prompts:
        for k in (2,) if quick else (2, 5):
            for shift in (0.0, 0.3):
                rows.append(("magnitude", "M=0" if shift == 0 else "M≠0", Design(x, k, shift=shift)))
    for x in prompts:
        rows.append(("value", "v_start", Design(x, 2)))
    for x in prompts:
        rows.append(("branch", "M_A−M_B≠0", Design(x, 2, shift=0.3, shift_b=0.1)))
    for x in (22, 110):
        rows.append(("magnitude", "M≠0, rare", Design(x, 2, mu=SKEWED, shift=0.3)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1000, help="simulated runs per setting")
    ap.add_argument("--boot", type=int, default=1000, help="bootstrap draws per interval")
    ap.add_argument("--t-runs", type=int, default=10000, help="runs per setting for the t@N column")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="fewer settings (X in 6, 22, 110; K = 2)")
    args = ap.parse_args()
    names = [*METHODS, "two_level", f"t@{args.t_runs}"]
    head = f"{'estimand':<10}{'setting':<12}{'X':>4}{'K':>3}  " + "".join(f"{m:>22}" for m in names)
    print(f"coverage % of nominal 95% [worst stance] width; {args.runs} runs per row, {args.boot} draws")
    print(head)
    cells = []
    t0 = time.perf_counter()
    for i, (estimand, label, d) in enumerate(settings(args.quick)):
        two = estimand == "magnitude" and d.n_samples == 2 and d.mu == Design().mu
        res = coverage(d, estimand, n_runs=args.runs, n_boot=args.boot, seed=args.seed + i, two_level=two)
        if args.t_runs:
            many = coverage(d, estimand, ("t",), n_runs=args.t_runs, seed=args.seed + 1000 + i, chunk=500)
            res[names[-1]] = many["t"]
        line = f"{estimand:<10}{label:<12}{d.n_prompts:>4}{d.n_samples:>3}  "
        for m in names:
            r = res.get(m)
            cell = (
                "—" if r is None else f"{100 * r['coverage']:.1f} [{100 * r['worst']:.1f}] {r['width']:.3f}"
            )
            line += f"{cell:>22}"
        print(line, flush=True)
        cells.append(
            {
                "estimand": estimand,
                "setting": label,
                "n_prompts": d.n_prompts,
                "n_samples": d.n_samples,
                "mu": list(d.mu),
                "shift": d.shift,
                "shift_b": d.shift_b,
                "results": {
                    m: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
                    for m, r in res.items()
                },
            }
        )
    elapsed = time.perf_counter() - t0
    print(f"{len(cells)} settings in {elapsed:.0f} s")
    summary = {"runs": args.runs, "t_runs": args.t_runs, "boot": args.boot, "seconds": round(elapsed)}
    print(json.dumps({**summary, "cells": cells}))


if __name__ == "__main__":
    main()
