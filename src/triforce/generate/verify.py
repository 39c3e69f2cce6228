"""Re-verify samples from their own records, independently of the build that made them.

What is proven is the text the model trains on: the code is extracted from the assistant message
the way the evaluation extracts a model's answer (`evaluate.answers`), and a sample whose
messages and record disagree (an edited instruction, a changed return, a line of garbage, a
different buggy or slow version in the prompt, a fact or cycle count the runs do not give) fails.

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
import json
import multiprocessing as mp
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triforce.generate.base import with_tables
from triforce.generate.doc import fact_lines, facts_of, indexed_operands
from triforce.generate.domain import load_generator, registry
from triforce.generate.execution import MAX_INSTRUCTIONS, REGISTERS, live_writes, outcome_of, variant_limit
from triforce.generate.inplace import image_for, pad_to, why_no_image
from triforce.generate.states import StateSpec, from_byte_runs
from triforce.snes.addresses import parse_address
from triforce.snes.asar import assemble
from triforce.snes.asar.assemble import DEFAULT_ROM_SIZE
from triforce.snes.asar.diagnostics import first_error as first_asar_error
from triforce.snes.asar.stubs import RTL, RTS
from triforce.snes.asmblocks import asm_blocks, extract_asm
from triforce.snes.machine import MachineState, run_routine

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
    code: str,
    entry: str,
    address: int,
    root: Path | None,
    stubs: dict[str, dict[str, str]] | None = None,
    ex: dict[str, Any] | None = None,
) -> tuple[Any, str | None]:
    """The code assembled with its entry label at `address` (alone, or in place over the game
    image the record names in `ex`) and its stubs where they were recorded, or (result, what
    went wrong)."""

    org = address
    source = with_stubs(code, stubs or {})
    game, problem = _game_of(ex or {}, root)
    if problem:
        return None, problem
    for _ in range(2):  # once more when text before the label (a define, a table) moved it
        res = _assemble_over(source, org, root, game)
        if game is not None:
            pad = (ex or {}).get("pad_to")
            if pad:
                pad_to(
                    res,
                    parse_address(pad[0], field="meta.exec.pad_to"),
                    parse_address(pad[1], field="meta.exec.pad_to"),
                )
        if not res.ok:
            return res, f"asar rejects the code: {first_asar_error(res.diagnostics)}"
        at = _entry_symbol(res.symbols, entry, address)
        if at is None:
            return res, f"entry label {entry} is not defined by the code"
        if at == address:
            return res, None
        org += address - at
    return res, f"entry label {entry} lands at ${at:06X}, not at the recorded ${address:06X}"


# The base tree a hack tree's samples were made over (`triforce dataset verify --base-source`).
BASE_ROOT: Path | None = None


def _game_of(ex: dict[str, Any], root: Path | None) -> tuple[Any, str | None]:
    """The game image a sample ran in (None for a snippet sample), or what keeps it from being had."""
    recorded = ex.get("image")
    if not recorded:
        return None, None
    if root is None:
        return None, f"the sample ran in place in {recorded.get('tree')}'s image: pass --root with that tree"
    game = image_for(root, BASE_ROOT)
    if game is None:
        return None, f"{root} does not assemble as a whole: {why_no_image(root, BASE_ROOT)}"
    if game.digest != recorded.get("digest"):
        return None, f"{root} is not the tree the sample ran in (image digest differs)"
    return game, None


def _assemble_over(source: str, org: int, root: Path | None, game: Any) -> Any:
    """`source` assembled at `org`, alone, or over the game image a sample ran in (in place)."""
    return assemble(
        source,
        org=org,
        stubs=True,
        include_root=root,
        base_rom=game.rom if game is not None else None,
        rom_size=len(game.rom) if game is not None else DEFAULT_ROM_SIZE,
    )


def _entry_symbol(symbols: dict[str, int], entry: str, address: int | None = None) -> int | None:
    """The entry label's address; a routine written inside `namespace X` defines `X_entry`. Of
    several such names (`Oracle_Twinrova_IceAttack` beside a constant `Oracle_Sprite_Twinrova_...`),
    the one at the recorded `address`."""
    if entry in symbols:
        return symbols[entry]
    scoped = sorted({a for name, a in symbols.items() if name.endswith(f"_{entry}")})
    if len(scoped) > 1 and address is not None and address in scoped:
        return address
    return scoped[0] if len(scoped) == 1 else None


def _outcome_problem(run: Any, final: dict[str, Any], state: str, counts: bool = True) -> str | None:
    """How a run differs from a recorded final outcome, or None when it matches (`counts`: the
    cycle and instruction counts too, which the messages quote)."""
    reason = str(run.reason).upper()
    if reason != final["reason"]:
        return f"state {state}: stopped by {reason}, recorded {final['reason']}"
    if reason != "RETURNED":
        return None
    if counts:
        for k in ("cycles", "instructions"):
            if k in final and int(getattr(run, k)) != int(final[k]):
                return f"state {state}: {int(getattr(run, k))} {k}, recorded {int(final[k])}"
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
    code, problems = trained_code(sample)
    if problems:
        return problems, 0
    address = parse_address(ex["entry_address"], field="meta.exec.entry_address")
    res, problem = _assemble_at(code, ex["entry"], address, root, ex.get("stubs"), ex)
    if problem:
        return [problem], 0
    states = ex["states"]
    every = not (max_states and len(states) > max_states)
    if not every:
        step = len(states) / max_states
        states = [states[int(i * step)] for i in range(max_states)]
    sram = ex.get("sram_size")
    ran: list[tuple[StateSpec, Any]] = []
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
        ran.append((StateSpec.from_json(st["initial"]), run))
    if problems:
        return problems, len(states)
    meta = sample["meta"]
    generator = meta.get("generator")
    problems += claim_problems(sample, [outcome_of(r, s.name) for s, r in ran] if every else None)
    if generator == "optimize":
        problems += _slow_problems(sample, address, root, states)
    proof = meta.get("proof")
    if generator == "debug" and proof:
        problems += _proof_problems(sample, proof, address, root)
    return problems, len(states)


def _message(sample: dict[str, Any], role: str) -> str:
    """The last message of `role` (the text the model is trained to produce, for the assistant)."""
    texts = [m.get("content", "") for m in sample.get("messages", []) if m.get("role") == role]
    return str(texts[-1]) if texts else ""


def _one_block(text: str) -> str | None:
    blocks = asm_blocks(text)
    return blocks[0].code if len(blocks) == 1 else None


def _first_difference(shown: str, record: str) -> str:
    a, b = shown.rstrip("\n").splitlines(), record.rstrip("\n").splitlines()
    for n, (x, y) in enumerate(itertools.zip_longest(a, b, fillvalue="<end>"), start=1):
        if x != y:
            return f"line {n}: {x.strip()!r}, the record has {y.strip()!r}"
    return "they differ in layout"


# Generators whose proven code is the routine shown in the user message, not the answer.
_CODE_IN_PROMPT = ("doc", "hook", "teach")


def trained_code(sample: dict[str, Any]) -> tuple[str, list[str]]:
    """The code to prove, taken from the messages the model trains on, and every way those
    messages disagree with the sample's record (an empty list: they agree).

    The answer's code is extracted from the assistant message as the evaluation extracts a model's
    answer (`extract_asm` with the entry label). A hook's answer is its patch (the record holds
    the routine plus the patch); a doc answer (and a teaching lesson) states facts about the code
    in the user message."""
    meta, ex = sample["meta"], sample["meta"]["exec"]
    record = str(ex["code"])
    generator = meta.get("generator")
    assistant, user = _message(sample, "assistant"), _message(sample, "user")
    problems: list[str] = []
    if generator in _CODE_IN_PROMPT:
        shown = _one_block(user)
        if shown is None or shown.rstrip("\n") not in record:
            problems.append("the routine in the user message is not the recorded routine")
        if generator == "hook":
            patch = _one_block(assistant)
            if patch is None or not record.rstrip("\n").endswith(patch.rstrip("\n")):
                problems.append("the patch in the assistant message differs from the recorded patch")
        return record, problems
    code, note = extract_asm(assistant, str(ex["entry"]))
    if code is None:
        return record, [f"assistant message: {note}"]
    given = meta.get("given") if generator == "base" else None
    if given:
        # The long data tables are the prompt's context, not the answer: what was assembled is
        # the answer with each table back at its line, and the prompt must give every table.
        missing = [t for t in given if str(t["text"]) not in user and f"`{t['label']}`" not in user]
        if missing:
            problems.append(
                f"the table {missing[0]['label'] or 'at line ' + str(missing[0]['at'])} is not given in the user message"
            )
        code = with_tables(code, given)
    if code.rstrip("\n") != record.rstrip("\n"):
        problems.append(
            f"the assistant message's code differs from the record: {_first_difference(code, record)}"
        )
    prompt = {"debug": "buggy", "optimize": "slow"}.get(str(generator))
    if prompt is not None:
        shown = _one_block(user)
        if shown is None or shown.rstrip("\n") != str(meta.get(prompt, "")).rstrip("\n"):
            problems.append(f"the code in the user message is not the recorded {prompt} version")
    return code, problems


_STATES_CLAIM = re.compile(r"on (\d+) test states \((\d+)-(\d+) cycles\)")


def claim_problems(sample: dict[str, Any], outcomes: list[Any] | None) -> list[str]:
    """Numbers the assistant message states that the record (and, when every state was re-run,
    the `outcomes` of the re-run) must give: base's state count and cycle range, doc's facts."""
    meta = sample["meta"]
    assistant = _message(sample, "assistant")
    finals = [st["final"] for st in meta["exec"]["states"]]
    generator = meta.get("generator")
    if generator == "base":
        claim = _STATES_CLAIM.search(assistant)
        cycles = [int(f["cycles"]) for f in finals]
        if claim is None or tuple(map(int, claim.groups())) != (len(finals), min(cycles), max(cycles)):
            return ["the assistant message's state count or cycle range is not the record's"]
    if generator == "doc":
        recorded = json.loads(json.dumps(meta.get("facts")))
        if outcomes is not None:
            specs = [StateSpec.from_json(st["initial"]) for st in meta["exec"]["states"]]
            derived = json.loads(json.dumps(facts_of(list(zip(specs, outcomes, strict=True)))))
            if derived != recorded:
                wrong = sorted(k for k in derived if derived.get(k) != (recorded or {}).get(k))
                return [f"doc facts differ from a re-run: {', '.join(wrong)}"]
        shown = _one_block(_message(sample, "user")) or ""
        lines = fact_lines(recorded, indexed_operands(shown), str(meta["exec"]["code"]))
        missing = [line.strip() for line in lines if line.strip() not in assistant]
        if missing:
            return [f"the assistant message does not state the recorded fact {missing[0]!r}"]
    return []


_SIZE_CLAIM = re.compile(r"(\d+) -> (\d+) bytes assembled")


def _slow_problems(sample: dict[str, Any], address: int, root: Path | None, states: list[Any]) -> list[str]:
    """An optimize sample's slow version (the prompt's code) ends like the recorded fast one on
    every state, and the sizes the message quotes are the assembled ones."""
    ex, meta = sample["meta"]["exec"], sample["meta"]
    res, problem = _assemble_at(str(meta["slow"]), ex["entry"], address, root, ex.get("stubs"), ex)
    if problem:
        return [f"slow version: {problem}"]
    fast, _ = _assemble_at(str(ex["code"]), ex["entry"], address, root, ex.get("stubs"), ex)
    claim = _SIZE_CLAIM.search(_message(sample, "assistant"))
    sizes = (sum(len(c.data) for c in res.chunks), sum(len(c.data) for c in fast.chunks))
    if claim is None or tuple(map(int, claim.groups())) != sizes:
        return [f"the assistant message's sizes are not the assembled {sizes[0]} -> {sizes[1]} bytes"]
    for st in states:
        run = run_routine(
            res, address, state_of(st["initial"]), ex["convention"], sram_size=ex.get("sram_size"),
            max_instructions=MAX_INSTRUCTIONS,
        )  # fmt: skip
        found = _outcome_problem(run, st["final"], st["initial"].get("name", "?"), counts=False)
        if found:
            return [f"slow version: {found}"]
    return []


def _proof_problems(
    sample: dict[str, Any], proof: dict[str, Any], address: int, root: Path | None
) -> list[str]:

    ex, buggy = sample["meta"]["exec"], sample["meta"]["buggy"]
    if proof["kind"] == "asar":
        game, problem = _game_of(ex, root)
        if problem:
            return [f"proof: {problem}"]
        res = _assemble_over(buggy, address, root, game)
        if res.ok:
            return ["proof: asar accepts the buggy code the sample says it rejects"]
        if not any(d.message in proof["diagnostic"] for d in res.errors):
            return [f"proof: asar rejects the buggy code with another error: {res.errors[0].message}"]
        return []
    address = parse_address(proof.get("entry_address", ex["entry_address"]), field="meta.proof.entry_address")
    res, problem = _assemble_at(buggy, ex["entry"], address, root, proof.get("stubs"), ex)
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


def _check_one(args: tuple[dict[str, Any], Path | None, Path | None]) -> tuple[str, str, str, list[str], int]:
    global BASE_ROOT
    sample, root, BASE_ROOT = args  # a worker process learns the base tree with each sample
    meta = sample.get("meta", {})
    try:
        domain = _domain_generator(sample)
        if domain is not None:
            problems, states = load_generator(domain).check_in(sample, root), 0
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
    base_root: Path | None = None,
) -> VerifyReport:
    """Check every sample that carries an execution record or was made by a domain generator
    (which re-proves it); the others are counted as skipped.

    Samples are taken `window` at a time, so a file of any size is checked in bounded memory."""
    report = VerifyReport()
    pool = mp.get_context("forkserver").Pool(workers) if workers > 1 else None
    try:
        batch: list[tuple[dict[str, Any], Path | None, Path | None]] = []
        for s in itertools.chain(samples, [None]):  # None: the end, to check the last batch
            if s is not None:
                has_exec = isinstance(s.get("meta"), dict) and isinstance(s["meta"].get("exec"), dict)
                if has_exec or _domain_generator(s) is not None:
                    batch.append((s, root, base_root))
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
