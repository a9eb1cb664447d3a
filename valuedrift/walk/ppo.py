"""PPO for RLHF, written in this project (TRL removed its PPO trainer in 2026).

One stage step is one PPO iteration (Ziegler et al. 2019; Huang et al. 2024 for the details):

1. **Rollout**: sample a completion y ~ π_θ(·|x) for each of ``rollout_batch_size`` prompts x (chat
   template, ``temperature``, at most ``max_new_tokens``; the sampling seed depends on the step, so a
   resumed stage samples what an uninterrupted one would).
2. **Score**: r(x, y) from the reward (``walk/reward.py``: by default a reward model trained on the
   stage's preference pairs).
3. **Per-token reward** r_t = −β·log(π_θ(y_t|·)/π_ref(y_t|·)), plus r(x, y) at the last token; π_ref is
   the stage's starting policy (with LoRA: the same model with its adapter disabled — no second copy).
4. **GAE** (γ, λ) with a value head V(s_t) (a linear layer on the policy's last hidden state, trained
   with the policy), advantages whitened over the batch.
5. ``ppo_epochs`` passes over the batch in minibatches of ``mini_batch_size``: clipped policy loss (ε)
   + ``vf_coef`` × clipped value loss (ε_v), one AdamW step per minibatch.
6. β stays fixed, or follows the adaptive controller of Ziegler et al. towards ``target_kl``.

Metrics per step (reward, KL, β, entropy, policy/value loss, clip fractions) go to
``logs/<stage>.jsonl``. Checkpoints hold the policy (adapter or full weights), ``value_head.safetensors``,
``ppo_trainer_state.json`` (β) and the optimizer state, so a resumed stage continues exactly.

Math: ``walk/ppo_core.py``. Example (Python)::

    runner = PPORunner(model, tok, keyword_reward(["yes"]), PPOParams(), learning_rate=1e-4)
    metrics = runner.step(1, ["Should taxes rise?", "Is war ever just?"])
"""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path
from typing import Any

import torch

from valuedrift.config.params import PPOParams
from valuedrift.walk import ppo_core as core
from valuedrift.walk.base import Algorithm, StageContext
from valuedrift.walk.reward import RewardFn

log = logging.getLogger(__name__)

VALUE_HEAD = "value_head.safetensors"
STATE = "ppo_trainer_state.json"  # "trainer_state" keeps it out of the checkpoint's weights hash


class ValueHead(torch.nn.Module):
    """V(s_t) = w·h_t + b on the policy's last hidden state; starts at V = 0 (zero init)."""

    def __init__(self, hidden_size: int):
        super().__init__()
        self.summary = torch.nn.Linear(hidden_size, 1)
        torch.nn.init.zeros_(self.summary.weight)
        torch.nn.init.zeros_(self.summary.bias)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.summary(hidden.float()).squeeze(-1)


def _is_peft(model) -> bool:
    return hasattr(model, "disable_adapter") and hasattr(model, "peft_config")


