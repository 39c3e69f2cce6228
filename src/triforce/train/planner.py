"""GPU memory planner: will this config fit, and if not, what to change.

The user's own 14B run died at 20 GB without warning. This estimates peak memory per GPU from the
architecture's shapes, item by item, so the answer can be argued with:

- weights at the chosen precision; bitsandbytes 4-bit stores 0.5 byte per projection weight plus
  one absmax per 64-weight block (8-bit with a second fp32 level under double quantisation);
  embeddings, lm_head, norms and biases stay in bf16;
- LoRA parameters (bf16 under QLoRA, where TRL casts them; fp32 otherwise), their gradients, and
  the optimizer (AdamW: two fp32 moments + an fp32 master copy under DeepSpeed's bf16 mode);
- ZeRO partitions parameters (stage 3), gradients and optimizer states across GPUs; offload moves
  optimizer states (and with stage 3 the parameters) to CPU RAM, leaving a gathered working set
  of about two decoder layers on the GPU (the one running and the one prefetched), or the
  embedding matrix while the lookup runs;
- activations with gradient checkpointing: one saved hidden state per layer plus the full
  activations of the layer being recomputed (flash/SDPA attention, no seq² score matrix), plus the
  inputs LoRA dropout keeps; TRL 1.x computes the loss through a fused, chunked LM head, so the
  [seq, vocab] logits are never materialised (set `fused_lm_head=False` for older stacks, where
  they cost 10 bytes per logit: bf16 logits, fp32 upcast and fp32 gradient);
- CUDA context (~0.5 GiB) and allocator fragmentation (10 % of the rest).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from triforce.errors import ConfigError
from triforce.train.architecture import Architecture, load_architecture
from triforce.train.config import TrainConfig, load_config

GIB = 1024**3
CUDA_CONTEXT = 0.5 * GIB
FRAGMENTATION = 0.10
_BLOCK = 64  # bitsandbytes 4-bit block size
_FUSED_TILE = 64 * 1024**2  # the fused LM head's [token chunk, vocab chunk] tiles, about 64 MiB
CLOUD_FALLBACK_GIB = 80.0  # the plan's Plan C: rent an A100 80GB


@dataclass(frozen=True)
class PlanInput:
    arch: Architecture
    quantization: str = "none"  # none | 4bit | 8bit
    double_quant: bool = True
    rank: int = 16
    targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    lora_dropout: bool = True
    seq: int = 4096
    batch: int = 1
    gradient_checkpointing: bool = True
    optimizer: str = "adamw"
    strategy: str = "none"  # none | ddp | zero2 | zero3
    offload_optimizer: bool = False
    offload_params: bool = False
    gpus: int = 1
    fused_lm_head: bool = True

    @classmethod
    def from_config(cls, cfg: TrainConfig, arch: Architecture | None = None) -> PlanInput:
        arch = arch or load_architecture(cfg.model.architecture or cfg.model.name)
        d = cfg.distributed
        return cls(
            arch=arch,
            quantization=cfg.quantization.mode,
            double_quant=cfg.quantization.double_quant,
            rank=cfg.lora.rank,
            targets=tuple(cfg.lora.target_modules),
            lora_dropout=cfg.lora.dropout > 0,
            seq=cfg.training.seq_length,
            batch=cfg.training.batch_size,
            gradient_checkpointing=cfg.training.gradient_checkpointing,
            optimizer=cfg.training.optimizer,
            strategy=d.strategy,
            offload_optimizer=d.offload_optimizer,
            offload_params=d.offload_params,
            gpus=d.num_processes * d.num_machines,
        )


@dataclass
class Estimate:
    """Bytes per GPU, item by item; `cpu` is what offload keeps in host RAM instead."""

    items: dict[str, float]
    cpu: dict[str, float]
    parameters: int
    lora_parameters: int

    @property
    def total(self) -> float:
        return sum(self.items.values())

    def gib(self) -> dict[str, float]:
        return {k: round(v / GIB, 2) for k, v in self.items.items()} | {"total": round(self.total / GIB, 2)}


def _weight_bytes(p: PlanInput) -> tuple[float, float, float]:
    """Bytes of (the projections, their quantisation constants, everything kept in bf16)."""
    counts = p.arch.parameter_counts()
    bf16_rest = 2.0 * (counts.embedding + counts.lm_head + counts.small)
    if p.quantization == "4bit":
        constants = (1 / _BLOCK + 4 / (_BLOCK * 256)) if p.double_quant else 4 / _BLOCK
        return 0.5 * counts.linear, constants * counts.linear, bf16_rest
    if p.quantization == "8bit":
        rows = p.arch.layers * sum(out for _, out in p.arch.linear_shapes().values())
        return 1.0 * counts.linear, 4.0 * rows, bf16_rest
    return 2.0 * counts.linear, 0.0, bf16_rest


def _optimizer_bytes_per_param(optimizer: str, master_copy: bool) -> float:
    states = {"adamw": 8.0, "paged_adamw_32bit": 8.0, "adamw_8bit": 2.0, "paged_adamw_8bit": 2.0}.get(
        optimizer, 4.0 if optimizer == "adafactor" else 0.0
    )
    return states + (4.0 if master_copy else 0.0)


def estimate(p: PlanInput) -> Estimate:
    arch = p.arch
    counts = arch.parameter_counts()
    lora = arch.lora_parameters(p.rank, list(p.targets))
    linear, constants, rest = _weight_bytes(p)
    stored = linear + rest
    shards = p.gpus if p.strategy in ("zero2", "zero3") else 1
    items: dict[str, float] = {}
    cpu: dict[str, float] = {}

    # Weights: whole on each GPU, partitioned by ZeRO-3, or offloaded with a gathered working set.
    shapes = arch.linear_shapes()
    per_layer = (linear + constants) / arch.layers
    if p.strategy == "zero3" and p.offload_params:
        cpu["weights"] = stored + constants
        items["weights (gathered working set)"] = max(2 * per_layer, 2.0 * counts.embedding)
    elif p.strategy == "zero3" and shards > 1:
        items["weights"] = stored / shards
        items["quantisation constants"] = constants / shards
        items["weights (gathered working set)"] = 2 * per_layer
    else:
        items["weights"] = stored
        items["quantisation constants"] = constants

    # LoRA: TRL casts adapters to bf16 on quantised models; fp32 otherwise.
    lora_bytes = 2.0 if p.quantization != "none" else 4.0
    param_shards = shards if p.strategy == "zero3" else 1
    items["LoRA parameters"] = lora * lora_bytes / param_shards
    items["LoRA gradients"] = lora * lora_bytes / shards
    master = p.strategy in ("zero2", "zero3") and lora_bytes == 2.0
    opt = lora * _optimizer_bytes_per_param(p.optimizer, master) / shards
    if p.offload_optimizer:
        cpu["optimizer states"] = opt
        items["optimizer states"] = 0.0
    else:
        items["optimizer states"] = opt

    # Activations.
    tokens = p.batch * p.seq
    h, kvd, inter = arch.hidden, arch.kv_heads * arch.head_dim, arch.intermediate
    full_layer = tokens * 2.0 * (5 * h + 2 * kvd + 4 * inter)
    if p.lora_dropout:
        full_layer += tokens * 2.0 * sum(shapes[t][0] for t in p.targets)
    if p.gradient_checkpointing:
        items["activations"] = arch.layers * tokens * h * 2.0 + full_layer
    else:
        items["activations"] = arch.layers * full_layer
    if p.fused_lm_head:
        items["logits (fused LM head)"] = tokens * h * 2.0 + _FUSED_TILE
    else:
        items["logits"] = tokens * arch.vocab * 10.0
    if p.quantization != "none":
        # bitsandbytes dequantises one projection to bf16 for the backward matmul
        items["dequantisation workspace"] = 2.0 * max(a * b for a, b in shapes.values())

    items["CUDA context"] = CUDA_CONTEXT
    items["fragmentation"] = FRAGMENTATION * sum(v for k, v in items.items() if k != "CUDA context")
    return Estimate(items=items, cpu=cpu, parameters=counts.total, lora_parameters=lora)


@dataclass
class GpuVerdict:
    gpu_gib: float
    estimate: Estimate
    fits: bool
    max_seq: int | None  # largest sequence length that fits at this rank (multiple of 256)
    max_rank: int | None  # largest LoRA rank that fits at this sequence length
    fallback: str | None  # what the plan says to do next when it does not fit
    fallback_detail: str = ""


@dataclass
class PlanReport:
    name: str
    arch: Architecture
    inputs: PlanInput
    verdicts: list[GpuVerdict]
    reference_budget: dict[str, float] = field(default_factory=dict)
    comparison: list[str] = field(default_factory=list)
    # Totals (GiB) for the same run with one setting changed: where an OOM usually comes from.
    what_if: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        p = self.inputs
        return {
            "name": self.name,
            "model": self.arch.name,
            "parameters": self.verdicts[0].estimate.parameters if self.verdicts else None,
            "lora_parameters": self.verdicts[0].estimate.lora_parameters if self.verdicts else None,
            "settings": {
                "quantization": p.quantization,
                "rank": p.rank,
                "seq": p.seq,
                "batch": p.batch,
                "strategy": p.strategy,
                "offload_optimizer": p.offload_optimizer,
                "offload_params": p.offload_params,
                "gpus": p.gpus,
                "gradient_checkpointing": p.gradient_checkpointing,
                "fused_lm_head": p.fused_lm_head,
            },
            "gpus": [
                {
                    "gpu_gib": v.gpu_gib,
                    "estimate_gib": v.estimate.gib(),
                    "cpu_offload_gib": {k: round(b / GIB, 2) for k, b in v.estimate.cpu.items()},
                    "fits": v.fits,
                    "max_seq": v.max_seq,
                    "max_rank": v.max_rank,
                    "fallback": v.fallback,
                    "fallback_detail": v.fallback_detail,
                }
                for v in self.verdicts
            ],
            "what_if_gib": self.what_if,
            "reference_budget_gib": self.reference_budget,
            "comparison": self.comparison,
        }


def _fits(p: PlanInput, gib: float) -> bool:
    return estimate(p).total <= gib * GIB


def largest_seq(p: PlanInput, gib: float, step: int = 256) -> int | None:
    ceiling = p.arch.max_position or 131072
    if not _fits(replace(p, seq=step), gib):
        return None
    lo, hi = 1, ceiling // step
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fits(replace(p, seq=mid * step), gib):
            lo = mid
        else:
            hi = mid - 1
    return lo * step


def largest_rank(p: PlanInput, gib: float, ceiling: int = 1024) -> int | None:
    if not _fits(replace(p, rank=1), gib):
        return None
    lo, hi = 1, ceiling
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fits(replace(p, rank=mid), gib):
            lo = mid
        else:
            hi = mid - 1
    return lo


def parse_gpu(text: str) -> float:
    """'16GB', '24gb', '80' → GiB (cards are sold in binary gigabytes)."""
    t = text.strip().lower().removesuffix("gib").removesuffix("gb").removesuffix("g")
    try:
        value = float(t)
    except ValueError as exc:
        raise ConfigError(f"--gpu {text!r}: expected a size such as 16GB") from exc
    if value <= 0:
        raise ConfigError(f"--gpu {text!r}: must be positive")
    return value


def plan(
    cfg: TrainConfig,
    gpus_gib: list[float],
    seq: int | None = None,
    rank: int | None = None,
    arch: Architecture | None = None,
    fused_lm_head: bool = True,
) -> PlanReport:
    base = PlanInput.from_config(cfg, arch)
    base = replace(base, seq=seq or base.seq, rank=rank or base.rank, fused_lm_head=fused_lm_head)
    verdicts = []
    for gib in gpus_gib:
        est = estimate(base)
        fits = est.total <= gib * GIB
        verdict = GpuVerdict(
            gpu_gib=gib,
            estimate=est,
            fits=fits,
            max_seq=largest_seq(base, gib),
            max_rank=largest_rank(base, gib),
            fallback=None,
        )
        if not fits:
            verdict.fallback, verdict.fallback_detail = _fallback(cfg, base, gib, fused_lm_head)
        verdicts.append(verdict)
    report = PlanReport(
        name=cfg.name,
        arch=base.arch,
        inputs=base,
        verdicts=verdicts,
        reference_budget=dict(cfg.reference_budget),
    )
    report.what_if = what_if(base)
    if cfg.reference_budget and verdicts:
        report.comparison = compare_with_reference(cfg.reference_budget, verdicts[0].estimate)
    return report


def what_if(p: PlanInput) -> dict[str, float]:
    variants = {
        "materialised logits (TRL < 1.0)": replace(p, fused_lm_head=False),
        "no CPU offload": replace(p, offload_optimizer=False, offload_params=False),
        "no gradient checkpointing": replace(p, gradient_checkpointing=False),
        "no DeepSpeed + materialised logits": replace(
            p, strategy="none", offload_optimizer=False, offload_params=False, fused_lm_head=False
        ),
    }
    return {name: round(estimate(v).total / GIB, 2) for name, v in variants.items() if v != p}


def _fallback(cfg: TrainConfig, base: PlanInput, gib: float, fused: bool) -> tuple[str, str]:
    """The plan's Risk 2 ladder: the next smaller preset that fits, else a cloud A100 80GB."""
    for name in cfg.fallbacks:
        other = load_config(name)
        # Same run settings, smaller model: only the architecture and quantisation change.
        p = replace(
            PlanInput.from_config(other),
            seq=base.seq,
            rank=base.rank,
            fused_lm_head=fused,
            strategy=base.strategy,
            offload_optimizer=base.offload_optimizer,
            offload_params=base.offload_params,
            gradient_checkpointing=base.gradient_checkpointing,
            batch=base.batch,
            gpus=base.gpus,
        )
        est = estimate(p)
        if est.total <= gib * GIB:
            return (
                name,
                f"{name} fits ({est.total / GIB:.1f} GiB of {gib:g}) at seq {base.seq}, rank {base.rank}",
            )
    cloud = estimate(base)
    if cloud.total <= CLOUD_FALLBACK_GIB * GIB:
        return (
            "cloud A100 80GB",
            f"no smaller preset fits {gib:g} GiB at seq {base.seq}; this config needs "
            f"{cloud.total / GIB:.1f} GiB, which an A100 80GB holds",
        )
    return "reduce seq or rank", f"needs {cloud.total / GIB:.1f} GiB even for an 80 GB card"


