"""``ValueDriftCallback``: trace the stance drift of the training you already run, as it trains.

Add it to any ``transformers.Trainer`` or TRL trainer (``SFTTrainer``, ``DPOTrainer``, ``KTOTrainer``,
``GRPOTrainer``, ...). On a schedule — at every save by default, so the measured weights are exactly
the saved ``checkpoint-N`` — it samples answers to the evaluation prompts from the live model (no
second copy), judges them, logs ``valuedrift/<topic>/<stance>`` and the running drift
``valuedrift/drift/overall/<stance>`` = v_t − v_0 through the trainer's own reporters (TensorBoard,
W&B, whatever ``report_to`` says), and writes an ordinary run directory (``live_run.py``) that
``valuedrift analyze``, ``report`` and ``compare`` read like any other. On the tiny test model, in
about 20 s on a CPU (docs/trace-your-training.md runs SmolLM2 with LoRA)::

    from datasets import load_dataset
    from trl import SFTConfig, SFTTrainer
    from valuedrift.demo import demo_data
    from valuedrift.integrations import ValueDriftCallback
    from valuedrift.models import pull

    data = load_dataset("json", data_files=str(demo_data("sft.jsonl")), split="train")
    args = SFTConfig("runs/tiny-sft/trainer", max_steps=8, save_steps=4, use_cpu=True)
    trainer = SFTTrainer(str(pull("tiny-random")), args=args, train_dataset=data)
    trainer.add_callback(ValueDriftCallback(trainer, "runs/tiny-sft"))
    trainer.train()      # step 0, then one measurement per save (steps 4 and 8)
    # $ valuedrift report runs/tiny-sft

Same numbers both ways: sampling reuses the ``hf`` back end's code (:meth:`HFGenerator.generate_chats`,
per-answer seeds), so with the same seeds and sampling the answers equal what ``valuedrift generate``
produces from the saved checkpoint (tests/integrations/test_callback.py) when it runs in the same
dtype and batch size. Generation follows TRL's ``LogCompletionsCallback``: the unwrapped model
(``unwrap_model_for_generation`` gathers ZeRO-3 weights once and turns gradient checkpointing off),
prompts split across processes and gathered on the main one, which alone judges and writes files.
Each module's train mode, ``use_cache`` and the random states are restored afterwards, so training
continues exactly as it would without the callback.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from valuedrift.config.schema import AnalysisConfig, JudgeConfig, PromptsConfig, SamplingConfig
from valuedrift.errors import UserError
from valuedrift.integrations.live_run import BASE_ID, LiveRun, safe_name, stance_values
from valuedrift.tables import OVERALL, STANCES

DEFAULT_PROMPTS = PromptsConfig(path="builtin:vprism", per_category=2)
"""22 prompts, two per topic: a cheap probe next to training (``PromptsConfig()`` takes them all)."""
DEFAULT_SAMPLING = SamplingConfig(n_samples=2, max_new_tokens=128)
"""Two samples of at most 128 tokens at temperature 0.7 (``SamplingConfig()``: the paper's 5 x 256)."""

ALGORITHMS = {
    "SFTTrainer": "sft", "DPOTrainer": "dpo", "KTOTrainer": "kto", "GRPOTrainer": "grpo",
    "RLOOTrainer": "rloo", "CPOTrainer": "cpo", "ORPOTrainer": "orpo", "PPOTrainer": "ppo",
    "OnlineDPOTrainer": "online-dpo", "RewardTrainer": "reward",
}  # fmt: skip
"""Trainer class (or a base class of it) -> manifest ``algorithm``; ``CPOTrainer`` with
``loss_type="simpo"`` is ``simpo``; anything else is ``trainer``."""


def infer_algorithm(trainer: Any) -> str:
    for cls in type(trainer).__mro__:
        name = ALGORITHMS.get(cls.__name__)
        if name == "cpo":
            loss = getattr(trainer.args, "loss_type", None)
            return "simpo" if "simpo" in (loss if isinstance(loss, (list, tuple)) else [loss]) else name
        if name:
            return name
    return "trainer"


def parse_schedule(schedule: str | list[int]) -> tuple[str, Any]:
    """``"save"`` | a list of steps | ``"log:K"`` (K log-spaced steps, the walker's ``save: {log: K}``)."""
    if schedule == "save":
        return "save", None
    if isinstance(schedule, str) and schedule.startswith("log:") and schedule[4:].isdigit():
        return "log", int(schedule[4:])
    if isinstance(schedule, (list, tuple, set)) and all(isinstance(s, int) and s > 0 for s in schedule):
        return "steps", set(schedule)
    raise UserError(f"schedule={schedule!r}", hint="use 'save', a list of positive steps, or 'log:K'")


@contextlib.contextmanager
def _rng_kept():
    """Restore the torch, numpy and Python random states afterwards: training draws what it would have."""
    import random

    import numpy as np
    import torch

    py, npy = random.getstate(), np.random.get_state()
    cuda = [torch.cuda.current_device()] if torch.cuda.is_available() and torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=cuda):
        try:
            yield
        finally:
            random.setstate(py)
            np.random.set_state(npy)


