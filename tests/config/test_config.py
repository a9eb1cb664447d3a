"""Experiment config: valid configs resolve; every kind of bad config is one line and exit code 2."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

GOOD = """
name: t
base_model: {name: tiny-random}
stages:
  - {name: sft, algorithm: sft, steps: 4, data: {path: data.jsonl}}
  - {name: dpo, algorithm: dpo, parent: sft, steps: 2, data: {path: data.jsonl}}
generation:
  sampling: {n_samples: 2, max_new_tokens: 16}
"""


@pytest.fixture()
def cfg_dir(tmp_path: Path) -> Path:
    (tmp_path / "data.jsonl").write_text('{"messages": []}\n')
    return tmp_path


def write(folder: Path, text: str) -> Path:
    p = folder / "exp.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def test_valid_config_resolves_defaults_and_paths(cfg_dir, cli):
    from valuedrift.config import load_config

    exp = load_config(write(cfg_dir, GOOD))
    assert [s.name for s in exp.stage_order()] == ["sft", "dpo"]
    assert exp.generation.sampling.temperature == 0.7  # paper default kept
    assert exp.stages[0].data.path == str((cfg_dir / "data.jsonl").resolve())
    code, _, err = cli("config", "validate", write(cfg_dir, GOOD))
    assert code == 0, err
    assert "base->sft(sft), sft->dpo(dpo)" in err


def test_show_prints_resolved_yaml_with_version(cfg_dir, cli):
    from valuedrift import __version__

    code, out, _ = cli("config", "show", write(cfg_dir, GOOD), "--set", "generation.sampling.n_samples=3")
    assert code == 0
    data = yaml.safe_load(out)
    assert data["valuedrift_version"] == __version__
    assert data["generation"]["sampling"]["n_samples"] == 3
    assert data["judge"]["backend"] == "offline"


def test_set_overrides_address_stages_by_name_and_index(cfg_dir):
    from valuedrift.config import load_config

    exp = load_config(write(cfg_dir, GOOD), ["stages.dpo.steps=7", "stages.0.batch_size=2", "seed=5"])
    assert exp.stages[1].steps == 7 and exp.stages[0].batch_size == 2 and exp.seed == 5


def test_resolved_config_round_trips(cfg_dir, tmp_path):
    from valuedrift.config import dump_config, load_config

    exp = load_config(write(cfg_dir, GOOD))
    out = tmp_path / "resolved.yaml"
    out.write_text(dump_config(exp))
    again = load_config(out)
    assert again.model_dump() == exp.model_dump()


BAD = {
    "unknown_algorithm": (
        GOOD.replace("algorithm: dpo", "algorithm: dpoo"),
        "stages.1.algorithm",
    ),
    "missing_parent": (
        GOOD.replace("parent: sft", "parent: nothere"),
        "stages.1.parent: no stage named 'nothere'",
    ),
    "cyclic_parent": (
        GOOD.replace("{name: sft, algorithm: sft,", "{name: sft, algorithm: sft, parent: dpo,"),
        "cyclic parents",
    ),
    "negative_steps": (GOOD.replace("steps: 2", "steps: -2"), "stages.1.steps"),
    "unknown_key": (GOOD.replace("n_samples: 2", "n_sample: 2"), "generation.sampling.n_sample: unknown key"),
    "malformed_yaml": ("name: t\nstages: [\n  - {name: sft\n", "malformed YAML at line"),
    "missing_file": (
        GOOD.replace("path: data.jsonl}}\n  - {name: dpo", "path: nope.jsonl}}\n  - {name: dpo"),
        "stages.0.data.path: file not found: nope.jsonl",
    ),
    "duplicate_stage": (GOOD.replace("name: dpo", "name: sft"), "used twice"),
    "stage_named_base": (
        GOOD.replace("name: dpo, algorithm: dpo, parent: sft", "name: base, algorithm: dpo"),
        "'base' is reserved for the base model (stages.1.name)",
    ),  # the index, not '{i}'
    "bad_reward_type": (
        GOOD.replace(
            "name: dpo, algorithm: dpo, parent: sft,",
            "name: ppo, algorithm: ppo, parent: sft, params: {reward: {type: rm}},",
        ),
        "stages.1.params.reward.type: 'rm' is not one of 'model', 'keyword', 'callable'",
    ),
    "bad_reward_model_key": (
        GOOD.replace(
            "name: dpo, algorithm: dpo, parent: sft,",
            "name: raft, algorithm: raft, parent: sft, params: {reward: {type: model, stepz: 3}},",
        ),
        "stages.1.params.reward.model.stepz: unknown key",
    ),  # checked at load, not in training
    "top_level_list": ("- a\n- b\n", "top level must be a mapping"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_is_one_line_exit_2(case, cfg_dir, cli):
    text, expected = BAD[case]
    code, out, err = cli("config", "validate", write(cfg_dir, text))
    assert code == 2
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error:")
    assert expected in lines[0], lines[0]
    assert "Traceback" not in err + out


def test_missing_config_file_and_bad_override(cfg_dir, cli):
    code, _, err = cli("config", "validate", cfg_dir / "absent.yaml")
    assert code == 2 and "config file not found" in err
    code, _, err = cli("config", "validate", write(cfg_dir, GOOD), "--set", "stages.9.steps=1")
    assert code == 2 and "out of range" in err
    code, _, err = cli("config", "validate", write(cfg_dir, GOOD), "--set", "nokey")
    assert code == 2 and "expected KEY=VALUE" in err


def test_cli_version_and_help(cli):
    from valuedrift import __version__

    code, out, _ = cli("--version")
    assert code == 0 and out.strip() == f"valuedrift {__version__}"
    code, out, _ = cli("--help")
    assert code == 0 and "config" in out and "models" in out
