"""Differential tests of our 65816 core against bsnes: one instruction per case, many cases per ROM.

Each case is a 256-byte block of code in a LoROM ROM built with asar. The block sets a random CPU
state (memory bytes, DB, D, S, A, X, Y, P and E), executes the instruction under test, and jumps
to a capture routine that pushes P, E (as carry after XCE), A, X, Y, DB and D, then copies the 16
bytes above S (those pushes plus whatever the instruction itself pushed) and S into a 32-byte
result slot in bank $7F. The ROM first clears WRAM by DMA (so both machines start from the same
bytes) and finally stops with STP. The same ROM runs on bsnes (`reference.run_on_bsnes`) and on
`SnesBus` + our CPU; the two WRAM images must be identical, which checks registers, flags, the
stack and every byte the instructions wrote.

How each opcode class is covered:
- Ordinary opcodes: random registers and flags; the bytes the instruction reads are found by a
  dry run on our core and seeded with random values. A case whose accesses leave WRAM (I/O,
  open bus, ROM data, or the harness's reserved bytes) is redrawn, so bsnes sees exactly the
  accesses we planned; the dry run's address computation is then itself checked by bsnes.
- Branches, BRL, JMP/JML/JSR/JSL in every mode, RTS/RTL/RTI: operands, pointers or stacked
  return addresses are aimed at a landing pad after the instruction; the capture records which
  path ran (marker 1 fall-through, 2 landing pad), so taken/not-taken and targets are checked.
- BRK and COP: the ROM's native and emulation vectors lead to capture routines with their own
  markers (3 BRK native, 4 COP native, 5 BRK/IRQ emulation, 6 COP emulation), so the pushed
  frame, the vector choice and the flag changes are compared.
- MVN/MVP: A (bytes to move minus one) is kept below 16 and the banks in WRAM.
- TCS/TXS: the new S is kept inside the stack window the capture uses.
- Emulation-mode S is sometimes at the ends of page 1 ($0100-$0102, $01FD-$01FF), so the page
  wrap of the 6502-era stack opcodes (and its absence for the 65816 additions) is compared.
- WAI: the setup waits for the end of a vblank, enables NMI, and the next vblank's NMI wakes the
  CPU into an NMI capture routine (markers 8 native, 9 emulation) that disables NMI again; our
  run delivers the NMI as soon as the core reports WAI. This checks the wake-up and the NMI
  frame, not the timing.
- STP is not run here: it halts bsnes for good. It is covered by the core's unit tests
  (tests/test_cpu_semantics.py) and the machine tests (reason "stp").
- Known divergences of bsnes-mercury from hardware (`known_divergence`) are not generated.

Two smaller ROMs check the bus itself: `run_io_check` (multiply/divide, the WRAM port, DMA) and
`run_map_check` (LoROM/HiROM banks, mirrors, SRAM windows, open bus).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from triforce.snes.bus import Mapper, SnesBus, canonical
from triforce.snes.opcodes import OPCODES, Mode, operand_size

# Opcodes the harness cannot run (see the module docstring).
SKIPPED = {0xDB: "STP halts the reference CPU for good"}

_BANK0_CASES = 0x01  # first bank holding case blocks; bank $00 has the boot and capture code
_BLOCK = 0x100
_INSTR_OFFSET = 0xC0  # where the instruction under test sits inside its block
_CASES_PER_BANK = 0x8000 // _BLOCK
MAX_CASES_PER_ROM = 1024  # result slots: $7F8000-$7FFFFF, 32 bytes each
_SLOT_BASE = 0x7F8000
_SLOT = 32
_SETUP_STACK = 0x1FE0
_VAR_S, _VAR_MARK, _VAR_SLOT, _VAR_NEXT = 0x1FF6, 0x1FF8, 0x1FFA, 0x1FFC
# Written by every test ROM when it finishes. Four bytes: bsnes powers WRAM on with random bytes
# and the first frame can end before the ROM has cleared them, so one byte would match by chance.
_DONE_FLAG = 0x7F7FFC
_DONE_MAGIC = b"TFOK"
_DONE_CODE = "  SEP #$20 : " + " : ".join(
    f"LDA.b #${b:02X} : STA.l ${_DONE_FLAG + i:06X}" for i, b in enumerate(_DONE_MAGIC)
)
_MAX_MEMORY = 16
ROM_SIZE = 0x80000

_BRANCHES = {0x10, 0x30, 0x50, 0x70, 0x80, 0x90, 0xB0, 0xD0, 0xF0}
_CAPTURES = {  # label -> marker
    "Capture_Fall": 1,
    "Capture_Pad": 2,
    "Capture_BrkNative": 3,
    "Capture_CopNative": 4,
    "Capture_BrkEmu": 5,
    "Capture_CopEmu": 6,
    "Capture_Other": 7,
    "Capture_NmiNative": 8,
    "Capture_NmiEmu": 9,
}


@dataclass
class DiffCase:
    """One instruction under test and the state it starts from."""

    index: int
    opcode: int
    emulation: bool
    a: int
    x: int
    y: int
    s: int
    d: int
    db: int
    p: int
    operand: bytes
    memory: dict[int, int] = field(default_factory=dict)
    writes: set[int] = field(default_factory=set)

    @property
    def block(self) -> int:
        bank = _BANK0_CASES + self.index // _CASES_PER_BANK
        return (bank << 16) | (0x8000 + (self.index % _CASES_PER_BANK) * _BLOCK)

    @property
    def address(self) -> int:
        return self.block + _INSTR_OFFSET

    @property
    def fall(self) -> int:
        return self.address + 1 + len(self.operand)

    @property
    def pad(self) -> int:
        return self.fall + 4

    @property
    def slot(self) -> int:
        return _SLOT_BASE + self.index * _SLOT

    def describe(self) -> str:
        op = OPCODES[self.opcode]
        mem = " ".join(f"{a:06X}={v:02X}" for a, v in sorted(self.memory.items()))
        return (
            f"#{self.index} ${self.opcode:02X} {op.mnemonic} {op.mode} ({'emu' if self.emulation else 'native'}) "
            f"bytes={bytes([self.opcode]).hex()}{self.operand.hex()} A={self.a:04X} X={self.x:04X} "
            f"Y={self.y:04X} S={self.s:04X} D={self.d:04X} DB={self.db:02X} P={self.p:02X} mem[{mem}]"
        )


@dataclass
class Mismatch:
    case: DiffCase | None
    detail: str
    known: str | None = None  # why the reference is known to differ from hardware here


def known_divergence(case: DiffCase | None) -> str | None:
    """Where bsnes-mercury (a 2015-era bsnes) is known to differ from the hardware behaviour our
    core follows, and the SingleStepTests suite checks instead.

    `[d]`, `[d],y` and PEI read their pointer without wrapping even in emulation mode with DL=0
    (the hardware rule that the SingleStepTests vectors encode); bsnes-mercury wraps the pointer
    bytes inside the direct page, so pointers at $FE/$FF differ. Likewise PLB with S=$01FF in
    emulation mode reads $0200 on hardware (it is a 65816 addition and does not wrap); bsnes-mercury
    reads $0100."""
    if case is None:
        return None
    mode = OPCODES[case.opcode].mode
    if (
        (mode in (Mode.DP_IND_LONG, Mode.DP_IND_LONG_Y) or case.opcode == 0xD4)
        and case.emulation
        and case.d & 0xFF == 0
        and case.operand[0] >= 0xFE
    ):
        return "bsnes-mercury wraps [d]/PEI pointers inside the direct page in emulation mode"
    if case.opcode == 0xAB and case.emulation and case.s & 0xFF == 0xFF:
        return "bsnes-mercury's PLB wraps inside page 1 in emulation mode (hardware reads $0200)"
    return None


@dataclass
class DiffReport:
    cases: list[DiffCase]
    mismatches: list[Mismatch]
    rejected: int  # random states redrawn because their accesses left WRAM
    skipped: dict[int, str]
    roms: int = 0
    bsnes_frames: int = 0

    @property
    def failures(self) -> list[Mismatch]:
        """Mismatches not explained by a known divergence of the reference."""
        return [m for m in self.mismatches if m.known is None]

    @property
    def ok(self) -> bool:
        return not self.failures


# -- case generation ----------------------------------------------------------------------------


def _reserved(addr: int) -> bool:
    a = canonical(addr)
    return 0x7E1F00 <= a <= 0x7E1FFF or a >= _DONE_FLAG


def _stack_pointer(rng: random.Random, emulation: bool, edges: bool = False) -> int:
    """A stack pointer the capture can push below; with `edges`, emulation-mode S is sometimes
    at the ends of page 1 so the 6502-era page wrap is exercised."""
    if emulation and edges and rng.random() < 0.2:
        return 0x0100 | rng.choice([0x00, 0x01, 0x02, 0xFD, 0xFE, 0xFF])
    low = rng.randrange(0x30, 0xF1)
    return 0x0100 | low if emulation else (rng.randrange(0x01, 0x1F) << 8) | low


def _random_state(rng: random.Random, opcode: int, emulation: bool, index: int) -> DiffCase:
    op = OPCODES[opcode]
    p = rng.randrange(256)
    if emulation:
        p |= 0x30
    m8, x8 = bool(p & 0x20), bool(p & 0x10)
    d = rng.choice([0, 0, 0, rng.randrange(0x1E00), rng.randrange(0x1E00) & 0xFF00, rng.randrange(0x10000)])
    db = rng.choice([0x7E, 0x7E, 0x7F, 0x00, 0x00])
    case = DiffCase(
        index=index,
        opcode=opcode,
        emulation=emulation,
        a=rng.randrange(0x10000),
        x=rng.randrange(0x10000),
        y=rng.randrange(0x10000),
        s=_stack_pointer(rng, emulation, edges=True),
        d=d,
        db=db,
        p=p,
        operand=b"",
    )
    size = operand_size(op.mode, m8, x8)
    operand = bytearray(rng.randrange(256) for _ in range(size))
    if op.mode in (Mode.ABS, Mode.ABS_X, Mode.ABS_Y) and db == 0x00:
        operand[1] = rng.randrange(0x20)  # bank $00: stay in the WRAM mirror
    if op.mode in (Mode.LONG, Mode.LONG_X):
        operand[2] = rng.choice([0x7E, 0x7E, 0x7F, 0x00])
        if operand[2] == 0x00:
            operand[1] = rng.randrange(0x20)
    case.operand = bytes(operand)
    _aim_control_flow(rng, case, x8)
    if opcode in (0x1B, 0x9A):  # TCS, TXS: the new S must stay inside the capture's window
        value = _stack_pointer(rng, emulation)
        if opcode == 0x1B:
            case.a = value
        else:  # with 8-bit X (always in emulation mode) only the low byte survives the setup
            case.x = value & 0xFF if (x8 or emulation) else value
    if opcode in (0x44, 0x54):  # MVP, MVN: few bytes, WRAM banks
        case.a = rng.randrange(16)
        case.operand = bytes([rng.choice([0x7E, 0x7F]), rng.choice([0x7E, 0x7F])])
    return case


def _aim_control_flow(rng: random.Random, case: DiffCase, x8: bool) -> None:
    """Point jumps, calls and returns at the landing pad (fixed memory goes in case.memory)."""
    opcode, pad = case.opcode, case.pad
    pb = case.address >> 16
    mem = case.memory
    if opcode in _BRANCHES:
        case.operand = bytes([4])
    elif opcode == 0x82:  # BRL
        case.operand = (4).to_bytes(2, "little")
    elif opcode in (0x4C, 0x20):  # JMP abs, JSR abs
        case.operand = (pad & 0xFFFF).to_bytes(2, "little")
    elif opcode in (0x5C, 0x22):  # JML long, JSL long
        case.operand = pad.to_bytes(3, "little")
    elif opcode in (0x6C, 0xDC):  # JMP (abs), JML [abs]: pointer in bank $00 (WRAM mirror)
        ptr = rng.randrange(0x0000, 0x1E00)
        case.operand = ptr.to_bytes(2, "little")
        target = pad if opcode == 0xDC else pad & 0xFFFF
        for i in range(3 if opcode == 0xDC else 2):
            mem[0x7E0000 | (ptr + i)] = (target >> (8 * i)) & 0xFF
    elif opcode in (0x7C, 0xFC):  # JMP (abs,x), JSR (abs,x): pointer in the program bank
        ptr = rng.randrange(0x0000, 0x1E00)
        xv = case.x & 0xFF if (x8 or case.emulation) else case.x
        case.operand = ((ptr - xv) & 0xFFFF).to_bytes(2, "little")
        mem[0x7E0000 | ptr] = pad & 0xFF
        mem[0x7E0000 | (ptr + 1)] = (pad >> 8) & 0xFF
    elif opcode in (0x60, 0x6B, 0x40):  # RTS, RTL, RTI: stack the way back
        s = case.s
        if opcode == 0x40:
            frame = [rng.randrange(256), pad & 0xFF, (pad >> 8) & 0xFF]
            if not case.emulation:
                frame.append(pb)
        else:
            back = pad - 1
            frame = [back & 0xFF, (back >> 8) & 0xFF] + ([pb] if opcode == 0x6B else [])
        wraps = case.emulation and opcode != 0x6B  # RTS/RTI pull inside page 1; RTL does not
        for i, byte in enumerate(frame):
            where = 0x0100 | ((s + 1 + i) & 0xFF) if wraps else s + 1 + i
            mem[0x7E0000 | where] = byte


class _DryRun:
    """Runs one case's instruction on our core to learn the addresses it touches."""

    def __init__(self) -> None:
        from triforce.snes.cpu import CPU

        self.bus = SnesBus(bytes(ROM_SIZE), mapper="lorom")
        self.cpu_type = CPU

    def run(self, case: DiffCase) -> tuple[set[int], set[int], list[int]]:
        bus = self.bus
        bus.wram[:] = bytes(len(bus.wram))
        instr = bytes([case.opcode]) + case.operand
        for i, b in enumerate(instr):
            bus.poke(case.address + i, b)
        for addr, value in case.memory.items():
            bus.poke(addr, value)
        bus.poke(0x7E0000 | case.s, case.p)  # the P byte PLP takes (setup order: memory, then P)
        cpu = self.cpu_type(bus)
        cpu.e = case.emulation
        cpu.p = case.p
        cpu.a, cpu.x, cpu.y = case.a, case.x, case.y
        cpu.s, cpu.d, cpu.db = case.s, case.d, case.db
        cpu.pb, cpu.pc = case.address >> 16, case.address & 0xFFFF
        bus.start_watch()
        cpu.step()
        if case.opcode in (0x44, 0x54):
            for _ in range(0x20):
                if (cpu.pb << 16 | cpu.pc) != case.address:
                    break
                cpu.step()
        bus.stop_watch()
        fetch = {canonical(case.address + i) for i in range(len(instr))}
        vectors = set(range(0x00FFE0, 0x010000))
        reads = bus.reads - fetch - vectors
        allowed_rom = fetch | vectors
        bad = [a for a in bus.reads if bus.region(a) != "wram" and a not in allowed_rom]
        bad += [a for a in bus.writes if bus.region(a) != "wram"]
        bad += [a for a in set(bus.writes) | reads if _reserved(a)]
        for i in range(len(instr)):  # restore the scratch ROM
            bus.poke(case.address + i, 0)
        return reads, set(bus.writes), bad


