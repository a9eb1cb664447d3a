"""Preflight: check every input a run will need before the first training step.

A run that trains for an hour and then finds a malformed prompts file, a CSV with unknown columns in
stage 3, a missing ``wandb`` or a judge server that is not up has wasted that hour. :func:`preflight`
checks all of them at once, before anything is trained, created or deleted (``trace --fresh`` deletes
the run directory only after it passes), and raises the first problem as one line
(:class:`~valuedrift.errors.UserError`, exit code 2)::

    valuedrift trace exp.yaml                  # every phase's inputs
    valuedrift train exp.yaml                  # the training inputs only

It stays cheap, since it runs on every trace: local data files are loaded with their algorithm's own
loader (the same code that reads them for training), hub datasets and hub models are not fetched,
and the only network request is one short ``GET {judge.base_url}/models`` to the server the user
named (any HTTP answer counts as reachable; the API key is never sent).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from valuedrift.config.schema import DataConfig, Experiment, JudgeConfig
from valuedrift.errors import MissingDependency, UserError

log = logging.getLogger(__name__)

REPORTERS = {"tensorboard": "tensorboard", "wandb": "wandb"}
"""``report_to`` names we support, and the package each one needs (optional extra ``tracking``)."""

PROBE_TIMEOUT_S = 5.0


def preflight(
    exp: Experiment, phases: Iterable[str] = ("train", "generate", "judge"), *, probe: bool = True
) -> None:
    """Check the inputs of ``phases`` (``train``, ``generate``, ``judge``); raise the first problem.

    ``probe=False`` skips contacting the judge endpoint (for ``valuedrift judge``, which contacts it
    at once anyway)."""
    phases = set(phases)
    if "train" in phases:
        check_training(exp)
    if "generate" in phases:
        check_prompts(exp)
        check_generation_backend(exp)
    if "judge" in phases:
        check_judge(exp.judge, probe=probe)


# --- training -------------------------------------------------------------------------------------
def check_training(exp: Experiment) -> None:
    """The manifest or checkpoint series, or else: the base model, every stage's data (and reward
    data), the reporters."""
    if exp.checkpoints is not None:
        check_series(exp)
        return
    if exp.manifest:
        from valuedrift.manifest import load_manifest

        load_manifest(exp.manifest)
        return
    if not exp.stages:
        return  # the train phase reports "nothing to trace" itself
    check_model(exp.base_model.name, "base_model.name")
    check_stage_data(exp)
    check_reporters(exp.report_to)


def check_series(exp: Experiment) -> None:
    """``checkpoints:`` alone (no stages, no manifest); its folder holds usable checkpoints and a
    known base, or its hub entries parse. Weights are not hashed here: the train phase does that."""
    from valuedrift.series import build_manifest

    other = "stages" if exp.stages else "manifest" if exp.manifest else None
    if other:
        raise UserError(f"checkpoints: cannot be combined with {other} (trace a series or train one)")
    where = "checkpoints.dir" if exp.checkpoints.dir is not None else "checkpoints.hub"
    try:
        build_manifest(exp.checkpoints, hash_weights=False)
    except UserError as e:
        raise UserError(f"{where}: {e}", hint=e.hint) from e


def check_model(spec: str, field: str) -> None:
    """An alias, a local model folder or a hub id (not fetched); a missing folder or unknown alias fails."""
    from valuedrift.models import resolve

    try:
        src = resolve(spec)
    except UserError as e:
        raise UserError(f"{field}: {e}", hint=e.hint) from e
    if src.local and not any((Path(src.path) / f).exists() for f in ("config.json", "adapter_config.json")):
        raise UserError(f"{field}: model folder {spec} has no config.json")


def check_stage_data(exp: Experiment) -> None:
    """Load every stage's data (and its reward model's data) with the loader its algorithm uses."""
    seen: set[tuple[str, str]] = set()
    for st in exp.stage_order():
        if st.data is None:
            raise UserError(f"stage {st.name}: no training data (stages.{st.name}.data.path)")
        for data, kind, where in _stage_inputs(st):
            _check_data(data, kind, where, seen)


def _stage_inputs(st) -> list[tuple[DataConfig, str, str]]:
    """(data, data kind, where) of what a stage reads: its data, and a reward model's pairs."""
    from valuedrift.config.algorithms import get_spec
    from valuedrift.config.params import UNAParams
    from valuedrift.config.reward import ModelReward

    spec = get_spec(st.algorithm)
    params = spec.params.model_validate(st.params)
    kind: str | None = spec.data
    uses_reward = kind == "prompts"
    if isinstance(params, UNAParams):  # the feedback variant picks what the rows are (walk/una.py)
        kind = {"pair": "preference", "binary": "kto", "score": "kto", "online": "prompts"}[params.variant]
        uses_reward = params.variant in ("score", "online")
        if params.variant == "score" and _has_column(st.data, "score"):
            kind, uses_reward = None, False  # scores given: read by walk/una.py's own checks
    out = [(st.data, kind, f"stage {st.name}")] if kind else []
    reward = getattr(params, "reward", None)
    if uses_reward and isinstance(reward, ModelReward):
        where = f"stage {st.name}: params.reward.data" if reward.data else f"stage {st.name} (reward model)"
        out.append((reward.data or st.data, "preference", where))
    return out


