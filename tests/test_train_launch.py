"""DeepSpeed ZeRO configs written from a Triforce config, and the accelerate launch line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triforce.train.config import load_config
from triforce.train.launch import concrete_deepspeed_config, deepspeed_config, launch_command

pytestmark = pytest.mark.train


def test_zero3_config_saves_the_full_adapter_and_offloads() -> None:
    ds = deepspeed_config(load_config("triforce-sage-32b"))
    assert ds is not None
    z = ds["zero_optimization"]
    assert z["stage"] == 3
    assert z["stage3_gather_16bit_weights_on_model_save"] is True
    assert z["offload_param"]["device"] == "cpu" and z["offload_optimizer"]["device"] == "cpu"
    assert deepspeed_config(load_config("euclid-asm-1.5b")) is None


@pytest.mark.parametrize(
    "overrides", [{}, {"distributed.strategy": "zero2", "distributed.offload_params": False}]
)
def test_deepspeed_accepts_the_config(overrides: dict) -> None:
    ds_config = pytest.importorskip("deepspeed.runtime.config")
    cfg = load_config("triforce-sage-32b", overrides)
    concrete = concrete_deepspeed_config(cfg)  # DeepSpeed checks batch = micro x accum x world (1 here)
    parsed = ds_config.DeepSpeedConfig(json.loads(json.dumps(concrete)))
    assert parsed.zero_optimization_stage == (3 if not overrides else 2)
    assert parsed.train_batch_size == 1 * 8
    if not overrides:
        assert parsed.zero_config.gather_16bit_weights_on_model_save is True
        assert parsed.zero_config.offload_param is not None
    # Every "auto" is one the HF Trainer fills from the same config.
    autos = {k for k, v in deepspeed_config(cfg).items() if v == "auto"}
    assert autos == {
        "train_micro_batch_size_per_gpu",
        "gradient_accumulation_steps",
        "train_batch_size",
        "gradient_clipping",
    }


def test_launch_command(tmp_path: Path) -> None:
    cfg = load_config("triforce-sage-32b", {"distributed.num_processes": 4})
    cmd = launch_command(cfg, "sage.yaml", tmp_path / "deepspeed.json")
    joined = " ".join(cmd)
    assert joined.startswith("accelerate launch --num_processes 4 --use_deepspeed --deepspeed_config_file")
    assert "--zero3_init_flag true" in joined and joined.endswith("-m triforce train run sage.yaml")