def generate_cases(
    rng: random.Random,
    opcodes: Iterable[int],
    per_opcode: int = 1,
    modes: Iterable[bool] = (False, True),
    max_tries: int = 200,
) -> tuple[list[DiffCase], int]:
    """Random cases for every (opcode, mode); returns (cases, number of redrawn states).

    A case that finds no acceptable state in `max_tries` draws is left out; compare the number
    of cases with the number asked for.

    Case indexes restart at 0 every MAX_CASES_PER_ROM cases: the index fixes where the case
    sits in its ROM, and the dry run needs that address."""
    dry = _DryRun()
    cases: list[DiffCase] = []
    rejected = 0
    mode_list = list(modes)
    for opcode in opcodes:
        if opcode in SKIPPED:
            continue
        for emulation in mode_list:
            for _ in range(per_opcode):
                index = len(cases) % MAX_CASES_PER_ROM
                case, tries = _draw(rng, dry, opcode, emulation, index, max_tries)
                rejected += tries - 1 if case is not None else tries
                if case is not None:
                    cases.append(case)
    return cases, rejected


def _draw(
    rng: random.Random, dry: _DryRun, opcode: int, emulation: bool, index: int, tries: int
) -> tuple[DiffCase | None, int]:
    for attempt in range(1, tries + 1):
        case = _random_state(rng, opcode, emulation, index)
        if known_divergence(case):
            # Not run at all: its stray accesses would also disturb the bytes later cases see.
            continue
        fixed = dict(case.memory)
        for _round in range(4):
            reads, writes, bad = dry.run(case)
            if bad:
                break
            new = [a for a in reads if a not in case.memory and a != (0x7E0000 | case.s)]
            if not new:
                if len(case.memory) <= _MAX_MEMORY:
                    case.writes = writes
                    return case, attempt
                break
            for a in new:
                case.memory[a] = rng.randrange(256)
            case.memory.update(fixed)
    return None, tries


