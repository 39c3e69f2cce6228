"""Lore answers graded by the claim checker (`triforce.lore`), never by word overlap.

- `lore-claims`: the answer carries a ```claims block; every (subject, relation) the item asks
  must be answered by a claim the KB supports, and no claim may be contradicted (a resolved
  ambiguity, a wrong boss, a wrong address). Claims the KB cannot decide are allowed unless the
  item says otherwise.
- `canon-verdict`: "is this consistent with canon?": the answer's ```verdict block must reach
  the checker's status and cite a record that decides it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from triforce.evaluate.graders import GradeContext
from triforce.evaluate.verdict import CheckResult, Verdict
from triforce.lore import VANILLA, Claim, ClaimChecker, ClaimResult, vanilla
from triforce.lore.claimtext import extract_claims, extract_verdict, render_claims, render_verdict
from triforce.lore.mutate import wrong_claims
from triforce.lore.names import slug
from triforce.lore.schema import relation


class LoreClaimsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["lore-claims"]
    ask: list[tuple[str, str]] = Field(min_length=1)  # (subject entity id, relation) to answer
    scope: str = VANILLA
    allow_unknown: bool = True

    @field_validator("ask")
    @classmethod
    def _known(cls, value: list[tuple[str, str]]) -> list[tuple[str, str]]:
        kb = vanilla()
        for subject, rel in value:
            if subject not in kb.entities:
                raise ValueError(f"unknown entity {subject!r}")
            if relation(rel) is None and not kb.facts(subject, rel):
                raise ValueError(f"unknown relation {rel!r}")
        return value


class CanonVerdictSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["canon-verdict"]
    claim: tuple[str, str, str | int]
    scope: str = VANILLA


def _answers(result: ClaimResult, subject: str, rel: str) -> bool:
    """Does this claim answer (subject, rel), read forwards or through the inverse?"""
    claim_rel = slug(result.claim.relation)
    if claim_rel == rel and result.subject_id == subject:
        return True
    spec = relation(rel)
    return bool(spec and spec.inverse == claim_rel and result.object_value == subject)


def lore_checks(spec: LoreClaimsSpec, claims: list[Claim]) -> list[CheckResult]:
    kb = vanilla()
    results = ClaimChecker(kb, spec.scope).check_all(claims)
    checks: list[CheckResult] = []
    for subject, rel in spec.ask:
        mine = [r for r in results if _answers(r, subject, rel)]
        good = [r for r in mine if r.status == "supported"]
        name = f"{kb.name(subject)} / {rel}"
        if good:
            checks.append(CheckResult(name=name, passed=True, details={"code": "ok"}))
        elif mine:
            checks.append(
                CheckResult(
                    name=name,
                    passed=False,
                    message=f"{mine[0].status}: {mine[0].reason}",
                    details={"code": "fact-contradiction"},
                )
            )
        else:
            checks.append(
                CheckResult(
                    name=name, passed=False, message="no claim answers it", details={"code": "structure"}
                )
            )
    for r in results:
        if r.status == "contradicted" or (r.status == "unknown" and not spec.allow_unknown):
            c = r.claim
            checks.append(
                CheckResult(
                    name=f"claim ({c.subject}, {c.relation}, {c.object})",
                    passed=False,
                    message=f"{r.status}: {r.reason}",
                    details={"code": "fact-contradiction"},
                )
            )
    return checks


def grade_lore(spec: LoreClaimsSpec, answer: str, ctx: GradeContext) -> Verdict:
    claims, error = extract_claims(answer)
    if claims is None:
        return Verdict.fail("parse-error", error)
    return Verdict.from_checks(lore_checks(spec, claims), "fact-contradiction")


def grade_canon(spec: CanonVerdictSpec, answer: str, ctx: GradeContext) -> Verdict:
    data, error = extract_verdict(answer)
    if data is None:
        return Verdict.fail("parse-error", error)
    s, r, o = spec.claim
    truth = ClaimChecker(vanilla(), spec.scope).check(Claim(s, r, o))
    status = str(data.get("status", "")).strip().lower()
    checks = [
        CheckResult(
            name="status",
            passed=status == truth.status,
            message=f"the claim is {truth.status} ({truth.reason}), not {status!r}",
            details={"code": "fact-contradiction"},
        )
    ]
    if truth.status != "unknown":
        ids = {x.id for x in truth.records}
        cited = str(data.get("record", "")).strip()
        checks.append(
            CheckResult(
                name="deciding record",
                passed=cited in ids,
                message=f"cites {cited or 'no record'}; the deciding record is {sorted(ids)[0] if ids else '-'}",
                details={"code": "fact-contradiction"},
            )
        )
    return Verdict.from_checks(checks, "fact-contradiction")


def mutants(reference: str, spec: LoreClaimsSpec | CanonVerdictSpec) -> list[tuple[str, str]]:
    """Wrong answers made from the reference, as (mistake, answer), for `triforce eval sensitivity`."""
    return [(op, text) for op, _, text in described_mutants(reference, spec)]


def described_mutants(reference: str, spec: LoreClaimsSpec | CanonVerdictSpec) -> list[tuple[str, str, str]]:
    """(mistake, what changed, answer) for every wrong answer made from the reference."""
    kb = vanilla()
    out: list[tuple[str, str, str]] = []
    if isinstance(spec, CanonVerdictSpec):
        data, _ = extract_verdict(reference)
        if data is None:
            return out
        s, r, o = spec.claim
        truth = ClaimChecker(kb, spec.scope).check(Claim(s, r, o))
        claim = Claim(s, r, o)
        for other in ("supported", "contradicted", "unknown"):
            if other != truth.status:
                out.append(
                    ("flipped-verdict", f"status {other}", render_verdict(claim, other, data.get("record")))
                )
        if truth.status != "unknown":
            wrong = next(x for x in kb.records if x.subject != truth.records[0].subject)
            out.append(("wrong-record", f"cites {wrong.id}", render_verdict(claim, truth.status, wrong.id)))
        return out
    claims, _ = extract_claims(reference)
    claims = claims or []
    results = ClaimChecker(kb, spec.scope).check_all(claims)
    for i, claim in enumerate(claims):
        for op, variant in wrong_claims(kb, claim, spec.scope, limit=2):
            changed = [*claims[:i], variant, *claims[i + 1 :]]
            out.append((op, f"claim {i + 1}: {variant.object}", render_claims(changed)))
        if any(_answers(results[i], s, r) for s, r in spec.ask):
            rest = [c for j, c in enumerate(claims) if j != i]
            out.append(("dropped-claim", f"claim {i + 1} left out", render_claims(rest)))
    return out
