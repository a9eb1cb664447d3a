"""``valuedrift trace``: the whole pipeline, resumable after SIGKILL at any phase, with identical results."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

CONFIG = {
    "name": "tracetest",
    "seed": 0,
    "base_model": {"name": "tiny-random"},
    "stages": [
        {"name": "sft", "algorithm": "sft", "steps": 4, "batch_size": 2, "data": {"path": "demo:sft.jsonl"},
         "save": {"every": 2}},
        {"name": "dpo", "algorithm": "dpo", "parent": "sft", "steps": 2, "batch_size": 2,
         "data": {"path": "demo:value_gap_oppose.jsonl"}, "save": {"every": 1}},
    ],
    "generation": {"prompts": {"per_category": 1}, "sampling": {"n_samples": 2, "max_new_tokens": 8}},
    "analysis": {"n_bootstrap": 100},
}  # fmt: skip


def start(cfg: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "valuedrift", "trace", str(cfg), "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def kill_when(proc: subprocess.Popen, ready, timeout: float = 600) -> bool:
    """SIGKILL ``proc`` as soon as ``ready()``; False if it finished first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("trigger never happened")


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.parquet")} if folder.exists() else {}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    root = tmp_path_factory.mktemp("ref")
    cfg = root / "exp.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    proc = start(cfg, root / "run")
    assert proc.wait(900) == 0, proc.stderr.read().decode()[-3000:]
    return root / "run"


@pytest.mark.slow
def test_killed_at_every_phase_resumes_to_identical_results(uninterrupted, tmp_path):
    cfg = tmp_path / "exp.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    run = tmp_path / "run"
    triggers = [
        ("train: mid SFT", lambda: (run / "checkpoints" / "sft" / "step-2").exists()),
        ("train: mid DPO", lambda: (run / "checkpoints" / "dpo" / "step-1").exists()),
        ("generate", lambda: len(mtimes(run / "generations")) >= 2),
        ("judge", lambda: len(mtimes(run / "judgments")) >= 1),
        ("analyze", lambda: (run / "stances.parquet").exists()),
    ]
    killed = []
    for name, ready in triggers:
        before = {t: mtimes(run / t) for t in ("generations", "judgments")}
        proc = start(cfg, run)
        if kill_when(proc, ready):
            killed.append(name)
            after = {t: mtimes(run / t) for t in ("generations", "judgments")}
            for t in before:  # parts complete before this attempt were not rewritten by it
                assert all(after[t][k] == v for k, v in before[t].items()), (name, t)
    assert len(killed) >= 4, killed  # analysis can finish before the kill lands; the rest must be caught
    done_parts = {t: mtimes(run / t) for t in ("generations", "judgments")}
    final = start(cfg, run)
    assert final.wait(900) == 0, final.stderr.read().decode()[-3000:]
    for t, parts in done_parts.items():
        now = mtimes(run / t)
        assert all(now[k] == v for k, v in parts.items()), f"completed {t} parts were redone"

    from valuedrift import load_run

    a, b = load_run(run), load_run(uninterrupted)
    assert [(c["id"], c["sha256"]) for c in a.manifest["checkpoints"]] == [
        (c["id"], c["sha256"]) for c in b.manifest["checkpoints"]
    ]
    key = ["checkpoint", "prompt_id", "sample"]
    for table in ("generations", "judgments"):
        x = getattr(a, table).sort_values(key).reset_index(drop=True)
        y = getattr(b, table).sort_values(key).reset_index(drop=True)
        assert not x.duplicated(key).any()
        cols = ["checkpoint", "prompt_id", "sample", "response"] + (
            ["p_support", "label", "status"] if table == "judgments" else []
        )
        pd.testing.assert_frame_equal(x[cols], y[cols])
    pd.testing.assert_frame_equal(a.drift, b.drift)
    assert (run / "report.html").exists()


