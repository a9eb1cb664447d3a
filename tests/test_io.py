"""Atomic writes and the run directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pandas as pd
import pytest


def test_atomic_path_leaves_old_file_when_writer_fails(tmp_path):
    from valuedrift import io

    target = tmp_path / "t.json"
    io.write_json(target, {"v": 1})
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text('{"v": 2, "half')
        raise RuntimeError("crash mid-write")
    assert target.read_text().strip().endswith("}")
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]


def test_sigkill_mid_write_never_leaves_a_half_file(tmp_path):
    target = tmp_path / "big.parquet"
    code = textwrap.dedent(
        f"""
        import os, pandas as pd
        from valuedrift import io
        df = pd.DataFrame({{"x": range(200_000)}})
        io.write_parquet({str(target)!r}, df)
        with io.atomic_path({str(target)!r}) as tmp:
            open(tmp, "wb").write(b"partial")
            os.kill(os.getpid(), 9)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code])
    assert proc.returncode == -signal.SIGKILL
    assert len(pd.read_parquet(target)) == 200_000  # the complete old file
    from valuedrift.io import clean_partials

    assert clean_partials(tmp_path) == 1
    assert os.listdir(tmp_path) == ["big.parquet"]


def test_atomic_dir_replaces_whole_directory(tmp_path):
    from valuedrift import io

    d = tmp_path / "ckpt"
    with io.atomic_dir(d) as tmp:
        (tmp / "a.safetensors").write_bytes(b"1")
    h1 = io.sha256_weights(d)
    with pytest.raises(ValueError), io.atomic_dir(d) as tmp:
        (tmp / "a.safetensors").write_bytes(b"2")
        raise ValueError
    assert io.sha256_weights(d) == h1
    with io.atomic_dir(d) as tmp:
        (tmp / "a.safetensors").write_bytes(b"2")
        (tmp / "optimizer.safetensors").write_bytes(b"state")
    assert io.sha256_weights(d) != h1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_run_dir_tables_concatenate_parts(run_dir):
    from valuedrift import load_run

    run_dir.write_part("generations", "sft/step-0", pd.DataFrame({"checkpoint": ["sft/step-0"], "x": [1]}))
    run_dir.write_part("generations", "sft/step-4", pd.DataFrame({"checkpoint": ["sft/step-4"], "x": [2]}))
    assert run_dir.has_part("generations", "sft/step-4")
    run = load_run(run_dir.path)
    assert sorted(run.generations["x"]) == [1, 2]
    from valuedrift.errors import UserError

    with pytest.raises(UserError, match="no drift table yet"):
        _ = run.drift
    with pytest.raises(UserError, match=r"checkpoints_manifest\.json does not exist"):
        _ = run.manifest
