"""Judge prompt parsing, agreement metrics against scikit-learn, and the gold set's own contract."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.test_prompt_set import content_words, jaccard
from valuedrift.curate.contamination import check_contamination
from valuedrift.errors import UserError
from valuedrift.judge import prompt
from valuedrift.judge.corpus import build_corpus, load_written, training_rows
from valuedrift.judge.metrics import agreement, gold_path, load_gold
from valuedrift.tables import CATEGORIES


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("support", "support"),
        ("Oppose.", "oppose"),
        ("Label: neutral", "neutral"),
        ("**support**", "support"),
        ("The response opposes it", "oppose"),
        ("support or oppose", None),
        ("I cannot tell", None),
        ("", None),
    ],
)
def test_parse_label(text, label):
    assert prompt.parse_label(text) == label


@pytest.mark.parametrize(
    ("token", "label"),
    [
        ("support", "support"),
        (" Sup", "support"),
        ("opp", "oppose"),
        ("Neutral", "neutral"),
        ("n", "neutral"),
        ("**", None),
        ("The", None),
        (" ", None),
    ],
)
def test_label_for_token(token, label):
    assert prompt.label_for_token(token) == label


def test_prompt_defines_refusals_and_both_sides_as_neutral_and_is_versioned():
    text = prompt.render("Should X be banned?", "No opinion.", "religion")
    assert "as an AI" in text and "both sides" in text and "refuses" in text
    assert "Should X be banned?" in text and "religion" in text
    assert prompt.PROMPT_VERSION.startswith("stance-v")


def test_agreement_matches_scikit_learn():
    from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

    truth = ["support", "oppose", "neutral", "support", "oppose", "neutral", "support", "support"]
    pred = ["support", "neutral", "neutral", "oppose", "oppose", "neutral", "support", "neutral"]
    m = agreement(truth, pred, ["a", "a", "b", "b", "a", "b", "a", "a"])
    assert m["accuracy"] == pytest.approx(accuracy_score(truth, pred))
    assert m["macro_f1"] == pytest.approx(f1_score(truth, pred, average="macro"))
    assert m["kappa"] == pytest.approx(cohen_kappa_score(truth, pred))
    assert m["confusion"]["support"] == {"support": 2, "neutral": 1, "oppose": 1, "unscored": 0}
    assert m["per_category"]["b"] == {"n": 3, "accuracy": pytest.approx(2 / 3)}


def test_unscored_predictions_count_as_wrong_and_stay_out_of_kappa():
    m = agreement(["support", "oppose", "neutral"], ["support", "unscored", "neutral"])
    assert m["accuracy"] == pytest.approx(2 / 3) and m["n_unscored"] == 1 and m["kappa"] == 1.0


def test_bad_gold_lines_name_the_file_and_line(tmp_path):
    p = tmp_path / "g.jsonl"
    p.write_text(
        '{"question": "q", "response": "r", "label": "support"}\n{"question": "q", "response": "r", "label": "maybe"}\n'
    )
    with pytest.raises(UserError, match=r"g.jsonl:2: label 'maybe'"):
        load_gold(p)
    p.write_text('{"question": "q", "label": "support"}\n')
    with pytest.raises(UserError, match=r"g.jsonl:1: field 'response'"):
        load_gold(p)


def test_gold_set_is_large_covers_every_category_and_shares_no_question_with_training():
    gold = load_gold(gold_path())
    assert len(gold) >= 150
    assert {g["category"] for g in gold} == set(CATEGORIES)
    counts = {s: sum(g["label"] == s for g in gold) for s in ("support", "neutral", "oppose")}
    assert min(counts.values()) >= 40
    train = training_rows()
    assert len(load_written()) >= 1000 and len(train) > len(load_written())
    # no gold question in training, not even reworded: the project's contamination check flags no
    # pair, and content-word Jaccard (the prompt set's near-duplicate measure) stays below 0.5 for
    # every pair (written rows near a gold question were removed when it was built; the closest
    # pair left, 0.43, is same-sex couples vs single people adopting)
    gold_q = sorted({g["question"] for g in gold})
    train_q = sorted({r["question"] for r in train})
    assert not set(gold_q) & set(train_q)
    assert check_contamination(gold_q, train_q).empty
    worst = max((jaccard(content_words(g), content_words(t)), g, t) for g in gold_q for t in train_q)
    assert worst[0] < 0.5, worst
    assert not {g["response"] for g in gold} & {r["response"] for r in train}


def test_written_corpus_is_balanced_and_labelled_by_question():
    rows = load_written()
    assert {r["category"] for r in rows} == set(CATEGORIES)
    counts = Counter(r["label"] for r in rows)
    assert max(counts.values()) - min(counts.values()) < 0.05 * len(rows), counts
    per_question = Counter(r["question"] for r in rows)
    assert min(per_question.values()) >= 3  # several answers per question, so it is split by question
    assert len({r["response"] for r in rows}) == len(rows)


def test_training_corpus_phrases_questions_both_ways_in_every_category():
    rows = build_corpus()
    assert {r["category"] for r in rows} == set(CATEGORIES)
    # the same issue appears under questions whose 'yes' means opposite sides
    by_issue = {}
    for r in rows:
        by_issue.setdefault(r["issue"], set()).add(r["question"])
    assert all(len(qs) >= 2 for qs in by_issue.values())
    styles = {r["style"] for r in rows}
    assert {"yesno", "hedged", "ai_but", "refuse", "ai_none", "both", "survey"} <= styles
    assert json.dumps(rows) == json.dumps(build_corpus())  # deterministic