# -- the ROM ------------------------------------------------------------------------------------


def _capture_routines() -> list[str]:
    lines = []
    for label, marker in _CAPTURES.items():
        lines += [
            f"{label}:",
            "  PHP : CLC : XCE : PHP : REP #$30",
            "  PHA : PHX : PHY : PHB : PHD",
            f"  LDA.w #${marker:04X} : STA.l ${_VAR_MARK:06X}",
        ]
        if label.startswith("Capture_Nmi"):  # NMIs were enabled for one WAI case only
            lines.append("  SEP #$20 : LDA.b #$00 : STA.l $004200 : LDA.l $004210 : REP #$20")
        lines.append("  JMP Capture_Common")
    lines += [
        "Capture_Common:",
        f"  TSC : STA.l ${_VAR_S:06X}",
        "  INC A : TAX",
        f"  LDA.l ${_VAR_SLOT:06X} : TAY",
        "  LDA.w #$000F",
        "  MVN $7F,$00",  # asar writes object-code order: destination bank, then source bank
        f"  LDA.l ${_VAR_S:06X} : STA.w $0000,y",
        f"  LDA.l ${_VAR_MARK:06X} : STA.w $0002,y",
        f"  LDA.w #${_SETUP_STACK:04X} : TCS",
        f"  JML [${_VAR_NEXT & 0xFFFF:04X}]",
    ]
    return lines


