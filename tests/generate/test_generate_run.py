"""generate_run: one part per checkpoint, resumable, cached by weights hash, broken checkpoints named."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from valuedrift.config.schema import Experiment
from valuedrift.errors import UserError
from valuedrift.generate.cache import GenerationCache
from valuedrift.generate.run import generate_run
from valuedrift.tables import GENERATION_COLUMNS


@pytest.fixture()
def prompts_file(tmp_path):
    path = tmp_path / "prompts.jsonl"
    rows = [
        {"id": "abortion-001", "category": "abortion", "question": "Should abortion be legal?"},
        {"id": "immigration-001", "category": "immigration", "question": "Should borders be open?"},
        {
            "id": "immigration-002",
            "category": "immigration",
            "question": "Is immigration good for the economy?",
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def experiment(prompts_file, **sampling) -> Experiment:
    return Experiment.model_validate(
        {
            "name": "t",
            "base_model": {"name": "tiny-random"},
            "generation": {
                "prompts": {"path": str(prompts_file)},
                "sampling": {"n_samples": 2, "max_new_tokens": 8, **sampling},
            },
        }
    )


def manifest(series, *names):
    return {"run": "t", "base_model": series["base"]["path"], "checkpoints": [series[n] for n in names]}


def test_generates_one_part_per_checkpoint_and_rerun_generates_nothing(
    run_dir, series, prompts_file, tmp_path
):
    cache = GenerationCache(tmp_path / "cache")
    exp = experiment(prompts_file)
    man = manifest(series, "base", "other", "lora")
    stats = generate_run(run_dir, exp, man, cache=cache)
    assert stats["generated"] == 3 * 3 * 2 and stats["skipped"] == 0
    df = run_dir.read_table("generations")
    assert list(df.columns) == GENERATION_COLUMNS
    assert len(df) == 18 and set(df.checkpoint) == {"base/step-0", "sft/step-4", "lora/step-4"}
    assert df.groupby("checkpoint").response.apply(tuple).nunique() == 3  # different weights, different text

    again = generate_run(run_dir, exp, man, cache=cache)
    assert again["skipped"] == 3 and again["generated"] == 0

    # a new run dir over the same weights and sampling is served from the cache
    from valuedrift.rundir import RunDir

    other_run = RunDir(tmp_path / "run2", create=True)
    renamed = {**series["base"], "id": "sft/step-0", "stage": "sft"}  # same weights, another name
    third = generate_run(other_run, exp, {**man, "checkpoints": [renamed]}, cache=cache)
    assert third["generated"] == 0
    a = other_run.read_part("generations", "sft/step-0").response.tolist()
    b = run_dir.read_part("generations", "base/step-0").response.tolist()
    assert a == b


def test_changed_sampling_or_weights_are_never_served_stale(run_dir, series, prompts_file, tmp_path):
    from valuedrift.rundir import RunDir

    cache = GenerationCache(tmp_path / "cache")
    generate_run(run_dir, experiment(prompts_file), manifest(series, "base"), cache=cache)
    r2 = RunDir(tmp_path / "r2", create=True)
    stats = generate_run(r2, experiment(prompts_file, temperature=1.3), manifest(series, "base"), cache=cache)
    assert stats["generated"] == 6
    r3 = RunDir(tmp_path / "r3", create=True)
    changed = {**series["base"], "sha256": "0" * 64}
    assert (
        generate_run(
            r3, experiment(prompts_file), {**manifest(series), "checkpoints": [changed]}, cache=cache
        )["generated"]
        == 6
    )


def test_broken_checkpoint_is_named_and_others_are_kept(run_dir, series, prompts_file, tmp_path):
    cache = GenerationCache(tmp_path / "cache")
    broken = {**series["other"], "id": "dpo/step-2", "path": str(tmp_path / "nowhere")}
    man = {
        "run": "t",
        "base_model": series["base"]["path"],
        "checkpoints": [series["base"], broken, series["lora"]],
    }
    with pytest.raises(
        UserError, match=r"checkpoint dpo/step-2: folder not found.*other checkpoints' generations are saved"
    ):
        generate_run(run_dir, experiment(prompts_file), man, cache=cache)
    assert run_dir.has_part("generations", "base/step-0") and run_dir.has_part("generations", "lora/step-4")
    assert not run_dir.has_part("generations", "dpo/step-2")
    # fixing the checkpoint and re-running generates only the missing part
    shutil.copytree(series["other"]["path"], tmp_path / "nowhere")
    stats = generate_run(run_dir, experiment(prompts_file), man, cache=cache)
    assert stats["skipped"] == 2 and stats["generated"] == 6
    assert len(pd.read_parquet(run_dir.part_path("generations", "dpo/step-2"))) == 6


def test_adapter_cache_key_follows_the_base_weights_not_its_location(series, tmp_path):
    from valuedrift.generate.cache import weights_key

    lora = series["lora"]
    copy = tmp_path / "base-copy"
    shutil.copytree(series["base"]["path"], copy)
    changed = tmp_path / "base-changed"
    shutil.copytree(series["other"]["path"], changed)
    k = weights_key(lora, "unused")
    assert weights_key({**lora, "base": str(copy)}, "unused") == k  # same weights elsewhere: reused
    assert weights_key({**lora, "base": str(changed)}, "unused") != k  # other base weights: new key
    # a manifest hash for the base folder is used as is, and agrees with the folder's content hash
    known = {str(copy.resolve()): series["base"]["sha256"]}
    assert weights_key({**lora, "base": str(copy)}, "unused", known) == k


def test_run_killed_inside_a_checkpoint_resumes_from_its_last_chunk(
    run_dir, series, prompts_file, tmp_path, monkeypatch
):
    from valuedrift.generate import run as run_mod
    from valuedrift.generate.hf import HFGenerator
    from valuedrift.rundir import RunDir

    monkeypatch.setattr(run_mod, "CHUNK", 2)  # one prompt (2 samples) per chunk
    exp = experiment(prompts_file)
    man = manifest(series, "other")

    class KilledAfter(HFGenerator):
        """The real back end, interrupted (as by Ctrl-C) on its second chunk."""

        calls = 0

        def answer(self, *a, **k):
            KilledAfter.calls += 1
            if KilledAfter.calls == 2:
                raise KeyboardInterrupt
            return super().answer(*a, **k)

    cache = GenerationCache(tmp_path / "cache")
    with pytest.raises(KeyboardInterrupt):
        generate_run(
            run_dir, exp, man, cache=cache, backend=KilledAfter(exp.generation, base_model=man["base_model"])
        )
    assert not run_dir.has_part("generations", "sft/step-4")
    again = generate_run(run_dir, exp, man, cache=cache)
    assert again["generated"] == 4  # the first chunk (2 answers) came from the cache
    fresh = RunDir(tmp_path / "fresh", create=True)
    generate_run(fresh, exp, man, cache=GenerationCache(tmp_path / "cache2"))
    got = run_dir.read_part("generations", "sft/step-4").response.tolist()
    assert got == fresh.read_part("generations", "sft/step-4").response.tolist()
