"""Checkpoint series on the tiny model: full weights with other values, and LoRA adapters."""

from __future__ import annotations

from pathlib import Path

import pytest


def entry(
    cid: str, path: str, *, adapter: bool = False, sha: str | None = None, step: int = 0, base=None
) -> dict:
    stage = cid.split("/")[0]
    e = {
        "id": cid,
        "stage": stage,
        "algorithm": "sft" if stage != "base" else "base",
        "step": step,
        "total_steps": 4,
        "progress": step / 4,
        "path": path,
        "parent": None,
        "adapter": adapter,
        "sha256": sha,
    }
    if base:
        e["base"] = base
    return e


@pytest.fixture(scope="session")
def series(tiny_model, tmp_path_factory) -> dict[str, dict]:
    """base (the tiny model), other (same architecture, other seed), lora (a random LoRA adapter)."""
    import torch
    from peft import LoraConfig, get_peft_model

    from valuedrift.io import sha256_weights
    from valuedrift.models import load_model
    from valuedrift.models.tiny import materialise

    root = tmp_path_factory.mktemp("series")
    other = root / "other"
    other.mkdir()
    materialise(other, seed=1)
    torch.manual_seed(0)
    peft = get_peft_model(
        load_model(tiny_model), LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False)
    )
    with torch.no_grad():
        for n, p in peft.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.5)
    lora = root / "lora"
    peft.save_pretrained(lora)
    with torch.no_grad():  # a second adapter of the same configuration, other weights
        for n, p in peft.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.5)
    lora2 = root / "lora2"
    peft.save_pretrained(lora2)
    return {
        "base": entry("base/step-0", tiny_model, sha=sha256_weights(tiny_model)),
        "other": entry("sft/step-4", str(other), sha=sha256_weights(other), step=4),
        "lora": entry(
            "lora/step-4", str(lora), adapter=True, sha=sha256_weights(lora), step=4, base=tiny_model
        ),
        "lora2": entry(
            "lora/step-2", str(lora2), adapter=True, sha=sha256_weights(lora2), step=2, base=tiny_model
        ),
    }


__all__ = ["Path", "entry"]
