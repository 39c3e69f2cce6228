"""Per-routine context shared by the generators: source, assembled image, states, baseline runs.

A routine is assembled and executed once; every generator then works from that baseline, so a
debug or optimize candidate is judged against the same states the original was run on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from triforce.generate.asmtext import label_name, parse, render
from triforce.generate.execution import (
    MAX_INSTRUCTIONS,
    ORG,
    STATE_BUDGET,
    Convention,
    Outcome,
    absent_rom_reads,
    code_stubs,
    first_error,
    run_states,
)
from triforce.generate.states import StateInputs, StateSpec, generate_states, inputs_of

CONVENTIONS: dict[str, Convention] = {"rtl": "jsl", "rts": "jsr"}
_NAME_RE = re.compile(r"[A-Za-z_]\w*")
MIN_STATES = 4
PROBE_STATES = 6


@dataclass
class Reject:
    """A candidate that was not kept, with a reason key (for counting) and a detail (for people)."""

    generator: str
    routine: str
    reason: str
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "generator": self.generator,
            "routine": self.routine,
            "reason": self.reason,
            "detail": self.detail,
        }


@dataclass
class Subject:
    """A routine made executable: the source that assembles alone and how to call it.

    The text is split in three so generators edit only the routine itself: `prefix` (mapper,
    defines, macros the routine needs), `body` (the routine, one statement per line) and
    `suffix` (the corpus routines and data it references, appended by the corpus reader)."""

    routine: Any
    prefix: str
    body: str
    suffix: str
    convention: Convention
    inputs: StateInputs
    markers: frozenset[str] = frozenset()  # labels of the body no code reaches (see asmtext)
    #: In place: the routine's address in the game image it runs in (see generate/inplace.py);
    #: None for a snippet assembled alone at ORG.
    address: int | None = None
    #: In place, when the routine addresses something through DB: the game's DB at entry and how
    #: it is known, for the prompt's contract (e.g. "$1E, as its callers set it"); "" otherwise.
    db_note: str = ""

    @property
    def name(self) -> str:
        return str(self.routine.name)

    @property
    def code(self) -> str:
        return self.with_body(self.body)

    def with_body(self, body: str) -> str:
        """The full source with another body (a buggy, optimized or hooked variant)."""
        return self.prefix + body + self.suffix

    @property
    def body_line(self) -> int:
        """Line number (1-based) of the body's first line within `code`."""
        return self.prefix.count("\n") + 1

    def entry_of(self, assembled: Any) -> int | None:
        """The routine's address in an assembled result (namespaced labels included)."""
        r = self.routine
        for label in (r.name, r.qualified_name, f"{getattr(r, 'namespace', '')}_{r.name}"):
            if label in assembled.symbols:
                return int(assembled.symbols[label])
        return None


@dataclass
class Context:
    """A subject after assembly and baseline execution."""

    subject: Subject
    image: Any
    entry: int
    states: list[StateSpec]
    outcomes: list[Outcome]
    seed: int
    extra: dict[str, Any] = field(default_factory=dict)
    budget: int = MAX_INSTRUCTIONS  # instructions the original got per state

    @property
    def good(self) -> list[tuple[StateSpec, Outcome]]:
        """States on which the original routine returned normally: the ones worth comparing on."""
        return [(s, o) for s, o in zip(self.states, self.outcomes, strict=True) if o.returned]

    def good_runs(self) -> tuple[list[StateSpec], list[Outcome]]:
        """The good states and their outcomes as two parallel lists."""
        good = self.good
        return [s for s, _ in good], [o for _, o in good]


def split_standalone(routine: Any) -> tuple[str, str, str]:
    """(prefix, body, suffix) of the routine's position-independent standalone source.

    `standalone(placed=False)` leaves placement to the assembler (asar batches put each snippet
    in its own slot) and appends the corpus blocks the routine references after the body."""
    text = routine.standalone(placed=False)
    body = routine.body.rstrip("\n")
    at = text.find(body)
    if at < 0:  # the reader adjusted the body (e.g. balanced an if/endif): edit the whole text
        return "", text, ""
    return text[:at], text[at : at + len(body)] + "\n", text[at + len(body) :].lstrip("\n")


