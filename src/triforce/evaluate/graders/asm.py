"""ASM answers graded by execution: extract, assemble in the asar sandbox, run every test state.

The answer is assembled with the item's `support` code (routines the task says exist) and with
stub labels for anything else it calls, then `run_routine` calls the entry with the item's
convention under an instruction limit: a state passes only when the routine came back to the
caller's return address with S where the caller left it (an RTL where RTS was due, or a stray
push or pull, fails even when the bytes it pulled lead back). Each state compares registers,
flags and memory; the verdict names the first mismatch exactly.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from triforce.errors import TriforceError
from triforce.evaluate._hex import Address, Num, hex_str
from triforce.evaluate.answers import extract_asm
from triforce.evaluate.graders import GradeContext
from triforce.evaluate.verdict import CheckResult, Verdict
from triforce.snes.addresses import parse_address
from triforce.snes.asar.diagnostics import first_error
from triforce.snes.bus import canonical
from triforce.snes.machine import MachineState

# Registers an expectation may name; the "8" forms compare the low byte only.
_REGISTERS = {
    "a": 0xFFFF,
    "a8": 0xFF,
    "x": 0xFFFF,
    "x8": 0xFF,
    "y": 0xFFFF,
    "y8": 0xFF,
    "s": 0xFFFF,
    "d": 0xFFFF,
    "db": 0xFF,
}


class InitialState(MachineState):
    """A test state's start: registers and memory as `run_routine` takes them, with the data bank
    on WRAM ($7E) unless the item says otherwise, as ALTTP code runs."""

    db: int = 0x7E

    @field_validator("memory", mode="before")
    @classmethod
    def _addresses(cls, value: Any) -> Any:
        # Suite files write addresses the asar way; name a bad one as an address error.
        return _check_addresses(value) if isinstance(value, dict) else value


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: Num | None = None
    a8: Num | None = None
    x: Num | None = None
    x8: Num | None = None
    y: Num | None = None
    y8: Num | None = None
    s: Num | None = None
    d: Num | None = None
    db: Num | None = None
    mem: dict[str, Num] = Field(default_factory=dict)
    flags: dict[Literal["n", "v", "m", "x", "d", "i", "z", "c"], int] = Field(default_factory=dict)

    @field_validator("mem")
    @classmethod
    def _addresses(cls, value: dict[str, int]) -> dict[str, int]:
        return _check_addresses(value)


class TestState(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    initial: InitialState
    expect: Expectation


class AsmSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["asm-exec"] = "asm-exec"
    entry: str = Field(min_length=1)
    convention: Literal["jsl", "jsr"]
    states: list[TestState] = Field(min_length=1)
    max_instructions: int = Field(20_000, ge=1, le=1_000_000)
    support: str = ""  # routines the prompt says exist, assembled after the answer
    org: Address = 0x008000
    # Memory the routine may change besides the expected bytes, scratch $7E0000-$7E000F and the
    # stack page: ranges "$7E2000-$7E20FF". Any other byte left changed fails the state.
    writable: list[str] = Field(default_factory=list)
    guard_writes: bool = True

    @field_validator("writable")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        for text in value:
            lo, _, hi = text.partition("-")
            _check_addresses({lo: 0, (hi or lo): 0})
        return value

    def writable_ranges(self) -> list[tuple[int, int]]:
        ranges = [(0x7E0000, 0x7E000F), (0x7E0100, 0x7E01FF)]
        for text in self.writable:
            lo, _, hi = text.partition("-")
            ranges.append((_addr(lo), _addr(hi or lo)))
        return ranges


def _addr(text: str) -> int:
    return parse_address(text, field="memory address")


def _check_addresses(value: dict[str, int]) -> dict[str, int]:
    for key in value:
        try:
            _addr(key)
        except TriforceError as exc:
            raise ValueError(str(exc)) from exc
    return value


def final_byte(run: Any, addr: int, initial: dict[int, int]) -> int:
    """The byte at `addr` after the run: the last value written, else the initial value.

    The machine logs WRAM's low-bank mirrors at their canonical $7E address, and so do we."""
    addr = canonical(addr)
    written: dict[int, int] = dict(getattr(run, "writes", {}) or {})
    if addr in written:
        return written[addr] & 0xFF
    final_memory: dict[int, int] = dict(getattr(run.final, "memory", {}) or {})
    if addr in final_memory:
        return final_memory[addr] & 0xFF
    return initial.get(addr, 0)


