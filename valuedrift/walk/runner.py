"""``train_run``: train every stage of an experiment in tree order, resumably, writing the manifest.

- A stage whose final checkpoint exists is finished and never redone.
- A stage with some checkpoints resumes from the last one (weights, adapter and optimizer state; the
  seeded example order continues where it stopped).
- The manifest (``checkpoints_manifest.json``) is rewritten atomically after every checkpoint: the
  base model as ``base/step-0``, then per stage its step 0 (the parent's last checkpoint) and every
  saved step.
- A stage that fails stops the run; its completed checkpoints and every finished stage stay on disk,
  and its children are not started. Bad input (a :class:`UserError`) is one line and exit code 2; any
  other exception is a bug or a library failure and keeps its traceback (also written to
  ``logs/<stage>.error.txt``), exit code 1.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from valuedrift import __version__, io
from valuedrift.config.schema import Experiment, StageConfig
from valuedrift.errors import UserError
from valuedrift.manifest import validate_manifest
from valuedrift.rundir import RunDir
from valuedrift.walk.base import CheckpointRef, StageContext, merged_folder, resolve_learning_rate
from valuedrift.walk.schedule import save_steps

log = logging.getLogger(__name__)


def base_ref(exp: Experiment) -> CheckpointRef:
    from valuedrift.models import resolve

    src = resolve(exp.base_model.name)
    sha = io.sha256_weights(src.path) if src.local else None
    return CheckpointRef("base/step-0", str(src), False, sha)


def existing_steps(run: RunDir, stage: str) -> list[int]:
    folder = run.checkpoints / stage
    if not folder.is_dir():
        return []
    return sorted(
        int(m.group(1)) for p in folder.iterdir() if (m := re.fullmatch(r"step-(\d+)", p.name)) and p.is_dir()
    )


def adapter_base(run: RunDir, stage: StageConfig, parent: CheckpointRef) -> str:
    """The full model a stage's LoRA adapters apply to: the parent, merged if it is itself an adapter."""
    return str(merged_folder(run, parent.id)) if parent.adapter else parent.path


def _ref_from_disk(
    run: RunDir, stage: StageConfig, step: int, lora: bool, parent: CheckpointRef
) -> CheckpointRef:
    folder = run.checkpoint_dir(stage.name, step)
    base = adapter_base(run, stage, parent) if lora else None
    return CheckpointRef(f"{stage.name}/step-{step}", str(folder), lora, io.sha256_weights(folder), base)


def train_run(run: RunDir, exp: Experiment) -> dict[str, Any]:
    """Train (or resume) every stage; return the manifest written to the run directory."""
    from valuedrift.models import pick_device
    from valuedrift.walk.registry import get

    io.clean_partials(run.checkpoints)
    device = pick_device(exp.device)
    base = base_ref(exp)
    entries: list[dict[str, Any]] = [base.entry("base", "base", 0, 0, None)]
    manifest = {
        "run": exp.name,
        "base_model": base.path,
        "valuedrift_version": __version__,
        "checkpoints": entries,
    }
    last: dict[str, CheckpointRef] = {"base": base}

    def write() -> None:
        run.write_manifest(validate_manifest(manifest, str(run.manifest_path)))

    for stage in exp.stage_order():
        algo = get(stage.algorithm)
        if stage.data is None:
            raise UserError(f"stage {stage.name}: no training data (stages.{stage.name}.data.path)")
        parent = last[stage.parent]
        parent_id = parent.id
        schedule = save_steps(stage.steps, stage.save.every, stage.save.log)
        entries.append(
            parent.entry(stage.name, stage.algorithm, 0, stage.steps, parent_id)
            | {"id": f"{stage.name}/step-0"}
        )
        if stage.parent != "base" and parent.adapter:
            entries[-1]["base"] = parent.base
        lora = exp.finetune.mode == "lora"
        done = [s for s in existing_steps(run, stage.name) if s in schedule]
        for s in done:
            entries.append(
                _ref_from_disk(run, stage, s, lora, parent).entry(
                    stage.name, stage.algorithm, s, stage.steps, parent_id
                )
            )
        write()
        if stage.steps in done:
            log.info("stage %s already complete", stage.name)
            last[stage.name] = _ref_from_disk(run, stage, stage.steps, lora, parent)
            continue
        resume = _ref_from_disk(run, stage, done[-1], lora, parent) if done else None
        ctx = StageContext(
            exp=exp,
            stage=stage,
            params=algo.spec.params.model_validate(stage.params),
            run=run,
            parent=parent,
            base_model=base.path,
            device=device,
            learning_rate=resolve_learning_rate(algo.spec, stage, exp.finetune.mode),
            save_steps=[s for s in schedule if s > (done[-1] if done else 0)],
            start_step=done[-1] if done else 0,
            resume_from=resume,
        )

        def on_save(step: int, ref: CheckpointRef, stage=stage, parent_id=parent_id) -> None:
            entries.append(ref.entry(stage.name, stage.algorithm, step, stage.steps, parent_id))
            write()

        ctx.on_save = on_save
        log.info(
            "stage %s (%s) from %s: steps %d..%d",
            stage.name,
            stage.algorithm,
            parent_id,
            ctx.start_step + 1,
            stage.steps,
        )
        try:
            algo.train(ctx)
        except UserError:
            raise
        except Exception:  # a bug or a library failure: keep its traceback (exit 1), not "bad input"
            import traceback

            trace_file = run.logs / f"{stage.name}.error.txt"
            trace_file.write_text(traceback.format_exc())
            log.error("stage %s (%s) failed; its completed checkpoints are kept (traceback also in %s)",
                      stage.name, stage.algorithm, trace_file)  # fmt: skip
            raise
        if not run.checkpoint_dir(stage.name, stage.steps).exists():
            raise UserError(f"stage {stage.name}: training ended before its final step {stage.steps}")
        last[stage.name] = _ref_from_disk(run, stage, stage.steps, lora, parent)
    write()
    return manifest


__all__ = ["train_run"]
