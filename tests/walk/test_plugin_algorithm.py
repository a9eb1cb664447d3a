"""Adding an algorithm touches one place: a row in the algorithm table (valuedrift/config/algorithms.py)."""

from __future__ import annotations

import json

import pytest

from tests.walk.conftest import sft_stage, write_config
from tests.walk.toy_algorithm import ToyParams
from valuedrift.config import algorithms


@pytest.fixture()
def toy():
    # the one registration line a new algorithm needs:
    algorithms.register(
        algorithms.AlgorithmSpec("toy", "tests.walk.toy_algorithm:Toy", ToyParams, "sft", 3e-3, 3e-4, "toy")
    )
    algorithms.register(
        algorithms.AlgorithmSpec(
            "broken", "tests.walk.toy_algorithm:Broken", ToyParams, "sft", 1e-3, 1e-4, "bug"
        )
    )
    yield
    algorithms.unregister("toy")
    algorithms.unregister("broken")


def test_a_registered_toy_algorithm_validates_trains_and_is_listed(tmp_path, cli, toy):
    code, out, _ = cli("config", "algorithms")
    assert code == 0 and [ln.split()[:4] for ln in out.splitlines() if ln.startswith("toy ")] == [
        ["toy", "sft", "3e-03", "3e-04"]
    ]
    stage = sft_stage(name="t", algorithm="toy", steps=2, save={"every": 1}, params={"scale": 2.0})
    cfg = write_config(tmp_path, [stage])
    code, out, err = cli("config", "show", cfg)
    assert code == 0, err
    assert "algorithm: toy" in out and "scale: 2.0" in out
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 0, err
    manifest = json.loads((tmp_path / "run" / "checkpoints_manifest.json").read_text())
    toy_entries = [c for c in manifest["checkpoints"] if c["stage"] == "t"]
    assert [c["algorithm"] for c in toy_entries] == ["toy"] * 3
    assert len({c["sha256"] for c in toy_entries}) == 3  # step 0 (the base), 1 and 2 all differ
    logged = [json.loads(ln) for ln in (tmp_path / "run" / "logs" / "t.jsonl").read_text().splitlines()]
    assert [m["learning_rate"] for m in logged] == [3e-3, 3e-3]  # the table's LoRA default
    assert [m["scale"] for m in logged] == [2.0, 2.0]


def test_a_plugin_algorithms_params_are_validated_at_load_time(tmp_path, cli, toy):
    cfg = write_config(tmp_path, [sft_stage(algorithm="toy", params={"scale": -1})])
    code, _, err = cli("config", "validate", cfg)
    assert code == 2 and "stages.0.params.scale" in err and "greater than 0" in err, err
    cfg = write_config(tmp_path, [sft_stage(algorithm="toy", params={"sclae": 1})])
    code, _, err = cli("config", "validate", cfg)
    assert code == 2 and "stages.0.params.sclae: unknown key" in err, err


def test_an_unknown_algorithm_names_the_table(tmp_path, cli):
    cfg = write_config(tmp_path, [sft_stage(algorithm="orpo")])
    code, _, err = cli("config", "validate", cfg)
    assert code == 2 and "stages.0.algorithm: unknown algorithm 'orpo' (one of: sft, dpo," in err, err


def test_a_bug_in_a_stage_keeps_its_traceback_and_is_not_bad_input(tmp_path, cli, toy):
    """Only user errors exit 2; a bug propagates (exit 1 with its traceback) and is saved in logs/."""
    stages = [
        sft_stage(name="ok", algorithm="toy", steps=1),
        sft_stage(name="bug", algorithm="broken", parent="ok"),
    ]
    cfg = write_config(tmp_path, stages)
    with pytest.raises(KeyError, match="a key the author forgot"):
        cli("train", cfg, "--out", tmp_path / "run")
    assert (tmp_path / "run" / "checkpoints" / "ok" / "step-1").is_dir()  # finished work is kept
    assert "KeyError" in (tmp_path / "run" / "logs" / "bug.error.txt").read_text()
