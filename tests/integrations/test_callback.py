"""ValueDriftCallback on the tiny model: the numbers it logs while training are the ones the post-hoc
pipeline gets from the saved checkpoints, and its run directory reads like any other."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.integrations.helpers import assert_same, post_hoc, table
from valuedrift.config.schema import PromptsConfig, SamplingConfig
from valuedrift.errors import UserError
from valuedrift.integrations import ValueDriftCallback

PAIRS = Path(__file__).resolve().parents[1] / "walk" / "fixtures" / "pairs.jsonl"
PROMPTS = PromptsConfig(per_category=1)  # 11 prompts, one per topic
SAMPLING = SamplingConfig(n_samples=2, max_new_tokens=8)
PROBS = ["p_support", "p_neutral", "p_oppose"]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The tiny model's matrices are too small to split between threads (see tests/walk/conftest.py)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def plain_trainer(tiny_model: str, out: Path, **args):
    """A plain transformers Trainer fully fine-tuning the tiny model on a tiny causal-LM dataset."""
    from datasets import Dataset
    from transformers import AutoTokenizer, DataCollatorForLanguageModeling, Trainer, TrainingArguments

    from valuedrift.models import load_model

    tok = AutoTokenizer.from_pretrained(tiny_model)
    data = Dataset.from_list([tok(f"Yes, I support public transport, case {i}.") for i in range(16)])
    kw = {"max_steps": 4, "save_steps": 2, "per_device_train_batch_size": 4, "learning_rate": 1e-2,
          "logging_steps": 1, "report_to": "none", "use_cpu": True, "seed": 0, "disable_tqdm": True} | args  # fmt: skip
    return Trainer(
        model=load_model(tiny_model).train(),
        args=TrainingArguments(output_dir=str(out), **kw),
        train_dataset=data,
        processing_class=tok,
        data_collator=DataCollatorForLanguageModeling(tok, mlm=False),
    )


def traced(trainer, run: Path, **kw):
    cb = ValueDriftCallback(trainer, run, prompts=PROMPTS, sampling=SAMPLING, **kw)
    trainer.add_callback(cb)
    trainer.train()
    return cb


@pytest.fixture(scope="module")
def dpo_run(tiny_model, tmp_path_factory):
    """TRL's DPOTrainer with a LoRA adapter, 4 steps, a checkpoint every 2, traced by the callback."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    from valuedrift.models import load_model

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("dpo")
    rows = [json.loads(line) for line in PAIRS.read_text().splitlines()]
    args = DPOConfig(output_dir=str(root / "out"), max_steps=4, save_steps=2, per_device_train_batch_size=2,
                     learning_rate=5e-3, logging_steps=1, report_to="none", use_cpu=True, seed=0,
                     max_length=64, disable_tqdm=True)  # fmt: skip
    trainer = DPOTrainer(
        model=load_model(tiny_model),
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=AutoTokenizer.from_pretrained(tiny_model),
        peft_config=LoraConfig(r=4, target_modules="all-linear", task_type="CAUSAL_LM"),
    )
    traced(trainer, root / "live", cache=root / "cb-cache")
    torch.set_num_threads(threads)
    return root, trainer


def test_dpo_lora_answers_and_verdicts_equal_those_of_the_saved_checkpoints(
    dpo_run, tiny_model, cli, monkeypatch
):
    root, _ = dpo_run
    manifest = json.loads((root / "live" / "checkpoints_manifest.json").read_text())
    steps = {e["id"]: e for e in manifest["checkpoints"]}
    assert list(steps) == ["base/step-0", "dpo/step-0", "dpo/step-2", "dpo/step-4"]
    assert steps["dpo/step-4"]["path"] == str((root / "out" / "checkpoint-4").resolve())
    assert steps["dpo/step-4"]["adapter"] and steps["dpo/step-4"]["base"] == tiny_model
    assert steps["dpo/step-2"]["algorithm"] == "dpo" and steps["dpo/step-2"]["parent"] == "base/step-0"

    live = table(root / "live")
    again = post_hoc(cli, monkeypatch, root / "live", root / "post")
    assert len(live) == 4 * 11 * 2
    assert_same(live, again)
    np.testing.assert_allclose(live[PROBS].to_numpy(), again[PROBS].to_numpy(), rtol=0, atol=1e-6)
    first, last = (live[live.checkpoint == c].response.tolist() for c in ("dpo/step-0", "dpo/step-4"))
    assert first != last  # training moved the model: the equality above is not of unchanged text


