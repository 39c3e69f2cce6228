"""debug: inject a catalogued bug, prove its effect, and teach the diagnosis and the fix.

The catalogue (catalogs/bugs.yaml) is data; this module holds one small transform per kind of
edit. A candidate is kept only with proof: asar rejects the buggy text (its diagnostic is
quoted as the symptom), or running it on a concrete state differs from the original (the
differing registers and memory are the symptom).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

from triforce.generate.asmtext import (
    Stmt,
    fmt_hex,
    hex_digits,
    immediate,
    insn_indices,
    next_insn,
    parse,
    plain_address,
    render,
    without_address_markers,
)
from triforce.generate.base import purpose_line
from triforce.generate.candidate import (
    Candidate,
    answer_hex,
    call_text,
    catalog,
    fence,
    make_sample,
    proven,
    width_text,
)
from triforce.generate.context import Context, Reject
from triforce.generate.execution import (
    Outcome,
    describe_state,
    differences,
    exec_record,
    first_error,
    limits_against,
    run_states,
    stub_record,
)
from triforce.generate.states import StateSpec
from triforce.sample import Sample
from triforce.snes.opcodes import Mode, modes_of

MAX_SITES = 2  # per bug class and routine: variety across routines beats many near-copies
Edit = tuple[list[Stmt], dict[str, Any]]
_REASONS = {
    "BAD_RETURN": "returns to the wrong address (the stack is unbalanced or the return is of the wrong kind)",
    "EXECUTED_OUTSIDE_MEMORY": "runs off into I/O or open-bus space",
    "CYCLE_LIMIT": "never returns (stopped at the cycle limit)",
    "BRK": "hits a BRK (executes data or zeroed memory)",
    "COP": "hits a COP",
    "STP": "stops the CPU (STP)",
    "WAI": "waits for an interrupt (WAI)",
    "SENTINEL": "returns to the wrong place",
}


def _drop_width_bit(stmts: list[Stmt], p: dict[str, Any]) -> Iterator[Edit]:
    for i in insn_indices(stmts):
        s = stmts[i]
        v = immediate(s)
        if s.mnemonic != p["mnemonic"] or v is None:
            continue
        for bit in (0x20, 0x10):
            if not v & bit:
                continue
            new = v & ~bit
            if new == 0:
                edited = stmts[:i] + stmts[i + 1 :]
                yield edited, {"line": i, "was": s.text, "now": "(removed)"}
            else:
                ns = s.with_insn(s.mnemonic, f"#${new:02X}")
                yield [*stmts[:i], ns, *stmts[i + 1 :]], {"line": i, "was": s.text, "now": ns.text}


def _delete_before(stmts: list[Stmt], p: dict[str, Any]) -> Iterator[Edit]:
    for i in insn_indices(stmts):
        if stmts[i].mnemonic != p["delete"]:
            continue
        j = next_insn(stmts, i)
        if j is None or stmts[j].mnemonic != p["before"]:
            continue
        yield (
            stmts[:i] + stmts[i + 1 :],
            {"line": i, "was": stmts[i].text, "now": "(removed)", "next": stmts[j].text},
        )


def _swap_mnemonic(stmts: list[Stmt], p: dict[str, Any]) -> Iterator[Edit]:
    pairs: dict[str, str] = p["pairs"]
    idx = [i for i in insn_indices(stmts) if stmts[i].mnemonic in pairs]
    if p.get("last_only"):
        idx = idx[-1:]
    for i in idx:
        s = stmts[i]
        ns = s.with_insn(pairs[s.mnemonic])
        yield [*stmts[:i], ns, *stmts[i + 1 :]], {"line": i, "was": s.text, "now": ns.text}


def _nudge_compare(stmts: list[Stmt], p: dict[str, Any]) -> Iterator[Edit]:
    for i in insn_indices(stmts):
        s = stmts[i]
        v = immediate(s)
        if s.mnemonic not in p["mnemonics"] or v is None:
            continue
        digits = hex_digits(s.operand[1:]) or (2 if v <= 0xFF else 4)
        for d in p["deltas"]:
            nv = v + d
            if 0 <= nv < 16**digits:
                ns = s.with_insn(s.mnemonic, "#" + fmt_hex(nv, digits))
                yield [*stmts[:i], ns, *stmts[i + 1 :]], {"line": i, "was": s.text, "now": ns.text}
                break


def _delete_one(stmts: list[Stmt], p: dict[str, Any]) -> Iterator[Edit]:
    for mn in p["mnemonics"]:
        for i in insn_indices(stmts):
            if stmts[i].mnemonic == mn:
                yield stmts[:i] + stmts[i + 1 :], {"line": i, "was": stmts[i].text, "now": "(removed)"}
                break


def _make_long(stmts: list[Stmt], p: dict[str, Any]) -> Iterator[Edit]:
    for i in insn_indices(stmts):
        s = stmts[i]
        addr = plain_address(s)
        modes = modes_of(s.mnemonic)
        if addr is None or addr[1] != 4 or Mode.ABS not in modes or Mode.LONG in modes:
            continue
        if s.mnemonic in ("JMP", "JSR"):
            continue
        ns = s.with_insn(s.mnemonic, fmt_hex((p["bank"] << 16) | addr[0], 6))
        yield (
            [*stmts[:i], ns, *stmts[i + 1 :]],
            {"line": i, "was": s.text, "now": ns.text, "mnemonic": s.mnemonic},
        )


def _drop_bank(stmts: list[Stmt], p: dict[str, Any]) -> Iterator[Edit]:
    for i in insn_indices(stmts):
        s = stmts[i]
        addr = plain_address(s)
        if (
            addr is None
            or addr[1] != 6
            or addr[0] >> 16 not in (0x7E, 0x7F)
            or Mode.ABS not in modes_of(s.mnemonic)
        ):
            continue
        if s.mnemonic in ("JML", "JSL", "JMP", "JSR"):
            continue
        ns = s.with_insn(s.mnemonic, fmt_hex(addr[0] & 0xFFFF, 4))
        info = {"line": i, "was": s.text, "now": ns.text, "bank": addr[0] >> 16, "db_variants": True}
        yield [*stmts[:i], ns, *stmts[i + 1 :]], info


_PULLS = frozenset(["PLA", "PLX", "PLY", "PLP", "PLB", "PLD"])


def _saves_for_caller(stmts: list[Stmt], first: int, last: int) -> bool:
    """True when the push is in the routine's prologue (no branch target before it but the
    entry label) and the pull is in its epilogue (only other pulls before the return): only
    then does the pair preserve the *caller's* value, as the diagnosis says. A pair around a
    loop body saves a value across iterations instead."""
    labels = [i for i, s in enumerate(stmts) if s.kind == "label"]
    if any(i < first for i in labels[1:]):
        return False
    for s in stmts[last + 1 :]:
        if s.kind in ("blank", "brace", "marker"):
            continue
        if s.kind != "insn" or s.mnemonic not in _PULLS | {"RTS", "RTL"}:
            return False
        if s.mnemonic in ("RTS", "RTL"):
            return True
    return False


def _delete_pair(stmts: list[Stmt], p: dict[str, Any]) -> Iterator[Edit]:
    pairs: dict[str, str] = p["pairs"]
    for push, pull in pairs.items():
        idx = insn_indices(stmts)
        first = next((i for i in idx if stmts[i].mnemonic == push), None)
        if first is None:
            continue
        last = next((i for i in reversed(idx) if stmts[i].mnemonic == pull and i > first), None)
        if last is None or not _saves_for_caller(stmts, first, last):
            continue
        edited = [s for k, s in enumerate(stmts) if k not in (first, last)]
        yield edited, {"line": first, "was": stmts[first].text, "now": "(removed)", "pull": stmts[last].text}


TRANSFORMS: dict[str, Callable[[list[Stmt], dict[str, Any]], Iterator[Edit]]] = {
    "drop_width_bit": _drop_width_bit,
    "delete_before": _delete_before,
    "swap_mnemonic": _swap_mnemonic,
    "nudge_compare": _nudge_compare,
    "delete_one": _delete_one,
    "make_long": _make_long,
    "drop_bank": _drop_bank,
    "delete_pair": _delete_pair,
}


def bug_classes() -> list[dict[str, Any]]:
    classes = catalog("bugs.yaml")["classes"]
    assert isinstance(classes, list)
    return classes


def inject(
    text: str, bug_class: dict[str, Any], markers: frozenset[str] = frozenset()
) -> list[tuple[str, dict[str, Any]]]:
    """All (buggy text, info) variants of one bug class applied to routine text (max MAX_SITES;
    `markers`: labels no code reaches, see asmtext)."""
    stmts = parse(text, markers)
    fn = TRANSFORMS[bug_class["transform"]]
    out: list[tuple[str, dict[str, Any]]] = []
    for edited, info in fn(stmts, dict(bug_class.get("params") or {})):
        info["line_no"] = info["line"] + 1
        out.append((render(edited), info))
        if len(out) >= MAX_SITES:
            break
    return out


def _db_variants(specs: list[StateSpec]) -> list[StateSpec]:
    out = []
    for s in specs[:6]:
        out.append(StateSpec(s.name + "+db00", s.a, s.x, s.y, s.s, s.d, 0x00, s.p, s.e, dict(s.memory)))
    return out


def _symptom(diffs: list[str], expected: Outcome, actual: Outcome) -> str:
    first = diffs[0]
    if actual.reason == "INSTRUCTION_LIMIT" and expected.returned:
        return (
            f"does not return: still running after {actual.instructions} instructions, where the "
            f"correct routine returns after {expected.instructions}"
        )
    if first.startswith("stopped by "):
        reason = first.split()[2]
        return _REASONS.get(reason, first)
    return "ends with " + "; ".join(diffs[:6])


class DebugGenerator:
    name = "debug"
    task = "asm.debug"

    def propose(self, ctx: Context) -> list[Candidate]:
        subj = ctx.subject
        cands: list[Candidate] = []
        if not purpose_line(subj.routine):  # "find the bug" needs what the routine is for
            return cands
        # Both listings leave out the address markers: a marker keeps the original address of
        # every line, so a deleted or resized line would show as a gap or an empty marker.
        # Markers emit no bytes, so the fixed listing assembles to the image the states ran on.
        body = render(without_address_markers(parse(subj.body, subj.markers)))
        fixed = subj.with_body(body)
        for bc in bug_classes():
            for buggy_body, info in inject(body, bc, subj.markers):
                buggy = subj.with_body(buggy_body)
                info["line_no"] += subj.body_line - 1
                payload: dict[str, Any] = {"class": bc, "info": info, "buggy": buggy, "fixed": fixed}
                payload["expect_error"] = bool(bc.get("expect_asar_error"))
                cands.append(Candidate(self.name, buggy, payload))
        return cands

    def judge(self, ctx: Context, cand: Candidate, assembled: Any) -> Sample | Reject | None:
        name = ctx.subject.inputs.name
        bc, info = cand.payload["class"], cand.payload["info"]
        proof: dict[str, Any]
        if not assembled.ok:
            # Only an error on the edited line is proof: anything else is not this bug's doing.
            if not any(d.line == info["line_no"] for d in assembled.errors):
                return Reject(
                    self.name, name, "unrelated-asar-error", f"{bc['id']}: {first_error(assembled)}"
                )
            diag = first_error(assembled)
            symptom = f"asar rejects it: `{diag}`"
            proof = {"kind": "asar", "diagnostic": diag}
        else:
            entry = ctx.subject.entry_of(assembled)
            if entry is None:
                return Reject(self.name, name, "no-entry-symbol", bc["id"])
            specs = [s for s, _ in ctx.good]
            expected = [o for _, o in ctx.good]
            if info.get("db_variants"):
                extra = _db_variants(specs)
                extra_out = run_states(ctx.image, ctx.entry, ctx.subject.convention, extra, ctx.budget)
                keep = [(s, o) for s, o in zip(extra, extra_out, strict=True) if o.returned]
                specs = [s for s, _ in keep] + specs
                expected = [o for _, o in keep] + expected
            found = None
            # A diagnosis that names a register (the clobbered-register class) is only true
            # when that register is what ends up different: the proof must show it.
            register = bc.get("shows_register") and str(info["was"])[2:3].upper()
            # Most bugs show on the first few states: run in small groups and stop at the first proof.
            bounds = [0, 2, 10, len(specs)]
            for at, end in itertools.pairwise(bounds):
                group = specs[at:end]
                limits = limits_against(expected[at:end])
                got_group = run_states(assembled, entry, ctx.subject.convention, group, limits)
                for spec, exp, got in zip(group, expected[at:end], got_group, strict=True):
                    diffs = differences(exp, got)
                    if register and not any(d.startswith(f"{register}=") for d in diffs):
                        continue
                    if diffs:
                        found = (spec, exp, got, diffs)
                        break
                if found is not None:
                    break
            if found is None:
                why = f"{bc['id']}: {info['now']} behaves like {info['was']}"
                if register:
                    why = f"{bc['id']}: no state returns with {register} changed, as the diagnosis says"
                return Reject(self.name, name, "no-effect", why)
            spec, exp, got, diffs = found
            interesting = sorted(a for a in spec.memory if a in exp.reads)[:6]
            symptom = f"with {describe_state(spec, interesting)} it {_symptom(diffs, exp, got)}"
            proof = {
                "kind": "exec",
                "entry_address": f"${entry:06X}",  # where the buggy code ran, with these stubs
                "stubs": stub_record(assembled),
                "state": spec.to_json(),
                "expected": exp.to_json(),
                "actual": got.to_json(),
                "differences": diffs,
            }
        cand.payload["hex"] = answer_hex(assembled, ctx.image)
        return self._sample(ctx, cand, bc, info, symptom, proof)

    def _sample(
        self,
        ctx: Context,
        cand: Candidate,
        bc: dict[str, Any],
        info: dict[str, Any],
        symptom: str,
        proof: dict[str, Any],
    ) -> Sample:
        r = ctx.subject.routine
        ew = r.entry_width
        purpose = purpose_line(r)
        said = f"{purpose}\n" if purpose else ""
        user = (
            f"`{r.name}` has a bug. It is {call_text(ctx.subject.convention)}; "
            f"entry widths: {width_text(ew.m, ew.x)}.\n{said}"
            f"Observed: {symptom}.\nFind the bug and fix it.\n\n{fence(cand.payload['buggy'])}"
        )
        fields = {k: info.get(k, "") for k in ("was", "now", "next", "pull", "mnemonic")}
        fields["bank"] = info.get("bank", 0x7E)
        template = bc.get("diagnosis_removed") if info["now"] == "(removed)" else None
        diagnosis = " ".join(str(template or bc["diagnosis"]).split()).format(**fields)
        assistant = (
            f"**Bug: {bc['title']}** (line {info['line_no']}: `{info['now'] if info['now'] != '(removed)' else info['was']}`"
            f"{' removed' if info['now'] == '(removed)' else ''}).\n\n{diagnosis}\n\nFixed routine:\n\n"
            f"{fence(cand.payload['fixed'])}"
        )
        specs, outs = ctx.good_runs()
        verification = proven(
            "asar+exec",
            len(specs),
            {"bug_class": bc["id"], "proof": proof["kind"]},
        )
        meta = {
            "bug_class": bc["id"],
            "proof": proof,
            "buggy": cand.payload["buggy"],
            "assembled_hex": cand.payload["hex"],
            "exec": {
                **exec_record(r.name, ctx.entry, ctx.subject.convention, specs, outs, ctx.image),
                "code": cand.payload["fixed"],
            },
        }
        return make_sample(ctx, self.name, self.task, user, assistant, verification, meta)
