"""UNA stages on the tiny model: each variant trains through the walker and moves r_θ as its loss asks.

r_θ(x, y) = β (log π_θ(y|x) − log π_ref(y|x)) is measured with the same chat formatting the stage
trains on (``walk/rollout.py``), between a checkpoint and the stage's starting model.
"""

from __future__ import annotations

import json

from tests.walk.conftest import FIXTURES, load_checkpoint, write_config
from valuedrift.manifest import load_manifest

BETA = 0.1


def una_stage(name: str, **params) -> dict:
    return {"name": name, "algorithm": "una", "steps": 8, "batch_size": 4, "learning_rate": 1e-2,
            "data": {"path": str(FIXTURES / "pairs.jsonl")}, "save": {"every": 4},
            "params": {"beta": BETA, **params}}  # fmt: skip


def implicit_rewards(entry: dict, base: str, prompts: list[str], completions: list[str]) -> list[float]:
    """β (log π_ckpt − log π_base) of each (prompt, completion)."""
    import torch

    from valuedrift.models import load_model, load_tokenizer
    from valuedrift.walk.rollout import completion_logps, encode

    model, _ = load_checkpoint(entry)
    ref, tok = load_model(base).eval(), load_tokenizer(base)
    batch = encode(tok, prompts, completions, 256)
    with torch.no_grad():
        return (BETA * (completion_logps(model, batch) - completion_logps(ref, batch))).tolist()


def train(cli, tmp_path, stages) -> dict[str, dict]:
    code, _, err = cli("train", write_config(tmp_path, stages), "--out", tmp_path / "run")
    assert code == 0, err
    man = load_manifest(tmp_path / "run" / "checkpoints_manifest.json")
    return {c["id"]: c for c in man["checkpoints"]}


def test_una_binary_puts_thumbs_up_rewards_above_thumbs_down(tmp_path, cli, pairs, tiny_model):
    by_id = train(cli, tmp_path, [una_stage("una", variant="binary")])
    assert [i for i in by_id if i.startswith("una/")] == ["una/step-0", "una/step-4", "una/step-8"]
    assert all(by_id[i]["algorithm"] == "una" for i in ("una/step-4", "una/step-8"))
    prompts = [p["prompt"] for p in pairs]
    up = implicit_rewards(by_id["una/step-8"], tiny_model, prompts, [p["chosen"] for p in pairs])
    down = implicit_rewards(by_id["una/step-8"], tiny_model, prompts, [p["rejected"] for p in pairs])
    mean_up, mean_down = sum(up) / len(up), sum(down) / len(down)
    print(f"UNA-binary r_θ: thumbs-up {mean_up:.3f}, thumbs-down {mean_down:.3f}")
    assert mean_up > 0 > mean_down  # σ(r_θ) pulled towards 1 for thumbs-up and towards 0 for thumbs-down
    assert sum(u > d for u, d in zip(up, down, strict=True)) >= 0.9 * len(pairs)


def test_una_score_lowers_the_squared_error_to_the_target_scores(tmp_path, cli, pairs, tiny_model):
    scored = tmp_path / "scored.jsonl"
    rows = [{"prompt": p["prompt"], "completion": c, "score": s}
            for i, p in enumerate(pairs) for c, s in ((p["chosen"], 0.2 + 0.03 * i), (p["rejected"], 0.1))]  # fmt: skip
    scored.write_text("".join(json.dumps(r) + "\n" for r in rows))
    stage = una_stage("una", variant="score") | {"data": {"path": str(scored)}}
    by_id = train(cli, tmp_path, [stage])

    def mse(entry):
        r = implicit_rewards(entry, tiny_model, [x["prompt"] for x in rows], [x["completion"] for x in rows])
        return sum((a - x["score"]) ** 2 for a, x in zip(r, rows, strict=True)) / len(rows)

    before, after = mse(by_id["una/step-0"]), mse(by_id["una/step-8"])
    print(f"UNA-score MSE(r_θ, r_φ): {before:.4f} -> {after:.4f}")
    assert after < 0.5 * before


def test_una_online_samples_scores_and_trains(tmp_path, cli):
    stage = una_stage("una", variant="online", num_samples=2, max_new_tokens=8,
                      reward={"type": "keyword", "positive": ["e"], "match": "substring", "normalise": "chars"})  # fmt: skip
    stage |= {"steps": 2, "batch_size": 2, "save": {"every": 1}}
    by_id = train(cli, tmp_path, [stage])
    assert {"una/step-1", "una/step-2"} <= set(by_id)
    assert by_id["una/step-1"]["sha256"] != by_id["una/step-2"]["sha256"]
    logged = [json.loads(line) for line in (tmp_path / "run" / "logs" / "una.jsonl").read_text().splitlines()]
    steps = [m for m in logged if "mse" in m]
    assert [m["step"] for m in steps] == [1, 2]
    assert all(0 <= m["explicit_reward"] <= 1 for m in steps)  # the keyword reward, a share of characters


def test_una_score_rejects_scores_outside_0_1_naming_the_line(tmp_path, cli, pairs):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "q", "completion": "a", "score": 0.5}) + "\n"
                   + json.dumps({"prompt": "q", "completion": "b", "score": 3}) + "\n")  # fmt: skip
    stage = una_stage("una", variant="score") | {"data": {"path": str(bad)}}
    code, _, err = cli("train", write_config(tmp_path, [stage]), "--out", tmp_path / "run")
    assert code == 2
    assert "line 2" in err and "'score' must be a number in [0, 1]" in err and "Traceback" not in err


def test_una_unknown_variant_is_a_config_error(tmp_path, cli):
    code, _, err = cli(
        "train", write_config(tmp_path, [una_stage("una", variant="triple")]), "--out", tmp_path / "r"
    )
    assert code == 2 and "variant" in err and "Traceback" not in err


def test_una_score_without_a_score_column_scores_the_data_with_the_reward(tmp_path, cli, monkeypatch):
    """Pairs data + ``params.reward``: each answer is scored once by r_φ (here: the share of "support")."""
    seen: list[int] = []
    import valuedrift.walk.una as una

    real = una._transform
    monkeypatch.setattr(una, "_transform", lambda v, how: seen.append(len(v)) or real(v, how))
    reward = {"type": "keyword", "positive": ["support"], "normalise": "words"}
    stage = una_stage("una", variant="score", reward=reward, reward_transform="sigmoid")
    stage |= {"steps": 2, "save": {"every": 2}}
    by_id = train(cli, tmp_path, [stage])
    assert "una/step-2" in by_id
    assert seen == [48]  # 24 pairs unpaired into 48 scored answers, scored once
    logged = [json.loads(line) for line in (tmp_path / "run" / "logs" / "una.jsonl").read_text().splitlines()]
    assert logged[0]["mse"] > 0.25  # targets σ(r_φ) ≥ 0.5 against r_θ = 0 at the start