def test_the_callbacks_answers_serve_a_later_generate_from_the_cache(dpo_run):
    from valuedrift.config import load_config
    from valuedrift.generate.cache import GenerationCache
    from valuedrift.generate.run import generate_run
    from valuedrift.rundir import RunDir

    root, _ = dpo_run
    live = RunDir(root / "live")
    stats = generate_run(
        RunDir(root / "from-cache", create=True),
        load_config(live.config_path),
        live.read_manifest(),
        cache=GenerationCache(root / "cb-cache"),
    )
    assert stats["checkpoints"] == 4 and stats["generated"] == 0


def test_analyze_report_and_the_trainers_log_history_see_the_callbacks_numbers(dpo_run, cli):
    root, trainer = dpo_run
    run = root / "live"
    code, _, err = cli("analyze", run)
    assert code == 0, err
    code, out, err = cli("report", run)
    assert code == 0, err
    assert Path(out.strip()).is_file()
    drift = pd.read_parquet(run / "drift.parquet")
    assert set(drift.stage) == {"dpo"} and (drift.total_steps == 4).all()

    logged = {h["step"]: h for h in trainer.state.log_history if "valuedrift/overall/support" in h}
    assert sorted(logged) == [0, 2, 4]
    assert all(logged[0][f"valuedrift/drift/overall/{s}"] == 0 for s in ("support", "neutral", "oppose"))
    stances = pd.read_parquet(run / "stances.parquet").query("category == 'overall' and stance == 'support'")
    for step in (2, 4):
        v = stances[stances.checkpoint == f"dpo/step-{step}"].value.item()
        assert logged[step]["valuedrift/overall/support"] == pytest.approx(v, abs=1e-12)
        v0 = logged[0]["valuedrift/overall/support"]
        assert logged[step]["valuedrift/drift/overall/support"] == pytest.approx(v - v0, abs=1e-12)
    assert any(k.startswith("valuedrift/abortion/") for k in logged[2])
    assert "loss" not in logged[2]  # TRL's own metrics stay on its own log lines


def test_plain_trainer_full_weights_same_answers_post_hoc_and_same_training(
    tiny_model, tmp_path, cli, monkeypatch
):
    from valuedrift.io import sha256_weights

    traced(plain_trainer(tiny_model, tmp_path / "out"), tmp_path / "live", cache=False)
    manifest = json.loads((tmp_path / "live" / "checkpoints_manifest.json").read_text())
    assert [e["id"] for e in manifest["checkpoints"]] == [
        "base/step-0", "trainer/step-0", "trainer/step-2", "trainer/step-4"
    ]  # fmt: skip
    assert not any(e["adapter"] for e in manifest["checkpoints"])
    live = table(tmp_path / "live")
    again = post_hoc(cli, monkeypatch, tmp_path / "live", tmp_path / "post")
    assert_same(live, again)

    plain_trainer(tiny_model, tmp_path / "alone").train()  # the same training without the callback
    assert sha256_weights(tmp_path / "alone" / "checkpoint-4") == sha256_weights(
        tmp_path / "out" / "checkpoint-4"
    )


def test_listed_steps_without_saves_are_measured_and_marked_unsaved(tiny_model, tmp_path):
    trainer = plain_trainer(tiny_model, tmp_path / "out", save_strategy="no", run_name="lm/v1")
    traced(trainer, tmp_path / "live", schedule=[1, 3], cache=False)
    entries = json.loads((tmp_path / "live" / "checkpoints_manifest.json").read_text())["checkpoints"]
    assert [e["id"] for e in entries] == ["base/step-0", "lm-v1/step-0", "lm-v1/step-1", "lm-v1/step-3"]
    assert entries[2]["saved"] is False and not Path(entries[2]["path"]).exists()
    assert set(table(tmp_path / "live").checkpoint) == {e["id"] for e in entries}


