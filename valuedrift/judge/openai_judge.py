"""The ``openai`` judge: any OpenAI-compatible chat endpoint, label log-probs -> probabilities.

Paper method (GPT-4o): ask for one label word with ``logprobs=True`` and ``top_logprobs=K``; at the
first label token, add up the probability of every alternative that starts a label (``sup``,
``support``, `` Support`` ...) and normalise over S = {support, neutral, oppose}:
p(s) = exp(l_s) / sum_s' exp(l_s'). A server that returns no log-probs gets the parsed label with
probability 1 (``source = "parsed"``); an unparseable verdict is ``unscored`` with the raw text.

Requests run concurrently (at most ``concurrency`` in flight) and are retried on 429 / 5xx /
timeouts / malformed bodies with exponential backoff and full jitter, honouring ``Retry-After``.
The API key is read from the environment variable named in the config and never stored or logged.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import os
import random
import time
from pathlib import Path
from typing import Any

from valuedrift.errors import ExternalFailure, MissingDependency, UserError
from valuedrift.judge import prompt
from valuedrift.judge.base import Judge, JudgeItem, Verdict, from_logprobs, one_hot, unscored

log = logging.getLogger(__name__)

PRICES_FILE = Path(__file__).parent / "data" / "prices.json"
"""The one price table (dated): USD per million (input, output) tokens of known OpenAI models; override
with ``options: {price_in: ..., price_out: ...}``. Batch API requests cost half."""


def price_table() -> dict[str, Any]:
    """``{"as_of": date, "source": ..., "models": {name: [input, output]}}`` from :data:`PRICES_FILE`."""
    return json.loads(PRICES_FILE.read_text())


RETRY_STATUSES = (408, 409, 429, 500, 502, 503, 504)


def price_for(model: str, options: dict[str, Any]) -> tuple[float, float] | None:
    if "price_in" in options or "price_out" in options:
        return float(options.get("price_in", 0.0)), float(options.get("price_out", 0.0))
    base = model.split("/")[-1]
    prices = price_table()["models"]
    for name in sorted(prices, key=len, reverse=True):
        if base == name or base.startswith(name + "-20"):
            return float(prices[name][0]), float(prices[name][1])
    return None


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date) or ``retry-after-ms``; None if absent."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    ra = headers.get("retry-after")
    if not ra:
        return None
    try:
        return max(0.0, float(ra))
    except ValueError:
        when = email.utils.parsedate_to_datetime(ra) if ra else None
        return max(0.0, when.timestamp() - time.time()) if when else None


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base * 2**attempt))."""
    return random.uniform(0, min(cap, base * 2**attempt))


def _label_logprobs(entries: list[tuple[str, float]]) -> dict[str, float]:
    """log sum_{tokens t starting label s} exp(logprob t), per label s."""
    acc: dict[str, list[float]] = {}
    seen: set[str] = set()
    for tok, lp in entries:
        if tok in seen:  # the sampled token also appears among its alternatives
            continue
        seen.add(tok)
        s = prompt.label_for_token(tok)
        if s is not None and lp is not None and math.isfinite(lp):
            acc.setdefault(s, []).append(lp)
    out = {}
    for s, lps in acc.items():
        m = max(lps)
        out[s] = m + math.log(sum(math.exp(x - m) for x in lps))
    return out


def _first_label_position(tokens: list[str]) -> int | None:
    """Index of the first token that carries letters (skips quotes, asterisks, whitespace)."""
    for i, t in enumerate(tokens):
        if any(c.isalpha() for c in t):
            return i
    return None


