"""Re-running a run directory with a changed config keeps the work the change leaves valid (same
folders, same files) and moves the rest into ``superseded/``; ``--fresh`` is never needed to fix a
stage that has not completed."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.walk.conftest import FIXTURES
from valuedrift.io import sha256_weights

CONFIG = {
    "name": "resume",
    "seed": 0,
    "base_model": {"name": "tiny-random"},
    "stages": [
        {"name": "sft", "algorithm": "sft", "steps": 4, "batch_size": 2, "save": {"every": 2},
         "data": {"path": str(FIXTURES / "sft.jsonl")}},
        {"name": "dpo", "algorithm": "dpo", "parent": "sft", "steps": 2, "batch_size": 2, "save": {"every": 1},
         "data": {"path": str(FIXTURES / "pairs.jsonl")}, "params": {"beta": 0.1}},
    ],
    "generation": {"prompts": {"per_category": 1, "limit": 4}, "sampling": {"n_samples": 1, "max_new_tokens": 4}},
    "analysis": {"n_bootstrap": 20},
}  # fmt: skip


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


def write(folder: Path, cfg: dict) -> Path:
    path = folder / "exp.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="module")
def traced(tmp_path_factory) -> Path:
    """One traced run (sft, then dpo from it); each test changes a copy."""
    from valuedrift.cli.main import main

    root = tmp_path_factory.mktemp("traced")
    assert main(["trace", str(write(root, CONFIG)), "--out", str(root / "run")]) == 0
    return root / "run"


@pytest.fixture()
def run(traced, tmp_path) -> Path:
    shutil.copytree(traced, tmp_path / "run")
    return tmp_path / "run"


def changed(**edits) -> dict:
    """CONFIG with ``{"stages.1.params.beta": 5.0}``-style edits."""
    cfg = copy.deepcopy(CONFIG)
    for key, value in edits.items():
        *head, last = key.split(".")
        node = cfg
        for k in head:
            node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
        node[last] = value
    return cfg


def identity(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of a folder and everything in it."""
    paths = [folder, *folder.rglob("*")] if folder.exists() else []
    return {str(p.relative_to(folder.parent)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths}


def parts(run: Path, table: str, prefix: str = "") -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (run / table).glob(f"{prefix}*.parquet")}


def manifest(run: Path) -> dict[str, str]:
    return {
        c["id"]: c["sha256"]
        for c in json.loads((run / "checkpoints_manifest.json").read_text())["checkpoints"]
    }


def superseded(run: Path) -> tuple[Path, list[dict]]:
    [folder] = (run / "superseded").iterdir()
    return folder, json.loads((folder / "why.json").read_text())


def one_line(err: str) -> str:
    return " ".join(err.split())  # log lines may wrap on the console


def test_changing_a_child_stage_retrains_only_it_and_keeps_its_parent(run, tmp_path, cli):
    from valuedrift.config import load_config

    sft_before, old = identity(run / "checkpoints" / "sft"), manifest(run)
    kept_parts = {t: parts(run, t, "sft__") | parts(run, t, "base__") for t in ("generations", "judgments")}
    code, _, err = cli("trace", write(tmp_path, changed(**{"stages.1.params.beta": 5.0})), "--out", run)
    assert code == 0, err

    assert identity(run / "checkpoints" / "sft") == sft_before  # same inodes, same mtimes
    assert {t: parts(run, t, "sft__") | parts(run, t, "base__") for t in kept_parts} == kept_parts
    new = manifest(run)
    assert all(new[k] == old[k] for k in ("base/step-0", "sft/step-2", "sft/step-4", "dpo/step-0"))
    assert new["dpo/step-1"] != old["dpo/step-1"] and new["dpo/step-2"] != old["dpo/step-2"]
    assert load_config(run / "config.yaml").stages[1].params["beta"] == 5.0

    folder, why = superseded(run)
    assert sha256_weights(folder / "checkpoints" / "dpo" / "step-2") == old["dpo/step-2"]
    assert why[0]["what"] == "stage dpo" and why[0]["why"] == "stages.dpo.params.beta changed"
    assert {f"{t}/dpo__step-{s}.parquet" for t in ("generations", "judgments") for s in (0, 1, 2)} <= set(
        why[0]["moved"]
    )
    for name in ("judge_meta.json", "stances.parquet", "drift.parquet", "report.html"):
        assert (folder / name).exists() and (run / name).exists(), name  # old kept, new rebuilt
    assert "config changed: stage dpo (stages.dpo.params.beta changed) superseded" in one_line(err)
    for t in ("generations", "judgments"):  # the new parts cover every checkpoint once
        assert len(parts(run, t)) == len(new)


