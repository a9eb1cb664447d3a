"""``judge_run``: label every generated response of a run with p(support), p(neutral), p(oppose).

Reads the generations parts (one per checkpoint), writes one judgments part per checkpoint
(``JUDGMENT_COLUMNS`` plus ``judge_source``) and ``judge_meta.json`` (judge name, identity, prompt
version, usage and cost, counts, validation figures). A part already judged by the same judge is
skipped unless it holds transient failures; verdicts come from the cache where they exist, so a
re-run over a judged run makes zero judge calls.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

from valuedrift import io
from valuedrift.errors import UserError
from valuedrift.judge.base import Judge, JudgeItem
from valuedrift.rundir import RunDir
from valuedrift.tables import GENERATION_COLUMNS, JUDGMENT_COLUMNS, STANCES

log = logging.getLogger(__name__)

META = "judge_meta.json"


def generation_parts(run: RunDir) -> list[tuple[str, Any]]:
    """(checkpoint id, generations DataFrame) per checkpoint, from parts or the single table."""
    import pandas as pd

    folder = run.path / "generations"
    parts = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    frames = [pd.read_parquet(p) for p in parts]
    if not frames and run.table_path("generations").exists():
        frames = [pd.read_parquet(run.table_path("generations"))]
    if not frames:
        raise UserError(f"{run.path}: no generations yet", hint="run 'valuedrift generate' first")
    out = []
    for df in frames:
        missing = [c for c in ("checkpoint", "question", "response") if c not in df.columns]
        if missing:
            raise UserError(f"{run.path}/generations: missing column(s) {', '.join(missing)}")
        for ckpt, g in df.groupby("checkpoint", sort=False):
            out.append((str(ckpt), g.reset_index(drop=True)))
    return out


def items_of_frame(gens) -> list[JudgeItem]:
    """JudgeItems of a generations DataFrame (a missing response is the empty string)."""
    cats = gens["category"] if "category" in gens.columns else [None] * len(gens)
    return [
        JudgeItem(str(q), "" if r is None or (isinstance(r, float) and math.isnan(r)) else str(r), c)
        for q, r, c in zip(gens["question"], gens["response"], cats, strict=True)
    ]


def judge_frame(judge: Judge, gens) -> Any:
    """The judgments rows for one generations DataFrame (same order)."""
    import pandas as pd

    verdicts = judge.judge(items_of_frame(gens))
    df = gens.copy()
    for c in GENERATION_COLUMNS:
        if c not in df.columns:
            df[c] = None
    df["judge"] = judge.name
    for s in STANCES:
        df[f"p_{s}"] = [getattr(v, f"p_{s}") for v in verdicts]
    df["label"] = [v.label for v in verdicts]
    df["status"] = [v.status for v in verdicts]
    df["raw"] = [v.raw for v in verdicts]
    df["judge_source"] = [v.source for v in verdicts]
    extra = [c for c in df.columns if c not in JUDGMENT_COLUMNS and c != "judge_source"]
    return pd.DataFrame(df[[*JUDGMENT_COLUMNS, "judge_source", *extra]])


def _done(run: RunDir, ckpt: str, judge: Judge, n: int) -> bool:
    if not run.has_part("judgments", ckpt):
        return False
    df = run.read_part("judgments", ckpt)
    if len(df) != n or set(df["judge"]) != {judge.name}:
        return False
    return not (df.get("judge_source") is not None and (df["judge_source"] == "error").any())


def judge_run(run: RunDir, exp, *, judge: Judge | None = None, validate: bool = False):
    """Judge every checkpoint's generations; returns the whole judgments DataFrame."""
    import pandas as pd

    from valuedrift.judge.registry import get_judge

    judge = judge or get_judge(exp.judge, state_dir=run.path, device=getattr(exp, "device", "auto"))
    t0 = time.time()
    per_ckpt: dict[str, dict[str, int]] = {}
    frames = []
    try:
        parts = generation_parts(run)
        todo = [(ckpt, gens) for ckpt, gens in parts if not _done(run, ckpt, judge, len(gens))]
        if getattr(exp.judge, "batch_api", False) and getattr(exp.judge, "cache", True) and todo:
            # one Batch API job for every pending checkpoint; the parts below then read the cache
            judge.judge([it for _, gens in todo for it in items_of_frame(gens)])
        for ckpt, gens in parts:
            if _done(run, ckpt, judge, len(gens)):
                df = run.read_part("judgments", ckpt)
            else:
                df = judge_frame(judge, gens)
                run.write_part("judgments", ckpt, df)
            frames.append(df)
            per_ckpt[ckpt] = {
                "n": len(df),
                "ok": int((df["status"] == "ok").sum()),
                "unscored": int((df["status"] == "unscored").sum()),
                **{s: int((df["label"] == s).sum()) for s in STANCES},
            }
            log.info("judged %s: %s", ckpt, per_ckpt[ckpt])
    finally:
        write_meta(run, judge, per_ckpt, time.time() - t0, validate=validate)
        judge.close()
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=JUDGMENT_COLUMNS)


def write_meta(run: RunDir, judge: Judge, per_ckpt: dict, seconds: float, *, validate: bool) -> Path:
    """``judge_meta.json``: who judged, with which prompt, at what cost, how many unscored, how valid."""
    from valuedrift.judge.prompt import PROMPT_VERSION

    usage = judge.usage.to_json()  # the run's own calls, before any validation below
    inner = getattr(judge, "inner", judge)
    validation: dict[str, Any] | None = None
    meta_of = getattr(inner, "meta", None)
    if meta_of:
        validation = {"calibration_split": meta_of.get("calibration")}
    if validate:
        from valuedrift.judge.metrics import agreement, gold_path, items_of, load_gold

        gold = load_gold(gold_path())
        verdicts = judge.judge(items_of(gold))
        # the confusion matrix lets analysis.correction = confusion work without the run's own labels
        keys = ("n", "accuracy", "macro_f1", "kappa", "n_unscored", "confusion")
        truth, pred = [g["label"] for g in gold], [v.label or "unscored" for v in verdicts]
        m = agreement(truth, pred)
        figures: dict[str, Any] = {k: m[k] for k in keys}
        for part in sorted({g.get("part") for g in gold if g.get("part")}):  # 'design' vs 'blind'
            idx = [i for i, g in enumerate(gold) if g.get("part") == part]
            pm = agreement([truth[i] for i in idx], [pred[i] for i in idx])
            figures[f"part_{part}"] = {k: pm[k] for k in keys}
        validation = {**(validation or {}), "gold": figures}
    previous = {}
    path = run.path / META
    if path.exists():
        import json

        previous = json.loads(path.read_text())
    totals = {k: sum(v[k] for v in per_ckpt.values()) for k in ("n", "ok", "unscored")} if per_ckpt else {}
    meta = {
        "judge": judge.name,
        "identity": judge.identity,
        "prompt_version": PROMPT_VERSION if judge.name.startswith(("openai", "hf")) else judge.prompt_version,
        "usage": usage,
        "usage_total": _add_usage(previous.get("usage_total"), usage)
        if previous.get("judge") == judge.name
        else usage,
        "counts": totals,
        "checkpoints": per_ckpt,
        "seconds": round(seconds, 2),
        "validation": validation if validation is not None else previous.get("validation"),
    }
    return io.write_json(path, meta)


def _add_usage(a: dict | None, b: dict) -> dict:
    if not a:
        return b
    return {
        k: (a.get(k, 0) + v if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
        for k, v in b.items()
    }
