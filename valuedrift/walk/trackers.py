"""Experiment trackers for training metrics (``report_to`` / ``--report-to``): TensorBoard and W&B.

Every stage's metrics reach the trackers through :meth:`StageContext.log_metrics`: the logs of TRL's
trainers (the walker gives TRL ``report_to="none"`` and forwards its logs, ``walk/trl_stage.py``) and
those of the walker's own loops (PPO, RAFT) alike. So all stages log the same scalars, a resumed stage
goes on at the step it resumed from, and every file lands in the run directory:

- ``tensorboard``: ``<run>/logs/tensorboard/<stage>/events.out.tfevents.*``, a scalar
  ``train/<metric>`` per logged step (``tensorboard --logdir <run>/logs/tensorboard``);
- ``wandb``: one W&B run per stage (group: the experiment's name; project: ``$WANDB_PROJECT`` or
  ``valuedrift``) with its files in ``<run>/logs/wandb``. ``WANDB_MODE=offline`` keeps it off the
  network (``wandb sync <run>/logs/wandb/offline-run-*`` uploads it later); a resumed stage goes on in
  the same W&B run (its id is kept in ``<run>/logs/wandb/<stage>.id``).

Both come with the ``tracking`` extra (``pip install 'valuedrift[tracking]'``) and are imported only
when a stage logs with them.
"""

from __future__ import annotations

import atexit
import numbers
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from valuedrift.errors import ExternalFailure, MissingDependency, UserError

if TYPE_CHECKING:
    from valuedrift.walk.base import StageContext

TRACKERS = ("tensorboard", "wandb")


def scalars(metrics: dict[str, Any]) -> dict[str, float]:
    """The numeric metrics of one log line, as tracker tags ``train/<name>`` (as transformers names them).

    >>> scalars({"loss": 0.5, "grad_norm": 1, "done": True, "note": "x"})
    {'train/loss': 0.5, 'train/grad_norm': 1.0}
    """
    return {
        f"train/{k}": float(v)
        for k, v in metrics.items()
        if isinstance(v, numbers.Real) and not isinstance(v, bool)
    }


class StageTrackers:
    """The trackers of one stage: opened at its first logged step, closed after its last."""

    def __init__(self, ctx: StageContext):
        names = [n for n in ctx.exp.report_to if n != "none"]
        unknown = sorted(set(names) - set(TRACKERS))
        if unknown:
            raise UserError(
                f"report_to: unknown reporter {unknown[0]!r}", hint=f"known: {', '.join(TRACKERS)}"
            )
        self._tb = self._wandb = None
        try:
            self._tb = _tensorboard(ctx) if "tensorboard" in names else None
            self._wandb = _wandb(ctx) if "wandb" in names else None
        except BaseException:
            self.close()
            raise

    def log(self, step: int, metrics: dict[str, Any]) -> None:
        values = scalars(metrics)
        if self._tb is not None:
            for tag, v in values.items():
                self._tb.add_scalar(tag, v, global_step=step)
            self._tb.flush()  # readable while the stage runs, and kept if it is killed
        if self._wandb is not None and values:
            self._wandb.log(values, step=step)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None
        if self._wandb is not None:
            self._wandb.finish()
            self._wandb = None


def _tensorboard(ctx: StageContext):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise MissingDependency("tensorboard", "tracking", "report_to: tensorboard") from None
    return SummaryWriter(log_dir=str(ctx.run.logs / "tensorboard" / ctx.stage.name))


def _wandb(ctx: StageContext):
    try:
        import wandb
    except ImportError:
        raise MissingDependency("wandb", "tracking", "report_to: wandb") from None
    folder = ctx.run.logs / "wandb"
    folder.mkdir(parents=True, exist_ok=True)
    id_file = folder / f"{ctx.stage.name}.id"
    run_id = id_file.read_text().strip() if id_file.exists() else secrets.token_hex(4)
    id_file.write_text(run_id + "\n")
    if wandb.run is not None:  # e.g. left open by a trainer's WandbCallback: a stage has a run of its own
        wandb.run.finish()
    try:
        return wandb.init(
            dir=str(ctx.run.logs),  # wandb writes into <dir>/wandb
            project=os.environ.get("WANDB_PROJECT") or "valuedrift",
            group=ctx.exp.name,
            name=f"{ctx.exp.name}/{ctx.stage.name}",
            job_type=ctx.stage.algorithm,
            id=run_id,
            resume="allow",
            config={
                "experiment": ctx.exp.name,
                "stage": ctx.stage.model_dump(mode="json"),
                "learning_rate": ctx.learning_rate,
                "finetune": ctx.exp.finetune.model_dump(mode="json"),
                "base_model": ctx.base_model,
                "seed": ctx.seed,
            },
        )
    except wandb.errors.Error as e:  # not logged in, no network, unknown entity...
        raise ExternalFailure(
            f"report_to: wandb could not start a run: {str(e).splitlines()[0][:200]}",
            hint="log in with `wandb login`, or set WANDB_MODE=offline to keep the run in the run directory",
        ) from e


_OPEN: dict[Path, StageTrackers] = {}
"""The trackers of the stage now logging, by ``<run>/logs/<stage>`` (stages train one at a time)."""


def _key(ctx: StageContext) -> Path:
    return ctx.run.logs / ctx.stage.name


def log(ctx: StageContext, step: int, metrics: dict[str, Any], *, last: bool = False) -> None:
    """Send one step's metrics to the stage's trackers (opening them, and closing another stage's,
    at its first step); ``last``: the stage logs nothing more, close them."""
    key = _key(ctx)
    trackers = _OPEN.get(key)
    if trackers is None:
        close_all()
        trackers = _OPEN[key] = StageTrackers(ctx)
    trackers.log(step, metrics)
    if last:
        close(ctx)


def close(ctx: StageContext) -> None:
    """Close the stage's trackers (flushes TensorBoard, finishes the W&B run); nothing if none is open."""
    trackers = _OPEN.pop(_key(ctx), None)
    if trackers is not None:
        trackers.close()


def close_all() -> None:
    while _OPEN:
        _OPEN.popitem()[1].close()


atexit.register(close_all)

__all__ = ["TRACKERS", "StageTrackers", "close", "close_all", "log", "scalars"]
