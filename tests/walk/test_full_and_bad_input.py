"""Full fine-tuning (optimizer state, resume), hand-written manifests, and bad input to the walker."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.walk.conftest import FIXTURES, pref_stage, sft_stage, write_config
from valuedrift.errors import UserError
from valuedrift.manifest import load_manifest

EXAMPLES = Path(__file__).resolve().parents[2] / "checkpoints_manifest" / "examples"


def _manifest(run: Path) -> dict[str, dict]:
    return {c["id"]: c for c in load_manifest(run / "checkpoints_manifest.json")["checkpoints"]}


def test_full_finetune_resumes_with_its_optimizer_state(tmp_path, cli):
    """A full fine-tuning stage saved at step 2 and resumed ends with the uninterrupted run's weights.

    The resume is simulated by copying the uninterrupted run's step-2 folder into a fresh run
    directory (what a SIGKILL right after that checkpoint leaves on disk). Without the saved AdamW
    moments the resumed weights differ, which shows the optimizer state is what makes them equal.
    """
    cfg = write_config(tmp_path, [sft_stage(steps=4, save={"every": 2})], finetune={"mode": "full"})
    code, _, err = cli("train", cfg, "--out", tmp_path / "ref")
    assert code == 0, err
    ref = _manifest(tmp_path / "ref")
    step2 = tmp_path / "ref" / "checkpoints" / "sft" / "step-2"
    assert not ref["sft/step-4"]["adapter"] and "base" not in ref["sft/step-4"]
    assert (step2 / "optimizer.safetensors").exists() and (step2 / "optimizer.json").exists()
    assert not [p for p in (tmp_path / "ref").rglob("*") if p.suffix in (".bin", ".pt", ".pth", ".pkl")]
    assert ref["sft/step-4"]["sha256"] != ref["sft/step-2"]["sha256"] != ref["base/step-0"]["sha256"]

    for name, keep_optimizer in (("resumed", True), ("no_optimizer", False)):
        dest = tmp_path / name / "checkpoints" / "sft" / "step-2"
        shutil.copytree(step2, dest)
        if not keep_optimizer:
            (dest / "optimizer.safetensors").unlink()
            (dest / "optimizer.json").unlink()
        code, _, err = cli("train", cfg, "--out", tmp_path / name)
        assert code == 0, err
    resumed, cold = _manifest(tmp_path / "resumed"), _manifest(tmp_path / "no_optimizer")
    assert resumed["sft/step-2"]["sha256"] == ref["sft/step-2"]["sha256"]
    assert resumed["sft/step-4"]["sha256"] == ref["sft/step-4"]["sha256"]
    assert cold["sft/step-4"]["sha256"] != ref["sft/step-4"]["sha256"]


def test_bad_data_of_a_later_stage_is_one_line_before_anything_trains(tmp_path, cli):
    """The preflight reads every stage's data first: a broken file of the second stage stops the run
    before the first stage trains; fixing it and re-running trains everything."""
    bad = tmp_path / "empty.jsonl"
    bad.write_text("")
    stages = [
        sft_stage(steps=2, save={"every": 2}),
        pref_stage("mid", "sft", data={"path": str(bad)}),
        pref_stage("child", "dpo", parent="mid"),
    ]
    cfg = write_config(tmp_path, stages)
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 2, err
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "no rows" in errors[0], err
    assert "Traceback" not in err
    assert not (tmp_path / "run" / "checkpoints").exists()
    bad.write_text((FIXTURES / "sft.jsonl").read_text())
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 0, err
    man = _manifest(tmp_path / "run")
    assert man["child/step-0"]["parent"] == "mid/step-2" and "child/step-2" in man


def test_preference_data_missing_a_column_is_one_line(tmp_path, cli):
    bad = tmp_path / "pairs.jsonl"
    bad.write_text('{"prompt": "Should we?", "chosen": "Yes."}\n' * 4)
    data = {"path": str(bad), "format": "pairs"}
    cfg = write_config(tmp_path, [pref_stage("dpo", "dpo", parent="base", data=data)])
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 2, err
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "pairs.jsonl: no usable row for preference pairs" in errors[0], err
    assert "Traceback" not in err


def test_unknown_data_format_is_rejected_by_the_config(tmp_path, cli):
    cfg = write_config(tmp_path, [sft_stage(data={"path": str(FIXTURES / "sft.jsonl"), "format": "xml"})])
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 2, err
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "format" in errors[0], err
    assert not (tmp_path / "run" / "checkpoints_manifest.json").exists()


def test_hand_written_manifest_loads_like_a_trained_one(tmp_path):
    """Hub series (hub-id@revision) and local relative folders both load through load_manifest."""
    hub = load_manifest(EXAMPLES / "olmo-intermediate.json")
    assert {c["path"].split("@")[1] for c in hub["checkpoints"]} <= {"main", "step1000"}
    (tmp_path / "ckpt" / "a").mkdir(parents=True)
    local = {
        "run": "mine",
        "base_model": "ckpt/a",
        "checkpoints": [
            {"id": "base/step-0", "stage": "base", "algorithm": "base", "step": 0, "total_steps": 0,
             "progress": 0.0, "path": "ckpt/a", "parent": None, "adapter": False, "sha256": None},
            {"id": "sft/step-0", "stage": "sft", "algorithm": "sft", "step": 0, "total_steps": 10,
             "progress": 0.0, "path": "ckpt/a", "parent": "base/step-0", "adapter": False, "sha256": None},
        ],
    }  # fmt: skip
    (tmp_path / "m.json").write_text(json.dumps(local))
    man = load_manifest(tmp_path / "m.json")
    assert man["checkpoints"][1]["path"] == str((tmp_path / "ckpt" / "a").resolve())

    local["checkpoints"][1]["progress"] = 1.5
    (tmp_path / "bad.json").write_text(json.dumps(local))
    with pytest.raises(UserError, match=r"checkpoints\.1\.progress"):
        load_manifest(tmp_path / "bad.json")
    local["checkpoints"][1]["progress"] = 0.0
    local["checkpoints"][1]["parent"] = "nowhere/step-3"
    (tmp_path / "bad.json").write_text(json.dumps(local))
    with pytest.raises(UserError, match="not in the manifest"):
        load_manifest(tmp_path / "bad.json")


def test_hand_written_manifest_of_an_external_algorithm_is_accepted(tmp_path):
    """The manifest's ``algorithm`` is a free string: an ORPO series nobody trained here loads as is,
    and the one schema file is the one the package ships."""
    from valuedrift.manifest import SCHEMA

    assert SCHEMA.parent.name == "valuedrift" and SCHEMA.exists()
    manifest = {"run": "orpo-series", "base_model": "org/base@main", "checkpoints": [
        {"id": "base/step-0", "stage": "base", "algorithm": "base", "step": 0, "total_steps": 0,
         "progress": 0.0, "path": "org/base@main", "parent": None, "adapter": False},
        {"id": "orpo/step-500", "stage": "orpo", "algorithm": "orpo", "step": 500, "total_steps": 1000,
         "progress": 0.5, "path": "org/orpo@step-500", "parent": "base/step-0", "adapter": False},
    ]}  # fmt: skip
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    assert [c["algorithm"] for c in load_manifest(tmp_path / "m.json")["checkpoints"]] == ["base", "orpo"]
    manifest["checkpoints"][1]["algorithm"] = ""
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError, match=r"checkpoints\.1\.algorithm"):
        load_manifest(tmp_path / "m.json")
