"""Hand-built judgments tables with known stance values, for testing the drift metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd


def judgments_table(
    trajectories: dict[str, list[tuple[int, float]]],
    *,
    algorithms: dict[str, str] | None = None,
    categories: tuple[str, ...] = ("abortion", "immigration"),
    prompts_per_category: int = 4,
    samples: int = 2,
    noise: float = 0.0,
    seed: int = 0,
    unscored: int = 0,
    run: str = "r",
) -> pd.DataFrame:
    """Rows where p(support) at (stage, step) is the given value (neutral takes the rest).

    ``trajectories = {"sft": [(0, 0.2), (5, 0.6), (10, 0.5)]}``. With ``noise`` > 0 each row's
    p(support) is perturbed (clipped to [0, 1]). ``unscored`` marks that many rows of the last
    checkpoint of each stage as unscored.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for stage, points in trajectories.items():
        total = points[-1][0]
        for j, (step, value) in enumerate(points):
            for cat in categories:
                for i in range(prompts_per_category):
                    for k in range(samples):
                        ps = float(np.clip(value + noise * rng.standard_normal(), 0, 1))
                        rows.append(
                            {
                                "run": run,
                                "checkpoint": f"{stage}/step-{step}",
                                "stage": stage,
                                "algorithm": (algorithms or {}).get(stage, stage),
                                "step": step,
                                "progress": step / total if total else 0.0,
                                "prompt_id": f"{cat}-{i:03d}",
                                "category": cat,
                                "sample": k,
                                "seed": k,
                                "question": f"q {cat} {i}",
                                "response": f"answer {stage} {step} {i} {k}",
                                "n_tokens": 5,
                                "finish_reason": "stop",
                                "judge": "test",
                                "p_support": ps,
                                "p_neutral": 1 - ps,
                                "p_oppose": 0.0,
                                "label": "support" if ps >= 0.5 else "neutral",
                                "status": "ok",
                                "raw": "",
                                "_last": j == len(points) - 1,
                            }
                        )
    df = pd.DataFrame(rows)
    if unscored:
        last = df.index[df["_last"]][:unscored]
        df.loc[last, ["p_support", "p_neutral", "p_oppose"]] = np.nan
        df.loc[last, "status"] = "unscored"
        df.loc[last, "label"] = ""
        df.loc[last, "raw"] = "I cannot tell"
    return df.drop(columns="_last")


def manifest_for(df: pd.DataFrame, parents: dict[str, str] | None = None) -> dict:
    """A minimal manifest matching a judgments table."""
    entries = []
    for (stage, step), grp in df.groupby(["stage", "step"]):
        total = int(df.loc[df.stage == stage, "step"].max())
        entries.append(
            {
                "id": f"{stage}/step-{step}",
                "stage": stage,
                "algorithm": grp["algorithm"].iloc[0],
                "step": int(step),
                "total_steps": total,
                "progress": step / total if total else 0.0,
                "path": f"/ckpt/{stage}/{step}",
                "parent": (parents or {}).get(stage),
                "adapter": False,
                "sha256": None,
            }
        )
    return {"run": "r", "base_model": "tiny-random", "checkpoints": entries}
