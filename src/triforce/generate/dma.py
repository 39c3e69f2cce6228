"""DMA and HDMA transfers as the game sets them up, for the doc generator and the audit.

A routine that starts a transfer (a write to MDMAEN $420B or HDMAEN $420C) is documented by the
channel it starts and the parameters that channel holds at that moment: the DMAP mode, the B-bus
register, the A-bus address and the byte count. Two sources say what they are:

- the recorded runs (`run_transfers`): the bus logs every write to the channel registers and to
  $420B/$420C in order, so each run gives the exact values the routine's own code stored. A value
  is stated only where every run agrees (`merge_transfers`), never as a union over the states;
- the code (`store_sources`): where each channel register's last store before the start took its
  value from (an immediate, a memory operand such as `$0E,X`, or a register at entry). Where a
  parameter comes from the input, the doc says so ("size from $0E,X") instead of listing values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from triforce.generate.asmtext import Stmt, immediate, number, parse
from triforce.generate.candidate import io_registers, is_io, register_text
from triforce.generate.states import normalize_address
from triforce.generate.widths import track
from triforce.snes.bus import DMA_PATTERNS

STARTS = {0x420B: "MDMAEN", 0x420C: "HDMAEN"}
# Channel register offsets ($43c0 + offset) and the parameter each byte belongs to.
PARAMS: dict[str, int] = {
    "DMAP": 0,
    "BBAD": 1,
    "A1TL": 2,
    "A1TH": 3,
    "A1B": 4,
    "DASL": 5,
    "DASH": 6,
    "DASB": 7,
}
# The WRAM port's address ($2181-$2183), a parameter of a DMA to WMDATA $2180 (by address).
_PORT = {"WMADDL": 0x2181, "WMADDM": 0x2182, "WMADDH": 0x2183}


def register_of(name: str, channel: int) -> int:
    """The register a parameter is stored in: `$43c0 + offset`, or the WRAM port's."""
    return _PORT.get(name, 0x4300 | (channel << 4) | PARAMS.get(name, 0))


_DMA_PARAMS = ("DMAP", "BBAD", "A1TL", "A1TH", "A1B", "DASL", "DASH")
_HDMA_PARAMS = ("DMAP", "BBAD", "A1TL", "A1TH", "A1B", "DASB")
UNSET = "unset"  # a parameter the routine does not store: the caller's value


def is_channel_register(reg: int) -> bool:
    return 0x4300 <= reg & 0xFFFF < 0x4380 and (reg & 0xF) < 0xB


@dataclass(frozen=True)
class Transfer:
    """One channel started by one write to $420B (DMA) or $420C (HDMA) in one run, with the
    channel registers this run stored before it (offset -> value; absent: not stored)."""

    start: int
    channel: int
    regs: tuple[tuple[int, int], ...]
    port: tuple[tuple[int, int], ...] = ()  # WMADDL/M/H ($2181-$2183) as stored, for a DMA to $2180

    def value(self, offset: int) -> int | None:
        return dict(self.regs).get(offset) if offset < 0x100 else dict(self.port).get(offset)


