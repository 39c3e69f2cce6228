"""The `hf:PATH` backend with a tiny Qwen2 model and tokenizer built here (no download)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytestmark = pytest.mark.train

transformers = pytest.importorskip("transformers")
pytest.importorskip("torch")
tokenizers = pytest.importorskip("tokenizers")

from triforce.evaluate.runner import run_suite  # noqa: E402
from triforce.evaluate.suite import load_suite  # noqa: E402
from triforce.models import make_backend  # noqa: E402


def _tiny_model(path: Path) -> Path:
    words = [
        "<pad>",
        "<eos>",
        "<unk>",
        "system",
        "user",
        "assistant",
        ":",
        "{",
        "}",
        '"wizard"',
        '"Agahnim"',
        "LDA",
        "RTL",
    ]
    tok = tokenizers.Tokenizer(
        tokenizers.models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>")
    )
    tok.pre_tokenizer = tokenizers.pre_tokenizers.WhitespaceSplit()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>"
    )
    fast.chat_template = "{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} {% endfor %}assistant :"
    fast.save_pretrained(path)
    config = transformers.Qwen2Config(
        vocab_size=len(words),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        eos_token_id=1,
        pad_token_id=0,
        tie_word_embeddings=True,
    )
    transformers.Qwen2ForCausalLM(config).save_pretrained(path)
    return path


@pytest.mark.slow
def test_hf_backend_runs_a_suite(tmp_path: Path) -> None:
    model_dir = _tiny_model(tmp_path / "tiny")
    suite = load_suite("lore")
    backend = make_backend(f"hf:{model_dir}", max_tokens=8)
    result = asyncio.run(run_suite(suite, backend, tmp_path / "run", samples=2, concurrency=2))
    assert len(result.records) == 2 * len(suite.items)
    for rec in result.records:
        assert rec["error"] is None and rec["latency_s"] > 0 and rec["backend"].startswith("hf:")
        assert rec["usage"]["completion_tokens"] <= 8
        assert rec["verdict"]["passed"] is False  # a random tiny model knows no lore
    assert result.summary["categories"]["lore"]["pass@2"] == 0.0


def test_hf_backend_rejects_missing_dir(tmp_path: Path) -> None:
    from triforce.errors import InputError

    with pytest.raises(InputError, match="does not exist"):
        make_backend(f"hf:{tmp_path / 'nope'}")


@pytest.mark.slow
def test_hf_backend_with_the_training_tiny_model(tmp_path: Path) -> None:
    """The training package's tiny model has no chat template: the plain transcript path runs."""
    tiny = pytest.importorskip("triforce.train.tiny")
    model_dir = tiny.build_tiny_model(tmp_path / "tiny", tiny.conversations(16))
    suite = load_suite("quest")
    result = asyncio.run(run_suite(suite, make_backend(f"hf:{model_dir}", max_tokens=6), tmp_path / "run"))
    assert [r["error"] for r in result.records] == [None] * len(suite.items)
    assert all(r["verdict"]["code"] in {"parse-error", "structure"} for r in result.records)
