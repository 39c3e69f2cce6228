"""`assemble()`: one snippet or patch, onto a blank LoROM/HiROM image or a copy of the user's ROM."""

from __future__ import annotations

from pathlib import Path

from triforce.errors import InputError
from triforce.fsio import MAX_ROM_BYTES, read_bytes_bounded
from triforce.snes.addresses import bank_of
from triforce.snes.asar.diagnostics import Diagnostic
from triforce.snes.asar.engine import (
    TIMEOUTS,
    RunConfig,
    Unit,
    add_stubs,
    known_timeout,
    make_chunks,
    move_covered_stubs,
    private_dir,
    run_units,
    stub_requests,
    timed_out,
    write_units,
    written_ranges,
)
from triforce.snes.asar.result import AssembleResult
from triforce.snes.asar.rom import Mapper, blank_rom, check_mapper, check_rom_image
from triforce.snes.asar.sandbox import SandboxLimits, scan_source
from triforce.snes.asar.stubs import StubAllocator

DEFAULT_ROM_SIZE = 0x80000
#: Assemble, read the missing labels, define stubs, reassemble: a few rounds reach the fixed point.
MAX_STUB_ROUNDS = 5


def load_base(base_rom: str | Path | bytes | None, mapper: Mapper, rom_size: int) -> bytes:
    """The image to assemble onto: a copy of the user's ROM (never the file itself) or a blank one."""
    if base_rom is None:
        return blank_rom(rom_size, mapper)
    if isinstance(base_rom, bytes | bytearray | memoryview):
        data, name = bytes(base_rom), "base_rom"
    else:
        try:
            data, name = read_bytes_bounded(Path(base_rom), MAX_ROM_BYTES), str(base_rom)
        except OSError as exc:
            raise InputError(f"base_rom: cannot read {base_rom}: {exc.strerror}") from exc
    return check_rom_image(data, name)  # a copier header dropped: asar and we both want the bare image


def default_bank(org: int | None, mapper: Mapper) -> int:
    if org is not None:
        return bank_of(org)
    return 0x00 if mapper == "lorom" else 0xC0


def unit_symbols(unit: Unit, labels: dict[str, int], solo: bool) -> dict[str, int]:
    """The unit's labels without its namespace prefix; Triforce's own labels and stubs left out.

    Labels outside the unit's namespace (the snippet switched namespace itself) count only when
    the unit had the asar run to itself.
    """
    prefix = f"{unit.namespace}_" if unit.namespace else ""
    symbols: dict[str, int] = {}
    for name, address in labels.items():
        if prefix and name.startswith(prefix):
            name = name[len(prefix) :]
        elif prefix and not solo:
            continue
        if name in unit.stubs or name.endswith(unit.end_label):
            continue
        symbols[name] = address
    return symbols


def result_from_run(
    unit: Unit,
    diagnostics: list[Diagnostic],
    rom: bytes | None,
    base: bytes,
    ranges: list[tuple[int, int]],
    labels: dict[str, int],
    mapper: Mapper,
    prefer_bank: int | None,
    solo: bool = True,
) -> AssembleResult:
    ok = rom is not None and not any(d.severity == "error" for d in diagnostics)
    if not ok or rom is None:
        notes = [n.model_copy(update={"snippet": unit.index}) for n in unit.notes]
        return AssembleResult(
            False, diagnostics + notes, [], {}, dict(unit.stubs), mapper, unit.index, _base=base
        )
    symbols = unit_symbols(unit, labels, solo)
    chunks = make_chunks(rom, ranges, mapper, prefer_bank)
    return AssembleResult(
        True, diagnostics, chunks, symbols, dict(unit.stubs), mapper, unit.index, _base=base
    )


def assemble(
    source: str,
    *,
    org: int | None = 0x008000,
    mapper: str = "lorom",
    rom_size: int = DEFAULT_ROM_SIZE,
    base_rom: str | Path | bytes | None = None,
    stubs: bool = False,
    include_root: str | Path | None = None,
    defines: dict[str, str] | None = None,
    limits: SandboxLimits | None = None,
    filename: str = "<source>",
) -> AssembleResult:
    """Assemble `source` with the real asar, sandboxed, and report bytes, symbols and diagnostics.

    `org=None` lets the source place itself; otherwise `org $XXXXXX` comes first. Labels the
    source uses but never defines become stub labels when `stubs` is true (see `stubs.py`).
    `filename` is how diagnostics name the source.
    """
    checked: Mapper = check_mapper(mapper)
    limits = limits or SandboxLimits()
    root = Path(include_root).resolve() if include_root is not None else None
    base = load_base(base_rom, checked, rom_size)
    defines = dict(defines or {})
    scan = scan_source(source, file=filename, include_root=root, defines=defines, limits=limits)
    if scan.diagnostics:
        return AssembleResult(False, scan.diagnostics, [], {}, {}, checked, _base=base)

    memo_key = TIMEOUTS.key(source, defines, root)
    if TIMEOUTS.timed_out(memo_key, limits.timeout_s):
        return AssembleResult(False, [known_timeout(filename, limits)], [], {}, {}, checked, _base=base)
    unit = Unit(0, source, filename, org, default_bank(org, checked), includes=frozenset(scan.includes))
    allocator = StubAllocator(checked, len(base))
    with private_dir() as workdir:
        write_units(workdir, [unit])
        rounds = MAX_STUB_ROUNDS if stubs else 1
        for round_no in range(rounds):
            image = bytearray(base)
            allocator.apply(image)
            cfg = RunConfig(checked, bytes(image), root, frozenset(scan.includes), defines, limits)
            outcome = run_units(workdir, [unit], cfg)
            if timed_out(outcome):
                TIMEOUTS.record(memo_key, limits.timeout_s)
            diags = outcome.unattributed + outcome.by_unit.get(0, [])
            ranges: list[tuple[int, int]] = []
            if outcome.rom is not None:
                end = unit.end_address(outcome.symbols.labels)
                ranges = written_ranges(
                    cfg.base, outcome.rom, outcome.symbols, checked, [end] if end is not None else []
                )
                if round_no == rounds - 1 or not move_covered_stubs(unit, allocator, ranges, checked):
                    break
                continue
            if not stubs or outcome.sandbox_violation:
                break
            if not add_stubs(unit, stub_requests(diags), allocator, ""):
                break
    prefer = bank_of(org) if org is not None else None
    return result_from_run(
        unit, diags, outcome.rom, cfg.base, ranges, outcome.symbols.labels, checked, prefer
    )