def test_trace_with_a_changed_analysis_redoes_only_the_analysis(uninterrupted, tmp_path, cli):
    """A run directory takes a changed config: here only the analysis changed, so training,
    generations and judgments are kept and the old tables and report move to ``superseded/``
    (tests/test_resume_config_change.py covers changed stages, generation and judge)."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(uninterrupted, run)
    cfg = tmp_path / "exp.yaml"
    cfg.write_text(yaml.safe_dump(dict(CONFIG, analysis={"n_bootstrap": 50})))
    kept = {t: mtimes(run / t) for t in ("generations", "judgments")}
    code, _, err = cli("trace", cfg, "--out", run)
    assert code == 0, err
    assert {t: mtimes(run / t) for t in kept} == kept and "stage sft already complete" in err
    [old] = (run / "superseded").iterdir()
    assert {p.name for p in old.iterdir()} == {"why.json", "stances.parquet", "drift.parquet", "report.html"}
    assert (run / "report.html").exists()


def test_trace_reports_where_the_report_is_and_skips_completed_work(uninterrupted, cli, tmp_path):
    cfg = tmp_path / "exp.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    before = mtimes(uninterrupted / "generations")
    code, out, err = cli("trace", cfg, "--out", uninterrupted)
    assert code == 0, err
    assert out.strip().endswith("report.html")
    assert mtimes(uninterrupted / "generations") == before
    assert "stage sft already complete" in err


def test_all_algorithms_config_traces_every_algorithm_into_one_table_and_report(tmp_path, cli):
    """``demo:all-algorithms`` (shrunk to the tiny model): UNA, RAFT, GRPO and RLOO sit beside SFT, DPO,
    SimPO, KTO and PPO in the comparison table and the report; the four online stages share one
    reward model."""
    from valuedrift import compare
    from valuedrift.config import load_config

    code, out, err = cli("config", "show", "demo:all-algorithms")
    assert code == 0, err
    cfg = yaml.safe_load(out)
    algorithms = [s["algorithm"] for s in cfg["stages"]]
    assert algorithms == ["sft", "dpo", "simpo", "kto", "ppo", "una", "raft", "grpo", "rloo"]
    cfg["base_model"] = {"name": "tiny-random"}
    cfg.pop("valuedrift_version")
    for stage in cfg["stages"]:
        stage |= {"steps": 2, "batch_size": 2, "max_length": 512, "save": {"every": 1, "log": None}}
        for key in ("max_new_tokens", "k", "num_generations"):
            if key in stage["params"]:
                stage["params"][key] = 4 if key == "max_new_tokens" else 2
        if isinstance(stage["params"].get("reward"), dict):
            stage["params"]["reward"] |= {"reward_steps": 2}
    cfg["generation"]["prompts"]["per_category"] = 1
    cfg["generation"]["sampling"] |= {"n_samples": 1, "max_new_tokens": 8}
    cfg["analysis"]["n_bootstrap"] = 50
    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump(cfg))
    load_config(path)  # still a valid config
    code, _, err = cli("trace", path, "--out", tmp_path / "run")
    assert code == 0, err
    table = compare([tmp_path / "run"])
    assert set(table["algorithm"]) == set(algorithms)
    html = (tmp_path / "run" / "report.html").read_text()
    for name in ("una", "raft", "grpo", "rloo"):
        assert f">{name}<" in html, name
    assert len(list((tmp_path / "run" / "checkpoints" / "_reward").iterdir())) == 1


def test_unknown_builtin_config_is_one_line_exit_2(cli):
    code, _, err = cli("config", "validate", "demo:nope")
    assert code == 2 and "demo:nope: no such built-in config (there are: all-algorithms, demo)" in err


def test_full_disk_is_one_line_exit_1_and_keeps_completed_phases(uninterrupted, tmp_path, cli, monkeypatch):
    """ENOSPC in the judge phase (injected: a full disk cannot be caused without privileges): one line
    with the fix, exit code 1, training and generation kept; the re-run finishes the same run."""
    import errno
    import shutil

    from valuedrift import pipeline

    run = tmp_path / "run"
    shutil.copytree(uninterrupted, run)
    for name in ("judgments", "stances.parquet", "drift.parquet", "report.html"):
        target = run / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    cfg = tmp_path / "exp.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    generated = mtimes(run / "generations")

    def full_disk(*_):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setitem(pipeline.PHASE_FUNCS, "judge", full_disk)
    code, _, err = cli("trace", cfg, "--out", run)
    assert code == 1 and "Traceback" not in err
    assert f"disk full during judge in {run}" in err and "completed work is kept" in err
    assert mtimes(run / "generations") == generated and not (run / "judgments").exists()
    monkeypatch.undo()
    code, _, err = cli("trace", cfg, "--out", run)
    assert code == 0, err
    assert mtimes(run / "generations") == generated
    pd.testing.assert_frame_equal(
        pd.read_parquet(run / "drift.parquet"), pd.read_parquet(uninterrupted / "drift.parquet")
    )


def test_plan_counts_what_the_trace_then_did(uninterrupted, cli, tmp_path):
    """``valuedrift plan`` before a run agrees with the run's own tables."""
    import json

    cfg = tmp_path / "exp.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    code, out, _ = cli("plan", str(cfg), "--json", "--throughput", "vllm=1000")
    assert code == 0, out
    plan = json.loads(out.strip().splitlines()[-1])
    manifest = json.loads((uninterrupted / "checkpoints_manifest.json").read_text())["checkpoints"]
    from valuedrift.rundir import RunDir

    gens = RunDir(uninterrupted).read_table("generations")
    assert plan["checkpoints"] == len(manifest) == gens.checkpoint.nunique()
    assert plan["distinct_weights"] == len({e["sha256"] for e in manifest})
    assert plan["answers"] == len(gens) and plan["prompts"] == gens.prompt_id.nunique()
    sha = {e["id"]: e["sha256"] for e in manifest}
    sampled = gens.assign(sha=gens.checkpoint.map(sha)).drop_duplicates(["sha", "prompt_id", "sample"])
    assert plan["answers_sampled"] == len(sampled) and plan["judge_calls"] == len(sampled)
    assert sampled.n_tokens.sum() <= plan["max_tokens_to_sample"] == len(sampled) * 8
    assert plan["generation_s"]["vllm"] == round(plan["max_tokens_to_sample"] / 1000, 1)
    assert plan["throughput"]["vllm"]["source"] == "given with --throughput"


def test_plan_of_the_demo_matches_its_run(cli):
    """The demo's real counts (a fresh `valuedrift trace` of it, README): 18 checkpoints of 13 distinct
    weights, 22 prompts × 2 samples, 792 answers in the table, 572 sampled."""
    import json

    code, out, _ = cli("plan", "demo:demo", "--json")
    p = json.loads(out.strip().splitlines()[-1])
    assert (p["checkpoints"], p["distinct_weights"], p["prompts"], p["samples"]) == (18, 13, 22, 2)
    assert (p["answers"], p["answers_sampled"], p["max_tokens_to_sample"]) == (792, 572, 572 * 48)
    assert p["judge"]["cost_usd"] == 0.0
    code, out, _ = cli("plan", "demo:demo", "--set", "judge.backend=openai", "--set", "judge.model=gpt-4o",
                       "--set", "judge.batch_api=true")  # fmt: skip
    assert code == 0 and "price table of" in out and "Batch API: half" in out
    code, _, err = cli("plan", "demo:demo", "--throughput", "vllm=fast")
    assert code == 2 and "expected BACKEND=TOKENS_PER_SECOND" in err
