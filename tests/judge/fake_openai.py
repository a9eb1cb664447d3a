"""A real OpenAI-compatible HTTP server on 127.0.0.1 (stdlib, in-process thread) for judge tests.

It answers ``/v1/chat/completions`` deterministically from directives in the judged response text,
injects faults on chosen attempts, counts every request, and implements enough of the Files and
Batch APIs (upload, create, retrieve, content) to run the Batch mode end to end.

Directives in the response text (the judge prompt quotes it, so the server can read them):
``ID=<name>`` names the item (requests are counted per ID); ``LP=<s>,<n>,<o>`` sets the label
log-probs returned; ``SAY=<word>`` sets the verdict text (default: the argmax label).
Faults: ``faults[ID] = ["429", "500", "timeout", "malformed", "ok"]``, one per attempt in order.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LABELS = ("support", "neutral", "oppose")
# first-token spellings a real tokenizer may produce, to exercise the prefix matching
TOKENS = {"support": "support", "neutral": " Neutral", "oppose": "opp"}


class FakeOpenAI:
    def __init__(
        self,
        *,
        logprobs: bool = True,
        retry_after: str = "0.2",
        timeout_sleep: float = 1.5,
        batch_polls: int = 1,
    ):
        self.logprobs = logprobs
        self.retry_after = retry_after
        self.timeout_sleep = timeout_sleep
        self.batch_polls = batch_polls
        self.latency = 0.0  # seconds before every chat answer (benchmarks)
        self.faults: dict[str, list[str]] = {}
        self.paths: Counter[str] = Counter()
        self.per_item: Counter[str] = Counter()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.auth: list[str] = []
        self.files: dict[str, str] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self._srv = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._srv.daemon_threads = True
        self._thread = threading.Thread(target=self._srv.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._srv.server_address[1]}/v1"

    @property
    def chat_requests(self) -> int:
        return self.paths["/v1/chat/completions"]

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._srv.shutdown()
        self._srv.server_close()

    # --- behaviour -------------------------------------------------------------------------------
    def completion(self, body: dict[str, Any]) -> dict[str, Any]:
        text = body["messages"][-1]["content"]
        m = re.search(r"LP=(-?[\d.]+),(-?[\d.]+),(-?[\d.]+)", text)
        lps = [float(x) for x in m.groups()] if m else [-0.1, -2.5, -4.0]
        say = re.search(r"SAY=(\w+)", text)
        content = say.group(1) if say else LABELS[max(range(3), key=lambda i: lps[i])]
        choice: dict[str, Any] = {
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": content},
            "logprobs": None,
        }
        if self.logprobs and body.get("logprobs"):
            first = TOKENS.get(content, content)
            tops = [
                {"token": TOKENS[s], "logprob": lp, "bytes": None} for s, lp in zip(LABELS, lps, strict=True)
            ]
            tops.append({"token": "The", "logprob": -9.0, "bytes": None})  # a distractor
            choice["logprobs"] = {
                "content": [{"token": first, "logprob": max(lps), "bytes": None, "top_logprobs": tops}],
                "refusal": None,
            }
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [choice],
            "usage": {"prompt_tokens": 100, "completion_tokens": 1, "total_tokens": 101},
        }

    def _handler(self):
        server = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def _send(
                self, code: int, obj: Any = None, raw: bytes | None = None, headers: dict | None = None
            ):
                data = raw if raw is not None else json.dumps(obj).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                payload = self.rfile.read(n)
                with server.lock:
                    server.paths[self.path] += 1
                    server.auth.append(self.headers.get("Authorization", ""))
                if self.path == "/v1/chat/completions":
                    body = json.loads(payload)
                    text = body["messages"][-1]["content"]
                    item = (re.search(r"ID=(\w+)", text) or re.search(r"(.*)", "")).group(1) or "?"
                    with server.lock:
                        attempt = server.per_item[item]
                        server.per_item[item] += 1
                        server.times[item].append(time.monotonic())
                        plan = server.faults.get(item, [])
                    action = plan[attempt] if attempt < len(plan) else "ok"
                    if server.latency:
                        time.sleep(server.latency)
                    if action == "429":
                        return self._send(
                            429,
                            {"error": {"message": "rate limited"}},
                            headers={"Retry-After": server.retry_after},
                        )
                    if action == "500":
                        return self._send(500, {"error": {"message": "boom"}})
                    if action == "timeout":
                        time.sleep(server.timeout_sleep)
                        return self._send(200, server.completion(body))
                    if action == "malformed":
                        return self._send(200, raw=b'{"choices": [ {"mess')
                    return self._send(200, server.completion(body))
                if self.path == "/v1/files":
                    lines = [
                        ln
                        for ln in payload.decode("utf-8", "replace").splitlines()
                        if ln.startswith('{"custom_id"')
                    ]
                    fid = f"file-in-{len(server.files)}"
                    server.files[fid] = "\n".join(lines)
                    return self._send(
                        200,
                        {
                            "id": fid,
                            "object": "file",
                            "bytes": len(payload),
                            "created_at": 0,
                            "filename": "batch.jsonl",
                            "purpose": "batch",
                            "status": "processed",
                        },
                    )
                if self.path == "/v1/batches":
                    body = json.loads(payload)
                    bid = f"batch_{len(server.batches)}"
                    server.batches[bid] = {
                        "id": bid,
                        "object": "batch",
                        "endpoint": body["endpoint"],
                        "input_file_id": body["input_file_id"],
                        "completion_window": "24h",
                        "created_at": 0,
                        "status": "validating",
                        "polls": 0,
                    }
                    return self._send(200, {k: v for k, v in server.batches[bid].items() if k != "polls"})
                return self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_GET(self):
                with server.lock:
                    server.paths[self.path] += 1
                m = re.fullmatch(r"/v1/batches/(\w+)", self.path)
                if m and m.group(1) in server.batches:
                    b = server.batches[m.group(1)]
                    b["polls"] += 1
                    if b["polls"] > server.batch_polls and b["status"] != "completed":
                        out = []
                        for ln in server.files[b["input_file_id"]].splitlines():
                            req = json.loads(ln)
                            out.append(
                                json.dumps(
                                    {
                                        "id": "r",
                                        "custom_id": req["custom_id"],
                                        "error": None,
                                        "response": {
                                            "status_code": 200,
                                            "request_id": "x",
                                            "body": server.completion(req["body"]),
                                        },
                                    }
                                )
                            )
                        server.files[f"file-out-{b['id']}"] = "\n".join(out) + "\n"
                        b.update(status="completed", output_file_id=f"file-out-{b['id']}")
                    elif b["status"] != "completed":
                        b["status"] = "in_progress"
                    return self._send(200, {k: v for k, v in b.items() if k != "polls"})
                m = re.fullmatch(r"/v1/files/([\w-]+)/content", self.path)
                if m and m.group(1) in server.files:
                    data = server.files[m.group(1)].encode()
                    try:
                        self.send_response(200)
                        self.send_header("Content-Type", "application/octet-stream")
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return None
                return self._send(404, {"error": {"message": f"no route {self.path}"}})

        return H
