"""Per-routine context shared by the generators: source, assembled image, states, baseline runs.

A routine is assembled and executed once; every generator then works from that baseline, so a
debug or optimize candidate is judged against the same states the original was run on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from triforce.generate.asmtext import parse, render
from triforce.generate.execution import Outcome, first_error, run_states
from triforce.generate.states import StateInputs, StateSpec, generate_states, inputs_of

CONVENTIONS = {"rtl": "jsl", "rts": "jsr"}
MIN_STATES = 4


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
    """A routine made executable: the source that assembles alone and how to call it."""

    routine: Any
    source: str
    convention: str
    inputs: StateInputs
    support: str = ""  # callee bodies appended so calls run real code
    code: str = ""  # the routine as generators show it: standalone() in one-statement-per-line form

    @property
    def name(self) -> str:
        return str(self.routine.name)

    @property
    def key(self) -> str:
        r = self.routine
        return f"{r.provenance.corpus}:{r.file}:{r.qualified_name}"


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

    @property
    def good(self) -> list[tuple[StateSpec, Outcome]]:
        """States on which the original routine returned normally: the ones worth comparing on."""
        return [(s, o) for s, o in zip(self.states, self.outcomes, strict=True) if o.returned]


def _callee_closure(routine: Any, index: Mapping[str, Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    todo = list(routine.calls)
    while todo:
        name = todo.pop(0)
        callee = index.get(name)
        if callee is None or name in seen or callee is routine:
            continue
        seen[name] = callee
        todo.extend(callee.calls)
    return list(seen.values())


def make_subject(routine: Any, index: Mapping[str, Any]) -> Subject | Reject:
    """Attach callees from the same corpus so calls run real code; stubs cover the rest."""
    convention = CONVENTIONS.get(routine.returns or "")
    if convention is None:
        return Reject("*", routine.qualified_name, "no-return", f"returns={routine.returns!r}: not callable")
    support = "\n".join(callee.body for callee in _callee_closure(routine, index))
    code = render(parse(routine.standalone()))
    source = code + ("\n" + support if support else "")
    return Subject(routine, source, convention, inputs_of(routine), support, code)


def build_context(subject: Subject, assembled: Any, seed: int, n_random: int = 12) -> Context | Reject:
    """Probe run on seeds and edge states to learn what the routine reads, then the full run."""
    if not assembled.ok:
        return Reject("*", subject.inputs.name, "original-rejected", first_error(assembled))
    entry = assembled.symbols.get(subject.name)
    if entry is None:
        entry = assembled.symbols.get(subject.routine.qualified_name)
    if entry is None:
        return Reject(
            "*", subject.inputs.name, "no-entry-symbol", f"label {subject.name} not in asar symbols"
        )
    probe_states = generate_states(subject.inputs, seed, n_random=0)
    probe = run_states(assembled, entry, subject.convention, probe_states)
    reads: set[int] = set()
    for o in probe:
        reads |= o.reads
    states = generate_states(subject.inputs, seed, n_random=n_random, read_addresses=reads)
    outcomes = run_states(assembled, entry, subject.convention, states)
    ctx = Context(subject, assembled, entry, states, outcomes, seed)
    if len(ctx.good) < MIN_STATES:
        bad = next((o for o in outcomes if not o.returned), None)
        detail = f"returned on {len(ctx.good)}/{len(states)} states"
        if bad is not None:
            detail += f"; state {bad.state} stopped by {bad.reason}"
        return Reject("*", subject.inputs.name, "does-not-return", detail)
    return ctx


def good_specs(ctx: Context) -> Sequence[StateSpec]:
    return [s for s, _ in ctx.good]
