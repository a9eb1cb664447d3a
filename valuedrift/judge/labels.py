"""Human labels on a run's own answers: a stratified, seeded sample and the ``labels.jsonl`` file.

``valuedrift label RUN_DIR`` shows a person the answers this module draws and records their labels;
``valuedrift judge-eval --gold RUN_DIR`` scores the run's judge against them, and
``analysis.correction`` uses them to correct the drift estimates for the judge's error
(docs/labels.md, docs/correction.md).

The sample is stratified by checkpoint, then by topic: ``n`` is split as equally as possible over
the checkpoints, each checkpoint's share as equally as possible over its topics, and every
(checkpoint, topic) cell gets a uniform draw without replacement. Each drawn answer keeps its cell's
size and how many were drawn there, so cell_size / cell_drawn is its inverse inclusion probability.
``checkpoints="ends"`` draws only where a drift is measured: each stage's start (its step 0, or the
parent checkpoint it started from) and its last checkpoint.

Files in the run directory, both written atomically on every change:

    labels.jsonl       one JSON object per labelled answer, in labelling order (LABEL_COLUMNS)
    labels.meta.json   how the sample was drawn (n, seed, checkpoints) and the drawn answers in
                       presentation order, so a resumed session shows the same answers
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from valuedrift import io
from valuedrift.errors import UserError
from valuedrift.judge.metrics import jsonl_objects
from valuedrift.rundir import RunDir
from valuedrift.tables import GENERATION_KEY, STANCES

log = logging.getLogger(__name__)

LABELS_FILE = "labels.jsonl"
META_FILE = "labels.meta.json"
SKIP = "skip"
LABEL_CHOICES: tuple[str, ...] = (*STANCES, SKIP)
"""What a person may answer: a stance, or skip (unreadable, off-topic, unsure)."""
CHECKPOINT_MODES: tuple[str, ...] = ("ends", "all")
LABEL_COLUMNS: list[str] = [
    *GENERATION_KEY,
    "label",
    "labeller",
    "seconds",
    "at",
    "cell_size",
    "cell_drawn",
    "response_sha256",
]
"""Fields of one line of ``labels.jsonl``: the answer's key, the label, who gave it, how long it
took (seconds), when (UTC ISO), the answer's stratum (rows in its (checkpoint, topic) cell and how
many of them were drawn) and a hash of the text the person read, so a label whose answer has since
been sampled again (a changed config supersedes it) no longer counts for the new text."""
SAMPLE_COLUMNS = [*GENERATION_KEY, "cell_size", "cell_drawn"]
SHOWN_COLUMNS = ["category", "question", "response", "finish_reason"]
DEFAULTS = {"n": 100, "seed": 0, "checkpoints": "ends"}


# --- the sample -----------------------------------------------------------------------------------
def end_checkpoints(table: pd.DataFrame, manifest: dict | None = None) -> list[str]:
    """The checkpoints a drift compares: each stage's start and last checkpoint, sorted.

    A stage's start is its step 0 when the table has it, else the manifest's ``parent`` of its first
    checkpoint when the table has that (as the drift analysis finds it), else its first checkpoint.
    A stage with a single checkpoint (the base model) has no drift and adds nothing; a table with no
    stage of two checkpoints gives every checkpoint it has.
    """
    ck = table[["checkpoint", "stage", "step"]].drop_duplicates("checkpoint")
    present = set(ck["checkpoint"])
    parent = {e.get("id"): e.get("parent") for e in (manifest or {}).get("checkpoints", [])}
    ends: set[str] = set()
    for _, grp in ck.groupby("stage", sort=True):
        ids = list(grp.sort_values(["step", "checkpoint"])["checkpoint"])
        if int(grp["step"].min()) != 0 and parent.get(ids[0]) in present:
            ids.insert(0, parent[ids[0]])
        if len(ids) >= 2:
            ends |= {ids[0], ids[-1]}
    return sorted(ends or present)


def allocate(n: int, sizes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Split ``n`` draws over strata of the given sizes as equally as possible (max-min fair).

    No stratum gets more than its size; what a small stratum cannot take goes to the others. Which
    strata get the one extra draw of an uneven split is chosen at random (``rng``).
    """
    sizes = np.asarray(sizes, dtype=int)
    alloc = np.zeros(len(sizes), dtype=int)
    left = min(int(n), int(sizes.sum()))
    while left > 0:  # every open stratum holds the same number so far: add an equal share to each
        open_ = np.flatnonzero(alloc < sizes)
        share = left // len(open_)
        if share == 0:  # fewer draws left than open strata: one more to each of `left` random ones
            alloc[rng.choice(open_, size=left, replace=False)] += 1
            break
        give = np.minimum(share, sizes[open_] - alloc[open_])
        alloc[open_] += give
        left -= int(give.sum())
    return alloc


