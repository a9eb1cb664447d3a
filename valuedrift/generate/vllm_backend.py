"""The ``vllm`` back end (optional extra ``valuedrift[vllm]``, CUDA): one offline engine per series.

- LoRA checkpoints are ``LoRARequest``s on the one engine (``enable_lora``); switching is free.
- Full checkpoints are loaded **in place**: a worker extension (``worker_extension_cls``, the
  mechanism of vLLM's RLHF examples) streams their safetensors into the live model on every worker
  with ``model.load_weights``, called through ``LLM.collective_rpc``; then the prefix cache is reset
  so no KV block computed with the old weights is reused.
- Stale-weight guard: a fingerprint (greedy next-token top-5 log-probs of a fixed probe prompt) is
  taken after every load. It must differ from the previous weights' fingerprint when the hash
  differs, and equal the fingerprint recorded earlier for the same hash (the base model's from
  engine start-up); otherwise the reload did not take effect and generation stops with an error
  rather than label old weights with a new checkpoint's name.
- ``n`` samples of a prompt come from one request (``SamplingParams(n=..., seed=...)``), seeded per
  prompt, so a re-run reproduces the same text (vLLM seeds each request's own generator).

Engine arguments (``gpu_memory_utilization``, ``max_model_len``, ``dtype``, ``max_loras``...) pass
through ``generation.options``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from valuedrift.config.schema import GenerationConfig, SamplingConfig
from valuedrift.errors import MissingDependency, UserError
from valuedrift.generate.base import Answer, Request, messages_for
from valuedrift.generate.hf import check_checkpoint

PROBE = [{"role": "user", "content": "Name one colour."}]
EXTENSION = f"{__name__}.WeightLoader"


class WeightLoader:
    """vLLM worker extension: methods mixed into every worker, called via ``collective_rpc``."""

    def valuedrift_load_safetensors(self, files: list[str]) -> int:
        """Copy the tensors of ``files`` into the running model; returns how many were loaded."""
        from safetensors.torch import load_file

        model = self.model_runner.model  # type: ignore[attr-defined]
        n = 0
        for f in files:
            n += len(model.load_weights(weights=list(load_file(f).items())) or [])
        try:  # re-apply post-load transforms (quantised layouts) as vLLM's RLHF example does
            from vllm.model_executor.model_loader.utils import process_weights_after_loading

            process_weights_after_loading(model, self.model_config, self.device)  # type: ignore[attr-defined]
        except ImportError:
            pass
        return n


def _same(a: tuple, b: tuple, tol: float = 2e-3) -> bool:
    return [k for k, _ in a] == [k for k, _ in b] and all(
        abs(x - y) <= tol for (_, x), (_, y) in zip(a, b, strict=True)
    )


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
        self._weights: str | None = None  # folder whose full weights are live
        self._weights_key: str | None = None  # its content hash (or folder)
        self._fingerprints: dict[str, tuple] = {}  # weights key -> probe fingerprint
        self._lora_ids: dict[str, int] = {}
        self.reloads = 0

    def _engine(self):
        if self.llm is None:
            from vllm import LLM

            opts = dict(self.cfg.options)
            self.llm = LLM(
                model=self.base_path,
                enable_lora=bool(opts.pop("enable_lora", True)),
                max_lora_rank=int(opts.pop("max_lora_rank", 64)),
                trust_remote_code=self.trust_remote_code,
                worker_extension_cls=EXTENSION,
                seed=0,
                **opts,
            )
            self._weights = self._weights_key = self.base_path
            self._fingerprints[self.base_path] = self._probe()
        return self.llm

    def _probe(self) -> tuple:
        from vllm import SamplingParams

        out = self.llm.chat([PROBE], SamplingParams(max_tokens=1, temperature=0, logprobs=5), use_tqdm=False)
        lp = out[0].outputs[0].logprobs[0]
        return tuple(sorted((int(k), float(v.logprob)) for k, v in lp.items()))

    def _load_full(self, cid: str, folder: Path, key: str) -> None:
        """Load ``folder``'s weights in place and check the load took effect (see module docstring)."""
        if self._weights == str(folder):
            return
        llm = self._engine()
        before = self._fingerprints.get(self._weights_key or "")
        files = sorted(str(f) for f in folder.glob("model*.safetensors"))
        try:
            loaded = llm.collective_rpc("valuedrift_load_safetensors", args=(files,))
        except Exception as e:
            raise UserError(f"checkpoint {cid}: in-place weight load failed: {str(e).splitlines()[0]}") from e
        if not all(loaded):
            raise UserError(f"checkpoint {cid}: no weights of {folder} matched the engine's model")
        llm.reset_prefix_cache()
        self.reloads += 1
        after = self._probe()
        known = self._fingerprints.get(key)
        stale = (known is not None and not _same(after, known)) or (
            key != self._weights_key and before is not None and _same(after, before) and known is None
        )
        if stale:
            self._weights = self._weights_key = None  # unknown state: force a reload next time
            raise UserError(
                f"checkpoint {cid}: the in-place weight reload did not take effect (stale weights); "
                "refusing to label old weights with this checkpoint"
            )
        self._fingerprints[key] = after
        self._weights, self._weights_key = str(folder), key

    def _lora(self, entry: dict[str, Any], folder: Path):
        from vllm.lora.request import LoRARequest

        from valuedrift.models import resolve

        base = entry.get("base")
        if base and str(resolve(str(base))) != self.base_path:
            raise UserError(
                f"checkpoint {entry['id']}: the vllm back end serves adapters of {self.base_model} only, "
                f"not of {base}"
            )
        if self._weights != self.base_path:
            self._load_full("base", Path(self.base_path), self.base_path)
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
        if checkpoint.get("adapter"):
            lora = self._lora(checkpoint, folder)
        else:
            lora = None
            self._load_full(checkpoint["id"], folder, str(checkpoint.get("sha256") or folder))
        # one request per prompt with n samples; its outputs are the samples in order
        groups: dict[str, list[Request]] = {}
        for r in reqs:
            groups.setdefault(r.prompt_id, []).append(r)
        order = [sorted(g, key=lambda r: r.sample) for g in groups.values()]
        params = [
            SamplingParams(
                n=len(g),
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                max_tokens=sampling.max_new_tokens,
                seed=g[0].seed % (2**31),
            )
            for g in order
        ]
        outs = llm.chat(
            [messages_for(g[0].question, sampling) for g in order], params, lora_request=lora, use_tqdm=False
        )
        answers: dict[tuple[str, int], Answer] = {}
        for g, out in zip(order, outs, strict=True):
            for r, o in zip(g, out.outputs, strict=True):
                answers[(r.prompt_id, r.sample)] = Answer(
                    o.text.strip(), len(o.token_ids), "length" if o.finish_reason == "length" else "stop"
                )
        return [answers[(r.prompt_id, r.sample)] for r in reqs]

    def close(self) -> None:
        self.llm = None