def test_changing_a_parent_stage_supersedes_it_and_its_children(run, tmp_path, cli):
    old = manifest(run)
    base_parts = parts(run, "generations", "base__")
    code, _, err = cli("train", write(tmp_path, changed(**{"stages.0.learning_rate": 1e-3})), "--out", run)
    assert code == 0, err

    folder, why = superseded(run)
    assert [(w["what"], w["why"]) for w in why[:2]] == [
        ("stage sft", "stages.sft.learning_rate changed"),
        ("stage dpo", "its parent 'sft' changed"),
    ]
    for moved in ("checkpoints/sft/step-4", "checkpoints/dpo/step-2", "checkpoints/_merged/sft__step-4",
                  "generations/sft__step-4.parquet", "judgments/dpo__step-0.parquet",
                  "checkpoints_manifest.json", "report.html"):  # fmt: skip
        assert (folder / moved).exists(), moved
    assert sha256_weights(folder / "checkpoints" / "sft" / "step-4") == old["sft/step-4"]
    new = manifest(run)
    assert new["base/step-0"] == old["base/step-0"] and parts(run, "generations", "base__") == base_parts
    assert new["sft/step-4"] != old["sft/step-4"] and new["dpo/step-2"] != old["dpo/step-2"]
    assert not parts(run, "generations", "sft__") and not parts(run, "judgments", "dpo__")
    assert "config changed: stage dpo (its parent 'sft' changed) superseded" in one_line(err)


def test_operational_settings_supersede_nothing(run, tmp_path, cli):
    from valuedrift.config import load_config

    def state() -> dict:
        return identity(run / "checkpoints") | {t: parts(run, t) for t in ("generations", "judgments")}

    before = state()
    cfg = changed(**{"generation.concurrency": 3, "judge.concurrency": 2, "judge.timeout_s": 5.0,
                     "finetune": {"gradient_checkpointing": True}})  # fmt: skip
    code, _, err = cli("trace", write(tmp_path, cfg), "--out", run)
    assert code == 0, err
    assert not (run / "superseded").exists() and "superseded" not in err
    assert state() == before
    assert load_config(run / "config.yaml").generation.concurrency == 3  # the new config is saved


def test_changing_the_judge_supersedes_only_judgments(run, tmp_path, cli):
    generated = parts(run, "generations")
    judged = set(parts(run, "judgments"))
    code, _, err = cli(
        "train", write(tmp_path, changed(**{"judge.options": {"top_logprobs": 5}})), "--out", run
    )
    assert code == 0, err
    folder, why = superseded(run)
    assert why[0]["what"] == "every judgment" and why[0]["why"] == "judge.options.top_logprobs changed"
    assert {p.name for p in (folder / "judgments").iterdir()} == judged and not parts(run, "judgments")
    assert parts(run, "generations") == generated and not (folder / "generations").exists()
    assert (folder / "judge_meta.json").exists() and not (run / "judge_meta.json").exists()


def test_a_removed_stage_is_superseded_and_its_parent_kept(run, tmp_path, cli):
    sft_before = identity(run / "checkpoints" / "sft")
    cfg = changed()
    cfg["stages"] = cfg["stages"][:1]
    code, _, err = cli("train", write(tmp_path, cfg), "--out", run)
    assert code == 0, err
    folder, why = superseded(run)
    assert (why[0]["what"], why[0]["why"]) == ("stage dpo", "removed from the config")
    assert (folder / "checkpoints" / "dpo").is_dir() and not (run / "checkpoints" / "dpo").exists()
    assert identity(run / "checkpoints" / "sft") == sft_before
    assert not any(k.startswith("dpo/") for k in manifest(run))


def test_fingerprints_follow_the_stage_tree():
    """A stage's fingerprint changes with its own settings and its ancestors', never its children's."""
    from valuedrift.config import validate_config
    from valuedrift.supersede import generation_fingerprint, judge_fingerprint, stage_fingerprints

    def fps(**edits):
        exp = validate_config(changed(**edits))
        return stage_fingerprints(exp), generation_fingerprint(exp), judge_fingerprint(exp)

    ref, gen, judge = fps()
    child, _, _ = fps(**{"stages.1.params.beta": 0.2})
    assert child["sft"] == ref["sft"] and child["dpo"] != ref["dpo"] and child["base"] == ref["base"]
    parent, _, _ = fps(**{"stages.0.steps": 6})
    assert parent["sft"] != ref["sft"] and parent["dpo"] != ref["dpo"]
    seed, _, _ = fps(seed=1)
    assert seed["base"] == ref["base"] and seed["sft"] != ref["sft"]
    same = fps(**{"stages.1.params.loss_type": "sigmoid", "generation.batch_size": 2, "judge.cache": False,
                  "judge.api_key_env": "OTHER_KEY", "device": "cpu", "report_to": ["tensorboard"]})  # fmt: skip
    assert same == (ref, gen, judge)
    _, gen2, judge2 = fps(**{"generation.sampling.temperature": 0.3})
    assert gen2 != gen and judge2 == judge
