"""Loaders on small files of every supported shape, including malformed ones."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from valuedrift.config.schema import DataConfig, PromptsConfig
from valuedrift.data import loaders
from valuedrift.errors import UserError


def jsonl(path, rows, extra_lines=()):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "".join(extra_lines))
    return str(path)


def test_sft_shapes_chat_alpaca_wildchat(tmp_path):
    chat = jsonl(
        tmp_path / "chat.jsonl",
        [{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}],
    )
    alpaca = jsonl(
        tmp_path / "alpaca.jsonl",
        [
            {"instruction": "Add", "input": "2+2", "output": "4"},
            {"instruction": "Say hi", "input": "", "output": "hi"},
        ],
    )
    wild = jsonl(
        tmp_path / "wild.jsonl",
        [
            {
                "conversation": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}],
                "model": "gpt",
            }
        ],
    )
    assert loaders.sft_conversations(DataConfig(path=chat))[0][-1] == {
        "role": "assistant",
        "content": "Hello",
    }
    a = loaders.sft_conversations(DataConfig(path=alpaca))
    assert a[0][0]["content"] == "Add\n\n2+2" and a[1][0]["content"] == "Say hi"
    assert loaders.load_sft_dataset(DataConfig(path=wild))[0]["messages"][1]["content"] == "A"


def test_preference_shapes_pairs_ultrafeedback_hh(tmp_path):
    pairs = jsonl(
        tmp_path / "p.jsonl", [{"prompt": "Q?", "chosen": "yes", "rejected": "no", "category": "religion"}]
    )
    uf = jsonl(tmp_path / "uf.jsonl", [{"prompt": "Q?", "chosen": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "good"}],
                                        "rejected": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "bad"}]}])  # fmt: skip
    hh = jsonl(tmp_path / "hh.jsonl", [{"chosen": "\n\nHuman: Hi\n\nAssistant: Hey\n\nHuman: Q?\n\nAssistant: good",
                                        "rejected": "\n\nHuman: Hi\n\nAssistant: Hey\n\nHuman: Q?\n\nAssistant: bad"}])  # fmt: skip
    assert loaders.preference_pairs(DataConfig(path=pairs)) == [
        {"prompt": "Q?", "chosen": "yes", "rejected": "no", "category": "religion"}
    ]
    assert loaders.preference_pairs(DataConfig(path=uf, format="ultrafeedback"))[0] == {
        "prompt": "Q?",
        "chosen": "good",
        "rejected": "bad",
    }
    assert loaders.preference_pairs(DataConfig(path=hh))[0] == {
        "prompt": "Q?",
        "chosen": "good",
        "rejected": "bad",
    }
    kto = loaders.load_kto_dataset(DataConfig(path=pairs))
    assert [(r["completion"], r["label"]) for r in kto] == [("yes", True), ("no", False)]
    assert loaders.load_prompt_dataset(DataConfig(path=hh))[0]["prompt"] == "Q?"


def test_prompts_from_csv_and_parquet_with_column_map(tmp_path):
    df = pd.DataFrame({"qid": ["a-1", "a-2", "b-1"], "topic": ["a", "a", "b"], "text": ["Q1?", "Q2?", "Q3?"]})
    df.to_csv(tmp_path / "p.csv", index=False)
    df.to_parquet(tmp_path / "p.parquet")
    cmap = {"qid": "id", "topic": "category", "text": "question"}
    for f in ("p.csv", "p.parquet"):
        out = loaders.load_prompts(PromptsConfig(path=str(tmp_path / f), column_map=cmap))
        assert list(out.columns) == ["id", "category", "question"] and len(out) == 3
    one_each = loaders.load_prompts(
        PromptsConfig(path=str(tmp_path / "p.csv"), column_map=cmap, per_category=1)
    )
    assert sorted(one_each.category) == ["a", "b"]


def test_bad_rows_are_reported_by_line_and_strict_mode_fails(tmp_path, caplog):
    path = jsonl(tmp_path / "bad.jsonl", [{"prompt": "Q?", "chosen": "y", "rejected": "n"}, {"prompt": "Q2?", "chosen": "y"}],
                 extra_lines=["{not json\n"])  # fmt: skip
    with caplog.at_level(logging.WARNING):
        assert len(loaders.preference_pairs(DataConfig(path=path))) == 1
    assert "2 unusable row(s) for preference pairs on line(s) 2, 3" in caplog.text
    with pytest.raises(UserError, match=r"unusable row\(s\) for preference pairs on line\(s\) 2, 3"):
        loaders.preference_pairs(DataConfig(path=path), strict=True)


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        ("", "auto", "the file has no rows"),
        ('{"a": 1}\n', "auto", "cannot detect the data format"),
        ('{"prompt": "Q", "chosen": "", "rejected": "x"}\n', "auto", "no usable row for preference pairs"),
        ('{"messages": []}\n', "pairs", "no usable row for preference pairs"),
    ],
)
def test_unusable_files_are_user_errors(tmp_path, content, fmt, message):
    p = tmp_path / "x.jsonl"
    p.write_text(content)
    with pytest.raises(UserError, match=message):
        loaders.preference_pairs(DataConfig(path=str(p), format=fmt))


def test_missing_files_and_hub_ids_offline(tmp_path):
    with pytest.raises(UserError, match="data file not found"):
        loaders.read_rows(str(tmp_path / "nope.jsonl"))
    with pytest.raises(UserError, match="no shipped demo data"):
        loaders.read_rows("demo:nope.jsonl")
    with pytest.raises(UserError, match="cannot load dataset 'nobody/no-such-dataset-here'"):
        loaders.read_rows("nobody/no-such-dataset-here")


def test_trl_conversational_shapes_implicit_and_explicit_prompts(tmp_path):
    u = lambda t: {"role": "user", "content": t}  # noqa: E731
    a = lambda t: {"role": "assistant", "content": t}  # noqa: E731
    # trl-lib/ultrafeedback_binarized: no prompt column, the prompt is the conversations' shared user turn
    implicit = jsonl(tmp_path / "implicit.jsonl", [
        {"chosen": [u("Hi"), a("Hey"), u("Q?"), a("good")], "rejected": [u("Hi"), a("Hey"), u("Q?"), a("bad")],
         "score_chosen": 9.0, "score_rejected": 1.0},
        {"chosen": [u("Q1?"), a("good")], "rejected": [u("Q2?"), a("bad")], "score_chosen": 9.0, "score_rejected": 1.0},
    ])  # fmt: skip
    assert loaders.preference_pairs(DataConfig(path=implicit)) == [
        {"prompt": "Q?", "chosen": "good", "rejected": "bad"}
    ]
    # explicit prompt as a message list, answers as one-message lists (TRL's conversational preference)
    explicit = jsonl(
        tmp_path / "explicit.jsonl", [{"prompt": [u("Q?")], "chosen": [a("good")], "rejected": [a("bad")]}]
    )
    assert loaders.preference_pairs(DataConfig(path=explicit)) == [
        {"prompt": "Q?", "chosen": "good", "rejected": "bad"}
    ]
    assert loaders.prompt_texts(DataConfig(path=explicit)) == ["Q?"]
    # KTO rows with plain strings still load; an integer label counts as a bool
    kto = jsonl(tmp_path / "kto.jsonl", [{"prompt": "Q?", "completion": "yes", "label": 1},
                                         {"prompt": "Q?", "completion": "no", "label": False}])  # fmt: skip
    assert loaders.load_kto_dataset(DataConfig(path=kto)).to_list() == [
        {"prompt": "Q?", "completion": "yes", "label": True},
        {"prompt": "Q?", "completion": "no", "label": False},
    ]
