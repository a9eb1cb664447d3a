"""Two-process CPU training (torchrun + gloo) with ValueDriftCallback, for test_callback_ddp.py.

    python -m torch.distributed.run --standalone --nproc_per_node 2 tests/integrations/ddp_train.py OUT

Each process samples half of the answers; the main one gathers them, judges and writes ``OUT/live``;
every process writes the valuedrift lines of its trainer's log history to ``OUT/log-<rank>.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from datasets import Dataset
from transformers import AutoTokenizer, DataCollatorForLanguageModeling, Trainer, TrainingArguments

from valuedrift.config.schema import PromptsConfig, SamplingConfig
from valuedrift.integrations import ValueDriftCallback
from valuedrift.models import load_model, pull


def main(out: Path) -> None:
    torch.set_num_threads(1)
    tiny = str(pull("tiny-random"))
    tok = AutoTokenizer.from_pretrained(tiny)
    data = Dataset.from_list([tok(f"Yes, I support public transport, case {i}.") for i in range(16)])
    args = TrainingArguments(output_dir=str(out / "out"), max_steps=4, save_steps=2, per_device_train_batch_size=2,
                             learning_rate=1e-2, logging_steps=1, report_to="none", use_cpu=True, seed=0,
                             ddp_backend="gloo", disable_tqdm=True)  # fmt: skip
    trainer = Trainer(
        model=load_model(tiny).train(),
        args=args,
        train_dataset=data,
        processing_class=tok,
        data_collator=DataCollatorForLanguageModeling(tok, mlm=False),
    )
    sampling = SamplingConfig(n_samples=2, max_new_tokens=8)
    trainer.add_callback(
        ValueDriftCallback(
            trainer, out / "live", prompts=PromptsConfig(per_category=1), sampling=sampling, cache=False
        )
    )
    trainer.train()
    logged = [h for h in trainer.state.log_history if "valuedrift/overall/support" in h]
    (out / f"log-{trainer.args.process_index}.json").write_text(json.dumps(logged))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
