"""The 65816 CPU: registers, run/step with limits, interrupts and the trace hook.

Execution happens in generated per-mode loops (see `_codegen`); this module owns the state
between runs, picks the loop for the current mode (E, M, X) and memory path, and turns loop
exits into `RunResult`s.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
import os
from collections.abc import Callable
from pathlib import Path
from types import CodeType
from typing import Any, Protocol

from triforce.snes.cpu import _codegen, _decimal
from triforce.snes.cpu._operand import operand_text
from triforce.snes.cpu.state import Registers, RunResult, StopReason, TraceEntry
from triforce.snes.opcodes import OPCODES

_FLAT_SIZE = 0x1000000
_NEVER = 1 << 62
_NO_PAGES: list[Any] = [None] * 2048  # no 8 KiB page read directly: every fetch goes to the bus

_EXIT_REASONS = {
    _codegen.EXIT_LIMIT: StopReason.INSTRUCTION_LIMIT,
    _codegen.EXIT_CYCLES: StopReason.CYCLE_LIMIT,
    _codegen.EXIT_SENTINEL: StopReason.SENTINEL,
    _codegen.EXIT_RETURN: StopReason.RETURN,
    _codegen.EXIT_BRK: StopReason.BRK,
    _codegen.EXIT_COP: StopReason.COP,
    _codegen.EXIT_STP: StopReason.STP,
    _codegen.EXIT_WAI: StopReason.WAI,
}

_LoopFn = Callable[..., tuple[int, int, int]]
_LOOPS: dict[_codegen.Variant, _LoopFn] = {}
_LOOPS_BY_KEY: dict[tuple[int | bool, ...], _LoopFn] = {}  # (e, m, x, fast, cycles, sentinel)


class Bus(Protocol):
    def read(self, address: int) -> int: ...

    def write(self, address: int, value: int) -> None: ...


def _loop(variant: _codegen.Variant) -> _LoopFn:
    """The generated loop for a variant, compiled on first use and cached for the process."""
    fn = _LOOPS.get(variant)
    if fn is None:
        namespace: dict[str, Any] = {
            "_adc8d": _decimal._adc8d,
            "_sbc8d": _decimal._sbc8d,
            "_adc16d": _decimal._adc16d,
            "_sbc16d": _decimal._sbc16d,
        }
        exec(_compiled(variant), namespace)
        fn = namespace[variant.name]
        _LOOPS[variant] = fn
    return fn


def _compiled(variant: _codegen.Variant) -> CodeType:
    """The variant's loop compiled; the code object is kept on disk (keyed by its source and the
    interpreter) because compiling a loop costs ~25 ms and every build worker needs several."""
    source = _codegen.generate(variant)
    key = hashlib.sha256(importlib.util.MAGIC_NUMBER + source.encode()).hexdigest()[:24]
    path = _cache_dir() / f"{variant.name}-{key}.marshal"
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        code = marshal.loads(path.read_bytes())
        if isinstance(code, CodeType):
            return code
    code = compile(source, f"<65816 {variant.name}>", "exec")
    with contextlib.suppress(OSError):  # a read-only home only costs the compile next time
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(code))
        os.replace(tmp, path)
    return code


def _cache_dir() -> Path:
    """$TRIFORCE_CACHE_DIR, else $XDG_CACHE_HOME/triforce, else ~/.cache/triforce; then `cpu/`."""
    root = os.environ.get("TRIFORCE_CACHE_DIR")
    if root:
        return Path(root) / "cpu"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "triforce" / "cpu"


class CPU:
    """A 65816 attached to a bus (`read(addr24) -> int`, `write(addr24, value)`).

    A bus may also have `fetch(addr24) -> int`, used for instruction bytes instead of `read`
    (same value and side effects on the bus, but it may skip watches of code fetches), and
    `fetch_pages`: per 8 KiB page a view of its bytes where fetches may bypass the bus (the
    CPU then sets `bus.open_bus` to each instruction's last byte itself), None elsewhere.

    A bus that also has `flat_memory`, a 16 MiB `bytearray` in which every address is plain
    memory, is accessed directly for speed (`FlatBus` does this). Any other bus sees every
    read and write through its methods, so mapping, MMIO and watches work.

    The CPU starts in emulation mode with S=$01FF, P=$34 and PC=0; `reset()` loads the reset
    vector like hardware.
    """

    trace_hook: Callable[[TraceEntry], None] | None

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        flat = getattr(bus, "flat_memory", None)
        self._fast = isinstance(flat, bytearray) and len(flat) == _FLAT_SIZE
        self._mem: bytearray | None = flat if self._fast else None
        self.trace_hook = None
        self._a = self._x = self._y = self._d = 0
        self._s = 0x01FF
        self._db = self._pb = self._pc = 0
        # Lazy flags: _n holds N in bit 7; _z is nonzero when Z is CLEAR.
        self._n = self._v = self._dm = self._c = 0
        self._z = 1
        self._i = 1
        self._mf = self._xf = self._e = 1
        self._stopped = False
        self._waiting = False

    # -- registers --------------------------------------------------------------------------
    @property
    def a(self) -> int:
        return self._a

    @a.setter
    def a(self, value: int) -> None:
        self._a = value & 0xFFFF

    @property
    def x(self) -> int:
        return self._x

    @x.setter
    def x(self, value: int) -> None:
        self._x = value & (0xFF if self._xf else 0xFFFF)

    @property
    def y(self) -> int:
        return self._y

    @y.setter
    def y(self, value: int) -> None:
        self._y = value & (0xFF if self._xf else 0xFFFF)

    @property
    def s(self) -> int:
        return self._s

    @s.setter
    def s(self, value: int) -> None:
        self._s = 0x100 | (value & 0xFF) if self._e else value & 0xFFFF

    @property
    def d(self) -> int:
        return self._d

    @d.setter
    def d(self, value: int) -> None:
        self._d = value & 0xFFFF

    @property
    def db(self) -> int:
        return self._db

    @db.setter
    def db(self, value: int) -> None:
        self._db = value & 0xFF

    @property
    def pb(self) -> int:
        return self._pb

    @pb.setter
    def pb(self, value: int) -> None:
        self._pb = value & 0xFF

    @property
    def pc(self) -> int:
        return self._pc

    @pc.setter
    def pc(self, value: int) -> None:
        self._pc = value & 0xFFFF

    @property
    def p(self) -> int:
        """Processor status as PHP pushes it (bits 4/5 read 1 in emulation mode)."""
        return (
            (self._n & 0x80)
            | (self._v << 6)
            | (self._mf << 5)
            | (self._xf << 4)
            | (self._dm << 3)
            | (self._i << 2)
            | (0 if self._z else 2)
            | self._c
        )

    @p.setter
    def p(self, value: int) -> None:
        self._n = value & 0x80
        self._v = (value >> 6) & 1
        self._dm = (value >> 3) & 1
        self._i = (value >> 2) & 1
        self._z = 0 if value & 2 else 1
        self._c = value & 1
        if self._e:
            self._mf = self._xf = 1
        else:
            self._mf = (value >> 5) & 1
            self._xf = (value >> 4) & 1
        if self._xf:
            self._x &= 0xFF
            self._y &= 0xFF

    @property
    def e(self) -> bool:
        return bool(self._e)

    @e.setter
    def e(self, value: bool) -> None:
        self._e = 1 if value else 0
        if value:
            self._mf = self._xf = 1
            self._x &= 0xFF
            self._y &= 0xFF
            self._s = 0x100 | (self._s & 0xFF)

    @property
    def stopped(self) -> bool:
        """True after STP until `reset()`."""
        return self._stopped

    @property
    def waiting(self) -> bool:
        """True after WAI until `irq()` or `nmi()`."""
        return self._waiting

    def registers(self) -> Registers:
        return Registers(
            a=self._a, x=self._x, y=self._y, s=self._s, d=self._d, db=self._db,
            pb=self._pb, pc=self._pc, p=self.p, e=bool(self._e),
        )  # fmt: skip

    def set_registers(self, regs: Registers) -> None:
        """Load a snapshot. In emulation mode S is forced into page 1 and X/Y to 8 bits."""
        self._e = 1 if regs.e else 0
        self._a, self._x, self._y, self._d = regs.a, regs.x, regs.y, regs.d
        self._db, self._pb, self._pc = regs.db, regs.pb, regs.pc
        self.p = regs.p
        self.s = regs.s

    # -- execution --------------------------------------------------------------------------
    def step(self) -> int:
        """Execute one instruction (BRK/COP vector like hardware) and return its cycles.

        A stopped (STP) or waiting (WAI) CPU executes nothing and returns 0.
        """
        if self._stopped or self._waiting:
            return 0
        if self.trace_hook is not None:
            return self._traced_one(_NEVER, -1, False, 0, False)[2]
        return self._execute(1, _NEVER, -1, False, 0, False)[2]

    def run(
        self,
        max_instructions: int | None = 100_000,
        max_cycles: int | None = None,
        stop_at_return: bool = True,
        stop_at: int | None = None,
        stop_on_break: bool = True,
    ) -> RunResult:
        """Run until a stop condition; see `StopReason` for the exact meaning of each.

        `stop_at` is a 24-bit address (the SENTINEL). MVN/MVP count one instruction per byte
        moved, as the chip re-executes them. With a `trace_hook` set, every instruction is
        reported (slower: one loop entry per instruction).
        """
        if self._stopped:
            return RunResult(StopReason.STP, 0, 0)
        if self._waiting:
            return RunResult(StopReason.WAI, 0, 0)
        limit = _NEVER if max_instructions is None else max_instructions
        cyc_limit = _NEVER if max_cycles is None else max_cycles
        stop_addr = -1 if stop_at is None else stop_at & 0xFFFFFF
        s0 = self._s
        if self.trace_hook is None:
            exit_code, count, cycles = self._execute(
                limit, cyc_limit, stop_addr, stop_at_return, s0, stop_on_break
            )
            return RunResult(_EXIT_REASONS[exit_code], count, cycles)
        return self._run_traced(limit, cyc_limit, stop_addr, stop_at_return, s0, stop_on_break)

    def _execute(
        self, limit: int, cyc_limit: int, stop_addr: int, stop_ret: bool, s0: int, stop_brk: bool
    ) -> tuple[int, int, int]:
        """Drive the generated loops until a real stop; returns (exit code, instructions, cycles).

        Loops exit early when the mode changes (EXIT_SWITCH: the end-of-instruction checks are
        done here) and, on the flat path, before an instruction whose bytes could wrap at the
        end of the bank (EXIT_WRAP: that one instruction runs in the bus loop).
        """
        total_n = total_c = 0
        read, write = self.bus.read, self.bus.write
        code = (getattr(self.bus, "fetch", read), getattr(self.bus, "fetch_pages", None) or _NO_PAGES)
        checks = (cyc_limit < _NEVER, stop_addr >= 0)
        while True:
            fast = self._fast and self._pc <= 0xFFFB
            key = (self._e, self._mf, self._xf, fast, *checks)
            loop = _LOOPS_BY_KEY.get(key)
            if loop is None:
                loop = _LOOPS_BY_KEY[key] = _loop(_codegen.Variant(*map(bool, key)))
            budget = limit - total_n
            if self._fast and not fast:
                budget = min(budget, 1)
            exit_code, count, cyc = loop(
                self,
                self._mem if fast else code,
                read,
                write,
                budget,
                cyc_limit - total_c,
                stop_addr,
                stop_ret,
                s0,
                stop_brk,
            )
            total_n += count
            total_c += cyc
            if exit_code == _codegen.EXIT_WRAP:
                continue
            if exit_code == _codegen.EXIT_SWITCH:
                stop = self._after_switch(total_n, limit, total_c, cyc_limit, stop_addr)
                if stop is None:
                    continue
                return stop, total_n, total_c
            if exit_code == _codegen.EXIT_LIMIT and total_n < limit:
                continue  # the single bus-loop instruction after EXIT_WRAP
            return exit_code, total_n, total_c

    def _after_switch(
        self, total_n: int, limit: int, total_c: int, cyc_limit: int, stop_addr: int
    ) -> int | None:
        """The end-of-instruction checks a loop skips when it exits to change mode."""
        if total_c >= cyc_limit:
            return _codegen.EXIT_CYCLES
        if (self._pb << 16 | self._pc) == stop_addr:
            return _codegen.EXIT_SENTINEL
        if total_n >= limit:
            return _codegen.EXIT_LIMIT
        return None

    def _run_traced(
        self, limit: int, cyc_limit: int, stop_addr: int, stop_ret: bool, s0: int, stop_brk: bool
    ) -> RunResult:
        total_n = total_c = 0
        while total_n < limit:
            exit_code, count, cyc = self._traced_one(cyc_limit - total_c, stop_addr, stop_ret, s0, stop_brk)
            total_n += count
            total_c += cyc
            if exit_code != _codegen.EXIT_LIMIT:
                return RunResult(_EXIT_REASONS[exit_code], total_n, total_c)
        return RunResult(StopReason.INSTRUCTION_LIMIT, total_n, total_c)

    def _traced_one(
        self, cyc_limit: int, stop_addr: int, stop_ret: bool, s0: int, stop_brk: bool
    ) -> tuple[int, int, int]:
        """Execute one instruction and report it to the trace hook (if it executed)."""
        hook = self.trace_hook
        assert hook is not None
        before = self.registers()
        entry_bytes = self._instruction_bytes()
        exit_code, count, cyc = self._execute(1, cyc_limit, stop_addr, stop_ret, s0, stop_brk)
        if count:
            op = OPCODES[entry_bytes[0]]
            text = operand_text(op.mode, entry_bytes[1:], before.pb, before.pc)
            hook(TraceEntry(before.address, entry_bytes, op.mnemonic, text, before, cyc))
        return exit_code, count, cyc

    def _instruction_bytes(self) -> bytes:
        read = self.bus.read
        pb, pc = self._pb << 16, self._pc
        op = OPCODES[read(pb | pc)]
        length = op.length(bool(self._mf), bool(self._xf))
        return bytes(read(pb | ((pc + k) & 0xFFFF)) for k in range(length))

    # -- interrupts and reset ---------------------------------------------------------------
    def reset(self) -> None:
        """Hardware reset: emulation mode, M=X=I=1, D=0, DB=PB=D=0, S in page 1, PC from $FFFC."""
        self._stopped = self._waiting = False
        self.e = True
        self._dm = 0
        self._i = 1
        self._d = self._db = self._pb = 0
        self._x &= 0xFF
        self._y &= 0xFF
        read = self.bus.read
        self._pc = read(0xFFFC) | read(0xFFFD) << 8

    def nmi(self) -> int:
        """Take a non-maskable interrupt now (vector $FFEA native, $FFFA emulation); returns cycles."""
        return self._interrupt(0xFFFA if self._e else 0xFFEA)

    def irq(self) -> int:
        """Raise IRQ: taken now unless I=1 (vector $FFEE native, $FFFE emulation).

        With I=1 it only ends a WAI (execution continues after the WAI), like hardware.
        Returns the cycles spent (0 when not taken).
        """
        if self._i:
            self._waiting = False
            return 0
        return self._interrupt(0xFFFE if self._e else 0xFFEE)

    def _interrupt(self, vector: int) -> int:
        self._waiting = False
        if self._stopped:
            return 0
        write, read = self.bus.write, self.bus.read
        pushed = [self._pc >> 8, self._pc & 0xFF, self.p & ~0x10 if self._e else self.p]
        if not self._e:
            pushed.insert(0, self._pb)
        for value in pushed:
            write(self._s, value)
            self._s = 0x100 | ((self._s - 1) & 0xFF) if self._e else (self._s - 1) & 0xFFFF
        self._i = 1
        self._dm = 0
        self._pb = 0
        self._pc = read(vector) | read(vector + 1) << 8
        return 7 if self._e else 8
