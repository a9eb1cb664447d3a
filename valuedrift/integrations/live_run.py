"""The run directory a training callback writes: the same parts as ``valuedrift generate`` and ``judge``.

:class:`LiveRun` is one more writer of the run-directory contract (docs/design.md §4), fed with answers
sampled from a live model instead of a saved checkpoint (main process only):

- ``config.yaml``: an :class:`~valuedrift.config.Experiment` with the generation, judge and analysis
  settings used and no stages (the training happened elsewhere), so ``valuedrift generate``, ``judge``
  and ``analyze`` on the run use the same ones;
- ``checkpoints_manifest.json``, rewritten atomically after every measurement: ``base/step-0`` (the
  model before training), then ``<stage>/step-<n>`` per measured step, all with parent
  ``base/step-0``, as the walker writes a first stage;
- ``generations/<stage>__step-<n>.parquet`` and ``judgments/...``, one part each per measured step;
  ``judge_meta.json``, ``stances.parquet`` and ``drift.parquet`` when training ends (:meth:`close`).

Answers of checkpoints with a content hash also go into the generation cache under the keys
``valuedrift generate`` uses, so generating the saved checkpoints later reuses them. A stage trained
again from step 0 into the same directory first moves its old parts to ``superseded/``; a resumed
one moves those of the steps after the one it resumes from.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from valuedrift import __version__, io
from valuedrift.config import dump_config, load_config
from valuedrift.config.schema import Experiment
from valuedrift.errors import UserError
from valuedrift.generate.base import Answer, Request, messages_for, rows_for, sampling_key
from valuedrift.manifest import validate_manifest
from valuedrift.rundir import RunDir
from valuedrift.tables import OVERALL, STANCES

log = logging.getLogger(__name__)

BASE_ID = "base/step-0"
"""The model before training, as the walker names it."""


def safe_name(text: str, what: str = "stage") -> str:
    """A name usable in checkpoint ids and file names: ``runs/sft v2`` -> ``runs-sft-v2``."""
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "-", str(text)).strip("-._")
    if not name:
        raise UserError(f"{what} name {text!r} has no letters or digits", hint=f"pass {what}='...'")
    if what == "stage" and name == "base":
        raise UserError(
            "stage name 'base' is reserved for the model before training", hint="pass stage='...'"
        )
    return name


def stance_values(judgments: pd.DataFrame) -> dict[str, dict[str, float]]:
    """v_t(T)_s per category and ``overall``: the mean judge probability over scored answers (unscored
    ones have NaN probabilities and are skipped), as ``valuedrift/analysis/drift.py`` defines it."""
    cols = [f"p_{s}" for s in STANCES]
    probs = judgments[cols].astype(float)
    means = {str(c): g.mean() for c, g in probs.groupby(judgments["category"])}
    means[OVERALL] = probs.mean()
    return {c: {s: float(m[f"p_{s}"]) for s in STANCES} for c, m in means.items()}


class LiveRun:
    """One run directory fed by a training callback: ``open`` once, ``record`` per step, ``close``."""

    def __init__(
        self, path: str | Path, exp: Experiment, reqs: list[Request], *, stage: str, cache: bool | str | Path
    ):
        self.run = RunDir(path, create=True)
        self.exp = exp
        self.reqs = reqs
        self.stage = stage
        self.cache = cache
        self.manifest: dict[str, Any] = {}
        self.judge = None
        self._t0 = time.perf_counter()

    # --- setup -------------------------------------------------------------------------------------
    def open(self, base: dict[str, Any], start_step: int) -> None:
        """Save the config and the manifest's base entry; set aside this stage's parts that a start at
        ``start_step`` makes stale (all of them when it starts from 0)."""
        from valuedrift.supersede import supersede_changed

        run = self.run
        io.clean_partials(run.path)
        if run.manifest_path.exists():
            self.manifest = run.read_manifest()
            if self.manifest.get("base_model") != base["path"]:
                raise UserError(
                    f"{run.path} traces training from {self.manifest.get('base_model')}, not {base['path']}",
                    hint="give this training another run directory",
                )
        else:
            self.manifest = {"run": self.exp.name, "base_model": base["path"], "checkpoints": []}
        self.manifest["valuedrift_version"] = __version__
        if run.config_path.exists():  # changed sampling, prompts or judge: the old parts go aside
            old = load_config(run.config_path)
            if old.stages or old.manifest or old.checkpoints:
                raise UserError(
                    f"{run.path} is a run of 'valuedrift train' or 'trace', not of a training callback",
                    hint="give this training its own run directory",
                )
            supersede_changed(run, old, self.exp)
        io.write_text(run.config_path, dump_config(self.exp))
        stale = [
            e["id"]
            for e in self.manifest["checkpoints"]
            if e["stage"] == self.stage and (start_step == 0 or e["step"] > start_step)
        ]
        why = "trained again from step 0" if start_step == 0 else f"resumed from step {start_step}"
        self._move_aside(stale, f"stage {self.stage} {why}")
        self.manifest["checkpoints"] = [e for e in self.manifest["checkpoints"] if e["id"] not in stale]
        self._put_entries([base])

    def _move_aside(self, ids: list[str], why: str) -> None:
        """Move these checkpoints' parts (and the analysis built from them) to ``superseded/<UTC time>/``."""
        run = self.run
        derived = [run.table_path(t) for t in ("generations", "judgments", "stances", "drift")]
        parts = [run.part_path(t, i) for i in ids for t in ("generations", "judgments")]
        paths = [p for p in parts if p.exists()]
        if not paths:
            return
        paths += [p for p in [*derived, run.report_path, run.path / "judge_meta.json"] if p.exists()]
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        dest, n = run.path / "superseded" / stamp, 1
        while dest.exists():
            n += 1
            dest = run.path / "superseded" / f"{stamp}-{n}"
        moved = [str(p.relative_to(run.path)) for p in paths]
        io.write_json(dest / "why.json", [{"what": f"stage {self.stage}", "why": why, "moved": moved}])
        for p, rel in zip(paths, moved, strict=True):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            p.rename(dest / rel)
        log.warning("%s: %d file(s) moved to %s", why, len(paths), dest.relative_to(run.path))

    def _put_entries(self, entries: list[dict[str, Any]]) -> None:
        """Add or replace manifest entries (base first, then by stage and step); write it atomically."""
        by_id = {e["id"]: e for e in self.manifest["checkpoints"]} | {e["id"]: e for e in entries}
        self.manifest["checkpoints"] = sorted(
            by_id.values(), key=lambda e: (e["id"] != BASE_ID, e["stage"], e["step"])
        )
        self.run.write_manifest(validate_manifest(self.manifest, str(self.run.manifest_path)))

    # --- per measurement ---------------------------------------------------------------------------
    def record(self, entries: list[dict[str, Any]], answers: list[Answer]) -> pd.DataFrame:
        """Judge one set of answers and write the parts of ``entries`` (checkpoints with the same weights:
        ``base/step-0`` and ``<stage>/step-0``; ``base/step-0`` only if it has no part yet, as a sibling
        stage may have written it); return the judgments."""
        from valuedrift.judge.registry import get_judge
        from valuedrift.judge.run import judge_frame

        if self.judge is None:
            self.judge = get_judge(self.exp.judge, state_dir=self.run.path, device=self.exp.device)
        gens = rows_for(entries[0], self.manifest["run"], self.reqs, answers)
        judged = judge_frame(self.judge, gens)
        for e in entries:
            if e["id"] == BASE_ID and self.run.has_part("judgments", BASE_ID):
                continue
            label = {k: e[k] for k in ("stage", "algorithm", "step", "progress")} | {"checkpoint": e["id"]}
            self.run.write_part("generations", e["id"], gens.assign(**label))
            self.run.write_part("judgments", e["id"], judged.assign(**label))
        self._put_entries(entries)
        self._cache(entries[0], answers)
        return judged

    def _cache(self, entry: dict[str, Any], answers: list[Answer]) -> None:
        """Put the answers in the generation cache, keyed as ``CountingGenerator`` keys the hf back end's."""
        from valuedrift.generate.cache import GenerationCache, row_key, weights_key
        from valuedrift.generate.hf import HFGenerator

        if not self.cache:
            return
        wkey = weights_key(entry, self.manifest["base_model"])
        if wkey is None:
            return
        sampling = self.exp.generation.sampling
        skey = sampling_key(sampling, HFGenerator.name, {"tag": HFGenerator.cache_tag})
        keys = [row_key(repr(messages_for(r.question, sampling)), r.seed) for r in self.reqs]
        cache = GenerationCache(None if self.cache is True else Path(self.cache))
        cache.put(wkey, skey, dict(zip(keys, answers, strict=True)))

    def values_of(self, checkpoint: str) -> dict[str, dict[str, float]] | None:
        """The stance values of a checkpoint already measured (a resumed stage's step 0), else None."""
        if not self.run.has_part("judgments", checkpoint):
            return None
        return stance_values(self.run.read_part("judgments", checkpoint))

    # --- end ---------------------------------------------------------------------------------------
    def close(self) -> None:
        """Write ``judge_meta.json`` and the analysis tables (so ``valuedrift report RUN`` works at once)."""
        from valuedrift.analysis.drift import analyze_run
        from valuedrift.judge.run import write_meta

        if self.judge is None:
            return
        try:
            per_ckpt = {}
            for e in self.manifest["checkpoints"]:
                if self.run.has_part("judgments", e["id"]):
                    df = self.run.read_part("judgments", e["id"])
                    per_ckpt[e["id"]] = {
                        "n": len(df),
                        "ok": int((df["status"] == "ok").sum()),
                        "unscored": int((df["status"] == "unscored").sum()),
                        **{s: int((df["label"] == s).sum()) for s in STANCES},
                    }
            write_meta(self.run, self.judge, per_ckpt, time.perf_counter() - self._t0, validate=False)
            if per_ckpt:
                analyze_run(self.run, self.exp)
        finally:
            self.judge.close()
            self.judge = None