_PLAN_TO_ITEMS = {
    "model": (
        "weights",
        "weights (gathered working set)",
        "quantisation constants",
        "dequantisation workspace",
    ),
    "lora": ("LoRA parameters", "LoRA gradients"),
    "optimizer": ("optimizer states",),
    "batch": ("activations", "logits", "logits (fused LM head)"),
}


def compare_with_reference(reference: dict[str, float], est: Estimate) -> list[str]:
    """One line per row of the plan's budget: its figure, ours, and why they differ."""
    lines = []
    gib = {k: v / GIB for k, v in est.items.items()}
    cpu = {k: v / GIB for k, v in est.cpu.items()}
    for row, names in _PLAN_TO_ITEMS.items():
        if row not in reference:
            continue
        ours = sum(gib.get(n, 0.0) for n in names)
        why = ""
        if row == "model":
            why = (
                f"the 4-bit weights total {cpu.get('weights', gib.get('weights', 0.0)):.1f} GiB; with ZeRO-3 parameter "
                "offload they live in CPU RAM and only a working set is on the GPU, so the plan's 10 GB is "
                "neither the stored size nor the GPU-resident size"
                if "weights" in cpu
                else "weights stay on the GPU without ZeRO-3 parameter offload"
            )
        elif row == "lora":
            everything = ours + gib.get("optimizer states", 0.0) + cpu.get("optimizer states", 0.0)
            why = (
                f"{est.lora_parameters / 1e6:.0f} M adapter parameters with their gradients; adding the AdamW "
                f"moments and fp32 master copy gives {everything:.2f} GiB, so the plan's {reference[row]:g} GB "
                "reads like the adapter's whole training state, most of which offload keeps in CPU RAM"
            )
        elif row == "optimizer":
            why = (
                f"AdamW moments + fp32 master copy = {cpu.get('optimizer states', 0.0):.1f} GiB, offloaded "
                "to CPU RAM, so 0 on the GPU"
                if "optimizer states" in cpu
                else "optimizer states stay on the GPU without offload"
            )
        elif row == "batch":
            why = "one checkpointed hidden state per layer plus one recomputed layer; fused LM head"
        lines.append(f"{row}: plan {reference[row]:g} GB, estimate {ours:.2f} GiB — {why}")
    if "total" in reference:
        lines.append(
            f"total: plan {reference['total']:g} GB ('fits in 16GB with offloading' although it sums past 16), "
            f"estimate {est.total / GIB:.2f} GiB on the GPU incl. CUDA context and fragmentation, "
            f"{sum(cpu.values()):.1f} GiB in CPU RAM"
        )
    return lines
