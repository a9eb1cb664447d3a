"""Benchmark: wall time per phase of `valuedrift trace` on the built-in demo (or a given config).

    .venv/bin/python benchmarks/bench_trace.py [CONFIG] [--out DIR]

Runs the pipeline fresh, then again on the finished run directory (everything is skipped), and
prints seconds per phase, the total, and the re-run time over the fresh time as a ratio. The
SmolLM2 model and the offline judge should already be cached (`valuedrift models pull
smollm2-135m-instruct`; the judge trains on first use). The answer and verdict caches are
private to the benchmark (an empty ``$VALUEDRIFT_CACHE`` holding links to the cached models), so
an earlier run's answers are never served: training is deterministic, so the same checkpoints
would otherwise hit the cache. Last line: one JSON object.
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("config", nargs="?", default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    private_cache()
    exp = load_config(args.config)
    out = Path(args.out or tempfile.mkdtemp(prefix="bench-trace-")) / exp.name
    t = time.perf_counter()
    fresh = trace(exp, out, fresh=True)
    total = time.perf_counter() - t
    t = time.perf_counter()
    trace(exp, out)
    rerun = time.perf_counter() - t
    for phase, s in fresh.timings.items():
        print(f"{phase:>9}: {s:7.1f} s")
    print(f"{'total':>9}: {total:7.1f} s ({total / 60:.1f} min); re-run of the finished run: {rerun:.1f} s "
          f"({rerun / total:.3f} of fresh)")  # fmt: skip
    print(json.dumps({"phases_s": fresh.timings, "total_s": round(total, 1), "rerun_s": round(rerun, 1),
                      "rerun_over_fresh": round(rerun / total, 4), "report": str(fresh.report)}))  # fmt: skip


if __name__ == "__main__":
    main()