_STOP_TEXT = {
    "BAD_RETURN": "returned with the wrong instruction for the calling convention (RTS vs RTL) or a corrupted stack",
    "BRK": "hit BRK",
    "COP": "hit COP",
    "STP": "hit STP",
    "WAI": "hit WAI",
    "EXECUTED_OUTSIDE_MEMORY": "ran into I/O or open-bus space",
}


def _is_io(addr: int) -> bool:
    """PPU/CPU registers ($2100-$21FF, $4200-$43FF in the system banks) are not memory."""
    bank, low = addr >> 16, addr & 0xFFFF
    return (bank & 0x7F) < 0x40 and 0x2000 <= low < 0x6000


def stray_writes(run: Any, spec: AsmSpec, state: TestState) -> list[int]:
    """Bytes the routine changed that the contract does not let it change (canonical addresses)."""
    initial = state.initial.memory
    allowed = spec.writable_ranges()
    expected = {canonical(_addr(k)) for k in state.expect.mem}
    stray = []
    for addr, value in sorted((getattr(run, "writes", {}) or {}).items()):
        addr = canonical(addr)
        if addr in expected or _is_io(addr) or any(lo <= addr <= hi for lo, hi in allowed):
            continue
        if (value & 0xFF) != initial.get(addr, 0):
            stray.append(addr)
    return stray


def _stack_hint(delta: int) -> str:
    if delta == 1:
        return "RTL where RTS was due, or one pull too many"
    if delta == -1:
        return "RTS where RTL was due, or one push left on the stack"
    return "pushes and pulls do not balance"


def _reason_name(reason: Any) -> str:
    return str(getattr(reason, "name", reason)).upper()


