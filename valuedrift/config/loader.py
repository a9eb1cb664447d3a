"""Load an experiment config from YAML, apply ``--set key.sub=value`` overrides, validate it.

Every failure is a :class:`~valuedrift.errors.UserError` whose one line names the file and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from valuedrift.config.schema import Experiment
from valuedrift.errors import UserError

PREFIXES = ("builtin:", "demo:")


def parse_override(text: str) -> tuple[list[str | int], Any]:
    """``'stages.0.steps=20'`` -> (['stages', 0, 'steps'], 20); the value is parsed as YAML."""
    if "=" not in text:
        raise UserError(f"--set {text!r}: expected KEY=VALUE, e.g. generation.sampling.n_samples=2")
    key, _, raw = text.partition("=")
    key = key.strip()
    if not re.fullmatch(r"[A-Za-z_][\w\-]*(\.[\w\-]+)*", key):
        raise UserError(f"--set {text!r}: bad key {key!r}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as e:
        raise UserError(f"--set {text!r}: value is not valid YAML ({e.__class__.__name__})") from e
    path: list[str | int] = [int(p) if p.isdigit() else p for p in key.split(".")]
    return path, value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``--set`` overrides in order. Stages may be addressed by index or by name."""
    for text in overrides:
        path, value = parse_override(text)
        node: Any = data
        for i, part in enumerate(path[:-1]):
            nxt = path[i + 1]
            if isinstance(node, list):
                node = _list_item(node, part, text)
            else:
                if part not in node or node[part] is None:
                    node[part] = [] if isinstance(nxt, int) else {}
                node = node[part]
        last = path[-1]
        if isinstance(node, list):
            idx = _list_index(node, last, text)
            node[idx] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise UserError(f"--set {text!r}: {'.'.join(map(str, path[:-1]))} is not a mapping")
    return data


def _list_index(node: list, part: str | int, text: str) -> int:
    if isinstance(part, int):
        if part >= len(node):
            raise UserError(f"--set {text!r}: index {part} out of range (list has {len(node)} items)")
        return part
    for i, item in enumerate(node):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    raise UserError(f"--set {text!r}: no item named {part!r}")


def _list_item(node: list, part: str | int, text: str) -> Any:
    return node[_list_index(node, part, text)]


def describe_error(err: dict[str, Any], skip: int = 0) -> tuple[str, str]:
    """(dotted location, message) of one pydantic error, in this project's words.

    ``skip`` drops leading location parts (e.g. a TypeAdapter's own). A wrong ``type`` of a tagged
    union (the reward spec) is located at ``<field>.type``.
    """
    parts = [str(p) for p in err["loc"][skip:] if not str(p).startswith("function-")]
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "literal_error":
        msg = f"{msg} (got {err.get('input')!r})"
    elif err["type"] == "union_tag_invalid":
        ctx = err.get("ctx", {})
        parts.append(str(ctx.get("discriminator", "type")).strip("'"))
        msg = f"{ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}"
    return ".".join(parts), msg.removeprefix("Value error, ")


def _format_validation_error(err: ValidationError, source: str) -> str:
    loc, msg = describe_error(err.errors()[0])
    where = f"{source}: {loc}: " if loc else f"{source}: "
    more = f" (+{len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"{where}{msg}{more}"


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping; malformed YAML is a one-line UserError with the line number."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or e.__class__.__name__
        raise UserError(f"{path}: malformed YAML{where}: {problem}") from e
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not a UTF-8 text file") from e
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(f"{path}: the top level must be a mapping of keys, got {type(data).__name__}")
    return data


def _is_local(p: str) -> bool:
    return not p.startswith(PREFIXES)


def _resolve_paths(exp: Experiment, root: Path, source: str) -> Experiment:
    """Make local file paths absolute (relative to the config's folder) and check they exist."""

    def fix(p: str, field: str, must_exist: bool = True) -> str:
        if not _is_local(p):
            return p
        cand = Path(p).expanduser()
        if not cand.is_absolute():
            cand = (root / cand).resolve()
        if cand.exists():
            return str(cand)
        looks_like_file = "/" in p or Path(p).suffix in (".jsonl", ".json", ".csv", ".parquet", ".yaml")
        if must_exist and looks_like_file:
            raise UserError(f"{source}: {field}: file not found: {p}")
        return p  # a hub id

    for i, st in enumerate(exp.stages):
        if st.data is not None:
            st.data.path = fix(st.data.path, f"stages.{i}.data.path")
    exp.generation.prompts.path = fix(exp.generation.prompts.path, "generation.prompts.path")
    if exp.manifest:
        exp.manifest = fix(exp.manifest, "manifest")
    if exp.checkpoints is not None and exp.checkpoints.dir:
        exp.checkpoints.dir = fix(exp.checkpoints.dir, "checkpoints.dir")
    bm = exp.base_model.name
    if "/" in bm and (bm.startswith((".", "/", "~")) or (root / bm).exists()):
        exp.base_model.name = fix(bm, "base_model.name")
    return exp


def validate_config(data: dict[str, Any], *, source: str = "config", root: Path | None = None) -> Experiment:
    """Validate a config mapping into an :class:`Experiment` (including per-algorithm params)."""
    data = {k: v for k, v in data.items() if k != "valuedrift_version"}
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as e:
        raise UserError(_format_validation_error(e, source)) from None
    _check_algorithm_params(exp, source)
    return _resolve_paths(exp, root or Path.cwd(), source)


def _check_algorithm_params(exp: Experiment, source: str) -> None:
    """Validate each stage's ``params`` with its algorithm's params model (the algorithm table)."""
    from valuedrift.config.algorithms import get_spec

    for i, st in enumerate(exp.stages):
        try:
            st.params = get_spec(st.algorithm).params.model_validate(st.params).model_dump(mode="json")
        except ValidationError as e:
            loc, msg = describe_error(e.errors()[0])
            raise UserError(f"{source}: stages.{i}.params.{loc}: {msg}") from None


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> Experiment:
    """Read, override and validate a config file (``None``: the built-in demo config; ``demo:NAME``:
    a config shipped in ``valuedrift/demo/``, e.g. ``demo:all-algorithms``)."""
    from valuedrift.demo import DEMO_CONFIG, demo_config

    if path is None:
        path = DEMO_CONFIG
    elif str(path).startswith("demo:"):
        path = demo_config(str(path))
    path = Path(path)
    data = read_yaml(path)
    data = apply_overrides(data, overrides or [])
    return validate_config(data, source=str(path), root=path.resolve().parent)


def dump_config(exp: Experiment, *, with_version: bool = True) -> str:
    """YAML text of the resolved config (every default filled in), headed by the package version."""
    from valuedrift import __version__

    data = exp.model_dump(mode="json")
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    head = (
        f"# resolved by valuedrift {__version__}\nvaluedrift_version: {__version__}\n" if with_version else ""
    )
    return head + body
