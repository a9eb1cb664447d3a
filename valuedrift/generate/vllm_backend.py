"""The ``vllm`` back end (optional extra ``valuedrift[vllm]``, CUDA): one offline engine per series.

- LoRA checkpoints are ``LoRARequest``s on the one engine (``enable_lora``); switching is free.
- Full checkpoints are loaded **in place**: their safetensors are streamed into the running model on
  every worker (``LLM.collective_rpc`` with a loader function calling ``model.load_weights``), and the
  prefix cache is reset so no KV block computed with the old weights is reused.
- Stale-weight guard: after each in-place load, the greedy next-token log-probs of a fixed probe
  prompt must change whenever the checkpoint's hash changed; otherwise the load did not take effect
  and generation stops with an error rather than mislabel old weights.
- ``n`` samples of a prompt come from one request (``SamplingParams(n=..., seed=...)``), seeded per
  prompt; vLLM's per-request seeding makes a re-run reproduce the same text.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from valuedrift.config.schema import GenerationConfig, SamplingConfig
from valuedrift.errors import MissingDependency, UserError
from valuedrift.generate.base import Answer, Request, messages_for
from valuedrift.generate.hf import check_checkpoint

PROBE = [{"role": "user", "content": "Name one colour."}]


def _load_safetensors(worker, files: list[str]) -> int:
    """Runs inside each vLLM worker: stream safetensors into the live model."""
    from safetensors.torch import load_file

    model = worker.model_runner.model
    n = 0
    for f in files:
        n += len(model.load_weights(load_file(f).items()) or [])
    return n


class VLLMGenerator:
    name = "vllm"

    def __init__(self, cfg: GenerationConfig, *, base_model: str, trust_remote_code: bool = False):
        try:
            import vllm  # noqa: F401
        except ImportError:
            raise MissingDependency("vllm", "vllm", "the vllm generator back end (CUDA)") from None
        from valuedrift.models import resolve

        self.cfg = cfg
        self.base_model = base_model
        self.base_path = str(resolve(base_model))
        self.trust_remote_code = trust_remote_code
        self.llm = None
        self._weights: str | None = None
        self._lora_ids: dict[str, int] = {}
        self._fingerprint: tuple | None = None

    def _engine(self):
        if self.llm is None:
            from vllm import LLM

            # the in-place loader is a function sent to the workers
            os.environ.setdefault("VLLM_ALLOW_INSECURE_SERIALIZATION", "1")
            opts = dict(self.cfg.options)
            self.llm = LLM(
                model=self.base_path,
                enable_lora=bool(opts.pop("enable_lora", True)),
                max_lora_rank=int(opts.pop("max_lora_rank", 64)),
                trust_remote_code=self.trust_remote_code,
                seed=0,
                **opts,
            )
            self._weights = self.base_path
        return self.llm

    def _probe(self) -> tuple:
        from vllm import SamplingParams

        out = self._engine().chat(
            [PROBE], SamplingParams(max_tokens=1, temperature=0, logprobs=5), use_tqdm=False
        )
        lp = out[0].outputs[0].logprobs[0]
        return tuple(sorted((k, round(v.logprob, 4)) for k, v in lp.items()))

    def _load_full(self, entry: dict[str, Any], folder: Path) -> None:
        if self._weights == str(folder):
            return
        llm = self._engine()
        before = self._probe()
        files = sorted(str(f) for f in folder.glob("model*.safetensors"))
        llm.collective_rpc(_load_safetensors, args=(files,))
        llm.reset_prefix_cache()
        after = self._probe()
        if after == before and entry.get("sha256") != getattr(self, "_sha", None):
            raise UserError(
                f"checkpoint {entry['id']}: in-place weight reload did not change the model's outputs "
                "(stale weights); refusing to label old weights with this checkpoint"
            )
        self._weights = str(folder)
        self._sha = entry.get("sha256")

    def _lora(self, entry: dict[str, Any], folder: Path):
        from vllm.lora.request import LoRARequest

        if self._weights != self.base_path:
            self._load_full({"id": "base", "sha256": None}, Path(self.base_path))
        lid = self._lora_ids.setdefault(str(folder), len(self._lora_ids) + 1)
        return LoRARequest(entry["id"], lid, str(folder))

    def answer(
        self, checkpoint: dict[str, Any], reqs: list[Request], sampling: SamplingConfig
    ) -> list[Answer]:
        from vllm import SamplingParams

        folder = check_checkpoint(checkpoint)
        if folder is None:
            raise UserError(
                f"checkpoint {checkpoint['id']}: the vllm back end needs local checkpoint folders"
            )
        llm = self._engine()
        lora = self._lora(checkpoint, folder) if checkpoint.get("adapter") else None
        if lora is None:
            self._load_full(checkpoint, folder)
        # one request per prompt with n samples; answers come back in sample order
        by_prompt: dict[str, list[Request]] = {}
        for r in reqs:
            by_prompt.setdefault(r.prompt_id, []).append(r)
        groups = list(by_prompt.values())
        params = [
            SamplingParams(
                n=len(g),
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                max_tokens=sampling.max_new_tokens,
                seed=g[0].seed % (2**31),
            )
            for g in groups
        ]
        outs = llm.chat(
            [messages_for(g[0].question, sampling) for g in groups], params, lora_request=lora, use_tqdm=False
        )
        answers: dict[tuple[str, int], Answer] = {}
        for g, out in zip(groups, outs, strict=True):
            for r, o in zip(sorted(g, key=lambda r: r.sample), out.outputs, strict=True):
                answers[(r.prompt_id, r.sample)] = Answer(
                    o.text.strip(), len(o.token_ids), "length" if o.finish_reason == "length" else "stop"
                )
        return [answers[(r.prompt_id, r.sample)] for r in reqs]

    def close(self) -> None:
        self.llm = None
