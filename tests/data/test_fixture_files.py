"""Loaders on the checked-in fixture files (tests/data/fixtures/): every supported shape, as the
released datasets lay them out, and malformed files with their line numbers."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from valuedrift.config.schema import DataConfig, PromptsConfig
from valuedrift.data import loaders
from valuedrift.errors import UserError

FIX = Path(__file__).parent / "fixtures"


def cfg(name: str, **kw) -> DataConfig:
    return DataConfig(path=str(FIX / name), **kw)


@pytest.mark.parametrize(
    ("name", "kind", "fmt"),
    [
        ("sft_chat.jsonl", "sft", "chat"),
        ("sft_alpaca.json", "sft", "alpaca"),
        ("sft_wildchat.jsonl", "sft", "wildchat"),
        ("pref_ultrafeedback.jsonl", "sft", "chat"),
        ("pref_ultrafeedback.jsonl", "preference", "ultrafeedback"),
        ("pref_ultrafeedback.parquet", "preference", "ultrafeedback"),
        ("pref_ultrafeedback.jsonl", "kto", "ultrafeedback"),
        ("pref_ultrafeedback.jsonl", "prompts", "prompts"),
        ("pref_pairs.jsonl", "preference", "pairs"),
        ("pref_hh.jsonl", "preference", "hh-rlhf"),
        ("pref_hh.jsonl", "prompts", "hh-rlhf"),
        ("kto.jsonl", "kto", "kto"),
        ("kto.jsonl", "prompts", "prompts"),
        ("sft_alpaca.json", "prompts", "alpaca"),
        ("prompts.jsonl", "prompts", "prompts"),
    ],
)
def test_format_is_detected_from_the_columns_among_the_kinds_formats(name, kind, fmt):
    rows, _ = loaders._split_bad(loaders.read_rows(str(FIX / name)))
    assert loaders.detect_format(set().union(*(r.keys() for _, r in rows)), kind) == fmt


def test_chat_keeps_system_and_multi_turn_conversations():
    ds = loaders.load_sft_dataset(cfg("sft_chat.jsonl"))
    assert ds.column_names == ["messages"] and len(ds) == 2
    assert [m["role"] for m in ds[0]["messages"]] == ["system", "user", "assistant"]
    assert ds[1]["messages"][-1] == {"role": "assistant", "content": "101 is prime too."}


def test_alpaca_json_list_joins_instruction_and_input():
    convs = loaders.sft_conversations(cfg("sft_alpaca.json"))
    assert convs[0] == [
        {"role": "user", "content": "Translate to French.\n\nGood morning"},
        {"role": "assistant", "content": "Bonjour"},
    ]
    assert convs[1][0]["content"] == "Give a synonym for 'happy'."  # empty input: instruction alone


def test_wildchat_drops_extra_message_fields_and_reports_an_unanswered_conversation(caplog):
    with caplog.at_level(logging.WARNING):
        ds = loaders.load_sft_dataset(cfg("sft_wildchat.jsonl"))
    assert len(ds) == 1 and ds[0]["messages"][0] == {"role": "user", "content": "write a haiku about rain"}
    assert ds[0]["messages"][1]["content"].startswith("Soft rain on the roof")
    assert "1 unusable row(s) for SFT on line(s) 2" in caplog.text  # no assistant turn
    with pytest.raises(UserError, match=r"sft_wildchat\.jsonl: 1 unusable row\(s\) for SFT on line\(s\) 2"):
        loaders.load_sft_dataset(cfg("sft_wildchat.jsonl"), strict=True)


def test_pairs_keep_category_only_where_given():
    ds = loaders.load_preference_dataset(cfg("pref_pairs.jsonl"))
    assert ds.column_names == ["prompt", "chosen", "rejected", "category"]
    assert ds[0]["category"] == "culture" and ds[1]["category"] is None
    assert ds[1]["rejected"] == "whatever lol"


@pytest.mark.parametrize("name", ["pref_ultrafeedback.jsonl", "pref_ultrafeedback.parquet"])
def test_ultrafeedback_binarized_message_lists_become_the_final_assistant_replies(name):
    pairs = loaders.preference_pairs(cfg(name))  # auto: the list-valued columns are recognised
    assert pairs[0] == {
        "prompt": "How do I keep basil alive indoors?",
        "chosen": "Give it a sunny window, water when the top of the soil is dry, and pinch off flower buds.",
        "rejected": "Basil is a plant.",
    }
    assert loaders.preference_pairs(cfg(name, format="ultrafeedback")) == pairs
    assert len(pairs) == 2


def test_hh_rlhf_takes_the_last_human_turn_and_needs_a_shared_prompt(caplog):
    with caplog.at_level(logging.WARNING):
        pairs = loaders.preference_pairs(cfg("pref_hh.jsonl"))
    assert pairs == [
        {
            "prompt": "He loves fishing.",
            "chosen": "A good pair of polarised sunglasses would help him see into the water.",
            "rejected": "Buy him a fish.",
        }
    ]
    assert "on line(s) 2" in caplog.text  # chosen and rejected answer different questions
    assert loaders.load_prompt_dataset(cfg("pref_hh.jsonl"))["prompt"] == ["He loves fishing."]


def test_kto_file_and_pairs_unpaired_into_kto(caplog):
    with caplog.at_level(logging.WARNING):
        ds = loaders.load_kto_dataset(cfg("kto.jsonl"))
    assert ds["label"] == [True, False] and "on line(s) 3" in caplog.text  # label "yes" is not a bool
    # kto-mix-14k gives prompt and completion as message lists: the user turn and the assistant reply
    assert ds[0]["prompt"] == "Is it safe to eat raw cookie dough?"
    assert ds[1]["completion"] == "Totally safe, eat as much as you like."
    unpaired = loaders.load_kto_dataset(cfg("pref_ultrafeedback.jsonl"))
    assert len(unpaired) == 4 and unpaired["label"] == [True, False, True, False]
    assert unpaired[1]["completion"] == "Basil is a plant."


def test_prompt_files_in_jsonl_csv_and_parquet_with_a_column_map(caplog):
    jl = loaders.load_prompts(PromptsConfig(path=str(FIX / "prompts.jsonl")))
    assert list(jl.columns) == ["id", "category", "question"] and len(jl) == 8
    prism = {"prompt_id": "id", "topic": "category", "user_prompt": "question"}
    with caplog.at_level(logging.WARNING):
        csv = loaders.load_prompts(PromptsConfig(path=str(FIX / "prompts_prism.csv"), column_map=prism))
    assert csv["id"].tolist() == ["p-1", "p-2", "p-3"]
    assert "on line(s) 5" in caplog.text  # CSV line numbers count the header as line 1
    pq = loaders.load_prompts(
        PromptsConfig(
            path=str(FIX / "prompts.parquet"),
            column_map={"qid": "id", "topic": "category", "text": "question"},
        )
    )
    assert pq.set_index("id").loc["s-1", "question"] == "Should esports count as sport?"
    # without the column map the same file has no usable row: one clear error
    with pytest.raises(UserError, match=r"prompts_prism\.csv: no usable row for evaluation prompts"):
        loaders.load_prompts(PromptsConfig(path=str(FIX / "prompts_prism.csv")))


def test_prompt_subsets_are_stratified_seeded_and_filtered():
    path = str(FIX / "prompts.jsonl")
    a = loaders.load_prompts(PromptsConfig(path=path, per_category=2, seed=1))
    assert a.category.value_counts().to_dict() == {"urban_policy": 2, "work": 2, "sport": 2}
    assert a.equals(loaders.load_prompts(PromptsConfig(path=path, per_category=2, seed=1)))
    seeds = {
        tuple(loaders.load_prompts(PromptsConfig(path=path, per_category=1, seed=s)).id) for s in range(8)
    }
    assert len(seeds) > 1  # the seed picks the subset
    lim = loaders.load_prompts(PromptsConfig(path=path, limit=3, seed=0))
    assert sorted(lim.category) == ["sport", "urban_policy", "work"]  # spread over categories
    only = loaders.load_prompts(PromptsConfig(path=path, categories=["sport"]))
    assert set(only.category) == {"sport"} and len(only) == 2
    with pytest.raises(UserError, match=r"categories: no prompts in \['chess'\]"):
        loaders.load_prompts(PromptsConfig(path=path, categories=["chess"]))


def test_bad_json_lines_are_reported_by_number_and_strict_turns_them_into_an_error(caplog):
    with caplog.at_level(logging.WARNING):
        pairs = loaders.preference_pairs(cfg("bad_json_line.jsonl"))
    assert [p["prompt"] for p in pairs] == ["Should zoos exist?", "Is tipping fair?"]
    # line 2 is cut off, line 5 is a JSON list (not a row); the blank line 3 is skipped silently
    assert "bad_json_line.jsonl: 2 unusable row(s) for preference pairs on line(s) 2, 5" in caplog.text
    with pytest.raises(UserError, match=r"on line\(s\) 2, 5"):
        loaders.preference_pairs(cfg("bad_json_line.jsonl"), strict=True)


def test_missing_column_and_empty_file_are_one_line_errors():
    with pytest.raises(
        UserError, match=r"missing_column\.jsonl: no usable row for preference pairs \(bad lines: 1, 2\)"
    ):
        loaders.preference_pairs(cfg("missing_column.jsonl"))
    with pytest.raises(UserError, match=r"empty\.jsonl: the file has no rows"):
        loaders.load_sft_dataset(cfg("empty.jsonl"))
    with pytest.raises(UserError, match=r"no usable row for evaluation prompts.*bad lines: 2, 3"):
        loaders.load_prompts(PromptsConfig(path=str(FIX / "prompts_missing_question.csv")))


def test_cli_reports_a_bad_file_in_one_line_with_exit_code_2(cli):
    code, _, err = cli("data", "contamination", str(FIX / "empty.jsonl"))
    assert code == 2 and "the file has no rows" in err and "Traceback" not in err
    # the fixture's museum question is a rewording (and a spelling variant) of an evaluation prompt
    code, out, _ = cli("data", "contamination", str(FIX / "pref_pairs.jsonl"), "--json")
    doc = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and "contamination: 1 evaluation prompt(s)" in out and doc["n_train"] == 2
    [hit] = doc["pairs"]
    assert hit["train"] == "Should museums return artefacts taken during colonial rule?"
    assert "artifacts" in hit["eval"] and 0.5 <= hit["similarity"] < 1.0