def test_training_again_into_the_same_run_dir_sets_the_old_stage_aside(tiny_model, tmp_path):
    traced(plain_trainer(tiny_model, tmp_path / "a"), tmp_path / "live", cache=False)
    traced(plain_trainer(tiny_model, tmp_path / "b", max_steps=2), tmp_path / "live", cache=False)
    entries = json.loads((tmp_path / "live" / "checkpoints_manifest.json").read_text())["checkpoints"]
    assert [e["id"] for e in entries] == ["base/step-0", "trainer/step-0", "trainer/step-2"]
    assert entries[-1]["path"].endswith("b/checkpoint-2")
    assert set(table(tmp_path / "live").checkpoint) == {e["id"] for e in entries}
    (why,) = (tmp_path / "live" / "superseded").glob("*/why.json")
    assert "judgments/trainer__step-4.parquet" in json.loads(why.read_text())[0]["moved"]


def test_algorithm_comes_from_the_trainer_class():
    from valuedrift.integrations.callback import infer_algorithm

    def trainer_of(name: str, base=object, **args):
        return type(name, (base,), {"args": type("Args", (), args)()})()

    assert infer_algorithm(trainer_of("SFTTrainer")) == "sft"
    assert infer_algorithm(trainer_of("MyDPO", type(trainer_of("DPOTrainer")))) == "dpo"  # a subclass
    assert infer_algorithm(trainer_of("CPOTrainer", loss_type="simpo")) == "simpo"
    assert infer_algorithm(trainer_of("CPOTrainer", loss_type="sigmoid")) == "cpo"
    assert infer_algorithm(trainer_of("Trainer")) == "trainer"


@pytest.mark.parametrize("schedule", ["every", "log:x", [0, 2], "log"])
def test_a_bad_schedule_is_one_line_naming_it(schedule):
    with pytest.raises(UserError, match="schedule"):
        ValueDriftCallback(None, "runs/x", schedule=schedule)


def test_without_its_trainer_it_says_how_to_give_it(tiny_model, tmp_path):
    trainer = plain_trainer(tiny_model, tmp_path / "out")
    trainer.add_callback(ValueDriftCallback(None, tmp_path / "live"))
    with pytest.raises(UserError, match="needs its trainer"):
        trainer.train()


def test_without_saves_the_final_step_is_still_measured(tiny_model, tmp_path):
    traced(plain_trainer(tiny_model, tmp_path / "out", save_strategy="no"), tmp_path / "live", cache=False)
    entries = json.loads((tmp_path / "live" / "checkpoints_manifest.json").read_text())["checkpoints"]
    assert [(e["id"], e.get("saved", True)) for e in entries] == [
        ("base/step-0", True), ("trainer/step-0", True), ("trainer/step-4", False)
    ]  # fmt: skip


def test_a_resumed_training_remeasures_what_followed_its_checkpoint_and_drifts_from_step_0(
    tiny_model, tmp_path
):
    first = plain_trainer(tiny_model, tmp_path / "out")
    traced(first, tmp_path / "live", cache=False)
    before = table(tmp_path / "live")
    resumed = plain_trainer(tiny_model, tmp_path / "out")
    cb = ValueDriftCallback(resumed, tmp_path / "live", prompts=PROMPTS, sampling=SAMPLING, cache=False)
    resumed.add_callback(cb)
    resumed.train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-2"))

    assert_same(table(tmp_path / "live"), before)  # the same answers and verdicts again
    (why,) = (tmp_path / "live" / "superseded").glob("*/why.json")
    assert json.loads(why.read_text())[0]["why"] == "stage trainer resumed from step 2"
    history = resumed.state.log_history  # steps 0 and 2 come back with the trainer state of checkpoint-2
    (log,) = [h for h in history if "valuedrift/overall/support" in h and h["step"] > 2]
    (orig,) = [h for h in first.state.log_history if h.get("step") == 4 and "valuedrift/overall/support" in h]
    assert log["step"] == 4
    assert log["valuedrift/drift/overall/oppose"] == pytest.approx(orig["valuedrift/drift/overall/oppose"])
