"""Each algorithm reads its data kind (the algorithm table) and detects formats among that kind's only:
the fixtures mirror the published datasets' full column sets, so a file is read by every stage that
should read it — UltraFeedback-binarized by DPO as pairs and by SFT as conversations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from valuedrift.config.algorithms import DATA_FORMATS, get_spec, names
from valuedrift.config.schema import DataConfig
from valuedrift.data import loaders
from valuedrift.errors import UserError

FIX = Path(__file__).parent / "fixtures"

READ_AS = {
    "sft": loaders.sft_conversations,
    "preference": loaders.preference_pairs,
    "kto": lambda cfg: loaders.load_kto_dataset(cfg).to_list(),
    "prompts": loaders.prompt_texts,
}

UF_COLUMNS = {"prompt", "prompt_id", "chosen", "rejected", "messages", "score_chosen", "score_rejected"}
WILDCHAT_COLUMNS = {"conversation_hash", "model", "timestamp", "conversation", "turn", "language",
                    "openai_moderation", "detoxify_moderation", "toxic", "redacted", "state", "country",
                    "hashed_ip", "header"}  # fmt: skip


def cfg(name: str, **kw) -> DataConfig:
    return DataConfig(path=str(FIX / name), **kw)


def columns(name: str) -> set[str]:
    rows, _ = loaders._split_bad(loaders.read_rows(str(FIX / name)))
    return set().union(*(r.keys() for _, r in rows))


def test_fixtures_have_the_published_datasets_full_column_sets():
    for name in ("pref_ultrafeedback.jsonl", "pref_ultrafeedback.parquet"):
        assert columns(name) == UF_COLUMNS
    assert columns("pref_hh.jsonl") == {"chosen", "rejected"}
    assert columns("sft_alpaca.json") == {"instruction", "input", "output", "text"}
    assert columns("sft_wildchat.jsonl") == WILDCHAT_COLUMNS
    turn = json.loads((FIX / "sft_wildchat.jsonl").read_text().splitlines()[0])["conversation"][0]
    assert set(turn) == {"content", "role", "language", "redacted", "toxic", "turn_identifier", "timestamp",
                         "country", "state", "hashed_ip", "header"}  # fmt: skip
    kto = json.loads((FIX / "kto.jsonl").read_text().splitlines()[0])
    assert set(kto) == {"prompt", "completion", "label"} and kto["label"] is True
    assert [m["role"] for m in kto["prompt"]] == ["user"] and [m["role"] for m in kto["completion"]] == [
        "assistant"
    ]


@pytest.mark.parametrize("name", ["pref_ultrafeedback.jsonl", "pref_ultrafeedback.parquet"])
def test_ultrafeedback_is_pairs_for_a_dpo_stage_and_conversations_for_an_sft_stage(name):
    assert get_spec("dpo").data == "preference" and get_spec("sft").data == "sft"
    pairs = READ_AS[get_spec("dpo").data](cfg(name))
    assert pairs[1] == {
        "prompt": "Explain recursion briefly.",
        "chosen": "A function that solves a problem by calling itself on a smaller version of it, until a "
        "base case stops it.",
        "rejected": "Recursion is recursion.",
    }
    convs = READ_AS[get_spec("sft").data](cfg(name))  # the `messages` column: the chosen conversation
    assert convs[0] == [
        {"role": "user", "content": "How do I keep basil alive indoors?"},
        {"role": "assistant", "content": pairs[0]["chosen"]},
    ]
    assert len(convs) == len(pairs) == 2
    # GRPO / PPO / RAFT read its prompts; KTO unpairs it
    assert READ_AS[get_spec("ppo").data](cfg(name)) == [p["prompt"] for p in pairs]
    kto = READ_AS[get_spec("kto").data](cfg(name))
    assert [(r["completion"], r["label"]) for r in kto[:2]] == [(pairs[0]["chosen"], True),
                                                               (pairs[0]["rejected"], False)]  # fmt: skip


# which data kinds each fixture should serve (every other kind refuses it with a clear error)
KINDS = {
    "sft_chat.jsonl": {"sft", "prompts"},
    "sft_alpaca.json": {"sft", "prompts"},
    "sft_wildchat.jsonl": {"sft", "prompts"},
    "pref_ultrafeedback.jsonl": {"sft", "preference", "kto", "prompts"},
    "pref_ultrafeedback.parquet": {"sft", "preference", "kto", "prompts"},
    "pref_pairs.jsonl": {"preference", "kto", "prompts"},
    "pref_hh.jsonl": {"preference", "kto", "prompts"},
    "kto.jsonl": {"kto", "prompts"},
    "prompts.jsonl": {"prompts"},
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_fixture_is_read_by_every_algorithm_whose_kind_fits_and_refused_by_the_others(name):
    for algorithm in names():
        kind = get_spec(algorithm).data
        if kind in KINDS[name]:
            items = READ_AS[kind](cfg(name))
            assert items, (algorithm, name)
            if kind == "prompts":
                assert all(isinstance(p, str) and p and not p.startswith("[") for p in items)
        else:
            with pytest.raises(UserError, match="cannot detect the data format from columns") as e:
                READ_AS[kind](cfg(name))
            assert all(f in str(e.value) for f in DATA_FORMATS[kind]), str(e.value)


def test_a_file_no_format_fits_names_its_columns_and_the_formats_the_stage_reads():
    with pytest.raises(UserError) as e:
        loaders.preference_pairs(cfg("kto.jsonl"))
    assert str(e.value) == (
        f"{FIX / 'kto.jsonl'}: cannot detect the data format from columns ['completion', 'label', 'prompt']; "
        "preference pairs data is read from ultrafeedback (chosen, rejected, score_chosen, score_rejected); "
        "pairs (chosen, prompt, rejected); hh-rlhf (chosen, rejected)"
    )
    assert e.value.hint == "rename columns with data.column_map"


@pytest.mark.parametrize(
    ("reader", "fmt", "kind_formats"),
    [
        (loaders.preference_pairs, "chat", "ultrafeedback, pairs, hh-rlhf"),
        (loaders.sft_conversations, "ultrafeedback", "chat, alpaca, wildchat"),
        (loaders.load_kto_dataset, "alpaca", "kto, ultrafeedback, pairs, hh-rlhf"),
    ],
)
def test_an_explicit_format_of_another_kind_is_one_clear_error(reader, fmt, kind_formats):
    with pytest.raises(UserError, match=rf"data\.format '{fmt}' cannot be read as .* data \(formats for \w+ "
                                        rf"data: {kind_formats}\)"):  # fmt: skip
        reader(cfg("pref_ultrafeedback.jsonl", format=fmt))


def test_explicit_formats_of_the_kind_still_choose_the_reading():
    # the UltraFeedback file read through its `prompt` column, or as pairs: the same pairs either way
    assert loaders.preference_pairs(
        cfg("pref_ultrafeedback.jsonl", format="pairs")
    ) == loaders.preference_pairs(cfg("pref_ultrafeedback.jsonl"))
    assert loaders.sft_conversations(cfg("pref_ultrafeedback.jsonl", format="chat"))[1][1][
        "content"
    ].startswith("A function")


@pytest.fixture()
def one_thread(monkeypatch):
    """The tiny model trains fastest on one thread (see tests/walk/conftest.py)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    yield
    torch.set_num_threads(before)


