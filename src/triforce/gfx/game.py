"""The game's own graphics routines, assembled from a usdasm checkout and run on our 65816 core.

`GameRoutines(usdasm_dir)` extracts, by label, the source of `Decompress` (+
`Decompression_GetNextByte`) from bank_00.asm, `Decompress_bank02` from bank_02.asm,
`Do3To4High`, `Do3To4Low` and the packing loop of `NMI_PrepareSprites` (up to its `BPL
.next_block`, then an `RTS` of ours), checks each starts at the address the facts name,
assembles them at those addresses with the project's asar layer (constants they use come from
usdasm's registers.asm), and runs them over the SNES bus:

- decompression: the stream in ROM ($08:8000 by default; bank wraps work as in the game), the
  output buffer at $7F:0000 of WRAM; the output is what the routine wrote there;
- 3bpp -> 4bpp: the tiles in WRAM, the output is the words written to VMDATA ($2118/$2119) in
  order, i.e. what lands in VRAM;
- the OAM high table: the 128 per-sprite bytes at $0A20, the output $0A00-$0A1F.

Nothing of usdasm is copied into the project: the text is read from the user's checkout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from triforce.compress.format import Variant
from triforce.errors import InputError
from triforce.fsio import MAX_SOURCE_BYTES, read_text_bounded
from triforce.gfx.sheets import Expansion
from triforce.snes.asar import assemble
from triforce.snes.bus import SnesBus
from triforce.snes.machine import MachineState, run_routine


@dataclass(frozen=True)
class RoutineSpec:
    file: str
    labels: tuple[str, ...]  # blocks to take, in order (each from its label to the next ;=== rule)
    address: int  # where the first block must start (its `#_BBAAAA:` marker)
    cut_at: int | None = None  # stop after the instruction at this address and append RTS


SPECS: dict[str, RoutineSpec] = {
    "Decompress": RoutineSpec("bank_00.asm", ("Decompress", "Decompression_GetNextByte"), 0x00E79E),
    "Decompress_bank02": RoutineSpec("bank_02.asm", ("Decompress_bank02",), 0x02FEBB),
    "Do3To4High": RoutineSpec("bank_00.asm", ("Do3To4High",), 0x00E5AF),
    "Do3To4Low": RoutineSpec("bank_00.asm", ("Do3To4Low",), 0x00E63C),
    "NMI_PrepareSprites": RoutineSpec("bank_00.asm", ("NMI_PrepareSprites",), 0x0085FC, cut_at=0x00865A),
}
DECOMPRESSOR = {"gfx": "Decompress", "bank02": "Decompress_bank02"}
EXPANDER = {"low": "Do3To4Low", "high": "Do3To4High"}

STREAM_AT = 0x088000  # LoROM bank $08: PC $040000
OUTPUT_AT = 0x7F0000
_ROM_SIZE = 0x80000
_MARK = re.compile(r"^#_([0-9A-F]{6}):")
_CONSTANT = re.compile(r"^([A-Z][A-Z0-9_]*)\s*=\s*(\$[0-9A-Fa-f]+)\s*$")


def _block(lines: list[str], label: str, path: Path) -> list[str]:
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith(f"{label}:"))
    except StopIteration:
        raise InputError(f"{path}: no label {label!r} (is this a spannerisms/usdasm checkout?)") from None
    end = start + 1
    while end < len(lines) and not lines[end].startswith(";====="):
        end += 1
    return lines[start:end]


def routine_source(usdasm: Path, name: str) -> str:
    """The routine's asar text from the checkout (InputError naming the file when it is not there)."""
    spec = SPECS[name]
    path = usdasm / spec.file
    try:
        lines = read_text_bounded(path, MAX_SOURCE_BYTES, errors="replace").splitlines()
    except InputError as exc:
        raise InputError(
            f"{path}: cannot read the disassembly: {str(exc).removeprefix(f'{path}: ')}"
        ) from exc
    body: list[str] = []
    for label in spec.labels:
        body += _block(lines, label, path)
    marks = [m for line in body if (m := _MARK.match(line))]
    if not marks or int(marks[0].group(1), 16) != spec.address:
        found = marks[0].group(1) if marks else "none"
        raise InputError(f"{path}: {spec.labels[0]} starts at ${found}, expected ${spec.address:06X}")
    if spec.cut_at is not None:
        cut = next((i for i, line in enumerate(body) if line.startswith(f"#_{spec.cut_at:06X}:")), None)
        if cut is None:
            raise InputError(f"{path}: {name} has no instruction at ${spec.cut_at:06X}")
        body = [*body[: cut + 1], "    RTS ; Triforce: end of the part under test"]
    return "\n".join(body)


def _constants(usdasm: Path, text: str) -> list[str]:
    """`NAME = $value` lines of registers.asm for the names `text` uses."""
    try:
        lines = read_text_bounded(usdasm / "registers.asm", MAX_SOURCE_BYTES, errors="replace").splitlines()
    except InputError:
        return []
    words = set(re.findall(r"\b[A-Z][A-Z0-9_]*\b", text))
    return [line.strip() for line in lines if (m := _CONSTANT.match(line.strip())) and m.group(1) in words]


