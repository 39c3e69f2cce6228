"""Quest → implementation pairs: what one is, and how its ASM half is proven.

A pair is a `Sample` of task `cross.implementation`: the user turn asks for a quest and the
routine behind it, the assistant turn answers with a quest design in prose and an asar block.
`meta["grading"]` holds the `asm-exec` spec (entry, convention, test states) the routine is run
against, so every pair, seed or pilot-generated, is re-verifiable by execution at any time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from triforce.errors import InputError
from triforce.evaluate.graders import GradeContext
from triforce.evaluate.graders.asm import AsmSpec, grade_asm
from triforce.evaluate.graders.cross import CrossSpec, grade_cross
from triforce.evaluate.graders.romhack import RomhackSpec, grade_romhack
from triforce.evaluate.verdict import Verdict
from triforce.sample import Message, Provenance, Sample, Verification

TASK = "cross.implementation"
SOURCE = "quest-implementation"


@dataclass(frozen=True)
class Proof:
    """A verdict plus the bytes asar produced (for byte-level dedup), when it assembled."""

    verdict: Verdict
    assembled_hex: str | None


def grading_of(sample: Sample) -> dict[str, Any]:
    """The sample's grading spec (`asm-exec`, `cross` or `romhack`); InputError naming the field if absent."""
    grading = sample.meta.get("grading")
    if not isinstance(grading, dict) or grading.get("kind") not in ("asm-exec", "cross", "romhack"):
        raise InputError(
            f"sample {sample.id}: field meta.grading: needs an 'asm-exec' (or 'cross') spec "
            "with entry, convention and test states"
        )
    return grading


def check_grading(grading: dict[str, Any], where: str) -> AsmSpec | CrossSpec | RomhackSpec:
    """Validate a grading spec; the error names the first bad field."""
    kind = grading.get("kind")
    model: type[AsmSpec] | type[CrossSpec] | type[RomhackSpec] = (
        CrossSpec if kind == "cross" else RomhackSpec if kind == "romhack" else AsmSpec
    )
    try:
        return model.model_validate(grading)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise InputError(f"{where}: field grading.{field}: {err['msg']}") from exc


def prove(grading: dict[str, Any], answer: str, where: str = "answer") -> Proof:
    """Assemble the answer's routine in the asar sandbox and run it on every test state."""
    from triforce.snes.asar import assemble

    spec = check_grading(grading, where)
    captured: list[Any] = []

    def _assembler(source: str, org: int) -> Any:
        result = assemble(source, org=org, stubs=True)
        captured.append(result)
        return result

    def _patch_assembler(source: str, base: bytes) -> Any:
        from triforce.romhack.prove import ROM_SIZE

        result = assemble(source, org=None, rom_size=ROM_SIZE, base_rom=base, filename="patch.asm")
        captured.append(result)
        return result

    ctx = GradeContext(assembler=_assembler)
    if isinstance(spec, RomhackSpec):
        verdict = grade_romhack(spec, answer, ctx, assembler=_patch_assembler)
    elif isinstance(spec, CrossSpec):
        verdict = grade_cross(spec, answer, ctx)
    else:
        verdict = grade_asm(spec, answer, ctx)
    hex_bytes = None
    if captured and captured[-1].ok:
        hex_bytes = b"".join(c.data for c in sorted(captured[-1].chunks, key=lambda c: c.address)).hex()
    return Proof(verdict=verdict, assembled_hex=hex_bytes)


def states_of(grading: dict[str, Any]) -> int:
    if grading.get("kind") == "romhack":
        from triforce.romhack.prove import scenarios

        return len(scenarios(RomhackSpec.model_validate(grading).spec))
    asm = grading.get("asm", grading)
    return len(asm.get("states", [])) if isinstance(asm, dict) else 0


def with_proof(sample: Sample, proof: Proof, method: str = "asar+exec") -> Sample:
    """The sample with its verification and assembled bytes set from a proof."""
    v = proof.verdict
    grading = grading_of(sample)
    verification = Verification(
        assembled=proof.assembled_hex is not None,
        executed=proof.assembled_hex is not None and v.code not in ("assemble-error", "entry-missing"),
        states_tested=states_of(grading),
        passed=v.passed,
        method=method,
        details={"code": v.code, "reason": v.reason, "score": v.score},
    )
    meta = dict(sample.meta)
    if proof.assembled_hex is not None:
        meta["assembled_hex"] = proof.assembled_hex
    return sample.model_copy(update={"verification": verification, "meta": meta})


def verify_pair(sample: Sample, method: str = "asar+exec") -> tuple[Sample, Verdict]:
    """Re-prove a pair's ASM half from its own grading spec."""
    proof = prove(grading_of(sample), sample.answer(), where=f"sample {sample.id}")
    return with_proof(sample, proof, method), proof.verdict


def check_pair_schema(sample: Sample, where: str) -> None:
    """A pair must be a cross.implementation chat with a user turn, an answer and a grading spec."""
    if sample.task != TASK:
        raise InputError(f"{where}: field task: expected {TASK!r}, got {sample.task!r}")
    if sample.domain != "cross":
        raise InputError(f"{where}: field domain: expected 'cross', got {sample.domain!r}")
    roles = [m.role for m in sample.messages]
    if "user" not in roles or roles[-1] != "assistant":
        raise InputError(f"{where}: field messages: needs a user turn and must end with the assistant answer")
    grading = sample.meta.get("grading")
    if not isinstance(grading, dict):
        raise InputError(f"{where}: field meta.grading: missing (the asm-exec spec with test states)")
    check_grading(grading, where)


def make_pair(
    prompt: str,
    answer: str,
    grading: dict[str, Any],
    *,
    system: str | None = None,
    corpus: str,
    origin: str,
    routine: str | None = None,
    meta: dict[str, Any] | None = None,
) -> Sample:
    """Build an (unverified) pair sample."""
    messages = [Message(role="system", content=system)] if system else []
    messages += [Message(role="user", content=prompt), Message(role="assistant", content=answer)]
    return Sample(
        messages=messages,
        domain="cross",
        task=TASK,
        source=SOURCE,
        provenance=Provenance.model_validate({"corpus": corpus, "origin": origin, "routine": routine}),
        meta={**(meta or {}), "grading": grading},
    )


def validate_seed(samples: Sequence[Sample], path: str) -> tuple[list[Sample], list[str]]:
    """Check each seed pair's schema and prove its ASM half; returns (verified, problems).

    Problems name the record (`path:line` order) and the grader's reason, so an expert can fix
    the pair; a seed set with any problem is refused as a whole by `refine init`.
    """
    verified: list[Sample] = []
    problems: list[str] = []
    seen: set[str] = set()
    for index, sample in enumerate(samples, start=1):
        where = f"{path}: record {index} ({sample.id})"
        try:
            check_pair_schema(sample, where)
        except InputError as exc:
            problems.append(str(exc))
            continue
        if sample.id in seen:
            problems.append(f"{where}: duplicate of an earlier record")
            continue
        seen.add(sample.id)
        proved, verdict = verify_pair(sample, method="asar+exec+expert")
        if not verdict.passed:
            problems.append(f"{where}: ASM half fails: ({verdict.code}) {verdict.reason}")
            continue
        verified.append(proved)
    return verified, problems