def _case_source(case: DiffCase, next_address: int | None) -> list[str]:
    if next_address is None:  # the last case continues at Done
        next_lo, next_bank = "Done", "Done>>16"
    else:
        next_lo, next_bank = f"${next_address & 0xFFFF:04X}", f"${next_address >> 16:02X}"
    lines = [
        f"org ${case.block:06X}",
        "  REP #$30",
        f"  LDA.w #${_SETUP_STACK:04X} : TCS",
        f"  LDA.w #${case.slot & 0xFFFF:04X} : STA.l ${_VAR_SLOT:06X}",
        f"  LDA.w #{next_lo} : STA.l ${_VAR_NEXT:06X}",
        f"  SEP #$20 : LDA.b #{next_bank} : STA.l ${_VAR_NEXT + 2:06X} : REP #$20",
        f"  PEA.w ${case.db:02X}{case.db:02X} : PLB : PLB",
        f"  PEA.w ${case.d:04X} : PLD",
        "  SEP #$20",
    ]
    for addr, value in sorted(case.memory.items()):
        lines.append(f"  LDA.b #${value:02X} : STA.l ${addr:06X}")
    if case.opcode == 0xCB:
        # WAI: enable NMI just after a vblank ends (so none can fire before the WAI); the NMI
        # at the next vblank wakes it and enters the NMI capture. Our run delivers it at once.
        lines += [
            "- LDA.l $004212 : BPL -",
            "- LDA.l $004212 : BMI -",
            "  LDA.l $004210 : LDA.b #$80 : STA.l $004200",
        ]
    lines += [
        f"  LDA.b #${case.p:02X} : STA.l ${0x7E0000 | case.s:06X}",
        "  REP #$20",
        f"  LDA.w #${case.s - 1:04X} : TCS",
        f"  LDA.w #${case.a:04X} : LDX.w #${case.x:04X} : LDY.w #${case.y:04X}",
    ]
    if case.emulation:
        lines.append("  SEC : XCE")
    lines += [
        "  PLP",
        f"  JMP.w ${case.address & 0xFFFF:04X}",
        f"org ${case.address:06X}",
        "  db " + ",".join(f"${b:02X}" for b in bytes([case.opcode]) + case.operand),
        "  JML Capture_Fall",
        "  JML Capture_Pad",
    ]
    return lines


