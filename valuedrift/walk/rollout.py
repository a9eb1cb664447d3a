"""Chat-formatted (prompt, completion) batches, sampling from the policy, and completion log-probs.

Shared by the stages that score or sample whole completions themselves (UNA, RAFT). A prompt is
rendered with the tokenizer's chat template and ``add_generation_prompt=True``; a completion is the
rest of the rendered two-turn conversation (the reply and its end-of-turn marker). The two parts are
tokenised separately and concatenated, so the completion tokens are exactly those the model would
produce after the prompt, and ``completion_mask`` marks them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from valuedrift.walk.reward import RewardFn
from valuedrift.walk.una_losses import sequence_logps


def prompt_text(tok, prompt: str) -> str:
    """The chat-template rendering of one user turn, ending where the assistant's reply starts."""
    return tok.apply_chat_template(
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
    )


def completion_text(tok, prompt: str, completion: str) -> str:
    """The assistant reply as the template renders it after :func:`prompt_text` (with its end-of-turn)."""
    head = prompt_text(tok, prompt)
    full = tok.apply_chat_template(
        [{"role": "user", "content": prompt}, {"role": "assistant", "content": completion}], tokenize=False
    )
    if full.startswith(head):
        return full[len(head) :]
    return completion + (tok.eos_token or "")


def encode(
    tok, prompts: Sequence[str], completions: Sequence[str], max_length: int
) -> dict[str, torch.Tensor]:
    """Right-padded ``input_ids``, ``attention_mask`` and ``completion_mask`` for (prompt, completion) rows.

    Rows longer than ``max_length`` keep the prompt's last tokens (at most half the budget when the
    completion needs the rest) and cut the completion's tail.
    """
    rows, masks = [], []
    for p, c in zip(prompts, completions, strict=True):
        p_ids = tok(prompt_text(tok, p), add_special_tokens=False)["input_ids"]
        c_ids = tok(completion_text(tok, p, c), add_special_tokens=False)["input_ids"]
        if len(p_ids) + len(c_ids) > max_length:
            keep_p = min(len(p_ids), max(max_length // 2, max_length - len(c_ids)))
            p_ids = p_ids[len(p_ids) - keep_p :]
            c_ids = c_ids[: max_length - keep_p]
        rows.append(p_ids + c_ids)
        masks.append([0] * len(p_ids) + [1] * len(c_ids))
    width = max(len(r) for r in rows)
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    att = torch.zeros((len(rows), width), dtype=torch.long)
    comp = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (r, m) in enumerate(zip(rows, masks, strict=True)):
        ids[i, : len(r)] = torch.tensor(r)
        att[i, : len(r)] = 1
        comp[i, : len(m)] = torch.tensor(m)
    return {"input_ids": ids, "attention_mask": att, "completion_mask": comp}


def completion_logps(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """log π(y|x) summed over each row's completion tokens (gradients flow unless called under no_grad)."""
    device = next(model.parameters()).device
    ids = batch["input_ids"].to(device)
    out = model(input_ids=ids, attention_mask=batch["attention_mask"].to(device), use_cache=False)
    return sequence_logps(out.logits, ids, batch["completion_mask"].to(device))


@torch.no_grad()
def sample(
    model,
    tok,
    prompts: Sequence[str],
    k: int,
    *,
    temperature: float,
    max_new_tokens: int,
    top_p: float = 1.0,
    seed: int | None = None,
    max_prompt_length: int | None = None,
) -> list[list[str]]:
    """K completions per prompt sampled from ``model`` at ``temperature`` (λ), as text without specials."""
    if seed is not None:
        torch.manual_seed(seed)
    device = next(model.parameters()).device
    side = tok.padding_side
    tok.padding_side = "left"
    try:
        enc = tok(
            [prompt_text(tok, p) for p in prompts],
            return_tensors="pt",
            padding=True,
            add_special_tokens=False,
            truncation=max_prompt_length is not None,
            max_length=max_prompt_length,
        ).to(device)
    finally:
        tok.padding_side = side
    was_training = model.training
    model.eval()
    try:
        out = model.generate(
            **enc,
            do_sample=temperature > 0,
            temperature=temperature if temperature > 0 else None,
            top_p=top_p if temperature > 0 else None,
            max_new_tokens=max_new_tokens,
            num_return_sequences=k,
            pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
        )
    finally:
        model.train(was_training)
    texts = tok.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    return [texts[i * k : (i + 1) * k] for i in range(len(prompts))]


def score(reward: RewardFn, prompts: Sequence[str], completions: Sequence[str]) -> list[float]:
    """r_φ(x, y) for each row, checked to be one finite number per completion."""
    import math

    from valuedrift.errors import UserError

    out = [float(v) for v in reward(list(prompts), list(completions))]
    if len(out) != len(completions):
        raise UserError(f"the reward function returned {len(out)} scores for {len(completions)} completions")
    if not all(math.isfinite(v) for v in out):
        raise UserError("the reward function returned a non-finite score")
    return out
