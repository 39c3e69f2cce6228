"""`triforce doctor`: which tools and optional components this installation has."""

from __future__ import annotations

import importlib.util
import json
import platform
import shutil
from dataclasses import asdict, dataclass

import typer
from rich.console import Console

from triforce import __version__
from triforce.cli._tables import Table
from triforce.errors import ToolNotFoundError
from triforce.snes.asar import find_asar


@dataclass
class Component:
    name: str
    present: bool
    detail: str
    needed_for: str


def _python_module(name: str, needed_for: str) -> Component:
    spec = importlib.util.find_spec(name)
    if spec is None:
        return Component(name, False, "not installed", needed_for)
    try:
        from importlib.metadata import version

        return Component(name, True, version(name.replace("_", "-")), needed_for)
    except Exception:  # metadata names differ from module names for a few packages
        return Component(name, True, "installed", needed_for)


def _isolation() -> Component:
    """Which wall asar runs behind besides the text scan (bubblewrap namespaces, or none)."""
    from triforce.snes.asar.isolation import isolation

    needed = "confining untrusted assembly (eval, asm run)"
    try:
        walls = isolation()
    except ToolNotFoundError as exc:
        return Component("asar isolation", False, str(exc), needed)
    return Component("asar isolation", walls.active, f"{walls.kind}: {walls.detail}", needed)


def collect() -> list[Component]:
    """Probe every component Triforce can use; never raises."""
    comps: list[Component] = []
    try:
        info = find_asar()
        comps.append(Component("asar", True, f"{info.version} at {info.path} ({info.source})", "everything"))
    except ToolNotFoundError as exc:
        comps.append(Component("asar", False, str(exc), "everything"))
    comps.append(_isolation())
    try:
        from triforce.snes.bsnes import find_bsnes_core

        core = find_bsnes_core()
        comps.append(Component("bsnes core", True, str(core), "differential CPU tests"))
    except (ImportError, ToolNotFoundError) as exc:
        comps.append(Component("bsnes core", False, str(exc), "differential CPU tests"))
    comps.append(_python_module("libretro", "driving the bsnes core"))
    for mod in ("torch", "transformers", "trl", "peft", "deepspeed", "bitsandbytes"):
        comps.append(_python_module(mod, "training (pip install triforce\\[train])"))
    try:
        import torch

        cuda = torch.cuda.is_available()
        detail = torch.cuda.get_device_name(0) if cuda else "no CUDA device"
        comps.append(Component("cuda", cuda, detail, "QLoRA training"))
    except ImportError:
        comps.append(Component("cuda", False, "torch not installed", "QLoRA training"))
    gcc = shutil.which("gcc")
    comps.append(Component("gcc", gcc is not None, gcc or "not found", "building C extensions"))
    return comps


def doctor(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Report the asar binary, the reference emulator and optional components."""
    comps = collect()
    if json_out:
        payload = {
            "triforce": __version__,
            "python": platform.python_version(),
            "components": [asdict(c) for c in comps],
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        table = Table(title=f"triforce {__version__} on Python {platform.python_version()}")
        table.add_column("component")
        table.add_column("status")
        table.add_column("detail")
        table.add_column("needed for")
        for c in comps:
            status = "[green]ok[/]" if c.present else "[yellow]missing[/]"
            table.add_row(c.name, status, c.detail, c.needed_for)
        Console().print(table)
    asar_ok = comps[0].present
    raise typer.Exit(0 if asar_ok else 1)