def build_source(cases: list[DiffCase]) -> str:
    """asar source of the test ROM for `cases` (at most MAX_CASES_PER_ROM, indexes 0..n-1)."""
    if len(cases) > MAX_CASES_PER_ROM:
        raise ValueError(f"at most {MAX_CASES_PER_ROM} cases per ROM")
    lines = [
        "lorom",
        "org $008000",
        "Boot:",
        "  SEI : CLC : XCE : REP #$30",
        f"  LDA.w #${_SETUP_STACK:04X} : TCS",
        "  SEP #$20",
        "  STZ $2181 : STZ $2182 : STZ $2183",  # WRAM port address 0
        "  LDA.b #$08 : STA $4300",  # fixed A-bus source, A->B, one register
        "  LDA.b #$80 : STA $4301",  # B bus: $2180 (WRAM data)
        "  LDA.b #Zero : STA $4302 : LDA.b #Zero>>8 : STA $4303 : LDA.b #Zero>>16 : STA $4304",
        "  STZ $4305 : STZ $4306",  # 65536 bytes
        "  LDA.b #$01 : STA $420B",  # clear $7E0000-$7EFFFF
        "  STA $420B",  # and $7F0000-$7FFFFF (the count is 0 again: 65536)
        "  REP #$30",
        f"  JML ${cases[0].block if cases else 0x008000:06X}" if cases else "  JML Done",
        "Done:",
        _DONE_CODE,
        "  STP",
        "Zero:",
        "  db $00",
        *_capture_routines(),
        "org $00FFC0",
        '  db "TRIFORCE CPU DIFFTEST"',  # 21-byte title
        "  db $20, $00, $09, $00, $01, $00, $00",  # LoROM, ROM only, 512 KiB, no SRAM, USA
        "org $00FFE4",
        "  dw Capture_CopNative, Capture_BrkNative, Capture_Other, Capture_NmiNative, Capture_Other, Capture_Other",
        "org $00FFF4",
        "  dw Capture_CopEmu, Capture_Other, Capture_Other, Capture_NmiEmu, Boot, Capture_BrkEmu",
    ]
    for i, case in enumerate(cases):
        lines += _case_source(case, cases[i + 1].block if i + 1 < len(cases) else None)
    return "\n".join(lines) + "\n"


def build_rom(cases: list[DiffCase]) -> bytes:
    """Assemble the test ROM with asar; the last case continues at `Done`."""
    from triforce.errors import InputError
    from triforce.snes.asar import assemble

    source = build_source(cases)
    result = assemble(source, org=None, mapper="lorom", rom_size=ROM_SIZE)
    if not result.ok:
        raise InputError(f"difftest ROM did not assemble: {result.diagnostics[:3]}")
    return bytes(result.rom)


# -- running both machines ----------------------------------------------------------------------


def run_ours(rom: bytes, max_instructions: int = 5_000_000, mapper: Mapper = "lorom") -> tuple[bytes, str]:
    """Power on our core with the ROM and run to the final STP; returns (WRAM, stop reason)."""
    from triforce.snes.cpu import CPU

    bus = SnesBus(rom, mapper=mapper)
    cpu = CPU(bus)
    cpu.reset()
    budget = max_instructions
    while True:
        result = cpu.run(max_instructions=budget, stop_at_return=False, stop_on_break=False)
        budget -= result.instructions
        reason = str(getattr(result.reason, "value", result.reason))
        if reason != "wai" or budget <= 0:
            return bytes(bus.wram), reason
        cpu.nmi()  # the test ROMs only wait with NMI enabled: the next vblank's NMI wakes the CPU


