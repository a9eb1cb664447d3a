"""A deterministic tiny random Llama for fast tests: no download, built in about a second.

The tokenizer is a byte-level BPE trained locally on a fixed corpus (so any text encodes), with
ChatML special tokens and the same chat template style as SmolLM2. The same seed always gives the
same weights, so tests can compare outputs across runs.
"""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

_CORPUS = """
Should the government raise the minimum wage? I think it should, because workers need a living wage.
No, I do not agree. Immigration policy, climate change, religion, family, elections and war are
value-laden topics. The death penalty should be abolished. Abortion should be legal. I support this
policy. I oppose this policy. It depends on many factors; there are good arguments on both sides.
As an AI, I do not have personal opinions, but here are the main arguments for and against.
Yes. No. Maybe. Support, neutral, oppose. The quick brown fox jumps over the lazy dog 0123456789.
"""


def build_tokenizer(vocab_size: int = 384):
    """Train the byte-level BPE tokenizer (deterministic) and wrap it for transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([_CORPUS] * 4, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=None,
        eos_token="<|im_end|>",
        unk_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_model(tokenizer, seed: int = 0):
    """A 2-layer Llama with hidden size 32, initialised from ``seed``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def materialise(folder: Path, seed: int = 0) -> None:
    """Write the tiny model and tokenizer to ``folder``."""
    tok = build_tokenizer()
    model = build_model(tok, seed)
    model.save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
