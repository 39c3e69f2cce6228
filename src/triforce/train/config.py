"""The training configuration: one YAML file from dataset to servable adapter.

A config is plain data validated by pydantic. Every section has defaults that suit a small
specialist on a single GPU, so a config file only states what differs; presets shipped in
`presets/*.yaml` state the plan's recipes in full. Validation errors name the file and the
dotted field, because a user fixes YAML by line and key, not by traceback.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from triforce.errors import ConfigError
from triforce.fsio import MAX_CONFIG_BYTES, read_text_bounded

DEFAULT_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class ModelSection(_Section):
    """Which base model, and how far to trust its repository."""

    name: str  # Hub id or local directory with config.json + tokenizer
    revision: str | None = None
    trust_remote_code: bool = False
    # Architecture descriptor for the planner when `name` is not a local directory (key of
    # architectures.json); defaults to `name`.
    architecture: str | None = None
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    attn_implementation: Literal["auto", "sdpa", "eager", "flash_attention_2"] = "auto"
    # "auto": the tokenizer's template when it marks assistant spans (or TRL can patch it),
    # else Triforce's ChatML training template; "chatml": always ours; or a path to a .jinja file.
    chat_template: str = "auto"


class QuantizationSection(_Section):
    mode: Literal["none", "4bit", "8bit"] = "none"
    quant_type: Literal["nf4", "fp4"] = "nf4"
    double_quant: bool = True
    compute_dtype: Literal["bfloat16", "float16"] = "bfloat16"


class LoraSection(_Section):
    rank: int = Field(default=16, ge=1, le=1024)
    alpha: int = Field(default=32, ge=1)
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(default_factory=lambda: list(DEFAULT_TARGET_MODULES))
    # vLLM's multi-LoRA serving refuses adapters with modules_to_save; keep empty to serve them.
    modules_to_save: list[str] = Field(default_factory=list)


class TrainingSection(_Section):
    batch_size: int = Field(default=1, ge=1)
    gradient_accumulation: int = Field(default=8, ge=1)
    epochs: float = Field(default=3.0, gt=0)
    max_steps: int | None = Field(default=None, ge=1)
    learning_rate: float = Field(default=2e-5, gt=0)
    warmup_steps: int = Field(default=100, ge=0)
    optimizer: Literal["adamw", "adamw_8bit", "paged_adamw_8bit", "paged_adamw_32bit", "sgd", "adafactor"] = (
        "adamw"
    )
    scheduler: Literal["cosine", "linear", "constant", "constant_with_warmup", "cosine_with_restarts"] = (
        "cosine"
    )
    weight_decay: float = Field(default=0.0, ge=0)
    max_grad_norm: float = Field(default=1.0, gt=0)
    seq_length: int = Field(default=4096, ge=16)
    packing: bool = False
    assistant_only_loss: bool = True
    gradient_checkpointing: bool = True
    seed: int = 42


class CurriculumSection(_Section):
    """Pure-domain samples before mixed ones (the plan's answer to cross-domain degradation).

    `order: dataset` keeps the file order as written (the dataset export already ordered it);
    `order: field` sorts stably by a sample field, ranked by `stages`.
    """

    order: Literal["shuffle", "dataset", "field"] = "shuffle"
    field: str = "domain"  # dotted path into the JSON record, e.g. "meta.stage"
    stages: list[str] = Field(default_factory=lambda: ["din", "nayru", "farore", "cross"])

    @model_validator(mode="after")
    def _field_needs_stages(self) -> CurriculumSection:
        if self.order == "field" and not self.stages:
            raise ValueError("curriculum.order 'field' needs a non-empty 'stages' list")
        return self


class DataSection(_Section):
    paths: list[str] = Field(default_factory=list)  # messages JSONL or Sample JSONL files
    mix: str | None = None  # dataset mix preset name (e.g. "triforce-sage-60k")
    dir: str | None = None  # where mixes live; default $TRIFORCE_DATA_DIR or ./datasets
    eval_paths: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some_data(self) -> DataSection:
        if not self.paths and not self.mix:
            raise ValueError("give data.paths or data.mix")
        return self


class OutputSection(_Section):
    dir: str = "runs/{name}"


class LoggingSection(_Section):
    tensorboard: bool = True
    wandb: bool = False
    wandb_project: str = "triforce"
    steps: int = Field(default=10, ge=1)


class CheckpointSection(_Section):
    save_steps: int = Field(default=200, ge=1)
    save_total_limit: int | None = Field(default=3, ge=1)
    resume: bool = False


class DistributedSection(_Section):
    strategy: Literal["none", "ddp", "zero2", "zero3"] = "none"
    offload_optimizer: bool = False
    offload_params: bool = False
    num_processes: int = Field(default=1, ge=1)
    num_machines: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _offload_needs_zero(self) -> DistributedSection:
        if self.offload_params and self.strategy != "zero3":
            raise ValueError("offload_params needs strategy 'zero3' (ZeRO-2 partitions no parameters)")
        if self.offload_optimizer and self.strategy not in ("zero2", "zero3"):
            raise ValueError("offload_optimizer needs strategy 'zero2' or 'zero3'")
        return self


class TrainConfig(_Section):
    name: str
    description: str = ""
    model: ModelSection
    quantization: QuantizationSection = Field(default_factory=QuantizationSection)
    lora: LoraSection = Field(default_factory=LoraSection)
    training: TrainingSection = Field(default_factory=TrainingSection)
    curriculum: CurriculumSection = Field(default_factory=CurriculumSection)
    data: DataSection
    output: OutputSection = Field(default_factory=OutputSection)
    logging: LoggingSection = Field(default_factory=LoggingSection)
    checkpointing: CheckpointSection = Field(default_factory=CheckpointSection)
    distributed: DistributedSection = Field(default_factory=DistributedSection)
    # Presets to try, in order, when this one does not fit (the plan's Risk 2 ladder).
    fallbacks: list[str] = Field(default_factory=list)
    # A budget table the plan itself gives (GB per row: model, lora, optimizer, batch, total),
    # shown beside the planner's estimate.
    reference_budget: dict[str, float] = Field(default_factory=dict)
    # Where the config came from; relative paths resolve against its folder.
    source: str | None = Field(default=None, exclude=True)

    def base_dir(self) -> Path:
        return Path(self.source).parent if self.source and Path(self.source).is_file() else Path.cwd()

    def output_dir(self) -> Path:
        return _resolve(self.base_dir(), self.output.dir.format(name=self.name))

    def data_files(self) -> list[Path]:
        """The training files: explicit paths, then the mix preset's export."""
        base = self.base_dir()
        files = [_resolve(base, p) for p in self.data.paths]
        if self.data.mix:
            files.append(mix_path(self.data.mix, self.data.dir, base))
        return files

    def eval_files(self) -> list[Path]:
        return [_resolve(self.base_dir(), p) for p in self.data.eval_paths]

    def effective_batch(self) -> int:
        t = self.training
        return (
            t.batch_size
            * t.gradient_accumulation
            * self.distributed.num_processes
            * self.distributed.num_machines
        )

    def resolved(self) -> dict[str, Any]:
        """The config as saved next to the adapter: every default spelled out."""
        data = self.model_dump(mode="json")
        data["data"]["resolved_files"] = [str(p) for p in self.data_files()]
        return data


def _resolve(base: Path, p: str) -> Path:
    path = Path(os.path.expanduser(p))
    return path if path.is_absolute() else base / path


def mix_path(mix: str, data_dir: str | None, base: Path) -> Path:
    """Where a dataset mix preset's export lives: `<dir>/<mix>/train.jsonl` (or `<dir>/<mix>.jsonl`)."""
    root = _resolve(base, data_dir) if data_dir else Path(os.environ.get("TRIFORCE_DATA_DIR", "datasets"))
    folder = root / mix / "train.jsonl"
    flat = root / f"{mix}.jsonl"
    return flat if flat.exists() and not folder.exists() else folder


def preset_names() -> list[str]:
    folder = resources.files("triforce.train") / "presets"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def _preset_text(name: str) -> str | None:
    path = resources.files("triforce.train") / "presets" / f"{name}.yaml"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def load_config(ref: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Load a config file or a preset by name; `overrides` are dotted keys ("training.max_steps")."""
    path = Path(ref)
    if path.is_file():
        text, source = read_text_bounded(path, MAX_CONFIG_BYTES), str(path)
    else:
        preset = _preset_text(str(ref))
        if preset is None:
            raise ConfigError(
                f"{ref}: neither a config file nor a preset (presets: {', '.join(preset_names())})"
            )
        text, source = preset, f"preset:{ref}"
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}{where}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a mapping")
    for key, value in (overrides or {}).items():
        _set_dotted(raw, key, value)
    return validate_config(raw, source)


def validate_config(raw: dict[str, Any], source: str) -> TrainConfig:
    try:
        cfg = TrainConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{source}: {problems}") from exc
    cfg.source = source
    return cfg


def _set_dotted(raw: dict[str, Any], key: str, value: Any) -> None:
    node = raw
    *parents, leaf = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
