"""RAFT on the tiny model: best-of-K selection, and the reward of its own samples rising over iterations."""

from __future__ import annotations

import json

from tests.walk.conftest import FIXTURES, write_config
from valuedrift.manifest import load_manifest
from valuedrift.walk.raft import best_of_k

# share of the letter "e" in a completion: a programmatic reward a random tiny model starts low on
E_REWARD = {"type": "keyword", "positive": ["e"], "match": "substring", "normalise": "chars"}


def raft_stage(**kw) -> dict:
    return {"name": "raft", "algorithm": "raft", "steps": 8, "batch_size": 4, "learning_rate": 2e-2,
            "data": {"path": str(FIXTURES / "pairs.jsonl")}, "save": {"every": 4},
            "params": {"k": 6, "max_new_tokens": 16, "reward": E_REWARD}} | kw  # fmt: skip


def test_best_of_k_picks_the_highest_score_per_group():
    assert best_of_k([0.1, 0.5, 0.3, 0.9, 0.2, 0.9], 3) == [1, 0]  # ties: the first
    assert best_of_k([-2.0, -1.0], 1) == [0, 0]


def test_raft_raises_the_mean_reward_of_its_samples(tmp_path, cli):
    cfg = write_config(tmp_path, [raft_stage()], finetune={"mode": "full"})
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 0, err
    by_id = {c["id"]: c for c in load_manifest(tmp_path / "run" / "checkpoints_manifest.json")["checkpoints"]}
    assert [i for i in by_id if i.startswith("raft/")] == ["raft/step-0", "raft/step-4", "raft/step-8"]
    assert by_id["raft/step-8"]["algorithm"] == "raft" and not by_id["raft/step-8"]["adapter"]
    logged = [
        json.loads(line) for line in (tmp_path / "run" / "logs" / "raft.jsonl").read_text().splitlines()
    ]
    reward = [m["reward_mean"] for m in logged]
    assert len(reward) == 8
    assert all(m["reward_best"] >= m["reward_mean"] for m in logged)  # best-of-K is at least the mean
    first, last = sum(reward[:3]) / 3, sum(reward[-3:]) / 3
    print(f"RAFT mean sample reward: iterations 1-3 {first:.3f}, iterations 6-8 {last:.3f}")
    assert last > 1.4 * first  # seeds 0 and 1 measured 1.8x


def test_raft_with_kl_regularised_reward_trains_lora_checkpoints(tmp_path, cli):
    stage = raft_stage(steps=2, save={"every": 1})
    stage["params"] |= {"kl_beta": 0.5, "k": 3, "max_new_tokens": 8, "steps_per_iteration": 2}
    code, _, err = cli("train", write_config(tmp_path, [stage]), "--out", tmp_path / "run")
    assert code == 0, err
    by_id = {c["id"]: c for c in load_manifest(tmp_path / "run" / "checkpoints_manifest.json")["checkpoints"]}
    assert (
        by_id["raft/step-2"]["adapter"] and by_id["raft/step-1"]["sha256"] != by_id["raft/step-2"]["sha256"]
    )
    logged = [
        json.loads(line) for line in (tmp_path / "run" / "logs" / "raft.jsonl").read_text().splitlines()
    ]
    assert logged[0]["reward_mean"] == logged[1]["reward_mean"]  # one iteration: one sampled set, two steps


def test_raft_bad_reward_spec_is_one_line_exit_2(tmp_path, cli):
    stage = raft_stage(steps=1)
    stage["params"]["reward"] = {"type": "telepathy"}
    code, _, err = cli("train", write_config(tmp_path, [stage]), "--out", tmp_path / "run")
    assert code == 2 and "reward.type" in err and "Traceback" not in err
