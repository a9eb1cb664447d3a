"""Reopening a run directory with a changed config: keep the work that still holds, move the rest aside.

Each piece of computed work has a fingerprint of the settings it depends on:

- a stage's checkpoints: its stage config (``params`` resolved through its algorithm's params model,
  so spelling out a default changes nothing), ``finetune`` (less ``gradient_checkpointing``, which
  trades memory for time only), ``base_model``, ``seed`` and its parent's fingerprint, so a change
  reaches every descendant;
- the base model's own parts (``base/step-0``): ``base_model``;
- every generation part: ``generation`` less its operational fields (:data:`GENERATION_OPERATIONAL`);
- every judgment part: that, plus ``judge`` less its operational fields (:data:`JUDGE_OPERATIONAL`);
- every part: ``manifest`` and ``checkpoints`` (a series traced instead of trained).

:func:`supersede_changed` compares a run's saved config with the new one and moves what a changed
(or removed) fingerprint makes stale — a stage's ``checkpoints/<stage>/``, its merged folders
``checkpoints/_merged/<stage>__step-*``, its trainer logs and its checkpoints' generation and
judgment parts — into ``<run>/superseded/<UTC time>/`` under the same relative paths, with a
``why.json``. Nothing computed is deleted. Derived files the move makes stale (the concatenated
tables, stances, drift, the report, ``judge_meta.json``) go along; the phases then redo what is
missing, exactly as after a kill. The reward-model cache (``checkpoints/_reward/<settings hash>``) is
content-addressed and stays.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from valuedrift import io
from valuedrift.config.schema import Experiment, StageConfig
from valuedrift.rundir import MANIFEST, RunDir

log = logging.getLogger("valuedrift.trace")

GENERATION_OPERATIONAL = ("concurrency", "batch_size", "api_key_env")
GENERATION_OPERATIONAL_OPTIONS = ("max_retries", "timeout_s", "gpu_memory_utilization", "max_num_seqs")
"""Generation settings that change how fast or how reliably answers come, never which answers."""
JUDGE_OPERATIONAL = ("concurrency", "max_retries", "timeout_s", "batch_api", "cache", "cache_path",
                     "api_key_env")  # fmt: skip
JUDGE_OPERATIONAL_OPTIONS = ("backoff_base_s", "backoff_cap_s", "batch_poll_s", "price_in", "price_out",
                             "batch_size")  # fmt: skip
"""Judge settings that change speed, cost accounting or caching, never a verdict."""

TABLES = ("generations", "judgments")
DERIVED = {
    "generations": ("generations.parquet", "contamination.json"),
    "judgments": ("judgments.parquet", "judge_meta.json"),
    "analysis": ("stances.parquet", "drift.parquet", "report.html"),
}
"""Files rebuilt from the parts: stale once a part of that table (or the analysis) is superseded."""


def first_difference(a: Any, b: Any, prefix: str = "") -> str | None:
    """Dotted path of the first field where two JSON-like values differ; None if equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            d = first_difference(a.get(k), b.get(k), f"{prefix}{k}.")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = first_difference(x, y, f"{prefix}{i}.")
            if d:
                return d
        return None
    return None if a == b else prefix.rstrip(".")


def _hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _stage_dict(st: StageConfig) -> dict[str, Any]:
    from valuedrift.config.algorithms import get_spec

    d = st.model_dump(mode="json")
    with contextlib.suppress(Exception):  # an algorithm this version lacks: params as written
        d["params"] = get_spec(st.algorithm).params.model_validate(st.params).model_dump(mode="json")
    return d


def _stage_body(exp: Experiment, st: StageConfig) -> dict[str, Any]:
    """What a stage's weights depend on, besides its parent (in the order a reason is looked for)."""
    return {
        f"stages.{st.name}": _stage_dict(st),
        "finetune": exp.finetune.model_dump(mode="json", exclude={"gradient_checkpointing"}),
        "base_model": exp.base_model.model_dump(mode="json"),
        "seed": exp.seed,
    }


