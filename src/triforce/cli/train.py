"""`triforce train`, `triforce plan`, `triforce models`: thin commands over `triforce.train`.

`triforce train CONFIG` is shorthand for `triforce train run CONFIG`; the group also holds
`export` (merge + serving files) and `serve-commands` (vLLM multi-LoRA for the registry).
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text
from typer.core import TyperGroup

from triforce.cli._tables import Table
from triforce.fsio import MAX_CONFIG_BYTES, read_text_bounded
from triforce.train.config import load_config


class _DefaultToRun(TyperGroup):
    """Route `triforce train CONFIG ...` to the `run` subcommand."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


train_app = typer.Typer(
    cls=_DefaultToRun,
    no_args_is_help=True,
    help="Fine-tune with TRL + PEFT LoRA from one config (`triforce train CONFIG`), preview loss masks, export.",
)
_out = Console()


@train_app.command("run")
def run(
    config: str = typer.Argument(..., help="Config YAML or preset name (see `triforce plan --help`)."),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="Stop after N optimizer steps."),
    resume: bool = typer.Option(
        False, "--resume", help="Continue from the newest checkpoint in the output dir."
    ),
    preview: bool = typer.Option(False, "--preview", help="Show which tokens carry loss; do not train."),
    samples: int = typer.Option(3, "--samples", min=0, help="Samples to show with --preview."),
    print_launch: bool = typer.Option(
        False, "--print-launch", help="Write the DeepSpeed config and print the accelerate launch command."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Train a LoRA adapter (TRL SFTTrainer) as the config says."""
    cfg = load_config(config, {"training.max_steps": max_steps} if max_steps else None)
    if preview:
        _preview(cfg, samples, as_json)
        return
    if print_launch:
        _print_launch(cfg, config, as_json)
        return
    from triforce.train.runner import last_checkpoint, notes, preflight, train

    source_note = preflight(cfg)
    err = Console(stderr=True)
    for note in [*notes(cfg), *([source_note] if source_note else [])]:
        err.print(f"[yellow]note:[/] {escape(note)}")
    if resume and last_checkpoint(cfg.output_dir()) is None:
        err.print(f"[yellow]note:[/] no checkpoint in {escape(str(cfg.output_dir()))}; starting from step 0")
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps {task.fields[loss]}"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=as_json,
    ) as bar:
        task = bar.add_task(cfg.name, total=None, loss="")

        def report(step: int, total: int, logs: dict[str, float]) -> None:
            loss = f"loss {logs['loss']:.4f}" if "loss" in logs else ""
            bar.update(task, completed=step, total=total, loss=loss)

        # Libraries (DeepSpeed, JIT op builds) print to stdout; --json keeps stdout for the result.
        with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
            result = train(cfg, max_steps=max_steps, resume=resume or None, progress=report)
    if as_json:
        typer.echo(json.dumps({k: v for k, v in result.metrics.items() if k != "log_history"}, indent=2))
        return
    first = result.losses[0][1] if result.losses else float("nan")
    last = result.losses[-1][1] if result.losses else float("nan")
    if result.resumed_from:
        _out.print(f"resumed from {escape(result.resumed_from)}")
    _out.print(f"[green]done[/] {result.steps} steps, loss {first:.4f} → {last:.4f}")
    _out.print(f"adapter: {escape(str(result.adapter_dir))}")
    _out.print(f"tokens/s: {result.metrics.get('tokens_per_second')}")


def _preview(cfg: Any, samples: int, as_json: bool) -> None:
    from triforce.train.hub import model_source
    from triforce.train.preview import preview

    # where the model loads from, decided at once (no network retries); said when it matters
    note = model_source(cfg.model.name, cfg.model.revision, where=f"{cfg.source}: model.name").note
    if note:
        Console(stderr=True).print(f"[yellow]note:[/] {escape(note)}")
    with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
        pv = preview(cfg, samples)
    if as_json:
        typer.echo(json.dumps(pv.to_json()))
        return
    for s in pv.samples:
        _out.rule(f"{escape(s.file)}:{s.line}  ({sum(s.loss)} of {len(s.ids)} tokens carry loss)")
        text = Text()
        for tok, loss in zip(s.tokens, s.loss, strict=True):
            shown = tok.replace("\n", "↵\n")
            text.append(shown, style="bold green on grey15" if loss else "grey50")
            text.append("│", style="grey23")
        _out.print(text)
    _out.print("[bold green]green[/]: loss; [grey50]grey[/]: masked (prompt, system, template, truncated)")
    table = Table(title=f"token lengths ({pv.stats.count} samples, seq_length {pv.stats.max_length})")
    for col in ("", "min", "p50", "p95", "max"):
        table.add_column(col, justify="right")
    for label, st in (("whole sample", pv.stats), ("loss tokens", pv.loss_tokens)):
        table.add_row(label, *(str(v) for v in (st.min, st.p50, st.p95, st.max)))
    _out.print(table)
    _out.print(f"{pv.stats.over_max} samples exceed seq_length {pv.stats.max_length} and are truncated")
    if pv.no_loss_after_truncation:
        _out.print(f"[yellow]{pv.no_loss_after_truncation} samples keep no loss token after truncation[/]")


def _print_launch(cfg: Any, config: str, as_json: bool) -> None:
    from triforce.train.launch import format_command, launch_command, write_deepspeed_config

    out = cfg.output_dir()
    ds_path = write_deepspeed_config(cfg, out)
    cmd = launch_command(cfg, config, ds_path)
    if as_json:
        ds = json.loads(read_text_bounded(ds_path, MAX_CONFIG_BYTES)) if ds_path else None
        typer.echo(json.dumps({"command": cmd, "deepspeed_config_path": str(ds_path or ""), "deepspeed": ds}))
        return
    if ds_path:
        _out.print(f"# DeepSpeed config written to {escape(str(ds_path))}:")
        _out.print(escape(read_text_bounded(ds_path, MAX_CONFIG_BYTES)), highlight=False)
    typer.echo(format_command(cmd))


@train_app.command("export")
def export_cmd(
    adapter: Path = typer.Argument(..., help="Adapter folder (runs/NAME/adapter) or a registry model name."),
    out: Path = typer.Option(..., "--out", help="Folder for merged weights, Modelfile, vllm-serve.sh."),
    name: str | None = typer.Option(None, "--name", help="Served LoRA name (default: folder's run name)."),
    merge: bool = typer.Option(True, "--merge/--no-merge", help="Merge the adapter into the base weights."),
    strip: bool = typer.Option(
        False, "--strip-modules-to-save", help="Drop non-LoRA tensors so vLLM accepts it."
    ),
    base: str | None = typer.Option(None, "--base", help="Base model (default: from adapter_config.json)."),
    registry: Path | None = typer.Option(None, "--registry", help="models.toml override."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Merge an adapter and write an Ollama Modelfile and a vLLM serve script."""
    from triforce.train.export import export
    from triforce.train.registry import load_registry, resolve

    served = name
    if not adapter.exists():
        entry = resolve(load_registry(registry), str(adapter))
        served = served or entry.name
        adapter = entry.adapter_path() or adapter
    served = served or (adapter.parent.name if adapter.name == "adapter" else adapter.name)
    with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
        res = export(adapter, out, served, merge=merge, strip=strip, base=base)
    data = {k: str(v) if v else None for k, v in res.__dict__.items()}
    if as_json:
        typer.echo(json.dumps(data))
        return
    for k, v in data.items():
        _out.print(f"{k}: {escape(str(v))}")


@train_app.command("serve-commands")
def serve_commands(
    registry: Path | None = typer.Option(None, "--registry", help="models.toml override."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """vLLM multi-LoRA commands for every registry model whose adapter exists (one server per base)."""
    from triforce.train.export import registry_serve_commands
    from triforce.train.launch import format_command
    from triforce.train.registry import load_registry

    groups = registry_serve_commands(load_registry(registry))
    if as_json:
        typer.echo(json.dumps(groups))
        return
    if not groups:
        _out.print("no adapters present yet; train one with `triforce train PRESET`")
    for g in groups:
        _out.print(f"# {escape(g['base_model'])}: {', '.join(g['adapters'])}")
        typer.echo(format_command(g["command"]))


def plan(
    config: str = typer.Argument(..., help="Config YAML or preset name."),
    gpu: list[str] = typer.Option(["16GB", "24GB", "80GB"], "--gpu", help="GPU memory sizes to check."),
    seq: int | None = typer.Option(None, "--seq", min=16, help="Sequence length (default: the config's)."),
    rank: int | None = typer.Option(None, "--rank", min=1, help="LoRA rank (default: the config's)."),
    full_logits: bool = typer.Option(
        False, "--full-logits", help="Materialised [seq, vocab] logits (older TRL/transformers stacks)."
    ),
    no_offload: bool = typer.Option(False, "--no-offload", help="Ignore the config's DeepSpeed CPU offload."),
    arch: str | None = typer.Option(
        None, "--arch", help="Architecture: a local HF config.json / model folder, or a known Hub id."
    ),
    strategy: str | None = typer.Option(
        None, "--strategy", help="Override distributed.strategy: none|ddp|zero2|zero3."
    ),
    no_checkpointing: bool = typer.Option(False, "--no-gradient-checkpointing"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Estimate GPU memory for a config and say whether it fits, and what to do if not."""
    from triforce.train.planner import parse_gpu
    from triforce.train.planner import plan as make_plan

    overrides: dict[str, Any] = {}
    if no_offload:
        overrides |= {"distributed.offload_optimizer": False, "distributed.offload_params": False}
    if strategy:
        overrides["distributed.strategy"] = strategy
        if strategy != "zero3":
            overrides["distributed.offload_params"] = False
        if strategy not in ("zero2", "zero3"):
            overrides["distributed.offload_optimizer"] = False
    if no_checkpointing:
        overrides["training.gradient_checkpointing"] = False
    cfg = load_config(config, overrides)
    from triforce.train.architecture import load_architecture

    architecture = load_architecture(arch) if arch else None
    report = make_plan(
        cfg, [parse_gpu(g) for g in gpu], seq=seq, rank=rank, arch=architecture, fused_lm_head=not full_logits
    )
    data = report.to_json()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    s = data["settings"]
    _out.print(
        f"[bold]{escape(report.name)}[/]: {escape(report.arch.name)}, {data['parameters'] / 1e9:.2f} B parameters, "
        f"LoRA r{s['rank']} = {data['lora_parameters'] / 1e6:.1f} M trainable; {s['quantization']}, seq {s['seq']}, "
        f"batch {s['batch']}, {s['strategy']}"
        + (" + optimizer offload" if s["offload_optimizer"] else "")
        + (" + parameter offload" if s["offload_params"] else "")
    )
    first = data["gpus"][0]
    table = Table(title="estimated GPU memory (GiB)")
    table.add_column("item")
    table.add_column("GiB", justify="right")
    for item, v in first["estimate_gib"].items():
        table.add_row(item, f"{v:.2f}", style="bold" if item == "total" else None)
    for item, v in first["cpu_offload_gib"].items():
        table.add_row(f"[dim]CPU RAM: {item}[/]", f"[dim]{v:.2f}[/]")
    if report.reference_budget:
        ref = Table(title="the plan's own budget (GB)")
        ref.add_column("row")
        ref.add_column("GB", justify="right")
        for k, v in report.reference_budget.items():
            ref.add_row(k, f"{v:g}")
        grid = Table.grid(padding=(0, 4))
        grid.add_row(table, ref)
        _out.print(grid)
        for line in report.comparison:
            _out.print(f"  • {escape(line)}")
    else:
        _out.print(table)
    verdicts = Table(title="verdict per GPU")
    for col in ("GPU", "needs", "fits", "largest seq", "largest rank", "fallback"):
        verdicts.add_column(col)
    for v in data["gpus"]:
        verdicts.add_row(
            f"{v['gpu_gib']:g} GB",
            f"{v['estimate_gib']['total']:.1f}",
            "[green]yes[/]" if v["fits"] else "[red]no[/]",
            str(v["max_seq"] or "none"),
            str(v["max_rank"] or "none"),
            escape(v["fallback_detail"] or "-"),
        )
    _out.print(verdicts)
    if data["what_if_gib"]:
        _out.print(
            "same run with one change: "
            + "; ".join(f"{k}: {v:.1f} GiB" for k, v in data["what_if_gib"].items())
        )


def models(
    registry: Path | None = typer.Option(
        None, "--registry", help="models.toml override (or $TRIFORCE_MODELS)."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List the model registry (router, categories, specialists, triforce-sage) with adapter status."""
    from triforce.train.registry import load_registry, status_rows

    rows = status_rows(load_registry(registry))
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="Triforce models")
    for col in ("name", "kind", "base model", "domains", "status", "endpoint"):
        table.add_column(col)
    for r in rows:
        name = r["name"] + (f" ({', '.join(r['aliases'])})" if r["aliases"] else "")
        status = r["status"]
        style = "green" if r["adapter_present"] else ("dim" if status == "no adapter" else None)
        table.add_row(
            escape(name),
            r["kind"],
            escape(r["base_model"] or "-"),
            ",".join(r["domains"]),
            f"[{style}]{status}[/]" if style else status,
            escape(r["endpoint"] or "-"),
        )
    _out.print(table)
