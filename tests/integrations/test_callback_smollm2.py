"""ValueDriftCallback on the real SmolLM2-135M with TRL's SFTTrainer: same numbers both ways."""

from __future__ import annotations

import json

import pytest

from tests.integrations.helpers import assert_same, post_hoc, table
from valuedrift.config.schema import PromptsConfig, SamplingConfig


@pytest.fixture()
def one_thread():
    """One torch thread: on this shared 2-core machine, two threads oversubscribed by other jobs made
    this test take 694 s; with one it took about 60 s (SFT steps dominate)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.usefixtures("one_thread")
def test_sft_on_demo_conversations_logs_what_the_saved_checkpoints_give(smollm2, tmp_path, cli, monkeypatch):
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    from valuedrift.demo import demo_data
    from valuedrift.integrations import ValueDriftCallback

    rows = [json.loads(line) for line in demo_data("sft.jsonl").read_text().splitlines()[:8]]
    args = SFTConfig(output_dir=str(tmp_path / "out"), max_steps=2, save_steps=1, per_device_train_batch_size=1,
                     learning_rate=1e-3, logging_steps=1, report_to="none", use_cpu=True, seed=0,
                     max_length=64, gradient_checkpointing=False, disable_tqdm=True)  # fmt: skip
    trainer = SFTTrainer(
        model=smollm2,  # TRL loads it in float32, as the hf back end does on a CPU
        args=args,
        train_dataset=Dataset.from_list([{"messages": r["messages"]} for r in rows]),
        peft_config=LoraConfig(r=8, target_modules="all-linear", task_type="CAUSAL_LM"),
    )
    cb = ValueDriftCallback(
        trainer,
        tmp_path / "live",
        prompts=PromptsConfig(limit=4),
        sampling=SamplingConfig(n_samples=1, max_new_tokens=16),
        cache=False,
    )
    trainer.add_callback(cb)
    trainer.train()

    manifest = json.loads((tmp_path / "live" / "checkpoints_manifest.json").read_text())
    assert [e["id"] for e in manifest["checkpoints"]] == [
        "base/step-0",
        "sft/step-0",
        "sft/step-1",
        "sft/step-2",
    ]
    assert manifest["base_model"] == smollm2
    live = table(tmp_path / "live")
    again = post_hoc(cli, monkeypatch, tmp_path / "live", tmp_path / "post")
    assert len(live) == 4 * 4
    assert_same(live, again)
    logged = [h["step"] for h in trainer.state.log_history if "valuedrift/overall/support" in h]
    assert logged == [0, 1, 2]
