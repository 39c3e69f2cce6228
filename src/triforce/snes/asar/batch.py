"""`assemble_batch()`: many independent snippets in one asar process — the throughput path.

Spawning asar costs about 20 ms; verifying a generated dataset means tens of thousands of
snippets. Each snippet gets its own file (so asar's `file:line` is the snippet's own line), its
own namespace (so `Main:` in two snippets does not clash) and its own slot of ROM (checked with
`assert pc() <= end`). asar writes nothing when any error occurs, so a failing snippet is dropped
and the rest rerun; errors no snippet can be blamed for (a fatal error) split the group in halves
until the culprit is alone. Results come back in input order.

A timeout is resolved without letting one slow snippet cost its whole batch many timeouts: the
halves of a timed-out group run with a quarter of its timeout (at least `probe_timeout_s`), so
locating one culprit among n costs O(log n) runs and under half a timeout beyond the first run.
The members of a timed-out group of at most `SUSPECT_GROUP` are suspects, not verdicts: each
gets one run of its own with the full `timeout_s` (suspects run in parallel), so whether a
snippet passes never depends on its neighbours; one that times out alone is failed at once and
remembered (`engine.TIMEOUTS`), so the same source is not run again. Each snippet's asar time
is thus bounded by about 1.7 x its batch's timeout plus its own run.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from triforce.errors import InputError
from triforce.fsio import MAX_SOURCE_BYTES, read_text_bounded
from triforce.snes.asar.assemble import DEFAULT_ROM_SIZE, load_base, result_from_run
from triforce.snes.asar.diagnostics import Diagnostic, sandbox_error
from triforce.snes.asar.engine import (
    TIMEOUTS,
    RunConfig,
    RunOutcome,
    Unit,
    add_stubs,
    known_timeout,
    move_covered_stubs,
    private_dir,
    run_units,
    stub_requests,
    timed_out,
    write_units,
    written_ranges,
)
from triforce.snes.asar.globalnames import clashing, global_names, macro_prefix, rename_macros, separate
from triforce.snes.asar.result import AssembleResult, Chunk
from triforce.snes.asar.rom import MAX_ROM_SIZE, Mapper, bank_size, check_mapper, snes_to_offset
from triforce.snes.asar.sandbox import SandboxLimits, scan_source
from triforce.snes.asar.stubs import STUB_AREA_START, StubAllocator
from triforce.snes.asmsyntax import GLOBAL_LABEL_RE, strip_comment
from triforce.snes.opcodes import MNEMONICS

DEFAULT_SLOT_SIZE = 0x400
_MACRO_CALL_RE = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*)\s*\(")
#: Rounds of "drop the failures, define stubs, rerun" before splitting the group.
MAX_ROUNDS = 6
#: A timed-out group this small is not probed further: each member runs alone (in parallel).
SUSPECT_GROUP = 4


_PLACEMENT_RE = re.compile(
    r"(?<![\w!.])(org|base|freecode|freespace|freedata|pushpc|pullpc|namespace|lorom|hirom|exlorom|"
    r"exhirom|sa1rom|fullsa1rom|sfxrom|norom)(?![\w(])",
    re.IGNORECASE,
)


_LABEL_DEF_RE = GLOBAL_LABEL_RE
_ORG_LABEL_RE = re.compile(r"org\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_INSTRUCTION_RE = re.compile(r"([A-Za-z]{3})(?:\.[bwlBWL])?(?:\s+[^:]*)?")
_MAX_INSTRUCTION_BYTES = 4  # the longest 65816 instruction (opcode + 24-bit operand)


def _places_itself(source: str) -> bool:
    """Snippets that move the PC, change the mapper or namespace could write over their
    neighbours' slots without asar noticing: they get an asar run of their own."""
    return any(_PLACEMENT_RE.search(strip_comment(line)) for line in source.splitlines())


