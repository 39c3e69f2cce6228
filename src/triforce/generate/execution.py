"""Assembling and executing candidates: the proof behind every sample.

Everything a generator claims comes from here: asar's verdict (with its diagnostic) and the
outcome of running the assembled bytes on concrete states. Outcomes are compared after two
normalizations that do not hide behaviour: low-WRAM mirrors fold onto bank $7E, and stack bytes
below the final stack pointer (dead once the routine has returned) are ignored, so `JSR x : RTS`
and `JMP x` can be proven equivalent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from triforce.errors import TriforceError
from triforce.generate.states import StateSpec, byte_runs, machine_state, normalize_address

Convention = Literal["jsl", "jsr"]
ORG = 0x008000
MAX_INSTRUCTIONS = 20_000
# Instructions an original routine gets on a test state before that state is left out of the
# evidence (unless its probe showed it needs more; see context.build_context). Random loop
# counts otherwise spend most of a build running 16-bit loops that prove nothing more than a
# short run does: at 20,000 they were 70 % of all instructions executed.
STATE_BUDGET = 2_000
# Errors a source gets only because of its batch: global macros clashing between snippets, or a
# snippet (a routine plus everything the corpus appends) larger than its slot.
_BATCH_ONLY_ERRORS = frozenset({"Emacro_redefined", "Tslot_overflow"})
# ALTTP's cartridge SRAM (the save slots at $70:0000). asar's images carry no header, which a
# bus would read as "no SRAM": routines on the save data would then have nothing to run on.
SRAM_SIZE = 0x2000
SLOT_SIZE = 0x1000  # bytes per snippet in a batch: a routine plus what the corpus appends
# Snippets per asar batch: their slots fill LoROM banks $00-$3E (8 a bank), well below $7E (WRAM).
MAX_BATCH = 500
REGISTERS = ("a", "x", "y", "s", "d", "db", "p")
RETURNED = "RETURNED"  # run_routine's reason "returned", upper-cased by _reason_name


@dataclass
class Outcome:
    """What one run of a routine did, in comparable form."""

    state: str
    reason: str
    regs: dict[str, int]
    e: bool
    writes: dict[int, int]
    reads: frozenset[int]
    cycles: int
    instructions: int
    mmio: list[Any] = field(default_factory=list)
    rom_reads: frozenset[int] = frozenset()  # ROM bytes read as data

    @property
    def returned(self) -> bool:
        return self.reason == RETURNED

    def nondeterministic_reads(self) -> list[int]:
        """Registers the run read whose console value depends on timing or input (the H/V
        counters, RDNMI/TIMEUP, the joypads): what it did then is not a fact of the routine."""
        from triforce.snes.bus import NONDETERMINISTIC_READS

        return sorted(
            {m.address for m in self.mmio if m.op == "read" and m.address in NONDETERMINISTIC_READS}
        )

    def to_json(self) -> dict[str, Any]:
        # Every sample of a routine records the same baseline outcomes: encoded once (an outcome
        # is not changed after its run).
        cached = self.__dict__.get("_json")
        if cached is None:
            cached = self.__dict__["_json"] = {
                "reason": self.reason,
                **self.regs,
                "e": self.e,
                "writes": byte_runs(self.writes),
                "cycles": self.cycles,
                "instructions": self.instructions,
            }
        return dict(cached)


def _reason_name(reason: Any) -> str:
    return str(getattr(reason, "name", reason)).split(".")[-1].upper()


def _normalized(addr: int) -> int:
    """normalize_address, with the common case (already in $7E-$7F, as the bus reports WRAM) first."""
    return addr if 0x7E0000 <= addr < 0x800000 else normalize_address(addr)


#: Bytes at the top of the stack the caller's own call frame may leave unwritten in a run's record
#: (the trampoline's JSR/JSL pushes before the run is watched): skipped before the run of pushes.
_FRAME_BYTES = 3


def dead_stack(addresses: set[int], final_s: int) -> set[int]:
    """The stack bytes a run pushed below its final S: the unbroken run of written bytes from
    just below S downwards (every push writes the next byte down, so the stack a routine used is
    one contiguous run). A variable the game keeps deeper in page 1 (ALTTP's $010C) is not in it."""
    dead: set[int] = set()
    low = final_s & 0xFFFF
    skipped = 0
    while low > 0 and (final_s & 0xFFFF) - low < 0x100:
        at = 0x7E0000 | low
        if at in addresses:
            dead.add(at)
        elif dead or skipped >= _FRAME_BYTES:
            break
        else:
            skipped += 1
        low -= 1
    return dead


def live_writes(writes: dict[int, int], final_s: int) -> dict[int, int]:
    """Writes without the dead stack bytes below the final S, WRAM mirrors folded onto $7E."""
    out: dict[int, int] = {}
    for addr, val in writes.items():
        out[addr if 0x7E0000 <= addr < 0x800000 else normalize_address(addr)] = val
    for addr in dead_stack(set(out), final_s):
        del out[addr]
    return out


def outcome_of(run: Any, state_name: str) -> Outcome:
    final = run.final
    regs = {k: int(getattr(final, k)) for k in REGISTERS}
    return Outcome(
        state=state_name,
        reason=_reason_name(run.reason),
        regs=regs,
        e=bool(final.e),
        writes=live_writes(dict(run.writes), regs["s"]),
        reads=frozenset(map(_normalized, run.reads)),
        cycles=int(run.cycles),
        instructions=int(run.instructions),
        mmio=list(getattr(run, "mmio", []) or []),
        rom_reads=frozenset(getattr(run, "rom_reads", ()) or ()),
    )


def code_stubs(image: Any) -> dict[str, int]:
    """The image's stub routines (name -> address): stub labels whose byte is an RTS or RTL."""
    stubs = getattr(image, "stubs", None)
    if not stubs:
        return {}
    return {name: int(a) for name, a in stubs.items() if stub_kind(image, a) != "data"}


def stub_kind(image: Any, address: int) -> str:
    """`near` (an RTS), `long` (an RTL) or `data` (zero bytes): what a stub label holds."""
    from triforce.snes.asar.rom import snes_to_offset
    from triforce.snes.asar.stubs import RTL, RTS

    offset = snes_to_offset(address, "lorom")
    rom = image.rom
    byte = rom[offset] if offset is not None and offset < len(rom) else 0
    return {RTS: "near", RTL: "long"}.get(byte, "data")


def absent_rom_reads(image: Any, outcome: Outcome) -> list[int]:
    """ROM addresses the run read as data that the image does not hold (no chunk of its own
    assembly covers them): a table the text refers to by address, a stub label's zero bytes.
    Their bytes are zeros here, not the game's, so what the run did with them is not a fact."""
    if not outcome.rom_reads:
        return []
    game = getattr(image, "game", None)
    if game is not None:  # in place: the game's bytes, except what the tree left out
        return [a for a in sorted(outcome.rom_reads) if not game.known(a)]
    from triforce.snes.asar.rom import snes_to_offset

    spans = [(c.offset, c.offset + len(c.data)) for c in getattr(image, "chunks", ())]
    out = []
    for addr in sorted(outcome.rom_reads):
        off = snes_to_offset(addr, "lorom")
        if off is None or not any(lo <= off < hi for lo, hi in spans):
            out.append(addr)
    return out


def _grows(result: Any) -> bool:
    size = len(getattr(result, "_base", b"") or b"")
    return any(c.offset + len(c.data) > size for c in result.chunks)


class _SharedImages:
    """One bus per asar batch: the snippets of a batch sit in disjoint slots of one image.

    Building a bus maps all 256 banks, which costs more than running a small routine; a batch's
    results share their base image (with every stub) and differ only in their own chunks. So
    one bus holds the base, and before a member runs its own chunks are written in and the
    previous member's taken out: every run sees exactly its own image, never a neighbour's
    bytes (a table read far out of range, a jump into the next slot). Registered by Assembler,
    dropped when the batch's routines are done."""

    def __init__(self) -> None:
        self._group_of: dict[int, int] = {}
        self._members: dict[int, list[Any]] = {}
        self._bus: dict[int, Any] = {}
        self._base: dict[int, bytes] = {}
        self._active: dict[int, Any] = {}  # the member whose chunks the group's bus holds now

    def register(self, results: Sequence[Any]) -> None:
        """Group a batch's results; one whose base image differs (other stubs) stays out of the
        group. Results may overlap (every snippet assembled at ORG): the bus holds one at a time."""
        # A result that writes past the end of its base (a hook's `freecode` that grew the ROM)
        # runs on a bus of its own: the shared bus would grow too, and a larger ROM maps (and
        # mirrors) banks differently for every other member.
        ok = [r for r in results if r is not None and r.ok and not _grows(r)]
        if ok:  # the shared image is built on the first result's base (with its stub bytes)
            base = getattr(ok[0], "_base", None)
            ok = [r for r in ok if getattr(r, "_base", None) is base or getattr(r, "_base", None) == base]
        if len(ok) < 2:
            return
        gid = id(ok[0])
        self._members[gid] = ok
        for r in ok:
            self._group_of[id(r)] = gid

    def bus_for(self, image: Any) -> Any:
        """The group's bus holding `image` (base, stubs and its own chunks only), or None."""
        from triforce.snes.bus import SnesBus

        gid = self._group_of.get(id(image))
        if gid is None:
            return None
        if gid not in self._bus:
            members = self._members[gid]
            end = max(c.offset + len(c.data) for r in members for c in r.chunks)
            base = bytes(members[0]._base)
            base += bytes(max(0, end - len(base)))
            self._base[gid] = base
            self._bus[gid] = SnesBus(base, mapper="lorom", sram_size=SRAM_SIZE)
        bus = self._bus[gid]
        active = self._active.get(gid)
        if active is not image:
            base = self._base[gid]
            if active is not None:
                for c in active.chunks:
                    bus.write_rom(c.offset, base[c.offset : c.offset + len(c.data)])
                for offset in getattr(active, "_stub_bytes", {}):
                    bus.write_rom(offset, base[offset : offset + 1])
            for offset, value in getattr(image, "_stub_bytes", {}).items():  # its own stubs only
                bus.write_rom(offset, bytes([value]))
            for c in image.chunks:
                bus.write_rom(c.offset, c.data)
            self._active[gid] = image
        return bus

    def clear(self) -> None:
        self._group_of.clear()
        self._members.clear()
        self._bus.clear()
        self._base.clear()
        self._active.clear()


SHARED = _SharedImages()


def run_states(
    image: Any,
    entry: int,
    convention: Convention,
    specs: Sequence[StateSpec],
    max_instructions: int | Sequence[int] = MAX_INSTRUCTIONS,
) -> list[Outcome]:
    """Run the assembled image from `entry` once per state (`max_instructions`: one limit for
    all, or one per state).

    One bus serves every state, back to its power-on state before each run (the state then
    pokes its bytes), and within an asar batch one bus serves every snippet, holding only the
    running snippet's own bytes (see _SharedImages)."""
    from triforce.snes.bus import SnesBus
    from triforce.snes.machine import run_routine

    outs: list[Outcome] = []
    bus = SHARED.bus_for(image)
    # An image with a stub routine (an RTS/RTL for a label the tree lacks) has its instruction
    # fetches watched: a run that executes a stub did what no game code does (see absent_rom_reads).
    watch_code = bool(code_stubs(image))
    limits = [max_instructions] * len(specs) if isinstance(max_instructions, int) else max_instructions
    for spec, limit in zip(specs, limits, strict=True):
        if bus is None:
            bus = SnesBus(image.rom, mapper="lorom", sram_size=SRAM_SIZE)
        bus.power_on()  # the previous run's (or batch member's) memory and registers go
        run = run_routine(
            bus,
            entry=entry,
            state=machine_state(spec),
            convention=convention,
            max_instructions=limit,
            watch_code=watch_code,
        )
        outs.append(outcome_of(run, spec.name))
    return outs


def limits_against(expected: Sequence[Outcome]) -> list[int]:
    """Instruction limits for running a variant (buggy, rewritten, hooked) on the states where the
    original gave `expected`: four times the original's count plus 1,000, at most
    MAX_INSTRUCTIONS. A variant still running then has observably stopped behaving like the
    original, and a runaway bug costs thousands of instructions instead of the maximum."""
    return [variant_limit(o.instructions) for o in expected]


def variant_limit(instructions: int) -> int:
    """The limit for a variant on one state where the original ran `instructions` (see above)."""
    return min(MAX_INSTRUCTIONS, 4 * instructions + 1_000)


def differences(
    expected: Outcome, actual: Outcome, ignore: frozenset[int] = frozenset(), flags: bool = True
) -> list[str]:
    """Human-readable differences between two outcomes (empty when equivalent)."""
    diffs: list[str] = []
    if expected.reason != actual.reason:
        diffs.append(f"stopped by {actual.reason} instead of {expected.reason}")
        return diffs
    for k in REGISTERS:
        if k == "p" and not flags:
            continue
        if expected.regs[k] != actual.regs[k]:
            width = 2 if k in ("db", "p") else 4
            diffs.append(f"{k.upper()}=${actual.regs[k]:0{width}X} (expected ${expected.regs[k]:0{width}X})")
    if expected.e != actual.e:
        diffs.append(f"E={int(actual.e)} (expected {int(expected.e)})")
    for addr in sorted(set(expected.writes) | set(actual.writes)):
        if addr in ignore:
            continue
        ev, av = expected.writes.get(addr), actual.writes.get(addr)
        if ev != av:
            e_txt = "unwritten" if ev is None else f"${ev:02X}"
            a_txt = "unwritten" if av is None else f"${av:02X}"
            diffs.append(f"[${addr:06X}]={a_txt} (expected {e_txt})")
    return diffs


def describe_state(spec: StateSpec, interesting: Sequence[int] = ()) -> str:
    """A compact description of an input state for a symptom report."""
    parts = [
        f"A=${spec.a:04X}",
        f"X=${spec.x:04X}",
        f"Y=${spec.y:04X}",
        f"P=${spec.p:02X}",
        f"DB=${spec.db:02X}",
    ]
    for addr in interesting:
        if addr in spec.memory:
            parts.append(f"[${addr:06X}]=${spec.memory[addr]:02X}")
    return " ".join(parts)


def stub_record(image: Any) -> dict[str, dict[str, str]]:
    """The stub labels an image was assembled with: where each went and what it is (`near`: an
    RTS, `long`: an RTL, `data`: zero bytes). A value computed from a stub's address depends on
    where the stub went, so a re-check must put it in the same place (see verify)."""
    return {
        name: {"address": f"${address:06X}", "kind": stub_kind(image, address)}
        for name, address in sorted(image.stubs.items())
    }


def exec_record(
    entry_name: str,
    entry: int,
    convention: str,
    specs: Sequence[StateSpec],
    outcomes: Sequence[Outcome],
    image: Any,
) -> dict[str, Any]:
    """The re-checkable evidence stored in a sample's meta: inputs and the observed results, with
    where they were produced (`entry_address`, the stubs of `image`, the image that ran)."""
    game = getattr(image, "game", None)
    where: dict[str, Any] = {}
    if game is not None:
        where["image"] = {"tree": game.name, "digest": game.digest, "base": game.base}
        pad = getattr(image, "pad_to", None)
        if pad is not None:  # a shorter variant ran with NOPs up to the original's end
            where["pad_to"] = [f"${pad[0]:06X}", f"${pad[1]:06X}"]
    return {
        "org": f"${ORG:06X}" if game is None else f"${entry:06X}",
        **where,
        "entry": entry_name,
        "entry_address": f"${entry:06X}",
        "convention": convention,
        "sram_size": SRAM_SIZE,
        "stubs": stub_record(image),
        "states": [
            {"initial": s.to_json(), "final": o.to_json()} for s, o in zip(specs, outcomes, strict=True)
        ],
    }


def first_error(res: Any) -> str:
    """asar's first error as `line: message`, the quotable diagnostic of a rejected source."""
    from triforce.snes.asar.diagnostics import first_error as first_asar_error

    return first_asar_error(res.diagnostics)


# A build's verdicts must not depend on how busy the machine is. asar's wall-clock limit is for
# runaway sources, and no snippet a generator makes runs long on an idle machine, so a source that
# ran out of wall-clock time (a loaded machine stretches every run) is assembled once more, alone,
# with this limit before the timeout counts: otherwise the timeout is a reject the unit log keeps,
# and a build resumed (or rerun) on a quieter machine writes other samples.
RETRY_TIMEOUT_S = 60.0


def _timed_out(res: Any) -> bool:
    return res is not None and not res.ok and any(d.code == "Ttimeout" for d in res.errors)


class Assembler:
    """asar access for generators: one process per batch, or one per source for the baseline.
    `limits`: the sandbox's (None: its defaults); a timed-out source is retried (RETRY_TIMEOUT_S)."""

    def __init__(self, batch: bool = True, limits: Any = None) -> None:
        self.batch = batch
        self.limits = limits
        self.calls = 0
        # The source tree's directory, so incbin/incsrc inside it resolve (set per chunk).
        self.include_root: Path | None = None
        # The game image in-place sources are assembled over (corpus.image.GameImage; set per chunk).
        self.game: Any = None

    def assemble_many(self, sources: Sequence[str], at: Sequence[int | None] | None = None) -> list[Any]:
        """Results in order; an entry is None when asar could not run at all on that source.
        `at`: per source, the address it is assembled at in place over `self.game` (None: alone at ORG)."""
        where: list[int | None] = (
            list(at) if at is not None and self.game is not None else [None] * len(sources)
        )
        results = self._assemble_many(sources, where)
        for i, res in enumerate(results):
            if _timed_out(res):
                results[i] = self._single(sources[i], retry=True, at=where[i])
        return results

    def _assemble_many(self, sources: Sequence[str], where: list[int | None]) -> list[Any]:
        from triforce.snes.asar import assemble_batch

        if not sources:
            return []
        if self.batch and len(sources) > MAX_BATCH:  # slots past bank $7D would be WRAM, not ROM
            return [
                res
                for at in range(0, len(sources), MAX_BATCH)
                for res in self._assemble_many(sources[at : at + MAX_BATCH], where[at : at + MAX_BATCH])
            ]
        if not self.batch:
            return [self._single(s, at=a) for s, a in zip(sources, where, strict=True)]
        game = self.game if any(a is not None for a in where) else None
        self.calls += 1
        try:
            # base: each source is assembled as it is alone at its address (ORG, or its own in the
            # game image; its bytes only stored in a slot), so its proof is the same in a batch and
            # alone, whatever its neighbours.
            results: list[Any] = list(
                assemble_batch(
                    list(sources),
                    org=ORG,
                    stubs=True,
                    slot_size=SLOT_SIZE,
                    base=[a if a is not None else ORG for a in where],
                    base_rom=game.rom if game is not None else None,
                    rom_size=len(game.rom) if game is not None else None,
                    include_root=self.include_root,
                    limits=self.limits,
                )
            )
        except TriforceError:
            # The batch as a whole failed (e.g. it does not fit one image): one by one instead.
            return [self._single(s, at=a) for s, a in zip(sources, where, strict=True)]
        if game is not None:  # in place: the image is the game's with the result's own bytes
            for res in results:
                if res is not None:
                    res.game = game
        # Only snippets placed by this batch share its image; a retried one has its own.
        SHARED.register(results)
        # Sources that fail only because of the batch are assembled on their own.
        for i, res in enumerate(results):
            if res is not None and not res.ok and any(d.code in _BATCH_ONLY_ERRORS for d in res.errors):
                results[i] = self._single(sources[i], at=where[i])
        return results

    def _single(self, source: str, retry: bool = False, at: int | None = None) -> Any:
        """One asar process; None when asar itself could not run on this source. `retry`: the
        source timed out before, so it gets RETRY_TIMEOUT_S (its CPU limit grows with it)."""
        from triforce.snes.asar import SandboxLimits, assemble
        from triforce.snes.asar.assemble import DEFAULT_ROM_SIZE

        self.calls += 1
        limits = self.limits
        if retry:
            limits = limits or SandboxLimits()
            limits = limits.model_copy(update={"timeout_s": max(limits.timeout_s, RETRY_TIMEOUT_S)})
        game = self.game if at is not None else None
        try:
            res = assemble(
                source,
                org=at if at is not None else ORG,
                stubs=True,
                include_root=self.include_root,
                limits=limits,
                base_rom=game.rom if game is not None else None,
                rom_size=len(game.rom) if game is not None else DEFAULT_ROM_SIZE,
            )
        except TriforceError:
            return None
        if game is not None:
            res.game = game
        return res
