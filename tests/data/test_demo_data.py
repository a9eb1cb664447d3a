"""Shipped demo data: sizes, stance mix, matched pairs, disjoint from the evaluation prompts."""

from __future__ import annotations

import json
from collections import Counter

from valuedrift.config.schema import DataConfig, PromptsConfig
from valuedrift.data.contamination import check_contamination, training_texts
from valuedrift.data.loaders import load_preference_dataset, load_prompts, load_sft_dataset
from valuedrift.demo import DATA_DIR


def rows(name):
    return [json.loads(line) for line in (DATA_DIR / name).read_text().splitlines()]


def test_files_are_rebuilt_exactly_by_the_builder(tmp_path):
    from valuedrift.data.demo_build import write

    write(tmp_path)
    for name in ("sft.jsonl", "value_gap_support.jsonl", "value_gap_oppose.jsonl", "stance_matched.jsonl"):
        assert (tmp_path / name).read_text() == (DATA_DIR / name).read_text(), name


def test_sizes_and_documented_stance_mix():
    sft = rows("sft.jsonl")
    assert len(sft) >= 300
    assert Counter(r["stance"] for r in sft) == {"support": 225, "none": 75}
    assert len(load_sft_dataset(DataConfig(path="demo:sft.jsonl"))) == len(sft)
    for name, chosen in (("value_gap_support.jsonl", "support"), ("value_gap_oppose.jsonl", "oppose")):
        pairs = rows(name)
        assert len(pairs) >= 300
        assert {r["chosen_stance"] for r in pairs} == {chosen}
        assert len(load_preference_dataset(DataConfig(path=f"demo:{name}"))) == len(pairs)
    assert len({r["category"] for r in rows("value_gap_support.jsonl")}) == 11


def test_value_gap_pairs_differ_in_stance_but_match_in_length():
    for r in rows("value_gap_oppose.jsonl"):
        a, b = len(r["chosen"].split()), len(r["rejected"].split())
        assert r["chosen"] != r["rejected"]
        assert abs(a - b) <= max(6, 0.35 * max(a, b)), r
    support = {r["prompt"]: (r["chosen"], r["rejected"]) for r in rows("value_gap_support.jsonl")}
    for r in rows("value_gap_oppose.jsonl"):
        assert support[r["prompt"]] == (r["rejected"], r["chosen"])  # the same pairs, swapped


def test_demo_data_is_disjoint_from_evaluation_prompts_and_the_check_catches_a_plant():
    questions = load_prompts(PromptsConfig())["question"].tolist()
    for name in ("sft.jsonl", "value_gap_oppose.jsonl"):
        texts = training_texts(DataConfig(path=f"demo:{name}"))
        assert check_contamination(questions, texts).empty, name
    planted = [*texts, "I wonder: " + questions[17].lower()]
    hits = check_contamination(questions, planted)
    assert (
        len(hits) == 1 and hits.iloc[0]["eval"] == questions[17] and hits.iloc[0]["train_index"] == len(texts)
    )
