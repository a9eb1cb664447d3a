"""Series trained elsewhere: a trainer's output folder or a chain of hub models becomes a manifest
(``valuedrift manifest from-dir`` / ``from-hub``) and is traced (``valuedrift trace --checkpoints``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.walk.conftest import FIXTURES
from valuedrift.io import sha256_weights
from valuedrift.manifest import load_manifest
from valuedrift.series import from_dir, from_hub

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "series"
TRACE = {
    "name": "series",
    "generation": {"prompts": {"per_category": 1, "limit": 3}, "sampling": {"n_samples": 1, "max_new_tokens": 8}},
    "analysis": {"n_bootstrap": 20},
}  # fmt: skip
TULU = [
    "allenai/Llama-3.1-Tulu-3-8B-SFT",
    "dpo=allenai/Llama-3.1-Tulu-3-8B-DPO",
    "rlvr=allenai/Llama-3.1-Tulu-3-8B",
]


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """The tiny model trains fastest on one thread (see tests/walk/conftest.py)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OMP_NUM_THREADS", "1")
        yield
    torch.set_num_threads(before)


def write_config(folder: Path, cfg: dict) -> Path:
    path = folder / "exp.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    return lines[0]


# --- real trainer output folders -------------------------------------------------------------------
@pytest.fixture(scope="module")
def lora_output(tmp_path_factory, tiny_model) -> Path:
    """TRL's SFTTrainer with a PEFT LoRA: checkpoint-2/, checkpoint-4/ and the final adapter in DIR."""
    from datasets import load_dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    out = tmp_path_factory.mktemp("lora") / "sft-lora"
    data = load_dataset("json", data_files=str(FIXTURES / "sft.jsonl"), split="train")
    args = SFTConfig(output_dir=str(out), max_steps=4, save_steps=2, per_device_train_batch_size=2, max_length=64,
                     use_cpu=True, report_to=[], seed=0, disable_tqdm=True)  # fmt: skip
    lora = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear")
    trainer = SFTTrainer(model=tiny_model, args=args, train_dataset=data, peft_config=lora)
    trainer.train()
    trainer.save_model()
    return out


