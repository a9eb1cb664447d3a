"""Running a TRL trainer as a valuedrift stage: shared arguments, optimizer, checkpoint callback.

TRL traps handled here (docs/design.md): configs default to bf16 (we set bf16 only on GPUs that support
it and ``use_cpu`` on CPU); trainers write their own ``checkpoint-N`` folders (``save_strategy="no"``:
the callback saves at the stage's schedule instead); data is consumed in the context's seeded order
(``train_sampling_strategy="sequential"`` over :meth:`StageContext.ordered`) with a constant learning
rate, so a stage resumed at step k continues exactly where an uninterrupted run would be. TRL reports to
no tracker itself (``report_to="none"``): its logs go through :meth:`StageContext.log_metrics` to
``logs/<stage>.jsonl`` and to the trackers of ``report_to`` (``walk/trackers.py``), like those of the
walker's own loops, with steps counted from the stage's start and files in the run directory.
"""

from __future__ import annotations

import time
from typing import Any

from transformers import TrainerCallback

from valuedrift.walk.base import StageContext


def common_args(ctx: StageContext) -> dict[str, Any]:
    """TrainingArguments fields every TRL config of a stage gets."""
    import torch

    cuda = ctx.device.startswith("cuda")
    bf16 = bool(cuda and torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    return {
        "output_dir": str(ctx.run.logs / "trainer" / ctx.stage.name),
        "max_steps": ctx.total_steps - ctx.start_step,
        "per_device_train_batch_size": ctx.stage.batch_size,
        "gradient_accumulation_steps": 1,
        "learning_rate": ctx.learning_rate,
        "lr_scheduler_type": "constant",
        "warmup_steps": 0,
        "weight_decay": 0.0,
        "save_strategy": "no",
        "logging_steps": 1,
        "report_to": "none",  # the trackers get the logs from SaveCallback, through ctx.log_metrics
        "bf16": bf16,
        "fp16": False,
        "use_cpu": not cuda,
        "seed": ctx.seed,
        "data_seed": ctx.seed,
        "train_sampling_strategy": "sequential",
        "dataloader_num_workers": 0,
        "disable_tqdm": True,
        "max_grad_norm": 1.0,
        "gradient_checkpointing": ctx.exp.finetune.gradient_checkpointing,
    }


def make_optimizer(model, ctx: StageContext):
    """AdamW over the trainable parameters, restored from the resume checkpoint when resuming."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=ctx.learning_rate, weight_decay=0.0)
    ctx.restore_optimizer(opt)
    return opt


class SaveCallback(TrainerCallback):
    """Saves a checkpoint at each scheduled step and logs the trainer's metrics per step.

    Each logged line also gets ``step_seconds``: the wall-clock time of that optimizer step
    (forward, backward, update; the checkpoint write is not counted), for sizing runs.
    """

    def __init__(self, ctx: StageContext, tokenizer):
        self.ctx = ctx
        self.tokenizer = tokenizer
        self._t0 = 0.0
        self._last = None

    def on_log(self, args, state, control, logs=None, **kw):
        if logs:
            extra = {"step_seconds": round(self._last, 3)} if self._last is not None else {}
            # not the last line: the trainer logs its summary at the end (run_trainer closes the trackers)
            self.ctx.log_metrics(self.ctx.start_step + state.global_step, {**logs, **extra}, last=False)

    def on_step_begin(self, args, state, control, **kw):
        self._t0 = time.perf_counter()

    def on_step_end(self, args, state, control, model=None, optimizer=None, **kw):
        self._last = time.perf_counter() - self._t0
        step = self.ctx.start_step + state.global_step
        if step in self.ctx.save_steps:
            self.ctx.save_checkpoint(step, model, self.tokenizer, optimizer)
        return control


def run_trainer(trainer_cls, ctx: StageContext, model, tokenizer, args, dataset, **kw) -> None:
    """Build and run a TRL trainer with the stage's optimizer and checkpoint callback."""
    import datasets
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    from valuedrift.walk import trackers

    datasets.disable_progress_bars()
    optimizer = make_optimizer(model, ctx)
    trainer = trainer_cls(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        optimizers=(optimizer, None),
        callbacks=[SaveCallback(ctx, tokenizer)],
        **kw,
    )
    for cb in (PrinterCallback, ProgressCallback):  # metrics go to logs/<stage>.jsonl instead of stdout
        trainer.remove_callback(cb)
    try:
        trainer.train()
    finally:
        trackers.close(ctx)
