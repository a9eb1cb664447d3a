"""RLOO (TRL's RLOOTrainer) as a walker stage: trains a few steps, writes checkpoints and manifest entries."""

from __future__ import annotations

from tests.walk.conftest import write_config
from tests.walk.test_grpo import check_group_stage, group_stage


def test_rloo_stage_trains_and_records_checkpoints(tmp_path, cli):
    check_group_stage(tmp_path, cli, "rloo", "lora")


def test_rloo_rejects_a_group_of_one(tmp_path, cli):
    cfg = write_config(tmp_path, [group_stage("rloo", num_generations=1)])
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 2 and "num_generations" in err and "Traceback" not in err