@pytest.fixture(scope="module")
def full_output(tmp_path_factory, tiny_model) -> Path:
    """A plain transformers.Trainer, full weights: checkpoint-2/, -4/, -5/ and the final model in DIR."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    out = tmp_path_factory.mktemp("full") / "full-ft"
    tok = AutoTokenizer.from_pretrained(tiny_model)
    rows = [json.loads(ln) for ln in (FIXTURES / "sft.jsonl").read_text().splitlines()]
    texts = [tok.apply_chat_template(r["messages"], tokenize=False) for r in rows]
    enc = tok(texts, padding="max_length", max_length=48, truncation=True)
    data = [{"input_ids": i, "attention_mask": a, "labels": i} for i, a in zip(enc["input_ids"], enc["attention_mask"], strict=True)]  # fmt: skip
    args = TrainingArguments(output_dir=str(out), max_steps=5, save_steps=2, per_device_train_batch_size=2,
                             use_cpu=True, report_to=[], seed=0, disable_tqdm=True)  # fmt: skip
    trainer = Trainer(model=AutoModelForCausalLM.from_pretrained(tiny_model), args=args, train_dataset=data,
                      processing_class=tok)  # fmt: skip
    trainer.train()
    trainer.save_model()
    return out


@pytest.mark.parametrize("kind", ["lora", "full"])
def test_a_trainer_output_folder_is_traced_end_to_end(kind, request, tmp_path, cli):
    from valuedrift.rundir import load_run

    folder = request.getfixturevalue(f"{kind}_output")
    if kind == "lora":  # the flag; the adapters name their base
        args = ["trace", write_config(tmp_path, TRACE), "--checkpoints", folder]
    else:  # the config field; a plain Trainer's full weights do not say their base
        cfg = {**TRACE, "checkpoints": {"dir": str(folder), "base": "tiny-random"}}
        args = ["trace", write_config(tmp_path, cfg)]
    code, _, err = cli(*args, "--out", tmp_path / "run")
    assert code == 0, err[-3000:]
    run = load_run(tmp_path / "run")
    stage = "sft" if kind == "lora" else "trainer"
    ids = [c["id"] for c in run.manifest["checkpoints"]]
    steps = [2, 4] if kind == "lora" else [2, 4, 5]
    assert ids == ["base/step-0", f"{stage}/step-0", *(f"{stage}/step-{n}" for n in steps)]
    assert set(run.generations["checkpoint"]) == set(ids)
    assert set(run.drift["stage"]) == {stage}
    assert (run.drift["total_steps"] == steps[-1]).all()
    assert (tmp_path / "run" / "report.html").stat().st_size > 0
    assert run.config.checkpoints.dir == str(folder)  # the resolved config says what was traced


@pytest.mark.parametrize("kind", ["lora", "full"])
def test_the_manifest_steps_match_trainer_state(kind, request, tiny_model):
    folder = request.getfixturevalue(f"{kind}_output")
    manifest = from_dir(folder, base=None if kind == "lora" else "tiny-random")
    by_path = {c["path"]: c for c in manifest["checkpoints"]}
    checkpoints = sorted(folder.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    for ckpt in checkpoints:
        state = json.loads((ckpt / "trainer_state.json").read_text())
        entry = by_path[str(ckpt)]
        assert (entry["step"], entry["total_steps"]) == (state["global_step"], state["max_steps"])
        assert entry["sha256"] == sha256_weights(ckpt)
        assert entry["adapter"] is (kind == "lora")
        assert entry.get("base") == (tiny_model if kind == "lora" else None)
        assert entry["parent"] == "base/step-0"
    base, start = manifest["checkpoints"][:2]
    assert base["path"] == start["path"] == manifest["base_model"] == tiny_model
    assert base["sha256"] == start["sha256"] == sha256_weights(tiny_model)
    assert start["algorithm"] == ("sft" if kind == "lora" else "trainer")  # TRL's model card says sft
    # the final model saved in DIR is the last checkpoint's weights again: not listed twice
    assert len(manifest["checkpoints"]) == 2 + len(checkpoints)


def test_a_final_model_no_checkpoint_holds_is_the_last_step(full_output, tmp_path, caplog):
    folder = shutil.copytree(full_output, tmp_path / "out")
    last = sha256_weights(folder / "checkpoint-5")
    shutil.rmtree(folder / "checkpoint-5")  # e.g. saved by trainer.save_model() only
    final = from_dir(folder, base="tiny-random")["checkpoints"][-1]
    assert (final["id"], final["path"], final["progress"]) == ("trainer/step-5", str(folder), 1.0)
    assert final["sha256"] == last  # hashed like a folder holding only the model, not checkpoint-N/

    (folder / "generation_config.json").write_text("{}")  # not checkpoint-4's weights, at its step
    shutil.rmtree(folder / "checkpoint-4")
    (folder / "checkpoint-2" / "trainer_state.json").write_text('{"global_step": 2, "max_steps": 2}')
    ids = [c["id"] for c in from_dir(folder, base="tiny-random")["checkpoints"]]
    assert ids == ["base/step-0", "trainer/step-0", "trainer/step-2"]
    assert "differs from the checkpoint at its step 2" in caplog.text


# --- folders that mimic a trainer's layout ---------------------------------------------------------
def mimic_full(root: Path, tiny_model: str, states: dict[str, dict]) -> Path:
    for name, state in states.items():
        shutil.copytree(tiny_model, root / name)
        if state:
            (root / name / "trainer_state.json").write_text(json.dumps(state))
    return root


def mimic_lora(root: Path, tiny_model: str, steps: list[int]) -> Path:
    """Real PEFT LoRA adapters on the tiny model, one per checkpoint-N/ (no trainer_state.json)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(tiny_model), LoraConfig(r=2, target_modules=["q_proj"])
    )
    for n in steps:
        torch.manual_seed(n)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "lora_B" in name:
                    p.normal_(0, 0.02)
        model.save_pretrained(root / f"checkpoint-{n}")
    return root


