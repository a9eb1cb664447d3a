"""GRPO (TRL's GRPOTrainer) as a walker stage: trains a few steps, writes checkpoints and manifest entries."""

from __future__ import annotations

import json

import pytest

from tests.walk.conftest import FIXTURES, write_config
from valuedrift.manifest import load_manifest

E_REWARD = {"type": "keyword", "positive": ["e"], "match": "substring", "normalise": "chars"}


def group_stage(algorithm: str, **params) -> dict:
    return {"name": algorithm, "algorithm": algorithm, "steps": 2, "batch_size": 2, "learning_rate": 1e-2,
            "data": {"path": str(FIXTURES / "pairs.jsonl")}, "save": {"every": 1},
            "params": {"num_generations": 2, "max_new_tokens": 8, "reward": E_REWARD, **params}}  # fmt: skip


def check_group_stage(tmp_path, cli, algorithm: str, mode: str) -> list[dict]:
    """Train the stage; check the manifest and return the per-step metrics TRL logged."""
    cfg = write_config(tmp_path, [group_stage(algorithm, beta=0.05)], finetune={"mode": mode})
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 0, err
    man = load_manifest(tmp_path / "run" / "checkpoints_manifest.json")
    by_id = {c["id"]: c for c in man["checkpoints"]}
    assert [i for i in by_id if i.startswith(f"{algorithm}/")] == [f"{algorithm}/step-{s}" for s in (0, 1, 2)]
    for s in (1, 2):
        entry = by_id[f"{algorithm}/step-{s}"]
        assert entry["algorithm"] == algorithm and entry["adapter"] == (mode == "lora")
        assert entry["progress"] == s / 2
    assert by_id[f"{algorithm}/step-1"]["sha256"] != by_id[f"{algorithm}/step-2"]["sha256"]
    logs = tmp_path / "run" / "logs" / f"{algorithm}.jsonl"
    steps = [m for m in map(json.loads, logs.read_text().splitlines()) if "reward" in m]
    assert [m["step"] for m in steps] == [1, 2]
    assert all(0 <= m["reward"] <= 1 for m in steps)  # our keyword reward, through TRL's reward plumbing
    assert steps[0]["kl"] == pytest.approx(0.0, abs=1e-6)  # π_θ = π_ref before the first update
    assert steps[1]["kl"] > 0
    return steps


@pytest.mark.parametrize("mode", ["lora", "full"])
def test_grpo_stage_trains_and_records_checkpoints(tmp_path, cli, mode):
    check_group_stage(tmp_path, cli, "grpo", mode)