def make_subject(routine: Any, game: Any = None) -> Subject | Reject:
    """The routine with its prerequisites: in place in `game` (a corpus.image.GameImage) when
    given, else alone with the corpus blocks it references appended (the corpus reader's)."""
    convention = CONVENTIONS.get(routine.returns or "")
    if game is not None:
        # In place, a routine without a return of its own (a jump-table dispatch, a branch into
        # the next routine) returns through the game's code: build_context finds out how.
        return _in_place_subject(routine, game, convention or "jsr")
    if convention is None:
        return Reject("*", routine.qualified_name, "no-return", f"returns={routine.returns!r}: not callable")
    if not getattr(routine, "fall_through_complete", True):
        return Reject(
            "*",
            routine.qualified_name,
            "falls-off",
            f"falls through into {routine.falls_into}, a chain that cannot be placed after it",
        )
    db = entry_db_of(routine)
    if isinstance(db, Reject):
        return db
    prefix, body, suffix = split_standalone(routine)
    text = render(parse(body))
    markers = marker_labels(routine, prefix + text + suffix)
    inputs = replace(inputs_of(routine), db=db)
    return Subject(routine, prefix, text, suffix, convention, inputs, markers)


def _in_place_subject(routine: Any, game: Any, convention: Convention) -> Subject | Reject:
    """The routine at its own address in the game image, every label it names at the game's."""
    from triforce.generate.inplace import label_constants, routine_address

    name = routine.qualified_name
    address = routine_address(routine, game)
    if address is None:
        return Reject("*", name, "not-in-image", f"label {routine.name} is not in the assembled tree")
    prefix, body, _suffix = split_standalone(routine)
    text = render(parse(body))
    prefix += label_constants(prefix, text, routine, game)
    found = _in_place_db(routine, address, text, prefix, game)
    if isinstance(found, Reject):
        return found
    db, note = found
    markers = marker_labels(routine, prefix + text)
    inputs = replace(inputs_of(routine), db=db)
    return Subject(routine, prefix, text, "", convention, inputs, markers, address=address, db_note=note)


def _in_place_db(routine: Any, address: int, body: str, prefix: str, game: Any) -> tuple[int, str] | Reject:
    """DB at entry for a routine run in place: its callers' bank where the tree determines it;
    else what its own code addresses through DB with every label at the game's value
    (inplace.db_needs): hardware registers only, a system bank; WRAM above $2000 only, $7E;
    nothing, $7E (it does not matter). A routine reading ROM through a DB no caller sets, or
    needing both registers and WRAM through it, is not run."""
    from triforce.generate.inplace import db_needs

    constants = {m.group(1): int(m.group(2), 16) for m in _CONST_RE.finditer(prefix)}
    ns = getattr(routine, "namespace", "")
    needs = db_needs(body, address >> 16, game, constants, f"{ns}_{routine.name}" if ns else routine.name)
    if getattr(routine, "entry_db_source", "") == "callers" and routine.entry_db is not None:
        bank = int(routine.entry_db)
        return bank, (f"${bank:02X}, as every caller in the game sets it" if needs else "")
    if not needs:
        return 0x7E, ""
    if needs == {"io"}:
        return 0x00, "a system bank ($00-$3F): it reaches hardware registers through DB"
    if needs == {"wram"}:
        return 0x7E, "$7E: it addresses WRAM above $2000 through DB"
    return Reject(
        "*",
        routine.qualified_name,
        "entry-db-unknown",
        f"reads {', '.join(sorted(needs))} through a data bank no caller sets",
    )


_CONST_RE = re.compile(r"^([A-Za-z_]\w*) = \$([0-9A-Fa-f]+)$", re.MULTILINE)
ORG_BANK = ORG >> 16  # the bank a subject's code and the blocks appended to it run in