def finished(wram: bytes) -> bool:
    """True when a test ROM has written its end marker."""
    at = _DONE_FLAG - 0x7E0000
    return wram[at : at + len(_DONE_MAGIC)] == _DONE_MAGIC


def compare(cases: list[DiffCase], ours: bytes, theirs: bytes) -> list[Mismatch]:
    """Attribute every differing WRAM byte to the case whose slot or writes it belongs to."""
    out: list[Mismatch] = []
    if not finished(ours):
        out.append(Mismatch(None, "our core did not reach the end of the test ROM"))
    if not finished(theirs):
        out.append(Mismatch(None, "bsnes did not reach the end of the test ROM"))
    for case in cases:  # every case must have been captured, on both machines
        off = case.slot - 0x7E0000 + 18
        for name, image in (("our core", ours), ("bsnes", theirs)):
            if image[off] == 0 and image[off + 1] == 0:
                out.append(Mismatch(case, f"{case.describe()}\n  {name} never captured this case"))
    by_slot = {c.slot: c for c in cases}
    seen: set[int] = set()
    for i in range(len(ours)):
        if ours[i] == theirs[i]:
            continue
        addr = 0x7E0000 + i
        if _SLOT_BASE <= addr < _SLOT_BASE + len(cases) * _SLOT:
            slot = addr - (addr - _SLOT_BASE) % _SLOT
            if slot in seen:
                continue
            seen.add(slot)
            case = by_slot[slot]
            o = ours[slot - 0x7E0000 : slot - 0x7E0000 + _SLOT]
            t = theirs[slot - 0x7E0000 : slot - 0x7E0000 + _SLOT]
            detail = f"{case.describe()}\n  ours:  {decode_slot(o)}\n  bsnes: {decode_slot(t)}"
            out.append(Mismatch(case, detail, known_divergence(case)))
        else:
            owners = [c for c in cases if addr in c.writes]
            owner = owners[-1] if owners else None
            who = owner.describe() if owner else "no case wrote it"
            detail = f"WRAM ${addr:06X}: ours ${ours[i]:02X}, bsnes ${theirs[i]:02X} ({who})"
            out.append(Mismatch(owner, detail, known_divergence(owner)))
    return out


def decode_slot(slot: bytes) -> str:
    """The captured registers in a result slot, for humans."""
    if len(slot) < 20:
        return slot.hex()
    d = slot[0] | slot[1] << 8
    db = slot[2]
    y = slot[3] | slot[4] << 8
    x = slot[5] | slot[6] << 8
    a = slot[7] | slot[8] << 8
    e = slot[9] & 1
    p = slot[10]
    s = ((slot[16] | slot[17] << 8) + 11) & 0xFFFF
    marker = slot[18] | slot[19] << 8
    path = {v: k for k, v in _CAPTURES.items()}.get(marker, f"never captured ({marker})")
    return (
        f"A={a:04X} X={x:04X} Y={y:04X} S={s:04X} D={d:04X} DB={db:02X} P={p:02X} E={e} "
        f"path={path} above-S={slot[11:16].hex()}"
    )


def run_differential(
    per_opcode: int = 1,
    seed: int = 0,
    opcodes: Iterable[int] | None = None,
    progress: Any = None,
) -> DiffReport:
    """Generate, build, run on both machines and compare; `per_opcode` cases per opcode and mode."""
    from triforce.snes.reference import run_on_bsnes

    rng = random.Random(seed)
    codes = list(range(256)) if opcodes is None else list(opcodes)
    all_cases, rejected = generate_cases(rng, codes, per_opcode)
    mismatches: list[Mismatch] = []
    frames = roms = 0
    for start in range(0, len(all_cases), MAX_CASES_PER_ROM):
        chunk = all_cases[start : start + MAX_CASES_PER_ROM]
        rom = build_rom(chunk)
        ours, _reason = run_ours(rom)
        ref = run_on_bsnes(rom, done=finished, frames=600)
        frames += ref.frames
        roms += 1
        mismatches += compare(chunk, ours, ref.wram)
        if progress is not None:
            progress(len(chunk))
    skipped = {op: why for op, why in SKIPPED.items() if op in codes}
    return DiffReport(all_cases, mismatches, rejected, skipped, roms, frames)


# -- the bus's emulated registers against bsnes -------------------------------------------------


