"""UNA (Wang et al., 2024): train the implicit reward r_θ(x, y) = β·log π_θ(y|x)/π_ref(y|x) to match
an explicit signal with a supervised loss — one stage, four kinds of feedback (``params.variant``):

- ``pair``: preference pairs, −log σ(r_θ(x, y_w) − r_θ(x, y_l)) (equal to DPO's loss);
- ``binary``: thumbs up / down (pairs are unpaired: chosen up, rejected down; or KTO rows),
  g(σ(r_θ), 1) / g(σ(r_θ), 0) with g = ``params.g`` (mse | bce);
- ``score``: (prompt, completion, score) rows with r_φ ∈ [0, 1] in a ``score`` column, or pairs / KTO
  rows scored once by ``params.reward`` (a reward model or judge); loss (r_θ − r_φ)² (g = mse);
- ``online``: sample ``num_samples`` completions per prompt from π_θ, score them with
  ``params.reward``, minimise (r_θ − r_φ)² on them (no value model, no PPO).

π_ref is the stage's starting policy (``ctx.load_reference()``). The losses are the pure functions
of ``walk/una_losses.py``; training runs in a ``transformers.Trainer`` subclass whose
``compute_loss`` computes them, with the walker's optimizer, seeded order and checkpoint callback.

Example stages (YAML)::

    - name: una
      algorithm: una
      parent: sft
      data: {path: "demo:value_gap_support.jsonl"}
      steps: 40
      params: {variant: binary, beta: 0.1, g: mse}
    - name: una-online
      algorithm: una
      parent: sft
      data: {path: "demo:value_gap_support.jsonl"}   # prompts (the pairs' prompts are used)
      steps: 40
      params:
        variant: online
        num_samples: 2
        reward: {type: model}                          # trained on the stage's pairs, cached
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from valuedrift.config.params import UNAParams
from valuedrift.errors import UserError
from valuedrift.walk.base import Algorithm, StageContext


def _transform(values: list[float], how: str) -> list[float]:
    return [1 / (1 + math.exp(-v)) for v in values] if how == "sigmoid" else values


def score_rows(ctx: StageContext) -> list[dict[str, Any]]:
    """(prompt, completion, score) rows for UNA-score: a ``score`` column, else r_φ from ``params.reward``."""
    from valuedrift.data.loaders import load_kto_dataset, read_rows

    cfg = ctx.stage.data
    rows = read_rows(cfg.path, split=cfg.split, column_map=cfg.column_map)
    where = f"stage {ctx.stage.name}: {cfg.path}"
    if any("score" in r for _, r in rows):
        out = []
        for n, r in rows:
            if n < 0:  # the loader's marker of malformed JSON lines
                raise UserError(f"{where}: malformed line(s) {r.get('__bad_lines__')}")
            p, c, s = r.get("prompt"), r.get("completion", r.get("response")), r.get("score")
            if not (isinstance(p, str) and p and isinstance(c, str) and c):
                raise UserError(f"{where}, line {n}: needs string 'prompt' and 'completion'")
            if isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 <= s <= 1:
                raise UserError(f"{where}, line {n}: 'score' must be a number in [0, 1], got {s!r}")
            out.append({"prompt": p, "completion": c, "score": float(s)})
        if cfg.limit:
            out = out[: cfg.limit]
        return out
    from valuedrift.walk.reward import build_reward
    from valuedrift.walk.rollout import score

    items = [dict(r) for r in load_kto_dataset(cfg)]
    scores = score(build_reward(ctx.params.reward, ctx), [r["prompt"] for r in items],
                   [r["completion"] for r in items])  # fmt: skip
    scores = _transform(scores, ctx.params.reward_transform)
    return [
        {"prompt": r["prompt"], "completion": r["completion"], "score": s}
        for r, s in zip(items, scores, strict=True)
    ]


def training_rows(ctx: StageContext) -> list[dict[str, Any]]:
    """The stage's examples as the variant needs them (one row per example of a batch)."""
    from valuedrift.data.loaders import load_kto_dataset, preference_pairs, prompt_texts

    v = ctx.params.variant
    if v == "pair":
        return [{"prompt": p["prompt"], "chosen": p["chosen"], "rejected": p["rejected"]}
                for p in preference_pairs(ctx.stage.data)]  # fmt: skip
    if v == "binary":
        return [{"prompt": r["prompt"], "completion": r["completion"], "label": bool(r["label"])}
                for r in load_kto_dataset(ctx.stage.data)]  # fmt: skip
    if v == "score":
        return score_rows(ctx)
    return [{"prompt": p} for p in prompt_texts(ctx.stage.data)]