def _has_column(cfg: DataConfig, column: str) -> bool:
    from valuedrift.data.loaders import read_rows, resolve_path

    if isinstance(resolve_path(cfg.path), str):
        return False
    return any(column in r for _, r in read_rows(cfg.path, split=cfg.split, column_map=cfg.column_map))


def _check_data(cfg: DataConfig, kind: str, where: str, seen: set[tuple[str, str]]) -> None:
    from valuedrift.data import loaders

    key = (kind, cfg.model_dump_json())
    if key in seen:
        return
    seen.add(key)
    read = {
        "sft": loaders.sft_conversations,
        "preference": loaders.preference_pairs,
        "kto": loaders.load_kto_dataset,
        "prompts": loaders.prompt_texts,
    }[kind]
    try:
        if isinstance(loaders.resolve_path(cfg.path), str):
            return  # a hub dataset: loading it means a download, left to the stage
        read(cfg)
    except UserError as e:
        raise UserError(f"{where}: {e}", hint=e.hint) from e


def check_reporters(names: Iterable[str]) -> None:
    """``report_to`` names are known and their package is installed."""
    for name in names:
        if name == "none":
            continue
        package = REPORTERS.get(name)
        if package is None:
            raise UserError(
                f"report_to: unknown reporter {name!r}", hint=f"known: {', '.join(sorted(REPORTERS))}"
            )
        if not _importable(package):
            raise MissingDependency(package, "tracking", f"report_to: {name}")


def _importable(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # a broken install, or a module set to None in sys.modules
        return False


# --- generation -----------------------------------------------------------------------------------
def check_prompts(exp: Experiment) -> None:
    """The evaluation prompts load and the configured subset is not empty."""
    from valuedrift.data.loaders import load_prompts

    try:
        prompts = load_prompts(exp.generation.prompts)
    except UserError as e:
        raise UserError(f"generation.prompts: {e}", hint=e.hint) from e
    if prompts.empty:
        raise UserError("no evaluation prompts selected (check generation.prompts)")


def check_generation_backend(exp: Experiment) -> None:
    """``vllm`` importable for the vllm back end; for ``openai``, its package, key and server URL."""
    cfg = exp.generation
    if cfg.backend == "vllm":
        from valuedrift.generate.vllm_backend import lora_mode, missing_vllm

        lora_mode(cfg.options.get("lora"), "cpu")  # a bad value is one line now, not after training
        if not _importable("vllm"):
            raise missing_vllm()
    if cfg.backend == "openai":
        if not cfg.base_url and not os.environ.get(cfg.api_key_env):
            raise UserError(
                f"generation.api_key_env: environment variable {cfg.api_key_env} is not set",
                hint="export it, or set generation.base_url for a local server",
            )
        from valuedrift.generate.openai_backend import OpenAIGenerator

        OpenAIGenerator(cfg, base_model=exp.base_model.name)  # its own checks; contacts nothing


# --- judge ----------------------------------------------------------------------------------------
def check_judge(cfg: JudgeConfig, *, probe: bool = True) -> None:
    """The hf judge's model resolves; the openai judge has a model, and a key or a reachable server
    (the ``openai`` package is a core dependency)."""
    if cfg.backend == "hf":
        check_model(cfg.model or "smollm2-135m-instruct", "judge.model")
    elif cfg.backend == "openai":
        if not cfg.model:
            raise UserError("judge.model: the openai judge needs a model name (e.g. gpt-4o)")
        if cfg.base_url:
            if probe:
                check_reachable(cfg.base_url, "judge.base_url")
        elif not os.environ.get(cfg.api_key_env):
            raise UserError(
                f"judge.api_key_env: environment variable {cfg.api_key_env} is not set",
                hint="export it, or set judge.base_url for a local server",
            )


def check_reachable(base_url: str, field: str) -> None:
    """One short ``GET {base_url}/models`` to that server only; any HTTP answer counts as reachable."""
    import httpx

    url = base_url.rstrip("/") + "/models"
    try:
        httpx.get(url, timeout=PROBE_TIMEOUT_S, follow_redirects=False)
    except (httpx.HTTPError, httpx.InvalidURL) as e:
        reason = type(e).__name__
        raise UserError(
            f"{field}: cannot reach the judge endpoint at {base_url} ({reason})",
            hint="start the server or fix judge.base_url; nothing was trained",
        ) from e
    log.debug("preflight: %s answered", url)


__all__ = [
    "REPORTERS",
    "check_generation_backend",
    "check_judge",
    "check_model",
    "check_prompts",
    "check_reachable",
    "check_reporters",
    "check_series",
    "check_stage_data",
    "check_training",
    "preflight",
]