class PPORunner:
    """PPO iterations on a policy (plain or PEFT) with a value head, a reference and a reward.

    ``ref_model=None`` with a PEFT policy uses the adapter-disabled policy as π_ref.
    """

    def __init__(
        self,
        policy,
        tokenizer,
        reward_fn: RewardFn,
        params: PPOParams,
        *,
        learning_rate: float,
        ref_model=None,
        seed: int = 0,
    ):
        if ref_model is None and not _is_peft(policy):
            raise ValueError("a full-weights policy needs an explicit frozen ref_model")
        self.policy = policy.eval()  # dropout off: log-probs must match between rollout and update
        self.tok = tokenizer
        self.reward_fn = reward_fn
        self.p = params
        self.ref = ref_model.eval() if ref_model is not None else None
        self.seed = seed
        self.device = next(policy.parameters()).device
        hidden = policy.config.get_text_config().hidden_size
        self.value_head = ValueHead(hidden).to(self.device)
        trainable = [q for q in policy.parameters() if q.requires_grad] + list(self.value_head.parameters())
        self.optimizer = torch.optim.AdamW(trainable, lr=learning_rate, weight_decay=0.0)
        self.kl_ctl = (
            core.AdaptiveKLController(params.kl_coef, params.target_kl, params.kl_horizon)
            if params.adaptive_kl
            else core.FixedKLController(params.kl_coef)
        )

    # --- model passes ------------------------------------------------------------------------------
    def _forward(self, model, query, qmask, response, rmask, values: bool):
        """Log-probs of the response tokens (logits ÷ temperature), their entropy and V(s_t)."""
        ids = torch.cat([query, response], 1)
        attn = torch.cat([qmask, rmask], 1)
        pos = (attn.cumsum(-1) - 1).clamp(min=0)
        R = response.shape[1]
        out = model(input_ids=ids, attention_mask=attn, position_ids=pos, output_hidden_states=values,
                    use_cache=False)  # fmt: skip
        logits = out.logits[:, -R - 1 : -1] / self.p.temperature
        logp = core.logprobs_from_logits(logits, response)
        ent = core.entropy_from_logits(logits.detach())
        v = self.value_head(out.hidden_states[-1][:, -R - 1 : -1]) if values else None
        return logp, ent, v

    def _ref_logprobs(self, query, qmask, response, rmask):
        if self.ref is not None:
            return self._forward(self.ref, query, qmask, response, rmask, values=False)[0]
        with self.policy.disable_adapter():
            return self._forward(self.policy, query, qmask, response, rmask, values=False)[0]

    # --- one iteration -----------------------------------------------------------------------------
    @torch.no_grad()
    def rollout(self, step: int, prompts: list[str]) -> dict[str, Any]:
        """Sample, score and evaluate one batch (old log-probs, reference log-probs, values)."""
        texts = [
            self.tok.apply_chat_template(
                [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
            )
            for p in prompts
        ]
        side = self.tok.padding_side
        self.tok.padding_side = "left"
        enc = self.tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        self.tok.padding_side = side
        torch.manual_seed(self.seed * 1_000_003 + step)
        gen = self.policy.generate(
            input_ids=enc["input_ids"],
            attention_mask=enc["attention_mask"],
            do_sample=True,
            temperature=self.p.temperature,
            top_k=0,
            top_p=1.0,
            max_new_tokens=self.p.max_new_tokens,
            eos_token_id=self.tok.eos_token_id,
            pad_token_id=self.tok.pad_token_id,
        )
        query, qmask = enc["input_ids"], enc["attention_mask"]
        response = gen[:, query.shape[1] :]
        is_eos = response == self.tok.eos_token_id
        ended = is_eos.any(1)
        first = torch.where(
            ended, is_eos.float().argmax(1), torch.full_like(ended, response.shape[1], dtype=torch.long)
        )
        length = torch.clamp(first + 1, max=response.shape[1])  # the end-of-turn token is part of the action
        rmask = (torch.arange(response.shape[1], device=self.device)[None] < length[:, None]).long()
        response = torch.where(rmask.bool(), response, torch.full_like(response, self.tok.pad_token_id))
        completions = [
            self.tok.decode(r[: int(n)], skip_special_tokens=True)
            for r, n in zip(response, length, strict=True)
        ]
        scores = torch.tensor(
            self.reward_fn(list(prompts), completions), dtype=torch.float32, device=self.device
        )
        if self.p.missing_eos_penalty is not None:
            scores = scores - self.p.missing_eos_penalty * (~ended).float()
        logp, ent, values = self._forward(self.policy, query, qmask, response, rmask, values=True)
        ref_logp = self._ref_logprobs(query, qmask, response, rmask)
        mask = rmask.float()
        rewards, kl = core.per_token_rewards(logp, ref_logp, scores, mask, self.kl_ctl.value)
        adv, returns = core.gae(rewards, values, mask, self.p.gamma, self.p.lam)
        adv = core.masked_whiten(adv, mask)
        return {
            "query": query, "qmask": qmask, "response": response, "rmask": rmask, "mask": mask,
            "logprobs": logp, "values": values * mask, "advantages": adv, "returns": returns,
            "scores": scores, "kl": kl, "entropy": ent, "rewards": rewards, "completions": completions,
        }  # fmt: skip

    def step(self, step: int, prompts: list[str]) -> dict[str, float]:
        """One PPO iteration on ``prompts``; returns this step's metrics."""
        b = self.rollout(step, prompts)
        n = len(prompts)
        mb = min(self.p.mini_batch_size or n, n)
        gen = torch.Generator().manual_seed(self.seed * 7919 + step)
        sums: dict[str, float] = {}
        updates = 0
        for _ in range(self.p.ppo_epochs):
            order = torch.randperm(n, generator=gen).tolist()
            for i in range(0, n, mb):
                idx = torch.tensor(order[i : i + mb], device=self.device)
                mask = b["mask"][idx]
                logp, _, v = self._forward(self.policy, b["query"][idx], b["qmask"][idx], b["response"][idx],
                                           b["rmask"][idx], values=True)  # fmt: skip
                pg, pg_stats = core.policy_loss(
                    logp, b["logprobs"][idx], b["advantages"][idx], mask, self.p.cliprange
                )
                vf, vf_stats = core.value_loss(
                    v, b["values"][idx], b["returns"][idx], mask, self.p.cliprange_value
                )
                loss = pg + self.p.vf_coef * vf
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(
                    [q for g in self.optimizer.param_groups for q in g["params"]], self.p.max_grad_norm
                )
                self.optimizer.step()
                for k, val in {"policy_loss": pg, "value_loss": vf, **pg_stats, **vf_stats}.items():
                    sums[k] = sums.get(k, 0.0) + float(val.detach())
                updates += 1
        mask = b["mask"]
        seq_kl = b["kl"].sum(1)
        metrics = {
            "reward": float(b["scores"].mean()),
            "reward_std": float(b["scores"].std()) if n > 1 else 0.0,
            "kl": float(seq_kl.mean()),
            "kl_coef": float(self.kl_ctl.value),
            "non_score_reward": float((-self.kl_ctl.value * b["kl"]).sum(1).mean()),
            "entropy": float(core.masked_mean(b["entropy"], mask)),
            "response_length": float(mask.sum(1).mean()),
            **{k: v / updates for k, v in sums.items()},
        }
        self.kl_ctl.update(metrics["kl"], n)
        return metrics

    # --- state -------------------------------------------------------------------------------------
    def save_extra(self, folder: Path) -> None:
        """Write the value head (safetensors) and β next to the policy's weights."""
        from safetensors.torch import save_file

        save_file({k: t.detach().cpu().contiguous() for k, t in self.value_head.state_dict().items()},
                  str(folder / VALUE_HEAD))  # fmt: skip
        (folder / STATE).write_text(json.dumps({"kl_coef": self.kl_ctl.value}))

    def load_extra(self, folder: Path) -> None:
        from safetensors.torch import load_file

        if (folder / VALUE_HEAD).exists():
            self.value_head.load_state_dict(load_file(str(folder / VALUE_HEAD), device=str(self.device)))
        if (folder / STATE).exists():
            self.kl_ctl.value = float(json.loads((folder / STATE).read_text())["kl_coef"])


class _CheckpointView:
    """What ``ctx.save_checkpoint`` saves: the policy plus the runner's value head and β."""

    def __init__(self, runner: PPORunner):
        self.runner = runner

    def save_pretrained(self, folder, **kw) -> None:
        self.runner.policy.save_pretrained(folder, **kw)
        self.runner.save_extra(Path(folder))


def rollout_batches(ctx: StageContext, prompts: list[str], batch: int) -> list[list[str]]:
    """Prompts of steps start_step+1 .. total, ``batch`` per step, in the seeded order of ``ctx.ordered``."""
    from valuedrift.errors import UserError

    if not prompts:
        raise UserError(f"stage {ctx.stage.name}: the training data has no prompts")
    need = ctx.total_steps * batch
    order: list[str] = []
    epoch = 0
    while len(order) < need:
        idx = list(range(len(prompts)))
        random.Random(f"{ctx.seed}:{ctx.stage.name}:{epoch}").shuffle(idx)
        order += [prompts[i] for i in idx]
        epoch += 1
    return [order[i : i + batch] for i in range(ctx.start_step * batch, need, batch)]


class PPO(Algorithm):
    def train(self, ctx: StageContext) -> None:
        from valuedrift.data.loaders import prompt_texts
        from valuedrift.walk.reward import build_reward

        p: PPOParams = ctx.params
        reward_fn = build_reward(p.reward, ctx)
        batches = rollout_batches(
            ctx, prompt_texts(ctx.stage.data), p.rollout_batch_size or ctx.stage.batch_size
        )
        model, tok = ctx.load_policy()
        ref = None if ctx.lora else ctx.load_reference()
        runner = PPORunner(
            model, tok, reward_fn, p, learning_rate=ctx.learning_rate, ref_model=ref, seed=ctx.seed
        )
        if ctx.resume_from is not None:
            ctx.restore_optimizer(runner.optimizer)
            runner.load_extra(Path(ctx.resume_from.path))
        view = _CheckpointView(runner)
        for i, prompts in enumerate(batches):
            step = ctx.start_step + i + 1
            metrics = runner.step(step, prompts)
            ctx.log_metrics(step, metrics)
            log.info(
                "ppo %s step %d: reward %.3f kl %.3f", ctx.stage.name, step, metrics["reward"], metrics["kl"]
            )
            if step in ctx.save_steps:
                ctx.save_checkpoint(step, view, tok, runner.optimizer)


__all__ = ["PPO", "PPOParams", "PPORunner", "ValueHead", "rollout_batches"]