def entry_db_of(routine: Any) -> int | Reject:
    """The DB a routine's states start with, from what the tree says (corpus._banks): its
    callers' bank (its own home bank becomes the bank the snippet runs in, where its tables are
    appended), a system bank for code that reads hardware registers, $7E otherwise. A routine
    that reads ROM through a DB the tree does not determine (or that sits in another bank than
    the snippet holds) is not run: its table reads would read something else than the game's."""
    source = getattr(routine, "entry_db_source", "any")
    bank = getattr(routine, "entry_db", None)
    needs: frozenset[str] = getattr(routine, "entry_db_needs", frozenset())
    name = routine.qualified_name
    if source == "callers" and bank is not None:
        home = routine.address >> 16 if routine.address is not None else None
        if bank == home and home not in (0x7E, 0x7F):
            return ORG_BANK
        if "rom" in needs and not 0x70 <= bank <= 0x7F:
            return Reject(
                "*", name, "entry-db-elsewhere", f"reads ROM through DB=${bank:02X}, not its own bank"
            )
        return int(bank)
    if source in ("io", "wram") and bank is not None:
        return int(bank)
    if source == "any" or not needs:
        return 0x7E
    return Reject(
        "*", name, "entry-db-unknown", f"reads {', '.join(sorted(needs))} through a data bank no caller sets"
    )


def marker_labels(routine: Any, code: str) -> frozenset[str]:
    """`#Name:` labels of the routine that no code of its tree and no line of `code` (the
    standalone text) refers to: address markers such as usdasm's `#_00EE78:`.

    Only `#` labels qualify (asar's labels that open no sublabel scope, which disassemblies use
    for addresses); a routine read without its tree (no `tree_refs`) has none."""
    refs: frozenset[str] = getattr(routine, "tree_refs", frozenset())
    if not refs:
        return frozenset()
    stmts = parse(code)
    defined = {label_name(s) for s in stmts if s.kind == "label" and s.text.startswith("#")}
    if not defined:
        return frozenset()
    used = {n for s in stmts if s.kind != "label" for n in _NAME_RE.findall(s.text)}
    return frozenset(defined - refs - used - {routine.name})


_DATA_RE = re.compile(r"^\s*(?:[#.]?\w+:\s*)?d[bwld]\b", re.IGNORECASE)


def stub_values(code: str, stubs: dict[str, int]) -> list[str]:
    """Stub labels (what the tree lacks, placed by the asar layer) whose address the code uses
    as a value: in an immediate (`LDA.b #Table>>16`) or a data statement (`dw Handler`). Such a
    value is where the stub happened to go, not the game's: nothing computed from it is a fact."""
    if not stubs:
        return []
    found: list[str] = []
    lines = [line.split(";", 1)[0] for line in code.splitlines()]
    for name in sorted(stubs):
        ref = re.compile(rf"(?<![\w.!]){re.escape(name)}(?!\w)")
        for line in lines:
            if name not in line:
                continue
            hash_at = line.find("#", line.find(":") + 1 if re.match(r"^\s*#\w+:", line) else 0)
            if (hash_at >= 0 and ref.search(line, hash_at)) or (_DATA_RE.match(line) and ref.search(line)):
                found.append(name)
                break
    return found


def state_budget(probe: list[Outcome]) -> int:
    """Instructions per state for the full run: STATE_BUDGET, or twice the longest probe run that
    returned when the routine needs more than that even on its edge states (capped at
    MAX_INSTRUCTIONS). States over budget are left out of the evidence, like any that do not return."""
    longest = max((o.instructions for o in probe if o.returned), default=0)
    return min(MAX_INSTRUCTIONS, max(STATE_BUDGET, 2 * longest))


