"""Prove a ROM patch against its cross-domain spec (`CrossSpec`): assembly, ROM diff, hook site,
behaviour on the core over scenario states built from the spec, messages, room data.

```python
from triforce.romhack import CrossSpec, prove
proof = prove(spec, patch_source, messages={0x123: "text"}, quest=quest_dict)
proof.passed, [c.message for c in proof.failures]
```

The base image is a blank 2 MiB LoROM image holding the spec's host code at the hook address
and a bare RTL at each game routine a patch may call ($07:99AD, $05:E1A7, $05:E1F0, $05:E219):
calls are seen on the core's trace at those real addresses, with their A/Y arguments. Each
scenario runs the host once on the base image (vanilla) and once on the patched image: the
patched run must end where the vanilla one does, with the same registers (A low byte, X, Y, DB,
D, M/X widths) and the same memory except exactly the spec's effects when the quest step is due
(done flag, flag/counter rewards); the game routines must be called exactly when due with the
spec's arguments. Scratch $7E0000-$7E000F and the stack page are free to use.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from triforce.romhack.room import chest_id, decode_list, decode_torches, tag_name, tag_needs
from triforce.romhack.spec import RECEIVE_ITEM, ROUTINE_NAMES, Condition, CrossSpec
from triforce.snes.addresses import format_address, parse_address

ROM_SIZE = 0x200000  # 2 MiB: banks $00-$3F, free space for hacks in $20-$3F
MAX_INSTRUCTIONS = 20_000
_SCRATCH = ((0x7E0000, 0x7E000F), (0x7E0100, 0x7E01FF))
DEFAULT_ENTRY = {"a": 0x3C, "x": 0x05, "y": 0x07}  # distinct: a swapped X/Y save shows


@dataclass
class Check:
    name: str
    passed: bool
    message: str = ""
    code: str = "ok"  # an evaluation reason code when failed
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Proof:
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def add(self, name: str, ok: bool, message: str = "", code: str = "structure", **details: Any) -> bool:
        self.checks.append(Check(name, ok, "" if ok else message, "ok" if ok else code, details))
        return ok


def lorom_offset(addr: int) -> int:
    return ((addr >> 16) & 0x7F) * 0x8000 + (addr & 0x7FFF)


def _is_rom(addr: int) -> bool:
    return (addr & 0x8000) != 0 and ((addr >> 16) & 0x7F) < 0x7E


@lru_cache(maxsize=64)
def base_image(host: str, hook_address: int) -> bytes:
    """The blank image with the host code at the hook site and RTL stubs at the game routines."""
    from triforce.errors import InputError
    from triforce.snes.asar import assemble

    stubs = "\n".join(f"org ${a:06X}\n    RTL ; {n}" for a, n in sorted(ROUTINE_NAMES.items()))
    source = f"lorom\n{stubs}\norg ${hook_address:06X}\nHookHost:\n{host}\n"
    result = assemble(source, org=None, rom_size=ROM_SIZE, filename="host.asm")
    if not result.ok:
        first = next((d for d in result.diagnostics if "error" in str(d.severity).lower()), None)
        raise InputError(
            f"spec host code does not assemble: {first.message if first else result.diagnostics}"
        )
    return bytes(result.rom)


# --------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    name: str
    memory: dict[int, int]
    due: bool


def _noise(addr: int) -> int:
    return (0xA5 ^ (addr * 37)) & 0xFF


def _lowbit(mask: int) -> int:
    return mask & -mask


def _put(mem: dict[int, int], c: Condition, value: int) -> None:
    """Write `value` into the masked bits of the condition's byte/word, keeping the other bits."""
    for i in range(c.width):
        m = (c.mask >> (8 * i)) & 0xFF
        v = (value >> (8 * i)) & 0xFF
        a = c.address + i
        mem[a] = (mem.get(a, _noise(a)) & ~m & 0xFF) | (v & m)


def _meeting(c: Condition, boundary: bool) -> int:
    if c.op == "set":
        return c.mask
    if c.op == "clear":
        return 0
    if c.op == "eq":
        return c.value
    if c.op == "ge":
        return c.value if boundary else min(c.mask, c.value + 3)
    return c.value - 1 if boundary else 0  # lt


def _breaking(c: Condition) -> int | None:
    if c.op == "set":
        return c.mask & ~_lowbit(c.mask)
    if c.op == "clear":
        return _lowbit(c.mask)
    if c.op == "eq":
        return c.value ^ _lowbit(c.mask)
    if c.op == "ge":
        return c.value - 1 if c.value > 0 else None
    return c.value  # lt


