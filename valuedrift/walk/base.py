"""The stage interface every training algorithm implements, and what stages share.

A trainer (``walk/sft.py``, ``walk/dpo.py``, ...) is an :class:`Algorithm` whose row in the algorithm
table (:mod:`valuedrift.config.algorithms`) gives its name, params model, data kind and default
learning rates; it implements one method,

- ``train(ctx: StageContext) -> None``: trains ``ctx.total_steps - ctx.start_step`` optimizer steps
  from ``ctx.load_policy()`` and calls ``ctx.save_checkpoint(step, model, tokenizer, optimizer)`` at
  every step in ``ctx.save_steps`` (the runner never asks it to redo a saved step).

:class:`StageContext` gives an algorithm everything else: the configs, the run directory, where the
stage starts (its parent's last checkpoint, or its own last checkpoint when resuming), the model to
train (LoRA adapter or full weights), a deterministic example order that a resumed run continues,
and atomic, hashed checkpoints recorded in the manifest.

LoRA: every stage trains a fresh adapter on its *stage base* — the base model for a first stage, or
the parent's final adapter merged into its base for a child stage (written once to
``checkpoints/_merged/<parent>``, shared by sibling stages). Each adapter checkpoint's manifest entry names that folder as
``base``, so any checkpoint loads from the manifest alone. Full fine-tuning saves whole models.
The reference model of DPO / KTO / PPO is the stage's starting policy, a frozen copy loaded from the
stage base (LoRA) or the parent checkpoint (full fine-tuning), the same whether the stage is fresh
or resumed.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from valuedrift import io
from valuedrift.config.algorithms import AlgorithmSpec
from valuedrift.config.schema import Experiment, StageConfig
from valuedrift.rundir import RunDir

log = logging.getLogger(__name__)


def merged_folder(run: RunDir, checkpoint_id: str) -> Path:
    """Where a LoRA checkpoint merged into its base is kept (once, shared by all its child stages)."""
    return run.checkpoints / "_merged" / checkpoint_id.replace("/", "__")


@dataclass
class CheckpointRef:
    """One checkpoint as the manifest records it."""

    id: str
    path: str
    adapter: bool
    sha256: str | None
    base: str | None = None  # for adapters: the full model folder the adapter applies to

    def entry(self, stage: str, algorithm: str, step: int, total: int, parent: str | None) -> dict[str, Any]:
        e = {
            "id": f"{stage}/step-{step}",
            "stage": stage,
            "algorithm": algorithm,
            "step": step,
            "total_steps": total,
            "progress": round(step / total, 6) if total else 0.0,
            "path": self.path,
            "parent": parent,
            "adapter": self.adapter,
            "sha256": self.sha256,
        }
        if self.adapter:
            e["base"] = self.base
        return e


@dataclass
class StageContext:
    exp: Experiment
    stage: StageConfig
    params: BaseModel
    run: RunDir
    parent: CheckpointRef
    base_model: str
    device: str
    learning_rate: float
    save_steps: list[int]
    start_step: int = 0
    resume_from: CheckpointRef | None = None
    saved: list[CheckpointRef] = field(default_factory=list)
    on_save: Any = None  # callback(step, ref) set by the runner: records the manifest entry

    @property
    def total_steps(self) -> int:
        return self.stage.steps

    @property
    def lora(self) -> bool:
        return self.exp.finetune.mode == "lora"

    @property
    def seed(self) -> int:
        return self.exp.seed

    # --- models ------------------------------------------------------------------------------------
    def stage_base(self) -> str:
        """The full model this stage starts from (and its adapters apply to, with LoRA)."""
        if not self.parent.adapter:
            return self.parent.path
        folder = merged_folder(self.run, self.parent.id)
        if not (folder / "config.json").exists():
            model, tok = self._load_adapter_model(self.parent, trainable=False)
            merged = model.merge_and_unload()
            with io.atomic_dir(folder) as tmp:
                merged.save_pretrained(tmp, safe_serialization=True)
                tok.save_pretrained(tmp)
        return str(folder)

    def _load_full(self, path: str, trainable: bool):
        from valuedrift.models import load_model, load_tokenizer

        model = load_model(path, device=self.device, dtype=self.exp.base_model.dtype,
                           trust_remote_code=self.exp.base_model.trust_remote_code)  # fmt: skip
        tok = load_tokenizer(path, trust_remote_code=self.exp.base_model.trust_remote_code)
        if trainable:
            model.train()
        else:
            model.requires_grad_(False)
        return model, tok

    def _load_adapter_model(self, ref: CheckpointRef, trainable: bool):
        from peft import PeftModel

        model, tok = self._load_full(ref.base or self.base_model, trainable=False)
        peft = PeftModel.from_pretrained(model, ref.path, is_trainable=trainable)
        return peft, tok

    def load_policy(self):
        """(model, tokenizer) to train: the parent's last checkpoint, or this stage's last one on resume."""
        if not self.lora:
            return self._load_full((self.resume_from or self.parent).path, trainable=True)
        base = self.stage_base()
        if self.resume_from is not None:
            return self._load_adapter_model(
                CheckpointRef("", self.resume_from.path, True, None, base), trainable=True
            )
        from peft import LoraConfig, get_peft_model

        model, tok = self._load_full(base, trainable=False)
        lc = self.exp.finetune.lora
        cfg = LoraConfig(r=lc.r, lora_alpha=lc.alpha, lora_dropout=lc.dropout, target_modules=lc.target_modules,
                         task_type="CAUSAL_LM")  # fmt: skip
        import torch

        torch.manual_seed(self.seed)  # the adapter's initialisation is part of the run's seed
        peft = get_peft_model(model, cfg)
        peft.train()
        return peft, tok

    def load_reference(self):
        """A frozen copy of the stage's starting policy, π_ref.

        With LoRA this is the stage base (the parent's final policy, merged). It is loaded explicitly,
        rather than letting TRL copy the live adapter as its "ref" adapter: on a resumed stage the live
        adapter is no longer the starting point, so that copy would be the wrong reference.
        """
        path = self.stage_base() if self.lora else self.parent.path
        return self._load_full(path, trainable=False)[0].eval()

    # --- data ----------------------------------------------------------------------------------------
    def ordered(self, items: list[Any]) -> list[Any]:
        """The examples of steps start_step+1 .. total, in a seeded order that a resumed run continues.

        Examples are shuffled with the run seed (reshuffled every epoch) and cut into batches of
        ``batch_size``; a stage resumed at step k takes exactly the batches after the first k.
        """
        if not items:
            from valuedrift.errors import UserError

            raise UserError(f"stage {self.stage.name}: the training data is empty")
        need = self.total_steps * self.stage.batch_size
        order: list[Any] = []
        epoch = 0
        while len(order) < need:
            idx = list(range(len(items)))
            random.Random(f"{self.seed}:{self.stage.name}:{epoch}").shuffle(idx)
            order += [items[i] for i in idx]
            epoch += 1
        return order[self.start_step * self.stage.batch_size : need]

    # --- checkpoints ---------------------------------------------------------------------------------
    def save_checkpoint(self, step: int, model, tokenizer, optimizer=None) -> CheckpointRef:
        """Write ``checkpoints/<stage>/step-<step>/`` atomically (safetensors), hash it, record it."""
        from valuedrift.walk import optim_state

        folder = self.run.checkpoint_dir(self.stage.name, step)
        with io.atomic_dir(folder) as tmp:
            model.save_pretrained(tmp, safe_serialization=True)
            _canonical_adapter_config(tmp)
            tokenizer.save_pretrained(tmp)
            if optimizer is not None:
                optim_state.save(getattr(optimizer, "optimizer", optimizer), tmp)
            (tmp / "stage_state.json").write_text(json.dumps({"step": step, "stage": self.stage.name}))
        ref = CheckpointRef(
            f"{self.stage.name}/step-{step}",
            str(folder),
            self.lora,
            io.sha256_weights(folder),
            self.stage_base() if self.lora else None,
        )
        self.saved.append(ref)
        if self.on_save:
            self.on_save(step, ref)
        log.info("saved %s", ref.id)
        return ref

    def restore_optimizer(self, optimizer) -> bool:
        """Load the optimizer state of the checkpoint this stage resumes from (if any)."""
        from valuedrift.walk import optim_state

        if self.resume_from is None:
            return False
        return optim_state.load(optimizer, Path(self.resume_from.path))

    def log_metrics(self, step: int, metrics: dict[str, Any], *, last: bool | None = None) -> None:
        """Append one JSON line of training metrics to ``logs/<stage>.jsonl`` and send them to the
        trackers of ``report_to`` (:mod:`valuedrift.walk.trackers`), which close after the stage's last
        line: by default the one of its final step; ``last=False`` while more lines of it follow."""
        path = self.run.logs / f"{self.stage.name}.jsonl"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"step": step, **metrics}, default=float) + "\n")
        if self.exp.report_to:
            from valuedrift.walk import trackers

            trackers.log(self, step, metrics, last=step >= self.total_steps if last is None else last)


def _canonical_adapter_config(folder: Path) -> None:
    """PEFT writes target_modules from a set (random order per process): sort it so equal adapters hash equal."""
    cfg = folder / "adapter_config.json"
    if cfg.exists():
        data = json.loads(cfg.read_text())
        for key in ("target_modules", "modules_to_save"):
            if isinstance(data.get(key), list):
                data[key] = sorted(data[key])
        cfg.write_text(json.dumps(data, indent=2, sort_keys=True))


class Algorithm:
    """Base class of trainers: a subclass implements ``train(ctx)``; its row in the algorithm table
    (:mod:`valuedrift.config.algorithms`: name, params model, data kind, learning rates) is ``spec``."""

    spec: AlgorithmSpec

    def train(self, ctx: StageContext) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def resolve_learning_rate(spec: AlgorithmSpec, stage: StageConfig, mode: str) -> float:
    """The stage's learning rate: its own, else the algorithm's default for LoRA or full fine-tuning."""
    return stage.learning_rate or spec.learning_rate(mode)
