"""Checks on the built-in V-PRISM-style prompt set, ``prompts/vprism.jsonl``.

Standard library only, so it runs anywhere (no pandas, no valuedrift import). The near-duplicate
thresholds and the maxima measured on the shipped set are recorded in ``prompts/README.md``; keep
the two in step when the set changes.
"""

from __future__ import annotations

import itertools
import json
import re
import string
from pathlib import Path

import pytest

PROMPTS = Path(__file__).resolve().parent.parent / "prompts" / "vprism.jsonl"

# The 11 topics, as in valuedrift/tables.py CATEGORIES (repeated here so this test needs no import).
CATEGORIES = (
    "abortion",
    "immigration",
    "climate_change",
    "economic_policy",
    "religion",
    "family_relationships",
    "death_penalty",
    "elections_parties",
    "gender_lgbtq",
    "race_racism",
    "war_conflict",
)
PER_CATEGORY = 50
MAX_CHARS = 400

# Near-duplicate thresholds: every pair of questions must stay strictly below both.
CONTENT_JACCARD_MAX = 0.6  # token-set Jaccard on content words (stopwords dropped)
CHAR5_JACCARD_MAX = 0.5  # character 5-gram Jaccard on the normalised text

ID_RE = re.compile(r"^(?P<cat>[a-z_]+)-(?P<num>\d{3})$")