def scenarios(spec: CrossSpec) -> list[Scenario]:
    """States built from the spec: met (boundary and plain), each condition broken alone, and
    already done."""
    touched = {c.address + i for c in spec.trigger for i in range(c.width)} | {spec.done.address}
    touched |= {r.address for r in spec.rewards if r.address is not None}
    background = {a: _noise(a) for a in sorted(touched)}

    host = {parse_address(k): v & 0xFF for k, v in spec.hook.memory.items()}

    def base(done: bool, boundary: bool) -> dict[int, int]:
        mem = {**host, **background}
        d = spec.done
        mem[d.address] = (mem[d.address] | d.mask) if done else (mem[d.address] & ~d.mask & 0xFF)
        for r in spec.rewards:
            if r.kind == "counter" and r.address is not None and r.cap is not None:
                mem[r.address] = r.cap - 1 if boundary else min(2, r.cap - 1)
        for c in spec.trigger:
            _put(mem, c, _meeting(c, boundary))
        for c in spec.trigger:  # conditions sharing a byte: fall back to the boundary values
            if not c.holds(mem):
                _put(mem, c, _meeting(c, True))
        return mem

    out = [
        Scenario("met", base(False, False), True),
        Scenario("met at the boundary", base(False, True), True),
    ]
    over = base(False, False)
    counters = [
        r for r in spec.rewards if r.kind == "counter" and r.address is not None and r.cap is not None
    ]
    for r in counters:
        over[int(r.address or 0)] = min(0xFF, int(r.cap or 0) + 5)
    if counters:
        out.append(Scenario("met, counter already over its cap", over, True))
    for i, c in enumerate(spec.trigger, start=1):
        value = _breaking(c)
        if value is None:
            continue
        mem = base(False, True)
        _put(mem, c, value)
        out.append(Scenario(f"not met: condition {i} ({c.describe()}) fails", mem, False))
    out.append(Scenario("already done", base(True, False), False))
    for s in out:  # the spec decides what is due; a scenario whose intent and spec disagree is dropped
        s.due = spec.due(s.memory)
    return out


def expected_memory(spec: CrossSpec, vanilla_final: dict[int, int], due: bool) -> dict[int, int]:
    """Bytes the spec's effects change, from the vanilla run's final bytes."""
    if not due:
        return {}
    mem = dict(vanilla_final)
    out: dict[int, int] = {}

    def get(a: int) -> int:
        return out.get(a, mem.get(a, 0))

    out[spec.done.address] = get(spec.done.address) | spec.done.mask
    for r in spec.rewards:
        if r.kind == "flag" and r.address is not None and r.mask is not None:
            out[r.address] = get(r.address) | r.mask
        elif r.kind == "counter" and r.address is not None and r.add is not None and r.cap is not None:
            v = get(r.address)
            out[r.address] = min(v + r.add, r.cap) if v < r.cap else v
    return out


def expected_calls(spec: CrossSpec, due: bool) -> list[tuple[int, int | None, int]]:
    """(routine address, A low byte or None when free, Y low byte) of every call due."""
    if not due:
        return []
    calls: list[tuple[int, int | None, int]] = [
        (RECEIVE_ITEM, None, int(r.item)) for r in spec.rewards if r.kind == "item" and r.item is not None
    ]
    calls += [(m.address, m.id & 0xFF, m.id >> 8) for m in spec.messages]
    return calls


def _call_text(call: tuple[int, int | None, int]) -> str:
    addr, a, y = call
    args = f"Y=${y:02X}" if a is None else f"A=${a:02X} Y=${y:02X}"
    return f"{ROUTINE_NAMES.get(addr, format_address(addr))} ({args})"


# --------------------------------------------------------------------------- the proof


