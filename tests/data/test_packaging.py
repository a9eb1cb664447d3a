"""builtin:vprism, demo: data and the demo bank load from an installed wheel, not only the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_the_prompt_set_and_demo_data(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(ROOT),
         "-w", str(tmp_path / "dist")],
        check=True, cwd=tmp_path,
    )  # fmt: skip
    wheel = next((tmp_path / "dist").glob("valuedrift-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "valuedrift/prompts_data/vprism.jsonl",
        "valuedrift/demo/data/sft.jsonl",
        "valuedrift/data/bank/value_questions.jsonl",
        "valuedrift/data/bank/general_requests.jsonl",
    } <= names
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    code = (
        "import valuedrift, json;"
        "from valuedrift.data.loaders import load_prompts, load_preference_dataset;"
        "from valuedrift.config.schema import PromptsConfig, DataConfig;"
        "from valuedrift.data.bank import general_requests, value_questions;"
        "p = load_prompts(PromptsConfig(per_category=2));"
        "d = load_preference_dataset(DataConfig(path='demo:value_gap_support.jsonl'));"
        "bank = [len(value_questions()), len(general_requests())];"
        "print(json.dumps([valuedrift.__file__, len(load_prompts(PromptsConfig())), len(p), len(d), bank]))"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    import json

    where, n_all, n_sub, n_pairs, bank = json.loads(out.stdout.strip().splitlines()[-1])
    assert where.startswith(str(tmp_path / "site"))  # the installed copy, not the source tree
    assert (n_all, n_sub, n_pairs, bank) == (550, 22, 305, [305, 75])


def test_packaged_prompt_set_is_the_repository_file():
    packaged = ROOT / "valuedrift" / "prompts_data" / "vprism.jsonl"
    assert packaged.read_bytes() == (ROOT / "prompts" / "vprism.jsonl").read_bytes()
