"""Shipped demo data: sizes, stance mix, matched pairs, disjoint from the evaluation prompts."""

from __future__ import annotations

import json
from collections import Counter

from valuedrift.config.schema import DataConfig, PromptsConfig
from valuedrift.curate.contamination import check_contamination, training_texts
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


def test_answers_are_varied_prose_not_sentence_templates():
    """Each value-gap answer is written out in full: no reasoning sentence recurs across answers, and
    the answers are 30–60 words (short enough for fast CPU training)."""
    import re

    pairs = rows("value_gap_support.jsonl")
    answers = [r[k] for r in pairs for k in ("chosen", "rejected")]
    assert len(set(answers)) == len(answers) == 2 * len(pairs)
    assert len({r["prompt"] for r in pairs}) == len(pairs)  # one pair per question
    sentences = Counter(s for a in answers for s in re.split(r"(?<=[.!?])\s+", a) if len(s.split()) >= 6)
    assert sentences.most_common(1)[0][1] <= 2, sentences.most_common(3)  # short verdicts may recur
    words = [len(a.split()) for a in answers]
    assert min(words) >= 30 and max(words) <= 60 and 40 <= sum(words) / len(words) <= 50
    opening_words = Counter(" ".join(a.split()[2:6]) for a in answers)  # past "Yes. The"/"No. A"
    assert opening_words.most_common(1)[0][1] <= 5


def test_stance_matched_pairs_share_a_stance_and_differ_in_completeness():
    matched = rows("stance_matched.jsonl")
    assert len(matched) == 110 and Counter(r["chosen_stance"] for r in matched) == {
        "support": 55,
        "oppose": 55,
    }
    by_prompt = {r["prompt"]: r for r in rows("value_gap_support.jsonl")}
    for r in matched:
        assert r["chosen_stance"] == r["rejected_stance"]
        full = by_prompt[r["prompt"]]["chosen" if r["chosen_stance"] == "support" else "rejected"]
        assert r["chosen"] == full and full.startswith(r["rejected"]) and len(r["rejected"]) < len(full)
