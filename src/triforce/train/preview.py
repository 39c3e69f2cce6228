"""`triforce train --preview`: which tokens carry loss, and how long the samples are.

Masks come from the same tokenizer call TRL makes during dataset preparation (chat template
with `{% generation %}` markers, `return_assistant_tokens_mask=True`), then the same truncation
to `training.seq_length`; what the preview shows is what the trainer will learn from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triforce.train.chat import load_tokenizer, tokenize_with_mask
from triforce.train.config import TrainConfig
from triforce.train.data import LengthStats, length_stats, read_conversations


@dataclass
class PreviewSample:
    file: str
    line: int
    ids: list[int]
    tokens: list[str]
    loss: list[int]  # 1 where the token carries loss (an assistant token inside seq_length)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "ids": self.ids,
            "tokens": self.tokens,
            "loss_mask": self.loss,
        }


@dataclass
class Preview:
    samples: list[PreviewSample]
    stats: LengthStats
    loss_tokens: LengthStats  # assistant tokens per sample
    no_loss_after_truncation: int  # samples whose assistant turns all lie past seq_length
    assistant_only_loss: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "samples": [s.to_json() for s in self.samples],
            "length": self.stats.to_json(),
            "loss_tokens": self.loss_tokens.to_json(),
            "no_loss_after_truncation": self.no_loss_after_truncation,
            "assistant_only_loss": self.assistant_only_loss,
        }


def preview(cfg: TrainConfig, count: int = 3) -> Preview:
    tokenizer = load_tokenizer(cfg)
    convs = read_conversations(cfg.data_files())
    limit = cfg.training.seq_length
    only_assistant = cfg.training.assistant_only_loss
    samples: list[PreviewSample] = []
    lengths: list[int] = []
    loss_counts: list[int] = []
    lost = 0
    for i, conv in enumerate(convs):
        ids, mask = tokenize_with_mask(tokenizer, conv.messages)
        if not only_assistant:
            mask = [1] * len(ids)
        loss = [m if pos < limit else 0 for pos, m in enumerate(mask)]
        lengths.append(len(ids))
        loss_counts.append(sum(mask))
        if not any(loss):
            lost += 1
        if i < count:
            tokens = [str(tokenizer.decode([t])) for t in ids]
            samples.append(PreviewSample(conv.file, conv.line, ids, tokens, loss))
    return Preview(
        samples=samples,
        stats=length_stats(lengths, limit),
        loss_tokens=length_stats(loss_counts, limit),
        no_loss_after_truncation=lost,
        assistant_only_loss=only_assistant,
    )