def make_trainer_class():
    """UNATrainer: ``transformers.Trainer`` with UNA's losses in ``compute_loss`` (built lazily: heavy import)."""
    import torch
    from transformers import Trainer

    from valuedrift.walk import una_losses as L
    from valuedrift.walk.rollout import completion_logps, encode, sample, score

    class UNATrainer(Trainer):
        def __init__(self, *args, ref_model, una_ctx: StageContext, reward_fn=None, **kw):
            super().__init__(*args, **kw)
            self.ref_model = ref_model
            self.una_ctx = una_ctx
            self.reward_fn = reward_fn
            self._metrics: dict[str, list[float]] = defaultdict(list)

        def _rewards(self, model, batch) -> torch.Tensor:
            """r_θ(x, y) of each row: β (log π_θ(y|x) − log π_ref(y|x))."""
            policy = completion_logps(model, batch)
            with torch.no_grad():
                ref = completion_logps(self.ref_model, batch)
            return L.implicit_reward(policy, ref, self.una_ctx.params.beta)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            p = self.una_ctx.params
            tok = self.processing_class
            max_len = self.una_ctx.stage.max_length
            rows = inputs["rows"]
            prompts = [r["prompt"] for r in rows]
            m = self._metrics
            if p.variant == "pair":
                n = len(rows)
                batch = encode(tok, prompts * 2, [r["chosen"] for r in rows] + [r["rejected"] for r in rows],
                               max_len)  # fmt: skip
                r = self._rewards(model, batch)
                loss = L.una_pair_loss(r[:n], r[n:])
                rw, rl = r.detach()[:n], r.detach()[n:]
                m["rewards/chosen"].append(float(rw.mean()))
                m["rewards/rejected"].append(float(rl.mean()))
                m["rewards/accuracy"].append(float((rw > rl).float().mean()))
            elif p.variant == "binary":
                batch = encode(tok, prompts, [r["completion"] for r in rows], max_len)
                labels = torch.tensor([float(r["label"]) for r in rows])
                r = self._rewards(model, batch)
                labels = labels.to(r.device)
                loss = L.una_binary_loss(r, labels, p.g, p.desirable_weight, p.undesirable_weight)
                r = r.detach()
                if labels.sum() > 0:
                    m["rewards/desirable"].append(float(r[labels > 0].mean()))
                if (labels == 0).sum() > 0:
                    m["rewards/undesirable"].append(float(r[labels == 0].mean()))
            else:
                if p.variant == "score":
                    completions = [r["completion"] for r in rows]
                    targets = [r["score"] for r in rows]
                else:  # online: fresh samples from the current policy, scored by r_φ
                    step = self.una_ctx.start_step + self.state.global_step
                    policy = self.accelerator.unwrap_model(model)
                    groups = sample(policy, tok, prompts, p.num_samples, temperature=p.temperature,
                                    top_p=p.top_p, max_new_tokens=p.max_new_tokens,
                                    seed=self.una_ctx.seed * 1_000_003 + step)  # fmt: skip
                    prompts = [q for q, g in zip(prompts, groups, strict=True) for _ in g]
                    completions = [c for g in groups for c in g]
                    targets = _transform(score(self.reward_fn, prompts, completions), p.reward_transform)
                    m["explicit_reward"].append(sum(targets) / len(targets))
                batch = encode(tok, prompts, completions, max_len)
                r = self._rewards(model, batch)
                target = torch.tensor(targets, dtype=r.dtype, device=r.device)
                loss = L.una_score_loss(r, target, p.g)
                m["mse"].append(float(((r.detach() - target) ** 2).mean()))
            m["rewards/implicit"].append(float(r.detach().mean()))
            return (loss, None) if return_outputs else loss

        def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
            for k, v in self._metrics.items():
                if v:
                    logs[k] = sum(v) / len(v)
            self._metrics.clear()
            super().log(logs, start_time)

    return UNATrainer


def _collate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"rows": rows}


class UNA(Algorithm):
    def train(self, ctx: StageContext) -> None:
        from datasets import Dataset
        from transformers import TrainingArguments

        from valuedrift.walk.trl_stage import common_args, run_trainer

        p: UNAParams = ctx.params
        reward_fn = None
        if p.variant == "online":
            from valuedrift.walk.reward import build_reward

            reward_fn = build_reward(p.reward, ctx)
        rows = ctx.ordered(training_rows(ctx))
        model, tok = ctx.load_policy()
        args = TrainingArguments(**common_args(ctx), remove_unused_columns=False)
        run_trainer(make_trainer_class(), ctx, model, tok, args, Dataset.from_list(rows),
                    data_collator=_collate, ref_model=ctx.load_reference(), una_ctx=ctx,
                    reward_fn=reward_fn)  # fmt: skip