def io_check_source(rng: random.Random, products: int = 64) -> str:
    """asar source of a ROM exercising multiply, divide (with the hardware's wait), the WRAM port
    and ROM->WRAM DMA; results go to $7F0000 upwards, then `Done` as in the CPU test ROMs."""
    lines = [
        "lorom",
        "org $008000",
        "Boot:",
        "  SEI : CLC : XCE : REP #$10 : SEP #$20",
        "  LDX.w #$1FE0 : TXS",
        "  LDX.w #$0000",
    ]
    wait = "  NOP : NOP : NOP : NOP : NOP : NOP : NOP : NOP : NOP"  # 18 cycles: past the 16-cycle divide
    for _ in range(products):
        a, b = rng.randrange(256), rng.randrange(256)
        lines += [f"  LDA.b #${a:02X} : STA $4202 : LDA.b #${b:02X} : STA $4203", wait]
        lines += ["  LDA $4214 : STA.l $7F0000,x : INX : LDA $4215 : STA.l $7F0000,x : INX"]
        lines += ["  LDA $4216 : STA.l $7F0000,x : INX : LDA $4217 : STA.l $7F0000,x : INX"]
        dividend, divisor = rng.randrange(0x10000), rng.choice([0, 1, rng.randrange(256)])
        lines += [
            f"  LDA.b #${dividend & 0xFF:02X} : STA $4204 : LDA.b #${dividend >> 8:02X} : STA $4205",
            f"  LDA.b #${divisor:02X} : STA $4206",
            wait,
            "  LDA $4214 : STA.l $7F0000,x : INX : LDA $4215 : STA.l $7F0000,x : INX",
            "  LDA $4216 : STA.l $7F0000,x : INX : LDA $4217 : STA.l $7F0000,x : INX",
        ]
    lines += [
        # WRAM port: CPU writes at $7F4000 (crossing into the 17th address bit), reads back.
        "  LDA.b #$FE : STA $2181 : LDA.b #$3F : STA $2182 : LDA.b #$01 : STA $2183",
        "  LDA.b #$11 : STA $2180 : LDA.b #$22 : STA $2180 : LDA.b #$33 : STA $2180",
        "  LDA.b #$FF : STA $2181 : LDA.b #$3F : STA $2182 : LDA.b #$01 : STA $2183",
        "  LDA $2180 : STA.l $7F5000 : LDA $2180 : STA.l $7F5001",
        # DMA channel 2: 64 ROM bytes through the port to $7E6000, then a fixed-source fill.
        "  STZ $2181 : LDA.b #$60 : STA $2182 : STZ $2183",
        "  STZ $4320 : LDA.b #$80 : STA $4321",
        "  LDA.b #Table : STA $4322 : LDA.b #Table>>8 : STA $4323 : LDA.b #Table>>16 : STA $4324",
        "  LDA.b #$40 : STA $4325 : STZ $4326 : LDA.b #$04 : STA $420B",
        "  LDA $4322 : STA.l $7F5010 : LDA $4323 : STA.l $7F5011 : LDA $4325 : STA.l $7F5012",
        "  LDA.b #$08 : STA $4320 : LDA.b #$20 : STA $4325 : LDA.b #$04 : STA $420B",
        "  LDA.b #$3F : STA $2181 : LDA.b #$60 : STA $2182 : STZ $2183 : LDA $2180 : STA.l $7F5013",
        "Done:",
        _DONE_CODE,
        "  STP",
        "Table:",
        "  db " + ",".join(f"${rng.randrange(256):02X}" for _ in range(0x40)),
        "org $00FFC0",
        '  db "TRIFORCE IO DIFFTEST "',
        "  db $20, $00, $09, $00, $01, $00, $00",
        "org $00FFFC",
        "  dw Boot",
    ]
    return "\n".join(lines) + "\n"


def run_io_check(seed: int = 0, products: int = 64) -> list[str]:
    """Run the I/O ROM on both machines; returns the differing WRAM bytes (empty when equal).

    bsnes clears nothing at power-on, so only the bytes the ROM writes are compared."""
    from triforce.errors import InputError
    from triforce.snes.asar import assemble
    from triforce.snes.reference import run_on_bsnes

    result = assemble(io_check_source(random.Random(seed), products), org=None, rom_size=ROM_SIZE)
    if not result.ok:
        raise InputError(f"I/O check ROM did not assemble: {result.diagnostics[:3]}")
    rom = bytes(result.rom)
    ours, _ = run_ours(rom)
    ref = run_on_bsnes(rom, done=finished, frames=60).wram
    done = _DONE_FLAG - 0x7E0000
    if not finished(ref) or not finished(ours):
        return [f"did not finish (ours {finished(ours)}, bsnes {finished(ref)})"]
    regions = [
        (0x10000, 0x10000 + products * 8),  # multiply and divide results
        (0x13FFE, 0x14001),  # bytes written through the port
        (0x15000, 0x15002),  # bytes read back through the port
        (0x15010, 0x15014),  # DMA registers after the transfer, port read after the fill
        (0x6000, 0x6060),  # DMA copy and fill
        (done, done + len(_DONE_MAGIC)),
    ]
    out = []
    for lo, hi in regions:
        for i in range(lo, hi):
            if ours[i] != ref[i]:
                out.append(f"${0x7E0000 + i:06X}: ours ${ours[i]:02X}, bsnes ${ref[i]:02X}")
    return out


