"""One sandboxed asar run over one or more snippets, each in its own file, then read back per snippet.

`assemble` uses a single unit; `assemble_batch` many. Each snippet is written to its own file in a
private temp dir and included by a generated `main.asm`, so asar's `file:line` already names the
snippet and its own line numbers (only asar's macro-body lines need a fix-up, see `_attribute`).
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from triforce.fsio import read_bytes_bounded, read_text_bounded
from triforce.snes.addresses import format_address
from triforce.snes.asar.diagnostics import Diagnostic, parse_asar_output, sandbox_error
from triforce.snes.asar.locate import find_asar
from triforce.snes.asar.placement import line_banks
from triforce.snes.asar.result import Chunk
from triforce.snes.asar.rom import Mapper, offset_to_snes, snes_to_offset
from triforce.snes.asar.sandbox import SandboxLimits, run_asar
from triforce.snes.asar.stubs import STUB_SIZE, StubAllocator, StubKind, classify, stubbable
from triforce.snes.asar.symbols import SymbolFile, parse_wla_symbols
from triforce.snes.opcodes import OPCODES, Mode, operand_size

MAIN_FILE = "main.asm"
_ROM_FILE = "rom.sfc"
_SYM_FILE = "out.sym"
_LABEL_NOT_FOUND_RE = re.compile(r"^Label '(.+)' wasn't found")
_MAX_STATEMENT_SPAN = 64
_NEAR_LABEL_CALL_RE = re.compile(
    r"^(?:#?[.A-Za-z_][A-Za-z0-9_.]*:\s*)*(?:JSR|JMP)(?:\.w)?\s+\(?[.A-Za-z_]", re.IGNORECASE
)
_AMBIGUOUS_MODES = {Mode.IMM_M, Mode.IMM_X}


@dataclass
class Unit:
    """One snippet inside a run."""

    index: int
    source: str
    display: str  # file name shown to the user in diagnostics
    org: int | None
    caller_bank: int
    namespace: str | None = None
    slot_end: int | None = None  # the snippet must end at or before this address
    includes: frozenset[Path] = frozenset()  # include_root files this snippet reads
    stubs: dict[str, int] = field(default_factory=dict)
    #: How each stub was asked for: (kind, bank), so that it can be moved.
    stub_kinds: dict[str, tuple[StubKind, int]] = field(default_factory=dict)
    #: Triforce's own explanations, reported with asar's errors when the unit fails.
    notes: list[Diagnostic] = field(default_factory=list)
    #: Set when the batch renamed this snippet's macros (see `globalnames`): taken out of
    #: diagnostics again so they name the macros as the snippet does.
    macro_prefix: str = ""
    #: `pushpc / org <own label> / instructions / pullpc` blocks (label, instruction count) of a
    #: snippet that patches its own code: it keeps its slot, checked after the run (see batch).
    patches: tuple[tuple[str, int], ...] = ()
    #: The address the snippet is assembled for (asar's `base`) while its bytes sit in its slot
    #: at `org`: labels, code and results are those of the snippet alone at `base`.
    base: int | None = None

    def physical(self, address: int) -> int:
        """Where a label address of this unit (as assembled, at `base`) sits in the image."""
        if self.base is None or self.org is None:
            return address
        return address - self.base + self.org

    @property
    def filename(self) -> str:
        return f"s{self.index:05d}.asm"

    @property
    def end_label(self) -> str:
        """A label placed right after the snippet: where its last statement ends."""
        return f"TFend{self.index:05d}"

    def end_address(self, labels: dict[str, int]) -> int | None:
        # the snippet may have switched namespace, so the label may carry any prefix
        for name in (f"{self.namespace}_{self.end_label}", self.end_label):
            if name in labels:
                return labels[name]
        return next((a for n, a in labels.items() if n.endswith(f"_{self.end_label}")), None)


@dataclass
class RunOutcome:
    """What one asar run said about each unit, and the image when it succeeded."""

    by_unit: dict[int, list[Diagnostic]]
    unattributed: list[Diagnostic]
    rom: bytes | None
    symbols: SymbolFile
    sandbox_violation: bool = False

    def failed(self, index: int) -> bool:
        return any(d.severity == "error" for d in self.by_unit.get(index, []))


class TimeoutMemo:
    """Sources that already ran past their timeout alone: failed at once when asked again with
    no more time (the same looping answer graded for every sample costs one timeout, not five).

    Keyed by the source with its defines and include root; bounded (oldest forgotten first)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(source: str, defines: dict[str, str], root: Path | None) -> str:
        text = "\0".join([source, repr(sorted(defines.items())), str(root)])
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def timed_out(self, key: str, timeout_s: float) -> bool:
        """Whether the source timed out alone with at least `timeout_s` seconds before."""
        with self._lock:
            return self._seen.get(key, -1.0) >= timeout_s

    def record(self, key: str, timeout_s: float) -> None:
        with self._lock:
            self._seen[key] = max(timeout_s, self._seen.pop(key, 0.0))
            while len(self._seen) > self.size:
                self._seen.pop(next(iter(self._seen)))


