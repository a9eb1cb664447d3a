"""OpenAI Batch API mode of the ``openai`` judge: write the JSONL, submit, poll, ingest, resume.

The batch's state (its id, input file id and a hash of the requests) is kept in
``<state_dir>/judge_batch.json`` (the run directory under ``valuedrift judge``), so a restart while
a batch is in flight polls that batch instead of paying for a second one. Requests the batch did not
answer come back ``unscored`` and transient (not cached), so the next run asks for them again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from valuedrift import io
from valuedrift.errors import ExternalFailure, MissingDependency
from valuedrift.judge.base import JudgeItem, Verdict, unscored
from valuedrift.judge.cache import cache_key

if TYPE_CHECKING:
    from valuedrift.judge.openai_judge import OpenAIJudge

log = logging.getLogger(__name__)

STATE = "judge_batch.json"
TERMINAL = ("completed", "failed", "expired", "cancelled")


def _state_dir(judge: OpenAIJudge) -> Path:
    if judge.state_dir is not None:
        return Path(judge.state_dir)
    from valuedrift.models import cache_root

    return cache_root() / "judge" / "batches"


def build_requests(judge: OpenAIJudge, items: list[JudgeItem]) -> tuple[list[dict], list[str]]:
    """Batch input lines (custom_id = the item's cache key) and their ids, one per distinct item."""
    lines, ids = [], []
    for it in items:
        cid = cache_key(judge.identity, it)
        if cid in ids:
            continue
        ids.append(cid)
        lines.append(
            {
                "custom_id": cid,
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": judge.request_body(it),
            }
        )
    return lines, ids


def run_batch(judge: OpenAIJudge, items: list[JudgeItem]) -> list[Verdict]:
    """Judge ``items`` through one Batch API job (resuming an in-flight one with the same requests)."""
    try:
        import openai
    except ImportError as e:
        raise MissingDependency("openai", "openai", "the openai judge") from e
    from valuedrift.judge.openai_judge import verdict_from_completion

    opts = judge.cfg.options
    poll_s = float(opts.get("batch_poll_s", 30.0))
    max_wait_s = float(opts.get("batch_max_wait_s", 26 * 3600))
    lines, ids = build_requests(judge, items)
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()
    sdir = _state_dir(judge)
    state_path = sdir / STATE
    client = openai.OpenAI(**judge.client_kwargs())
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    try:
        if state.get("requests_sha256") == digest and state.get("batch_id"):
            log.info("resuming batch %s", state["batch_id"])
        else:
            input_path = sdir / "judge_batch_input.jsonl"
            io.write_text(input_path, "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
            with open(input_path, "rb") as fh:
                f = client.files.create(file=fh, purpose="batch")
            b = client.batches.create(
                completion_window="24h", endpoint="/v1/chat/completions", input_file_id=f.id
            )
            judge.usage.requests += 2
            state = {
                "batch_id": b.id,
                "input_file_id": f.id,
                "requests_sha256": digest,
                "n": len(lines),
                "status": b.status,
                "submitted": time.time(),
            }
            io.write_json(state_path, state)
            log.info("submitted batch %s (%d requests)", b.id, len(lines))
        start = time.time()
        while True:
            b = client.batches.retrieve(state["batch_id"])
            judge.usage.requests += 1
            if b.status in TERMINAL:
                break
            if time.time() - start > max_wait_s:
                raise ExternalFailure(
                    f"batch {b.id} still '{b.status}' after {max_wait_s:.0f}s; re-run later to resume it"
                )
            time.sleep(poll_s)
        results: dict[str, dict] = {}
        for fid in (b.output_file_id, b.error_file_id):
            if not fid:
                continue
            text = client.files.content(fid).text
            judge.usage.requests += 1
            for ln in text.splitlines():
                if ln.strip():
                    row = json.loads(ln)
                    results[row.get("custom_id", "")] = row
    except openai.APIError as e:
        raise ExternalFailure(f"Batch API error: {type(e).__name__}: {str(e)[:200]}") from None
    finally:
        client.close()
    state["status"] = b.status
    state["finished"] = time.time()
    io.write_json(state_path, {**state, "batch_id": None, "last_batch_id": state["batch_id"]})
    by_id: dict[str, Verdict] = {}
    for cid in ids:
        row = results.get(cid)
        resp = (row or {}).get("response") or {}
        if row is None:
            v = unscored(f"batch {b.id} ({b.status}) returned no result", source="error", transient=True)
        elif resp.get("status_code") != 200:
            v = unscored(
                f"batch error: {json.dumps(row.get('error') or resp)[:500]}", source="error", transient=True
            )
        else:
            body = resp.get("body") or {}
            judge.account(body.get("usage"), batch=True)
            v = verdict_from_completion(body)
        by_id[cid] = judge.note(v)
    return [by_id[cache_key(judge.identity, it)] for it in items]