def run_transfers(mmio: Sequence[Any]) -> tuple[list[Transfer], set[int], set[int]]:
    """The transfers one run started, in order, and the bytes its DMAs read and wrote on the A bus
    and through the WRAM port $2180 (WRAM addresses folded as the bus watch folds them), from the
    run's I/O log. After a DMA the channel holds what the hardware leaves: size 0 and the A-bus
    address past the last byte."""
    stored: dict[int, dict[int, int]] = {}
    out: list[Transfer] = []
    pending: list[Transfer] = []  # DMA channels started and not yet run (their `dma` log entry)
    read: set[int] = set()
    written: set[int] = set()
    port: dict[int, int] = {}  # WMADDL/M/H as this run stored them
    for m in mmio:
        reg = int(m.address) & 0xFFFF
        if m.op == "write" and is_channel_register(reg):
            stored.setdefault((reg >> 4) & 7, {})[reg & 0xF] = int(m.value) & 0xFF
        elif m.op == "write" and reg in (0x2181, 0x2182, 0x2183):
            port[reg] = int(m.value) & (0x01 if reg == 0x2183 else 0xFF)
        elif m.op == "write" and reg in STARTS:
            started = [
                Transfer(reg, ch, tuple(sorted(stored.get(ch, {}).items())), tuple(sorted(port.items())))
                for ch in range(8)
                if int(m.value) & (1 << ch)
            ]
            out += started
            if reg == 0x420B:
                pending = started
        elif m.op == "dma" and pending:
            t = pending.pop(0)
            mode, count = t.value(0), int(m.value)
            regs = stored.setdefault(t.channel, {})
            if mode is None or m.source is None:
                regs[5] = regs[6] = 0
                continue  # direction and step not set by this run: its bytes are not told apart
            step = 0 if mode & 0x08 else (-1 if mode & 0x10 else 1)
            bank, addr = int(m.source) >> 16, int(m.source) & 0xFFFF
            touched = {normalize_address((bank << 16) | ((addr + step * i) & 0xFFFF)) for i in range(count)}
            (written if mode & 0x80 else read).update(touched)
            if int(m.address) & 0xFFFF == 0x2180 and len(port) == 3:
                at = port[0x2181] | port[0x2182] << 8 | port[0x2183] << 16
                (read if mode & 0x80 else written).update(
                    0x7E0000 + ((at + i) & 0x1FFFF) for i in range(count)
                )
                at = (at + count) & 0x1FFFF
                port = {0x2181: at & 0xFF, 0x2182: (at >> 8) & 0xFF, 0x2183: at >> 16}
            if 2 in regs and 3 in regs:
                end = (addr + step * count) & 0xFFFF
                regs[2], regs[3] = end & 0xFF, end >> 8
            regs[5] = regs[6] = 0
    return out, read, written


# More distinct transfers than this are stated per channel (a loop that starts one per entry).
MAX_TRANSFER_LINES = 4


def _merged(group: Sequence[Transfer]) -> dict[str, Any]:
    channels = {t.channel for t in group}
    params: dict[str, int | str | None] = {}
    for name in _DMA_PARAMS if group[0].start == 0x420B else _HDMA_PARAMS:
        values = {t.value(PARAMS[name]) for t in group}
        params[name] = UNSET if values == {None} else (values.pop() if len(values) == 1 else None)
    if params["BBAD"] == 0x80 and group[0].start == 0x420B:  # through the WRAM port: where to
        for name, reg in _PORT.items():
            values = {t.value(reg) for t in group}
            params[name] = UNSET if values == {None} else (values.pop() if len(values) == 1 else None)
    return {
        "start": group[0].start,
        "channel": channels.pop() if len(channels) == 1 else None,
        "params": params,
    }


def merge_transfers(runs: Sequence[Sequence[Transfer]]) -> list[dict[str, Any]]:
    """The transfers the runs make, each parameter a value where every run stored the same one,
    `None` where they differ and `UNSET` where none stored it; `times`: how often it is started
    in a row (None: a number that differs between states); `every`: made the same on every state.

    When every run starts the same sequence, its k-th transfers are merged (equal neighbours
    collapsed into one with a count); otherwise, or when that leaves more than
    `MAX_TRANSFER_LINES`, the transfers are merged per start register and channel."""
    if not runs or not any(runs):
        return []
    if len({tuple(t.start for t in r) for r in runs}) == 1:
        steps: list[dict[str, Any]] = []
        for k in range(len(runs[0])):
            g = _merged([r[k] for r in runs])
            if steps and {**steps[-1], "times": 0} == {**g, "times": 0}:
                steps[-1]["times"] += 1
            else:
                steps.append({**g, "times": 1})
        if len(steps) <= MAX_TRANSFER_LINES:
            return [{**g, "every": True} for g in steps]
    out = []
    for start in sorted({t.start for r in runs for t in r}):
        # Channels that differ between states come from the input: one line, not one per channel
        # the random states happened to pick.
        chosen = {tuple(sorted({t.channel for t in r if t.start == start})) for r in runs}
        keys: list[int | None] = [*sorted(chosen.pop())] if len(chosen) == 1 else [None]
        for ch in keys:
            counts = {sum(1 for t in r if t.start == start and ch in (None, t.channel)) for r in runs}
            group = [t for r in runs for t in r if t.start == start and ch in (None, t.channel)]
            times = counts.pop() if len(counts) == 1 else None
            out.append({**_merged(group), "times": times, "every": times is not None and ch is not None})
    return out