TIMEOUTS = TimeoutMemo()


def timed_out(outcome: RunOutcome) -> bool:
    """Whether a run was killed at its wall-clock timeout."""
    return any(d.code == "Ttimeout" for d in outcome.unattributed)


def known_timeout(display: str, limits: SandboxLimits) -> Diagnostic:
    """The diagnostic of a source failed at once because it timed out alone before."""
    return sandbox_error(
        "Ttimeout",
        f"asar ran longer than {limits.timeout_s:g} s on this source alone before; not run again",
        file=display,
    )


@dataclass
class RunConfig:
    mapper: Mapper
    base: bytes  # the image before assembly, stub bytes included
    include_root: Path | None
    include_files: frozenset[Path]
    defines: dict[str, str]
    limits: SandboxLimits


def _scratch_parent() -> str | None:
    """Where private dirs go: $TRIFORCE_TMPDIR, else /dev/shm (tmpfs), else the system default.

    Every asar run writes its sources and a whole ROM image and reads them back; on this kind of
    VM a disk-backed /tmp costs about 1 ms per file, tmpfs a few microseconds.
    """
    chosen = os.environ.get("TRIFORCE_TMPDIR")
    if chosen:
        return chosen
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None


@contextmanager
def private_dir() -> Iterator[Path]:
    """A fresh 0700 directory, removed afterwards whatever happens."""
    path = Path(tempfile.mkdtemp(prefix="triforce-asar-", dir=_scratch_parent()))
    try:
        os.chmod(path, 0o700)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_units(workdir: Path, units: list[Unit]) -> None:
    for unit in units:
        (workdir / unit.filename).write_text(unit.source, encoding="utf-8")


def _wrapper(units: list[Unit], mapper: Mapper) -> tuple[str, dict[int, int]]:
    """main.asm and, for each of its lines that belongs to a unit, that unit's index."""
    lines: list[str] = [mapper]
    owner: dict[int, int] = {}

    def add(text: str, unit: Unit) -> None:
        lines.append(text)
        owner[len(lines)] = unit.index

    for unit in units:
        if unit.org is not None:
            add(f"org {format_address(unit.org)}", unit)
        if unit.base is not None:
            add(f"base {format_address(unit.base)}", unit)
        if unit.namespace:
            add(f"namespace {unit.namespace}", unit)
        add(f'incsrc "{unit.filename}"', unit)
        add(f"#{unit.end_label}:", unit)  # "#": does not become the parent of sublabels
        if unit.slot_end is not None:
            end = (
                unit.slot_end
                if unit.base is None or unit.org is None
                else unit.base + unit.slot_end - unit.org
            )
            add(f'assert pc() <= {format_address(end)}, "Tslot_overflow"', unit)
        if not unit.namespace:
            add("namespace off", unit)
        for name, address in unit.stubs.items():
            add(f"{name} = {format_address(address)}", unit)
        if unit.namespace:
            add("namespace off", unit)
        if unit.base is not None:
            add("base off", unit)
    return "\n".join(lines) + "\n", owner


def _allowed_source(name: str, workdir: Path, cfg: RunConfig) -> bool:
    """Whether a file asar names is ours (in workdir) or one the scan approved in include_root.

    A name that is no file at all (a patch's `print` output run into the next diagnostic's path)
    names nothing asar could have read."""
    path = Path(name)
    candidates = [path] if path.is_absolute() else [workdir / path]
    if cfg.include_root is not None and not path.is_absolute():
        candidates.append(cfg.include_root / path)
    if not any(c.exists() or c.is_symlink() for c in candidates):
        return True
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
        except OSError:
            continue
        if resolved.parent == workdir.resolve() or resolved in cfg.include_files:
            return True
    return False


