"""Manifests for training people already ran: a trainer's output folder, or a chain of hub models.

    valuedrift manifest from-dir outputs/my-sft --out manifest.json   # checkpoint-N/ folders
    valuedrift manifest from-hub allenai/Llama-3.1-Tulu-3-8B-SFT dpo=allenai/Llama-3.1-Tulu-3-8B-DPO
    valuedrift trace --checkpoints outputs/my-sft                       # build it and trace it

:func:`from_dir` reads a ``transformers.Trainer`` / TRL output folder: every ``checkpoint-N/``
(full weights, or a PEFT adapter) at the step of its ``trainer_state.json`` (``global_step``, else
N), the final model saved in the folder itself as the last step (unless it is a checkpoint's
weights again), ``total_steps`` from ``max_steps``, and step 0 = the base model. Weights are read
as safetensors only; ``training_args.bin`` and the optimizer files are pickles and are never opened.

:func:`from_hub` makes one stage per repo, chained in the order given (each stage's step 0 is the
previous stage's final model); consecutive revisions of one repo named like steps (``step1000``,
``stage1-step140000-tokens587B``) are the steps of one stage. Nothing is downloaded: hub
checkpoints have no ``sha256`` and are fetched by the generator.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from valuedrift import io
from valuedrift.errors import UserError
from valuedrift.manifest import validate_manifest

if TYPE_CHECKING:
    from valuedrift.config.schema import CheckpointsConfig
    from valuedrift.rundir import RunDir

log = logging.getLogger(__name__)

DEFAULT_ALGORITHM = "trainer"
"""The algorithm of a series whose trainer does not say which one it ran."""

CHECKPOINT_DIR = re.compile(r"^checkpoint-(\d+)$")
STAGE_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
REVISION_STEP = re.compile(r"(?:^|[-_])step[-_]?(\d+)(?=$|[-_])", re.IGNORECASE)
HUB_SPEC = re.compile(
    r"^(?:(?P<stage>[^=\s]+)=)?(?P<repo>[A-Za-z0-9][\w.\-]*/[A-Za-z0-9][\w.\-]*)(?:@(?P<rev>[^\s@]+))?$"
)
ALGORITHM_WORDS = ("sft", "dpo", "simpo", "kto", "orpo", "cpo", "ipo", "ppo", "grpo", "rloo", "rlvr", "rlhf")
"""Words in a stage or repo name taken as the algorithm (``Llama-3.1-Tulu-3-8B-DPO`` -> ``dpo``)."""
GENERIC_TAGS = {"generated_from_trainer", "trl", "transformers", "peft", "lora", "unsloth", "hf_jobs"}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")
BASE_HINT = "pass --base MODEL; in a config, or with trace: checkpoints.base (--set checkpoints.base=MODEL)"


# --- manifest entries ------------------------------------------------------------------------------
def _entry(
    stage: str,
    algorithm: str,
    step: int,
    total: int,
    path: str,
    parent: str | None,
    *,
    adapter: bool = False,
    sha256: str | None = None,
    base: str | None = None,
) -> dict[str, Any]:
    e = {
        "id": f"{stage}/step-{step}",
        "stage": stage,
        "algorithm": algorithm,
        "step": step,
        "total_steps": total,
        "progress": round(step / total, 6) if total else 0.0,
        "path": path,
        "parent": parent,
        "adapter": adapter,
        "sha256": sha256,
    }
    if adapter:
        e["base"] = base
    return e


def _base_entry(path: str, sha256: str | None) -> dict[str, Any]:
    return _entry("base", "base", 0, 0, path, None, sha256=sha256)


def _check_stage_name(name: str, where: str) -> str:
    if not STAGE_NAME.match(name) or name == "base":
        raise UserError(f"{where}: bad stage name {name!r} (letters, digits, '_', '.', '-'; not 'base')")
    return name


# --- a trainer's output folder ---------------------------------------------------------------------
@dataclass
class _Saved:
    """One model found in the output folder."""

    folder: Path
    label: str
    step: int
    adapter: bool
    max_steps: int | None
    top_level: bool = False  # the final model in DIR itself (DIR also holds the checkpoints)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"{path}: not readable JSON ({e.__class__.__name__})") from None
    return data if isinstance(data, dict) else {}


def _model_kind(folder: Path, label: str) -> bool | None:
    """True: a PEFT adapter, False: full weights, None: no model in ``folder``. Pickle-only weights
    are refused: loading them can run code."""
    adapter = (folder / "adapter_config.json").is_file()
    if not adapter and not (folder / "config.json").is_file():
        return None
    pattern = "adapter_model*" if adapter else "model*"
    if any(folder.glob(f"{pattern}.safetensors")):
        return adapter
    pickles = sorted(p.name for p in folder.glob("*") if p.suffix in (".bin", ".pt", ".pth", ".ckpt"))
    pickles = [n for n in pickles if n.startswith(("adapter_model", "pytorch_model", "model"))]
    if pickles:
        raise UserError(
            f"{label}: weights are pickle only ({pickles[0]}); valuedrift reads safetensors only",
            hint="re-save them as safetensors: model.save_pretrained(folder) writes "
            f"{'adapter_model' if adapter else 'model'}.safetensors",
        )
    raise UserError(
        f"{label}: {'adapter_config' if adapter else 'config'}.json but no {pattern}.safetensors weights"
    )


def _trainer_state(folder: Path) -> dict[str, Any]:
    path = folder / "trainer_state.json"
    return _read_json(path) if path.is_file() else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _model_card(folder: Path) -> dict[str, Any]:
    """The YAML front matter of a model card (``README.md``), as TRL and PEFT write it; {} if none."""
    import yaml

    path = folder / "README.md"
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.startswith("---"):
        return {}
    head = text[3:].split("\n---", 1)[0]
    try:
        data = yaml.safe_load(head)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _card_algorithm(card: dict[str, Any]) -> str | None:
    """The trainer tag of a TRL model card (``tags: [trl, sft, ...]`` -> ``sft``)."""
    tags = card.get("tags") or []
    if not isinstance(tags, list) or "trl" not in tags:
        return None
    own = [t for t in tags if isinstance(t, str) and t not in GENERIC_TAGS and ":" not in t]
    return own[0] if len(own) == 1 else None


def _has_tokenizer(folder: Path) -> bool:
    return any((folder / f).is_file() for f in TOKENIZER_FILES)


def _hash_top_level(folder: Path) -> str:
    """:func:`io.sha256_weights` of the files directly in ``folder`` (not its ``checkpoint-N/``
    subfolders, nor the trainer's ``*results.json`` metrics): hashed through a temporary folder of
    links to them, so the rule is io's own and the final model hashes like the checkpoint it equals."""
    with tempfile.TemporaryDirectory(prefix=".valuedrift-hash-") as tmp:
        for p in folder.iterdir():
            if p.is_file() and not p.name.endswith("results.json"):  # Trainer.save_metrics output
                try:
                    os.symlink(p.resolve(), Path(tmp) / p.name)
                except OSError:  # no symlinks here (some Windows set-ups): copy instead
                    shutil.copy2(p, Path(tmp) / p.name)
        return io.sha256_weights(tmp)


def _scan(root: Path) -> tuple[list[_Saved], dict[str, Any]]:
    """The checkpoints (by step) and the final model of an output folder; its own trainer state."""
    saved: list[_Saved] = []
    for sub in sorted(root.iterdir(), key=lambda p: p.name):
        m = CHECKPOINT_DIR.match(sub.name)
        if not (m and sub.is_dir()):
            continue
        label = f"{root}/{sub.name}"
        kind = _model_kind(sub, label)
        if kind is None:
            raise UserError(
                f"{label}: no model in it (config.json or adapter_config.json with safetensors weights)",
                hint="DeepSpeed/FSDP shards must be consolidated into a model folder first",
            )
        state = _trainer_state(sub)
        step = _int(state.get("global_step"))
        step = int(m.group(1)) if step is None else step
        saved.append(_Saved(sub, label, step, kind, _int(state.get("max_steps"))))
    saved.sort(key=lambda s: s.step)
    steps = [s.step for s in saved]
    dup = sorted({s for s in steps if steps.count(s) > 1})
    if dup:
        raise UserError(f"{root}: two checkpoints at step {dup[0]} (trainer_state.json global_step)")
    state = _trainer_state(root)
    kind = _model_kind(root, str(root))
    if kind is not None:
        known = [s.max_steps for s in saved if s.max_steps] + [_int(state.get("max_steps")) or 0]
        step = _int(state.get("global_step")) or max(known) or (steps[-1] if steps else 1)
        saved.append(_Saved(root, f"{root} (final model)", step, kind, _int(state.get("max_steps")), True))
    return saved, state


def _resolve_base(spec: str, where: str) -> tuple[str, Path | None]:
    """(manifest path, local folder or None) of a base model: alias, folder, or hub id@revision."""
    from valuedrift.models import resolve

    try:
        src = resolve(spec)
    except UserError as e:
        raise UserError(f"{where}: base model: {e}", hint=BASE_HINT) from e
    if not src.local:
        return f"{src.path}@{src.revision or 'main'}", None
    folder = Path(src.path)
    if _model_kind(folder, f"base model {folder}") is not False:
        raise UserError(f"{where}: base model {folder} is not a full model folder (config.json, safetensors)")
    if not _has_tokenizer(folder):
        raise UserError(f"{where}: base model {folder} has no tokenizer files")
    return str(folder), folder


def _find_base(root: Path, saved: list[_Saved], cards: list[dict[str, Any]], base: str | None) -> str:
    if base:
        return base
    if any(s.adapter for s in saved):
        names = {}
        for s in saved:
            if s.adapter:
                cfg = _read_json(s.folder / "adapter_config.json")
                names.setdefault(cfg.get("base_model_name_or_path") or "", s.label)
        if "" in names:
            raise UserError(
                f"{names['']}: adapter_config.json names no base model (base_model_name_or_path)",
                hint=BASE_HINT,
            )
        if len(names) > 1:
            raise UserError(
                f"{root}: the adapters name different base models ({', '.join(sorted(names))})",
                hint=BASE_HINT,
            )
        return next(iter(names))
    for card in cards:
        if isinstance(card.get("base_model"), str) and card["base_model"]:
            return card["base_model"]
    raise UserError(
        f"{root}: cannot tell which base model the checkpoints were trained from "
        "(config.json does not say; no model card names it)",
        hint=BASE_HINT,
    )


def from_dir(
    folder: str | Path,
    *,
    stage: str | None = None,
    algorithm: str | None = None,
    base: str | None = None,
    hash_weights: bool = True,
) -> dict[str, Any]:
    """The manifest of a trainer's output folder (see the module docstring); UserError if unusable.

    ``hash_weights=False`` skips the content hashes (``sha256`` null) for a cheap check of the
    folder; the final model is then assumed to be the checkpoint at its step, if there is one."""
    root = Path(folder).expanduser().resolve()
    if not root.is_dir():
        raise UserError(f"checkpoints folder not found: {folder}")
    saved, state = _scan(root)
    if not saved:
        raise UserError(
            f"{root}: no checkpoints (no checkpoint-N/ folders and no model saved in it)",
            hint="point at the trainer's output_dir, the folder that holds checkpoint-N/",
        )
    for s in saved:
        if s.step == 0:
            raise UserError(f"{s.label}: a checkpoint at step 0 (step 0 is the base model)")
        if not s.adapter and not _has_tokenizer(s.folder):
            raise UserError(
                f"{s.label}: no tokenizer files; each full checkpoint is loaded with its own",
                hint="pass processing_class=tokenizer to the Trainer, or copy the base's tokenizer files in",
            )
    cards = [_model_card(root)] + [_model_card(s.folder) for s in saved if not s.top_level]
    base_path, base_folder = _resolve_base(_find_base(root, saved, cards, base), str(root))
    algorithm = algorithm or next(filter(None, map(_card_algorithm, cards)), None) or DEFAULT_ALGORITHM
    stage = _check_stage_name(stage or algorithm, f"{root}: stage")

    hashes: dict[int, str] = {}
    if hash_weights:
        hashes = {
            id(s): _hash_top_level(s.folder) if s.top_level else io.sha256_weights(s.folder) for s in saved
        }
    saved = _drop_repeated_final(saved, hashes)
    base_sha = io.sha256_weights(base_folder) if hash_weights and base_folder else None
    total = max([s.max_steps or 0 for s in saved] + [_int(state.get("max_steps")) or 0, saved[-1].step])

    start = _base_entry(base_path, base_sha)
    entries = [start, _entry(stage, algorithm, 0, total, base_path, start["id"], sha256=base_sha)]
    for s in saved:
        sha = hashes.get(id(s))
        entries.append(
            _entry(
                stage,
                algorithm,
                s.step,
                total,
                str(s.folder),
                start["id"],
                adapter=s.adapter,
                sha256=sha,
                base=base_path,
            )
        )
    manifest = {"run": root.name, "base_model": base_path, "source": str(root), "checkpoints": entries}
    return validate_manifest(manifest, f"{root} (built manifest)")


def _drop_repeated_final(saved: list[_Saved], hashes: dict[int, str]) -> list[_Saved]:
    """Without the final model when it is a checkpoint's weights again, or has a checkpoint's step."""
    final = next((s for s in saved if s.top_level), None)
    if final is None:
        return saved
    others = [s for s in saved if not s.top_level]
    if hashes and hashes[id(final)] in {hashes[id(s)] for s in others}:
        return others
    if any(s.step == final.step for s in others):
        if hashes:
            log.warning(
                "%s differs from the checkpoint at its step %d (load_best_model_at_end?): not traced",
                final.label,
                final.step,
            )
        return others
    return sorted(saved, key=lambda s: s.step)


# --- hub models ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HubSpec:
    """``[stage=]org/name[@revision]``."""

    stage: str | None
    repo: str
    revision: str | None

    @property
    def path(self) -> str:
        return f"{self.repo}@{self.revision or 'main'}"

    @property
    def step(self) -> int | None:
        """The step a revision's name gives (``stage1-step140000-tokens587B`` -> 140000), else None."""
        m = REVISION_STEP.search(self.revision or "")
        return int(m.group(1)) if m else None


def parse_hub_spec(text: str) -> HubSpec:
    m = HUB_SPEC.match(text.strip())
    if not m:
        raise UserError(
            f"hub model {text!r}: expected org/name, org/name@revision or stage=org/name@revision"
        )
    stage = m.group("stage")
    if stage is not None and stage != "base":
        _check_stage_name(stage, f"hub model {text!r}")
    return HubSpec(stage, m.group("repo"), m.group("rev"))


def _default_stage(repo: str, index: int) -> str:
    words = re.split(r"[-_.]", repo.split("/")[-1].lower())
    return next((w for w in words if w in ALGORITHM_WORDS), f"stage{index}")


def _hub_groups(specs: list[HubSpec]) -> list[tuple[str, list[HubSpec]]]:
    """Consecutive step revisions of one repo form one stage; every other model is a stage of its own."""
    groups: list[tuple[str | None, list[HubSpec]]] = []
    for s in specs:
        if groups:
            name, last = groups[-1]
            stepped = s.step is not None and last[0].step is not None
            if stepped and s.repo == last[0].repo and s.stage in (None, name):
                last.append(s)
                continue
        groups.append((s.stage, [s]))
    out: list[tuple[str, list[HubSpec]]] = []
    for i, (name, group) in enumerate(groups, 1):
        stage = name or _default_stage(group[0].repo, i)
        if name is None and stage in {n for n, _ in out}:
            stage = f"{stage}-{i}"
        if stage in {n for n, _ in out}:
            raise UserError(f"hub models: stage {stage!r} listed twice (not as consecutive step revisions)")
        out.append((stage, group))
    return out


def from_hub(
    specs: list[str], *, base: str | None = None, run: str | None = None, hash_weights: bool = True
) -> dict[str, Any]:
    """The manifest of a chain of hub models (see the module docstring). The base model is ``base``,
    else the entry named ``base=``, else the first entry; nothing is fetched (a local ``base`` is
    hashed unless ``hash_weights=False``)."""
    parsed = [parse_hub_spec(s) for s in specs]
    if not parsed:
        raise UserError("hub models: none given (org/name[@revision], one stage per repo)")
    if base is None:
        if any(p.stage == "base" for p in parsed[1:]):
            raise UserError("hub models: base=... must come first")
        if parsed[0].stage not in (None, "base"):
            raise UserError(
                f"hub models: no base model before stage {parsed[0].stage!r}",
                hint="list it first as base=org/name[@revision], or pass --base MODEL",
            )
        first, parsed = parsed[0], parsed[1:]
        base_path, base_sha = first.path, None
    else:
        if any(p.stage == "base" for p in parsed):
            raise UserError("hub models: a base=... entry and --base both given; keep one")
        base_path, folder = _resolve_base(base, "hub models")
        base_sha = io.sha256_weights(folder) if folder and hash_weights else None
    if not parsed:
        raise UserError("hub models: only a base model given; list the models trained from it")
    parent = _base_entry(base_path, base_sha)
    entries = [parent]
    for stage, group in _hub_groups(parsed):
        algorithm = stage.lower() if stage.lower() in ALGORITHM_WORDS else DEFAULT_ALGORITHM
        if group[0].step is None:
            steps = [(1, group[0])]
        else:
            steps = sorted((s.step, s) for s in group)
            dup = sorted({n for n, _ in steps if [m for m, _ in steps].count(n) > 1})
            if dup:
                raise UserError(f"hub models: stage {stage}: two revisions at step {dup[0]}")
        total = steps[-1][0]
        first_entry = _entry(
            stage, algorithm, 0, total, parent["path"], parent["id"], sha256=parent["sha256"]
        )
        entries.append(first_entry)
        if steps[0][0] == 0:
            log.warning(
                "hub models: %s is step 0 of stage %s, which is the model before it", steps[0][1].path, stage
            )
        entries += [_entry(stage, algorithm, n, total, s.path, parent["id"]) for n, s in steps if n > 0]
        parent = entries[-1]
    name = run or parent["path"].split("@")[0].split("/")[-1]
    return validate_manifest({"run": name, "base_model": base_path, "checkpoints": entries}, "hub models")


# --- from the experiment config --------------------------------------------------------------------
WEIGHT_KEYS = ("path", "sha256", "adapter", "base")


def refuse_changed_traced(run: RunDir, manifest: dict[str, Any]) -> None:
    """UserError if a checkpoint that already has answers in ``run`` is other weights now (retrained
    into the same folder, another folder, another base): its answers belong to the old weights."""
    if not run.manifest_path.exists():
        return
    old = {c["id"]: c for c in run.read_manifest().get("checkpoints", [])}
    for c in manifest["checkpoints"]:
        before = old.get(c["id"])
        if before is None or not any(run.has_part(t, c["id"]) for t in ("generations", "judgments")):
            continue
        key = next((k for k in WEIGHT_KEYS if before.get(k) != c.get(k)), None)
        if key:
            raise UserError(
                f"checkpoint {c['id']}: its {key} changed since it was traced in {run.path}; "
                "its answers there are of the old weights",
                hint="re-run with --fresh, or trace into another --out",
            )


def build_manifest(cfg: CheckpointsConfig, *, hash_weights: bool = True) -> dict[str, Any]:
    """The manifest of the config's ``checkpoints:`` section (a folder, or hub models)."""
    if cfg.dir is not None:
        return from_dir(
            cfg.dir, stage=cfg.stage, algorithm=cfg.algorithm, base=cfg.base, hash_weights=hash_weights
        )
    return from_hub(list(cfg.hub or []), base=cfg.base, hash_weights=hash_weights)


__all__ = [
    "DEFAULT_ALGORITHM",
    "HubSpec",
    "build_manifest",
    "from_dir",
    "from_hub",
    "parse_hub_spec",
    "refuse_changed_traced",
]