def build_context(subject: Subject, assembled: Any, seed: int, n_random: int = 12) -> Context | Reject:
    """Probe run on seeds and edge states to learn what the routine reads and how long it runs,
    then the full run within that budget."""
    if not assembled.ok:
        return Reject("*", subject.inputs.name, "original-rejected", first_error(assembled))
    entry = subject.entry_of(assembled)
    if entry is None:
        return Reject(
            "*", subject.inputs.name, "no-entry-symbol", f"label {subject.name} not in asar symbols"
        )
    if subject.address is not None and getattr(assembled, "stubs", None):
        missing = ", ".join(sorted(assembled.stubs)[:4])
        return Reject(
            "*", subject.inputs.name, "label-not-in-game", f"names {missing}, which the tree does not define"
        )
    valued = stub_values(subject.code, getattr(assembled, "stubs", {}) or {})
    if valued:
        return Reject(
            "*",
            subject.inputs.name,
            "stub-address-value",
            f"uses the address of {', '.join(valued)} as a value, a label the tree does not define",
        )
    # A few states are enough to learn which addresses the routine reads.
    probe_states = generate_states(subject.inputs, seed, n_random=0)[:PROBE_STATES]
    # Half the maximum: a probe run longer than that would set a budget over the maximum anyway.
    probe = run_states(assembled, entry, subject.convention, probe_states, MAX_INSTRUCTIONS // 2)
    if subject.address is not None and CONVENTIONS.get(subject.routine.returns or "") is None:
        # No return of its own: the convention under which the game's code it runs into returns.
        other = run_states(assembled, entry, "jsl", probe_states, MAX_INSTRUCTIONS // 2)
        if sum(o.returned for o in other) > sum(o.returned for o in probe):
            subject = replace(subject, convention="jsl")
            probe = other
        if not any(o.returned for o in probe):
            return Reject(
                "*",
                subject.inputs.name,
                "no-return",
                "no return of its own, and none through the code it runs into",
            )
    # Only runs that returned: a run stopped by the limit (a 16-bit count looping through a
    # whole bank) reads addresses no kept state needs, and every state would carry them.
    reads: set[int] = set()
    for o in probe:
        if o.returned:
            reads |= o.reads
    states = generate_states(subject.inputs, seed, n_random=n_random, read_addresses=reads)
    budget = state_budget(probe)
    outcomes = run_states(assembled, entry, subject.convention, states, max_instructions=budget)
    # A state whose run read the beam counters, NMI/IRQ flags or the joypads leaves the
    # evidence: the bus answers those with defaults, not what the game would read.
    nondeterministic = sorted({r for o in outcomes for r in o.nondeterministic_reads()})
    if nondeterministic:
        kept = [(s, o) for s, o in zip(states, outcomes, strict=True) if not o.nondeterministic_reads()]
        states, outcomes = [s for s, _ in kept], [o for _, o in kept]
        if sum(o.returned for o in outcomes) < MIN_STATES:
            regs = ", ".join(f"${r:04X}" for r in nondeterministic)
            return Reject(
                "*", subject.inputs.name, "nondeterministic-input", f"its results depend on reads of {regs}"
            )
    # Likewise a state whose run read ROM the image does not hold (a table outside the text).
    absent = sorted({a for o in outcomes for a in absent_rom_reads(assembled, o)})
    if absent:
        kept = [(s, o) for s, o in zip(states, outcomes, strict=True) if not absent_rom_reads(assembled, o)]
        states, outcomes = [s for s, _ in kept], [o for _, o in kept]
        if sum(o.returned for o in outcomes) < MIN_STATES:
            ran = sorted(n for n, a in code_stubs(assembled).items() if a in absent)
            if ran:  # it called a routine the tree lacks: the stub's RTS is not that routine
                return Reject(
                    "*", subject.inputs.name, "runs-stub", f"its results depend on calls to {', '.join(ran)}"
                )
            where = ", ".join(f"${a:06X}" for a in absent[:4]) + (", ..." if len(absent) > 4 else "")
            return Reject(
                "*", subject.inputs.name, "reads-absent-rom", f"its results depend on ROM bytes at {where}"
            )
    ctx = Context(subject, assembled, entry, states, outcomes, seed, budget=budget)
    if subject.address is not None:  # in place: where the original's bytes end (see inplace.pad_to)
        ctx.extra["end"] = max(
            (c.end for c in assembled.chunks if c.address <= entry < c.end + 1), default=None
        )
        if ctx.extra["end"] is not None and getattr(subject.routine, "falls_into", None):
            assembled.pad_to = (entry, ctx.extra["end"])  # variants are padded to here (inplace.pad_to)
    if len(ctx.good) < MIN_STATES:
        bad = next((o for o in outcomes if not o.returned), None)
        detail = f"returned within {budget} instructions on {len(ctx.good)}/{len(states)} states"
        if bad is not None:
            detail += f"; state {bad.state} stopped by {bad.reason}"
        return Reject("*", subject.inputs.name, "does-not-return", detail)
    return ctx