def run_units(workdir: Path, units: list[Unit], cfg: RunConfig) -> RunOutcome:
    """Assemble `units` (already written to workdir) in one sandboxed asar process."""
    wrapper, owner = _wrapper(units, cfg.mapper)
    (workdir / MAIN_FILE).write_text(wrapper, encoding="utf-8")
    (workdir / _ROM_FILE).write_bytes(cfg.base)
    sym_path = workdir / _SYM_FILE
    sym_path.unlink(missing_ok=True)
    args = [
        "--no-title-check",
        "--fix-checksum=off",
        "--symbols=wla",
        f"--symbols-path={_SYM_FILE}",
        f"--error-limit={cfg.limits.max_errors}",
    ]
    if cfg.include_root is not None:
        args.append(f"-I{cfg.include_root}")
    args += [f"-D{name}={value}" for name, value in cfg.defines.items()]
    args += [MAIN_FILE, _ROM_FILE]
    run = run_asar(find_asar().path, args, workdir, cfg.limits, include_root=cfg.include_root)

    limit_diags = run.limit_diagnostics(cfg.limits)
    diagnostics = [_explain(d, cfg.limits) for d in parse_asar_output(run.output)]
    symbols = (  # asar's own outputs, bounded like everything it writes (RLIMIT_FSIZE)
        parse_wla_symbols(read_text_bounded(sym_path, cfg.limits.file_bytes, errors="replace"))
        if sym_path.exists()
        else SymbolFile()
    )
    named = {d.file for d in diagnostics if d.file} | set(symbols.sources)
    if any(not _allowed_source(name, workdir, cfg) for name in named):
        violation = sandbox_error(
            "Tsandbox_path", "asar read a file outside the sandbox; its output was withheld"
        )
        return RunOutcome({}, [violation], None, SymbolFile(), sandbox_violation=True)

    by_file = {unit.filename: unit for unit in units}
    by_unit: dict[int, list[Diagnostic]] = {}
    unattributed: list[Diagnostic] = list(limit_diags)
    if run.truncated:
        unattributed.append(
            sandbox_error("Toutput_limit", f"asar printed more than {cfg.limits.output_bytes} bytes")
        )
    for diag in diagnostics:
        unit, diag = _attribute(diag, units, by_file, owner, workdir, cfg)
        if unit is None:
            unattributed.append(diag)
            continue
        update: dict[str, object] = {"snippet": unit.index}
        if unit.macro_prefix:
            update["message"] = diag.message.replace(unit.macro_prefix, "")
            if diag.text:
                update["text"] = diag.text.replace(unit.macro_prefix, "")
        by_unit.setdefault(unit.index, []).append(diag.model_copy(update=update))

    rom: bytes | None = None
    has_error = any(d.severity == "error" for d in diagnostics) or limit_diags or run.returncode != 0
    if not has_error:
        rom = read_bytes_bounded(workdir / _ROM_FILE, cfg.limits.file_bytes)
    return RunOutcome(by_unit, unattributed, rom, symbols)


def _display_location(location: str, by_file: dict[str, Unit], workdir: Path, cfg: RunConfig) -> str:
    """`s00003.asm:12` -> `snippet3.asm:12`; include_root files relative to the root."""
    name, sep, line = location.rpartition(":")
    if not sep:
        return location
    if name in by_file:
        return f"{by_file[name].display}:{line}"
    return f"{_display_file(name, cfg)}:{line}"


def _display_file(name: str, cfg: RunConfig) -> str:
    path = Path(name)
    if cfg.include_root is not None and path.is_absolute() and path.is_relative_to(cfg.include_root):
        return str(path.relative_to(cfg.include_root))
    return name


def _attribute(
    diag: Diagnostic,
    units: list[Unit],
    by_file: dict[str, Unit],
    owner: dict[int, int],
    workdir: Path,
    cfg: RunConfig,
) -> tuple[Unit | None, Diagnostic]:
    """The snippet a diagnostic belongs to, and the diagnostic in the user's terms.

    asar 1.91 reports a line inside a macro body one less than its line in the file (verified:
    `foo` on line 5 of a macro body prints as line 4, with `(called from file:8)`), so lines
    that come with a call chain are shifted back.
    """
    caller_file = diag.called_from.rpartition(":")[0] if diag.called_from else None
    unit = by_file.get(diag.file or "") or by_file.get(caller_file or "")
    if unit is None and diag.file == MAIN_FILE and diag.line in owner:
        owning = next(u for u in units if u.index == owner[diag.line or 0])
        if "Tslot_overflow" in diag.message:
            end = format_address(owning.slot_end or 0)
            return owning, sandbox_error(
                "Tslot_overflow", f"the snippet does not fit its slot (ends past {end})"
            )
        return owning, diag.model_copy(update={"file": None, "line": None})
    if unit is None and diag.file:
        resolved = (workdir / diag.file).resolve() if not Path(diag.file).is_absolute() else Path(diag.file)
        unit = next((u for u in units if resolved in u.includes), None)
    if unit is None and len(units) == 1:
        unit = units[0]
    update: dict[str, object] = {}
    if diag.file:
        update["file"] = by_file[diag.file].display if diag.file in by_file else _display_file(diag.file, cfg)
    if diag.called_from:
        update["called_from"] = _display_location(diag.called_from, by_file, workdir, cfg)
        if diag.line is not None:
            update["line"] = diag.line + 1
    return unit, diag.model_copy(update=update)