def stage_fingerprints(exp: Experiment) -> dict[str, str]:
    """Fingerprint per stage name, plus ``base`` for the base model."""
    fps = {"base": _hash({"base_model": exp.base_model.model_dump(mode="json")})}
    for st in exp.stage_order():
        fps[st.name] = _hash({**_stage_body(exp, st), "parent": fps[st.parent]})
    return fps


def _without(d: dict[str, Any], drop: tuple[str, ...], drop_options: tuple[str, ...]) -> dict[str, Any]:
    out = {k: v for k, v in d.items() if k not in drop}
    out["options"] = {k: v for k, v in d.get("options", {}).items() if k not in drop_options}
    return out


def generation_body(exp: Experiment) -> dict[str, Any]:
    """The generation settings that decide the answers."""
    gen = exp.generation.model_dump(mode="json")
    return {"generation": _without(gen, GENERATION_OPERATIONAL, GENERATION_OPERATIONAL_OPTIONS)}


def judge_body(exp: Experiment) -> dict[str, Any]:
    """The judge settings that decide the verdicts."""
    return {
        "judge": _without(exp.judge.model_dump(mode="json"), JUDGE_OPERATIONAL, JUDGE_OPERATIONAL_OPTIONS)
    }


def generation_fingerprint(exp: Experiment) -> str:
    return _hash(generation_body(exp))


def judge_fingerprint(exp: Experiment) -> str:
    return _hash(judge_body(exp))


@dataclass
class Change:
    """One reason to supersede work, and the paths it makes stale."""

    what: str
    why: str
    paths: list[Path] = field(default_factory=list)


def _parts(run: RunDir, table: str, stage: str | None = None) -> list[Path]:
    folder = run.path / table
    if not folder.is_dir():
        return []
    pattern = re.compile(rf"{re.escape(stage)}__step-\d+") if stage else None
    return sorted(p for p in folder.glob("*.parquet") if pattern is None or pattern.fullmatch(p.stem))


def _stage_paths(run: RunDir, stage: str) -> list[Path]:
    """A stage's checkpoints, merged folders, trainer logs and parts (``base``: its parts only)."""
    paths: list[Path] = []
    if stage != "base":
        paths += [run.checkpoints / stage, run.logs / "trainer" / stage]
        merged = run.checkpoints / "_merged"
        if merged.is_dir():
            mine = re.compile(rf"{re.escape(stage)}__step-\d+")
            paths += sorted(p for p in merged.iterdir() if mine.fullmatch(p.name))
    for table in TABLES:
        paths += _parts(run, table, stage)
    return [p for p in paths if p.exists()]


def _stage_why(old: Experiment, new: Experiment, name: str, new_fp: dict[str, str]) -> str:
    if name not in new_fp:
        return "removed from the config"
    if name == "base":
        a, b = old.base_model.model_dump(mode="json"), new.base_model.model_dump(mode="json")
        return f"{first_difference(a, b, 'base_model.')} changed"
    o = next(s for s in old.stages if s.name == name)
    n = next(s for s in new.stages if s.name == name)
    a, b = _stage_body(old, o), _stage_body(new, n)
    for key in a:
        d = first_difference(a[key], b[key], f"{key}.")
        if d:
            return f"{d} changed"
    return f"its parent '{n.parent}' changed"


