"""The ``hf`` back end: batched transformers generation on CPU or GPU, one model for a whole series.

- **Batching**: prompts sorted by length, left-padded, batch size from free memory (RAM on CPU,
  free CUDA memory on GPU), stop at end of turn.
- **Reproducible sampling**: sampling is done by inverse CDF inside a logits processor
  (:class:`SeededSampler`), with one random generator *per answer*, seeded by
  :func:`~valuedrift.generate.base.answer_seed`. This is exact sampling from softmax(logits/T)
  (restricted to the top-p nucleus), and an answer's random draws do not depend on its
  batch-mates. Guarantee: the same seed, checkpoint, sampling parameters, batch size and
  machine give identical text; other batch sizes give the same draws, so the text differs only
  where float rounding of padded batches flips a token (not seen in the tests).
- **Checkpoint switching without rebuilding**: LoRA checkpoints are adapters on the one loaded
  base model: one of the same configuration as the live adapter is copied into its tensors,
  otherwise PEFT's load_adapter / set_adapter / delete_adapter swap it. Full checkpoints load
  their safetensors in place into the already-built model (on the CPU without copying: parameters
  are rebound to the file's copy-on-write mapping). Only a different architecture (or a hub
  checkpoint) triggers a fresh load.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from valuedrift.config.schema import GenerationConfig, SamplingConfig
from valuedrift.errors import UserError
from valuedrift.generate.base import Answer, Request, messages_for

log = logging.getLogger(__name__)


def _available_bytes(device: str) -> int:
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        free, _ = torch.cuda.mem_get_info()
        return int(free)
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 4 << 30


def auto_batch_size(model, prompt_len: int, max_new_tokens: int, device: str) -> int:
    """Largest batch whose KV cache and logits fit in ~30% of free memory (capped: 64 on CPU)."""
    cfg = model.config
    layers = getattr(cfg, "num_hidden_layers", 12)
    heads = getattr(cfg, "num_key_value_heads", None) or getattr(cfg, "num_attention_heads", 12)
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    elt = next(model.parameters()).element_size()
    seq = prompt_len + max_new_tokens
    per_seq = (
        2 * layers * heads * head_dim * seq * elt + 4 * cfg.vocab_size * 4 + 8 * cfg.hidden_size * seq * elt
    )
    cap = 512 if device.startswith("cuda") else 64
    return max(1, min(cap, int(0.3 * _available_bytes(device) / per_seq)))


class SeededSampler:
    """Logits processor: per-answer seeded sampling by inverse CDF (see module docstring).

    For each row: p = softmax(logits / T) restricted to the top-p nucleus, u ~ U(0, 1) from the row's
    own generator, token = min{i : sum_{j<=i} p_j > u}. It returns logits that are -inf everywhere
    but at that token, so greedy decoding picks it. One uniform per row per step keeps the cost
    negligible next to the forward pass (unlike Gumbel noise over the whole vocabulary).
    """

    version = "icdf-1"  # part of the cache key: a change of sampler must not reuse old answers

    def __init__(self, seeds: list[int], temperature: float, top_p: float):
        import torch

        self.temperature = temperature
        self.top_p = top_p
        self.gens = [torch.Generator().manual_seed(int(s)) for s in seeds]

    def __call__(self, input_ids, scores):
        import torch

        if self.temperature <= 0:
            return scores
        logits = scores.float() / self.temperature
        if self.top_p < 1.0:
            sorted_logits, idx = torch.sort(logits, descending=True, dim=-1)
            p = torch.softmax(sorted_logits, dim=-1)
            remove = p.cumsum(-1) - p > self.top_p  # keep the token that crosses p
            logits = logits.scatter(-1, idx, sorted_logits.masked_fill(remove, float("-inf")))
        cdf = torch.softmax(logits, dim=-1).double().cumsum(-1)
        u = torch.cat([torch.rand(1, generator=g, dtype=torch.float64) for g in self.gens])
        u = u.to(cdf.device) * cdf[:, -1]  # u < total mass, so the chosen token has p > 0
        token = torch.searchsorted(cdf, u[:, None], right=True).clamp_(max=cdf.shape[-1] - 1)
        out = torch.full_like(scores, float("-inf"))
        return out.scatter_(1, token, 0.0)


def _put(model, name: str, value, live) -> None:
    """Make ``value`` the weight ``name`` of ``model`` (``live``: its current tensor): rebind a CPU
    parameter of the same dtype to ``value`` (no copy), else copy into ``live``."""
    if live.device.type == "cpu" and value.dtype == live.dtype:
        try:
            param = model.get_parameter(name)
        except AttributeError:  # a buffer
            param = None
        if param is not None:
            param.data = value
            return
    live.copy_(value)


def weight_files(folder: Path, adapter: bool) -> list[Path]:
    pattern = "adapter_model*.safetensors" if adapter else "model*.safetensors"
    return sorted(folder.glob(pattern))


def _adapter_config(folder: Path) -> dict[str, Any] | None:
    """An adapter's configuration without the fields that do not change its computation."""
    import json

    try:
        cfg = json.loads((folder / "adapter_config.json").read_text())
    except (OSError, ValueError):
        return None
    for k in ("base_model_name_or_path", "revision", "inference_mode", "lora_dropout"):
        cfg.pop(k, None)
    return cfg