# A small stopword list: function words and the stock phrasings of the set ("should", "do you agree
# that", "what do you think about", "is it right"), so that similarity reflects the proposition.
_STOPWORD_TEXT = """
    a an the and or but if of to in on at by for with from as into than then so that this these those
    it its is are was were be been being am do does did done have has had having i me my we us our you
    your he him his she her they them their there what which who whom whose when where why how not no
    nor any all some more most such only own same can could should would will shall may might must
    about over under after before while also just very too even ever up out off again once s t
    agree think right view opinion honest tell like whether give please explain want
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_PUNCT = str.maketrans({c: " " for c in string.punctuation + "\u2018\u2019\u201c\u201d\u2013\u2014"})


def normalise(text: str) -> str:
    """Lower-case, punctuation to spaces, whitespace collapsed."""
    return " ".join(text.lower().translate(_PUNCT).split())


def content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in normalise(text).split() if w not in STOPWORDS)


def char_ngrams(text: str, n: int = 5) -> frozenset[str]:
    t = normalise(text)
    return frozenset(t[i : i + n] for i in range(max(len(t) - n + 1, 1)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def one_word_apart(questions: list[str]) -> list[tuple[int, int]]:
    """Pairs of questions whose normalised word sequences differ by one word substituted, inserted
    or deleted (word-level edit distance 1), at any length."""
    seen: dict[tuple, int] = {}
    pairs = set()
    for idx, q in enumerate(questions):
        w = tuple(normalise(q).split())
        keys = {("full", w)}
        for i in range(len(w)):
            keys.add(("sub", (*w[:i], "*", *w[i + 1 :])))
            keys.add(("full", w[:i] + w[i + 1 :]))  # meets another question's "full" key: one insertion
        for key in keys:
            other = seen.setdefault(key, idx)
            if other != idx:
                pairs.add((other, idx))
    return sorted(pairs)


def max_pair(questions: list[str], features) -> tuple[float, str, str]:
    """The most similar pair under Jaccard on ``features``: (similarity, question a, question b)."""
    feats = [features(q) for q in questions]
    best = (-1.0, "", "")
    for i, j in itertools.combinations(range(len(questions)), 2):
        s = jaccard(feats[i], feats[j])
        if s > best[0]:
            best = (s, questions[i], questions[j])
    return best


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    out = []
    with PROMPTS.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            assert line.strip(), f"line {lineno}: blank line"
            row = json.loads(line)
            assert isinstance(row, dict), f"line {lineno}: not a JSON object"
            assert set(row) == {"id", "category", "question"}, f"line {lineno}: keys {sorted(row)}"
            out.append(row)
    return out


@pytest.fixture(scope="module")
def questions(rows) -> list[str]:
    return [r["question"] for r in rows]


def test_line_and_id_counts(rows):
    assert len(rows) == len(CATEGORIES) * PER_CATEGORY == 550
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == 550


def test_ids_match_category_and_number(rows):
    for r in rows:
        m = ID_RE.match(r["id"])
        assert m, f"bad id {r['id']!r}"
        assert m["cat"] == r["category"], f"{r['id']}: id prefix differs from category {r['category']!r}"
        assert 1 <= int(m["num"]) <= PER_CATEGORY, f"{r['id']}: number out of 001..{PER_CATEGORY:03d}"


def test_eleven_categories_of_fifty(rows):
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["category"]] = counts.get(r["category"], 0) + 1
    assert set(counts) == set(CATEGORIES)
    assert all(n == PER_CATEGORY for n in counts.values()), counts
    for cat in CATEGORIES:
        nums = sorted(int(r["id"].rsplit("-", 1)[1]) for r in rows if r["category"] == cat)
        assert nums == list(range(1, PER_CATEGORY + 1)), cat


def test_categories_match_package_vocabulary():
    """The test's copy of the category ids agrees with the package's, where the package imports."""
    tables = pytest.importorskip("valuedrift.tables")
    assert tuple(tables.CATEGORIES) == CATEGORIES


def test_question_text(rows):
    for r in rows:
        q = r["question"]
        assert isinstance(q, str) and q.strip(), f"{r['id']}: empty question"
        assert q == q.strip(), f"{r['id']}: leading/trailing whitespace"
        assert q.endswith(("?", ".")), f"{r['id']}: must end with '?' or '.'"
        assert len(q) < MAX_CHARS, f"{r['id']}: {len(q)} chars"
        assert "\n" not in q, f"{r['id']}: newline in question"


def test_no_exact_duplicates_after_normalising(rows):
    seen: dict[str, str] = {}
    for r in rows:
        key = normalise(r["question"])
        assert key not in seen, f"{r['id']} duplicates {seen[key]}"
        seen[key] = r["id"]


def test_no_near_duplicates_content_words(questions):
    s, a, b = max_pair(questions, content_words)
    assert s < CONTENT_JACCARD_MAX, f"content-word Jaccard {s:.3f} >= {CONTENT_JACCARD_MAX}:\n  {a}\n  {b}"


def test_no_near_duplicates_char_5grams(questions):
    s, a, b = max_pair(questions, char_ngrams)
    assert s < CHAR5_JACCARD_MAX, f"char 5-gram Jaccard {s:.3f} >= {CHAR5_JACCARD_MAX}:\n  {a}\n  {b}"


def test_no_pair_one_word_apart(questions):
    pairs = one_word_apart(questions)
    assert not pairs, "questions one word apart:\n" + "\n".join(
        f"  {questions[i]!r} ~ {questions[j]!r}" for i, j in pairs
    )


# --- the checks can fail: each near-duplicate measure flags a one-word edit of a real question ---


def _one_word_edit(question: str) -> str:
    """The question with one content word (the first at or after its middle) replaced."""
    words = question.split()
    k = next(i for i in range(len(words) // 2, len(words)) if normalise(words[i]) not in STOPWORDS)
    return " ".join([*words[:k], "zzzz" + words[k].lower(), *words[k + 1 :]])


@pytest.mark.parametrize("position", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_measures_flag_a_one_word_edit(questions, position):
    """Adding a copy of a real question with one word changed trips both near-duplicate checks.

    Questions of at least 8 content words are used (in a very short question one changed word is a
    large share of the text, and then it is a different proposition, not a near-duplicate)."""
    long_ones = [q for q in questions if len(content_words(q)) >= 8]
    assert len(long_ones) > 100
    q = long_ones[round(position * (len(long_ones) - 1))]
    edited = _one_word_edit(q)
    assert edited != q
    for features, limit in ((content_words, CONTENT_JACCARD_MAX), (char_ngrams, CHAR5_JACCARD_MAX)):
        s, _, _ = max_pair([*questions, edited], features)
        assert s >= limit, f"{features.__name__} missed a one-word edit ({s:.3f}): {edited}"


def test_one_word_check_flags_every_question(questions):
    """Whatever its length, any question duplicated with one word changed, added or dropped is caught."""
    for q in questions:
        words = normalise(q).split()
        variants = (
            " ".join([*words[:-1], "zzzz" + words[-1]]),  # changed
            " ".join(["zzzz", *words]),  # added
            " ".join(words[1:]) if len(words) > 1 else None,  # dropped
        )
        for v in variants:
            if v is not None:
                assert one_word_apart([q, v]) == [(0, 1)], (q, v)
    # and on the whole set, a single planted variant is found against its source
    planted = " ".join(["zzzz", *questions[273].split()])
    assert one_word_apart([*questions, planted]) == [(273, len(questions))]


def test_measures_flag_a_rephrasing():
    a = "Should the death penalty be abolished in every country?"
    b = "Do you agree that the death penalty should be abolished in every country?"
    assert jaccard(content_words(a), content_words(b)) >= CONTENT_JACCARD_MAX
    assert jaccard(char_ngrams(a), char_ngrams(b)) >= CHAR5_JACCARD_MAX


if __name__ == "__main__":  # print the measured maxima, for prompts/README.md
    with PROMPTS.open(encoding="utf-8") as f:
        qs = [json.loads(line)["question"] for line in f]
    for name, feat in (("content-word Jaccard", content_words), ("char 5-gram Jaccard", char_ngrams)):
        s, a, b = max_pair(qs, feat)
        print(f"{name}: max {s:.3f}\n  {a}\n  {b}")
