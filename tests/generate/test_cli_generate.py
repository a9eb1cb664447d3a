"""``valuedrift generate RUN_DIR --manifest FILE``, in-process, on the tiny model."""

from __future__ import annotations

import json

from valuedrift.config.schema import GenerationConfig, SamplingConfig
from valuedrift.generate.run import generate_texts


def _files(tmp_path, series, broken: bool):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(
        json.dumps({"id": "a-1", "category": "a", "question": "Should taxes rise?"})
        + "\n"
        + json.dumps({"id": "b-1", "category": "b", "question": "Is it fair?"})
        + "\n"
    )
    other = dict(series["other"], path=str(tmp_path / "missing")) if broken else series["other"]
    man = tmp_path / "manifest.json"
    man.write_text(
        json.dumps({"run": "c", "base_model": series["base"]["path"], "checkpoints": [series["base"], other]})
    )
    sets = [
        "--set", f"generation.prompts.path={prompts}",
        "--set", "generation.sampling.n_samples=2",
        "--set", "generation.sampling.max_new_tokens=4",
    ]  # fmt: skip
    return man, sets


def test_cli_names_a_broken_checkpoint_then_resumes_after_the_fix(cli, series, tmp_path, monkeypatch):
    monkeypatch.setenv("VALUEDRIFT_CACHE", str(tmp_path / "cache"))
    run = tmp_path / "run"
    man, sets = _files(tmp_path, series, broken=True)
    code, out, err = cli("generate", run, "--manifest", man, *sets)
    assert code == 2, err
    assert "checkpoint sft/step-4: folder not found" in err and "Traceback" not in err + out
    from valuedrift.rundir import RunDir

    assert RunDir(run).has_part("generations", "base/step-0")  # the good checkpoint's answers are kept
    man, sets = _files(tmp_path, series, broken=False)
    code, out, err = cli("generate", run, "--manifest", man, *sets)
    assert code == 0, err
    assert "2 checkpoints (1 already done), 4 answers generated" in err + out
    df = RunDir(run).read_table("generations")
    assert len(df) == 8 and set(df.checkpoint) == {"base/step-0", "sft/step-4"}


def test_cli_missing_manifest_is_one_line(cli, tmp_path):
    code, _, err = cli("generate", tmp_path / "run", "--manifest", tmp_path / "nope.json")
    assert code == 2 and "manifest not found" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()  # nothing is created for a bad invocation


def test_generate_texts_answers_conversations_reproducibly(tiny_model):
    convs = [[{"role": "user", "content": "Hello?"}], [{"role": "user", "content": "Why?"}]]
    s = SamplingConfig(max_new_tokens=5, temperature=0.9)
    a = generate_texts(GenerationConfig(), tiny_model, convs, s)
    assert len(a) == 2 and a == generate_texts(GenerationConfig(batch_size=1), tiny_model, convs, s)