def test_walker_trains_sft_and_dpo_on_ultrafeedback_and_kto_on_kto_mix(tmp_path, cli, one_thread):
    uf = str(FIX / "pref_ultrafeedback.jsonl")
    stages = [
        {"name": "sft", "algorithm": "sft", "steps": 1, "batch_size": 2, "data": {"path": uf}},
        {"name": "dpo", "algorithm": "dpo", "parent": "sft", "steps": 1, "batch_size": 2, "data": {"path": uf}},
        {"name": "kto", "algorithm": "kto", "parent": "sft", "steps": 1, "batch_size": 2,
         "data": {"path": str(FIX / "kto.jsonl")}},
    ]  # fmt: skip
    cfg_path = tmp_path / "exp.yaml"
    cfg_path.write_text(yaml.safe_dump({"name": "t", "seed": 0, "base_model": {"name": "tiny-random"},
                                        "stages": stages}))  # fmt: skip
    code, _, err = cli("train", cfg_path, "--out", tmp_path / "run")
    assert code == 0, err
    man = json.loads((tmp_path / "run" / "checkpoints_manifest.json").read_text())
    assert {c["id"] for c in man["checkpoints"]} >= {"sft/step-1", "dpo/step-1", "kto/step-1"}
    for stage in ("sft", "dpo", "kto"):
        logged = [json.loads(line) for line in (tmp_path / "run" / "logs" / f"{stage}.jsonl").open()]
        assert any("loss" in line and line["step"] == 1 for line in logged), stage
