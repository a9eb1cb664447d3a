"""The walker on the tiny model: stage tree, manifest, behaviour of each algorithm, resume, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.walk.conftest import completion_logprob, load_checkpoint, pref_stage, sft_stage, write_config
from valuedrift.io import sha256_weights
from valuedrift.walk.schedule import save_steps


def test_save_schedules_always_include_the_final_step():
    assert save_steps(10, every=4) == [4, 8, 10]
    assert save_steps(100, log=5) == [1, 3, 10, 32, 100]
    assert save_steps(7) == [7]
    assert save_steps(50, every=25, log=3) == [1, 7, 25, 50]


def test_stage_tree_writes_a_valid_manifest_with_hashes(tmp_path, cli):
    cfg = write_config(
        tmp_path,
        [sft_stage(), pref_stage("dpo", "dpo"), pref_stage("simpo", "simpo"), pref_stage("kto", "kto")],
    )
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 0, err
    from valuedrift.manifest import load_manifest

    man = load_manifest(tmp_path / "run" / "checkpoints_manifest.json")
    by_id = {c["id"]: c for c in man["checkpoints"]}
    assert list(by_id) == [
        "base/step-0", "sft/step-0", "sft/step-2", "sft/step-4",
        "dpo/step-0", "dpo/step-1", "dpo/step-2", "simpo/step-0", "simpo/step-1", "simpo/step-2",
        "kto/step-0", "kto/step-1", "kto/step-2",
    ]  # fmt: skip
    assert by_id["sft/step-2"]["progress"] == 0.5 and by_id["sft/step-2"]["total_steps"] == 4
    for stage in ("dpo", "simpo", "kto"):  # every branch starts from the same SFT checkpoint
        start = by_id[f"{stage}/step-0"]
        assert start["parent"] == "sft/step-4"
        assert (start["path"], start["sha256"]) == (
            by_id["sft/step-4"]["path"],
            by_id["sft/step-4"]["sha256"],
        )
    for c in man["checkpoints"]:
        if c["step"] > 0:
            assert c["sha256"] == sha256_weights(c["path"]) and c["adapter"]
    assert by_id["dpo/step-2"]["base"] == by_id["simpo/step-2"]["base"]  # one merged SFT model, shared
    assert by_id["dpo/step-1"]["sha256"] != by_id["dpo/step-2"]["sha256"]
    # a re-run trains nothing and keeps the manifest
    before = (tmp_path / "run" / "checkpoints_manifest.json").read_text()
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 0, err
    assert json.loads((tmp_path / "run" / "checkpoints_manifest.json").read_text()) == json.loads(before)


def _margins(entry, pairs):
    model, tok = load_checkpoint(entry)
    return (
        sum(
            completion_logprob(model, tok, p["prompt"], p["chosen"])
            - completion_logprob(model, tok, p["prompt"], p["rejected"])
            for p in pairs[:8]
        )
        / 8
    )


@pytest.mark.parametrize("algorithm", ["dpo", "simpo", "kto"])
def test_preference_stage_moves_towards_chosen(algorithm, tmp_path, cli, pairs):
    """DPO / SimPO raise the chosen-over-rejected log-prob margin; KTO raises desirable over undesirable."""
    cfg = write_config(
        tmp_path,
        [sft_stage(steps=2, save={"every": 2}),
         pref_stage(algorithm, algorithm, steps=8, learning_rate=2e-3, save={"every": 8})],
    )  # fmt: skip
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 0, err
    from valuedrift.manifest import load_manifest

    by_id = {c["id"]: c for c in load_manifest(tmp_path / "run" / "checkpoints_manifest.json")["checkpoints"]}
    before = _margins(by_id[f"{algorithm}/step-0"], pairs)
    after = _margins(by_id[f"{algorithm}/step-8"], pairs)
    assert after > before + 1.0, (before, after)


def _run_train(cfg, out):
    return subprocess.Popen(
        [sys.executable, "-m", "valuedrift", "train", str(cfg), "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def test_sigkill_mid_stage_then_rerun_matches_uninterrupted_run(tmp_path, cli):
    """Killed mid-DPO (after its first checkpoint), a re-run resumes there and ends like a clean run.

    The finished SFT stage is not redone (its folder is untouched), and every checkpoint hash of the
    resumed run equals the uninterrupted run's: same adapter, optimizer state, data order, reference.
    """
    stages = [sft_stage(steps=4, save={"every": 2}), pref_stage("dpo", "dpo", steps=24, save={"every": 4})]
    cfg = write_config(tmp_path, stages)
    code, _, err = cli("train", cfg, "--out", tmp_path / "ref")
    assert code == 0, err

    proc = _run_train(cfg, tmp_path / "killed")
    first = tmp_path / "killed" / "checkpoints" / "dpo" / "step-4"
    deadline = time.time() + 600
    while not first.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert first.exists(), proc.stderr.read().decode() if proc.poll() is not None else "timed out"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "killed" / "checkpoints" / "dpo" / "step-24").exists()
    sft_done = tmp_path / "killed" / "checkpoints" / "sft" / "step-4"
    stamp = sft_done.stat().st_mtime_ns
    code, _, err = cli("train", cfg, "--out", tmp_path / "killed")
    assert code == 0, err
    assert sft_done.stat().st_mtime_ns == stamp  # the finished stage was not redone

    def ids_and_hashes(run):
        man = json.loads((tmp_path / run / "checkpoints_manifest.json").read_text())
        return [(c["id"], c["sha256"]) for c in man["checkpoints"]]

    assert ids_and_hashes("killed") == ids_and_hashes("ref")
    assert len(ids_and_hashes("ref")) == 1 + 3 + 7  # base; sft 0, 2, 4; dpo 0, 4, ..., 24


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "the file has no rows"),
        ('{"text": "no known columns"}\n', "cannot detect the data format"),
        ('{"messages": "not a list"}\n{broken\n', "no usable row for SFT"),
    ],
)
def test_bad_training_data_is_one_line_exit_2_before_any_stage_trains(content, expected, tmp_path, cli):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content)
    cfg = write_config(
        tmp_path, [sft_stage(steps=2, save={"every": 2}), pref_stage("kid", "sft", data={"path": str(bad)})]
    )
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and expected in lines[0], err
    assert "Traceback" not in err
    assert not (tmp_path / "run" / "checkpoints").exists()  # found by the preflight: nothing trained
