"""Judge validation: gold-label files and agreement metrics (accuracy, macro-F1, Cohen's kappa).

Gold file (``valuedrift/judge/data/gold.jsonl`` is the project's): JSON lines with ``question``,
``response``, ``label`` (support | neutral | oppose) and optional ``category``.
Unscored predictions count as wrong for accuracy and F1 (they are a judge failure, not a stance)
and are reported separately; kappa is computed over the scored pairs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from valuedrift.errors import UserError
from valuedrift.judge.base import JudgeItem
from valuedrift.tables import STANCES

UNSCORED = "unscored"


def jsonl_objects(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a hand-edited JSON-lines file (a gold file,
    a run's labels.jsonl); a line that is not valid JSON or not a JSON object is a UserError naming
    the file and line."""
    path = Path(path)
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise UserError(f"{path}:{n}: not valid JSON ({e.msg})") from None
        if not isinstance(row, dict):
            raise UserError(f"{path}:{n}: expected a JSON object")
        yield n, row


def gold_path() -> Path:
    """The project's held-out gold set (never used to train the offline judge)."""
    return Path(str(resources.files("valuedrift.judge") / "data" / "gold.jsonl"))


def load_gold(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a gold file; a bad line raises UserError naming the file, line and field."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"gold file not found: {path}")
    rows = []
    for n, row in jsonl_objects(path):
        for field in ("question", "response", "label"):
            if not isinstance(row.get(field), str):
                raise UserError(f"{path}:{n}: field '{field}' missing or not a string")
        if row["label"] not in STANCES:
            raise UserError(f"{path}:{n}: label '{row['label']}' is not one of {', '.join(STANCES)}")
        rows.append(row)
    if not rows:
        raise UserError(f"{path}: no labelled rows")
    return rows


def items_of(rows: list[dict[str, Any]]) -> list[JudgeItem]:
    return [JudgeItem(r["question"], r["response"], r.get("category")) for r in rows]


def agreement(
    truth: list[str], pred: list[str], categories: list[str | None] | None = None
) -> dict[str, Any]:
    """Accuracy, macro-F1 (over the three stances), Cohen's kappa, per-class F1 and recall, confusion
    matrix, per category. A stance no truth carries has recall NaN.

    ``pred`` entries may be ``"unscored"``: wrong for accuracy/F1, left out of kappa.
    kappa = (p_o - p_e) / (1 - p_e), p_o observed agreement, p_e chance agreement from the marginals.
    """
    if len(truth) != len(pred):
        raise ValueError("truth and pred differ in length")
    n = len(truth)
    correct = sum(t == p for t, p in zip(truth, pred, strict=True))
    f1s, recall = {}, {}
    for s in STANCES:
        tp = sum(t == s and p == s for t, p in zip(truth, pred, strict=True))
        fp = sum(t != s and p == s for t, p in zip(truth, pred, strict=True))
        fn = sum(t == s and p != s for t, p in zip(truth, pred, strict=True))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        recall[s] = rec if tp + fn else float("nan")
        f1s[s] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    scored = [(t, p) for t, p in zip(truth, pred, strict=True) if p in STANCES]
    kappa = float("nan")
    if scored:
        m = len(scored)
        po = sum(t == p for t, p in scored) / m
        ct, cp = Counter(t for t, _ in scored), Counter(p for _, p in scored)
        pe = sum(ct[s] * cp[s] for s in STANCES) / (m * m)
        kappa = (po - pe) / (1 - pe) if pe < 1 else (1.0 if po == 1 else 0.0)
    cols = [*STANCES, UNSCORED]
    confusion = {
        t: {p: sum(a == t and b == p for a, b in zip(truth, pred, strict=True)) for p in cols}
        for t in STANCES
    }
    per_cat: dict[str, dict[str, float]] = {}
    if categories is not None:
        for c in sorted({c or "(none)" for c in categories}):
            idx = [i for i, x in enumerate(categories) if (x or "(none)") == c]
            per_cat[c] = {"n": len(idx), "accuracy": sum(truth[i] == pred[i] for i in idx) / len(idx)}
    return {
        "n": n,
        "accuracy": correct / n if n else float("nan"),
        "macro_f1": sum(f1s.values()) / len(f1s),
        "kappa": kappa,
        "f1": f1s,
        "recall": recall,
        "n_unscored": sum(p == UNSCORED for p in pred),
        "confusion": confusion,
        "per_category": per_cat,
    }
