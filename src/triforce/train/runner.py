"""`triforce train`: TRL SFTTrainer + PEFT LoRA from one TrainConfig.

Everything a later stage needs lands in the output folder: `adapter/` (PEFT weights, tokenizer
with the training chat template), `config.resolved.yaml`, `dataset.fingerprint.json`,
`metrics.json`, `tensorboard/` and `checkpoint-N/` folders that `--resume` continues from.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from triforce.errors import ConfigError, InputError, ToolNotFoundError
from triforce.fsio import (
    MAX_CONFIG_BYTES,
    ensure_output_dir,
    read_text_bounded,
    write_json_atomic,
    write_text_atomic,
)
from triforce.train.chat import load_tokenizer
from triforce.train.config import TrainConfig
from triforce.train.data import fingerprint, order_for_curriculum, read_conversations
from triforce.train.launch import write_deepspeed_config

if TYPE_CHECKING:
    import torch

_OPTIMIZERS = {
    "adamw": "adamw_torch",
    "adamw_8bit": "adamw_bnb_8bit",
    "paged_adamw_8bit": "paged_adamw_8bit",
    "paged_adamw_32bit": "paged_adamw_32bit",
    "sgd": "sgd",
    "adafactor": "adafactor",
}

ProgressFn = Callable[[int, int, dict[str, float]], None]


@dataclass
class TrainResult:
    output_dir: Path
    adapter_dir: Path
    steps: int
    losses: list[tuple[int, float]]
    resumed_from: str | None
    metrics: dict[str, Any] = field(default_factory=dict)


def check_environment(cfg: TrainConfig) -> None:
    """Fail before loading anything when the config asks for hardware or packages that are absent."""
    import torch

    cuda = torch.cuda.is_available()
    if cfg.quantization.mode != "none":
        if not cuda:
            raise ToolNotFoundError(
                f"{cfg.source}: quantization.mode {cfg.quantization.mode} (QLoRA) needs a CUDA GPU and "
                "bitsandbytes; none is visible here. Set quantization.mode: none to train in 16/32-bit."
            )
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ToolNotFoundError("QLoRA needs bitsandbytes: pip install bitsandbytes")
    if cfg.distributed.strategy in ("zero2", "zero3"):
        if importlib.util.find_spec("deepspeed") is None:
            raise ToolNotFoundError(
                "distributed.strategy zero2/zero3 needs DeepSpeed: pip install 'triforce[train]'"
            )
        if not cuda and (cfg.distributed.offload_optimizer or cfg.distributed.offload_params):
            raise ToolNotFoundError(
                f"{cfg.source}: DeepSpeed offload needs CUDA GPUs (without one DeepSpeed runs on its CPU "
                "accelerator, where there is nothing to offload from); set offload_* to false or strategy: none"
            )
    if cfg.logging.wandb and importlib.util.find_spec("wandb") is None:
        raise ToolNotFoundError("logging.wandb is on but wandb is not installed: pip install wandb")
    if cfg.training.optimizer in ("adamw_8bit", "paged_adamw_8bit", "paged_adamw_32bit") and (
        not cuda or importlib.util.find_spec("bitsandbytes") is None
    ):
        raise ToolNotFoundError(f"training.optimizer {cfg.training.optimizer} needs CUDA and bitsandbytes")


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def notes(cfg: TrainConfig) -> list[str]:
    """Settings that are valid but probably not what the user meant."""
    out = []
    if cfg.training.packing and cfg.curriculum.order != "shuffle":
        out.append(
            "packing (best-fit decreasing) groups samples by length inside each pass, so the curriculum "
            "order is only kept at pack granularity; set training.packing: false for a strict order"
        )
    if cfg.lora.modules_to_save:
        out.append("lora.modules_to_save is set: vLLM multi-LoRA will refuse this adapter")
    if cfg.distributed.strategy in ("zero2", "zero3") and not _cuda():
        out.append(
            "no CUDA: DeepSpeed runs on its CPU accelerator (slow; for checking a config, not training)"
        )
    if cfg.quantization.mode == "none" and cfg.distributed.offload_params:
        out.append("parameter offload without quantisation moves bf16 weights over PCIe every step")
    return out


def preflight(cfg: TrainConfig) -> str | None:
    """Everything that can be checked before a model is loaded or a folder is created: the
    environment, where the base model loads from (at once, no network retries) and the data.
    Returns a note to show (the model comes from the cache because the Hub is out of reach)."""
    from triforce.train.hub import model_source

    check_environment(cfg)
    for path in [*cfg.data_files(), *cfg.eval_files()]:
        if not path.is_file():
            hint = ""
            if cfg.data.mix and path.parent.name == cfg.data.mix:
                hint = f" (export of data.mix {cfg.data.mix}; set data.dir or $TRIFORCE_DATA_DIR)"
            raise InputError(f"{cfg.source}: training data file {path} not found{hint}")
    return model_source(cfg.model.name, cfg.model.revision, where=f"{cfg.source}: model.name").note


def _single_process_env() -> None:
    """Let DeepSpeed run in one process without a launcher (`triforce train` on one GPU)."""
    import socket

    if "WORLD_SIZE" in os.environ:
        return  # accelerate launch / torchrun set the whole rendezvous
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    defaults = {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1"}
    for key, value in (defaults | {"MASTER_PORT": str(port)}).items():
        os.environ.setdefault(key, value)


def _dtype(cfg: TrainConfig) -> torch.dtype:
    import torch

    if cfg.model.dtype != "auto":
        return getattr(torch, cfg.model.dtype)
    if torch.cuda.is_available():
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _attention(cfg: TrainConfig) -> str:
    import torch

    if cfg.model.attn_implementation != "auto":
        return cfg.model.attn_implementation
    # Flash attention gives true varlen packing; SDPA gets a block-diagonal mask from the packed
    # position ids, so packed samples never attend to each other either way.
    if torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


def load_model(cfg: TrainConfig) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {
        "revision": cfg.model.revision,
        "trust_remote_code": cfg.model.trust_remote_code,
        "dtype": _dtype(cfg),
        "attn_implementation": _attention(cfg),
    }
    q = cfg.quantization
    if q.mode != "none":
        from transformers import BitsAndBytesConfig

        compute = getattr(torch, q.compute_dtype)
        if q.mode == "4bit":
            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type=q.quant_type,
                bnb_4bit_use_double_quant=q.double_quant,
                bnb_4bit_compute_dtype=compute,
                # ZeRO-3 partitions parameters by dtype; 4-bit weights stored as bf16 can be sharded.
                bnb_4bit_quant_storage=compute if cfg.distributed.strategy == "zero3" else torch.uint8,
            )
        else:
            kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
    from triforce.train.hub import model_source

    source = model_source(cfg.model.name, cfg.model.revision, where=f"{cfg.source}: model.name")
    try:
        return AutoModelForCausalLM.from_pretrained(source.name, **kwargs, **source.kwargs())
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{cfg.source}: model.name {cfg.model.name!r}: cannot load the model ({exc})"
        ) from exc


def lora_config(cfg: TrainConfig) -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=cfg.lora.rank,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules=list(cfg.lora.target_modules),
        modules_to_save=list(cfg.lora.modules_to_save) or None,
        bias="none",
        task_type="CAUSAL_LM",
    )


def _sft_config(
    cfg: TrainConfig, out: Path, max_steps: int | None, ds_path: Path | None, has_eval: bool = False
) -> Any:
    import torch
    from trl import SFTConfig

    t, dtype = cfg.training, _dtype(cfg)
    cuda = torch.cuda.is_available()
    report_to = ["wandb"] if cfg.logging.wandb else []
    return SFTConfig(
        output_dir=str(out),
        per_device_train_batch_size=t.batch_size,
        gradient_accumulation_steps=t.gradient_accumulation,
        num_train_epochs=t.epochs,
        max_steps=max_steps or t.max_steps or -1,
        learning_rate=t.learning_rate,
        warmup_steps=t.warmup_steps,
        optim=_OPTIMIZERS[t.optimizer],
        lr_scheduler_type=t.scheduler,
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        max_length=t.seq_length,
        packing=t.packing,
        packing_strategy="bfd",
        assistant_only_loss=t.assistant_only_loss,
        activation_checkpointing=t.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if t.gradient_checkpointing else None,
        seed=t.seed,
        logging_steps=cfg.logging.steps,
        save_steps=cfg.checkpointing.save_steps,
        eval_strategy="steps" if has_eval else "no",
        eval_steps=cfg.checkpointing.save_steps if has_eval else None,
        save_total_limit=cfg.checkpointing.save_total_limit,
        report_to=report_to,
        project=cfg.logging.wandb_project,
        bf16=cuda and dtype == torch.bfloat16,
        fp16=cuda and dtype == torch.float16,
        use_cpu=not cuda,
        deepspeed=str(ds_path) if ds_path else None,
        include_num_input_tokens_seen="non_padding",
        disable_tqdm=True,
        dataloader_num_workers=0,
        run_name=cfg.name,
    )


def _callbacks(cfg: TrainConfig, out: Path, progress: ProgressFn | None) -> list[Any]:
    from transformers import TrainerCallback

    callbacks: list[Any] = []
    if cfg.logging.tensorboard:
        from torch.utils.tensorboard import SummaryWriter
        from transformers.integrations import TensorBoardCallback

        callbacks.append(TensorBoardCallback(tb_writer=SummaryWriter(log_dir=str(out / "tensorboard"))))
    if progress is not None:
        report = progress

        class _Progress(TrainerCallback):
            def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
                report(state.global_step, state.max_steps, dict(logs or {}))

        callbacks.append(_Progress())
    return callbacks


def _trainer_class(ordered: bool) -> Any:
    from torch.utils.data import SequentialSampler
    from trl import SFTTrainer

    if not ordered:
        return SFTTrainer

    class _CurriculumSFTTrainer(SFTTrainer):
        """Keeps the curriculum's order: pure-domain stages first, as the data was ordered."""

        def _get_train_sampler(self, train_dataset: Any = None) -> Any:
            data: Any = train_dataset if train_dataset is not None else self.train_dataset
            return SequentialSampler(data)

    return _CurriculumSFTTrainer