def in_slot_patches(source: str) -> tuple[tuple[str, int], ...] | None:
    """The self-patch blocks of a snippet whose only placement is `pushpc`, `org <label>` with a
    label the snippet defines, plain instructions, `pullpc` (a hook written over its own
    routine): (label, instruction count) per block, or None for any other placement.

    Such a snippet keeps its slot: its blocks write at most 4 bytes an instruction from an
    address inside it, which the batch checks against the slot once asar has placed the label."""
    lines = [strip_comment(line).strip() for line in source.splitlines()]
    defined = {m.group(1) for line in lines if (m := _LABEL_DEF_RE.match(line))}
    patches: list[tuple[str, int]] = []
    label: str | None = None
    count, inside = 0, False
    for line in lines:
        if not line:
            continue
        if not inside:
            if _PLACEMENT_RE.search(line):
                if line.lower() != "pushpc":
                    return None
                inside, label, count = True, None, 0
            continue
        if line.lower() == "pullpc":
            if label is None:
                return None
            patches.append((label, count))
            inside = False
        elif label is None:
            m = _ORG_LABEL_RE.fullmatch(line)
            if m is None or m.group(1) not in defined:
                return None
            label = m.group(1)
        elif (m := _INSTRUCTION_RE.fullmatch(line)) and m.group(1).upper() in MNEMONICS:
            count += 1
        else:
            return None
    return tuple(patches) if patches and not inside else None


def _patches_fit(unit: Unit, labels: dict[str, int]) -> bool:
    """Whether every self-patch block of the unit lies inside its slot."""
    assert unit.org is not None and unit.slot_end is not None
    for label, count in unit.patches:
        address = labels.get(f"{unit.namespace}_{label}")
        if address is None or not unit.org <= address <= unit.slot_end - _MAX_INSTRUCTION_BYTES * count:
            return False
    return True


def _at_base(chunks: list[Chunk], unit: Unit, mapper: Mapper) -> list[Chunk]:
    """A based unit's chunks where it was assembled for (`base`), not where its slot put them."""
    assert unit.base is not None and unit.org is not None
    moved = []
    for chunk in chunks:
        written = chunk.address & 0xFFFFFF
        if mapper == "lorom" and (written ^ unit.org) & 0x800000:
            written ^= 0x800000  # the bank mirror the image names the slot by: the slot's own half
        address = written - unit.org + unit.base
        offset = snes_to_offset(address, mapper)
        assert offset is not None, f"${address:06X} is not ROM"
        moved.append(Chunk(address=address, offset=offset, data=chunk.data))
    return moved


def _namespace(index: int) -> str:
    return f"TFsnip{index:05d}"


