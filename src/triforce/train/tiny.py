"""A tiny Qwen2-architecture model and a locally trained BPE tokenizer: the pipeline without a GPU.

Tests and benchmarks exercise the real training stack (TRL, PEFT, transformers) on it. Nothing is
downloaded: the tokenizer is trained on the conversations themselves and the model is initialised
from a `Qwen2Config`, then both are saved like a Hub checkpoint so `triforce train` loads them by
path exactly as it would load Qwen/Qwen2.5-Coder-1.5B.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# Small, learnable conversations: the assistant answer is a deterministic function of the prompt.
_OPS = [("LDA", "load A"), ("STA", "store A"), ("INC", "increment"), ("RTS", "return"), ("JSL", "call long")]


def conversations(n: int = 48) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        op, meaning = _OPS[i % len(_OPS)]
        addr = f"${(0x10 + i % 7):02X}"
        domain = ["din", "nayru", "farore", "cross"][i % 4]
        msgs = [
            {"role": "system", "content": "You are euclid."},
            {"role": "user", "content": f"What does {op} {addr} do?"},
            {"role": "assistant", "content": f"{op} {addr}: {meaning} at {addr}."},
        ]
        rows.append({"messages": msgs, "domain": domain})
    return rows


def write_messages_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps({"messages": r["messages"]}) + "\n" for r in rows), encoding="utf-8")
    return path


def write_sample_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    """The same conversations as Triforce Sample records (metadata the trainer must ignore)."""
    from triforce.sample import Provenance, Sample, Verification

    lines = []
    for i, r in enumerate(rows):
        s = Sample(
            messages=r["messages"],
            domain=r["domain"],
            task="asm.doc",
            source="alttp-asm-doc",
            provenance=Provenance(corpus="bundled", origin="original", file="t.asm", line_start=i + 1),
            verification=Verification(assembled=True, passed=True, method="asar"),
            meta={"stage": "pure" if r["domain"] != "cross" else "mixed"},
        )
        lines.append(s.model_dump_json() + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def build_tiny_model(folder: Path, rows: list[dict[str, Any]], seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    folder.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    texts = [m["content"] for r in rows for m in r["messages"]] + ["system", "user", "assistant", "\n"]
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    # No chat template of its own: Triforce must supply its ChatML training template.
    fast.save_pretrained(folder)
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(fast),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        eos_token_id=fast.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=fast.pad_token_id,
        bos_token_id=None,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = config.eos_token_id
    model.generation_config.pad_token_id = config.pad_token_id
    model.save_pretrained(folder)
    return folder
