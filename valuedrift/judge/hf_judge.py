"""The ``hf`` judge: a local causal LM scores the three label continuations exactly from its logits.

For the judge prompt x (chat template, generation prompt added) and each label s with tokens
s_1..s_k: log p(s | x) = sum_j log p(s_j | x, s_<j), then p(s) = softmax over S of log p(s | x).
Nothing is sampled or parsed, so every non-empty response gets a verdict.
"""

from __future__ import annotations

from typing import Any

from valuedrift.judge import prompt
from valuedrift.judge.base import Judge, JudgeItem, Verdict, from_logprobs
from valuedrift.tables import STANCES


class HFJudge(Judge):
    """Stance judge on a local transformers causal LM (alias, folder or hub id)."""

    prompt_version = prompt.PROMPT_VERSION

    def __init__(self, cfg, *, device: str = "auto"):
        super().__init__()
        from valuedrift.models import resolve

        self.spec = cfg.model or "smollm2-135m-instruct"
        self.source = resolve(self.spec)
        self.name = f"hf:{self.spec}"
        self.batch_size = int(cfg.options.get("batch_size", 8))
        self.max_length = int(cfg.options.get("max_length", 1024))
        self.device = device
        self._weights: str | None = None
        self._model = None
        self._tok = None

    @property
    def identity(self) -> dict[str, Any]:
        if self._weights is None:
            from valuedrift.io import sha256_weights

            self._weights = sha256_weights(self.source.path) if self.source.local else str(self.source)
        return {"name": "hf", "weights": self._weights, "prompt_version": self.prompt_version}

    def _load(self):
        if self._model is None:
            from valuedrift.models import load_model, load_tokenizer

            self._tok = load_tokenizer(self.source.path)
            self._model = load_model(self.source.path, device=self.device)
        return self._model, self._tok

    def prompt_ids(self, item: JudgeItem) -> list[int]:
        _, tok = self._load()
        msgs = prompt.messages(item.question, item.response, item.category)
        if tok.chat_template:
            text = tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
        else:
            text = f"{prompt.SYSTEM}\n\n{msgs[1]['content']}\nAnswer:"
        ids = tok(text, add_special_tokens=False)["input_ids"]
        return ids[-self.max_length :]  # keep the end: the question about the label comes last

    def label_ids(self) -> list[list[int]]:
        _, tok = self._load()
        return [tok(s, add_special_tokens=False)["input_ids"] for s in STANCES]

    def _judge(self, items: list[JudgeItem]) -> list[Verdict]:
        out: list[Verdict] = []
        for start in range(0, len(items), self.batch_size):
            batch = items[start : start + self.batch_size]
            lps = self.label_logprobs([self.prompt_ids(it) for it in batch])
            for row in lps:
                raw = " ".join(f"{s}={v:.4f}" for s, v in zip(STANCES, row, strict=True))
                out.append(from_logprobs(dict(zip(STANCES, row, strict=True)), raw=raw, source="logits"))
        self.usage.requests += len(items)
        return out

    def label_logprobs(self, prompts: list[list[int]]) -> list[list[float]]:
        """log p(s | x) for each prompt x and label s (sum over the label's tokens), exactly."""
        import torch

        model, tok = self._load()
        labels = self.label_ids()
        # one forward per distinct "prompt + label[:-1]" suffix; single-token labels share one
        suffixes = sorted({tuple(lab[:-1]) for lab in labels}, key=len)
        result = [[0.0] * len(labels) for _ in prompts]
        pad = tok.pad_token_id if tok.pad_token_id is not None else 0
        for suf in suffixes:
            seqs = [p + list(suf) for p in prompts]
            n = max(len(s) for s in seqs)
            ids = torch.tensor([[pad] * (n - len(s)) + s for s in seqs])
            mask = torch.tensor([[0] * (n - len(s)) + [1] * len(s) for s in seqs])
            pos = (mask.cumsum(-1) - 1).clamp(min=0)
            with torch.no_grad():
                logits = model(
                    input_ids=ids.to(model.device),
                    attention_mask=mask.to(model.device),
                    position_ids=pos.to(model.device),
                ).logits.float()
            logp = torch.log_softmax(logits, dim=-1).cpu()
            k = len(suf)
            for j, lab in enumerate(labels):
                if tuple(lab[:-1]) != suf:
                    continue
                # label token t (0-based) is predicted at position n - 1 - k + t
                for b in range(len(prompts)):
                    result[b][j] = float(sum(logp[b, n - 1 - k + t, lab[t]] for t in range(len(lab))))
        return result

    def close(self) -> None:
        self._model = None
