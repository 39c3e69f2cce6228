"""Model architecture facts, and parameter counts computed from them.

The planner must not trust a rounded "32B" label: memory follows from the shapes. The shapes come
from a Hugging Face `config.json` (a local model directory, a config path, or the descriptors in
`architectures.json` copied from the public configs of the preset base models).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from triforce.errors import ConfigError
from triforce.fsio import MAX_CONFIG_BYTES, read_text_bounded


@dataclass(frozen=True)
class Architecture:
    name: str
    model_type: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    tie_embeddings: bool
    qkv_bias: bool
    o_bias: bool
    qk_norm: bool
    max_position: int

    @classmethod
    def from_config(cls, config: dict[str, Any], name: str) -> Architecture:
        """Read the keys every decoder-only HF config (Llama, Qwen2/3, Mistral) carries."""
        try:
            hidden = int(config["hidden_size"])
            heads = int(config["num_attention_heads"])
            model_type = str(config.get("model_type", ""))
            head_dim = config.get("head_dim") or hidden // heads
            # Qwen2 hard-codes biases on q/k/v; Llama/Qwen3/Mistral carry `attention_bias`.
            bias = bool(config.get("attention_bias", model_type == "qwen2"))
            return cls(
                name=name,
                model_type=model_type,
                hidden=hidden,
                layers=int(config["num_hidden_layers"]),
                heads=heads,
                kv_heads=int(config.get("num_key_value_heads") or heads),
                head_dim=int(head_dim),
                intermediate=int(config["intermediate_size"]),
                vocab=int(config["vocab_size"]),
                tie_embeddings=bool(config.get("tie_word_embeddings", False)),
                qkv_bias=bias,
                o_bias=bias and model_type != "qwen2",
                qk_norm=model_type.startswith("qwen3"),
                max_position=int(config.get("max_position_embeddings") or 0),
            )
        except KeyError as exc:
            raise ConfigError(f"{name}: architecture config lacks {exc.args[0]!r}") from exc

    def linear_shapes(self) -> dict[str, tuple[int, int]]:
        """(in_features, out_features) of each projection in one decoder layer."""
        q, kv, h, i = (
            self.heads * self.head_dim,
            self.kv_heads * self.head_dim,
            self.hidden,
            self.intermediate,
        )
        return {
            "q_proj": (h, q),
            "k_proj": (h, kv),
            "v_proj": (h, kv),
            "o_proj": (q, h),
            "gate_proj": (h, i),
            "up_proj": (h, i),
            "down_proj": (i, h),
        }

    def parameter_counts(self) -> ParameterCounts:
        shapes = self.linear_shapes()
        linear = self.layers * sum(a * b for a, b in shapes.values())
        per_layer_small = 2 * self.hidden  # the two RMSNorms
        if self.qkv_bias:
            per_layer_small += shapes["q_proj"][1] + 2 * shapes["k_proj"][1]
        if self.o_bias:
            per_layer_small += self.hidden
        if self.qk_norm:
            per_layer_small += 2 * self.head_dim
        embedding = self.vocab * self.hidden
        lm_head = 0 if self.tie_embeddings else self.vocab * self.hidden
        small = self.layers * per_layer_small + self.hidden  # + final norm
        return ParameterCounts(embedding=embedding, lm_head=lm_head, linear=linear, small=small)

    def lora_parameters(self, rank: int, targets: list[str]) -> int:
        shapes = self.linear_shapes()
        unknown = [t for t in targets if t not in shapes]
        if unknown:
            raise ConfigError(f"lora.target_modules: {unknown} are not projections of {self.name}")
        return self.layers * sum(rank * (shapes[t][0] + shapes[t][1]) for t in targets)


@dataclass(frozen=True)
class ParameterCounts:
    embedding: int
    lm_head: int  # 0 when tied to the embedding
    linear: int  # the decoder projections: what bitsandbytes quantizes
    small: int  # norms and biases

    @property
    def total(self) -> int:
        return self.embedding + self.lm_head + self.linear + self.small


def _descriptors() -> dict[str, dict[str, Any]]:
    text = (resources.files("triforce.train") / "architectures.json").read_text(encoding="utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


def known_architectures() -> list[str]:
    return sorted(_descriptors())


def load_architecture(ref: str) -> Architecture:
    """A local model dir, a config.json path, or a known Hub id from architectures.json."""
    path = Path(ref).expanduser()
    if path.is_dir():
        path = path / "config.json"
    if path.is_file():
        try:
            config = json.loads(read_text_bounded(path, MAX_CONFIG_BYTES))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc})") from exc
        config = config.get("text_config", config) if "hidden_size" not in config else config
        return Architecture.from_config(config, str(path))
    descriptors = _descriptors()
    if ref in descriptors:
        return Architecture.from_config(descriptors[ref], ref)
    raise ConfigError(
        f"{ref}: no architecture descriptor; give a local config.json or one of {', '.join(descriptors)}"
    )
