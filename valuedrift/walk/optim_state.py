"""Optimizer state as safetensors + JSON (never pickle), so a resumed stage continues exactly.

The state of ``torch.optim`` optimizers is tensors (exp_avg, exp_avg_sq, step) keyed by parameter
index plus plain numbers in ``param_groups``: tensors go to ``optimizer.safetensors`` as
``state.<param>.<name>``, everything else to ``optimizer.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

TENSORS = "optimizer.safetensors"
META = "optimizer.json"


def save(optimizer: torch.optim.Optimizer, folder: Path) -> None:
    from safetensors.torch import save_file

    sd = optimizer.state_dict()
    tensors, scalars = {}, {}
    for pid, st in sd["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v):
                tensors[f"state.{pid}.{k}"] = v.detach().cpu().contiguous()
            else:
                scalars[f"state.{pid}.{k}"] = v
    save_file(tensors, str(folder / TENSORS))
    (folder / META).write_text(json.dumps({"param_groups": sd["param_groups"], "scalars": scalars}))


def load(optimizer: torch.optim.Optimizer, folder: Path) -> bool:
    """Restore the state saved by :func:`save`; False if the folder has none."""
    from safetensors.torch import load_file

    if not (folder / TENSORS).exists():
        return False
    tensors = load_file(str(folder / TENSORS))
    meta = json.loads((folder / META).read_text())
    state: dict[int, dict] = {}
    for key, v in list(tensors.items()) + list(meta["scalars"].items()):
        _, pid, name = key.split(".", 2)
        state.setdefault(int(pid), {})[name] = v
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    return True