def test_global_step_wins_over_the_folder_name_and_flags_name_the_stage(tmp_path, tiny_model, cli):
    states = {"checkpoint-10": {"global_step": 12, "max_steps": 30}, "checkpoint-20": {"global_step": 24}}
    folder = mimic_full(tmp_path / "out", tiny_model, states)
    code, out, err = cli("manifest", "from-dir", folder, "--base", tiny_model, "--stage", "orpo-run",
                         "--algorithm", "orpo")  # fmt: skip
    assert code == 0, err
    entries = json.loads(out)["checkpoints"]
    assert [(c["id"], c["algorithm"], c["total_steps"]) for c in entries[1:]] == [
        ("orpo-run/step-0", "orpo", 30), ("orpo-run/step-12", "orpo", 30), ("orpo-run/step-24", "orpo", 30)
    ]  # fmt: skip
    assert "4 checkpoints" in err


def test_adapter_folders_take_the_step_from_their_name_and_the_base_from_their_config(
    tmp_path, tiny_model, cli
):
    folder = mimic_lora(tmp_path / "out", tiny_model, [3, 9])
    out = tmp_path / "m.json"
    code, _, err = cli("manifest", "from-dir", folder, "--out", out)
    assert code == 0, err
    manifest = load_manifest(out)
    assert [(c["id"], c["adapter"], c.get("base")) for c in manifest["checkpoints"]] == [
        ("base/step-0", False, None), ("trainer/step-0", False, None),
        ("trainer/step-3", True, tiny_model), ("trainer/step-9", True, tiny_model),
    ]  # fmt: skip
    assert manifest["checkpoints"][-1]["sha256"] == sha256_weights(folder / "checkpoint-9")


def test_a_checkpoint_changed_under_a_traced_id_is_refused_not_served_stale(tmp_path, tiny_model):
    import pandas as pd

    from valuedrift.config.schema import CheckpointsConfig, Experiment
    from valuedrift.errors import UserError
    from valuedrift.pipeline import PHASE_FUNCS
    from valuedrift.rundir import RunDir

    folder = mimic_full(tmp_path / "out", tiny_model, {"checkpoint-2": {"global_step": 2}})
    exp = Experiment(checkpoints=CheckpointsConfig(dir=str(folder), base=tiny_model))
    run = RunDir(tmp_path / "run", create=True)
    PHASE_FUNCS["train"](run, exp)
    run.write_part("generations", "trainer/step-2", pd.DataFrame({"response": ["old answer"]}))
    PHASE_FUNCS["train"](run, exp)  # the same weights: traced on
    (folder / "checkpoint-2" / "generation_config.json").write_text("{}")  # retrained into the same folder
    with pytest.raises(UserError, match=r"trainer/step-2: its sha256 changed"):
        PHASE_FUNCS["train"](run, exp)


# --- bad input: one line, exit 2 -------------------------------------------------------------------
def _empty(root, tiny):
    root.mkdir()
    (root / "runs.txt").write_text("nothing here")
    return ["manifest", "from-dir", root], "no checkpoints"


def _pickle_only(root, tiny):
    (root / "checkpoint-2").mkdir(parents=True)
    shutil.copy(Path(tiny) / "config.json", root / "checkpoint-2")
    (root / "checkpoint-2" / "pytorch_model.bin").write_bytes(b"not loaded")
    return ["manifest", "from-dir", root, "--base", tiny], "pickle only (pytorch_model.bin)"


def _adapter_without_base(root, tiny):
    mimic_lora(root, tiny, [2])
    cfg = json.loads((root / "checkpoint-2" / "adapter_config.json").read_text())
    (root / "checkpoint-2" / "adapter_config.json").write_text(
        json.dumps({**cfg, "base_model_name_or_path": None})
    )
    return ["manifest", "from-dir", root], "names no base model"


