"""Chat templates that mark assistant spans, so loss falls on assistant tokens only.

TRL's assistant-only loss asks the tokenizer for an assistant mask, which Jinja templates give
through `{% generation %}...{% endgeneration %}`. Base-model templates rarely carry the markers:
`auto` keeps a template that has them, lets TRL patch a template it knows (Qwen2.5, Llama 3...),
and otherwise falls back to Triforce's ChatML template when the vocabulary has ChatML tokens.
The end-of-turn token sits inside the generation span so the model learns to stop.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triforce.errors import ConfigError
from triforce.fsio import MAX_CONFIG_BYTES, read_text_bounded

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from triforce.train.config import TrainConfig


def packaged_templates() -> list[str]:
    folder = resources.files("triforce.train") / "templates"
    return sorted(p.name.removesuffix(".jinja") for p in folder.iterdir() if p.name.endswith(".jinja"))


def template_text(name_or_path: str) -> str:
    packaged = resources.files("triforce.train") / "templates" / f"{name_or_path}.jinja"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8").strip()
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return read_text_bounded(path, MAX_CONFIG_BYTES).strip()
    raise ConfigError(
        f"model.chat_template: {name_or_path!r} is neither a file nor one of {', '.join(packaged_templates())}"
    )


def resolve_chat_template(tokenizer: PreTrainedTokenizerBase, setting: str) -> str:
    from trl.chat_template_utils import get_training_chat_template, has_generation_markers

    if setting != "auto":
        text = template_text(setting)
        if not has_generation_markers(text):
            raise ConfigError(f"model.chat_template: {setting} has no {{% generation %}} markers")
        return text
    current = tokenizer.chat_template
    if isinstance(current, dict):
        current = current.get("default")
    if current and has_generation_markers(current):
        return str(current)
    if current:
        try:
            patched = get_training_chat_template(tokenizer)
        except ValueError:
            patched = None
        if patched:
            return str(patched)
    if "<|im_start|>" in tokenizer.get_vocab() and "<|im_end|>" in tokenizer.get_vocab():
        return template_text("chatml")
    raise ConfigError(
        "model.chat_template: the tokenizer's template does not mark assistant turns and Triforce has no "
        f"patch for it; set model.chat_template to one of {', '.join(packaged_templates())} or a .jinja file"
    )


def load_tokenizer(cfg: TrainConfig) -> PreTrainedTokenizerBase:
    """The tokenizer with a training template attached and a pad token set."""
    from transformers import AutoTokenizer

    from triforce.train.hub import model_source

    source = model_source(cfg.model.name, cfg.model.revision, where=f"{cfg.source}: model.name")
    try:
        tok = AutoTokenizer.from_pretrained(
            source.name,
            revision=cfg.model.revision,
            trust_remote_code=cfg.model.trust_remote_code,
            **source.kwargs(),
        )
    except (OSError, ValueError) as exc:  # a folder without tokenizer files raises ValueError
        raise ConfigError(
            f"{cfg.source}: model.name {cfg.model.name!r}: cannot load the tokenizer ({exc})"
        ) from exc
    tok.chat_template = resolve_chat_template(tok, cfg.model.chat_template)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def tokenize_with_mask(
    tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, str]]
) -> tuple[list[int], list[int]]:
    """Token ids and the assistant mask, exactly as TRL's dataset preparation computes them."""
    out: Any = tokenizer.apply_chat_template(
        messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    ids = list(out["input_ids"])
    mask = list(out["assistant_masks"])
    return ids, mask