def check_state(
    run: Any, state: TestState, index: int, max_instructions: int, spec: AsmSpec | None = None
) -> CheckResult:
    """Compare one run with its expectation; the message names the first difference."""
    name = f"state {index} '{state.name}'"
    reason = _reason_name(run.reason)
    if reason in ("INSTRUCTION_LIMIT", "CYCLE_LIMIT"):
        return CheckResult(
            name=name,
            passed=False,
            message=f"ran past the limit of {max_instructions} instructions",
            details={"code": "instruction-limit"},
        )
    if reason not in ("RETURNED", "RETURN"):
        where = getattr(run, "escaped_at", None)
        if where is None and isinstance(getattr(run.final, "pc", None), int):
            where = (int(getattr(run.final, "pb", 0)) << 16) | int(run.final.pc)
        at = f" at {hex_str(where, 6)}" if isinstance(where, int) else ""
        delta = getattr(run, "stack_delta", None)
        if reason == "BAD_RETURN" and isinstance(delta, int) and delta:
            # Back at the caller's address, but S is not where the caller left it.
            return CheckResult(
                name=name,
                passed=False,
                message=f"returned to the caller with S off by {delta:+d} byte(s): {_stack_hint(delta)}",
                details={"code": "bad-stop", "stack_delta": delta},
            )
        return CheckResult(
            name=name,
            passed=False,
            message=f"{_STOP_TEXT.get(reason, 'stopped by ' + reason.lower())}{at} instead of returning to the caller",
            details={"code": "bad-stop"},
        )
    final = run.final
    expect = state.expect
    for reg, mask in _REGISTERS.items():
        want = getattr(expect, reg)
        if want is None:
            continue
        got = int(getattr(final, reg.rstrip("8"))) & mask
        if got != want & mask:
            digits = 2 if mask == 0xFF else 4
            label = f"{reg[0].upper()} (low byte)" if reg.endswith("8") else reg.upper()
            return CheckResult(
                name=name,
                passed=False,
                message=f"wrong register {label}: expected {hex_str(want & mask, digits)}, got {hex_str(got, digits)}",
                details={"code": "wrong-register", "register": reg, "expected": want & mask, "got": got},
            )
    for flag, want_bit in expect.flags.items():
        got_bit = int(final.flag(flag))
        if got_bit != want_bit:
            return CheckResult(
                name=name,
                passed=False,
                message=f"wrong flag {flag.upper()}: expected {want_bit}, got {got_bit} (P={hex_str(int(final.p))})",
                details={"code": "wrong-flag", "flag": flag, "expected": want_bit, "got": got_bit},
            )
    initial = state.initial.memory
    for key, want in expect.mem.items():
        addr = _addr(key)
        got = final_byte(run, addr, initial)
        if got != want & 0xFF:
            return CheckResult(
                name=name,
                passed=False,
                message=f"wrong memory {hex_str(addr, 6)}: expected {hex_str(want & 0xFF)}, got {hex_str(got)}",
                details={"code": "wrong-memory", "address": addr, "expected": want & 0xFF, "got": got},
            )
    if spec is not None and spec.guard_writes:
        stray = stray_writes(run, spec, state)
        if stray:
            shown = ", ".join(hex_str(a, 6) for a in stray[:4]) + (" ..." if len(stray) > 4 else "")
            return CheckResult(
                name=name,
                passed=False,
                message=f"changed memory outside its contract: {shown} ({len(stray)} byte(s))",
                details={"code": "wrong-memory", "addresses": stray[:32]},
            )
    return CheckResult(name=name, passed=True, details={"instructions": int(getattr(run, "instructions", 0))})


def source_for(spec: AsmSpec, code: str) -> str:
    return (
        code
        if not spec.support
        else f"{code}\n\n; --- support routines given by the task ---\n{spec.support}\n"
    )


def grade_assembled(spec: AsmSpec, result: Any, note: str = "") -> Verdict:
    """Grade an already assembled answer (lets callers batch assembly through one asar run)."""
    from triforce.snes.machine import run_routine

    if not result.ok:
        return Verdict.fail("assemble-error", f"did not assemble: {first_error(result.diagnostics)}")
    if spec.entry not in getattr(result, "symbols", {}):
        return Verdict.fail("entry-missing", f"entry label '{spec.entry}' is not in the assembled symbols")
    checks: list[CheckResult] = []
    for index, state in enumerate(spec.states, start=1):
        try:
            run = run_routine(
                result,
                entry=spec.entry,
                state=state.initial,
                convention=spec.convention,
                max_instructions=spec.max_instructions,
            )
        except Exception as exc:  # an emulator fault on hostile code is a failed state, not a crash
            checks.append(
                CheckResult(
                    name=f"state {index} '{state.name}'",
                    passed=False,
                    message=f"execution failed: {exc}",
                    details={"code": "bad-stop"},
                )
            )
            continue
        checks.append(check_state(run, state, index, spec.max_instructions, spec))
    verdict = Verdict.from_checks(checks, "wrong-register")
    if note and verdict.passed:
        verdict.reason = f"{verdict.reason} ({note})"
    return verdict


def grade_asm(spec: AsmSpec, answer: str, ctx: GradeContext) -> Verdict:
    from triforce.snes.asar import SandboxLimits, assemble

    code, note = extract_asm(answer, spec.entry)
    if code is None:
        return Verdict.fail("no-code" if "no code" in note else "entry-missing", note)
    source = source_for(spec, code)
    if ctx.assembler is not None:
        result = ctx.assembler(source, spec.org)
    else:
        result = assemble(source, org=spec.org, stubs=True, limits=SandboxLimits(timeout_s=ctx.asm_timeout_s))
    return grade_assembled(spec, result, note)
