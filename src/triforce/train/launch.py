"""Multi-GPU launch: the DeepSpeed config and the `accelerate launch` line, from the one config.

The DeepSpeed JSON uses "auto" for every value the HF Trainer fills from the training arguments
(batch sizes, accumulation, clipping, precision), so the YAML stays the single source of truth.
ZeRO-3 sets `stage3_gather_16bit_weights_on_model_save`: without it a ZeRO-3 checkpoint holds
only this rank's shard of each LoRA matrix and the saved adapter is empty or partial.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from triforce.fsio import write_text_atomic
from triforce.train.config import TrainConfig


def deepspeed_config(cfg: TrainConfig) -> dict[str, Any] | None:
    d = cfg.distributed
    if d.strategy not in ("zero2", "zero3"):
        return None
    zero: dict[str, Any] = {
        "stage": 3 if d.strategy == "zero3" else 2,
        "overlap_comm": True,
        "contiguous_gradients": True,
        "reduce_bucket_size": "auto",
    }
    if d.offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": True}
    if d.strategy == "zero3":
        zero.update(
            {
                "stage3_prefetch_bucket_size": "auto",
                "stage3_param_persistence_threshold": "auto",
                "stage3_max_live_parameters": 1_000_000_000,
                "stage3_max_reuse_distance": 1_000_000_000,
                "stage3_gather_16bit_weights_on_model_save": True,
            }
        )
        if d.offload_params:
            zero["offload_param"] = {"device": "cpu", "pin_memory": True}
    else:
        zero.update(
            {"allgather_partitions": True, "allgather_bucket_size": 200_000_000, "reduce_scatter": True}
        )
    return {
        "train_micro_batch_size_per_gpu": "auto",
        "gradient_accumulation_steps": "auto",
        "train_batch_size": "auto",
        "gradient_clipping": "auto",
        "bf16": {"enabled": "auto"},
        "fp16": {"enabled": "auto"},
        "zero_optimization": zero,
        "steps_per_print": 1_000_000,
        "wall_clock_breakdown": False,
    }


def concrete_deepspeed_config(cfg: TrainConfig, world_size: int | None = None) -> dict[str, Any] | None:
    """The same config with the "auto" values filled in, as the Trainer would: for validation."""
    ds = deepspeed_config(cfg)
    if ds is None:
        return None
    t = cfg.training
    world = world_size or cfg.distributed.num_processes * cfg.distributed.num_machines
    ds = json.loads(json.dumps(ds))
    ds["train_micro_batch_size_per_gpu"] = t.batch_size
    ds["gradient_accumulation_steps"] = t.gradient_accumulation
    ds["train_batch_size"] = t.batch_size * t.gradient_accumulation * world
    ds["gradient_clipping"] = t.max_grad_norm
    bf16 = cfg.quantization.compute_dtype == "bfloat16"
    ds["bf16"] = {"enabled": bf16}
    ds["fp16"] = {"enabled": not bf16}
    z = ds["zero_optimization"]
    z["reduce_bucket_size"] = 5e8
    if "stage3_prefetch_bucket_size" in z:
        z["stage3_prefetch_bucket_size"] = 5e7
        z["stage3_param_persistence_threshold"] = 1e5
    return ds


def write_deepspeed_config(cfg: TrainConfig, folder: Path) -> Path | None:
    ds = deepspeed_config(cfg)
    if ds is None:
        return None
    path = folder / "deepspeed.json"
    write_text_atomic(path, json.dumps(ds, indent=2) + "\n")
    return path


def launch_command(cfg: TrainConfig, config_path: str, ds_path: Path | None) -> list[str]:
    """`accelerate launch` running `triforce train` on every process with the same config."""
    d = cfg.distributed
    cmd = ["accelerate", "launch", "--num_processes", str(d.num_processes * d.num_machines)]
    if d.num_machines > 1:
        cmd += ["--num_machines", str(d.num_machines), "--machine_rank", "$MACHINE_RANK"]
        cmd += ["--main_process_ip", "$MAIN_PROCESS_IP", "--main_process_port", "29500"]
    if ds_path is not None:
        cmd += ["--use_deepspeed", "--deepspeed_config_file", str(ds_path)]
        if d.strategy == "zero3":
            cmd += ["--zero3_init_flag", "true"]
    elif d.strategy == "ddp" or d.num_processes > 1:
        cmd += ["--multi_gpu"]
    mixed = "bf16" if cfg.quantization.compute_dtype == "bfloat16" else "fp16"
    cmd += ["--mixed_precision", mixed, "-m", "triforce", "train", "run", config_path]
    return cmd


def format_command(cmd: list[str]) -> str:
    return " ".join(a if a.startswith("$") else shlex.quote(a) for a in cmd)