# -- the memory map against bsnes -----------------------------------------------------------------

# Addresses read by the map check, per mapper: ROM banks, their mirrors, unmapped space (open bus),
# SRAM and the WRAM mirrors. Reads go to $7F0000 + index.
MAP_READS: dict[str, list[int]] = {
    "lorom": [
        0x008100,
        0x018100,
        0x0F8100,
        0x0FFF00,
        0x818100,
        0x8F8100,
        0x108100,
        0x208100,
        0x408100,
        0x7D8100,
        0xC18100,
        0xFF8100,
        0x402100,
        0x004400,
        0x002100,
        0x60FFFF,
        0x700010,
        0x702010,
        0x710010,
        0xF00010,
        0x7E0100,
        0x3F0100,
        0xBF0100,
        0x7F0100,
    ],
    "hirom": [
        0xC00100,
        0xC10100,
        0xC78100,
        0xC80100,
        0x400100,
        0x478100,
        0x008100,
        0x018100,
        0x808100,
        0x870100,
        0xFE0100,
        0x7D0100,
        0x206010,
        0x3F6010,
        0xA06010,
        0x306010,
        0x004400,
        0x002100,
        0x7E0100,
        0x3F0100,
        0xBF0100,
        0x7F0100,
        0x006010,
        0x106010,
    ],
}
_MAP_WRITES: dict[str, list[tuple[int, int]]] = {  # SRAM and WRAM written before the reads
    "lorom": [(0x700010, 0x5A), (0x710010, 0x6B), (0x3F0100, 0x7C), (0x7F0100, 0x3D)],
    "hirom": [(0x206010, 0x5A), (0x306010, 0x6B), (0x3F0100, 0x7C), (0x7F0100, 0x3D)],
}


def map_check_source(mapper: Mapper) -> str:
    """A 512 KiB ROM (8 KiB SRAM) whose every 256-byte row starts with (bank, page) markers,
    reading `MAP_READS[mapper]` into WRAM."""
    lines = [mapper, "org $008000" if mapper == "lorom" else "org $C08000"]
    code = [
        "Boot:",
        "  SEI : CLC : XCE : SEP #$30",
        *(f"  LDA.b #${v:02X} : STA.l ${a:06X}" for a, v in _MAP_WRITES[mapper]),
        *(f"  LDA.l ${a:06X} : STA.l ${0x7F0000 + i:06X}" for i, a in enumerate(MAP_READS[mapper])),
        _DONE_CODE,
        "  STP",
    ]
    lines += code
    chunk = 0x8000 if mapper == "lorom" else 0x10000
    for offset in range(0, ROM_SIZE, 0x100):
        if offset < 0x200 and mapper == "lorom":
            continue  # the boot code
        if mapper == "hirom" and 0x8000 <= offset < 0x8200:
            continue
        if (offset % chunk) in range(0x7F00, 0x8000) or (offset % chunk) in range(0xFF00, 0x10000):
            continue  # header and vectors
        if mapper == "lorom":
            address = ((offset // 0x8000) << 16) | 0x8000 | (offset & 0x7FFF)
        else:
            address = 0xC00000 + offset
        lines.append(f"org ${address:06X} : db ${(offset >> 16) & 0xFF:02X}, ${(offset >> 8) & 0xFF:02X}")
    header = 0x00FFC0
    lines += [
        f"org ${header:06X}",
        '  db "TRIFORCE MAP CHECK   "',
        f"  db ${0x20 if mapper == 'lorom' else 0x21:02X}, $02, $09, $03, $01, $00, $00",
        "org $00FFFC",
        "  dw Boot",
    ]
    return "\n".join(lines) + "\n"


def run_map_check(mapper: Mapper) -> list[str]:
    """Run the map ROM on both machines; returns one line per address that reads differently."""
    from triforce.errors import InputError
    from triforce.snes.asar import assemble
    from triforce.snes.reference import run_on_bsnes

    result = assemble(map_check_source(mapper), org=None, mapper=mapper, rom_size=ROM_SIZE)
    if not result.ok:
        raise InputError(f"map check ROM did not assemble: {result.diagnostics[:3]}")
    rom = bytes(result.rom)
    ours, _ = run_ours(rom, mapper=mapper)
    ref = run_on_bsnes(rom, done=finished, frames=30).wram
    out = []
    if not finished(ref) or not finished(ours):
        out.append(f"did not finish (ours {finished(ours)}, bsnes {finished(ref)})")
    for i, addr in enumerate(MAP_READS[mapper]):
        o, t = ours[0x10000 + i], ref[0x10000 + i]
        if o != t:
            out.append(f"{mapper} ${addr:06X}: ours ${o:02X}, bsnes ${t:02X}")
    return out