def prove(
    spec: CrossSpec,
    patch: str,
    messages: dict[int, str] | None = None,
    quest: Any = None,
    assembler: Any = None,
) -> Proof:
    """Every check of the spec on one patch (asar source that places itself with `org`).

    `messages`: message id -> text in the text engine's token syntax; `quest`: the answer's
    quest outline (a dict) when the spec asks the answer to design it. `assembler(source,
    base_rom)` may replace the sandboxed asar call (batching)."""
    from triforce.snes.asar import SandboxLimits, assemble

    proof = Proof()
    if spec.quest_rules is not None:
        _check_quest(proof, spec, quest)
    if spec.messages:
        _check_messages(proof, spec, messages or {})
    base = base_image(spec.hook.host, spec.hook.address)
    if "org" not in patch.lower():
        proof.add(
            "assembles", False, "the patch does not place itself: no `org` for the hook and the routine"
        )
        return proof
    if assembler is not None:
        result = assembler(patch, base)
    else:
        result = assemble(
            patch,
            org=None,
            rom_size=ROM_SIZE,
            base_rom=base,
            limits=SandboxLimits(timeout_s=10),
            filename="patch.asm",
        )
    if not result.ok:
        diag = next((d for d in result.diagnostics if "error" in str(d.severity).lower()), None)
        where = f"line {diag.line}: " if diag is not None else ""
        proof.add("assembles", False, f"asar: {where}{diag.message if diag else 'error'}", "assemble-error")
        return proof
    proof.add("assembles", True)
    rom = bytes(result.rom)
    symbols: dict[str, int] = dict(result.symbols)
    if not _check_diff(proof, spec, result.chunks):
        return proof
    if not _check_hook_site(proof, spec, rom, symbols):
        return proof
    _check_behaviour(proof, spec, base, rom)
    if spec.room is not None:
        _check_room(proof, spec, rom, symbols)
    return proof


def _check_quest(proof: Proof, spec: CrossSpec, quest: Any) -> None:
    from pydantic import ValidationError

    from triforce.quest import Quest, check_quest

    if not isinstance(quest, dict):
        proof.add(
            "quest", False, "the answer has no quest outline (a JSON object with `quest`)", "parse-error"
        )
        return
    try:
        q = Quest.model_validate(quest)
    except ValidationError as exc:
        first = exc.errors()[0]
        proof.add(
            "quest",
            False,
            f"quest outline: {'.'.join(map(str, first['loc']))}: {first['msg']}",
            "invalid-format",
        )
        return
    report = check_quest(q, spec.quest_rules)
    bad = report.failures
    proof.add(
        "quest",
        not bad,
        "; ".join(f"{f.check}: {f.message}" for f in bad[:3]),
        "structure",
    )


def _check_messages(proof: Proof, spec: CrossSpec, messages: dict[int, str]) -> None:
    from triforce.text import LayoutRules, TextSyntaxError, check_text, encode

    for m in spec.messages:
        name = f"message {m.key}"
        text = messages.get(m.id)
        if not text or not text.strip():
            proof.add(
                name, False, f"no text given for message {m.key} ({m.purpose or m.routine})", "wrong-content"
            )
            continue
        try:
            encode(text)
            layout = check_text(text, LayoutRules(name_px=spec.name_px))
        except (TextSyntaxError, ValueError) as exc:
            proof.add(name, False, f"message {m.key} does not encode: {exc}", "invalid-format")
            continue
        errors = layout.errors
        proof.add(
            name,
            not errors,
            f"message {m.key}: " + "; ".join(p.message for p in errors[:2]),
            "invalid-format",
            lines=len(layout.lines),
        )


def _ranges(spec: CrossSpec) -> list[tuple[int, int]]:
    hook = lorom_offset(spec.hook.address)
    return [
        (hook, hook + spec.hook.length - 1),
        (lorom_offset(spec.free_space.start), lorom_offset(spec.free_space.end)),
    ]