def plan(run: RunDir, old: Experiment, new: Experiment) -> list[Change]:
    """What the config change from ``old`` to ``new`` makes stale in ``run`` (each path listed once)."""
    changes: list[Change] = []
    old_fp, new_fp = stage_fingerprints(old), stage_fingerprints(new)
    for name in old_fp:
        if new_fp.get(name) != old_fp[name]:
            what = "the base model's parts" if name == "base" else f"stage {name}"
            changes.append(Change(what, _stage_why(old, new, name, new_fp), _stage_paths(run, name)))
    every = _parts(run, "generations") + _parts(run, "judgments")
    if old.manifest != new.manifest or old.checkpoints != new.checkpoints:
        what = "manifest" if old.manifest != new.manifest else "checkpoints"
        changes.append(Change("every generation and judgment", f"{what} changed", every))
    d = first_difference(generation_body(old), generation_body(new))
    if d:
        changes.append(Change("every generation and judgment", f"{d} changed", every))
    d = first_difference(judge_body(old), judge_body(new))
    if d:
        changes.append(Change("every judgment", f"{d} changed", _parts(run, "judgments")))
    d = first_difference(
        old.analysis.model_dump(mode="json"), new.analysis.model_dump(mode="json"), "analysis."
    )
    if d:
        changes.append(Change("the analysis", f"{d} changed", [run.path / f for f in DERIVED["analysis"]]))
    changes.append(Change("derived files", "built from superseded work", []))

    claimed: set[Path] = set()
    for c in changes:
        if c.what == "derived files":
            c.paths = _stale_derived(run, claimed)
        c.paths = [p for p in dict.fromkeys(c.paths) if p not in claimed and p.exists()]
        claimed.update(c.paths)
    return [c for c in changes if c.paths]


def _stale_derived(run: RunDir, moved: set[Path]) -> list[Path]:
    """The files built from ``moved`` work: tables, analysis, report, judge meta, manifest."""
    stale = [t for t in TABLES if any(p.parent == run.path / t for p in moved)]
    if "generations" in stale:
        stale.append("judgments")
    trained = any(p.is_relative_to(run.checkpoints) for p in moved)
    if stale or trained:
        stale.append("analysis")
    paths = [run.path / f for key in dict.fromkeys(stale) for f in DERIVED[key]]
    return paths + ([run.path / MANIFEST] if trained else [])


def _stamp_dir(run: RunDir) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder, n = run.path / "superseded" / stamp, 1
    while folder.exists():
        n += 1
        folder = run.path / "superseded" / f"{stamp}-{n}"
    return folder


def _summary(run: RunDir, paths: list[Path]) -> str:
    """``2 checkpoints, 1 merged folder, 3 generation parts, report.html``."""
    counts: dict[str, int] = {}
    names: list[str] = []
    for p in paths:
        rel = p.relative_to(run.path).parts
        if rel[:2] == ("checkpoints", "_merged"):
            kind, n = "merged folder", 1
        elif rel[0] == "checkpoints":
            kind, n = "checkpoint", len(list(p.glob("step-*")))
        elif rel[0] in TABLES and len(rel) == 2:
            kind, n = f"{rel[0][:-1]} part", 1
        elif rel[0] == "logs":
            kind, n = "trainer log folder", 1
        else:
            names.append(p.name)
            continue
        counts[kind] = counts.get(kind, 0) + n
    return ", ".join([f"{n} {k}{'' if n == 1 else 's'}" for k, n in counts.items() if n] + names)


def supersede_changed(run: RunDir, old: Experiment, new: Experiment) -> list[Change]:
    """Move what ``new`` makes stale into ``<run>/superseded/<UTC time>/``; log one line per reason.

    ``why.json`` is written first, so a move cut short by a kill still says why; the next start
    compares the same saved config again and moves the rest."""
    changes = plan(run, old, new)
    if not changes:
        return []
    dest_root = _stamp_dir(run)
    why = [
        {"what": c.what, "why": c.why, "moved": [str(p.relative_to(run.path)) for p in c.paths]}
        for c in changes
    ]
    io.write_json(dest_root / "why.json", why)
    for c in changes:
        summary = _summary(run, c.paths)
        for p in c.paths:
            dest = dest_root / p.relative_to(run.path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            p.rename(dest)
        log.warning(
            "config changed: %s (%s) superseded: %s moved to %s",
            c.what, c.why, summary, dest_root.relative_to(run.path),
        )  # fmt: skip
    return changes


__all__ = [
    "Change",
    "first_difference",
    "generation_fingerprint",
    "judge_fingerprint",
    "plan",
    "stage_fingerprints",
    "supersede_changed",
]