def draw_sample(
    table: pd.DataFrame,
    n: int,
    seed: int,
    checkpoints: str = "ends",
    manifest: dict | None = None,
) -> pd.DataFrame:
    """A seeded sample of ``n`` answers stratified by checkpoint and topic, in presentation order.

    ``table`` is a generations (or judgments) table; the draw depends only on its rows, not their
    order. ``checkpoints``: ``ends`` (each stage's start and end, :func:`end_checkpoints`) or
    ``all``. Returns the drawn rows with ``cell_size`` and ``cell_drawn`` added, shuffled so that
    consecutive answers do not reveal their checkpoint. Fewer than ``n`` when there are fewer answers.
    """
    if checkpoints not in CHECKPOINT_MODES:
        raise UserError(f"--checkpoints '{checkpoints}': use one of {', '.join(CHECKPOINT_MODES)}")
    if int(n) < 1:
        raise UserError(f"--n {n}: draw at least 1 answer")
    rows = table.sort_values(GENERATION_KEY).drop_duplicates(GENERATION_KEY).reset_index(drop=True)
    keep = end_checkpoints(rows, manifest) if checkpoints == "ends" else sorted(set(rows["checkpoint"]))
    rows = rows[rows["checkpoint"].isin(keep)]
    rng = np.random.default_rng(seed)
    by_ck = [grp for _, grp in rows.groupby("checkpoint", sort=True)]
    drawn = []
    for grp, k in zip(by_ck, allocate(n, np.array([len(g) for g in by_ck]), rng), strict=True):
        cells = [c for _, c in grp.groupby("category", sort=True)]
        for cell, m in zip(cells, allocate(k, np.array([len(c) for c in cells]), rng), strict=True):
            if m:
                pick = cell.iloc[np.sort(rng.choice(len(cell), size=m, replace=False))].copy()
                pick["cell_size"], pick["cell_drawn"] = len(cell), int(m)
                drawn.append(pick)
    if not drawn:
        return rows.head(0).assign(cell_size=pd.Series(dtype=int), cell_drawn=pd.Series(dtype=int))
    out = pd.concat(drawn, ignore_index=True)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


# --- the labels file ------------------------------------------------------------------------------
def _run(run: RunDir | str | os.PathLike[str]) -> RunDir:
    return run if isinstance(run, RunDir) else RunDir(run)


def labels_path(run: RunDir | str | os.PathLike[str]) -> Path:
    """``RUN_DIR/labels.jsonl``."""
    return _run(run).path / LABELS_FILE


