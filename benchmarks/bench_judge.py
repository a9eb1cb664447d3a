"""Benchmark: judge throughput — the offline judge on CPU, the openai judge's async client against a
local OpenAI-compatible server with latency, and a fully cached re-run.

    .venv/bin/python benchmarks/bench_judge.py [--n 1000] [--latency 0.05] [--concurrency 16]

The server is the fault-injecting test server from tests/judge/fake_openai.py (no faults here), on
127.0.0.1, answering after ``--latency`` seconds. Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.judge.fake_openai import FakeOpenAI
from valuedrift.config.schema import JudgeConfig
from valuedrift.judge.base import JudgeItem
from valuedrift.judge.metrics import gold_path, items_of, load_gold
from valuedrift.judge.registry import get_judge


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="responses to judge")
    ap.add_argument("--latency", type=float, default=0.05, help="server latency per request (s)")
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    gold = items_of(load_gold(gold_path()))
    items = [
        JudgeItem(g.question, f"{g.response} ({i})", g.category)
        for i, g in enumerate(gold * (args.n // len(gold) + 1))
    ][: args.n]
    out: dict[str, float] = {"n": args.n}
    with tempfile.TemporaryDirectory() as tmp:
        offline = get_judge(JudgeConfig(cache_path=f"{tmp}/v.sqlite"))
        offline.judge(items[:8])  # load (and train on first use) outside the timing
        t = time.perf_counter()
        offline.judge(items[8:])
        out["offline_per_s"] = (args.n - 8) / (time.perf_counter() - t)

        with FakeOpenAI() as srv:
            srv.latency = args.latency
            cfg = JudgeConfig(
                backend="openai",
                model="m",
                base_url=srv.url,
                concurrency=args.concurrency,
                cache_path=f"{tmp}/v.sqlite",
            )
            j = get_judge(cfg)
            t = time.perf_counter()
            j.judge(items)
            out["openai_per_s"] = args.n / (time.perf_counter() - t)
            out["openai_ideal_per_s"] = args.concurrency / args.latency
            t = time.perf_counter()
            get_judge(cfg).judge(items)
            out["cached_rerun_per_s"] = args.n / (time.perf_counter() - t)
            out["requests"] = srv.chat_requests
    print(f"offline judge: {out['offline_per_s']:.0f} responses/s (CPU)")
    print(
        f"openai judge:  {out['openai_per_s']:.0f} responses/s at {args.latency * 1000:.0f} ms latency, "
        f"concurrency {args.concurrency} (ideal {out['openai_ideal_per_s']:.0f}/s)"
    )
    print(
        f"cached re-run: {out['cached_rerun_per_s']:.0f} responses/s, {int(out['requests'])} requests in all"
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
