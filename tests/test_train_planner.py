"""The VRAM planner: parameter counts from configs match real torch models; the arithmetic is pinned."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from triforce.train.architecture import Architecture, load_architecture
from triforce.train.config import load_config
from triforce.train.planner import (
    CUDA_CONTEXT,
    FRAGMENTATION,
    GIB,
    PlanInput,
    estimate,
    largest_rank,
    largest_seq,
    parse_gpu,
    plan,
)

pytestmark = pytest.mark.train
pytest.importorskip("transformers")

_TINY = {
    "hidden_size": 64,
    "intermediate_size": 176,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 300,
}


def _torch_count(model_type: str, tie: bool, **extra: object) -> tuple[int, dict]:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(model_type, **_TINY, tie_word_embeddings=tie, **extra)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters()), config.to_dict()


@pytest.mark.parametrize(
    ("model_type", "tie", "extra"),
    [
        ("qwen2", True, {}),
        ("qwen2", False, {}),
        ("qwen3", True, {"head_dim": 32}),
        ("mistral", False, {"head_dim": 8}),
    ],
)
def test_parameter_count_matches_the_real_model(model_type: str, tie: bool, extra: dict) -> None:
    real, config = _torch_count(model_type, tie, **extra)
    assert Architecture.from_config(config, model_type).parameter_counts().total == real


def test_lora_count_matches_peft(tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model("qwen2", **_TINY)
    model = AutoModelForCausalLM.from_config(config)
    base_total = sum(p.numel() for p in model.parameters())
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    peft_model = get_peft_model(model, LoraConfig(r=8, target_modules=targets, task_type="CAUSAL_LM"))
    trainable = sum(p.numel() for p in peft_model.parameters() if p.requires_grad)
    assert Architecture.from_config(config.to_dict(), "t").lora_parameters(8, targets) == trainable
    (tmp_path / "config.json").write_text(json.dumps(config.to_dict()))
    assert load_architecture(str(tmp_path)).parameter_counts().total == base_total


def test_preset_descriptors_give_the_advertised_sizes() -> None:
    sizes = {
        "Qwen/Qwen2.5-Coder-32B": 32.8,
        "mistralai/Magistral-Small-2506": 23.6,
        "Qwen/Qwen2.5-Coder-14B": 14.8,
        "Qwen/Qwen3-4B-Instruct-2507": 4.0,
        "Qwen/Qwen2.5-Coder-1.5B-Instruct": 1.5,
    }
    for name, billions in sizes.items():
        total = load_architecture(name).parameter_counts().total
        assert abs(total / 1e9 - billions) < 0.06, (name, total)


def test_estimate_arithmetic_on_a_small_known_model() -> None:
    arch = Architecture.from_config(dict(_TINY, model_type="qwen2", tie_word_embeddings=True), "tiny")
    counts = arch.parameter_counts()
    # q,k,v,o,gate,up,down for 3 layers; kv width 2 heads * 16
    assert counts.linear == 3 * (64 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 176)
    p = PlanInput(arch=arch, quantization="none", rank=4, seq=128, batch=2, lora_dropout=False)
    est = estimate(p)
    lora = arch.lora_parameters(4, list(p.targets))
    assert est.items["weights"] == 2 * counts.total
    assert est.items["LoRA parameters"] == 4 * lora
    assert est.items["optimizer states"] == 8 * lora
    tokens = 2 * 128
    layer = tokens * 2 * (5 * 64 + 2 * 32 + 4 * 176)
    assert est.items["activations"] == 3 * tokens * 64 * 2 + layer
    rest = sum(v for k, v in est.items.items() if k not in ("CUDA context", "fragmentation"))
    assert est.items["fragmentation"] == pytest.approx(FRAGMENTATION * rest)
    assert est.total == pytest.approx(rest * (1 + FRAGMENTATION) + CUDA_CONTEXT)
    q4 = estimate(replace(p, quantization="4bit"))
    assert q4.items["weights"] == 0.5 * counts.linear + 2 * (counts.embedding + counts.small)
    assert q4.items["LoRA parameters"] == 2 * lora  # TRL casts adapters to bf16 under QLoRA
    offloaded = estimate(replace(p, strategy="zero2", offload_optimizer=True))
    assert offloaded.items["optimizer states"] == 0 and offloaded.cpu["optimizer states"] == 8 * lora


def test_largest_seq_and_rank_are_the_boundary() -> None:
    p = PlanInput.from_config(load_config("triforce-sage-14b"))
    seq = largest_seq(p, 16.0)
    assert seq is not None and estimate(replace(p, seq=seq)).total <= 16 * GIB
    assert estimate(replace(p, seq=seq + 256)).total > 16 * GIB
    rank = largest_rank(p, 16.0)
    assert (
        rank is not None
        and estimate(replace(p, rank=rank)).total <= 16 * GIB < estimate(replace(p, rank=rank + 1)).total
    )


def test_sage_32b_on_16gb_with_the_plan_table_beside() -> None:
    report = plan(load_config("triforce-sage-32b"), [16.0])
    v = report.verdicts[0]
    assert v.fits  # ZeRO-3 with parameter + optimizer offload
    assert v.estimate.cpu["weights"] > 16 * GIB  # the 4-bit weights alone exceed the card
    assert report.reference_budget["total"] == 18
    assert [line.split(":")[0] for line in report.comparison] == [
        "model",
        "lora",
        "optimizer",
        "batch",
        "total",
    ]
    no_offload = plan(
        load_config(
            "triforce-sage-32b", {"distributed.offload_params": False, "distributed.offload_optimizer": False}
        ),
        [16.0, 24.0],
    )
    assert not no_offload.verdicts[0].fits
    assert no_offload.verdicts[0].fallback == "cloud A100 80GB"
    assert no_offload.verdicts[1].fallback == "triforce-sage-24b"


def test_the_users_14b_oom_on_20gb() -> None:
    """14B, seq 4096, rank 32, plain QLoRA as the user ran it: no fit, with the reason in the numbers."""
    cfg = load_config(
        "triforce-sage-14b", {"distributed.strategy": "none", "distributed.offload_optimizer": False}
    )
    report = plan(cfg, [20.0], seq=4096, rank=32, fused_lm_head=False)
    v = report.verdicts[0]
    assert not v.fits
    assert v.estimate.items["logits"] > 5 * GIB  # 4096 x 152064 logits, bf16 + fp32 upcast + fp32 grad
    assert v.max_seq is not None and v.max_seq < 4096
    assert v.fallback == "cloud A100 80GB"


def test_parse_gpu() -> None:
    assert parse_gpu("16GB") == 16.0 and parse_gpu("80gb") == 80.0 and parse_gpu("24") == 24.0
    from triforce.errors import ConfigError

    with pytest.raises(ConfigError):
        parse_gpu("lots")
