"""RAFT, Reward rAnked FineTuning (Dong et al., 2023): best-of-K sampling + supervised fine-tuning.

Each iteration takes b = ``batch_size × steps_per_iteration`` prompts x from the stage's data and

1. samples K completions y_1..y_K ~ π_θ(·|x) at temperature λ (``k``, ``temperature``),
2. scores them with the reward r(x, y) (``params.reward``: a reward model, keyword or Python reward;
   walk/reward.py), optionally KL-regularised as r̃(x, y) = r(x, y) − β·log π_θ(y|x)/π_0(y|x) with π_0
   the stage's starting policy (``kl_beta`` = β > 0),
3. keeps the best completion per prompt, y* = argmax_i r̃(x, y_i),
4. fine-tunes on the b pairs (x, y*) with the SFT loss −log π_θ(y*|x) (mean over completion tokens),
   ``steps_per_iteration`` optimizer steps of ``batch_size`` pairs.

One stage step is one optimizer step; checkpoints follow the stage's save schedule. The per-step
metrics in ``logs/<stage>.jsonl`` include ``reward_mean`` (mean r over all K·b samples of the
iteration — the policy's own reward) and ``reward_best`` (mean r of the kept ones). Sampling is seeded
by the run seed and the step, so a resumed stage samples as an uninterrupted one (resuming inside an
iteration samples afresh for the rest of that iteration).

Example stage (YAML)::

    - name: raft
      algorithm: raft
      parent: sft
      data: {path: "demo:value_gap_support.jsonl"}   # only the prompts are used
      steps: 20
      batch_size: 4
      params:
        k: 8
        temperature: 1.0
        reward: {type: model}                          # r_φ trained on the stage's pairs, cached
"""

from __future__ import annotations

from valuedrift.config.params import RAFTParams
from valuedrift.walk.base import Algorithm, StageContext


def best_of_k(scores: list[float], k: int) -> list[int]:
    """Index (within its group of k) of the highest score in each consecutive group; ties: the first."""
    return [max(range(k), key=lambda i, g=g: scores[g * k + i]) for g in range(len(scores) // k)]


class RAFT(Algorithm):
    def train(self, ctx: StageContext) -> None:
        import torch

        from valuedrift.data.loaders import prompt_texts
        from valuedrift.walk.reward import build_reward
        from valuedrift.walk.rollout import completion_logps, encode, sample, score
        from valuedrift.walk.trl_stage import make_optimizer

        p: RAFTParams = ctx.params
        reward = build_reward(p.reward, ctx)
        order = ctx.ordered(prompt_texts(ctx.stage.data))
        model, tok = ctx.load_policy()
        ref = ctx.load_reference() if p.kl_beta > 0 else None
        opt = make_optimizer(model, ctx)
        model.train()
        n, step, pos = ctx.stage.batch_size, ctx.start_step, 0
        while step < ctx.total_steps:
            it_steps = min(p.steps_per_iteration - step % p.steps_per_iteration, ctx.total_steps - step)
            prompts = order[pos : pos + it_steps * n]
            pos += it_steps * n
            groups = sample(model, tok, prompts, p.k, temperature=p.temperature, top_p=p.top_p,
                            max_new_tokens=p.max_new_tokens, seed=ctx.seed * 1_000_003 + step)  # fmt: skip
            flat_p = [x for x in prompts for _ in range(p.k)]
            flat_c = [c for g in groups for c in g]
            r = score(reward, flat_p, flat_c)
            ranked = r
            if ref is not None:
                ranked = [
                    a - p.kl_beta * b
                    for a, b in zip(r, self._log_ratio(model, ref, tok, flat_p, flat_c, ctx), strict=True)
                ]
            best = [groups[i][j] for i, j in enumerate(best_of_k(ranked, p.k))]
            best_r = [r[i * p.k + j] for i, j in enumerate(best_of_k(ranked, p.k))]
            it_metrics = {"reward_mean": sum(r) / len(r), "reward_best": sum(best_r) / len(best_r)}
            for j in range(it_steps):
                batch = encode(
                    tok, prompts[j * n : (j + 1) * n], best[j * n : (j + 1) * n], ctx.stage.max_length
                )
                n_tok = batch["completion_mask"][:, 1:].sum().clamp(min=1)
                loss = -completion_logps(model, batch).sum() / n_tok.to(next(model.parameters()).device)
                loss.backward()
                grad_norm = torch.nn.utils.clip_grad_norm_(
                    [q for q in model.parameters() if q.requires_grad], 1.0
                )
                opt.step()
                opt.zero_grad(set_to_none=True)
                step += 1
                ctx.log_metrics(step, {"loss": float(loss.detach()), "grad_norm": float(grad_norm),
                                       "learning_rate": ctx.learning_rate, **it_metrics})  # fmt: skip
                if step in ctx.save_steps:
                    ctx.save_checkpoint(step, model, tok, opt)

    @staticmethod
    def _log_ratio(model, ref, tok, prompts, completions, ctx: StageContext, chunk: int = 16) -> list[float]:
        """log π_θ(y|x) − log π_0(y|x) per completion (no gradients)."""
        import torch

        from valuedrift.walk.rollout import completion_logps, encode

        out: list[float] = []
        with torch.no_grad():
            for i in range(0, len(prompts), chunk):
                b = encode(tok, prompts[i : i + chunk], completions[i : i + chunk], ctx.stage.max_length)
                out += (completion_logps(model, b) - completion_logps(ref, b)).cpu().tolist()
        return out
