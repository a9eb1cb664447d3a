"""The package's layers: no module imports one above it in the pipeline, not even lazily.

    errors, io, tables  <  demo (shipped files)  <  config  <  models, rundir, manifest  <  data, series
        <  walk, generate, judge  <  curate, analysis  <  report  <  preflight, supersede  <  pipeline, integrations
        <  cli (and the package's own __init__ / __main__)

Imports are read from the source (every ``import`` statement, inside functions too), so a lazy import
that climbs a layer fails here as surely as a top-level one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "valuedrift"

LAYERS: list[set[str]] = [
    {"errors", "io", "tables", "__version__"},
    {"demo"},
    {"config"},
    {"models", "rundir", "manifest"},
    {"data", "series"},
    {"walk", "generate", "judge"},
    {"curate", "analysis"},
    {"report"},
    {"preflight", "supersede", "plan"},
    {"pipeline", "integrations"},
    {"cli", "__init__", "__main__"},
]
LEVEL = {name: i for i, layer in enumerate(LAYERS) for name in layer}

SIBLINGS_ALLOWED = {("judge", "generate"), ("__main__", "cli")}
"""Same-layer imports that are allowed: the hf judge shares the generator's model loading."""


def _unit(module: str) -> str:
    """``valuedrift.walk.ppo`` -> ``walk``; ``valuedrift`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "valuedrift":  # the root's __version__ is metadata, at the bottom
                out |= {f"valuedrift.{a.name}" for a in node.names}
            elif node.module.startswith("valuedrift."):
                out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("valuedrift.")}
    return out


def _edges() -> list[tuple[str, str, str]]:
    edges = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG.parent).with_suffix("")
        src = _unit(".".join(rel.parts))
        for mod in _imports(path):
            dst = _unit(mod)
            if dst != src:
                edges.append((src, dst, str(path.relative_to(PKG.parent))))
    return edges


def test_every_package_is_in_a_layer():
    units = {_unit(".".join(p.relative_to(PKG.parent).with_suffix("").parts)) for p in PKG.rglob("*.py")}
    assert units <= set(LEVEL), f"place these in LAYERS: {sorted(units - set(LEVEL))}"


def test_no_package_imports_one_above_it():
    upward = [
        f"{where}: {src} (layer {LEVEL[src]}) imports {dst} (layer {LEVEL[dst]})"
        for src, dst, where in _edges()
        if LEVEL[dst] > LEVEL[src] or (LEVEL[dst] == LEVEL[src] and (src, dst) not in SIBLINGS_ALLOWED)
    ]
    assert not upward, "\n".join(sorted(upward))


@pytest.mark.parametrize("command", [["config", "validate"], ["config", "show"]])
def test_validating_a_config_imports_no_torch(command, tmp_path):
    """``python -X importtime -m valuedrift config validate FILE`` never imports torch (or TRL)."""
    from tests.walk.conftest import pref_stage, sft_stage, write_config

    ppo = pref_stage("ppo", "ppo", params={"reward": {"type": "keyword", "positive": ["yes"]}})
    cfg = write_config(tmp_path, [sft_stage(), pref_stage("dpo", "dpo"), ppo])
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "valuedrift", *command, str(cfg)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    imported = {ln.split("|")[-1].strip().split(".")[0] for ln in proc.stderr.splitlines() if "|" in ln}
    assert "valuedrift" in imported and "pydantic" in imported  # the import log is really there
    assert not imported & {"torch", "trl", "transformers", "peft", "datasets"}, sorted(imported)