def _offset_address(offset: int) -> int:
    return ((offset // 0x8000) << 16) | 0x8000 | (offset & 0x7FFF)


def _check_diff(proof: Proof, spec: CrossSpec, chunks: list[Any]) -> bool:
    ranges = _ranges(spec)
    stray = [
        chunk.offset + i
        for chunk in chunks
        for i in range(len(chunk.data))
        if not any(lo <= chunk.offset + i <= hi for lo, hi in ranges)
    ]
    written = sum(len(c.data) for c in chunks)
    if stray:
        shown = ", ".join(format_address(_offset_address(o)) for o in stray[:4])
        return proof.add(
            "ROM diff",
            False,
            f"writes {len(stray)} byte(s) outside the hook site and the free space, first at {shown} "
            f"(allowed: {format_address(spec.hook.address)} +{spec.hook.length}, "
            f"{format_address(spec.free_space.start)}-{format_address(spec.free_space.end)})",
            "wrong-memory",
        )
    return proof.add("ROM diff", written > 0, "the patch changes nothing", "wrong-content", bytes=written)


def _check_hook_site(proof: Proof, spec: CrossSpec, rom: bytes, symbols: dict[str, int]) -> bool:
    at = lorom_offset(spec.hook.address)
    opcode = rom[at]
    target = rom[at + 1] | rom[at + 2] << 8 | rom[at + 3] << 16
    name = spec.hook.routine
    if name not in symbols:
        return proof.add("hook site", False, f"the routine label {name} is not defined", "entry-missing")
    routine = symbols[name]
    if opcode not in (0x22, 0x5C):
        return proof.add(
            "hook site",
            False,
            f"{format_address(spec.hook.address)} holds ${opcode:02X}, not a JSL/JML to {name}",
            "structure",
        )
    if lorom_offset(target) != lorom_offset(routine):
        return proof.add(
            "hook site",
            False,
            f"the hook jumps to {format_address(target)}, but {name} is at {format_address(routine)}",
            "structure",
        )
    lo, hi = _ranges(spec)[1]
    inside = _is_rom(routine) and lo <= lorom_offset(routine) <= hi
    return proof.add(
        "hook site",
        inside,
        f"{name} at {format_address(routine)} is not in the declared free space",
        "structure",
    )


def _entry_state(spec: CrossSpec, memory: dict[int, int]) -> Any:
    from triforce.snes.machine import MachineState

    regs = {**DEFAULT_ENTRY, **spec.hook.entry_state}
    return MachineState(a=regs["a"], x=regs["x"], y=regs["y"], db=0x7E, p=0x30, memory=memory)


def _calls(trace: list[Any]) -> list[tuple[int, int, int]]:
    out = []
    for entry in trace:
        if entry.address in ROUTINE_NAMES:
            r = entry.registers
            out.append((entry.address, r.a & 0xFF, r.y & 0xFF))
    return out


def _final_memory(run: Any, initial: dict[int, int]) -> dict[int, int]:
    from triforce.snes.bus import canonical

    mem = {canonical(a): v for a, v in initial.items()}
    mem.update({canonical(a): v & 0xFF for a, v in run.writes.items()})
    return mem


def _scratch(addr: int) -> bool:
    return any(lo <= addr <= hi for lo, hi in _SCRATCH) or _is_rom(addr)


def _check_behaviour(proof: Proof, spec: CrossSpec, base: bytes, rom: bytes) -> None:
    from triforce.snes.machine import run_routine

    for index, sc in enumerate(scenarios(spec), start=1):
        name = f"state {index} '{sc.name}'"
        state = _entry_state(spec, sc.memory)
        vanilla = run_routine(
            base, entry=spec.hook.address, state=state, convention="jsl", max_instructions=MAX_INSTRUCTIONS
        )
        if vanilla.reason != "returned":  # the spec's own host is broken: say so, do not blame the answer
            proof.add(name, False, f"the spec's host code does not return ({vanilla.reason})", "bad-stop")
            continue
        try:
            run = run_routine(
                rom,
                entry=spec.hook.address,
                state=state,
                convention="jsl",
                max_instructions=MAX_INSTRUCTIONS,
                trace=True,
            )
        except Exception as exc:  # an emulator fault on hostile code is a failed state
            proof.add(name, False, f"execution failed: {exc}", "bad-stop")
            continue
        if run.reason != "returned":
            where = f" at {format_address(run.escaped_at)}" if run.escaped_at is not None else ""
            hint = ""
            if run.reason == "bad_return" and run.stack_delta:
                hint = f" (S off by {run.stack_delta:+d}: RTS where RTL was due, or an unbalanced push/pull)"
            code = "instruction-limit" if run.reason in ("instruction_limit", "cycle_limit") else "bad-stop"
            proof.add(
                name, False, f"the hooked code did not return to its caller: {run.reason}{where}{hint}", code
            )
            continue
        message = _compare(spec, sc, vanilla, run)
        proof.add(name, message is None, message or "", _code_of(message), due=sc.due)


def _code_of(message: str | None) -> str:
    if message is None:
        return "ok"
    if message.startswith("register"):
        return "wrong-register"
    if message.startswith("call"):
        return "wrong-content"
    return "wrong-memory"


def _compare(spec: CrossSpec, sc: Scenario, vanilla: Any, run: Any) -> str | None:
    vf, pf = vanilla.final, run.final
    for reg, mask in (("a", 0xFF), ("x", 0xFFFF), ("y", 0xFFFF), ("db", 0xFF), ("d", 0xFFFF)):
        want, got = int(getattr(vf, reg)) & mask, int(getattr(pf, reg)) & mask
        if want != got:
            label = "A (low byte)" if reg == "a" else reg.upper()
            return f"register {label} after the hooked code: expected ${want:02X}, got ${got:02X} (the displaced instructions or a saved register were lost)"
    for flag in ("m", "x"):
        if vf.flag(flag) != pf.flag(flag):
            return f"register P: the {flag.upper()} width flag is {int(pf.flag(flag))}, the hooked code left it {int(vf.flag(flag))}"
    before = _final_memory(vanilla, sc.memory)
    after = _final_memory(run, sc.memory)
    effects = expected_memory(spec, before, sc.due)
    for addr in sorted(set(before) | set(after) | set(effects)):
        if _scratch(addr):
            continue
        want = effects.get(addr, before.get(addr, 0))
        got = after.get(addr, 0)
        if want != got:
            why = (
                "the spec's effect"
                if addr in effects
                else ("game state the spec does not touch" if sc.due else "nothing may change here")
            )
            return f"memory {format_address(addr)}: expected ${want:02X}, got ${got:02X} ({why})"
    want_calls = expected_calls(spec, sc.due)
    got_calls = _calls(run.trace or [])
    free = [(a, y) for a, x, y in want_calls if x is None]
    fixed = Counter((a, x, y) for a, x, y in want_calls if x is not None)
    got_fixed = Counter(c for c in got_calls if c[0] != RECEIVE_ITEM)
    got_free = Counter((a, y) for a, _, y in got_calls if a == RECEIVE_ITEM)
    if got_fixed != fixed or got_free != Counter(free):
        want_text = ", ".join(_call_text(c) for c in want_calls) or "no call"
        got_text = (
            ", ".join(_call_text((a, None, y) if a == RECEIVE_ITEM else (a, x, y)) for a, x, y in got_calls)
            or "no call"
        )
        return f"calls: expected {want_text}, got {got_text}"
    return None


def _read(rom: bytes, addr: int, n: int) -> bytes:
    at = lorom_offset(addr)
    return rom[at : at + n]


def _check_room(proof: Proof, spec: CrossSpec, rom: bytes, symbols: dict[str, int]) -> None:
    room = spec.room
    assert room is not None
    lo, hi = _ranges(spec)[1]
    labels = {k: f"{room.label}_{k}" for k in ("Tags", "Objects", "Torches")}
    needs = tag_needs(room.tag)
    required = ["Tags", "Objects"] + (["Torches"] if "torches" in needs else [])
    for key in required:
        label = labels[key]
        if label not in symbols:
            proof.add(f"room {key.lower()}", False, f"the patch defines no {label} label", "wrong-content")
            return
        if not (_is_rom(symbols[label]) and lo <= lorom_offset(symbols[label]) <= hi):
            proof.add(f"room {key.lower()}", False, f"{label} is not in the declared free space", "structure")
            return
    tag = _read(rom, symbols[labels["Tags"]], 1)[0]
    if not proof.add(
        "room tag",
        tag == room.tag,
        f"tag byte is {tag} ({tag_name(tag) if tag <= 64 else 'not a tag: 0-64'}), the design needs "
        f"{room.tag} ({tag_name(room.tag)})",
        "wrong-content",
    ):
        return
    objects = decode_list(_read(rom, symbols[labels["Objects"]], 0x600))
    if not proof.add(
        "room objects decode", objects.ok, f"{labels['Objects']}: {objects.error}", "invalid-format"
    ):
        return
    problems = []
    if "door" in needs and not objects.doors:
        problems.append(
            f"tag {room.tag} ({tag_name(room.tag)}) opens a door, but the list has no doors after F0 FF"
        )
    if "chest" in needs and not any(o.id == chest_id() for o in objects.objects):
        problems.append(f"tag {room.tag} ({tag_name(room.tag)}) needs a chest object (${chest_id():03X})")
    ids = {o.id for o in objects.objects}
    problems += [
        f"the design needs object ${i:03X}, which the list lacks" for i in room.objects if i not in ids
    ]
    if "torches" in needs:
        torches, error = decode_torches(_read(rom, symbols[labels["Torches"]], 0x100))
        if error:
            problems.append(f"{labels['Torches']}: {error}")
        elif len(torches) < room.torches:
            problems.append(
                f"tag {room.tag} needs {room.torches} torches, the torch table has {len(torches)}"
            )
    proof.add(
        "room holds what the tag needs",
        not problems,
        "; ".join(problems),
        "wrong-content",
        objects=len(objects.objects),
        doors=len(objects.doors),
    )