class GameRoutines:
    """The routines of `SPECS`, assembled once, with one bus reused for every run."""

    def __init__(self, usdasm: Path) -> None:
        usdasm = Path(usdasm)
        if not usdasm.is_dir():
            raise InputError(f"{usdasm}: not a directory (pass a spannerisms/usdasm checkout)")
        parts = {name: routine_source(usdasm, name) for name in SPECS}
        text = "\n".join(parts.values())
        source = "\n".join(
            ["lorom", *_constants(usdasm, text)]
            + [f"org ${SPECS[n].address:06X}\n{body}" for n, body in parts.items()]
        )
        result = assemble(source, org=None, rom_size=_ROM_SIZE)
        if not result.ok:
            raise InputError(f"{usdasm}: the game's routines did not assemble: {result.errors[:3]}")
        self.source = source
        self.symbols = result.symbols
        self.bus = SnesBus(result.rom)
        self.instructions = 0

    def _run(
        self, name: str, state: MachineState, limit: int
    ) -> tuple[dict[int, int], list[tuple[int, int]]]:
        run = run_routine(self.bus, SPECS[name].address, state, convention="jsr", max_instructions=limit)
        self.instructions += run.instructions
        if run.reason != "returned":
            raise RuntimeError(f"{name} did not return: {run.reason} after {run.instructions} instructions")
        return run.writes, [(m.address, m.value) for m in run.mmio if m.op == "write"]

    def decompress(
        self, stream: bytes, variant: Variant, at: int = STREAM_AT, prior: bytes | None = None
    ) -> bytes:
        """What the game's routine writes to the buffer at $7F:0000 for the stream placed at `at`
        (`prior`: the buffer's contents before, up to 64 KiB; zeros otherwise)."""
        bus = self.bus
        bus.power_on()
        offset = _lorom_offset(at)
        bus.write_rom(offset, stream)
        if prior is not None:
            bus.wram[0x10000 : 0x10000 + len(prior)] = prior
        dest = OUTPUT_AT
        memory = {
            0xC8: at & 0xFF, 0xC9: (at >> 8) & 0xFF, 0xCA: at >> 16,
            0x00: dest & 0xFF, 0x01: (dest >> 8) & 0xFF, 0x02: dest >> 16,
        }  # fmt: skip
        writes, _ = self._run(DECOMPRESSOR[variant], MachineState(p=0x30, memory=memory), 50_000_000)
        bus.write_rom(offset, bytes(len(stream)))
        written = [a - dest for a in writes if dest <= a < dest + 0x10000]
        if not written:
            return b""
        size = max(written) + 1
        stray = [a for a in writes if not (dest <= a < dest + size or a < 0x7E0200)]
        if stray:
            raise RuntimeError(f"the routine wrote outside its buffer and scratch: ${stray[0]:06X}")
        return bytes(bus.wram[0x10000 : 0x10000 + size])

    def expand(self, tiles3: bytes, mode: Expansion) -> bytes:
        """The VRAM words `Do3To4Low/High` write for up to 128 3bpp tiles (24 bytes each)."""
        count = len(tiles3) // 24
        if len(tiles3) % 24 or not 1 <= count <= 128:
            raise InputError("the expansion routines take 1-128 whole 3bpp tiles")
        bus = self.bus
        bus.power_on()
        bus.wram[0x10000 : 0x10000 + len(tiles3)] = tiles3
        memory = {0x00: 0x00, 0x01: 0x00, 0x02: 0x7F}
        state = MachineState(p=0x10, y=count - 1, memory=memory)  # 16-bit A, 8-bit X/Y
        _, io = self._run(EXPANDER[mode], state, 1_000_000)
        data = [(a, v) for a, v in io if a in (0x2118, 0x2119)]
        if [a for a, _ in data] != [0x2118, 0x2119] * (len(data) // 2):
            raise RuntimeError("VMDATA was not written as whole words")
        return bytes(v for _, v in data)

    def pack_high_table(self, extra: bytes) -> bytes:
        """$0A00-$0A1F after the packing loop of NMI_PrepareSprites, from 128 bytes at $0A20."""
        if len(extra) != 128:
            raise InputError("the high-table packer reads 128 bytes")
        bus = self.bus
        bus.power_on()
        bus.wram[0x0A20:0x0AA0] = extra
        self._run("NMI_PrepareSprites", MachineState(p=0x30, db=0x00), 100_000)
        return bytes(bus.wram[0x0A00:0x0A20])


def _lorom_offset(address: int) -> int:
    bank, addr = (address >> 16) & 0x7F, address & 0xFFFF
    if addr < 0x8000:
        raise InputError(f"${address:06X} is not LoROM ROM space")
    return bank * 0x8000 + (addr - 0x8000)
