"""Generate one specialised interpreter loop per CPU mode.

The bsnes idea, taken to Python: every opcode is an (addressing pattern × algorithm) template,
and the templates are expanded once per mode — emulation, and native with each M/X width
combination — so the hot loop never asks "am I 8 or 16 bit?". Each mode becomes one Python
function whose registers are local variables and whose 256 opcode bodies sit in a balanced
`if op < k` tree. A loop returns (reason SWITCH) when REP, SEP, PLP, RTI or XCE change the mode,
and the caller enters the loop of the new mode.

Each mode exists twice: with a flat 16 MiB `bytearray` indexed directly (`mem[addr]`), and
with the bus's `read(addr)` / `write(addr, value)` methods, so that the SNES bus's mapping,
MMIO and watches see every access. The bus loops get `(fetch, pages)` in the `mem` slot and take
instruction bytes from `pages[addr >> 13]` (8 KiB views of ROM, when the bus offers them: a
caller that does not watch code fetches) or else from `fetch(addr)` (the bus's `fetch` or `read`).

Register locals in the generated code: a x y s d (plain values), `dbs`/`pbs` (data and program
bank already shifted left by 16), pc (16-bit), and flags kept lazily: `n_` (bit 7 is N), `z_`
(zero means Z set), `c_`, `v_`, `dm` (decimal), `i_` as 0/1; M and X are fixed per loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from triforce.snes.opcodes import OPCODES, Mode

# Loop exit reasons (ints in the hot path; mapped to StopReason by the core).
EXIT_LIMIT, EXIT_CYCLES, EXIT_SENTINEL, EXIT_RETURN, EXIT_BRK, EXIT_COP, EXIT_STP, EXIT_WAI = range(8)
EXIT_SWITCH = 8  # the mode changed: continue in another loop
EXIT_WRAP = 9  # flat loop only: the next instruction's bytes may wrap past $FFFF in its bank

# Rough opcode frequencies in SNES game code (loads, stores, branches, calls, REP/SEP first);
# the dispatch tree is weight-balanced on these so common opcodes are found in fewer tests.
_HOT = {
    0xA9: 60, 0xA5: 40, 0xAD: 50, 0xBD: 30, 0xB9: 20, 0xAF: 20, 0xBF: 10, 0xB7: 8, 0xB1: 8,
    0x85: 40, 0x8D: 50, 0x9D: 25, 0x99: 15, 0x8F: 20, 0x9F: 10, 0x97: 6, 0x91: 6, 0x64: 15,
    0x9C: 20, 0x9E: 8, 0xF0: 40, 0xD0: 40, 0x90: 20, 0xB0: 20, 0x10: 15, 0x30: 15, 0x80: 20,
    0x20: 30, 0x60: 30, 0x22: 30, 0x6B: 30, 0xC2: 25, 0xE2: 25, 0x18: 20, 0x38: 15, 0x69: 20,
    0xE9: 10, 0xC9: 25, 0x29: 20, 0x09: 10, 0xE8: 15, 0xC8: 15, 0xCA: 12, 0x88: 12, 0xAA: 12,
    0xA8: 12, 0x8A: 10, 0x98: 8, 0xA2: 25, 0xA0: 20, 0xA6: 10, 0xA4: 8, 0xAE: 10, 0xAC: 6,
    0x48: 10, 0x68: 10, 0xDA: 8, 0xFA: 8, 0x5A: 6, 0x7A: 6, 0x0A: 12, 0x4A: 12, 0x1A: 8,
    0x3A: 8, 0xE6: 8, 0xC6: 8, 0xEE: 6, 0xCE: 6, 0x4C: 15, 0x5C: 8, 0xEB: 6, 0xC5: 8, 0xCD: 8,
    0xDD: 6, 0x25: 6, 0x05: 6, 0x65: 8, 0x6D: 6, 0x7D: 5, 0x8B: 5, 0xAB: 5, 0x86: 8, 0x84: 6,
    0x8E: 8, 0x8C: 6, 0xE0: 10, 0xC0: 8, 0xE4: 4, 0x0B: 4, 0x2B: 4, 0x4B: 4, 0xFC: 4, 0x7C: 4,
    0x95: 8, 0xB5: 8, 0x6C: 3, 0x08: 5, 0x28: 5, 0x5B: 3, 0x7B: 3, 0xEA: 3, 0x54: 3, 0x44: 2,
}  # fmt: skip

# Bus cycles with 8-bit data, by addressing mode, for reads, writes and read-modify-writes.
_READ_CYCLES = {
    Mode.DP: 3, Mode.DP_X: 4, Mode.DP_Y: 4, Mode.DP_IND: 5, Mode.DP_X_IND: 6, Mode.DP_IND_Y: 5,
    Mode.DP_IND_LONG: 6, Mode.DP_IND_LONG_Y: 6, Mode.ABS: 4, Mode.ABS_X: 4, Mode.ABS_Y: 4,
    Mode.LONG: 5, Mode.LONG_X: 5, Mode.SR: 4, Mode.SR_IND_Y: 7,
}  # fmt: skip
_WRITE_CYCLES = {**_READ_CYCLES, Mode.ABS_X: 5, Mode.ABS_Y: 5, Mode.DP_IND_Y: 6}
_RMW_CYCLES = {Mode.DP: 5, Mode.DP_X: 6, Mode.ABS: 6, Mode.ABS_X: 7}
_DIRECT_MODES = frozenset(
    {Mode.DP, Mode.DP_X, Mode.DP_Y, Mode.DP_IND, Mode.DP_X_IND, Mode.DP_IND_Y, Mode.DP_IND_LONG,
     Mode.DP_IND_LONG_Y}
)  # fmt: skip

_M_READ = frozenset({"ORA", "AND", "EOR", "ADC", "SBC", "CMP", "LDA", "BIT"})
_X_READ = {"LDX": "x", "LDY": "y", "CPX": "x", "CPY": "y"}
_STORES = {"STA": "a", "STX": "x", "STY": "y", "STZ": None}
_RMW = frozenset({"ASL", "LSR", "ROL", "ROR", "INC", "DEC", "TSB", "TRB"})
_BRANCHES = {
    "BPL": "(n_ & 0x80) == 0", "BMI": "n_ & 0x80", "BVC": "not v_", "BVS": "v_",
    "BCC": "not c_", "BCS": "c_", "BNE": "z_", "BEQ": "not z_",
}  # fmt: skip


@dataclass(frozen=True)
class Variant:
    """One interpreter loop: emulation or native with M/X widths, and the memory path."""

    e: bool
    m8: bool
    x8: bool
    fast: bool
    cycle_limit: bool = True  # check a cycle budget after each instruction
    sentinel: bool = True  # check for a stop address after each instruction

    @property
    def name(self) -> str:
        mode = "e" if self.e else f"n{int(self.m8)}{int(self.x8)}"
        checks = ("_c" if self.cycle_limit else "") + ("_s" if self.sentinel else "")
        return f"_run_{mode}_{'flat' if self.fast else 'bus'}{checks}"


class _Gen:
    """Code snippets for one variant; methods return lists of source lines."""

    def __init__(self, v: Variant) -> None:
        self.v = v
        self.e = v.e
        self.m8 = v.m8
        self.x8 = v.x8
        self.mf = 1 if v.m8 else 0
        self.xf = 1 if v.x8 else 0
        mx = 0x30 if v.e else (self.mf << 5) | (self.xf << 4)
        self.p_expr = f"((n_ & 0x80) | (v_ << 6) | {mx} | (dm << 3) | (i_ << 2) | ((z_ == 0) << 1) | c_)"

    # -- memory -------------------------------------------------------------------------
    def rd(self, addr: str) -> str:
        return f"mem[{addr}]" if self.v.fast else f"read({addr})"

    def wr(self, addr: str, value: str) -> str:
        return f"mem[{addr}] = {value}" if self.v.fast else f"write({addr}, {value})"

    def op8(self, k: int = 1, exact: bool = False) -> str:
        """Operand byte k. The flat loop never runs an instruction with PC > $FFFB (it hands
        those to the bus loop), so it can index from the opcode address without wrapping.
        The bus loop reads it from the instruction's ROM page when it has one (`cpg`, see
        `generate`), else through `fetch`; `exact` always uses `fetch`, for an operand fetched
        after a bus write of the same instruction (so the open bus is that byte again)."""
        if self.v.fast:
            return f"mem[pbpc + {k}]"
        if exact:
            return f"fetch(pbs | ((pc + {k}) & 0xFFFF))"
        return f"(cpg[po + {k}] if cpg is not None else fetch(pbs | ((pc + {k}) & 0xFFFF)))"

    def adv(self, length: int) -> str:
        return f"pc += {length}" if self.v.fast else f"pc = (pc + {length}) & 0xFFFF"

    def op16(self) -> str:
        return f"{self.op8(1)} | {self.op8(2)} << 8"

    def op24(self) -> str:
        return f"{self.op8(1)} | {self.op8(2)} << 8 | {self.op8(3)} << 16"

    # -- stack ----------------------------------------------------------------------------
    def push(self, value: str, new: bool = False) -> list[str]:
        """Push one byte; 6502-era opcodes wrap inside page 1 in emulation mode, new ones do not."""
        if self.e and not new:
            return [self.wr("s", value), "s = 0x100 | ((s - 1) & 0xFF)"]
        return [self.wr("s", value), "s = (s - 1) & 0xFFFF"]

    def pull(self, var: str, new: bool = False) -> list[str]:
        if self.e and not new:
            return ["s = 0x100 | ((s + 1) & 0xFF)", f"{var} = {self.rd('s')}"]
        return ["s = (s + 1) & 0xFFFF", f"{var} = {self.rd('s')}"]

    def stack_fix(self) -> list[str]:
        """After a new (65816) stack opcode in emulation mode, S goes back to page 1."""
        return ["s = 0x100 | (s & 0xFF)"] if self.e else []

    # -- flags ----------------------------------------------------------------------------
    def set_p(self) -> list[str]:
        """Unpack local `p` into the flag locals (and `mf`/`xf` in native mode)."""
        lines = [
            "n_ = p & 0x80", "v_ = (p >> 6) & 1", "dm = (p >> 3) & 1", "i_ = (p >> 2) & 1",
            "z_ = (p & 2) ^ 2", "c_ = p & 1",
        ]  # fmt: skip
        if not self.e:
            lines += ["mf = (p >> 5) & 1", "xf = (p >> 4) & 1", "if xf:", "    x &= 0xFF", "    y &= 0xFF"]
        return lines

    def switch_check(self) -> list[str]:
        if self.e:
            return []
        return [f"if mf != {self.mf} or xf != {self.xf}:", "    reason = 8", "    break"]

    def nz(self, value: str, wide: bool) -> list[str]:
        return [f"z_ = {value}", f"n_ = {value} >> 8"] if wide else [f"n_ = z_ = {value}"]

    # -- addressing -----------------------------------------------------------------------
    def ea(self, mode: Mode, kind: str, wide: bool) -> tuple[list[str], str, int, str]:
        """Lines setting `ea`, the high-byte address expression, base cycles and extra cycles."""
        e = self.e
        table = {"r": _READ_CYCLES, "w": _WRITE_CYCLES, "m": _RMW_CYCLES}[kind]
        cycles = table[mode] + ((2 if kind == "m" else 1) if wide else 0)
        extra = " + dl1" if mode in _DIRECT_MODES else ""
        bank0 = "(ea + 1) & 0xFFFF"
        flat = "(ea + 1) & 0xFFFFFF"
        o8 = f"o = {self.op8()}"
        o16 = f"o = {self.op16()}"
        rd = self.rd
        if mode is Mode.DP:
            return [o8, "ea = (d + o) & 0xFFFF"], bank0, cycles, extra
        if mode in (Mode.DP_X, Mode.DP_Y):
            r = "x" if mode is Mode.DP_X else "y"
            if e:
                line = f"ea = (d + o + {r}) & 0xFFFF if dl1 else d | ((o + {r}) & 0xFF)"
            else:
                line = f"ea = (d + o + {r}) & 0xFFFF"
            return [o8, line], bank0, cycles, extra
        if mode in (Mode.DP_IND, Mode.DP_IND_Y):
            hi = "(t + 1) & 0xFFFF if dl1 else d | ((o + 1) & 0xFF)" if e else "(t + 1) & 0xFFFF"
            lines = [o8, "t = (d + o) & 0xFFFF", f"p = {rd('t')} | {rd(hi)} << 8"]
            if mode is Mode.DP_IND:
                lines.append("ea = dbs | p")
            else:
                lines.append("ea = (dbs + p + y) & 0xFFFFFF")
                if kind == "r":
                    extra += " + 1" if not self.x8 else " + (((p & 0xFF) + y) >> 8)"
            return lines, flat, cycles, extra
        if mode is Mode.DP_X_IND:
            if e:
                lines = [
                    o8, "if dl1:", "    t = (d + o + x) & 0xFFFF", "    t2 = (t + 1) & 0xFFFF", "else:",
                    "    t = d | ((o + x) & 0xFF)", "    t2 = d | ((o + x + 1) & 0xFF)",
                ]  # fmt: skip
            else:
                lines = [o8, "t = (d + o + x) & 0xFFFF", "t2 = (t + 1) & 0xFFFF"]
            lines.append(f"ea = dbs | {rd('t')} | {rd('t2')} << 8")
            return lines, flat, cycles, extra
        if mode in (Mode.DP_IND_LONG, Mode.DP_IND_LONG_Y):
            lines = [
                o8, "t = d + o",
                f"ea = {rd('t & 0xFFFF')} | {rd('(t + 1) & 0xFFFF')} << 8 | {rd('(t + 2) & 0xFFFF')} << 16",
            ]  # fmt: skip
            if mode is Mode.DP_IND_LONG_Y:
                lines.append("ea = (ea + y) & 0xFFFFFF")
            return lines, flat, cycles, extra
        if mode is Mode.ABS:
            return [o16, "ea = dbs | o"], flat, cycles, extra
        if mode in (Mode.ABS_X, Mode.ABS_Y):
            r = "x" if mode is Mode.ABS_X else "y"
            if kind == "r":
                extra += " + 1" if not self.x8 else f" + (((o & 0xFF) + {r}) >> 8)"
            return [o16, f"ea = (dbs + o + {r}) & 0xFFFFFF"], flat, cycles, extra
        if mode is Mode.LONG:
            return [f"ea = {self.op24()}"], flat, cycles, extra
        if mode is Mode.LONG_X:
            return [f"ea = ({self.op24()}) + x & 0xFFFFFF"], flat, cycles, extra
        if mode is Mode.SR:
            return [o8, "ea = (s + o) & 0xFFFF"], bank0, cycles, extra
        if mode is Mode.SR_IND_Y:
            lines = [
                o8, "t = s + o",
                f"ea = (dbs + ({rd('t & 0xFFFF')} | {rd('(t + 1) & 0xFFFF')} << 8) + y) & 0xFFFFFF",
            ]  # fmt: skip
            return lines, flat, cycles, extra
        raise ValueError(f"no data addressing for mode {mode}")

    def load(self, mode: Mode, kind: str, wide: bool) -> tuple[list[str], int, str, str]:
        """Lines reading the operand into `v` (immediate or memory)."""
        if mode in (Mode.IMM_M, Mode.IMM_X):
            if wide:
                return [f"v = {self.op16()}"], 3, "", ""
            return [f"v = {self.op8()}"], 2, "", ""
        lines, hi, cycles, extra = self.ea(mode, kind, wide)
        if wide:
            lines.append(f"v = {self.rd('ea')} | {self.rd(hi)} << 8")
        else:
            lines.append(f"v = {self.rd('ea')}")
        return lines, cycles, extra, hi

    # -- algorithms -----------------------------------------------------------------------
    def alu_m(self, mn: str, imm: bool) -> list[str]:
        if self.m8:
            return {
                "LDA": ["a = (a & 0xFF00) | v", "n_ = z_ = v"],
                "ORA": ["a |= v", "n_ = z_ = a & 0xFF"],
                "AND": ["a &= v | 0xFF00", "n_ = z_ = a & 0xFF"],
                "EOR": ["a ^= v", "n_ = z_ = a & 0xFF"],
                "ADC": _adc8("_adc8d"),
                "SBC": ["v ^= 0xFF", *_adc8("_sbc8d")],
                "CMP": ["r = (a & 0xFF) + (v ^ 0xFF) + 1", "c_ = r >> 8", "n_ = z_ = r & 0xFF"],
                "BIT": ["z_ = a & v & 0xFF"] if imm else ["z_ = a & v & 0xFF", "n_ = v", "v_ = (v >> 6) & 1"],
            }[mn]
        return {
            "LDA": ["a = z_ = v", "n_ = v >> 8"],
            "ORA": ["a |= v", "z_ = a", "n_ = a >> 8"],
            "AND": ["a &= v", "z_ = a", "n_ = a >> 8"],
            "EOR": ["a ^= v", "z_ = a", "n_ = a >> 8"],
            "ADC": _adc16("_adc16d"),
            "SBC": ["v ^= 0xFFFF", *_adc16("_sbc16d")],
            "CMP": ["r = a + (v ^ 0xFFFF) + 1", "c_ = r >> 16", "z_ = r & 0xFFFF", "n_ = z_ >> 8"],
            "BIT": ["z_ = a & v"] if imm else ["z_ = a & v", "n_ = v >> 8", "v_ = (v >> 14) & 1"],
        }[mn]

    def alu_x(self, mn: str) -> list[str]:
        r = _X_READ[mn]
        if mn.startswith("LD"):
            return [f"{r} = n_ = z_ = v"] if self.x8 else [f"{r} = z_ = v", "n_ = v >> 8"]
        if self.x8:
            return [f"t = {r} + (v ^ 0xFF) + 1", "c_ = t >> 8", "n_ = z_ = t & 0xFF"]
        return [f"t = {r} + (v ^ 0xFFFF) + 1", "c_ = t >> 16", "z_ = t & 0xFFFF", "n_ = z_ >> 8"]

    def modify(self, mn: str) -> list[str]:
        """Read-modify-write algorithm: `v` in, `r` out, flags set."""
        bits, mask = (8, "0xFF") if self.m8 else (16, "0xFFFF")
        nz = self.nz("r", not self.m8)
        return {
            "ASL": [f"c_ = v >> {bits - 1}", f"r = (v << 1) & {mask}", *nz],
            "LSR": ["c_ = v & 1", "r = v >> 1", *nz],
            "ROL": ["r = (v << 1) | c_", f"c_ = r >> {bits}", f"r &= {mask}", *nz],
            "ROR": [f"r = (v >> 1) | (c_ << {bits - 1})", "c_ = v & 1", *nz],
            "INC": [f"r = (v + 1) & {mask}", *nz],
            "DEC": [f"r = (v - 1) & {mask}", *nz],
            "TSB": [f"z_ = v & a & {mask}", f"r = v | (a & {mask})"],
            "TRB": [f"z_ = v & a & {mask}", f"r = v & ~a & {mask}"],
        }[mn]


def _adc8(decimal_fn: str) -> list[str]:
    return [
        "if dm:",
        f"    r, c_, v_ = {decimal_fn}(a & 0xFF, v, c_)",
        "else:",
        "    t = a & 0xFF",
        "    r = t + v + c_",
        "    v_ = ((~(t ^ v) & (t ^ r)) >> 7) & 1",
        "    c_ = r >> 8",
        "    r &= 0xFF",
        "a = (a & 0xFF00) | r",
        "n_ = z_ = r",
    ]


def _adc16(decimal_fn: str) -> list[str]:
    return [
        "if dm:",
        f"    a, c_, v_ = {decimal_fn}(a, v, c_)",
        "else:",
        "    r = a + v + c_",
        "    v_ = ((~(a ^ v) & (a ^ r)) >> 15) & 1",
        "    c_ = r >> 16",
        "    a = r & 0xFFFF",
        "z_ = a",
        "n_ = a >> 8",
    ]


def _opcode_body(g: _Gen, code: int) -> list[str]:
    """Source lines for one opcode in one variant (ends with pc and cycle updates)."""
    op = OPCODES[code]
    mn, mode = op.mnemonic, op.mode
    length = op.length(g.m8, g.x8)
    adv = [g.adv(length)]
    e, m8, x8 = g.e, g.m8, g.x8

    def done(cycles: int | str, extra: str = "") -> list[str]:
        return [*adv, f"cyc += {cycles}{extra}"]

    if mn in _M_READ:
        lines, cycles, extra, _ = g.load(mode, "r", not m8)
        return [*lines, *g.alu_m(mn, mode is Mode.IMM_M), *done(cycles, extra)]
    if mn in _X_READ:
        lines, cycles, extra, _ = g.load(mode, "r", not x8)
        return [*lines, *g.alu_x(mn), *done(cycles, extra)]
    if mn in _STORES:
        reg = _STORES[mn]
        wide = not (x8 if reg in ("x", "y") else m8)
        lines, hi, cycles, extra = g.ea(mode, "w", wide)
        if reg is None:
            lines.append(g.wr("ea", "0"))
            if wide:
                lines.append(g.wr(hi, "0"))
        elif wide:
            lines += [g.wr("ea", f"{reg} & 0xFF"), g.wr(hi, f"{reg} >> 8")]
        else:
            lines.append(g.wr("ea", f"{reg} & 0xFF" if reg == "a" else reg))
        return [*lines, *done(cycles, extra)]
    if mn in _RMW:
        if mode is Mode.ACC:
            read = ["v = a & 0xFF"] if m8 else ["v = a"]
            store = ["a = (a & 0xFF00) | r"] if m8 else ["a = r"]
            return [*read, *g.modify(mn), *store, *done(2)]
        lines, cycles, extra, hi = g.load(mode, "m", not m8)
        if m8:
            store = [g.wr("ea", "r")]
        else:
            store = [g.wr(hi, "r >> 8"), g.wr("ea", "r & 0xFF")]
        return [*lines, *g.modify(mn), *store, *done(cycles, extra)]
    if mn in _BRANCHES or mn == "BRA":
        cond = _BRANCHES.get(mn, "True")
        cross = " + ((((pc + 2) & 0xFFFF) ^ t) > 0xFF)" if e else ""
        taken = [
            f"o = {g.op8()}",
            "t = (pc + 2 + o - ((o & 0x80) << 1)) & 0xFFFF",
            f"cyc += 3{cross}",
            "pc = t",
        ]
        if mn == "BRA":
            return taken
        return [
            f"if {cond}:",
            *("    " + line for line in taken),
            "else:",
            f"    {g.adv(2)}",
            "    cyc += 2",
        ]
    return _special(g, code, mn, done)


def _special(g: _Gen, code: int, mn: str, fin: Callable[..., list[str]]) -> list[str]:
    """Opcodes that are not (addressing pattern × ALU algorithm): flow, stack, flags, transfers."""
    e, m8, x8 = g.e, g.m8, g.x8
    rd = g.rd
    nz_x = g.nz
    p_expr = g.p_expr
    xm = "0xFF" if x8 else "0xFFFF"

    def incdec(reg: str, delta: str) -> list[str]:
        return [f"{reg} = ({reg} {delta} 1) & {xm}", *nz_x(reg, not x8)]

    def transfer_x(dst: str, src: str) -> list[str]:
        if x8:
            return [f"{dst} = n_ = z_ = {src} & 0xFF"]
        return [f"{dst} = z_ = {src}", f"n_ = {dst} >> 8"]

    def transfer_a(src: str) -> list[str]:
        if m8:
            return [f"a = (a & 0xFF00) | ({src} & 0xFF)", f"n_ = z_ = {src} & 0xFF"]
        return [f"a = z_ = {src}", f"n_ = {src} >> 8"]

    def push_w(value: str, wide: bool, new: bool = False) -> list[str]:
        if wide:
            return [*g.push(f"{value} >> 8", new), *g.push(f"{value} & 0xFF", new)]
        return g.push(value, new)

    def pull_reg(reg: str, wide: bool) -> list[str]:
        if wide:
            return [*g.pull("t"), *g.pull("v"), f"{reg} = z_ = t | v << 8", f"n_ = {reg} >> 8"]
        if reg == "a":
            return [*g.pull("v"), "a = (a & 0xFF00) | v", "n_ = z_ = v"]
        return [*g.pull("v"), f"{reg} = n_ = z_ = v"]

    def interrupt(vector: int, stop_reason: int) -> list[str]:
        lines = [
            "if stop_brk:",
            "    count -= 1",
            f"    reason = {stop_reason}",
            "    break",
            "t = (pc + 2) & 0xFFFF",
        ]
        if not e:
            lines += g.push("pbs >> 16")
        lines += [*g.push("t >> 8"), *g.push("t & 0xFF"), *g.push(p_expr)]
        lines += ["i_ = 1", "dm = 0", "pbs = 0", f"pc = {rd(hex(vector))} | {rd(hex(vector + 1))} << 8"]
        return [*lines, f"cyc += {7 if e else 8}"]

    ret_check = ["if stop_ret and sb >= s0:", "    reason = 3", "    break"]
    simple_flags = {
        "CLC": "c_ = 0",
        "SEC": "c_ = 1",
        "CLI": "i_ = 0",
        "SEI": "i_ = 1",
        "CLD": "dm = 0",
        "SED": "dm = 1",
        "CLV": "v_ = 0",
    }
    if mn in simple_flags:
        return [simple_flags[mn], *fin(2)]
    table: dict[str, list[str]] = {
        "NOP": fin(2),
        "WDM": fin(2),
        "INX": [*incdec("x", "+"), *fin(2)],
        "INY": [*incdec("y", "+"), *fin(2)],
        "DEX": [*incdec("x", "-"), *fin(2)],
        "DEY": [*incdec("y", "-"), *fin(2)],
        "TAX": [*transfer_x("x", "a"), *fin(2)],
        "TAY": [*transfer_x("y", "a"), *fin(2)],
        "TXY": [*transfer_x("y", "x"), *fin(2)],
        "TYX": [*transfer_x("x", "y"), *fin(2)],
        "TSX": [*transfer_x("x", "s"), *fin(2)],
        "TXA": [*transfer_a("x"), *fin(2)],
        "TYA": [*transfer_a("y"), *fin(2)],
        "TXS": ["s = 0x100 | x" if e else "s = x", *fin(2)],
        "TCS": ["s = 0x100 | (a & 0xFF)" if e else "s = a", *fin(2)],
        "TSC": ["a = z_ = s", "n_ = s >> 8", *fin(2)],
        "TCD": ["d = z_ = a", "n_ = a >> 8", "dl1 = 1 if d & 0xFF else 0", *fin(2)],
        "TDC": ["a = z_ = d", "n_ = d >> 8", *fin(2)],
        "XBA": ["a = (a >> 8) | ((a & 0xFF) << 8)", "n_ = z_ = a & 0xFF", *fin(3)],
        "PHA": [*push_w("a" if not m8 else "a & 0xFF", not m8), *fin(3 if m8 else 4)],
        "PHX": [*push_w("x", not x8), *fin(3 if x8 else 4)],
        "PHY": [*push_w("y", not x8), *fin(3 if x8 else 4)],
        "PHP": [*g.push(p_expr), *fin(3)],
        "PHB": [*g.push("dbs >> 16"), *fin(3)],
        "PHK": [*g.push("pbs >> 16"), *fin(3)],
        "PHD": [*push_w("d", True, new=True), *g.stack_fix(), *fin(4)],
        "PLA": [*pull_reg("a", not m8), *fin(4 if m8 else 5)],
        "PLX": [*pull_reg("x", not x8), *fin(4 if x8 else 5)],
        "PLY": [*pull_reg("y", not x8), *fin(4 if x8 else 5)],
        "PLP": [*g.pull("p"), *g.set_p(), *fin(4), *g.switch_check()],
        "PLB": [*g.pull("v", new=True), "dbs = v << 16", "n_ = z_ = v", *g.stack_fix(), *fin(4)],
        "PLD": [
            *g.pull("t", new=True),
            *g.pull("v", new=True),
            "d = z_ = t | v << 8",
            "n_ = v",
            "dl1 = 1 if t else 0",
            *g.stack_fix(),
            *fin(5),
        ],
        "PEA": [f"v = {g.op16()}", *push_w("v", True, new=True), *g.stack_fix(), *fin(5)],
        "PEI": [
            f"o = {g.op8()}",
            "t = d + o",
            f"v = {rd('t & 0xFFFF')} | {rd('(t + 1) & 0xFFFF')} << 8",
            *push_w("v", True, new=True),
            *g.stack_fix(),
            *fin(6, " + dl1"),
        ],
        "PER": [
            f"v = (pc + 3 + ({g.op16()})) & 0xFFFF",
            *push_w("v", True, new=True),
            *g.stack_fix(),
            *fin(6),
        ],
        "JMP": [],
        "JML": [],
        "BRL": [f"pc = (pc + 3 + ({g.op16()})) & 0xFFFF", "cyc += 4"],
        "JSR": [],
        "JSL": [
            f"o = {g.op16()}",
            *g.push("pbs >> 16", new=True),
            f"pbs = {g.op8(3)} << 16",
            "t = (pc + 3) & 0xFFFF",
            *push_w("t", True, new=True),
            *g.stack_fix(),
            "pc = o",
            "cyc += 8",
        ],
        "RTS": [
            "sb = s",
            *g.pull("t"),
            *g.pull("v"),
            "pc = ((t | v << 8) + 1) & 0xFFFF",
            "cyc += 6",
            *ret_check,
        ],
        "RTL": [
            "sb = s",
            *g.pull("t", new=True),
            *g.pull("v", new=True),
            *g.pull("o", new=True),
            "pc = ((t | v << 8) + 1) & 0xFFFF",
            "pbs = o << 16",
            *g.stack_fix(),
            "cyc += 6",
            *ret_check,
        ],
        "RTI": [
            "sb = s",
            *g.pull("p"),
            *g.set_p(),
            *g.pull("t"),
            *g.pull("v"),
            "pc = t | v << 8",
            *([] if e else [*g.pull("o"), "pbs = o << 16"]),
            f"cyc += {6 if e else 7}",
            *ret_check,
            *g.switch_check(),
        ],
        "REP": [f"p = {p_expr} & ~{g.op8()}", *g.set_p(), *fin(3), *g.switch_check()],
        "SEP": [f"p = {p_expr} | {g.op8()}", *g.set_p(), *fin(3), *g.switch_check()],
        "XCE": [],
        "BRK": interrupt(0xFFFE if e else 0xFFE6, EXIT_BRK),
        "COP": interrupt(0xFFF4 if e else 0xFFE4, EXIT_COP),
        "STP": [*fin(3), "cpu._stopped = True", f"reason = {EXIT_STP}", "break"],
        "WAI": [*fin(3), "cpu._waiting = True", f"reason = {EXIT_WAI}", "break"],
        "MVN": [],
        "MVP": [],
    }
    body = table[mn]
    if mn == "JMP":
        if code == 0x4C:
            body = [f"pc = {g.op16()}", "cyc += 3"]
        elif code == 0x6C:
            body = [f"o = {g.op16()}", f"pc = {rd('o')} | {rd('(o + 1) & 0xFFFF')} << 8", "cyc += 5"]
        else:  # JMP (a,x)
            body = [
                f"t = (({g.op16()}) + x) & 0xFFFF",
                f"pc = {rd('pbs | t')} | {rd('pbs | ((t + 1) & 0xFFFF)')} << 8",
                "cyc += 6",
            ]
    elif mn == "JML":
        if code == 0x5C:
            body = [f"o = {g.op24()}", "pbs = o & 0xFF0000", "pc = o & 0xFFFF", "cyc += 4"]
        else:  # JML [a]
            body = [
                f"o = {g.op16()}",
                f"pc = {rd('o')} | {rd('(o + 1) & 0xFFFF')} << 8",
                f"pbs = {rd('(o + 2) & 0xFFFF')} << 16",
                "cyc += 6",
            ]
    elif mn == "JSR":
        if code == 0x20:
            body = [
                f"o = {g.op16()}",
                "t = (pc + 2) & 0xFFFF",
                *push_w("t", True),
                "pc = o",
                "cyc += 6",
            ]
        else:  # JSR (a,x): the return address is pushed between the two operand fetches
            body = [
                f"o = {g.op8()}", "t = (pc + 2) & 0xFFFF", *push_w("t", True, new=True),
                f"o |= {g.op8(2, exact=True)} << 8", "t = (o + x) & 0xFFFF",
                f"pc = {rd('pbs | t')} | {rd('pbs | ((t + 1) & 0xFFFF)')} << 8",
                *g.stack_fix(), "cyc += 8",
            ]  # fmt: skip
    elif mn == "XCE":
        if e:
            body = [
                *fin(2), "if not c_:", "    c_ = 1", "    e_ = 0", "    mf = xf = 1",
                f"    reason = {EXIT_SWITCH}", "    break",
            ]  # fmt: skip
        else:
            body = [
                *fin(2), "if c_:", "    c_ = 0", "    e_ = 1", "    mf = xf = 1", "    x &= 0xFF",
                "    y &= 0xFF", "    s = 0x100 | (s & 0xFF)", f"    reason = {EXIT_SWITCH}", "    break",
            ]  # fmt: skip
    elif mn in ("MVN", "MVP"):
        step = "+" if mn == "MVN" else "-"
        body = [
            f"o = {g.op8()}",
            "dbs = o << 16",
            g.wr("dbs | y", rd(f"{g.op8(2)} << 16 | x")),
            f"x = (x {step} 1) & {xm}",
            f"y = (y {step} 1) & {xm}",
            "a = (a - 1) & 0xFFFF",
            "if a == 0xFFFF:",
            "    pc = (pc + 3) & 0xFFFF",
            "cyc += 7",
        ]
    return body


def _tree(bodies: list[list[str]], lo: int, hi: int, indent: str) -> list[str]:
    """An `if op < k` tree over opcodes lo..hi-1, split where the two halves weigh the same."""
    if hi - lo == 1:
        return [indent + line for line in bodies[lo]]
    weights = [_HOT.get(code, 1) for code in range(lo, hi)]
    total = sum(weights)
    best, best_gap, running = lo + 1, total, 0
    for k in range(lo + 1, hi):
        running += weights[k - 1 - lo]
        gap = abs(total - 2 * running)
        if gap < best_gap:
            best, best_gap = k, gap
    return [
        f"{indent}if op < {best}:",
        *_tree(bodies, lo, best, indent + "    "),
        f"{indent}else:",
        *_tree(bodies, best, hi, indent + "    "),
    ]


def _last_operand(v: Variant) -> tuple[int, ...]:
    """Offset of each opcode's last byte (its length minus one) at this variant's widths."""
    return tuple(OPCODES[code].length(v.m8, v.x8) - 1 for code in range(256))


def generate(v: Variant) -> str:
    """Python source of the interpreter loop for one variant."""
    g = _Gen(v)
    bodies = [_opcode_body(g, code) for code in range(256)]
    head = [
        f"def {v.name}(cpu, mem, read, write, limit, cyc_limit, stop_addr, stop_ret, s0, stop_brk):",
        "    a = cpu._a; x = cpu._x; y = cpu._y; s = cpu._s; d = cpu._d",
        "    dbs = cpu._db << 16; pbs = cpu._pb << 16; pc = cpu._pc",
        "    n_ = cpu._n; z_ = cpu._z; c_ = cpu._c; v_ = cpu._v; dm = cpu._dm; i_ = cpu._i",
        f"    mf = {g.mf}; xf = {g.xf}; e_ = {int(v.e)}",
        "    dl1 = 1 if d & 0xFF else 0",
        "    cyc = 0; count = 0; reason = 0",
        *([] if v.fast else ["    fetch, cpages = mem; bus = cpu.bus", f"    lens = {_last_operand(v)!r}"]),
        "    for count in range(1, limit + 1):",
    ]
    if v.fast:
        head += [
            "        if pc > 0xFFFB:",
            "            count -= 1",
            f"            reason = {EXIT_WRAP}",
            "            break",
            "        pbpc = pbs | pc",
            "        op = mem[pbpc]",
        ]
    else:
        head += [
            # Code in ROM (a page of `cpages`, not within 3 bytes of its end) is read from the
            # page directly; the bus's open bus becomes the instruction's last byte, as after
            # fetching it through the bus. Anything else goes through `fetch`.
            "        cpg = cpages[(pbs | pc) >> 13]",
            "        if cpg is not None and (po := pc & 0x1FFF) < 0x1FFC:",
            "            op = cpg[po]",
            "            bus.open_bus = cpg[po + lens[op]]",
            "        else:",
            "            cpg = None",
            "            op = fetch(pbs | pc)",
        ]
    tail = []
    if v.cycle_limit:
        tail += ["        if cyc >= cyc_limit:", f"            reason = {EXIT_CYCLES}", "            break"]
    if v.sentinel:
        tail += [
            "        if pbs | pc == stop_addr:",
            f"            reason = {EXIT_SENTINEL}",
            "            break",
        ]
    tail += [
        "    cpu._a = a; cpu._x = x; cpu._y = y; cpu._s = s; cpu._d = d",
        "    cpu._db = dbs >> 16; cpu._pb = pbs >> 16; cpu._pc = pc",
        "    cpu._n = n_ & 0x80; cpu._z = 1 if z_ else 0; cpu._c = c_; cpu._v = v_; cpu._dm = dm; cpu._i = i_",
        "    cpu._mf = mf; cpu._xf = xf; cpu._e = e_",
        "    return reason, count, cyc",
    ]
    return "\n".join([*head, *_tree(bodies, 0, 256, " " * 8), *tail]) + "\n"


ALL_VARIANTS: tuple[Variant, ...] = tuple(
    Variant(e, m8, x8, fast)
    for fast in (True, False)
    for e, m8, x8 in (
        (True, True, True),
        (False, False, False),
        (False, False, True),
        (False, True, False),
        (False, True, True),
    )
)
