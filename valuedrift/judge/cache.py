"""Content-addressed verdict cache: SQLite in WAL mode, safe with concurrent writers.

The key is sha256 over the judge's identity (name, model, base URL, prompt version, weights hash)
and the item (question, response, category), so a changed judge or prompt never returns a stale
verdict, and a re-run over judged responses makes zero judge calls. Transient failures are not cached.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from valuedrift.judge.base import Judge, JudgeItem, Verdict


def cache_key(identity: dict[str, Any], item: JudgeItem) -> str:
    """sha256 of the canonical JSON of (judge identity, question, response, category)."""
    blob = json.dumps(
        {"judge": identity, "q": item.question, "r": item.response, "c": item.category},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def default_cache_path() -> Path:
    from valuedrift.models import cache_root

    return cache_root() / "judge" / "verdicts.sqlite"


class VerdictCache:
    """A key -> verdict store in one SQLite file (WAL, busy timeout; one connection per thread)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, judge TEXT, verdict TEXT, "
                "created REAL)"
            )

    def _conn(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA busy_timeout=60000")
            con.execute("PRAGMA synchronous=NORMAL")
            self._local.con = con
        return con

    def get_many(self, keys: list[str]) -> dict[str, Verdict]:
        out: dict[str, Verdict] = {}
        con = self._conn()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            q = f"SELECT key, verdict FROM verdicts WHERE key IN ({','.join('?' * len(chunk))})"
            for k, v in con.execute(q, chunk):
                out[k] = Verdict.from_json(json.loads(v))
        return out

    def put_many(self, rows: list[tuple[str, str, Verdict]]) -> None:
        """Store (key, judge name, verdict) rows in one transaction; transient failures are skipped."""
        rows = [r for r in rows if not r[2].transient]
        if not rows:
            return
        con = self._conn()
        now = time.time()
        con.execute("BEGIN IMMEDIATE")
        try:
            con.executemany(
                "INSERT OR REPLACE INTO verdicts (key, judge, verdict, created) VALUES (?, ?, ?, ?)",
                [(k, j, json.dumps(v.to_json(), allow_nan=True), now) for k, j, v in rows],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def __len__(self) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]


class CachedJudge(Judge):
    """Wraps a judge: cached verdicts are returned without a call; new ones are stored as they come."""

    def __init__(self, inner: Judge, cache: VerdictCache, *, chunk: int = 256):
        super().__init__()
        self.inner = inner
        self.cache = cache
        self.chunk = chunk
        self.name = inner.name
        self.prompt_version = inner.prompt_version
        self.usage = inner.usage

    @property
    def identity(self) -> dict[str, Any]:
        return self.inner.identity

    def judge(self, items: list[JudgeItem]) -> list[Verdict]:
        keys = [cache_key(self.identity, it) for it in items]
        found = self.cache.get_many(list(dict.fromkeys(keys)))
        self.usage.cache_hits += sum(k in found for k in keys)
        todo: dict[str, JudgeItem] = {}
        for k, it in zip(keys, items, strict=True):
            if k not in found and k not in todo:
                todo[k] = it  # duplicates are judged once
        pending = list(todo.items())
        for start in range(0, len(pending), self.chunk):  # store as we go: an interrupt loses little
            part = pending[start : start + self.chunk]
            verdicts = self.inner.judge([it for _, it in part])
            self.cache.put_many([(k, self.name, v) for (k, _), v in zip(part, verdicts, strict=True)])
            found.update({k: v for (k, _), v in zip(part, verdicts, strict=True)})
        return [found[k] for k in keys]

    def _judge(self, items: list[JudgeItem]) -> list[Verdict]:
        return self.judge(items)

    def close(self) -> None:
        self.inner.close()