def _adapter_base_gone(root, tiny):
    mimic_lora(root, tiny, [2])
    cfg = json.loads((root / "checkpoint-2" / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = "/nonexistent/base-model"
    (root / "checkpoint-2" / "adapter_config.json").write_text(json.dumps(cfg))
    return ["manifest", "from-dir", root], "/nonexistent/base-model"


def _full_without_base(root, tiny):
    mimic_full(root, tiny, {"checkpoint-2": {"global_step": 2}})
    return ["manifest", "from-dir", root], "pass --base"


def _no_tokenizer(root, tiny):
    mimic_full(root, tiny, {"checkpoint-2": {}})
    for f in (root / "checkpoint-2").glob("tokenizer*"):
        f.unlink()
    return ["manifest", "from-dir", root, "--base", tiny], "no tokenizer files"


def _no_model(root, tiny):
    (root / "checkpoint-2").mkdir(parents=True)
    (root / "checkpoint-2" / "trainer_state.json").write_text('{"global_step": 2}')
    return ["manifest", "from-dir", root], "no model in it"


def _trace_empty(root, tiny):
    root.mkdir()
    return ["trace", "--checkpoints", root, "--out", root.parent / "run"], "checkpoints.dir"


def _trace_with_stages(root, tiny):
    mimic_full(root, tiny, {"checkpoint-2": {}})
    cfg = {"stages": [{"name": "sft", "algorithm": "sft", "steps": 2, "data": {"path": "demo:sft.jsonl"}}],
           "checkpoints": {"dir": str(root), "base": tiny}}  # fmt: skip
    return [
        "trace",
        write_config(root.parent, cfg),
        "--out",
        root.parent / "run",
    ], "cannot be combined with stages"


def _hub_named_first(root, tiny):
    return ["manifest", "from-hub", "sft=org/a", "dpo=org/b"], "no base model before stage 'sft'"


def _hub_bad_spec(root, tiny):
    return ["manifest", "from-hub", "org/a", "not a repo"], "expected org/name"


def _hub_stage_twice(root, tiny):
    return ["manifest", "from-hub", "org/a", "sft=org/b", "sft=org/c"], "stage 'sft' listed twice"


BAD = [_empty, _pickle_only, _adapter_without_base, _adapter_base_gone, _full_without_base, _no_tokenizer,
       _no_model, _trace_empty, _trace_with_stages, _hub_named_first, _hub_bad_spec, _hub_stage_twice]  # fmt: skip


@pytest.mark.parametrize("case", BAD, ids=lambda f: f.__name__.strip("_"))
def test_bad_input_is_one_line_exit_2(case, tmp_path, tiny_model, cli):
    args, expected = case(tmp_path / "out", tiny_model)
    code, _, err = cli(*args)
    assert code == 2, err
    assert expected in one_error_line(err)
    assert not (tmp_path / "run").exists()  # preflight: nothing created before the inputs check out


def test_a_checkpoints_section_names_exactly_one_source(tmp_path, cli):
    cfg = write_config(tmp_path, {"checkpoints": {"dir": str(tmp_path), "hub": ["org/a", "org/b"]}})
    code, _, err = cli("config", "validate", cfg)
    assert code == 2
    assert "checkpoints: Value error" not in err and "give exactly one of 'dir'" in one_error_line(err)


# --- hub models ------------------------------------------------------------------------------------
def rows(manifest: dict) -> list[tuple]:
    return [(c["id"], c["algorithm"], c["path"], c["parent"], c["total_steps"], c["sha256"])
            for c in manifest["checkpoints"]]  # fmt: skip


def test_a_hub_chain_makes_one_stage_per_repo_each_starting_from_the_last():
    sft, dpo, final = (f"allenai/Llama-3.1-Tulu-3-8B{s}@main" for s in ("-SFT", "-DPO", ""))
    manifest = from_hub(TULU)
    assert manifest["base_model"] == sft
    assert rows(manifest) == [
        ("base/step-0", "base", sft, None, 0, None),
        ("dpo/step-0", "dpo", sft, "base/step-0", 1, None),
        ("dpo/step-1", "dpo", dpo, "base/step-0", 1, None),
        ("rlvr/step-0", "rlvr", dpo, "dpo/step-1", 1, None),
        ("rlvr/step-1", "rlvr", final, "dpo/step-1", 1, None),
    ]  # fmt: skip
    # with the pretrained model first, stages are named from their repos (or their place)
    named = from_hub(["base=meta-llama/Llama-3.1-8B@v1", *(s.split("=")[-1] for s in TULU)])
    stages = [c["id"] for c in named["checkpoints"] if c["step"] > 0]
    assert stages == ["sft/step-1", "dpo/step-1", "stage3/step-1"]
    assert named["base_model"] == "meta-llama/Llama-3.1-8B@v1"


def test_step_revisions_of_one_repo_are_the_steps_of_one_stage(tmp_path, tiny_model, cli):
    repo = "allenai/OLMo-2-1124-7B"
    specs = [f"pretrain={repo}@stage1-step928646-tokens3896B", f"{repo}@stage1-step400000-tokens1678B",
             "sft=allenai/OLMo-2-1124-7B-SFT@main"]  # fmt: skip
    out = tmp_path / "m.json"
    code, _, err = cli("manifest", "from-hub", *specs, "--base", tiny_model, "--out", out)
    assert code == 0, err
    manifest = load_manifest(out)
    base_sha = sha256_weights(tiny_model)
    assert rows(manifest) == [
        ("base/step-0", "base", tiny_model, None, 0, base_sha),
        ("pretrain/step-0", "trainer", tiny_model, "base/step-0", 928646, base_sha),
        ("pretrain/step-400000", "trainer", f"{repo}@stage1-step400000-tokens1678B", "base/step-0", 928646, None),
        ("pretrain/step-928646", "trainer", f"{repo}@stage1-step928646-tokens3896B", "base/step-0", 928646, None),
        ("sft/step-0", "sft", f"{repo}@stage1-step928646-tokens3896B", "pretrain/step-928646", 1, None),
        ("sft/step-1", "sft", "allenai/OLMo-2-1124-7B-SFT@main", "pretrain/step-928646", 1, None),
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["tulu3-8b", "olmo2-7b"])
def test_the_shipped_series_configs_validate_and_build_their_chain(name, cli):
    from valuedrift.config import load_config
    from valuedrift.series import build_manifest

    path = CONFIGS / f"{name}.yaml"
    code, _, err = cli("config", "validate", path)
    assert code == 0, err
    exp = load_config(path)
    manifest = build_manifest(exp.checkpoints)  # nothing downloaded: hub ids, no hashes
    assert [c["id"] for c in manifest["checkpoints"]] == [
        "base/step-0", "dpo/step-0", "dpo/step-1", "rlvr/step-0", "rlvr/step-1"
    ]  # fmt: skip
    assert all(c["sha256"] is None and c["path"].startswith("allenai/") for c in manifest["checkpoints"])
    sampling = exp.generation.sampling
    assert (sampling.n_samples, sampling.temperature, sampling.max_new_tokens) == (5, 0.7, 256)


def test_a_changed_series_supersedes_every_part_and_train_refuses_a_series(tmp_path, cli):
    """Changing ``checkpoints`` marks every answer stale (the ids may now be other weights); ``train``
    on a series config says there is nothing to train instead of writing a base-only manifest."""
    from valuedrift.config import validate_config
    from valuedrift.rundir import RunDir
    from valuedrift.supersede import plan

    run = RunDir(tmp_path / "run", create=True)
    part = run.part_path("generations", "sft/step-2")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    old = validate_config({"checkpoints": {"dir": str(tmp_path / "a")}})
    new = validate_config({"checkpoints": {"dir": str(tmp_path / "b")}})
    changes = plan(run, old, new)
    assert [c.why for c in changes] == ["checkpoints changed"] and part in changes[0].paths
    assert plan(run, old, old) == []
    cfg = tmp_path / "series.yaml"
    cfg.write_text(f"checkpoints: {{dir: {tmp_path / 'a'}}}\n")
    code, _, err = cli("train", cfg, "--out", tmp_path / "out")
    assert code == 2 and "no stages to train (it traces an existing series)" in err, err
    assert not (tmp_path / "out").exists()
