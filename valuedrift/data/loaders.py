"""Loaders for evaluation prompts and training data, in the shapes real datasets come in.

Local files: JSON lines, JSON (a list of rows), CSV, parquet. Hub datasets: any other path is
loaded with ``datasets.load_dataset`` (needs a network). ``demo:<file>`` names a shipped demo file
(``valuedrift/demo/data``); ``builtin:vprism`` is the project's V-PRISM-style prompt set.

Row shapes (``data.format``; ``auto`` detects them from the columns, see below):

==============  ==================================================================================
chat            ``messages``: [{role, content}, ...] (extra keys in a turn are dropped)
alpaca          ``instruction``, optional ``input``, ``output`` (tatsu-lab/alpaca; ``text`` ignored)
wildchat        ``conversation``: [{role, content, ...}, ...] (allenai/WildChat)
ultrafeedback   ``chosen``/``rejected`` message lists, ``score_chosen``/``score_rejected``, optional
                ``prompt`` (HuggingFaceH4/ultrafeedback_binarized; its ``messages`` is the chosen chat)
pairs           ``prompt``, ``chosen``, ``rejected`` (strings, or message lists: the final replies)
hh-rlhf         ``chosen``/``rejected`` full "\\n\\nHuman: ...\\n\\nAssistant: ..." transcripts (Anthropic)
kto             ``prompt``, ``completion`` (strings or message lists, trl-lib/kto-mix-14k), ``label``
prompts         ``prompt`` (or ``question``) only
==============  ==================================================================================

Each loader reads one data kind of the algorithm table (``sft_conversations``: sft,
``preference_pairs``: preference, ``load_kto_dataset``: kto, ``prompt_texts``: prompts) and
detects only among that kind's formats (:data:`~valuedrift.config.algorithms.DATA_FORMATS`, first
whose columns are present), so one file can serve several stages: UltraFeedback-binarized is read
as preference pairs by a DPO stage and as ``messages`` conversations by an SFT stage.

Bad rows are reported with their line numbers (a warning; ``strict=True`` makes them an error); a
file with no usable row is a :class:`~valuedrift.errors.UserError`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from valuedrift.config.algorithms import DATA_FORMATS, DataKind
from valuedrift.config.schema import DataConfig, PromptsConfig
from valuedrift.errors import UserError

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]


def builtin_prompts_path() -> Path:
    """prompts/vprism.jsonl: from the source tree, or the copy shipped inside the package."""
    for cand in (
        Path(__file__).resolve().parents[1] / "prompts_data" / "vprism.jsonl",
        REPO_ROOT / "prompts" / "vprism.jsonl",
    ):
        if cand.exists():
            return cand
    raise UserError("the built-in prompt set prompts/vprism.jsonl is missing from this installation")


def resolve_path(path: str) -> Path | str:
    """``demo:``/``builtin:`` names to files; local paths to Paths; anything else stays a hub id."""
    if path.startswith("demo:"):
        from valuedrift.demo import demo_data

        p = demo_data(path.removeprefix("demo:"))
        if not p.exists():
            raise UserError(f"no shipped demo data named {path!r}")
        return p
    if path.startswith("builtin:"):
        if path != "builtin:vprism":
            raise UserError(f"unknown built-in prompt set {path!r} (known: builtin:vprism)")
        return builtin_prompts_path()
    p = Path(path).expanduser()
    if p.exists():
        return p
    if path.startswith((".", "/", "~")) or p.suffix in (".jsonl", ".json", ".csv", ".parquet"):
        raise UserError(f"data file not found: {path}")
    return path  # hub dataset id


def read_rows(
    path: str, *, split: str = "train", column_map: dict[str, str] | None = None
) -> list[tuple[int, dict]]:
    """(line number, row) pairs from a file or hub dataset; malformed JSON lines are reported."""
    src = resolve_path(path)
    rows: list[tuple[int, dict]] = []
    if isinstance(src, str):
        try:
            import datasets

            ds = datasets.load_dataset(src, split=split)
        except Exception as e:  # offline, unknown id, gated...
            raise UserError(
                f"cannot load dataset {src!r} from the hub: {str(e).splitlines()[0][:200]}"
            ) from e
        rows = [(i + 1, dict(r)) for i, r in enumerate(ds)]
    elif src.suffix == ".jsonl":
        bad = []
        with open(src, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    bad.append(n)
                    continue
                if isinstance(obj, dict):
                    rows.append((n, obj))
                else:
                    bad.append(n)
        if bad:
            rows.append((-1, {"__bad_lines__": bad}))
    elif src.suffix == ".json":
        try:
            data = json.loads(src.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise UserError(f"{src}: not valid JSON (line {e.lineno}: {e.msg})") from e
        if not isinstance(data, list):
            raise UserError(f"{src}: expected a JSON list of rows")
        rows = [(i + 1, r) for i, r in enumerate(data) if isinstance(r, dict)]
    elif src.suffix in (".csv", ".parquet"):
        try:
            df = pd.read_csv(src) if src.suffix == ".csv" else pd.read_parquet(src)
        except Exception as e:
            raise UserError(f"{src}: cannot read {src.suffix[1:]} ({str(e).splitlines()[0][:160]})") from e
        # CSV line numbers: header is line 1
        rows = [(i + 2 if src.suffix == ".csv" else i + 1, r) for i, r in enumerate(df.to_dict("records"))]
    else:
        raise UserError(f"{src}: unsupported file type {src.suffix!r} (use .jsonl, .json, .csv or .parquet)")
    if column_map:
        rows = [(n, {column_map.get(k, k): v for k, v in r.items()}) for n, r in rows]
    return rows


def _lines(nums: list[int]) -> str:
    s = ", ".join(map(str, nums[:10]))
    return s + (f" (+{len(nums) - 10} more)" if len(nums) > 10 else "")


def _split_bad(rows: list[tuple[int, dict]]) -> tuple[list[tuple[int, dict]], list[int]]:
    bad: list[int] = []
    good = []
    for n, r in rows:
        if n == -1:
            bad += r["__bad_lines__"]
        else:
            good.append((n, r))
    return good, bad


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    s = str(v).strip()
    return s or None


def _messages(v: Any) -> list[dict[str, str]] | None:
    if hasattr(v, "tolist"):
        v = v.tolist()
    if not isinstance(v, list) or not v:
        return None
    out = []
    for m in v:
        if (
            not isinstance(m, dict)
            or m.get("role") not in ("system", "user", "assistant")
            or _text(m.get("content")) is None
        ):
            return None
        out.append({"role": m["role"], "content": str(m["content"])})
    return out


def _is_list(v: Any) -> bool:
    return isinstance(v, (list, tuple, np.ndarray))


def _last(messages: list[dict[str, str]], role: str) -> str | None:
    return next((m["content"] for m in reversed(messages) if m["role"] == role), None)


def _prompt(v: Any) -> str | None:
    """A prompt given as a string, or as a message list (TRL's conversational format): its last user turn."""
    if _is_list(v):
        msgs = _messages(v)
        return _last(msgs, "user") if msgs else None
    return _text(v)


def _reply(v: Any) -> str | None:
    """An answer given as a string, or as a message list ending with the assistant's turn."""
    if _is_list(v):
        msgs = _messages(v)
        return msgs[-1]["content"] if msgs and msgs[-1]["role"] == "assistant" else None
    return _text(v)


def _hh_split(transcript: str) -> tuple[str, str] | None:
    """HH-RLHF transcript -> (last human turn, final assistant reply)."""
    if not isinstance(transcript, str) or "\n\nAssistant:" not in transcript:
        return None
    head, _, reply = transcript.rpartition("\n\nAssistant:")
    human = head.rpartition("\n\nHuman:")[2]
    return (human.strip(), reply.strip()) if human.strip() and reply.strip() else None


FORMAT_COLUMNS: dict[str, tuple[frozenset[str], ...]] = {
    "chat": (frozenset({"messages"}),),
    "alpaca": (frozenset({"instruction", "output"}),),
    "wildchat": (frozenset({"conversation"}),),
    "ultrafeedback": (frozenset({"chosen", "rejected", "score_chosen", "score_rejected"}),),
    "pairs": (frozenset({"prompt", "chosen", "rejected"}),),
    "hh-rlhf": (frozenset({"chosen", "rejected"}),),
    "kto": (frozenset({"prompt", "completion", "label"}),),
    "prompts": (frozenset({"prompt"}), frozenset({"question"})),
}
"""The columns that identify each row format (any one of its sets). Detection tries only the formats of
the loader's data kind, in :data:`~valuedrift.config.algorithms.DATA_FORMATS` order."""

_KIND_WHAT = {"sft": "SFT", "preference": "preference pairs", "kto": "KTO", "prompts": "prompts"}


def _accepted(kind: str) -> str:
    return "; ".join(
        f"{f} ({' or '.join(', '.join(sorted(s)) for s in FORMAT_COLUMNS[f])})" for f in DATA_FORMATS[kind]
    )


def detect_format(cols: set[str], kind: DataKind, where: str = "data") -> str:
    """The first of ``kind``'s formats whose identifying columns are all present in ``cols``.

    >>> uf = {"prompt", "prompt_id", "chosen", "rejected", "messages", "score_chosen", "score_rejected"}
    >>> detect_format(uf, "preference"), detect_format(uf, "sft"), detect_format(uf, "prompts")
    ('ultrafeedback', 'chat', 'prompts')
    """
    for fmt in DATA_FORMATS[kind]:
        if any(need <= cols for need in FORMAT_COLUMNS[fmt]):
            return fmt
    raise UserError(
        f"{where}: cannot detect the data format from columns {sorted(cols)}; {_KIND_WHAT[kind]} data "
        f"is read from {_accepted(kind)}",
        hint="rename columns with data.column_map",
    )


class _Source(NamedTuple):
    rows: list[tuple[int, dict]]
    bad: list[int]
    fmt: str
    cfg: DataConfig


def _source(cfg: DataConfig, kind: DataKind) -> _Source:
    """The file's rows and their format: ``data.format`` if it suits ``kind``, else detected among its formats."""
    formats = DATA_FORMATS[kind]
    if cfg.format != "auto" and cfg.format not in formats:
        raise UserError(
            f"{cfg.path}: data.format {cfg.format!r} cannot be read as {_KIND_WHAT[kind]} data "
            f"(formats for {kind} data: {', '.join(formats)})"
        )
    rows, bad = _split_bad(read_rows(cfg.path, split=cfg.split, column_map=cfg.column_map))
    if not rows:
        raise UserError(
            f"{cfg.path}: the file has no rows" + (f" (malformed lines: {_lines(bad)})" if bad else "")
        )
    cols = set().union(*(r.keys() for _, r in rows[:50]))
    fmt = cfg.format if cfg.format != "auto" else detect_format(cols, kind, cfg.path)
    return _Source(rows, bad, fmt, cfg)


def _finish(out: list, bad: list[int], where: str, strict: bool, what: str) -> list:
    bad = sorted(set(bad))
    if bad:
        msg = f"{where}: {len(bad)} unusable row(s) for {what} on line(s) {_lines(bad)}"
        if strict:
            raise UserError(msg)
        log.warning("%s (skipped)", msg)
    if not out:
        raise UserError(
            f"{where}: no usable row for {what}" + (f" (bad lines: {_lines(bad)})" if bad else "")
        )
    return out


def _limit(items: list, cfg: DataConfig, seed: int = 0) -> list:
    if cfg.limit and len(items) > cfg.limit:
        import random

        idx = sorted(random.Random(seed).sample(range(len(items)), cfg.limit))
        return [items[i] for i in idx]
    return items


def _conversations(src: _Source, strict: bool) -> list[list[dict[str, str]]]:
    out, bad = [], list(src.bad)
    for n, r in src.rows:
        if src.fmt == "alpaca":
            conv = None
            ins, inp, outp = _text(r.get("instruction")), _text(r.get("input")), _text(r.get("output"))
            if ins and outp:
                conv = [
                    {"role": "user", "content": f"{ins}\n\n{inp}" if inp else ins},
                    {"role": "assistant", "content": outp},
                ]
        else:  # chat: messages; wildchat: conversation (turns carry extra keys, dropped)
            conv = _messages(r.get("messages" if src.fmt == "chat" else "conversation"))
        if conv and conv[-1]["role"] == "assistant" and any(m["role"] == "user" for m in conv):
            out.append(conv)
        else:
            bad.append(n)
    return _limit(_finish(out, bad, src.cfg.path, strict, "SFT"), src.cfg)


def _pair(r: dict, fmt: str) -> dict[str, str] | None:
    c, j = r.get("chosen"), r.get("rejected")
    if _is_list(c) or _is_list(j):  # message lists: the final assistant replies
        cm, jm = _messages(c), _messages(j)
        if not (cm and jm and cm[-1]["role"] == "assistant" and jm[-1]["role"] == "assistant"):
            return None
        prompt = _prompt(r.get("prompt"))
        if prompt is None:  # implicit prompt: the last user turn, shared by both conversations
            pc, pj = _last(cm[:-1], "user"), _last(jm[:-1], "user")
            prompt = pc if pj in (None, pc) else None
        c, j = _text(cm[-1]["content"]), _text(jm[-1]["content"])
        return {"prompt": prompt, "chosen": c, "rejected": j} if prompt and c and j else None
    if fmt == "hh-rlhf":
        a, b = _hh_split(c), _hh_split(j)
        return {"prompt": a[0], "chosen": a[1], "rejected": b[1]} if a and b and a[0] == b[0] else None
    p, c, j = _prompt(r.get("prompt")), _text(c), _text(j)
    return {"prompt": p, "chosen": c, "rejected": j} if p and c and j else None


def _pairs(src: _Source, strict: bool) -> list[dict[str, str]]:
    out, bad = [], list(src.bad)
    for n, r in src.rows:
        item = _pair(r, src.fmt)
        if item:
            if _text(r.get("category")):
                item["category"] = str(r["category"])
            out.append(item)
        else:
            bad.append(n)
    return _limit(_finish(out, bad, src.cfg.path, strict, "preference pairs"), src.cfg)


def sft_conversations(cfg: DataConfig, strict: bool = False) -> list[list[dict[str, str]]]:
    """Chat conversations ending with an assistant turn, from chat / alpaca / wildchat rows."""
    return _conversations(_source(cfg, "sft"), strict)


def preference_pairs(cfg: DataConfig, strict: bool = False) -> list[dict[str, str]]:
    """{prompt, chosen, rejected[, category]} from ultrafeedback / pairs / hh-rlhf rows."""
    return _pairs(_source(cfg, "preference"), strict)


def _dataset(items: list[dict]):
    import datasets

    return datasets.Dataset.from_list(items)


def load_sft_dataset(cfg: DataConfig, strict: bool = False):
    """``datasets.Dataset`` with a ``messages`` column (conversations ending with the assistant)."""
    return _dataset([{"messages": c} for c in sft_conversations(cfg, strict)])


def load_preference_dataset(cfg: DataConfig, strict: bool = False):
    """``datasets.Dataset`` with string columns ``prompt``, ``chosen``, ``rejected`` (+ ``category``)."""
    return _dataset(preference_pairs(cfg, strict))


def load_kto_dataset(cfg: DataConfig, strict: bool = False):
    """``datasets.Dataset`` with string ``prompt``, ``completion`` and bool ``label``; pairs are unpaired
    (chosen: True, rejected: False)."""
    src = _source(cfg, "kto")
    if src.fmt != "kto":
        items = []
        for p in _pairs(src, strict):
            items.append({"prompt": p["prompt"], "completion": p["chosen"], "label": True})
            items.append({"prompt": p["prompt"], "completion": p["rejected"], "label": False})
        return _dataset(items)
    out, bad = [], list(src.bad)
    for n, r in src.rows:
        p, c, lab = _prompt(r.get("prompt")), _reply(r.get("completion")), r.get("label")
        if p and c and isinstance(lab, (bool, int, np.bool_, np.integer)):
            out.append({"prompt": p, "completion": c, "label": bool(lab)})
        else:
            bad.append(n)
    return _dataset(_limit(_finish(out, bad, cfg.path, strict, "KTO"), cfg))


def prompt_texts(cfg: DataConfig, strict: bool = False) -> list[str]:
    """The user prompts of any supported shape (for online algorithms and contamination checks)."""
    src = _source(cfg, "prompts")
    if src.fmt in DATA_FORMATS["sft"]:
        return [next(m["content"] for m in c if m["role"] == "user") for c in _conversations(src, strict)]
    if src.fmt in DATA_FORMATS["preference"]:
        return list(dict.fromkeys(p["prompt"] for p in _pairs(src, strict)))
    out, bad = [], list(src.bad)
    for n, r in src.rows:
        t = _prompt(r.get("prompt")) or _text(r.get("question"))
        if t:
            out.append(t)
        else:
            bad.append(n)
    return _limit(_finish(list(dict.fromkeys(out)), bad, cfg.path, strict, "prompts"), cfg)


def load_prompt_dataset(cfg: DataConfig, strict: bool = False):
    """``datasets.Dataset`` with a ``prompt`` column (for PPO / RAFT / GRPO / RLOO / UNA-online)."""
    return _dataset([{"prompt": p} for p in prompt_texts(cfg, strict)])


def load_prompts(cfg: PromptsConfig, strict: bool = False) -> pd.DataFrame:
    """Evaluation prompts as a DataFrame [id, category, question], with the configured subset.

    ``per_category``: a seeded random choice of that many prompts per category (stratified);
    ``limit``: at most that many in all, spread evenly over categories; ``categories``: only these.
    """
    rows, bad = _split_bad(read_rows(cfg.path, column_map=cfg.column_map))
    out = []
    for n, r in rows:
        pid, cat, q = _text(r.get("id")), _text(r.get("category")), _text(r.get("question"))
        if pid and cat and q:
            out.append({"id": pid, "category": cat, "question": q})
        else:
            bad.append(n)
    _finish(out, bad, cfg.path, strict, "evaluation prompts (id, category, question)")
    df = pd.DataFrame(out).drop_duplicates("id")
    if cfg.categories:
        unknown = set(cfg.categories) - set(df.category)
        if unknown:
            raise UserError(
                f"generation.prompts.categories: no prompts in {sorted(unknown)} (have {sorted(set(df.category))})"
            )
        df = df[df.category.isin(cfg.categories)]
    if cfg.per_category:  # a seeded random choice within each category
        shuffled = df.sample(frac=1.0, random_state=cfg.seed)
        df = shuffled[shuffled.groupby("category").cumcount() < cfg.per_category]
    if cfg.limit and len(df) > cfg.limit:
        # round-robin over categories in a seeded order: stratified
        shuffled = df.sample(frac=1.0, random_state=cfg.seed)
        shuffled["_rank"] = shuffled.groupby("category").cumcount()
        df = shuffled.sort_values(["_rank", "category"]).head(cfg.limit).drop(columns="_rank")
    return df.sort_values("id").reset_index(drop=True)