def verdict_from_completion(body: dict[str, Any]) -> Verdict:
    """A verdict from one chat-completion body (a dict, as the API or a Batch output line gives it).

    Reads chat-style log-probs (``logprobs.content[i].top_logprobs``) and the older completion style
    (``logprobs.tokens`` / ``logprobs.top_logprobs`` as dicts) that some servers return.
    """
    try:
        choice = body["choices"][0]
        text = (choice.get("message") or {}).get("content") or choice.get("text") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        return unscored(f"malformed completion: {str(body)[:500]}", source="error")
    lp = choice.get("logprobs") or {}
    entries: list[tuple[str, float]] | None = None
    if isinstance(lp, dict) and lp.get("content"):
        content = lp["content"]
        i = _first_label_position([c.get("token", "") for c in content])
        if i is not None:
            c = content[i]
            entries = [(c["token"], c.get("logprob"))]
            entries += [(a["token"], a.get("logprob")) for a in c.get("top_logprobs") or []]
    elif isinstance(lp, dict) and lp.get("tokens"):
        toks = lp["tokens"]
        i = _first_label_position(toks)
        tops = lp.get("top_logprobs") or []
        if i is not None:
            entries = [(toks[i], (lp.get("token_logprobs") or [None] * len(toks))[i])]
            if i < len(tops) and isinstance(tops[i], dict):
                entries += list(tops[i].items())
    if entries:
        lps = _label_logprobs(entries)
        if lps:
            return from_logprobs(lps, raw=text, source="logprobs")
    label = prompt.parse_label(text)
    if label is None:
        return unscored(text or "(empty verdict)", source="parsed")
    return one_hot(label, raw=text, source="parsed" if not entries else "parsed-no-label-logprobs")