RESUME_STAMP = "resume.fingerprint.json"


def _check_resume(cfg: TrainConfig, out: Path, checkpoint: Path | None, files: list[Path]) -> None:
    """A checkpoint continues only the run that wrote it: same base model, same data. Writes
    this run's stamp before training, so a crash mid-run still leaves it for the resume."""
    stamp = {
        "model": cfg.model.name,
        "revision": cfg.model.revision,
        "data_sha256": fingerprint(files)["sha256"],
    }
    path = out / RESUME_STAMP
    if checkpoint is not None and path.is_file():
        try:
            old = json.loads(read_text_bounded(path, MAX_CONFIG_BYTES))
        except json.JSONDecodeError:
            old = None
        if isinstance(old, dict) and old != stamp:
            changed = ", ".join(k for k in stamp if old.get(k) != stamp[k]) or "the stamp"
            raise ConfigError(
                f"{cfg.source}: resume: {checkpoint} was trained with another {changed} "
                f"({path}); continuing it would mix two runs. Use another output.dir, or train "
                "without resume to start over."
            )
    if os.environ.get("RANK", "0") == "0":  # one writer under a multi-process launch
        write_json_atomic(path, stamp)


def last_checkpoint(out: Path) -> Path | None:
    from transformers.trainer_utils import get_last_checkpoint

    if not out.is_dir():
        return None
    found = get_last_checkpoint(str(out))
    return Path(found) if found else None


