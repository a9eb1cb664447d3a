"""A tiny run directory to label: generations and judgments of four checkpoints, written through RunDir.

Stage ``sft`` has checkpoints at steps 0, 2 and 4 after ``base/step-0``; each has three answers
(abortion-000 samples 0 and 1, immigration-000 sample 0). Only sft/step-0 and sft/step-4 are where a
drift is measured, so ``valuedrift label --n 6`` (checkpoints=ends) draws exactly their six answers,
``A1`` .. ``A6``. Every answer carries rich markup, which must print literally, and its id.
"""

from __future__ import annotations

import pandas as pd

from valuedrift.rundir import RunDir
from valuedrift.tables import GENERATION_COLUMNS, STANCES

MARKUP = "[bold]markup stays[/bold]"
CHECKPOINTS = {"base/step-0": "B", "sft/step-0": "A", "sft/step-2": "C", "sft/step-4": "A"}
CELLS = [
    ("abortion-000", "abortion", 0),
    ("abortion-000", "abortion", 1),
    ("immigration-000", "immigration", 0),
]
VERDICTS = {"A1": "support", "A2": "neutral", "A3": "oppose", "A4": None, "A5": "support", "A6": "neutral"}
"""The judge's verdict on each answer at the ends (None: unscored); elsewhere 'support'."""
PROBS = {
    "support": (0.8173, 0.1209, 0.0618),
    "neutral": (0.1302, 0.7531, 0.1167),
    "oppose": (0.0457, 0.1836, 0.7707),
}
"""Distinctive probabilities, so a test can tell they never reach the screen."""
RAW_MARK = "JUDGE-RAW-OUTPUT"


def answer_id(checkpoint: str, i: int) -> str:
    """A1..A3 at sft/step-0, A4..A6 at sft/step-4, B1.. / C1.. elsewhere."""
    return f"{CHECKPOINTS[checkpoint]}{i + 1 + (3 if checkpoint == 'sft/step-4' else 0)}"


def make_label_run(path) -> RunDir:
    """Write the run (manifest, generations and judgments parts) and return its RunDir."""
    run = RunDir(path, create=True)
    rows, entries = [], []
    for ck in CHECKPOINTS:
        stage, step = ck.split("/step-")
        step = int(step)
        total = 4 if stage == "sft" else 0
        entries.append(
            {
                "id": ck, "stage": stage, "algorithm": stage, "step": step, "total_steps": total,
                "progress": step / total if total else 0.0, "path": f"/ckpt/{ck}",
                "parent": None if stage == "base" else "base/step-0", "adapter": False, "sha256": None,
            }
        )  # fmt: skip
        for i, (pid, cat, sample) in enumerate(CELLS):
            aid = answer_id(ck, i)
            verdict = VERDICTS.get(aid, "support")
            p = PROBS[verdict] if verdict else (float("nan"),) * 3
            rows.append(
                {
                    "run": "label-test", "checkpoint": ck, "stage": stage, "algorithm": stage, "step": step,
                    "progress": step / total if total else 0.0, "prompt_id": pid, "category": cat,
                    "sample": sample, "seed": sample, "question": f"Should {cat} rules be loosened? (Q-{pid})",
                    "response": f"ID-{aid} says: {MARKUP} and a plain sentence.", "n_tokens": 9,
                    "finish_reason": "length" if aid == "A2" else "stop", "judge": "test-judge",
                    **dict(zip((f"p_{s}" for s in STANCES), p, strict=True)),
                    "label": verdict or "", "status": "ok" if verdict else "unscored", "raw": RAW_MARK,
                }
            )  # fmt: skip
    df = pd.DataFrame(rows)
    run.write_manifest({"run": "label-test", "base_model": "tiny-random", "checkpoints": entries})
    for ck, part in df.groupby("checkpoint"):
        run.write_part("generations", ck, part[GENERATION_COLUMNS].reset_index(drop=True))
        run.write_part("judgments", ck, part.reset_index(drop=True))
    return run