def _explain(diag: Diagnostic, limits: SandboxLimits) -> Diagnostic:
    """asar's own words where they mislead: it cannot open the ROM we just wrote only when it
    cannot allocate its 16 MiB ROM buffer, and it calls a JSR/JMP to a label in another bank an
    unknown command."""
    if diag.code == "Eunknown_command" and diag.text and _NEAR_LABEL_CALL_RE.match(diag.text):
        return diag.model_copy(
            update={
                "message": f"{diag.message} (asar says this when a JSR/JMP target label is in another "
                "bank than the instruction: they carry 16 bits of address; use JSL/JML or place "
                "the code in the target's bank)"
            }
        )
    if diag.code == "Eopen_rom_failed":
        return sandbox_error(
            "Tmemory",
            f"asar could not allocate its ROM buffer under the {limits.memory_bytes >> 20} MiB memory limit",
        )
    return diag


def stub_requests(diags: list[Diagnostic]) -> dict[str, list[Diagnostic]]:
    """Missing labels named by `Elabel_not_found`, each with every diagnostic that used it."""
    wanted: dict[str, list[Diagnostic]] = {}
    for diag in diags:
        if diag.code != "Elabel_not_found":
            continue
        match = _LABEL_NOT_FOUND_RE.match(diag.message)
        if match is None:
            continue
        label = match.group(1)
        if stubbable(label):
            wanted.setdefault(label, []).append(diag)
    return wanted


def _reference_bank(unit: Unit, diag: Diagnostic, banks: list[int | None]) -> int:
    """The bank of the statement a diagnostic names: its line in the snippet, or the macro call
    site there; the unit's default bank for lines in included files or unknown placements."""
    line: int | None = None
    if diag.called_from:
        name, _, number = diag.called_from.rpartition(":")
        if name == unit.display and number.isdigit():
            line = int(number)
    elif diag.file == unit.display:
        line = diag.line
    if line is not None and 1 <= line <= len(banks):
        found = banks[line - 1]
        if found is not None:
            return found
    return unit.caller_bank


def add_stubs(
    unit: Unit, wanted: dict[str, list[Diagnostic]], allocator: StubAllocator, namespace_prefix: str
) -> bool:
    """Define a stub for each wanted label; False when nothing new could be defined.

    A near or data stub goes to the bank of the statement that references it. When near
    references (JSR/JMP/branches) come from several banks no single label serves them all:
    the stub goes to the first one's bank and the unit carries a `Tstub_bank` note that is
    reported if asar then refuses the others.
    """
    added = False
    banks: list[int | None] | None = None
    for label, uses in wanted.items():
        name = (
            label[len(namespace_prefix) :]
            if namespace_prefix and label.startswith(namespace_prefix)
            else label
        )
        if name in unit.stubs:
            continue
        kind = classify(uses[0].text if uses else None)
        bank = unit.caller_bank
        if kind != "long" and uses:
            banks = banks if banks is not None else line_banks(unit.source, unit.caller_bank)
            reference_banks = [_reference_bank(unit, d, banks) for d in uses]
            bank = reference_banks[0]
            near_banks = sorted(
                {b for b, d in zip(reference_banks, uses, strict=True) if classify(d.text) == "near"}
            )
            if kind == "near" and len(near_banks) > 1:
                listed = ", ".join(f"${b:02X}" for b in near_banks)
                unit.notes.append(
                    sandbox_error(
                        "Tstub_bank",
                        f"'{name}' is called with JSR/JMP/branches from banks {listed}; one stub "
                        f"label cannot be in all of them (asar wants a 16-bit target in the "
                        f"caller's bank), so it was put in bank ${bank:02X}: define it yourself",
                    )
                )
        address = allocator.allocate(kind, bank)
        if address is None:
            continue
        unit.stubs[name] = address
        unit.stub_kinds[name] = (kind, bank)
        added = True
    return added


