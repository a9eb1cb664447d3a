"""``valuedrift plan CONFIG``: what a config will cost, before anything runs.

Counted exactly from the config (no model is loaded, nothing is trained or contacted):

- checkpoints: the manifest's entries — the base, each stage's step 0 (its parent's last checkpoint)
  and every saved step (``save.every`` / ``save.log``) — and how many distinct weights they are
  (a stage's step 0 *is* its parent's checkpoint: the answer cache serves it, nothing is sampled);
- answers: entries × prompts × samples in the generations table, and distinct weights × prompts ×
  samples actually sampled;
- tokens to sample: at most the sampled answers × ``max_new_tokens`` (answers may end earlier);
- judge calls: one per sampled answer at most (the verdict cache answers repeats), and for the
  ``openai`` judge with a known model, their price from the dated table in
  ``valuedrift/judge/data/prices.json`` (input estimated from the judge's real prompt with an answer
  of ``max_new_tokens`` tokens at ~4 characters per token; Batch API: half).

Estimated: generation time per back end = tokens / throughput. The default throughputs are the
figures measured on SmolLM2-135M on a 2-core CPU (:data:`MEASURED`); for another model or machine
pass your own (``--throughput vllm=2500``) — the output always says which figure it assumed.
A series given by ``manifest:`` or ``checkpoints:`` is counted from its manifest when it is local.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from valuedrift.config.schema import Experiment
from valuedrift.errors import UserError

MEASURED: dict[str, tuple[float, str]] = {
    "hf": (133.5, "SmolLM2-135M, 2-core CPU, 64 prompts (benchmarks/bench_generate.py, 2026-11-23)"),
    "vllm": (
        249.4,
        "SmolLM2-135M, vLLM CPU build, 2-core CPU (bench_generate.py --backend hf,vllm, 2026-11-23)",
    ),
}
"""Default tokens/s per generator back end and where the figure comes from."""

CHARS_PER_TOKEN = 4.0


@dataclass
class Plan:
    checkpoints: int
    distinct_weights: int
    prompts: int
    samples: int
    answers: int
    answers_sampled: int
    max_tokens_to_sample: int
    judge_calls: int
    training_steps: int
    generation_s: dict[str, float] = field(default_factory=dict)
    throughput: dict[str, dict[str, Any]] = field(default_factory=dict)
    judge: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def count_checkpoints(exp: Experiment) -> tuple[int, int, int]:
    """(manifest entries, distinct weights, training steps) of the config's stages or series."""
    from valuedrift.walk.schedule import save_steps

    if exp.stages:
        saved = [len(save_steps(s.steps, s.save.every, s.save.log)) for s in exp.stage_order()]
        return 1 + len(saved) + sum(saved), 1 + sum(saved), sum(s.steps for s in exp.stages)
    entries = _series_entries(exp)
    return len(entries), len({e.get("sha256") or e["path"] for e in entries}), 0


def _series_entries(exp: Experiment) -> list[dict[str, Any]]:
    if exp.manifest:
        from valuedrift.manifest import load_manifest

        return load_manifest(exp.manifest)["checkpoints"]
    if exp.checkpoints is not None:
        from valuedrift.series import build_manifest

        return build_manifest(exp.checkpoints)["checkpoints"]
    raise UserError("the config has no stages and no manifest: nothing to plan")


def parse_throughput(items: list[str]) -> dict[str, float]:
    """``["vllm=2500", "hf=300"]`` -> ``{"vllm": 2500.0, "hf": 300.0}``; one clear line if malformed."""
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
            if out[name.strip()] <= 0:
                raise ValueError
        except ValueError:
            raise UserError(
                f"--throughput {item!r}: expected BACKEND=TOKENS_PER_SECOND, e.g. vllm=2500"
            ) from None
    return out


def _judge_cost(exp: Experiment, prompts, calls_per_prompt: int) -> dict[str, Any]:
    cfg = exp.judge
    out: dict[str, Any] = {"backend": cfg.backend, "model": cfg.model}
    if cfg.backend != "openai":
        out["cost_usd"] = 0.0
        out["note"] = "runs locally: no per-call price"
        return out
    from valuedrift.judge import prompt
    from valuedrift.judge.openai_judge import price_for, price_table

    answer = "x" * int(exp.generation.sampling.max_new_tokens * CHARS_PER_TOKEN)
    chars = sum(
        len(m["content"])
        for r in prompts.itertuples()
        for m in prompt.messages(str(r.question), answer, str(r.category))
    )
    tokens_in = chars / CHARS_PER_TOKEN * calls_per_prompt
    tokens_out = int(cfg.options.get("max_tokens", 3)) * calls_per_prompt * len(prompts)
    price = price_for(cfg.model or "", cfg.options) if cfg.model else None
    out |= {"input_tokens_est": round(tokens_in), "output_tokens_est": tokens_out}
    table = price_table()
    if price is None:
        out["cost_usd"] = None
        out["note"] = (f"no price for {cfg.model!r} in the table of {table['as_of']} "
                       "(set judge.options.price_in / price_out)")  # fmt: skip
    else:
        cost = (tokens_in * price[0] + tokens_out * price[1]) / 1e6 * (0.5 if cfg.batch_api else 1)
        out["cost_usd"] = round(cost, 2)
        out["note"] = (f"{cfg.model} at ${price[0]}/${price[1]} per M input/output tokens "
                       f"(price table of {table['as_of']}{', Batch API: half' if cfg.batch_api else ''}; "
                       f"input estimated at {CHARS_PER_TOKEN:g} characters per token)")  # fmt: skip
    return out


def plan(exp: Experiment, throughput: dict[str, float] | None = None) -> Plan:
    """Count what ``exp`` will do and estimate its generation time and judge price."""
    from valuedrift.data.loaders import load_prompts

    n_ckpt, distinct, steps = count_checkpoints(exp)
    prompts = load_prompts(exp.generation.prompts)
    n = exp.generation.sampling.n_samples
    sampled = distinct * len(prompts) * n
    tokens = sampled * exp.generation.sampling.max_new_tokens
    rates = {name: {"tok_s": v, "source": src} for name, (v, src) in MEASURED.items()}
    for name, v in (throughput or {}).items():
        rates[name] = {"tok_s": v, "source": "given with --throughput"}
    return Plan(
        checkpoints=n_ckpt,
        distinct_weights=distinct,
        prompts=len(prompts),
        samples=n,
        answers=n_ckpt * len(prompts) * n,
        answers_sampled=sampled,
        max_tokens_to_sample=tokens,
        judge_calls=sampled,
        training_steps=steps,
        generation_s={name: round(tokens / r["tok_s"], 1) for name, r in rates.items()},
        throughput=rates,
        judge=_judge_cost(exp, prompts, distinct * n),
    )


__all__ = ["MEASURED", "Plan", "count_checkpoints", "parse_throughput", "plan"]
