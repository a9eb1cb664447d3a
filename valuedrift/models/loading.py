"""Load a base model and tokenizer from a spec (alias, folder, or hub id), safely.

Weights load from safetensors only (``use_safetensors=True``): a checkpoint is an untrusted file and
pickle can run code. Remote code runs only when the caller passes ``trust_remote_code=True``.
"""

from __future__ import annotations

from typing import Any

from valuedrift.errors import UserError
from valuedrift.models.registry import ModelSource, resolve


def pick_device(device: str = "auto") -> str:
    """'auto' -> 'cuda' if a GPU is visible, else 'cpu'."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(dtype: str, device: str):
    """'auto' -> bfloat16 on GPUs that support it, float32 elsewhere."""
    import torch

    if dtype == "auto":
        if device.startswith("cuda") and torch.cuda.is_available() and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    return getattr(torch, dtype)


def _kwargs(src: ModelSource, trust_remote_code: bool) -> dict[str, Any]:
    kw: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if src.local:
        kw["local_files_only"] = True
    if src.revision:
        kw["revision"] = src.revision
    return kw


def _quiet_transformers() -> None:
    """No per-load progress bars: the CLI shows its own progress."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def load_tokenizer(spec: str, *, trust_remote_code: bool = False):
    """Tokenizer for ``spec`` with a pad token and left padding (for batched generation)."""
    from transformers import AutoTokenizer

    src = resolve(spec)
    try:
        tok = AutoTokenizer.from_pretrained(src.path, **_kwargs(src, trust_remote_code))
    except OSError as e:
        raise UserError(f"cannot load a tokenizer from {src}: {str(e).splitlines()[0]}") from e
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    return tok


def load_model(
    spec: str,
    *,
    device: str = "auto",
    dtype: str = "auto",
    trust_remote_code: bool = False,
):
    """Load a causal LM (safetensors only) onto ``device`` in eval mode."""
    from transformers import AutoModelForCausalLM

    _quiet_transformers()
    src = resolve(spec)
    device = pick_device(device)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            src.path,
            dtype=pick_dtype(dtype, device),
            use_safetensors=True,
            **_kwargs(src, trust_remote_code),
        )
    except (OSError, ValueError) as e:
        raise UserError(f"cannot load model weights from {src}: {str(e).splitlines()[0]}") from e
    return model.to(device).eval()