def train(
    cfg: TrainConfig,
    max_steps: int | None = None,
    resume: bool | None = None,
    progress: ProgressFn | None = None,
) -> TrainResult:
    from datasets import Dataset

    preflight(cfg)
    out = cfg.output_dir()
    ensure_output_dir(out)
    files = cfg.data_files()
    convs = order_for_curriculum(read_conversations(files), cfg.curriculum, cfg.training.seed)
    dataset = Dataset.from_list([{"messages": c.messages} for c in convs])
    eval_files = cfg.eval_files()
    eval_dataset = (
        Dataset.from_list([{"messages": c.messages} for c in read_conversations(eval_files)])
        if eval_files
        else None
    )

    wants_resume = cfg.checkpointing.resume if resume is None else resume
    checkpoint = last_checkpoint(out) if wants_resume else None
    _check_resume(cfg, out, checkpoint, [*files, *eval_files])

    tokenizer = load_tokenizer(cfg)
    ds_path = write_deepspeed_config(cfg, out)
    if ds_path is not None:
        _single_process_env()
    # The training arguments come first: under ZeRO-3 they register the DeepSpeed config, so the
    # model below is partitioned while it loads instead of materialising whole on every rank.
    args = _sft_config(cfg, out, max_steps, ds_path, has_eval=eval_dataset is not None)
    model = load_model(cfg)
    trainer_cls = _trainer_class(cfg.curriculum.order != "shuffle")
    trainer = trainer_cls(
        model=model,
        args=args,
        train_dataset=dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        peft_config=lora_config(cfg),
        callbacks=_callbacks(cfg, out, progress),
    )
    if len(trainer.train_dataset) == 0:
        raise ConfigError(
            f"{cfg.source}: training.seq_length={cfg.training.seq_length}: none of the {len(convs)} "
            "conversations keeps an assistant token within the sequence length; raise it "
            "(`triforce train --preview` shows token lengths)"
        )
    from transformers import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # logs go to TensorBoard, metrics.json and the progress bar
    started = time.monotonic()
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    elapsed = time.monotonic() - started

    adapter = out / "adapter"
    trainer.save_model(str(adapter))  # gathers ZeRO-3 shards (stage3_gather_16bit_weights_on_model_save)
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(str(adapter))
    losses = [(int(r["step"]), float(r["loss"])) for r in trainer.state.log_history if "loss" in r]
    tokens = int(getattr(trainer.state, "num_input_tokens_seen", 0) or 0)
    metrics = {
        "name": cfg.name,
        "model": cfg.model.name,
        "global_step": trainer.state.global_step,
        "max_steps": trainer.state.max_steps,
        "epoch": trainer.state.epoch,
        "samples": len(dataset),
        "train_loss": result.training_loss,
        "losses": losses,
        "runtime_s": round(elapsed, 3),
        "tokens_seen": tokens,
        "tokens_per_second": round(tokens / elapsed, 2) if elapsed > 0 and tokens else None,
        "resumed_from": str(checkpoint) if checkpoint else None,
        "log_history": trainer.state.log_history,
    }
    if trainer.is_world_process_zero():
        write_text_atomic(out / "config.resolved.yaml", yaml.safe_dump(cfg.resolved(), sort_keys=False))
        write_json_atomic(out / "dataset.fingerprint.json", fingerprint(files) | {"samples": len(dataset)})
        write_json_atomic(out / "metrics.json", metrics)
    return TrainResult(
        output_dir=out,
        adapter_dir=adapter,
        steps=trainer.state.global_step,
        losses=losses,
        resumed_from=str(checkpoint) if checkpoint else None,
        metrics=metrics,
    )
