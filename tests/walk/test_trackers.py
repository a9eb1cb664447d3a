"""``report_to``: TensorBoard event files and offline W&B runs under the run directory, holding each
stage's logged metrics — TRL stages and the walker's own PPO loop alike."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.walk.conftest import FIXTURES, pref_stage, sft_stage, write_config


def _jsonl(run: Path, stage: str) -> list[dict]:
    return [json.loads(line) for line in (run / "logs" / f"{stage}.jsonl").read_text().splitlines()]


def _tensorboard(run: Path, stage: str, tag: str) -> dict[int, float]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run / "logs" / "tensorboard" / stage))
    acc.Reload()
    return {e.step: e.value for e in acc.Scalars(tag)}


def test_tensorboard_gets_each_stages_training_loss_per_logged_step(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may land in the working directory
    cfg = write_config(tmp_path, [sft_stage(steps=3, save={"every": 3}), pref_stage("dpo", "dpo")],
                       report_to=["tensorboard"])  # fmt: skip
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 0, err
    run = tmp_path / "run"
    for stage, steps in (("sft", [1, 2, 3]), ("dpo", [1, 2])):
        logged = {m["step"]: m["loss"] for m in _jsonl(run, stage) if "loss" in m}
        assert list(logged) == steps
        assert _tensorboard(run, stage, "train/loss") == pytest.approx(logged)
    assert {p.name for p in tmp_path.iterdir()} == {"exp.yaml", "run"}


def test_tensorboard_gets_the_ppo_loops_metrics(tmp_path, cli):
    params = {"reward": {"type": "keyword", "positive": ["yes"]}, "max_new_tokens": 8, "ppo_epochs": 1}
    stage = {"name": "ppo", "algorithm": "ppo", "steps": 2, "batch_size": 2, "params": params,
             "data": {"path": str(FIXTURES / "pairs.jsonl")}, "save": {"every": 2}}  # fmt: skip
    cfg = write_config(tmp_path, [stage], report_to=["tensorboard"])
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 0, err
    logged = _jsonl(tmp_path / "run", "ppo")
    assert [m["step"] for m in logged] == [1, 2]
    for key in ("reward", "kl", "policy_loss", "value_loss"):
        assert _tensorboard(tmp_path / "run", "ppo", f"train/{key}") == pytest.approx(
            {m["step"]: m[key] for m in logged}
        ), key


def _wandb_records(path: Path):
    """The records of a W&B ``.wandb`` file: a LevelDB-style log (32 KiB blocks; 7-byte headers:
    checksum, length, type 1 full / 2 first / 3 middle / 4 last) after a 7-byte ``:W&B`` header."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, body = 7, b""
    while pos + 7 <= len(data):
        left = 32768 - pos % 32768
        length, kind = struct.unpack_from("<HB", data, pos + 4) if left >= 7 else (0, 0)
        if kind == 0:  # the zero padding at a block's end
            pos += left
            continue
        body += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):
            yield pb.Record.FromString(body)
            body = b""


def _wandb_history(path: Path) -> tuple[Any, list[dict]]:
    run, history = None, []
    for r in _wandb_records(path):
        if r.WhichOneof("record_type") == "run":
            run = r.run
        elif r.WhichOneof("record_type") == "history":
            history.append(
                {i.key or "/".join(i.nested_key): json.loads(i.value_json) for i in r.history.item}
            )
    return run, history


def test_wandb_offline_writes_one_run_per_stage_with_its_history_in_the_run_directory(tmp_path):
    cfg = write_config(tmp_path, [sft_stage(steps=2, save={"every": 2}), pref_stage("dpo", "dpo")],
                       report_to=["wandb"])  # fmt: skip
    elsewhere = tmp_path / "wandb_env"  # WANDB_DIR is not where a valuedrift run's files go
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env |= {"WANDB_MODE": "offline", "WANDB_DIR": str(elsewhere), "WANDB_CONFIG_DIR": str(tmp_path / "wb_config"),
            "WANDB_CACHE_DIR": str(tmp_path / "wb_cache"), "WANDB_DATA_DIR": str(tmp_path / "wb_data"),
            "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "valuedrift", "train", str(cfg), "--out", str(tmp_path / "run")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = tmp_path / "run"
    assert not elsewhere.exists() and not (tmp_path / "wandb").exists()
    for stage, steps in (("sft", [1, 2]), ("dpo", [1, 2])):
        run_id = (run / "logs" / "wandb" / f"{stage}.id").read_text().strip()
        [folder] = (run / "logs" / "wandb").glob(f"offline-run-*-{run_id}")
        info, history = _wandb_history(folder / f"run-{run_id}.wandb")
        assert (info.run_id, info.display_name, info.run_group, info.job_type) == (
            run_id,
            f"t/{stage}",
            "t",
            stage,
        )
        assert info.project == "valuedrift"
        logged = {m["step"]: m["loss"] for m in _jsonl(run, stage) if "loss" in m}
        assert list(logged) == steps
        assert {h["_step"]: h["train/loss"] for h in history if "train/loss" in h} == pytest.approx(logged)
