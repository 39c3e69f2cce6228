"""Re-verify samples from their own records, independently of the build that made them.

A sample's `meta.exec` names the code, the entry label and the address it was proven at, the
calling convention, the SRAM size, and what the routine did on every recorded state. Nothing
else comes from the build: the code is assembled alone with `assemble()` (one asar process, no
batch slots, no shared image) at the recorded address, and each initial state runs on a new
machine (`run_routine`). Registers, E and the bytes written (minus dead stack below the final S)
must equal the record.

A debug sample's proof is checked too: an "asar" proof needs asar to reject the buggy code with
the recorded error; an "exec" proof needs the buggy code, run on the recorded state with the
limit the build used (`variant_limit`), to end as recorded and differently from the fixed one.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triforce.generate.domain import load_generator, registry
from triforce.generate.execution import MAX_INSTRUCTIONS, REGISTERS, live_writes, variant_limit
from triforce.generate.states import StateSpec, from_byte_runs
from triforce.snes.asar import assemble
from triforce.snes.asar.stubs import RTL, RTS
from triforce.snes.machine import MachineState, parse_number, run_routine

Progress = Callable[[int], None]


@dataclass
class VerifyReport:
    """What a verification found: `failed` entries name the sample and what did not hold."""

    checked: int = 0
    passed: int = 0
    states: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    per_generator: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "passed": self.passed,
            "failed": self.failed,
            "states_run": self.states,
            "skipped": dict(self.skipped),
            "passed_per_generator": dict(self.per_generator),
        }


def state_of(obj: dict[str, Any]) -> MachineState:
    """The MachineState of a recorded initial state (registers, E and memory runs)."""
    spec = StateSpec.from_json(obj)
    return MachineState(**spec.registers(), e=spec.e, memory=spec.memory)


_STUB_BYTES = {"near": RTS, "long": RTL}  # a data stub is zero bytes, as empty ROM is


def with_stubs(code: str, stubs: dict[str, dict[str, str]]) -> str:
    """The code with its recorded stub labels defined where the build had them (and their RTS /
    RTL bytes there), so a value computed from a stub's address comes out the same."""
    if not stubs:
        return code
    head = "".join(f"{name} = {st['address']}\n" for name, st in stubs.items())
    tail = "".join(
        f"pushpc\norg {st['address']}\n    db ${_STUB_BYTES[st['kind']]:02X}\npullpc\n"
        for st in stubs.values()
        if st["kind"] in _STUB_BYTES
    )
    return head + code + "\n" + tail


def _assemble_at(
    code: str, entry: str, address: int, root: Path | None, stubs: dict[str, dict[str, str]] | None = None
) -> tuple[Any, str | None]:
    """The code assembled alone with its entry label at `address` and its stubs where they were
    recorded, or (result, what went wrong)."""

    org = address
    source = with_stubs(code, stubs or {})
    for _ in range(2):  # once more when text before the label (a define, a table) moved it
        res = assemble(source, org=org, stubs=True, include_root=root)
        if not res.ok:
            first = res.errors[0] if res.errors else None
            return res, f"asar rejects the code: {first.message if first else 'no diagnostic'}"
        at = _entry_symbol(res.symbols, entry)
        if at is None:
            return res, f"entry label {entry} is not defined by the code"
        if at == address:
            return res, None
        org += address - at
    return res, f"entry label {entry} lands at ${at:06X}, not at the recorded ${address:06X}"


def _entry_symbol(symbols: dict[str, int], entry: str) -> int | None:
    """The entry label's address; a routine written inside `namespace X` defines `X_entry`."""
    if entry in symbols:
        return symbols[entry]
    scoped = [a for name, a in symbols.items() if name.endswith(f"_{entry}")]
    return scoped[0] if len(scoped) == 1 else None


def _outcome_problem(run: Any, final: dict[str, Any], state: str) -> str | None:
    """How a run differs from a recorded final outcome, or None when it matches."""
    reason = str(run.reason).upper()
    if reason != final["reason"]:
        return f"state {state}: stopped by {reason}, recorded {final['reason']}"
    if reason != "RETURNED":
        return None
    for k in REGISTERS:
        if int(getattr(run.final, k)) != int(final[k]):
            return (
                f"state {state}: {k.upper()}=${int(getattr(run.final, k)):04X}, recorded ${int(final[k]):04X}"
            )
    if bool(run.final.e) != bool(final["e"]):
        return f"state {state}: E={int(run.final.e)}, recorded {int(final['e'])}"
    got, want = live_writes(dict(run.writes), int(run.final.s)), from_byte_runs(final["writes"])
    if got != want:
        diff = sorted(set(got.items()) ^ set(want.items()))[:3]
        return f"state {state}: memory written differs at {', '.join(f'${a:06X}' for a, _ in diff)}"
    return None