def _slot_addresses(count: int, org: int, mapper: Mapper, slot_size: int) -> list[int]:
    """Start address of each slot: consecutive in a bank below the stub area, then the next bank."""
    bank, first = org >> 16, org & 0xFFFF
    if first + slot_size > STUB_AREA_START:
        raise InputError(f"org: ${org:06X} leaves no room for a {slot_size:#x}-byte slot below the stub area")
    per_bank = (STUB_AREA_START - first) // slot_size
    return [((bank + i // per_bank) << 16) | (first + (i % per_bank) * slot_size) for i in range(count)]


def _separate_global_names(units: list[Unit]) -> list[list[Unit]]:
    """Groups of units that can share one asar run although macros, structs and functions are
    global: clashing macros a snippet defines itself are renamed for that snippet (unless a
    file it includes calls them); what still clashes goes to another group."""
    sets = [global_names(u.source, u.includes) for u in units]
    clash = clashing(sets)
    if not clash:
        return [units] if units else []
    for unit, names in zip(units, sets, strict=True):
        own = {n for kind, n in global_names(unit.source) if kind == "macro" and (kind, n) in clash}
        own -= _macros_called_in(unit.includes)
        if own:
            unit.macro_prefix = macro_prefix(unit.index)
            unit.source = rename_macros(unit.source, own, unit.macro_prefix)
            names -= {("macro", n) for n in own}
    return [[units[i] for i in group] for group in separate(sets)]


def _macros_called_in(paths: frozenset[Path]) -> set[str]:
    called: set[str] = set()
    for path in paths:
        try:
            called.update(_MACRO_CALL_RE.findall(read_text_bounded(path, MAX_SOURCE_BYTES, errors="replace")))
        except (OSError, InputError):
            continue
    return called


class _Ownership:
    """Which snippet wrote a file offset: its slot, else the snippet whose statement precedes it."""

    def __init__(self, units: list[Unit], outcome: RunOutcome, mapper: Mapper) -> None:
        slots: list[tuple[int, int, int]] = []
        for unit in units:
            if unit.org is None or unit.slot_end is None:
                continue
            start = snes_to_offset(unit.org, mapper)
            if start is not None:
                slots.append((start, start + (unit.slot_end - unit.org), unit.index))
        self.slots = sorted(slots)
        self.slot_starts = [s[0] for s in self.slots]
        by_file = {u.filename: u.index for u in units}
        sources = outcome.symbols.sources
        statements = sorted(
            (offset, by_file.get(sources[f]) if f < len(sources) else None)
            for address, f, _line in outcome.symbols.lines
            if (offset := snes_to_offset(address, mapper)) is not None
        )
        self.statements = statements
        self.statement_offsets = [s[0] for s in statements]

    def owner(self, pos: int) -> tuple[int | None, int]:
        """(snippet index or None, first offset where that answer may change)."""
        i = bisect.bisect_right(self.slot_starts, pos) - 1
        if i >= 0 and pos < self.slots[i][1]:
            return self.slots[i][2], self.slots[i][1]
        nxt = self.slot_starts[i + 1] if i + 1 < len(self.slot_starts) else 1 << 30
        j = bisect.bisect_right(self.statement_offsets, pos) - 1
        return (self.statements[j][1] if j >= 0 else None), nxt


class _Batch:
    """The state of one assemble_batch call: shared stub allocator, results so far."""

    def __init__(self, template: RunConfig, stubs: bool, own_stubs_size: int | None = None) -> None:
        self.template = template
        self.mapper = template.mapper
        self.base = template.base
        self.stubs = stubs
        self.allocator = StubAllocator(template.mapper, len(template.base))
        #: With `base` placement every snippet gets the stubs a lone assembly would give it (an
        #: allocator of its own over an image of this size): stubs of one kind are the same
        #: bytes, so snippets whose stubs share an address do not disturb each other.
        self.own_stubs_size = own_stubs_size
        #: The image a lone assembly of a based snippet runs in: the base at its own size. The
        #: batch's image may have grown to hold every slot, and a larger ROM maps and mirrors
        #: banks differently, so a result must not carry it (a runaway variant would read zeros
        #: in a batch where alone it reads a mirror).
        self.own_base = self.base[:own_stubs_size] if own_stubs_size is not None else self.base
        self.allocators: dict[int, StubAllocator] = {}
        self.results: dict[int, AssembleResult] = {}
        #: Self-patching snippets whose patch left their slot: assembled again in runs of their own.
        self.strays: list[Unit] = []
        #: Snippets left alone in a timed-out probe: each gets a run of its own with the full timeout.
        self.suspects: list[Unit] = []
        #: `engine.TIMEOUTS` key of each snippet (a source that timed out alone is not run again).
        self.memo_keys: dict[int, str] = {}

    def _allocator(self, unit: Unit) -> StubAllocator:
        if self.own_stubs_size is None:
            return self.allocator
        if unit.index not in self.allocators:
            self.allocators[unit.index] = StubAllocator(self.mapper, self.own_stubs_size)
        return self.allocators[unit.index]

    def _config(self, timeout_s: float | None = None) -> RunConfig:
        image = bytearray(self.base)
        self.allocator.apply(image)
        for own in self.allocators.values():
            own.apply(image)
        limits = self.template.limits
        if timeout_s is not None and timeout_s != limits.timeout_s:
            limits = limits.model_copy(update={"timeout_s": timeout_s})
        return replace(self.template, base=bytes(image), limits=limits)

    def _fail(self, unit: Unit, diags: list[Diagnostic]) -> None:
        diags = [d.model_copy(update={"snippet": unit.index}) for d in diags + unit.notes]
        self.results[unit.index] = AssembleResult(
            False, diags, [], {}, dict(unit.stubs), self.mapper, unit.index, _base=self.base
        )

    def _retire(self, unit: Unit, outcome: RunOutcome) -> bool:
        """Record a snippet that failed for good; False keeps it (clean, or given new stubs)."""
        if not outcome.failed(unit.index):
            return False
        diags = outcome.by_unit.get(unit.index, [])
        prefix = f"{unit.namespace}_" if unit.namespace else ""
        if self.stubs and add_stubs(unit, stub_requests(diags), self._allocator(unit), prefix):
            return False
        self._fail(unit, diags)
        return True

    def solve(self, workdir: Path, units: list[Unit], timeout_s: float | None = None) -> None:
        """Assemble `units` together (retiring failures, adding stubs); `timeout_s` shorter than
        the limit's marks a probe run that only locates what a timed-out group waited on."""
        full = self.template.limits.timeout_s
        timeout_s = full if timeout_s is None else timeout_s
        active = list(units)
        outcome: RunOutcome | None = None
        for _round in range(MAX_ROUNDS):
            if not active:
                return
            cfg = self._config(timeout_s)
            outcome = run_units(workdir, active, cfg)
            if outcome.rom is not None:
                if _round < MAX_ROUNDS - 1 and self._move_covered_stubs(active, outcome, cfg):
                    continue
                strays = [u for u in active if u.patches and not _patches_fit(u, outcome.symbols.labels)]
                if strays:  # they may have written over a neighbour: the rest run again without them
                    self.strays += strays
                    active = [u for u in active if u not in strays]
                    continue
                self._succeed(active, outcome, cfg)
                return
            if outcome.sandbox_violation or not any(outcome.failed(u.index) for u in active):
                break  # nobody to blame (timeout, fatal error outside a snippet): split below
            active = [u for u in active if not self._retire(u, outcome)]
        if not active:
            return
        slow = outcome is not None and timed_out(outcome)
        if slow and (len(active) > 1 or timeout_s < full) and len(active) <= SUSPECT_GROUP:
            # located closely enough: each gets the run of its own that decides its verdict
            self.suspects.extend(active)
            return
        if len(active) == 1:
            if slow:
                TIMEOUTS.record(self.memo_keys.get(active[0].index, ""), full)
            diags = outcome.unattributed + outcome.by_unit.get(active[0].index, []) if outcome else []
            self._fail(active[0], diags or [sandbox_error("Tbatch", "the snippet did not assemble")])
            return
        probe = max(self.template.limits.probe_timeout_s, timeout_s / 4) if slow else timeout_s
        middle = len(active) // 2
        self.solve(workdir, active[:middle], probe)
        self.solve(workdir, active[middle:], probe)

    def _move_covered_stubs(self, units: list[Unit], outcome: RunOutcome, cfg: RunConfig) -> bool:
        """A placed snippet (alone in its run) may have put code over its own stubs."""
        if len(units) != 1 or units[0].slot_end is not None or not units[0].stubs or outcome.rom is None:
            return False
        unit = units[0]
        end = unit.end_address(outcome.symbols.labels)
        ranges = written_ranges(cfg.base, outcome.rom, outcome.symbols, self.mapper, [end] if end else [])
        return move_covered_stubs(unit, self._allocator(unit), ranges, self.mapper)

    def _succeed(self, units: list[Unit], outcome: RunOutcome, cfg: RunConfig) -> None:
        assert outcome.rom is not None
        labels = outcome.symbols.labels
        ends = [u.physical(e) for u in units if (e := u.end_address(labels)) is not None]
        ranges = written_ranges(cfg.base, outcome.rom, outcome.symbols, self.mapper, ends)
        ownership = _Ownership(units, outcome, self.mapper)
        by_namespace: dict[str, dict[str, int]] = {}
        for name, address in labels.items():
            by_namespace.setdefault(name.partition("_")[0], {})[name] = address
        per_unit: dict[int, list[tuple[int, int]]] = {u.index: [] for u in units}
        for start, end in ranges:
            pos = start
            while pos < end:
                unit_index, stop = ownership.owner(pos)
                stop = min(stop, end)
                if unit_index is not None:
                    per_unit[unit_index].append((pos, stop))
                pos = stop
        for unit in units:
            result = result_from_run(
                unit,
                outcome.by_unit.get(unit.index, []),
                outcome.rom,
                cfg.base,
                per_unit[unit.index],
                labels if len(units) == 1 else by_namespace.get(unit.namespace or "", {}),
                self.mapper,
                None,
                solo=len(units) == 1,
            )
            if unit.base is not None and unit.org is not None:
                result.chunks = _at_base(result.chunks, unit, self.mapper)
            if self.own_stubs_size is not None:  # the stub-free image plus this unit's own stubs
                result._base = self.own_base
                result._stub_bytes = dict(self._allocator(unit).patches)
            result._rom = None  # built lazily from the shared base and this unit's own chunks
            self.results[unit.index] = result


def assemble_batch(
    snippets: Sequence[str],
    *,
    org: int | None = None,
    mapper: str = "lorom",
    rom_size: int | None = None,
    base_rom: str | Path | bytes | None = None,
    stubs: bool = False,
    include_root: str | Path | None = None,
    defines: dict[str, str] | None = None,
    limits: SandboxLimits | None = None,
    slot_size: int = DEFAULT_SLOT_SIZE,
    base: int | Sequence[int | None] | None = None,
) -> list[AssembleResult]:
    """Assemble independent snippets in as few asar processes as possible; results in input order.

    Snippet i is placed at its own slot (`org` onwards, `slot_size` bytes each, default $008000 in
    LoROM and $C00000 in HiROM) inside namespace `TFsnip<i>`; its result reports addresses where
    it actually landed, symbols without the namespace prefix, and diagnostics with its own file
    name (`snippet<i>.asm`) and line numbers.

    With `base`, every snippet is assembled for that address (asar's `base`: its bytes sit in
    its slot, its labels and code are those of an assembly at `base`) and its result is what
    `assemble(snippet, org=base, stubs=stubs)` gives: chunks at `base`, the stubs a lone
    assembly allocates. Nothing in a result then depends on the other snippets of the batch.
    Snippets that place or patch themselves run alone, starting at `base`. A sequence gives each
    snippet its own `base` (in-place assembly: each snippet at its routine's address in the game).
    """
    checked: Mapper = check_mapper(mapper)
    limits = limits or SandboxLimits()
    root = Path(include_root).resolve() if include_root is not None else None
    defines = dict(defines or {})
    first = org if org is not None else (0x008000 if checked == "lorom" else 0xC00000)
    addresses = _slot_addresses(len(snippets), first, checked, slot_size)
    unit_bank = bank_size(checked)
    if addresses:
        last_offset = snes_to_offset(addresses[-1], checked) or 0
        needed = (last_offset // unit_bank + 2) * unit_bank  # +1 bank for long stubs
    else:
        needed = unit_bank
    size = max(rom_size or DEFAULT_ROM_SIZE, needed)
    if size > MAX_ROM_SIZE:
        raise InputError(f"{len(snippets)} snippets of {slot_size:#x} bytes do not fit in a 4 MiB image")
    image = load_base(base_rom, checked, size)
    if len(image) < size:
        image = image + bytes(size - len(image))

    results: dict[int, AssembleResult] = {}
    units: list[Unit] = []
    includes: set[Path] = set()
    memo_keys: dict[int, str] = {}
    bases = list(base) if isinstance(base, Sequence) else [base] * len(snippets)
    if len(bases) != len(snippets):
        raise InputError(f"{len(bases)} base addresses for {len(snippets)} snippets")
    for index, source in enumerate(snippets):
        display = f"snippet{index}.asm"
        scan = scan_source(source, file=display, include_root=root, defines=defines, limits=limits)
        memo_keys[index] = TIMEOUTS.key(source, defines, root)
        if not scan.diagnostics and TIMEOUTS.timed_out(memo_keys[index], limits.timeout_s):
            scan.diagnostics.append(known_timeout(display, limits))
        if scan.diagnostics:
            diags = [d.model_copy(update={"snippet": index}) for d in scan.diagnostics]
            results[index] = AssembleResult(False, diags, [], {}, {}, checked, index, _base=image)
            continue
        includes.update(scan.includes)
        address = addresses[index]
        # A snippet that places itself gets an asar run of its own: no slot to stay inside (its
        # `org` decides where it goes) and no namespace, so its stubs are global labels that
        # any `namespace` it opens still finds. Its slot address is only the starting PC.
        patches = in_slot_patches(source) or ()
        placed = _places_itself(source) and not patches
        unit_base = bases[index]
        if unit_base is not None and (placed or patches):  # alone, at base: as a lone assembly
            units.append(
                Unit(index, source, display, unit_base, unit_base >> 16, includes=frozenset(scan.includes))
            )
            continue
        units.append(
            Unit(
                index,
                source,
                display,
                address,
                address >> 16 if unit_base is None else unit_base >> 16,
                None if placed else _namespace(index),
                None if placed else address + slot_size,
                includes=frozenset(scan.includes),
                patches=patches,
                base=unit_base,
            )
        )
    template = RunConfig(checked, image, root, frozenset(includes), defines, limits)
    own_stubs = (
        None
        if all(b is None for b in bases)
        else len(load_base(base_rom, checked, rom_size or DEFAULT_ROM_SIZE))
    )
    batch = _Batch(template, stubs, own_stubs)
    batch.memo_keys = memo_keys
    shared = [u for u in units if u.slot_end is not None]
    alone = [u for u in units if u.slot_end is None]
    if units:
        with private_dir() as workdir:
            groups = _separate_global_names(shared)
            write_units(workdir, units)
            for group in groups:
                batch.solve(workdir, group)
            alone += [replace(u, namespace=None, slot_end=None, patches=()) for u in batch.strays]
            for unit in alone:
                # a run of its own: its stubs need not share their banks' room with others'
                batch.results.update(_solo(template, stubs, memo_keys, workdir, unit, own_stubs))
        batch.results.update(_suspects(template, stubs, memo_keys, batch.suspects, own_stubs))
    results.update(batch.results)
    return [results[i] for i in range(len(snippets))]


def _solo(
    template: RunConfig,
    stubs: bool,
    memo_keys: dict[int, str],
    workdir: Path,
    unit: Unit,
    own_stubs: int | None = None,
) -> dict[int, AssembleResult]:
    solo = _Batch(template, stubs, own_stubs)
    solo.memo_keys = memo_keys
    solo.solve(workdir, [unit])
    return solo.results


def _suspects(
    template: RunConfig,
    stubs: bool,
    memo_keys: dict[int, str],
    suspects: list[Unit],
    own_stubs: int | None = None,
) -> dict[int, AssembleResult]:
    """Each suspect of a timed-out batch in a run of its own with the full timeout, in parallel
    (each in its own directory): its verdict is what it does alone."""
    if not suspects:
        return {}

    def run(unit: Unit) -> dict[int, AssembleResult]:
        with private_dir() as own:
            write_units(own, [unit])
            return _solo(template, stubs, memo_keys, own, unit, own_stubs)

    results: dict[int, AssembleResult] = {}
    workers = max(1, min(len(suspects), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="triforce-asar-suspect") as pool:
        for found in pool.map(run, suspects):
            results.update(found)
    return results