# -- where the code takes each value from -----------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a stored byte came from: `imm` (an immediate of constants), `label` (an immediate
    built from a label), `mem` (a memory operand, `what` as
    written), `entry` (a register at entry); `part` the byte of that value; `computed` when the
    code changed the value after loading it."""

    kind: str
    what: str
    part: int = 0
    computed: bool = False

    @property
    def constant(self) -> bool:
        """An immediate of numbers and tree constants (`#$18`, `#$7EC880>>16`, `#VMDATAL`): its
        value in a run is the game's. One built from a label (`#Table`, kind `label`) is where
        the label sits in the sample's image, so the doc names the label instead."""
        return self.kind == "imm"

    def text(self) -> str:
        what = f"{self.what} at entry" if self.kind == "entry" else self.what
        return ("computed from " if self.computed else "from ") + what


_DEF_RE = re.compile(r"^\s*(!?[A-Za-z_]\w*)\s*=\s*(\$[0-9A-Fa-f]+|\d+)\s*(?:;.*)?$")
_LOADS = {"LDA": "a", "LDX": "x", "LDY": "y"}
_STORES = {"STA": "a", "STX": "x", "STY": "y", "STZ": None}
_MOVES = {"TAX": ("a", "x"), "TAY": ("a", "y"), "TXA": ("x", "a"), "TYA": ("y", "a"), "TXY": ("x", "y")}
_MOVES |= {"TYX": ("y", "x")}
_ALU = frozenset({"AND", "ORA", "EOR", "ADC", "SBC"})
_SHIFTS = frozenset({"ASL", "LSR", "ROL", "ROR", "INC", "DEC"})
_COUNTS = {"INX": "x", "DEX": "x", "INY": "y", "DEY": "y"}
_PULLS = {"PLA": "a", "PLX": "x", "PLY": "y", "TSC": "a", "TDC": "a", "XBA": "a", "TSX": "x"}
_ADDRESS_MARKER = re.compile(r"^#?_[0-9A-Fa-f]{6}:$")


def defines_of(code: str) -> dict[str, int]:
    """`NAME = $x` (and `!NAME = $x`) definitions of the code, with the register catalogue's
    names (`DMAP1`, `MDMAEN`): how the code's symbolic operands resolve."""
    out = {name: int(v["address"]) for name, v in io_registers().items()}
    for line in code.splitlines():
        m = _DEF_RE.match(line)
        if m:
            out[m.group(1)] = number(m.group(2)) or 0
    return out


def _address(operand: str, defines: Mapping[str, int]) -> int | None:
    """The I/O address of a plain (unindexed) operand, by value or by defined name."""
    op = operand.strip()
    if not op or op.startswith(("#", "(", "[")) or "," in op:
        return None
    value = number(op)
    if value is None:
        value = defines.get(op)
    if value is None or (value >> 16) & 0x7F >= 0x40:
        return None
    return value & 0xFFFF


_NAME_RE = re.compile(r"!?[A-Za-z_][\w.]*")


def _value_source(s: Stmt, defines: Mapping[str, int]) -> Source | None:
    v = immediate(s)
    if v is not None:
        return Source("imm", f"#${v:X}")
    if s.operand.startswith("#"):  # an expression: of constants (`#$7EC880>>16`) or a label's
        names = _NAME_RE.findall(re.sub(r"\$[0-9A-Fa-f]+", "", s.operand))
        return Source("imm" if all(n in defines for n in names) else "label", s.operand)
    return Source("mem", s.operand.strip()) if s.operand.strip() else None