def check_sample(
    sample: dict[str, Any], root: Path | None = None, max_states: int = 0
) -> tuple[list[str], int]:
    """(problems, states run) for one sample; no problems means every recorded fact held.

    `max_states` > 0 checks an even spread of that many states instead of all of them."""

    ex = sample["meta"]["exec"]
    address = parse_number(ex["entry_address"])
    res, problem = _assemble_at(ex["code"], ex["entry"], address, root, ex.get("stubs"))
    if problem:
        return [problem], 0
    states = ex["states"]
    if max_states and len(states) > max_states:
        step = len(states) / max_states
        states = [states[int(i * step)] for i in range(max_states)]
    problems: list[str] = []
    sram = ex.get("sram_size")
    for st in states:
        if st["final"]["reason"] != "RETURNED":
            problems.append(f"state {st['initial'].get('name')}: recorded as not returning")
            continue
        run = run_routine(
            res, address, state_of(st["initial"]), ex["convention"], sram_size=sram,
            max_instructions=MAX_INSTRUCTIONS,
        )  # fmt: skip
        found = _outcome_problem(run, st["final"], st["initial"].get("name", "?"))
        if found:
            problems.append(found)
    proof = sample["meta"].get("proof")
    if sample["meta"].get("generator") == "debug" and proof:
        problems += _proof_problems(sample, proof, address, root)
    return problems, len(states)


def _proof_problems(
    sample: dict[str, Any], proof: dict[str, Any], address: int, root: Path | None
) -> list[str]:

    ex, buggy = sample["meta"]["exec"], sample["meta"]["buggy"]
    if proof["kind"] == "asar":
        res = assemble(buggy, org=address, stubs=True, include_root=root)
        if res.ok:
            return ["proof: asar accepts the buggy code the sample says it rejects"]
        if not any(d.message in proof["diagnostic"] for d in res.errors):
            return [f"proof: asar rejects the buggy code with another error: {res.errors[0].message}"]
        return []
    address = parse_number(proof.get("entry_address", ex["entry_address"]))
    res, problem = _assemble_at(buggy, ex["entry"], address, root, proof.get("stubs"))
    if problem:
        return [f"proof: {problem}"]
    expected, actual = proof["expected"], proof["actual"]
    n = expected.get("instructions")
    if n is None:
        return ["proof: the record lacks the instruction count the limit was derived from"]
    limit = variant_limit(int(n))
    run = run_routine(
        res, address, state_of(proof["state"]), ex["convention"], sram_size=ex.get("sram_size"),
        max_instructions=limit,
    )  # fmt: skip
    found = _outcome_problem(run, actual, "proof")
    if found:
        return [f"proof: the buggy code does not do what the sample shows ({found})"]
    if _outcome_problem(run, expected, "proof") is None:
        return ["proof: the buggy code ends like the fixed one on the recorded state"]
    return []


def _check_one(args: tuple[dict[str, Any], Path | None]) -> tuple[str, str, str, list[str], int]:
    sample, root = args
    meta = sample.get("meta", {})
    try:
        domain = _domain_generator(sample)
        if domain is not None:
            problems, states = load_generator(domain).check(sample), 0
        else:
            problems, states = check_sample(sample, root)
    except Exception as exc:  # a malformed record is a failed check, not a crash
        problems, states = [f"could not check: {type(exc).__name__}: {exc}"], 0
    return (
        str(sample.get("id")),
        str(meta.get("routine", "?")),
        str(meta.get("generator", "?")),
        problems,
        states,
    )


def _domain_generator(sample: dict[str, Any]) -> str | None:
    """The domain generator that made this sample (it re-proves it), or None for ASM samples."""
    meta = sample.get("meta")
    name = meta.get("generator") if isinstance(meta, dict) else None
    return name if isinstance(name, str) and name in registry() else None


def verify_samples(
    samples: Iterable[dict[str, Any]],
    root: Path | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    window: int = 256,
) -> VerifyReport:
    """Check every sample that carries an execution record or was made by a domain generator
    (which re-proves it); the others are counted as skipped.

    Samples are taken `window` at a time, so a file of any size is checked in bounded memory."""
    report = VerifyReport()
    pool = mp.get_context("forkserver").Pool(workers) if workers > 1 else None
    try:
        batch: list[tuple[dict[str, Any], Path | None]] = []
        for s in itertools.chain(samples, [None]):  # None: the end, to check the last batch
            if s is not None:
                has_exec = isinstance(s.get("meta"), dict) and isinstance(s["meta"].get("exec"), dict)
                if has_exec or _domain_generator(s) is not None:
                    batch.append((s, root))
                else:
                    report.skipped["no execution record"] += 1
                if len(batch) < window:
                    continue
            if not batch:
                continue
            results = pool.map(_check_one, batch, chunksize=8) if pool else list(map(_check_one, batch))
            if progress:
                progress(len(batch))
            batch = []
            for sample_id, routine, generator, problems, states in results:
                report.checked += 1
                report.states += states
                if problems:
                    report.failed.append(
                        {"id": sample_id, "routine": routine, "generator": generator, "problem": problems[0]}
                    )
                else:
                    report.passed += 1
                    report.per_generator[generator] += 1
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return report