def move_covered_stubs(
    unit: Unit, allocator: StubAllocator, ranges: list[tuple[int, int]], mapper: Mapper
) -> bool:
    """Move the stubs a placed snippet's own bytes (`ranges`, file offsets) landed on: its
    `org` may put code in the bank's stub area, and a stub there would be the snippet's code.
    True when a stub moved (the caller assembles again)."""
    covered = [
        name
        for name, address in unit.stubs.items()
        if (offset := snes_to_offset(address, mapper)) is not None
        and any(
            start < offset + STUB_SIZE[unit.stub_kinds.get(name, ("near", 0))[0]] and offset < end
            for start, end in ranges
        )
    ]
    if not covered:
        return False
    allocator.avoid(ranges)
    moved = False
    for name in covered:
        kind, bank = unit.stub_kinds.get(name, ("near", unit.caller_bank))
        address = allocator.allocate(kind, bank)
        if address is None:
            continue
        allocator.release(unit.stubs[name])
        unit.stubs[name] = address
        moved = True
    return moved


def written_ranges(
    base: bytes, rom: bytes, symbols: SymbolFile, mapper: Mapper, ends: list[int] | None = None
) -> list[tuple[int, int]]:
    """File-offset ranges [start, end) the assembly wrote.

    Bytes that differ from the base, plus the bytes of each statement asar reports in its
    addr-to-line map: a statement runs to the next statement or snippet end (`ends`, SNES
    addresses) when that is close, else for the length its opcode fixes. So `LDA #$00` or
    `BRK #$00` on a zero-filled image is not lost.
    """
    size = len(rom)
    written = bytearray(size)
    limit = min(len(base), size)
    if base[:limit] != rom[:limit]:
        view_base, view_rom = memoryview(base), memoryview(rom)
        # Compare 4 KiB blocks, then 64-byte lines of the blocks that differ, then bytes.
        for block in range(0, limit, 4096):
            if view_base[block : block + 4096] == view_rom[block : block + 4096]:
                continue
            for line in range(block, min(block + 4096, limit), 64):
                if view_base[line : line + 64] != view_rom[line : line + 64]:
                    for i in range(line, min(line + 64, limit)):
                        if base[i] != rom[i]:
                            written[i] = 1
    for i in range(limit, size):  # asar grew the image: padding is not a write
        if rom[i]:
            written[i] = 1
    starts = sorted(
        {
            o
            for address, _f, _l in symbols.lines
            if (o := snes_to_offset(address, mapper)) is not None and o < size
        }
    )
    end_offsets = {o for a in ends or [] if (o := snes_to_offset(a, mapper)) is not None}
    boundaries = sorted(set(starts) | end_offsets)
    for offset in starts:
        k = bisect.bisect_right(boundaries, offset)
        nxt = boundaries[k] if k < len(boundaries) else None
        if nxt is not None and nxt - offset <= _MAX_STATEMENT_SPAN:
            stop = nxt
        else:
            op = OPCODES[rom[offset]]
            stop = offset + (1 if op.mode in _AMBIGUOUS_MODES else 1 + operand_size(op.mode))
        written[offset : min(stop, size)] = b"\x01" * (min(stop, size) - offset)
    ranges: list[tuple[int, int]] = []
    i = written.find(1)
    while i != -1:
        end = written.find(0, i)
        end = size if end == -1 else end
        ranges.append((i, end))
        i = written.find(1, end)
    return ranges


def make_chunks(
    rom: bytes, ranges: list[tuple[int, int]], mapper: Mapper, prefer_bank: int | None
) -> list[Chunk]:
    """Chunks for the ranges, split where a range crosses a bank, addressed in the caller's mirror."""
    unit = 0x8000 if mapper == "lorom" else 0x10000
    chunks: list[Chunk] = []
    for start, end in ranges:
        pos = start
        while pos < end:
            stop = min(end, (pos // unit + 1) * unit)
            address = offset_to_snes(pos, mapper)
            if prefer_bank is not None and mapper == "lorom" and prefer_bank & 0x80 and address < 0x400000:
                address |= 0x800000
            chunks.append(Chunk(address=address, offset=pos, data=bytes(rom[pos:stop])))
            pos = stop
    return chunks