def store_sources(code: str) -> dict[int, Source | None]:
    """For each channel register and start register the code stores by a plain operand, where
    its last store in the code's text took the value from (None: not known, e.g. pulled from
    the stack or after a call). The width of each store comes from the code's own REP/SEP."""
    defines = defines_of(code)
    stmts = parse(code)
    widths = track(stmts, None, None)
    regs: dict[str, Source | None] = {
        "a": Source("entry", "A"),
        "x": Source("entry", "X"),
        "y": Source("entry", "Y"),
    }
    out: dict[int, Source | None] = {}
    for s, (m, x) in zip(stmts, widths, strict=True):
        if s.kind == "label" and not _ADDRESS_MARKER.match(s.text):
            regs = dict.fromkeys(regs)  # a jump may arrive here with other values
            continue
        if s.kind != "insn":
            continue
        mn = s.mnemonic
        if mn in _LOADS:
            regs[_LOADS[mn]] = _value_source(s, defines)
        elif mn in _MOVES:
            a, b = _MOVES[mn]
            regs[b] = regs[a]
        elif mn in _ALU or (mn in _SHIFTS and s.operand.strip().upper() in ("", "A")):
            src = regs["a"]
            regs["a"] = None if src is None else Source(src.kind, src.what, src.part, True)
        elif mn in _COUNTS:
            src = regs[_COUNTS[mn]]
            regs[_COUNTS[mn]] = None if src is None else Source(src.kind, src.what, src.part, True)
        elif mn in _PULLS:
            regs[_PULLS[mn]] = None
        elif mn in ("JSR", "JSL", "MVN", "MVP"):
            regs = dict.fromkeys(regs)
        elif mn in _STORES:
            addr = _address(s.operand, defines)
            if addr is None or not (is_channel_register(addr) or addr in STARTS or addr in _PORT.values()):
                continue
            src = Source("imm", "#$0") if mn == "STZ" else regs[_STORES[mn] or "a"]
            width = m if mn in ("STA", "STZ") else x
            out[addr] = src
            if width == 16:
                out[addr + 1] = None if src is None else Source(src.kind, src.what, 1, src.computed)
            elif width is None:
                out[addr + 1] = None  # one byte or two: what the next register holds is not known
    return out


def named_io(code: str) -> tuple[frozenset[int], frozenset[int]]:
    """The I/O registers the code names: (addresses of plain operands, bases of operands indexed
    by X or Y). Registers a run reached otherwise went through a pointer or index from the input."""
    defines = defines_of(code)
    plain: set[int] = set()
    indexed: set[int] = set()
    for s in parse(code):
        if s.kind != "insn" or not s.operand:
            continue
        base, comma, _ = s.operand.partition(",")
        addr = _address(base, defines)
        if addr is not None and is_io(addr):
            (indexed if comma else plain).add(addr)
    return frozenset(plain), frozenset(indexed)


def started_channels(code: str) -> list[tuple[int, int | None]]:
    """(start register, channel mask or None when not an immediate) for each store to $420B or
    $420C in the code (a `STZ` stops transfers: not a start)."""
    defines = defines_of(code)
    out: list[tuple[int, int | None]] = []
    value: dict[str, int | None] = {"a": None, "x": None, "y": None}
    for s in parse(code):
        if s.kind != "insn":
            continue
        mn = s.mnemonic
        if mn in _LOADS:
            value[_LOADS[mn]] = immediate(s)
        elif mn in _MOVES:
            a, b = _MOVES[mn]
            value[b] = value[a]
        elif mn in ("STA", "STX", "STY"):
            if _address(s.operand, defines) in STARTS:
                v = value[_STORES[mn] or "a"]
                if v is None or v & 0xFF:
                    out.append((_address(s.operand, defines) or 0, None if v is None else v & 0xFF))
        elif mn in _ALU or mn in _SHIFTS or mn in _PULLS:
            value["a"] = None
        elif mn in _COUNTS or mn in ("JSR", "JSL", "PLX", "PLY", "TSX", "MVN", "MVP"):
            value = dict.fromkeys(value)
    return out


# -- the doc's words ---------------------------------------------------------------------------


def _param(
    t: Mapping[str, Any], names: Sequence[str], sources: Mapping[int, Source | None]
) -> tuple[int | None, str | None]:
    """(value, words): the value when every run stored the same one and the code does not take
    it from the input, else the words saying where it comes from; (None, None) when unset."""
    params, ch = t["params"], t["channel"]
    values = [params[n] for n in names]
    if all(v == UNSET for v in values):
        return None, None
    srcs = [sources.get(register_of(n, ch)) if ch is not None else None for n in names]
    fixed = all(isinstance(v, int) for v in values) and all(s is None or s.constant for s in srcs)
    if fixed:
        return sum(int(v) << (8 * i) for i, v in enumerate(values)), None
    first = srcs[0]
    if (
        first is not None
        and not first.constant
        and all(
            s is not None and (s.kind, s.what, s.part) == (first.kind, first.what, i)
            for i, s in enumerate(srcs)
        )
    ):
        return None, first.text()
    parts = []
    for i, (v, s) in enumerate(zip(values, srcs, strict=True)):
        byte = ("low byte", "high byte", "bank byte")[i] if len(names) > 1 else "value"
        if isinstance(v, int) and (s is None or s.constant):
            parts.append(f"{byte} ${v:02X}")
        elif v == UNSET:
            parts.append(f"{byte} as the caller left it")
        elif s is not None and not s.constant:
            part = "" if s.part == 0 else " (its high byte)"
            parts.append(f"{byte} {s.text()}{part}")
        else:
            parts.append(f"{byte} set from the input")
    if all(p.endswith(" set from the input") for p in parts):
        return None, "set from the input"  # by code this reading does not follow (an index, a loop)
    return None, ", ".join(parts) if len(parts) > 1 else parts[0].removeprefix("value ")