class OpenAIJudge(Judge):
    """Stance judge on an OpenAI-compatible chat API (see module docstring)."""

    prompt_version = prompt.PROMPT_VERSION

    def __init__(self, cfg, *, state_dir: str | os.PathLike[str] | None = None):
        super().__init__()
        if not cfg.model:
            raise UserError("judge.model: the openai judge needs a model name (e.g. gpt-4o)")
        self.cfg = cfg
        self.model = cfg.model
        self.base_url = cfg.base_url.rstrip("/") if cfg.base_url else None
        self.name = f"openai:{self.model}" + (f"@{self.base_url}" if self.base_url else "")
        opts = cfg.options
        self.top_logprobs = int(opts.get("top_logprobs", 20))
        self.max_tokens = int(opts.get("max_tokens", 3))
        self.backoff_base = float(opts.get("backoff_base_s", 1.0))
        self.backoff_cap = float(opts.get("backoff_cap_s", 60.0))
        self.state_dir = state_dir
        self.price = price_for(self.model, opts)
        self.usage.extra.update({"unscored": 0, "parsed_fallback": 0, "cost_known": self.price is not None})
        self._answered = False  # has the endpoint answered any request (even with an error status)?

    @property
    def identity(self) -> dict[str, Any]:
        return {
            "name": "openai",
            "model": self.model,
            "base_url": self.base_url or "https://api.openai.com/v1",
            "prompt_version": self.prompt_version,
            "top_logprobs": self.top_logprobs,
        }

    # --- client ----------------------------------------------------------------------------------
    def _api_key(self) -> str:
        key = os.environ.get(self.cfg.api_key_env)
        if key:
            return key
        if self.base_url:  # local servers (llama.cpp, vLLM) accept any key
            return "no-key"
        raise UserError(
            f"judge.api_key_env: environment variable {self.cfg.api_key_env} is not set",
            hint="export it, or set judge.base_url for a local server",
        )

    def client_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self._api_key(),
            "base_url": self.base_url,
            "max_retries": 0,  # retries are ours: counted, bounded, Retry-After honoured
            "timeout": self.cfg.timeout_s,
        }

    def request_body(self, item: JudgeItem) -> dict[str, Any]:
        """The chat-completion request for one item (also one Batch API line's body)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": prompt.messages(item.question, item.response, item.category),
            "max_tokens": self.max_tokens,
            "temperature": 0,
        }
        if self.top_logprobs > 0:
            body["logprobs"] = True
            body["top_logprobs"] = self.top_logprobs
        return body

    def account(self, usage: dict[str, Any] | None, *, batch: bool = False) -> None:
        if not usage:
            return
        pt, ct = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        self.usage.prompt_tokens += pt
        self.usage.completion_tokens += ct
        if self.price:
            self.usage.cost_usd += (pt * self.price[0] + ct * self.price[1]) / 1e6 * (0.5 if batch else 1)

    def note(self, v: Verdict) -> Verdict:
        if v.status == "unscored":
            self.usage.extra["unscored"] += 1
        elif v.source.startswith("parsed"):
            self.usage.extra["parsed_fallback"] += 1
        return v

    # --- judging ---------------------------------------------------------------------------------
    def _judge(self, items: list[JudgeItem]) -> list[Verdict]:
        if self.cfg.batch_api:
            from valuedrift.judge.batch import run_batch

            return run_batch(self, items)
        verdicts = _run_sync(self._judge_async(items))
        self._check_reachable(verdicts)
        return verdicts

    def _check_reachable(self, verdicts: list[Verdict]) -> None:
        """An endpoint that never answered (so every failed request, with its retries, failed to
        connect or timed out) is one ExternalFailure, raised before these verdicts are stored: the
        user starts the server and re-runs, and the checkpoints judged before are kept. A server
        that answers some requests and fails others leaves its failures ``unscored``, retried next
        run."""
        failed = [v for v in verdicts if v.transient]
        if failed and not self._answered:
            raise ExternalFailure(
                f"cannot reach the judge endpoint at {self.base_url or 'api.openai.com'} "
                f"({len(failed)} requests, each tried {self.cfg.max_retries + 1} times: {failed[0].raw})",
                hint="start the server or fix judge.base_url, then re-run: judged checkpoints are kept",
            )

    async def _judge_async(self, items: list[JudgeItem]) -> list[Verdict]:
        try:
            import openai
        except ImportError as e:
            raise MissingDependency("openai", "openai", "the openai judge") from e
        sem = asyncio.Semaphore(self.cfg.concurrency)
        async with openai.AsyncOpenAI(**self.client_kwargs()) as client:

            async def one(it: JudgeItem) -> Verdict:
                async with sem:
                    return self.note(await self._one(client, it))

            return list(await asyncio.gather(*(one(it) for it in items)))

    async def _one(self, client, item: JudgeItem) -> Verdict:
        import openai

        body = self.request_body(item)
        last = ""
        for attempt in range(self.cfg.max_retries + 1):
            self.usage.requests += 1
            wait: float | None = None
            try:
                raw = await client.chat.completions.with_raw_response.create(**body)
                self._answered = True
                data = raw.http_response.json()
                if not isinstance(data, dict) or "choices" not in data:
                    raise ValueError(f"no 'choices' in body: {str(data)[:200]}")
                self.account(data.get("usage"))
                return verdict_from_completion(data)
            except (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError) as e:
                raise ExternalFailure(
                    f"judge endpoint {self.base_url or 'api.openai.com'} refused model {self.model}: "
                    f"HTTP {e.status_code}"
                ) from None
            except openai.APIStatusError as e:
                self._answered = True  # the server is there; it refused this request
                if e.status_code not in RETRY_STATUSES and e.status_code < 500:
                    return unscored(f"HTTP {e.status_code}: {str(e)[:500]}", source="error")
                last = f"HTTP {e.status_code}"
                wait = retry_after_seconds(e.response.headers)
            except openai.APITimeoutError:
                last = "timeout"
            except (openai.APIConnectionError, ValueError) as e:  # ValueError: malformed JSON body
                last = f"{type(e).__name__}: {str(e)[:200]}"
            if attempt == self.cfg.max_retries:
                break
            self.usage.retries += 1
            delay = wait if wait is not None else backoff_delay(attempt, self.backoff_base, self.backoff_cap)
            log.debug("judge request failed (%s); retry %d in %.2fs", last, attempt + 1, delay)
            await asyncio.sleep(min(delay, self.backoff_cap))
        self.usage.failures += 1
        return unscored(
            f"gave up after {self.cfg.max_retries + 1} attempts: {last}", source="error", transient=True
        )


def _run_sync(coro):
    """Run a coroutine from sync code, also when an event loop is already running (a notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        return ex.submit(asyncio.run, coro).result()
