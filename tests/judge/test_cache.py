"""The verdict cache: content-addressed keys, and safe when several processes write at once."""

from __future__ import annotations

import subprocess
import sys

from valuedrift.judge.base import JudgeItem, unscored
from valuedrift.judge.cache import VerdictCache, cache_key

WRITER = """
import sys
from valuedrift.judge.base import JudgeItem, Verdict
from valuedrift.judge.cache import VerdictCache, cache_key
c = VerdictCache(sys.argv[1])
tag = sys.argv[2]
for i in range(40):
    rows = [(cache_key({"name": "t"}, JudgeItem("q", f"{tag}-{i}-{k}")), "t",
             Verdict(0.5, 0.25, 0.25, "support", "ok", "raw")) for k in range(10)]
    c.put_many(rows)
"""


def test_key_covers_judge_identity_prompt_version_and_text():
    item = JudgeItem("Should X?", "Yes.", "religion")
    base = {"name": "openai", "model": "m", "base_url": "u", "prompt_version": "stance-v1"}
    k = cache_key(base, item)
    assert k == cache_key(dict(base), JudgeItem("Should X?", "Yes.", "religion"))
    for change in ({"model": "m2"}, {"base_url": "u2"}, {"prompt_version": "stance-v2"}):
        assert cache_key({**base, **change}, item) != k
    assert cache_key(base, JudgeItem("Should X?", "Yes!", "religion")) != k
    assert cache_key(base, JudgeItem("Should Y?", "Yes.", "religion")) != k
    assert cache_key(base, JudgeItem("Should X?", "Yes.", "abortion")) != k


def test_concurrent_writer_processes_lose_nothing(tmp_path):
    path = tmp_path / "v.sqlite"
    VerdictCache(path)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag]) for tag in ("a", "b", "c")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    cache = VerdictCache(path)
    assert len(cache) == 3 * 40 * 10
    key = cache_key({"name": "t"}, JudgeItem("q", "b-39-9"))
    assert cache.get_many([key])[key].probs == (0.5, 0.25, 0.25)


def test_transient_failures_are_not_stored(tmp_path):
    cache = VerdictCache(tmp_path / "v.sqlite")
    cache.put_many([("k1", "t", unscored("timeout", transient=True)), ("k2", "t", unscored("garbage"))])
    assert set(cache.get_many(["k1", "k2"])) == {"k2"}
