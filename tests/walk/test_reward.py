"""Rewards: the keyword and callable specs, and a reward model trained with TRL's RewardTrainer."""

from __future__ import annotations

import json

import pytest

from valuedrift.errors import UserError
from valuedrift.walk.reward import RewardModel, build_reward, train_reward_model


def test_keyword_reward_counts_words_and_avoided_words_scaled():
    fn = build_reward({"type": "keyword", "words": ["support"], "avoid": ["oppose", "bad"], "scale": 2.0})
    scores = fn(["q"] * 3, ["I support it, SUPPORT!", "I oppose it; bad.", "Nothing here at all"])
    # (2 − 0)/4 words · 2 = 1.0; (0 − 2)/4 · 2 = −1.0; 0
    assert scores == pytest.approx([1.0, -1.0, 0.0])
    raw = build_reward({"type": "keyword", "words": "e", "match": "substring", "normalise": "none"})
    assert raw(["q"], ["eel tree"]) == [4.0]


def test_callable_reward_by_dotted_path():
    fn = build_reward(
        {"type": "callable", "path": "tests.walk.test_reward:length_reward", "kwargs": {"k": 3}}
    )
    assert fn(["a", "b"], ["xy", "xyz"]) == [6.0, 9.0]
    assert build_reward("tests.walk.test_reward:length_reward")(["a"], ["xy"]) == [2.0]


def length_reward(prompts, completions, k=1):
    return [float(k * len(c)) for c in completions]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "nope"}, "reward.type"),
        ({"type": "keyword", "words": ["a"], "bogus": 1}, "unknown key"),
        ({"type": "keyword", "words": ["a"], "positive": ["b"]}, "not both"),
        ({"type": "keyword"}, "needs"),
        ({"type": "callable", "path": "no_colon"}, "pkg.module:function"),
        ({"type": "callable", "path": "valuedrift_no_such_module:f"}, "cannot import"),
        ({"type": "callable", "path": "valuedrift.io:no_such_function"}, "no function"),
        ({"type": "model"}, "stage context"),
    ],
)
def test_bad_reward_specs_are_one_line_user_errors(spec, message):
    with pytest.raises(UserError, match=message):
        build_reward(spec)


def test_reward_model_learns_to_prefer_chosen_over_rejected(tiny_model, pairs, tmp_path):
    """TRL's RewardTrainer on the preference pairs: chosen outscores rejected more often after training."""
    rm = train_reward_model(tiny_model, pairs, tmp_path / "rm", steps=12, batch_size=8, learning_rate=1e-3)
    meta = json.loads((tmp_path / "rm" / "reward_meta.json").read_text())
    assert meta["accuracy_after"] > meta["accuracy_before"] + 0.2, meta
    assert meta["accuracy_after"] >= 0.8, meta
    # the saved folder is plain safetensors and scores exactly as the in-memory model
    assert (tmp_path / "rm" / "model.safetensors").exists()
    assert not [p for p in (tmp_path / "rm").rglob("*") if p.suffix in (".bin", ".pt", ".pkl")]
    loaded = RewardModel.load(tmp_path / "rm")
    assert loaded.accuracy(pairs) == pytest.approx(meta["accuracy_after"])
    some = pairs[:4]
    assert loaded([p["prompt"] for p in some], [p["chosen"] for p in some]) == pytest.approx(
        rm([p["prompt"] for p in some], [p["chosen"] for p in some]), abs=1e-5
    )


def test_reward_model_with_no_pair_within_max_length_is_a_user_error(tiny_model, pairs, tmp_path):
    with pytest.raises(UserError, match=r"every preference pair is longer than max_length=8 tokens"):
        train_reward_model(tiny_model, pairs, tmp_path / "rm", steps=1, max_length=8)
    assert not (tmp_path / "rm").exists()
