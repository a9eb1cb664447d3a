"""Benchmark: what ValueDriftCallback costs a training run, side by side in one run.

    .venv/bin/python benchmarks/bench_callback.py [--model tiny-random|smollm2-135m-instruct]
        [--steps 40] [--save-steps 10] [--repeats 1] [--threads N]

Trains TRL's SFTTrainer (LoRA, the demo SFT conversations) for ``--steps`` steps, saving every
``--save-steps``, without and with the callback at its defaults (schedule ``save``, 22 prompts x 2
samples x 128 tokens, offline judge), alternating the two ``--repeats`` times. Prints training steps
per second of each (wall time of ``trainer.train()``, so step 0, every measurement and the analysis at
the end are counted), their ratio, and the callback's own seconds per measurement. The callback's
generation and verdict caches are private to the benchmark, so nothing is served from an earlier run.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from valuedrift.config.schema import JudgeConfig
from valuedrift.demo import demo_data
from valuedrift.integrations import ValueDriftCallback
from valuedrift.models import pull


def train_once(model: str, out: Path, steps: int, save_steps: int, traced: bool) -> dict:
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    rows = [json.loads(line) for line in demo_data("sft.jsonl").read_text().splitlines()]
    args = SFTConfig(output_dir=str(out / "trainer"), max_steps=steps, save_steps=save_steps,
                     per_device_train_batch_size=2, learning_rate=2e-4, max_length=128, logging_steps=10,
                     report_to="none", use_cpu=True, seed=0, gradient_checkpointing=False,
                     disable_tqdm=True)  # fmt: skip
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list([{"messages": r["messages"]} for r in rows]),
        peft_config=LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM"),
    )
    if traced:
        judge = JudgeConfig(cache_path=str(out / "verdicts.sqlite"))
        trainer.add_callback(ValueDriftCallback(trainer, out / "run", judge=judge, cache=out / "answers"))
    t = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t
    logged = [h for h in trainer.state.log_history if "valuedrift/seconds" in h]
    return {"steps_per_s": steps / seconds, "seconds": seconds,
            "measurements_s": [h["valuedrift/seconds"] for h in logged],
            "generate_s": [h["valuedrift/generate_seconds"] for h in logged]}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="tiny-random", help="a model alias or folder")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--save-steps", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    model = str(pull(args.model)) if "/" not in args.model else args.model
    root = Path(tempfile.mkdtemp(prefix="bench-callback-"))
    runs: dict[str, list[dict]] = {"without": [], "with": []}
    for i in range(args.repeats):
        for name in ("without", "with") if i % 2 == 0 else ("with", "without"):
            r = train_once(model, root / f"{name}-{i}", args.steps, args.save_steps, name == "with")
            runs[name].append(r)
            print(f"{name:>7} callback: {r['steps_per_s']:.3f} steps/s ({r['seconds']:.1f} s)", flush=True)
    without = statistics.median(r["steps_per_s"] for r in runs["without"])
    with_cb = statistics.median(r["steps_per_s"] for r in runs["with"])
    per = [s for r in runs["with"] for s in r["measurements_s"]]
    gen = [s for r in runs["with"] for s in r["generate_s"]]
    print(f"{args.model}: {args.steps} steps, save every {args.save_steps}: {without:.3f} steps/s without, "
          f"{with_cb:.3f} with the callback (ratio {with_cb / without:.3f}); {len(per) // args.repeats} "
          f"measurements per run, median {statistics.median(per):.2f} s each "
          f"({statistics.median(gen):.2f} s of it sampling)")  # fmt: skip
    print(json.dumps({"model": args.model, "steps": args.steps, "save_steps": args.save_steps,
                      "threads": torch.get_num_threads(), "steps_per_s_without": round(without, 4),
                      "steps_per_s_with": round(with_cb, 4), "ratio": round(with_cb / without, 4),
                      "measurements_per_run": len(per) // args.repeats,
                      "measurement_s_median": round(statistics.median(per), 3),
                      "sampling_s_median": round(statistics.median(gen), 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