def check_checkpoint(entry: dict[str, Any]) -> Path | None:
    """Validate a local checkpoint folder; return it (None for hub checkpoints). UserError if broken."""
    path = str(entry["path"])
    p = Path(path).expanduser()
    if not p.exists():
        if path.startswith((".", "/", "~")) or path.split("@")[0].count("/") != 1:
            raise UserError(f"checkpoint {entry['id']}: folder not found: {path}")
        return None  # hub-id[@revision]
    adapter = bool(entry.get("adapter"))
    need = "adapter_config.json" if adapter else "config.json"
    if not (p / need).exists() or not weight_files(p, adapter):
        raise UserError(
            f"checkpoint {entry['id']}: {p} is not a {'LoRA adapter' if adapter else 'model'} folder "
            f"({need} and safetensors weights expected)"
        )
    return p


class HFGenerator:
    """transformers back end (see module docstring)."""

    name = "hf"
    cache_tag = SeededSampler.version

    def __init__(
        self,
        cfg: GenerationConfig,
        *,
        base_model: str,
        device: str = "auto",
        dtype: str = "auto",
        trust_remote_code: bool = False,
    ):
        from valuedrift.models import pick_device

        self.cfg = cfg
        self.base_model = base_model
        self.device = pick_device(device)
        self.dtype = dtype
        self.trust_remote_code = trust_remote_code
        self.model = None  # the plain transformers model (weights may be swapped in place)
        self.peft = None  # PeftModel wrapping self.model while an adapter is active
        self.tokenizer = None
        self._arch_of: str | None = None  # spec whose architecture is built
        self._weights: str | None = None  # what the plain model's weights currently are
        self._adapter: str | None = None  # PEFT name of the active adapter
        self._adapter_src: str | None = None  # its folder
        self._adapter_cfg: dict[str, Any] | None = None  # its configuration (see _adapter_config)
        self.switch_seconds: list[float] = []

    # --- loading -----------------------------------------------------------------------------------
    def _fresh(self, spec: str) -> None:
        from valuedrift.models import load_model, load_tokenizer

        self.peft = None
        self._adapter = self._adapter_src = None
        self.model = load_model(
            spec, device=self.device, dtype=self.dtype, trust_remote_code=self.trust_remote_code
        )
        self.tokenizer = load_tokenizer(spec, trust_remote_code=self.trust_remote_code)
        self._arch_of = spec
        self._weights = spec

    def _plain(self):
        """Drop any active adapter, returning the plain model."""
        if self.peft is not None:
            self.model = self.peft.unload()
            self.peft = None
            self._adapter = self._adapter_src = None
        return self.model

    def _load_in_place(self, folder: Path, files: list[Path], label: str) -> bool:
        """Put safetensors weights into the built model, tensor by tensor (never a second copy of the
        model in memory); False if names or shapes do not match the built architecture.

        On the CPU, a parameter whose dtype matches is rebound to the file's tensor: safetensors maps
        the file copy-on-write, so this copies nothing and pages are read when first used (as a fresh
        ``from_pretrained`` does); otherwise (GPU, other dtype, buffers) the values are copied into
        the live tensor."""
        import torch
        from safetensors import safe_open

        model = self._plain()
        params = model.state_dict()  # views of the live tensors
        handles, names = [], {}
        for f in files:
            try:
                h = safe_open(str(f), framework="pt", device="cpu")
                shapes = {k: tuple(h.get_slice(k).get_shape()) for k in h.keys()}  # noqa: SIM118
            except Exception as e:  # corrupted or truncated header
                raise UserError(
                    f"checkpoint {label}: cannot read weights {f}: {str(e).splitlines()[0]}"
                ) from e
            for k, shape in shapes.items():
                if k not in params or tuple(params[k].shape) != shape:
                    return False
                names[k] = f
            handles.append((f, h, list(shapes)))
        tied = getattr(model.config, "tie_word_embeddings", False)
        if any(k not in names and not (tied and "lm_head" in k) for k in params):
            return False
        self._weights = None  # unknown until every tensor is copied
        with torch.no_grad():
            for f, h, keys in handles:
                for k in keys:
                    try:
                        _put(model, k, h.get_tensor(k), params[k])
                    except Exception as e:  # truncated body
                        raise UserError(
                            f"checkpoint {label}: cannot read weights {f}: {str(e).splitlines()[0]}"
                        ) from e
        if tied:
            model.tie_weights()
        self._weights = str(folder)
        return True

    def _use_full(self, entry: dict[str, Any], folder: Path | None) -> None:
        spec = str(folder) if folder else str(entry["path"])
        if self._weights == spec and self.peft is None:
            return
        if (
            folder is not None
            and self.model is not None
            and self._load_in_place(folder, weight_files(folder, False), entry["id"])
        ):
            return
        self._fresh(spec)

    def _base_folder(self, entry: dict[str, Any]) -> str:
        from valuedrift.models import resolve

        return str(resolve(str(entry.get("base") or self.base_model)))

    def _use_adapter(self, entry: dict[str, Any], folder: Path) -> None:
        from peft import PeftModel

        base = self._base_folder(entry)
        if self.model is None:
            self._fresh(base)
        elif self._weights != base:
            base_path = Path(base)
            if not (
                base_path.is_dir() and self._load_in_place(base_path, weight_files(base_path, False), base)
            ):
                self._fresh(base)
        if self.peft is not None and self._adapter_src == str(folder):
            return  # already live (e.g. the next chunk of the same checkpoint)
        if self.peft is not None and self._swap_adapter_in_place(entry["id"], folder):
            return
        name = f"a{len(self.switch_seconds)}"
        try:
            if self.peft is None:
                self.peft = PeftModel.from_pretrained(self.model, str(folder), adapter_name=name)
            else:
                old = self._adapter
                self.peft.load_adapter(str(folder), adapter_name=name)
                self.peft.set_adapter(name)
                if old:
                    self.peft.delete_adapter(old)
        except Exception as e:
            raise UserError(
                f"checkpoint {entry['id']}: cannot load LoRA adapter {folder}: {str(e).splitlines()[0]}"
            ) from e
        self.peft.eval()
        self._adapter, self._adapter_src = name, str(folder)
        self._adapter_cfg = _adapter_config(folder)

    def _swap_adapter_in_place(self, label: str, folder: Path) -> bool:
        """Copy a LoRA adapter's weights into the live adapter's tensors when both have the same
        configuration (rank, alpha, targets...): no module injection, so a swap costs one copy of
        the adapter weights. False (use PEFT's load_adapter) when they differ."""
        import torch
        from safetensors import safe_open

        if self._adapter is None or _adapter_config(folder) != self._adapter_cfg:
            return False
        live = {n: p for n, p in self.peft.named_parameters() if f".{self._adapter}." in n}
        files = weight_files(folder, True)
        try:
            handles = [safe_open(str(f), framework="pt", device="cpu") for f in files]
        except Exception as e:
            raise UserError(
                f"checkpoint {label}: cannot load LoRA adapter {folder}: {str(e).splitlines()[0]}"
            ) from e
        pairs = []
        for h in handles:
            for k in h.keys():  # noqa: SIM118
                name = k.replace(".lora_A.", f".lora_A.{self._adapter}.").replace(
                    ".lora_B.", f".lora_B.{self._adapter}."
                )
                if name not in live or tuple(live[name].shape) != tuple(h.get_slice(k).get_shape()):
                    return False
                pairs.append((h, k, live[name]))
        if len(pairs) != len(live):
            return False
        self._adapter_src = None  # unknown until every tensor is copied
        try:
            with torch.no_grad():
                for h, k, p in pairs:
                    p.copy_(h.get_tensor(k))
        except Exception as e:
            raise UserError(
                f"checkpoint {label}: cannot load LoRA adapter {folder}: {str(e).splitlines()[0]}"
            ) from e
        self._adapter_src = str(folder)
        return True

    def activate(self, entry: dict[str, Any]) -> None:
        """Make ``entry``'s weights the live ones (adapter swap or in-place load)."""
        import time

        folder = check_checkpoint(entry)
        t = time.perf_counter()
        if entry.get("adapter"):
            if folder is None:
                raise UserError(f"checkpoint {entry['id']}: adapters must be local folders")
            self._use_adapter(entry, folder)
        else:
            self._use_full(entry, folder)
        self.switch_seconds.append(time.perf_counter() - t)

    @property
    def live(self):
        return self.peft if self.peft is not None else self.model

    # --- generation --------------------------------------------------------------------------------
    def _eos_ids(self) -> list[int]:
        tok = self.tokenizer
        ids = self.model.generation_config.eos_token_id
        ids = [ids] if isinstance(ids, int) else list(ids or [])
        for t in (tok.eos_token, "<|im_end|>", "<|eot_id|>", "<|endoftext|>"):
            if t and t in tok.get_vocab():
                ids.append(tok.convert_tokens_to_ids(t))
        return sorted(set(ids))

    def generate_chats(
        self, chats: list[list[dict[str, str]]], seeds: list[int], sampling: SamplingConfig
    ) -> list[Answer]:
        """Answers for chat conversations with the live weights, batched and per-answer seeded."""
        import torch
        from transformers import GenerationConfig as HFGenConfig
        from transformers import LogitsProcessorList

        tok = self.tokenizer
        prompts = [tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in chats]
        lengths = [len(tok(p, add_special_tokens=False)["input_ids"]) for p in prompts]
        order = sorted(range(len(prompts)), key=lambda i: (lengths[i], i))
        bs = self.cfg.batch_size
        if bs == "auto":
            bs = auto_batch_size(self.model, max(lengths, default=1), sampling.max_new_tokens, self.device)
        eos = self._eos_ids()
        gen_cfg = HFGenConfig(
            do_sample=False,  # sampling happens in SeededSampler, which leaves one finite logit
            num_beams=1,
            max_new_tokens=sampling.max_new_tokens,
            eos_token_id=eos,
            pad_token_id=tok.pad_token_id,
        )
        out: list[Answer | None] = [None] * len(prompts)
        model = self.live
        for start in range(0, len(order), bs):
            idx = order[start : start + bs]
            enc = tok([prompts[i] for i in idx], return_tensors="pt", padding=True, add_special_tokens=False)
            enc = {k: v.to(self.device) for k, v in enc.items()}
            sampler = SeededSampler([seeds[i] for i in idx], sampling.temperature, sampling.top_p)
            with torch.no_grad():
                gen = model.generate(
                    **enc, generation_config=gen_cfg, logits_processor=LogitsProcessorList([sampler])
                )
            new = gen[:, enc["input_ids"].shape[1] :].cpu()
            for row, i in zip(new.tolist(), idx, strict=True):
                stop = next((j for j, t in enumerate(row) if t in eos), None)
                body = row if stop is None else row[:stop]
                out[i] = Answer(
                    tok.decode(body, skip_special_tokens=True).strip(),
                    len(body),
                    "length" if stop is None else "stop",
                )
        return out  # type: ignore[return-value]

    def answer(
        self, checkpoint: dict[str, Any], reqs: list[Request], sampling: SamplingConfig
    ) -> list[Answer]:
        self.activate(checkpoint)
        return self.generate_chats(
            [messages_for(r.question, sampling) for r in reqs], [r.seed for r in reqs], sampling
        )

    def close(self) -> None:
        self.model = self.peft = None