def _mode_text(mode: int, bbad: int | None, hdma: bool) -> str:
    regs = ""
    if bbad is not None:
        offsets = sorted(set(DMA_PATTERNS[mode & 7]))
        regs = "writes " + ", ".join(f"${0x2100 | ((bbad + o) & 0xFF):04X}" for o in offsets) + "; "
    direction = "B-bus to A-bus" if mode & 0x80 and not hdma else "A-bus to B-bus"
    if hdma:
        step = "indirect table" if mode & 0x40 else "direct table"
    else:
        step = (
            "fixed A-bus address"
            if mode & 0x08
            else ("address decrementing" if mode & 0x10 else "address incrementing")
        )
    return f"mode {mode & 7} (DMAP ${mode:02X}: {regs}{direction}, {step})"


def dma_lines(transfers: Sequence[Mapping[str, Any]], sources: Mapping[int, Source | None]) -> list[str]:
    """One doc line per transfer: channel, DMAP mode, B-bus register by name, A-bus address and
    byte count as the game sets them, or where the code takes them from."""
    lines = []
    for t in transfers:
        hdma = t["start"] == 0x420C
        ch = t["channel"]
        kind = "HDMA" if hdma else "DMA"
        where = (
            f"channel {ch} (${0x4300 | (ch << 4):04X}-${0x4300 | (ch << 4) | (7 if hdma else 6):04X})"
            if ch is not None
            else "a channel set from the input"
        )
        start = t["start"]
        head = f"- {kind} {where}, {'enabled' if hdma else 'started'} by {STARTS[start]} ${start:04X}"
        times = t.get("times", 1)
        if times is None:
            head += " a number of times that depends on the input"
        elif times > 1:
            head += f" {times} times"
        if not t["every"]:
            head += " (not the same on every state)"
        parts = []
        mode, mode_from = _param(t, ["DMAP"], sources)
        bbad, bbad_from = _param(t, ["BBAD"], sources)
        if mode is not None:
            parts.append(_mode_text(mode, bbad, hdma))
        else:
            parts.append(f"mode {mode_from or 'as the caller left it'}")
        if bbad is not None:
            parts.append(f"B-bus {register_text(0x2100 | bbad)}")
        else:
            parts.append(f"B-bus register {bbad_from or 'as the caller left it'}")
        label = "table" if hdma else "A-bus"
        low, low_from = _param(t, ["A1TL", "A1TH"], sources)
        bank, bank_from = _param(t, ["A1B"], sources)
        if low is not None and bank is not None:
            parts.append(f"{label} ${bank:02X}{low:04X}")
        elif bank is not None:
            parts.append(f"{label} bank ${bank:02X}, address {low_from or 'as the caller left it'}")
        else:
            low_text = f"${low:04X}" if low is not None else low_from or "as the caller left it"
            parts.append(f"{label} address {low_text}, bank {bank_from or 'as the caller left it'}")
        if hdma:
            ind, ind_from = _param(t, ["DASB"], sources)
            if ind is not None:
                parts.append(f"indirect bank ${ind:02X}")
            elif ind_from:
                parts.append(f"indirect bank {ind_from}")
        else:
            size, size_from = _param(t, ["DASL", "DASH"], sources)
            if size is not None:
                parts.append(f"size ${size:04X} ({size or 0x10000} bytes)")
            else:
                parts.append(f"size {size_from or 'as the caller left it'}")
            if "WMADDL" in t["params"]:
                wram, wram_from = _param(t, list(_PORT), sources)
                into = "from" if isinstance(mode, int) and mode & 0x80 else "into"
                if wram is not None:
                    parts.append(f"{into} WRAM ${0x7E0000 + wram:06X} through the port")
                else:
                    parts.append(f"{into} WRAM at the port address {wram_from or 'as the caller left it'}")
        lines.append(head + ": " + "; ".join(parts) + ".")
    return lines