@contextlib.contextmanager
def live_model(trainer):
    """The trainer's model, unwrapped for generation, in eval mode with the KV cache on; every module's
    train mode, ``config.use_cache`` and the random states are restored afterwards."""
    from trl.models.utils import unwrap_model_for_generation

    kw = {"gradient_checkpointing_kwargs": trainer.args.gradient_checkpointing_kwargs}
    with contextlib.ExitStack() as stack:
        stack.enter_context(_rng_kept())
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore", FutureWarning)  # TRL calls methods transformers 5 renamed
        model = stack.enter_context(
            unwrap_model_for_generation(trainer.model_wrapped, trainer.accelerator, **kw)
        )
        modes = [(m, m.training) for m in model.modules()]
        cfg = getattr(model, "config", None)
        use_cache = getattr(cfg, "use_cache", None)
        model.eval()
        if cfg is not None:
            cfg.use_cache = True
        try:
            yield model
        finally:
            for m, training in modes:
                m.training = training
            if cfg is not None:
                cfg.use_cache = use_cache


class ValueDriftCallback(TrainerCallback):
    """Measure the live model's stance distribution during training (see the module docstring).

    Args:
        trainer: the trainer it is added to (or call :meth:`bind` before training), as TRL's callbacks.
        run_dir: the run directory to write (created; a second training into it adds a sibling stage).
        prompts: a :class:`PromptsConfig` or a prompt file path (default :data:`DEFAULT_PROMPTS`).
        sampling: a :class:`SamplingConfig` (default :data:`DEFAULT_SAMPLING`).
        judge: a :class:`JudgeConfig` (default: the offline judge, with the verdict cache).
        schedule: ``"save"`` (every save; the default), a list of steps, or ``"log:K"``. Step 0 (before
            training) is always measured; so is the final step under ``"save"``, saved or not.
        stage: the stage name (default: ``args.run_name``, else the algorithm).
        algorithm: the manifest's algorithm (default: from the trainer class, see :data:`ALGORITHMS`).
        base_model: where the model before training comes from (default: the model's ``name_or_path``).
        analysis: an :class:`AnalysisConfig` for the analysis written when training ends.
        batch_size: prompts per generation batch (``"auto"``: from free memory, as the hf back end).
        cache: put answers of hashed checkpoints in the generation cache (``True``: the default cache,
            a folder: that one; ``False``: no cache and no hashing of saved checkpoints).
    """

    def __init__(
        self,
        trainer: Any = None,
        run_dir: str | Path = "runs/valuedrift",
        *,
        prompts: PromptsConfig | str | Path | None = None,
        sampling: SamplingConfig | None = None,
        judge: JudgeConfig | None = None,
        schedule: str | list[int] = "save",
        stage: str | None = None,
        algorithm: str | None = None,
        base_model: str | None = None,
        analysis: AnalysisConfig | None = None,
        batch_size: int | str = "auto",
        cache: bool | str | Path = True,
    ):
        self.trainer = trainer
        self.run_dir = Path(run_dir)
        if isinstance(prompts, (str, Path)):
            local = Path(prompts).expanduser()
            prompts = PromptsConfig(path=str(local.resolve()) if local.exists() else str(prompts))
        self.prompts = prompts or DEFAULT_PROMPTS
        self.sampling = sampling or DEFAULT_SAMPLING
        self.judge = judge or JudgeConfig()
        self.analysis = analysis or AnalysisConfig()
        self.mode, self.arg = parse_schedule(schedule)
        self.stage, self.algorithm, self.base_model = stage, algorithm, base_model
        self.batch_size, self.cache = batch_size, cache
        self.steps: set[int] = set()  # the steps to measure (besides saves under "save")
        self.done: set[int] = set()
        self.live: LiveRun | None = None  # the run directory writer (main process only)
        self.v0: dict[str, dict[str, float]] | None = None

    def bind(self, trainer: Any) -> ValueDriftCallback:
        self.trainer = trainer
        return self

    # --- trainer events ----------------------------------------------------------------------------
    def on_train_begin(self, args, state, control, **kwargs):
        from valuedrift.walk.schedule import save_steps

        tr = self.trainer
        if tr is None:
            raise UserError(
                "ValueDriftCallback needs its trainer",
                hint="ValueDriftCallback(trainer, run_dir), then trainer.add_callback(it); or .bind(trainer)",
            )
        if tr.callback_handler.callbacks.count(self) > 1:
            raise UserError("this ValueDriftCallback was added to the trainer twice")
        self.steps = {"save": set(), "steps": self.arg, "log": None}[self.mode]
        if self.mode == "log":
            self.steps = set(save_steps(state.max_steps, log=self.arg))
        self._setup(tr, args, state)
        if state.global_step == 0:
            self._measure(state, 0, None)
        else:  # resumed: drift is still measured from the stage's step 0
            values = [self.live.values_of(f"{self.stage_id}/step-0") if self.live else None]
            self.v0 = self._broadcast(values)

    def on_step_end(self, args, state, control, **kwargs):
        step = state.global_step
        last = control.should_training_stop and self.mode == "save"
        if (step in self.steps or last) and not control.should_save and step not in self.done:
            self._measure(state, step, None)  # not saved: the weights exist only now

    def on_save(self, args, state, control, **kwargs):
        from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

        step = state.global_step
        if (self.mode == "save" or step in self.steps) and step not in self.done:
            self._measure(state, step, Path(args.output_dir) / f"{PREFIX_CHECKPOINT_DIR}-{step}")

    def on_train_end(self, args, state, control, **kwargs):
        if self.live is not None:
            self.live.close()

    # --- measuring ---------------------------------------------------------------------------------
    def _setup(self, tr, args, state) -> None:
        """Stage, algorithm, the model before training, the tokenizer, the prompts, the run directory."""
        import copy

        from peft import PeftModel

        from valuedrift.config.schema import BaseModelConfig, Experiment, GenerationConfig
        from valuedrift.data.loaders import load_prompts
        from valuedrift.generate.base import requests_for
        from valuedrift.models import load_tokenizer, resolve

        model = tr.accelerator.unwrap_model(tr.model_wrapped)
        self.peft = isinstance(model, PeftModel)
        algorithm = self.algorithm or infer_algorithm(tr)
        self.stage_id = safe_name(self.stage or args.run_name or algorithm)
        self.algorithm_id = algorithm
        spec = self.base_model
        if spec is None and self.peft:
            spec = model.peft_config[model.active_adapter].base_model_name_or_path
        spec = spec or getattr(model.get_base_model() if self.peft else model, "name_or_path", "")
        if not spec:
            raise UserError("cannot tell which model training started from", hint="pass base_model='...'")
        self.base = str(resolve(spec))
        tok = getattr(tr.processing_class, "tokenizer", tr.processing_class)  # a processor's tokenizer
        tok = copy.deepcopy(tok) if tok is not None else load_tokenizer(self.base)
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        tok.padding_side = "left"  # as load_tokenizer gives the hf back end
        self.tokenizer = tok
        device = "cuda" if next(model.parameters()).device.type == "cuda" else "cpu"
        gen = GenerationConfig(prompts=self.prompts, sampling=self.sampling, batch_size=self.batch_size)
        self.generation = gen
        self.reqs = requests_for(load_prompts(self.prompts), self.sampling)
        if not tr.accelerator.is_main_process:
            return
        local = Path(self.base).is_dir()
        self.base_sha = _hash(self.base) if local and self.cache is not False else None
        exp = Experiment(
            name=safe_name(self.run_dir.resolve().name, "run"),
            base_model=BaseModelConfig(name=self.base),
            generation=gen,
            judge=self.judge,
            analysis=self.analysis,
            device=device,
        )
        self.live = LiveRun(self.run_dir, exp, self.reqs, stage=self.stage_id, cache=self.cache)
        self.live.open(self._entries(0, None, state.max_steps)[0], state.global_step)

    def _entries(self, step: int, path: Path | None, total: int) -> list[dict[str, Any]]:
        """Manifest entries of a measured step: step 0 is ``base/step-0`` and ``<stage>/step-0`` (same
        weights, as the walker writes them); ``path`` is the saved folder, None when not saved."""
        from valuedrift.walk.base import CheckpointRef

        stage, algo = self.stage_id, self.algorithm_id
        if step == 0:
            ref = CheckpointRef(BASE_ID, self.base, False, self.base_sha)
            return [ref.entry("base", "base", 0, 0, None), ref.entry(stage, algo, 0, total, BASE_ID)]
        if path is None:  # the would-be folder, marked as never written
            folder = Path(self.trainer.args.output_dir).resolve() / f"checkpoint-{step}"
            return [CheckpointRef("", str(folder), self.peft, None).entry(stage, algo, step, total, BASE_ID)
                    | {"saved": False}]  # fmt: skip
        sha = _hash(path) if self.cache is not False else None
        ref = CheckpointRef("", str(path.resolve()), self.peft, sha, self.base if self.peft else None)
        return [ref.entry(stage, algo, step, total, BASE_ID)]

    def _broadcast(self, values: list) -> Any:
        from accelerate.utils import broadcast_object_list

        if self.trainer.accelerator.num_processes > 1:
            broadcast_object_list(values)
        return values[0]

    def _sample(self, model, reqs) -> list:
        """Answers from the live model through the hf back end's own batched, seeded generation."""
        from peft import PeftModel

        from valuedrift.generate.base import messages_for
        from valuedrift.generate.hf import HFGenerator

        device = str(next(model.parameters()).device)
        gen = HFGenerator(self.generation, base_model=self.base, device=device)
        gen.peft = model if isinstance(model, PeftModel) else None
        gen.model = model.get_base_model() if gen.peft is not None else model
        gen.tokenizer = self.tokenizer
        chats = [messages_for(r.question, self.sampling) for r in reqs]
        return gen.generate_chats(chats, [r.seed for r in reqs], self.sampling) if reqs else []

    def _measure(self, state, step: int, path: Path | None) -> None:
        from accelerate.utils import gather_object
        from transformers import Trainer

        tr, t0 = self.trainer, time.perf_counter()
        with live_model(tr) as model, tr.accelerator.split_between_processes(self.reqs) as mine:
            answers = gather_object(self._sample(model, list(mine)))
        sampled = time.perf_counter() - t0
        values = None
        if self.live is not None:
            entries = self._entries(step, path, state.max_steps)
            values = stance_values(self.live.record(entries, answers))
        values = self._broadcast([values])
        self.done.add(step)
        if step == 0:
            self.v0 = values
        logs = {f"valuedrift/{c}/{s}": v for c, vs in values.items() for s, v in vs.items()}
        if self.v0 is not None:
            logs |= {
                f"valuedrift/drift/{OVERALL}/{s}": values[OVERALL][s] - self.v0[OVERALL][s] for s in STANCES
            }
        logs["valuedrift/seconds"] = round(time.perf_counter() - t0, 3)  # the whole measurement
        logs["valuedrift/generate_seconds"] = round(sampled, 3)
        Trainer.log(tr, logs)  # the base method: a TRL trainer's own log() would flush its step metrics


def _hash(folder: str | Path) -> str:
    from valuedrift import io

    return io.sha256_weights(folder)
