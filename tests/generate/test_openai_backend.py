"""The openai back end: against a real llama.cpp server (SmolLM2-135M GGUF), and against a small
fault-injecting HTTP server on 127.0.0.1 for retries, per-checkpoint model names and the API key."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from valuedrift.config.schema import Experiment, GenerationConfig, SamplingConfig
from valuedrift.errors import ExternalFailure
from valuedrift.generate.base import Request, answer_seed
from valuedrift.generate.cache import GenerationCache
from valuedrift.generate.registry import get_generator
from valuedrift.generate.run import generate_run

QUESTIONS = ["Should the minimum wage rise?", "Is nuclear power a good idea?"]


def reqs(seed: int = 0, n: int = 2) -> list[Request]:
    return [
        Request(f"p{i}", "c", q, k, answer_seed(seed, f"p{i}", k))
        for i, q in enumerate(QUESTIONS)
        for k in range(n)
    ]


def entry(cid: str, **extra) -> dict:
    stage, step = cid.split("/step-")
    return {
        "id": cid, "stage": stage, "algorithm": "sft", "step": int(step), "total_steps": 4,
        "progress": int(step) / 4, "path": "org/model@main", "parent": None, "adapter": False,
        "sha256": f"{stage}{step}".ljust(64, "0"), **extra,
    }  # fmt: skip


# --- the real llama.cpp server ----------------------------------------------------------------------
@pytest.mark.server
def test_llama_server_same_seed_same_text_and_length_stop(llama_server):
    cfg = GenerationConfig(backend="openai", base_url=llama_server.base_url, concurrency=2)
    gen = get_generator(cfg, base_model="smollm2-135m-instruct")
    sampling = SamplingConfig(n_samples=2, temperature=0.7, max_new_tokens=12)
    ckpt = entry("sft/step-1", served_model=llama_server.model)
    first = gen.answer(ckpt, reqs(), sampling)
    assert gen.requests == 4
    assert all(a.text and 0 < a.n_tokens <= 12 for a in first), first
    assert any(a.finish_reason == "length" for a in first)  # 12 tokens cut most answers short
    again = gen.answer(ckpt, reqs(), sampling)
    assert [a.text for a in again] == [a.text for a in first]  # per-answer seeds reproduce the text
    other = gen.answer(ckpt, reqs(seed=7), SamplingConfig(**{**sampling.model_dump(), "seed": 7}))
    assert [a.text for a in other] != [a.text for a in first]


@pytest.mark.server
def test_generate_run_against_llama_server_is_resumable(llama_server, run_dir, tmp_path):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(
        "".join(
            json.dumps({"id": f"t-{i}", "category": "t", "question": q}) + "\n"
            for i, q in enumerate(QUESTIONS)
        )
    )
    exp = Experiment.model_validate(
        {
            "name": "srv",
            "generation": {
                "backend": "openai",
                "base_url": llama_server.base_url,
                "options": {"model": llama_server.model},
                "prompts": {"path": str(prompts)},
                "sampling": {"n_samples": 2, "max_new_tokens": 8},
            },
        }
    )
    man = {"run": "srv", "base_model": "smollm2-135m-instruct", "checkpoints": [entry("sft/step-2")]}
    cache = GenerationCache(tmp_path / "cache")
    stats = generate_run(run_dir, exp, man, cache=cache)
    assert stats["generated"] == 4
    df = run_dir.read_part("generations", "sft/step-2")
    assert len(df) == 4 and (df.response.str.len() > 0).all() and (df.n_tokens > 0).all()
    assert generate_run(run_dir, exp, man, cache=cache)["generated"] == 0


# --- a fault-injecting server ----------------------------------------------------------------------
class FaultServer:
    """Answers chat completions with a text naming the model and seed; fails the first
    ``fail_first`` attempts of every question with HTTP 503; records every request."""

    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.attempts: Counter[str] = Counter()
        self.models: list[str] = []
        self.auth: set[str] = set()
        self.lock = threading.Lock()
        server = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                q = body["messages"][-1]["content"]
                with server.lock:
                    server.attempts[q] += 1
                    attempt = server.attempts[q]
                    server.auth.add(self.headers.get("Authorization", ""))
                if attempt <= server.fail_first:
                    code, obj = 503, {"error": {"message": "overloaded"}}
                else:
                    with server.lock:
                        server.models.append(body["model"])
                    text = f"{body['model']} says {q[:10]} #{body['seed']}"
                    code, obj = 200, {
                        "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "length",
                                     "message": {"role": "assistant", "content": text}}],
                        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
                    }  # fmt: skip
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def fault_server():
    srv = FaultServer(fail_first=2)
    yield srv
    srv.close()


def test_retries_model_per_checkpoint_and_key_from_env(fault_server, run_dir, tmp_path, monkeypatch):
    secret = "sk-test-SECRET-1234"
    monkeypatch.setenv("VD_TEST_KEY", secret)
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        "".join(
            json.dumps({"id": f"t-{i}", "category": "t", "question": q}) + "\n"
            for i, q in enumerate(QUESTIONS)
        )
    )
    exp = Experiment.model_validate(
        {
            "name": "f",
            "generation": {
                "backend": "openai", "base_url": fault_server.url, "api_key_env": "VD_TEST_KEY",
                "concurrency": 4, "prompts": {"path": str(prompts)}, "sampling": {"n_samples": 1},
            },
        }
    )  # fmt: skip
    man = {
        "run": "f",
        "base_model": "m",
        "checkpoints": [entry("sft/step-1", served_model="served-a"), entry("sft/step-2")],
    }
    stats = generate_run(run_dir, exp, man, cache=GenerationCache(tmp_path / "cache"))
    assert stats["generated"] == 4
    # every question failed twice with 503 and was retried to success (once per checkpoint)
    assert all(n == 2 + 2 for n in fault_server.attempts.values()), fault_server.attempts
    assert sorted(set(fault_server.models)) == ["served-a", "sft/step-2"]  # served_model, else the id
    df = run_dir.read_table("generations")
    assert df[df.checkpoint == "sft/step-1"].response.str.startswith("served-a says").all()
    assert set(df.finish_reason) == {"length"} and set(df.n_tokens) == {3}
    assert fault_server.auth == {f"Bearer {secret}"}
    stored = b"".join(p.read_bytes() for p in run_dir.path.rglob("*") if p.is_file())
    stored += b"".join(p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert secret.encode() not in stored


def test_unreachable_server_is_one_clear_error_and_keeps_finished_parts(fault_server, run_dir, tmp_path):
    cfg = {"backend": "openai", "base_url": fault_server.url, "options": {"max_retries": 0}}
    fault_server.fail_first = 0
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(json.dumps({"id": "t-0", "category": "t", "question": QUESTIONS[0]}) + "\n")
    exp = Experiment.model_validate(
        {"name": "f", "generation": {**cfg, "prompts": {"path": str(prompts)}, "sampling": {"n_samples": 1}}}
    )
    cache = GenerationCache(tmp_path / "cache")
    generate_run(
        run_dir, exp, {"run": "f", "base_model": "m", "checkpoints": [entry("sft/step-1")]}, cache=cache
    )
    fault_server.close()
    man = {"run": "f", "base_model": "m", "checkpoints": [entry("sft/step-1"), entry("sft/step-3")]}
    with pytest.raises(ExternalFailure, match=r"cannot reach the generation server at http://127\.0\.0\.1"):
        generate_run(run_dir, exp, man, cache=cache)
    assert run_dir.has_part("generations", "sft/step-1")
    assert not run_dir.has_part("generations", "sft/step-3")
