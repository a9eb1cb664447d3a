"""PPO (walk/ppo.py) on the tiny model: it learns a programmatic reward, β anchors it to π_ref, and a
PPO stage after SFT (reward model, LoRA) checkpoints, records and resumes like the other stages."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.walk.conftest import FIXTURES, pref_stage, sft_stage, write_config
from valuedrift.io import sha256_weights
from valuedrift.manifest import load_manifest

# fraction of characters that are "e", × 10: the tiny random model's byte-level tokens contain "e" in
# about one token in ten, so a policy that favours them raises this reward within ~20 PPO steps.
E_REWARD = {"type": "keyword", "words": ["e"], "match": "substring", "normalise": "chars", "scale": 10}


def _ppo_stage(name: str, kl_coef: float, **kw) -> dict:
    params = {"reward": E_REWARD, "kl_coef": kl_coef, "max_new_tokens": 16, "ppo_epochs": 2}
    return {"name": name, "algorithm": "ppo", "steps": 20, "batch_size": 8, "learning_rate": 1e-2,
            "data": {"path": str(FIXTURES / "pairs.jsonl")}, "save": {"every": 20}, "params": params} | kw  # fmt: skip


def _log(run, stage: str) -> list[dict]:
    return [json.loads(line) for line in (run / "logs" / f"{stage}.jsonl").read_text().splitlines()]


def _manifest(run) -> dict[str, dict]:
    return {c["id"]: c for c in load_manifest(run / "checkpoints_manifest.json")["checkpoints"]}


@pytest.fixture(scope="module")
def kl_runs(tmp_path_factory):
    """Two full fine-tuning PPO branches from the base model on the "e" reward: β = 0.01 and β = 1."""
    from valuedrift.cli.main import main

    tmp = tmp_path_factory.mktemp("ppo_kl")
    cfg = write_config(tmp, [_ppo_stage("loose", 0.01), _ppo_stage("tight", 1.0)], finetune={"mode": "full"})
    assert main([str(a) for a in ("train", cfg, "--out", tmp / "run")]) == 0
    return tmp / "run"


def test_ppo_raises_a_keyword_reward(kl_runs):
    log = _log(kl_runs, "loose")
    assert [m["step"] for m in log] == list(range(1, 21))
    for key in ("reward", "kl", "entropy", "policy_loss", "value_loss", "kl_coef"):
        assert all(isinstance(m[key], float) for m in log), key
    first = sum(m["reward"] for m in log[:3]) / 3
    last = sum(m["reward"] for m in log[-3:]) / 3
    assert last > first + 0.8 and last > 1.5 * first, (first, last)
    assert log[-1]["entropy"] < log[0]["entropy"]  # the policy concentrates on "e" tokens


def test_a_large_kl_coefficient_keeps_ppo_close_to_the_reference(kl_runs):
    loose, tight = _log(kl_runs, "loose"), _log(kl_runs, "tight")
    assert {m["kl_coef"] for m in tight} == {1.0}  # fixed controller
    kl_loose = sum(m["kl"] for m in loose[-5:]) / 5
    kl_tight = sum(m["kl"] for m in tight[-5:]) / 5
    assert kl_tight < 0.5 * kl_loose and kl_loose > 2.0, (kl_tight, kl_loose)
    man = _manifest(kl_runs)
    assert man["tight/step-20"]["sha256"] != man["loose/step-20"]["sha256"] != man["base/step-0"]["sha256"]


def test_ppo_stage_after_sft_with_a_reward_model_checkpoints_and_resumes(tmp_path, cli):
    """SFT → PPO (LoRA, default reward model): manifest entries, value head, cached reward model, and a
    resume from step 1 that ends with the uninterrupted run's weights (value head, β, AdamW restored)."""
    ppo = pref_stage("ppo", "ppo", steps=2, batch_size=4, learning_rate=1e-2,
                     params={"max_new_tokens": 8, "adaptive_kl": True, "target_kl": 0.01, "kl_horizon": 8,
                             "reward": {"type": "model", "reward_steps": 4}})  # fmt: skip
    cfg = write_config(tmp_path, [sft_stage(steps=2, save={"every": 2}), ppo])
    code, _, err = cli("train", cfg, "--out", tmp_path / "ref")
    assert code == 0, err
    ref = tmp_path / "ref"
    man = _manifest(ref)
    assert [i for i in man if i.startswith("ppo/")] == ["ppo/step-0", "ppo/step-1", "ppo/step-2"]
    assert (
        man["ppo/step-0"]["parent"] == "sft/step-2" and man["ppo/step-0"]["path"] == man["sft/step-2"]["path"]
    )
    for step in (1, 2):
        entry = man[f"ppo/step-{step}"]
        assert entry["algorithm"] == "ppo" and entry["adapter"] and entry["progress"] == step / 2
        assert entry["sha256"] == sha256_weights(entry["path"])
        folder = ref / "checkpoints" / "ppo" / f"step-{step}"
        assert (folder / "value_head.safetensors").exists() and (folder / "optimizer.safetensors").exists()
    assert man["ppo/step-1"]["sha256"] != man["ppo/step-2"]["sha256"]
    log = _log(ref, "ppo")
    assert log[1]["kl_coef"] != log[0]["kl_coef"]  # the adaptive controller moved β
    (reward_dir,) = (ref / "checkpoints" / "_reward").iterdir()  # one model, keyed by its settings
    meta = json.loads((reward_dir / "reward_meta.json").read_text())
    assert meta["steps"] == 4 and meta["stage"] == "ppo" and (reward_dir / "model.safetensors").exists()

    # resume: the run as a kill right after ppo/step-1 leaves it (no step-2, no manifest)
    shutil.copytree(ref, tmp_path / "resumed")
    shutil.rmtree(tmp_path / "resumed" / "checkpoints" / "ppo" / "step-2")
    (tmp_path / "resumed" / "checkpoints_manifest.json").unlink()
    resumed_reward = tmp_path / "resumed" / "checkpoints" / "_reward" / reward_dir.name / "model.safetensors"
    mtime = resumed_reward.stat().st_mtime_ns
    code, _, err = cli("train", cfg, "--out", tmp_path / "resumed")
    assert code == 0, err
    resumed = _manifest(tmp_path / "resumed")
    assert resumed["ppo/step-2"]["sha256"] == man["ppo/step-2"]["sha256"]
    assert _log(tmp_path / "resumed", "ppo")[-1] == log[-1]
    # the reward model was reused, not retrained
    assert resumed_reward.stat().st_mtime_ns == mtime


def test_sibling_stages_with_the_same_reward_spec_share_one_reward_model(tmp_path, cli):
    """PPO and RAFT from the same SFT checkpoint, same reward spec: the reward model is trained once."""
    reward = {"type": "model", "reward_steps": 3}
    ppo = pref_stage("ppo", "ppo", steps=1, batch_size=2, params={"max_new_tokens": 4, "reward": reward})
    raft = pref_stage("raft", "raft", steps=1, batch_size=2,
                      params={"k": 2, "max_new_tokens": 4, "reward": reward})  # fmt: skip
    other = pref_stage("raft2", "raft", steps=1, batch_size=2,
                       params={"k": 2, "max_new_tokens": 4, "reward": reward | {"reward_steps": 2}})  # fmt: skip
    cfg = write_config(tmp_path, [sft_stage(steps=2, save={"every": 2}), ppo, raft, other])
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 0, err
    folders = sorted((tmp_path / "run" / "checkpoints" / "_reward").iterdir())
    metas = [json.loads((f / "reward_meta.json").read_text()) for f in folders]
    assert sorted((m["stage"], m["steps"]) for m in metas) == [("ppo", 3), ("raft2", 2)]
    assert {m["key"] for m in metas} == {f.name for f in folders}
