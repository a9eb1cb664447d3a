"""The ``openai`` back end: any OpenAI-compatible chat server (vLLM serve, llama.cpp server, hosted APIs).

Each checkpoint is a model name on the server: the manifest entry's ``served_model`` if present,
else its ``id``; set ``generation.options.model`` to use one name for every checkpoint (e.g. a
single-model server). Requests run concurrently (``generation.concurrency`` in flight) with the
client's retries and exponential backoff; every answer carries its own seed. The API key is read
from the environment variable named by ``generation.api_key_env`` and never stored or logged.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from valuedrift.config.schema import GenerationConfig, SamplingConfig
from valuedrift.errors import ExternalFailure, MissingDependency, UserError
from valuedrift.generate.base import Answer, Request, messages_for


class OpenAIGenerator:
    name = "openai"

    def __init__(self, cfg: GenerationConfig, *, base_model: str):
        try:
            import openai  # noqa: F401
        except ImportError:
            raise MissingDependency("openai", "dev", "the openai generator back end") from None
        if not cfg.base_url:
            raise UserError(
                "generation.base_url is required for the openai back end (e.g. http://127.0.0.1:8080/v1)"
            )
        self.cfg = cfg
        self.base_model = base_model
        self.requests = 0

    def _client(self):
        from openai import AsyncOpenAI

        key = os.environ.get(self.cfg.api_key_env) or "sk-no-key"  # local servers accept any key
        return AsyncOpenAI(
            base_url=self.cfg.base_url,
            api_key=key,
            max_retries=int(self.cfg.options.get("max_retries", 5)),
            timeout=float(self.cfg.options.get("timeout_s", 120)),
        )

    def model_name(self, checkpoint: dict[str, Any]) -> str:
        return str(self.cfg.options.get("model") or checkpoint.get("served_model") or checkpoint["id"])

    async def _all(self, model: str, reqs: list[Request], sampling: SamplingConfig) -> list[Answer]:
        import openai

        sem = asyncio.Semaphore(self.cfg.concurrency)
        async with self._client() as client:

            async def one(r: Request) -> Answer:
                async with sem:
                    self.requests += 1
                    resp = await client.chat.completions.create(
                        model=model,
                        messages=messages_for(r.question, sampling),
                        temperature=sampling.temperature,
                        top_p=sampling.top_p,
                        max_tokens=sampling.max_new_tokens,
                        seed=r.seed % (2**31),
                        n=1,
                    )
                choice = resp.choices[0]
                text = (choice.message.content or "").strip()
                n_tok = resp.usage.completion_tokens if resp.usage else len(text.split())
                return Answer(text, int(n_tok), "length" if choice.finish_reason == "length" else "stop")

            try:
                return await asyncio.gather(*(one(r) for r in reqs))
            except openai.APIConnectionError as e:
                raise ExternalFailure(
                    f"cannot reach the generation server at {self.cfg.base_url}",
                    hint="start it or fix generation.base_url; completed checkpoints are kept",
                ) from e
            except openai.NotFoundError as e:
                raise UserError(f"the server at {self.cfg.base_url} has no model named {model!r}") from e
            except openai.APIStatusError as e:
                raise ExternalFailure(f"generation server error {e.status_code} for model {model!r}") from e

    def answer(
        self, checkpoint: dict[str, Any], reqs: list[Request], sampling: SamplingConfig
    ) -> list[Answer]:
        return asyncio.run(self._all(self.model_name(checkpoint), reqs, sampling))

    def close(self) -> None:
        pass
