"""`triforce asm run` and `triforce asm disasm`: execute and read 65816 code from the command line.

Both are thin: `run` assembles with the asar layer and calls `machine.run_routine`; `disasm`
loads a ROM into `SnesBus` and calls the disassembler.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from triforce.cli._tables import Table
from triforce.cli.asm import read_source
from triforce.errors import InputError
from triforce.fsio import MAX_CONFIG_BYTES, MAX_ROM_BYTES, read_bytes_bounded, read_text_bounded

_out = Console()

#: Bounds of `asm run --max-instructions` and `asm disasm --count`: beyond them a run or a
#: listing is a mistake (a typo'd count), not a request.
MAX_INSTRUCTIONS = 100_000_000
MAX_DISASM_COUNT = 65_536


def _load_state(state: str | None) -> Any:
    from triforce.snes.machine import MachineState

    if state is None:
        return MachineState()
    path = Path(state)
    is_file = not state.lstrip().startswith("{") and path.is_file()
    text = read_text_bounded(path, MAX_CONFIG_BYTES, errors="replace") if is_file else state
    try:
        return MachineState.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise InputError(f"--state: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc
    except ValidationError as exc:
        raise InputError(f"--state: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from exc


def run(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="asar source to assemble and run."),
    entry: str | None = typer.Option(
        None, "--entry", help="Label or address to call (default: the first byte assembled)."
    ),
    state: str | None = typer.Option(
        None, "--state", help="Initial MachineState as JSON text or a JSON file."
    ),
    convention: str = typer.Option("jsl", "--convention", help="jsl, jsr or none."),
    max_instructions: int = typer.Option(
        100_000, "--max-instructions", min=1, max=MAX_INSTRUCTIONS, help="Stop after this many instructions."
    ),
    mapper: str = typer.Option("lorom", "--mapper", help="lorom or hirom."),
    org: str = typer.Option(
        "$008000", "--org", help="Where the code goes; 'none' if the source places itself."
    ),
    trace: bool = typer.Option(False, "--trace", help="Print every instruction executed."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Assemble FILE with asar, call it from a trampoline and print the final state."""
    from triforce.snes.addresses import parse_address
    from triforce.snes.asar import assemble
    from triforce.snes.machine import run_routine

    if convention not in ("jsl", "jsr", "none"):
        raise InputError(f"--convention must be jsl, jsr or none, not {convention!r}")
    if mapper not in ("lorom", "hirom"):
        raise InputError(f"--mapper must be lorom or hirom, not {mapper!r}")
    initial = _load_state(state)
    start = None if org.strip().lower() == "none" else parse_address(org, field="--org")
    source, _ = read_source(str(file))
    result = assemble(source, org=start, mapper=mapper, filename=file.name)
    if not result.ok:  # every error, each in the one diagnostic format; warnings are not why
        errors = [d.format() for d in result.errors] or ["asar reported an error"]
        raise InputError(f"{file}: does not assemble:\n  " + "\n  ".join(errors))
    if entry is None:
        if not result.chunks:
            raise InputError(f"{file}: assembled to no bytes; nothing to run")
        target: int | str = min(c.address for c in result.chunks)
    else:
        target = entry
    outcome = run_routine(
        result,
        target,
        initial,
        convention=convention,  # type: ignore[arg-type]
        max_instructions=max_instructions,
        mapper=mapper,  # type: ignore[arg-type]
        trace=trace,
    )
    if json_out:
        typer.echo(json.dumps(outcome.to_json(), indent=2))
    else:
        _print_run(outcome)
    raise typer.Exit(0 if outcome.returned else 1)


def _print_run(outcome: Any) -> None:
    if outcome.trace:
        for entry in outcome.trace:
            text = entry.text() if hasattr(entry, "text") else str(entry)
            _out.print(text, markup=False, highlight=False, soft_wrap=True)
    f = outcome.final
    colour = "green" if outcome.returned else "red"
    _out.print(
        f"[{colour}]{outcome.reason}[/] after {outcome.instructions} instructions, {outcome.cycles} cycles"
    )
    regs = Table(show_header=True)
    for name in ("A", "X", "Y", "S", "D", "DB", "PB:PC", "P", "E"):
        regs.add_column(name)
    flags = "".join(c.upper() if f.flag(c) else c for c in "nvmxdizc")
    regs.add_row(
        f"${f.a:04X}", f"${f.x:04X}", f"${f.y:04X}", f"${f.s:04X}", f"${f.d:04X}", f"${f.db:02X}",
        f"${f.pb:02X}:{f.pc:04X}", f"${f.p:02X} {flags}", str(int(f.e)),
    )  # fmt: skip
    _out.print(regs)
    if outcome.writes:
        _out.print("writes: " + ", ".join(f"${a:06X}=${v:02X}" for a, v in sorted(outcome.writes.items())))
    if outcome.reads:
        _out.print("reads:  " + ", ".join(f"${a:06X}" for a in sorted(outcome.reads)))
    io = [m for m in outcome.mmio if not m.emulated]
    if io:
        _out.print(f"unemulated I/O: {len(io)} accesses, first {io[0].op} ${io[0].address:04X}")


def disasm(
    rom: Path = typer.Argument(..., exists=True, dir_okay=False, help="ROM image (.sfc/.smc)."),
    at: str = typer.Option(..., "--at", help="SNES address to start at, e.g. $008000."),
    count: int = typer.Option(16, "--count", min=1, max=MAX_DISASM_COUNT, help="Number of instructions."),
    m8: bool = typer.Option(True, "--m8/--m16", help="Accumulator width at the start."),
    x8: bool = typer.Option(True, "--x8/--x16", help="Index width at the start."),
    mapper: str = typer.Option("lorom", "--mapper", help="lorom or hirom."),
    asar_out: bool = typer.Option(False, "--asar", help="Print asar source that reassembles byte-exact."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Disassemble COUNT instructions at ADDR, following REP/SEP."""
    from triforce.snes.addresses import parse_address
    from triforce.snes.asar.rom import check_rom_image
    from triforce.snes.bus import SnesBus
    from triforce.snes.disasm import disassemble, listing, to_asar

    if mapper not in ("lorom", "hirom"):
        raise InputError(f"--mapper must be lorom or hirom, not {mapper!r}")
    address = parse_address(at, field="--at")
    image = check_rom_image(read_bytes_bounded(rom, MAX_ROM_BYTES), str(rom))
    bus = SnesBus(image, mapper=mapper)  # type: ignore[arg-type]
    if bus.region(address) not in ("rom", "wram", "sram"):
        raise InputError(f"--at ${address:06X} is not ROM or RAM in a {mapper} map")
    lines = disassemble(bus, address, count=count, m8=m8, x8=x8)
    if json_out:
        payload = [
            {
                "address": f"${i.address:06X}",
                "bytes": i.data.hex(),
                "text": i.text(),
                "m8": i.m8,
                "x8": i.x8,
            }
            for i in lines
        ]
        typer.echo(json.dumps(payload, indent=2))
    elif asar_out:
        typer.echo(to_asar(lines), nl=False)
    else:
        typer.echo(listing(lines), nl=False)


def register(app: typer.Typer) -> None:
    """Add `run` and `disasm` to the `asm` command group."""
    app.command("run")(run)
    app.command("disasm")(disasm)