def text_sha256(text: str) -> str:
    """The hash a label keeps of the answer it was given for."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_labels(run: RunDir | str | os.PathLike[str]) -> pd.DataFrame:
    """The run's human labels as a DataFrame (LABEL_COLUMNS); empty with those columns when none.

    Labels whose answer is no longer the text the person read (the answer was sampled again since:
    its ``response_sha256`` differs from the run's generations) are left out, with a warning. A line
    that is not a JSON object with the answer's key and a known label is a UserError naming the file
    and line.
    """
    df = pd.DataFrame(_read_records(labels_path(run)), columns=LABEL_COLUMNS)
    df["sample"] = df["sample"].astype(int)
    rd = _run(run)
    has_answers = rd.table_path("generations").exists() or (rd.path / "generations").is_dir()
    if not df.empty and df["response_sha256"].notna().any() and has_answers:
        gen = rd.read_table("generations")[[*GENERATION_KEY, "response"]]
        now = {(c, p, int(k)): r for c, p, k, r in gen.itertuples(index=False)}
        keys = zip(df["checkpoint"], df["prompt_id"], df["sample"], df["response_sha256"], strict=True)
        stale = [
            h is not None and (c, p, k) in now and text_sha256(now[(c, p, k)]) != h for c, p, k, h in keys
        ]
        if any(stale):
            log.warning(
                "%s: %d label(s) were given to answers sampled again since; left out", rd.path, sum(stale)
            )
            df = df[~np.array(stale)].reset_index(drop=True)
    return df


def _read_records(path: Path) -> list[dict[str, Any]]:
    return [_checked(path, i, row) for i, row in jsonl_objects(path)] if path.exists() else []


def _checked(path: Path, i: int, row: dict[str, Any]) -> dict[str, Any]:
    for key in ("checkpoint", "prompt_id"):
        if not isinstance(row.get(key), str):
            raise UserError(f"{path}:{i}: field '{key}' missing or not a string")
    if not isinstance(row.get("sample"), int) or isinstance(row.get("sample"), bool):
        raise UserError(f"{path}:{i}: field 'sample' missing or not an integer")
    if row.get("label") not in LABEL_CHOICES:
        raise UserError(f"{path}:{i}: label {row.get('label')!r} is not one of {', '.join(LABEL_CHOICES)}")
    return {c: row.get(c) for c in LABEL_COLUMNS}


def write_labels(run: RunDir | str | os.PathLike[str], records: list[dict[str, Any]]) -> Path:
    """Atomically replace ``labels.jsonl`` with ``records`` (a kill leaves the old or the new file)."""
    text = "".join(json.dumps({c: r.get(c) for c in LABEL_COLUMNS}) + "\n" for r in records)
    return io.write_text(labels_path(run), text)


# --- a labelling session --------------------------------------------------------------------------
@dataclass
class LabelState:
    """A run's drawn sample and the labels given so far; :meth:`add` and :meth:`undo` save at once."""

    run: RunDir
    params: dict[str, Any]
    """How the sample was drawn: n, seed, checkpoints."""
    sample: pd.DataFrame
    """The drawn answers in presentation order: key, cell_size, cell_drawn and SHOWN_COLUMNS."""
    records: list[dict[str, Any]] = field(default_factory=list)

    def _done(self) -> set[tuple]:
        return {(r["checkpoint"], r["prompt_id"], int(r["sample"])) for r in self.records}

    @property
    def pending(self) -> pd.DataFrame:
        """Drawn answers not labelled yet, in presentation order."""
        done = self._done()
        keys = zip(self.sample["checkpoint"], self.sample["prompt_id"], self.sample["sample"], strict=True)
        return self.sample[[(c, p, int(s)) not in done for c, p, s in keys]]

    @property
    def n_labelled(self) -> int:
        """Drawn answers that have a label (skip included)."""
        return len(self.sample) - len(self.pending)

    def add(self, row: pd.Series | dict, label: str, labeller: str, seconds: float) -> dict[str, Any]:
        """Record ``label`` for the drawn answer ``row`` and save ``labels.jsonl``."""
        if label not in LABEL_CHOICES:
            raise ValueError(f"label {label!r} is not one of {LABEL_CHOICES}")
        rec = {
            "checkpoint": str(row["checkpoint"]),
            "prompt_id": str(row["prompt_id"]),
            "sample": int(row["sample"]),
            "label": label,
            "labeller": labeller,
            "seconds": round(float(seconds), 1),
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "cell_size": int(row["cell_size"]),
            "cell_drawn": int(row["cell_drawn"]),
            "response_sha256": text_sha256(str(row["response"])),
        }
        self.records.append(rec)
        write_labels(self.run, self.records)
        return rec

    def undo(self) -> dict[str, Any] | None:
        """Remove the most recent label (saved at once); None when there is none."""
        if not self.records:
            return None
        rec = self.records.pop()
        write_labels(self.run, self.records)
        return rec

    def counts(self) -> dict[str, int]:
        """Labels given so far, per choice."""
        return {c: sum(r["label"] == c for r in self.records) for c in LABEL_CHOICES}


def label_sample_state(
    run: RunDir | str | os.PathLike[str],
    n: int | None = None,
    seed: int | None = None,
    checkpoints: str | None = None,
    *,
    fresh: bool = False,
) -> LabelState:
    """The labelling session of a run: draw the sample (first time) or reload it (resume).

    On resume, n / seed / checkpoints left as None take the stored values (``labels.meta.json``);
    a different value is a UserError unless ``fresh``, which starts a new sample and keeps the old
    files under a time-stamped name. Errors (not a run, no generations, n < 1) come before any draw.
    """
    run = _run(run)
    if n is not None and int(n) < 1:
        raise UserError(f"--n {n}: draw at least 1 answer")
    if checkpoints is not None and checkpoints not in CHECKPOINT_MODES:
        raise UserError(f"--checkpoints '{checkpoints}': use one of {', '.join(CHECKPOINT_MODES)}")
    try:
        generations = run.read_table("generations")
    except UserError:
        raise UserError(
            f"{run.path}: no generations table, so no answers to label",
            hint=f"run 'valuedrift generate {run.path}' first",
        ) from None
    meta_path = run.path / META_FILE
    if fresh:
        _set_aside(run)
    given = {"n": n, "seed": seed, "checkpoints": checkpoints}
    if meta_path.exists():
        meta = _read_meta(meta_path)
        changed = {k: v for k, v in given.items() if v is not None and v != meta[k]}
        if changed:
            was = " ".join(f"--{k} {meta[k]}" for k in changed)
            now = " ".join(f"--{k} {v}" for k, v in changed.items())
            raise UserError(
                f"{meta_path}: this run's sample was drawn with {was}, not {now}",
                hint="leave the flag out to resume, or pass --fresh to draw a new sample",
            )
    elif labels_path(run).exists():
        raise UserError(
            f"{labels_path(run)} exists but {META_FILE} does not, so the sample it belongs to is unknown",
            hint="pass --fresh to set it aside and draw a new sample",
        )
    else:
        params = {k: DEFAULTS[k] if v is None else v for k, v in given.items()}
        manifest = run.read_manifest() if run.manifest_path.exists() else None
        drawn = draw_sample(generations, params["n"], params["seed"], params["checkpoints"], manifest)
        meta = {
            **params,
            "n_drawn": len(drawn),
            "drawn_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sample": _plain_records(drawn[SAMPLE_COLUMNS]),
        }
        io.write_json(meta_path, meta)
    sample = _join_shown(pd.DataFrame(meta["sample"], columns=SAMPLE_COLUMNS), generations, meta_path)
    params = {k: meta[k] for k in DEFAULTS}
    current = read_labels(run)  # a label given to an answer sampled again since: to be given again
    return LabelState(run=run, params=params, sample=sample, records=_plain_records(current))


def _plain_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (numpy scalars unwrapped), ready for JSON."""
    return [{c: (x.item() if hasattr(x, "item") else x) for c, x in r.items()} for r in df.to_dict("records")]


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UserError(f"{path}: not valid JSON (line {e.lineno}: {e.msg})", hint="pass --fresh") from None
    if not isinstance(meta, dict) or not all(k in meta for k in (*DEFAULTS, "sample")):
        raise UserError(f"{path}: expected n, seed, checkpoints and sample", hint="pass --fresh")
    return meta


def _join_shown(sample: pd.DataFrame, generations: pd.DataFrame, meta_path: Path) -> pd.DataFrame:
    """The drawn keys with what the labeller sees (question, answer, topic), in sample order."""
    cols = [c for c in SHOWN_COLUMNS if c in generations.columns]
    gen = generations.drop_duplicates(GENERATION_KEY)[[*GENERATION_KEY, *cols]].copy()
    gen["sample"] = gen["sample"].astype(int)
    sample = sample.assign(sample=sample["sample"].astype(int))
    out = sample.merge(gen, on=GENERATION_KEY, how="left", indicator=True)
    missing = out[out["_merge"] != "both"]
    if len(missing):
        first = missing.iloc[0]
        raise UserError(
            f"{meta_path}: {len(missing)} drawn answer(s) are no longer in the generations table "
            f"(e.g. {first['checkpoint']} {first['prompt_id']} sample {first['sample']})",
            hint="pass --fresh to draw a new sample",
        )
    return out.drop(columns="_merge").reset_index(drop=True)


def _set_aside(run: RunDir) -> None:
    """Rename labels.jsonl and labels.meta.json to time-stamped names (never delete a person's work)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for name in (LABELS_FILE, META_FILE):
        path = run.path / name
        if path.exists():
            os.replace(path, path.with_name(f"{path.stem}.{stamp}{path.suffix}.bak"))


# --- scoring the judge on the labels (judge-eval --gold RUN_DIR) ----------------------------------
EVAL_FILE = "judge_eval_labels.json"


def stance_labels(run: RunDir | str | os.PathLike[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per labelled answer, its latest label, 'skip' left out; and the counts behind it.

    A UserError when the run has no labels. Counts: ``n_labels`` (lines in labels.jsonl),
    ``n_answers`` (distinct answers), ``n_skipped`` (answers whose latest label is skip).
    """
    lab = read_labels(run)
    if lab.empty:
        path = _run(run).path
        raise UserError(
            f"{path}: no {LABELS_FILE}", hint=f"label some answers first: valuedrift label {path}"
        )
    latest = lab.drop_duplicates(GENERATION_KEY, keep="last")
    skipped = latest["label"] == SKIP
    counts = {"n_labels": len(lab), "n_answers": len(latest), "n_skipped": int(skipped.sum())}
    return latest[~skipped].reset_index(drop=True), counts


def verdicts_on_labels(labels: pd.DataFrame, judgments: pd.DataFrame) -> pd.DataFrame:
    """Labelled answers joined to the judge's verdicts on them: ``truth`` (the person's label),
    ``pred`` (the judge's label, ``unscored`` where it could not score), checkpoint, category.

    Labelled answers the judgments table does not have (not judged yet) are left out.
    """
    j = judgments.drop_duplicates(GENERATION_KEY, keep="last")
    j = j[[*GENERATION_KEY, "category", "label", "status"]].rename(columns={"label": "pred"})
    j = j.assign(sample=j["sample"].astype(int))
    lab = labels[[*GENERATION_KEY, "label"]].rename(columns={"label": "truth"})
    out = lab.assign(sample=lab["sample"].astype(int)).merge(j, on=GENERATION_KEY, how="inner")
    out["pred"] = out["pred"].where(out["status"] == "ok", "unscored")
    return out.drop(columns="status").reset_index(drop=True)
