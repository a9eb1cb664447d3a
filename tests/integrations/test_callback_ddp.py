"""ValueDriftCallback under two training processes (torchrun, gloo on the CPU): prompts split between
the processes and gathered on the main one, which alone writes; every process logs the same values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.integrations.helpers import assert_same, post_hoc, table

SCRIPT = Path(__file__).with_name("ddp_train.py")
ROOT = Path(__file__).resolve().parents[2]


def test_two_processes_write_one_run_whose_answers_the_saved_checkpoints_give(
    tiny_model, tmp_path, cli, monkeypatch
):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(SCRIPT),
    ]
    proc = subprocess.run([*cmd, str(tmp_path)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]

    manifest = json.loads((tmp_path / "live" / "checkpoints_manifest.json").read_text())
    assert [e["id"] for e in manifest["checkpoints"]] == [
        "base/step-0", "trainer/step-0", "trainer/step-2", "trainer/step-4"
    ]  # fmt: skip
    live = table(tmp_path / "live")
    assert len(live) == 4 * 11 * 2 and not live.duplicated(["checkpoint", "prompt_id", "sample"]).any()
    again = post_hoc(cli, monkeypatch, tmp_path / "live", tmp_path / "post")
    assert_same(live, again)

    logs = [json.loads((tmp_path / f"log-{rank}.json").read_text()) for rank in (0, 1)]
    assert [h["step"] for h in logs[0]] == [0, 2, 4]
    strip = [{k: v for k, v in h.items() if "seconds" not in k} for h in logs[0]]
    assert strip == [{k: v for k, v in h.items() if "seconds" not in k} for h in logs[1]]
