"""chains: error-correction chains, multi-turn samples built from real failures (issue 15).

A chain is a conversation: the user asks for a routine (or a text box), the assistant answers
wrongly, the user quotes what the truth machine said about that answer, and the assistant fixes
it, until the last answer passes. Every wrong turn is a real failure:

- asar: the answer does not assemble; the user turn quotes the grader's report with asar's own
  diagnostic (the sandboxed asar run of `refine.pairs.prove`);
- exec: the answer assembles but runs wrong; the user turn quotes the grader's evidence
  ("1/3 failed; first: state 2 't1': wrong register A: expected $08, got $07");
- text: the message does not fit the box; the user turn quotes the text engine's layout checker.

The wrong answers come from the debug generator's bug catalogue (`generate/catalogs/bugs.yaml`,
`generate.debug.inject`), the evaluation's mutants (`evaluate.sensitivity.mutants_of`), the asar
mistakes of `refine/chains.yaml`, and, when a refinement state folder is given with `--source`,
the pilot's rejected candidates paired with the answer a reviewer accepted or corrected for the
same prompt. The problems are the bundled corpus routines (their `@test` seeds with expectations
are the grading states) and the bundled expert seed pairs.

`check` re-proves every turn from the messages themselves: each wrong answer's code is graded
again and must fail with exactly the quoted diagnostic, each fix turn's stated line changes are
re-derived from the two code blocks, and the last answer must pass.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from triforce.errors import ConfigError, InputError
from triforce.evaluate.answers import extract_asm
from triforce.evaluate.sensitivity import mutants_of
from triforce.fsio import lines_bounded
from triforce.generate.asmtext import parse, render
from triforce.generate.base import doc_parts
from triforce.generate.candidate import call_text, fence, width_text
from triforce.generate.debug import bug_classes, inject
from triforce.generate.dialogue import draft
from triforce.generate.domain import DomainGenerator, Source, Unit, UnitResult, checked, make_domain_sample
from triforce.refine.pairs import prove
from triforce.sample import Provenance
from triforce.snes.asmsyntax import split_comment
from triforce.snes.opcodes import MNEMONICS
from triforce.text import LayoutRules, Token, check, check_text, format_tokens
from triforce.text.extract import extract_message
from triforce.text.requirements import normal_words
from triforce.text.voice import plain, voices
from triforce.text.wrap import break_lines, fit, pace

TASK = "cross.error_chain"
SOURCE = "error-correction-chains"
RULES = LayoutRules()
MAX_EXEC = 12  # exec candidates graded per problem (spread over the kinds of mistake)
ATTEMPTS = 8
MAX_COMBINED = 4  # three-turn chains (asar error, then wrong run, then fixed) per problem
SYSTEM = (
    "You are a 65816 assembly and ALTTP ROM hacking assistant. When a tool reports a problem with "
    "your answer, read its diagnostic, explain the mistake and answer again with the fixed code."
)
ASAR_FEEDBACK = "I assembled it with asar and it fails:\n\n```\n{reason}\n```\n\nPlease fix it."
EXEC_FEEDBACK = (
    "It assembles, but running it on the test states fails:\n\n```\n{reason}\n```\n\nPlease fix it."
)
TEXT_FEEDBACK = (
    "The text engine's layout checker rejects it:\n\n```\n{reason}\n```\n\nPlease fix it, keeping every word."
)
TEXT_REQUEST = (
    "Lay this text out for the ALTTP text box (lines of at most 168 px, 42 px for [L], a key press "
    "every three lines), keeping every word:\n\n"
)
_FENCED = re.compile(r"```\n(.*?)\n```", re.S)
_QUOTED = re.compile(r"`([^`]+)`")
_INSTRUCTION = re.compile(r"^[A-Z]{3}(\.[bwlBWL])?\b")  # a quoted instruction line (not `;` or `#`)
_CHANGE = re.compile(r"^- (?:line \d+|after line \d+): .*$", re.M)


@cache
def catalogue() -> dict[str, Any]:
    text = resources.files("triforce.refine").joinpath("chains.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not {"asar_edits", "mutant_diagnosis", "text"} <= set(data):
        raise ConfigError("refine/chains.yaml needs 'asar_edits', 'mutant_diagnosis' and 'text'")
    return data


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --- the problems ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A request with its grading spec and a reference answer's code (proven before use)."""

    key: str
    prompt: str
    grading: dict[str, Any]
    code: str
    group: str
    corpus: str
    origin: str = "original"
    routine: str | None = None


def _hex(value: int, digits: int) -> str:
    return f"${value:0{digits}X}"


def _state_text(state: dict[str, Any]) -> str:
    ini, exp = state["initial"], state["expect"]
    regs = [f"{r.upper()}={_hex(int(ini[r]), 4)}" for r in ("a", "x", "y") if int(ini.get(r, 0))]
    regs.append(f"P={_hex(int(ini.get('p', 0x30)), 2)}")
    mem = [f"[{k}]={_hex(int(v), 2)}" for k, v in sorted(ini.get("memory", {}).items())]
    want = []
    for reg in ("a", "x", "y", "a8", "x8", "y8"):
        if reg in exp:
            want.append(f"{reg.upper().rstrip('8')}={_hex(int(exp[reg]), 2 if reg.endswith('8') else 4)}")
    want += [f"{f.upper()}={v}" for f, v in sorted(exp.get("flags", {}).items())]
    want += [f"[{k}]={_hex(int(v), 2)}" for k, v in sorted(exp.get("mem", {}).items())]
    return f"- {state['name']}: {' '.join(regs + mem)} => {' '.join(want) or 'returns'}"


def corpus_problems() -> list[Problem]:
    """One problem per bundled corpus routine whose `@test` seeds all state expectations."""
    from triforce.corpus import bundled_corpus

    out: list[Problem] = []
    for r in bundled_corpus().routines:
        seeds = r.tags.tests
        if r.returns not in ("rts", "rtl") or not seeds:
            continue
        if not all(t.expect_registers or t.expect_flags or t.expect_memory for t in seeds):
            continue
        states = []
        for t in seeds:
            ini = t.machine_state().model_dump(mode="json")
            initial = {k: ini[k] for k in ("a", "x", "y", "s", "d", "db", "p", "e", "memory")}
            expect: dict[str, Any] = {}
            for reg, (value, mask) in t.expect_registers.items():
                expect[reg.lower() + ("8" if mask == 0xFF else "")] = value & mask
            if t.expect_flags:
                expect["flags"] = {k.lower(): int(v) for k, v in t.expect_flags.items()}
            if t.expect_memory:
                expect["mem"] = {f"${a:06X}": v for a, v in sorted(t.expect_memory.items())}
            states.append({"name": t.name, "initial": initial, "expect": expect})
        convention = "jsl" if r.returns == "rtl" else "jsr"
        grading = {
            "kind": "asm-exec",
            "entry": r.name,
            "convention": convention,
            "max_instructions": 20_000,
            "states": states,
        }
        prose, _ = doc_parts(r.doc)
        purpose = _one_line(prose) or f"the routine `{r.name}`"
        ew = r.entry_width
        tests = "\n".join(_state_text(s) for s in states)
        prompt = (
            f"Write the 65816 routine `{r.name}` in asar syntax: {purpose}"
            f"{'' if purpose.endswith('.') else '.'} It is {call_text(convention)}; entry widths: "
            f"{width_text(ew.m, ew.x)}. It must pass these test states (registers and memory before "
            f"=> what it leaves):\n{tests}"
        )
        out.append(
            Problem(
                key=f"corpus:{r.name}",
                prompt=prompt,
                grading=grading,
                code=r.standalone(placed=False).rstrip("\n") + "\n",
                group=f"chains:corpus:{r.name}",
                corpus=r.provenance.corpus or "triforce-bundled",
                origin=r.provenance.origin,
                routine=r.name,
            )
        )
    return out


def seed_problems() -> list[Problem]:
    """One problem per bundled expert seed pair (quest request + routine contract)."""
    from triforce.refine.bundled import bundled_seeds

    out: list[Problem] = []
    for s in bundled_seeds():
        grading = s.meta["grading"]
        user = next(m.content for m in s.messages if m.role == "user")
        code, _ = extract_asm(s.answer(), str(grading.get("entry", grading.get("asm", {}).get("entry"))))
        if code is None or grading.get("kind") != "asm-exec":
            continue
        out.append(
            Problem(
                key=f"seed:{s.provenance.routine}",
                prompt=user,
                grading=grading,
                code=code.rstrip("\n") + "\n",
                group=s.group or f"chains:seed:{s.provenance.routine}",
                corpus=s.provenance.corpus,
                origin=s.provenance.origin,
                routine=s.provenance.routine,
            )
        )
    return out


# --- wrong answers --------------------------------------------------------------------------


@dataclass
class Wrong:
    """A wrong answer's code, the code that fixes it, and the explanation of the mistake."""

    origin: str  # "chains:<id>" | "debug:<class>" | "mutant:<operator>" | "refine:<iteration>"
    code: str
    fixed: str
    diagnosis: str
    line: int = -1  # the one changed line (0-based) when the edit replaces a line in place
    verdict: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def _transpose(mnemonic: str) -> str | None:
    cand = mnemonic[0] + mnemonic[2] + mnemonic[1]
    return cand if cand not in MNEMONICS and cand != mnemonic else None


def asar_edits(code: str, entry: str) -> list[Wrong]:
    """The catalogue's asar mistakes applied to the code (first matching line each)."""
    lines = code.splitlines()
    out: list[Wrong] = []
    for edit in catalogue()["asar_edits"]:
        pattern = re.compile(edit["find"])
        for i, line in enumerate(lines):
            body, comment = split_comment(line)
            if body.lstrip().startswith(entry + ":"):
                continue
            m = pattern.search(body)
            if m is None:
                continue
            if edit["replace"] == "note":
                new_body = f"{body.rstrip()} // {edit['notes'][m.group(2)]}"
            elif edit["replace"] == "transpose":
                swapped = _transpose(m.group(2))
                if swapped is None:
                    continue
                new_body = body[: m.start(2)] + swapped + body[m.end(2) :]
            else:
                new_body = pattern.sub(edit["replace"], body, count=1)
            now = new_body + comment
            fields = {"was": line.strip(), "now": now.strip()}
            out.append(
                Wrong(
                    f"chains:{edit['id']}",
                    "\n".join([*lines[:i], now, *lines[i + 1 :]]) + "\n",
                    code,
                    _one_line(edit["diagnosis"]).format(**fields),
                    line=i,
                )
            )
            break
    for bc in bug_classes():
        if not bc.get("expect_asar_error"):
            continue
        out += _debug_wrongs(code, bc)
    return out


def _debug_wrongs(code: str, bc: dict[str, Any]) -> list[Wrong]:
    out = []
    fixed = render(parse(code))
    for buggy, info in inject(code, bc)[:1]:
        fields = {k: info.get(k, "") for k in ("was", "now", "next", "pull", "mnemonic")}
        fields["bank"] = info.get("bank", 0x7E)
        template = bc.get("diagnosis_removed") if info["now"] == "(removed)" else None
        out.append(
            Wrong(f"debug:{bc['id']}", buggy, fixed, _one_line(template or bc["diagnosis"]).format(**fields))
        )
    return out


def exec_wrongs(problem: Problem) -> list[Wrong]:
    """Wrong answers that assemble (most of them): the debug catalogue and the evaluation's
    mutants, a deterministic spread of at most MAX_EXEC."""
    diag = catalogue()["mutant_diagnosis"]
    lines = problem.code.splitlines()
    by_kind: dict[str, list[Wrong]] = {}
    for bc in bug_classes():
        if not bc.get("expect_asar_error"):
            by_kind.setdefault(f"debug:{bc['id']}", []).extend(_debug_wrongs(problem.code, bc))
    for m in mutants_of(problem.key, problem.code):
        new_lines = m.source.splitlines()
        was = lines[m.line - 1].strip()
        now = new_lines[m.line - 1].strip() if len(new_lines) == len(lines) else was
        in_place = len(new_lines) == len(lines)
        text = _one_line(diag.get(m.operator, "`{now}` is wrong; `{was}` is meant.")).format(was=was, now=now)
        by_kind.setdefault(f"mutant:{m.operator}", []).append(
            Wrong(f"mutant:{m.operator}", m.source, problem.code, text, line=m.line - 1 if in_place else -1)
        )
    rng = _rng("chains", problem.key)
    for ws in by_kind.values():
        rng.shuffle(ws)
    picked: list[Wrong] = []
    while len(picked) < MAX_EXEC and any(by_kind.values()):
        for kind in sorted(by_kind):
            if by_kind[kind] and len(picked) < MAX_EXEC:
                picked.append(by_kind[kind].pop())
    return picked


# --- the chain text -------------------------------------------------------------------------


def changes(old: str, new: str) -> list[str]:
    """The line changes from one code block to the next, as the fix turn states them."""
    a, b = old.splitlines(), new.splitlines()
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            out += [
                f"- line {i1 + k + 1}: `{a[i1 + k].strip()}` -> `{b[j1 + k].strip()}`" for k in range(i2 - i1)
            ]
            continue
        out += [f"- line {i + 1}: remove `{a[i].strip()}`" for i in range(i1, i2)]
        out += [f"- after line {i1}: add `{b[j].strip()}`" for j in range(j1, j2)]
    return out


def _fix_turn(diagnosis: str, old: str, new: str) -> str:
    stated = "\n".join(changes(old, new)) or "- (formatting only)"
    return f"{diagnosis}\n\nChanges:\n{stated}\n\nFixed:\n\n{fence(new)}"


def _feedback(verdict: Any) -> str:
    template = ASAR_FEEDBACK if verdict.code == "assemble-error" else EXEC_FEEDBACK
    return template.format(reason=verdict.reason)


def _kind(verdict: Any) -> str:
    return "asar" if verdict.code == "assemble-error" else "exec"


def asm_turns(
    prompt: str, wrongs: Sequence[Wrong], final: str, final_diagnosis: str
) -> list[tuple[str, str]]:
    """user prompt, then per wrong answer (assistant code, user feedback), then the fix turns."""
    turns: list[tuple[str, str]] = [("user", prompt)]
    for n, w in enumerate(wrongs):
        if n == 0:
            turns.append(("assistant", fence(w.code)))
        turns.append(("user", _feedback(w.verdict)))
        nxt = wrongs[n + 1].code if n + 1 < len(wrongs) else final
        why = wrongs[n].extra.get("fix_diagnosis", final_diagnosis if n + 1 == len(wrongs) else w.diagnosis)
        turns.append(("assistant", _fix_turn(why, w.code, nxt)))
    return turns


# --- the generator --------------------------------------------------------------------------


class ChainGenerator(DomainGenerator):
    name = "chains"
    tasks = (TASK,)

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        out = [Unit(p.key, ("asm", p.key)) for p in _problems()]
        text = catalogue()["text"]
        out += [Unit(f"text:{i:03d}", ("text", i)) for i in range(int(text["units"]))]
        for src in sources:
            root = Path(src.path).resolve()
            if (root / "manifest.json").is_file() and (root / "queue.sqlite").is_file():
                out.append(Unit(f"refine:{root.name}", ("refine", str(root))))
        return out

    def run(self, unit: Unit, seed: int) -> UnitResult:
        kind, key = unit.payload
        if kind == "text":
            return self._text_unit(int(key), seed)
        if kind == "refine":
            return self._refine_unit(Path(key))
        problem = next(p for p in _problems() if p.key == key)
        return self._asm_unit(problem)

    # asm ------------------------------------------------------------------------------------

    def _asm_unit(self, problem: Problem) -> UnitResult:
        out = UnitResult()
        entry = str(problem.grading["entry"])
        ref = prove(problem.grading, fence(problem.code), where=problem.key)
        if not ref.verdict.passed:
            out.reject("reference-fails", ref.verdict.reason, problem.key)
            return out
        asar: list[Wrong] = []
        execs: list[Wrong] = []
        for w in [*asar_edits(problem.code, entry), *exec_wrongs(problem)]:
            out.candidates += 1
            if w.fixed != problem.code:
                fixed_proof = prove(problem.grading, fence(w.fixed), where=problem.key)
                if not fixed_proof.verdict.passed:
                    out.reject("fix-fails", f"{w.origin}: {fixed_proof.verdict.reason}", problem.key)
                    continue
            w.verdict = prove(problem.grading, fence(w.code), where=problem.key).verdict
            if w.verdict.passed:
                out.reject("equivalent", f"{w.origin}: the wrong answer passes every state", problem.key)
                continue
            if w.verdict.code in ("no-code", "entry-missing"):
                out.reject("not-graded", f"{w.origin}: {w.verdict.reason}", problem.key)
                continue
            (asar if _kind(w.verdict) == "asar" else execs).append(w)
        for w in [*asar, *execs]:
            out.samples.append(self._asm_sample(problem, [w], w.fixed, w.diagnosis))
        # three turns: the answer does not assemble, its fix still runs wrong, then the fix
        combined = 0
        for a in asar:
            if combined >= MAX_COMBINED or a.line < 0:
                break
            for e in execs:
                if e.line < 0 or e.line == a.line or e.fixed != problem.code:
                    continue
                lines = e.code.splitlines()
                lines[a.line] = a.code.splitlines()[a.line]
                first = Wrong(a.origin, "\n".join(lines) + "\n", e.code, a.diagnosis, line=a.line)
                out.candidates += 1
                first.verdict = prove(problem.grading, fence(first.code), where=problem.key).verdict
                if first.verdict.code != "assemble-error":
                    continue
                first.extra["fix_diagnosis"] = a.diagnosis
                out.samples.append(self._asm_sample(problem, [first, e], problem.code, e.diagnosis))
                execs.remove(e)
                combined += 1
                break
        return out

    def _asm_sample(self, problem: Problem, wrongs: list[Wrong], final: str, diagnosis: str) -> Any:
        turns = asm_turns(problem.prompt, wrongs, final, diagnosis)
        states = len(problem.grading.get("states", []))
        meta: dict[str, Any] = {
            "grading": problem.grading,
            "chain": {
                "problem": problem.key,
                "kinds": [_kind(w.verdict) for w in wrongs],
                "from": [w.origin for w in wrongs],
            },
        }
        # No meta.assembled_hex: every chain of a problem ends with the same routine, and dedup's
        # bytes layer would keep one chain per problem; the wrong turns are what differ.
        return self._chain(
            turns,
            Provenance(corpus=problem.corpus, origin=problem.origin, routine=problem.routine),  # type: ignore[arg-type]
            checked("asar+exec", {"turns": len(wrongs) + 1, "chain": meta["chain"]["kinds"]}, states=states),
            meta,
            problem.group,
        )

    def _chain(
        self,
        turns: list[tuple[str, str]],
        provenance: Provenance,
        verification: Any,
        meta: dict[str, Any],
        group: str,
    ) -> Any:
        return make_domain_sample(
            self,
            task=TASK,
            domain="cross",
            source=SOURCE,
            user="",
            assistant="",
            turns=turns,
            system=SYSTEM,
            provenance=provenance,
            verification=verification,
            meta=meta,
            group=group,
        )

    # text -----------------------------------------------------------------------------------

    def _text_unit(self, index: int, seed: int) -> UnitResult:
        out = UnitResult()
        names = sorted(voices())
        per = int(catalogue()["text"]["per_unit"])
        for k in range(per):
            out.candidates += 1
            rng = _rng("chains-text", seed, index, k)
            got: tuple[list[tuple[str, str]], dict[str, Any]] | str = "no draft"
            for _ in range(ATTEMPTS):  # some drafts use glyphs the font lacks: draw again
                d = draft(names[(index * per + k) % len(names)], rng)
                try:
                    got = text_chain(d.text)
                except InputError as exc:
                    got = str(exc)
                    continue
                break
            if isinstance(got, str):
                out.reject("no-overflow", got, f"text:{index}:{k}")
                continue
            turns, meta = got
            chain = {"problem": f"text:{index}:{k}", "kinds": ["text"], "from": ["layout:overflow"]}
            out.samples.append(
                self._chain(
                    turns,
                    Provenance(corpus="triforce-dialogue-drafts", origin="original"),
                    checked("text-layout", {"turns": 2, "chain": ["text"]}),
                    {"chain": chain, **meta},
                    f"chains:text:{index:03d}",
                )
            )
        return out

    # refine ---------------------------------------------------------------------------------

    def _refine_unit(self, root: Path) -> UnitResult:
        """Rejected pilot candidates of a refinement state, each followed by the answer a
        reviewer accepted (or the correction they wrote) for the same prompt."""
        from triforce.refine.loop import State

        out = UnitResult()
        state = State(root)
        good: dict[str, Any] = {}
        with state.queue() as q:
            for item in q.items():
                if item.status in ("accepted", "corrected"):
                    s = item.final()
                    good.setdefault(str(s.meta.get("prompt_id", "")), s)
        for folder in sorted((root / "iterations").glob("[0-9][0-9][0-9][0-9]")):
            rejected = _jsonl(folder / "rejects.jsonl")
            answers = {(r["prompt_id"], int(r["sample"])): r for r in _jsonl(folder / "candidates.jsonl")}
            for rej in rejected:
                key = (str(rej.get("prompt_id")), int(rej.get("sample", 0)))
                row, fix = answers.get(key), good.get(key[0])
                if (
                    row is None
                    or fix is None
                    or rej.get("code") in ("backend-error", "no-code", "duplicate", "contaminated")
                ):
                    continue
                out.candidates += 1
                grading = fix.meta["grading"]
                entry = str(grading.get("entry", grading.get("asm", {}).get("entry")))
                code, _ = extract_asm(str(row.get("answer", "")), entry)
                fixed, _ = extract_asm(fix.answer(), entry)
                if code is None or fixed is None:
                    out.reject("no-code", f"{key}: no code for {entry}", key[0])
                    continue
                verdict = prove(grading, fence(code), where=f"{key[0]}#{key[1]}").verdict
                if verdict.passed or verdict.code in ("no-code", "entry-missing"):
                    out.reject("not-failing", f"{key}: {verdict.reason}", key[0])
                    continue
                final = prove(grading, fence(fixed), where=key[0])
                if not final.verdict.passed:
                    out.reject("fix-fails", f"{key}: {final.verdict.reason}", key[0])
                    continue
                w = Wrong(f"refine:{folder.name}", code.rstrip("\n") + "\n", fixed, "", verdict=verdict)
                why = (
                    "The reviewed answer for this quest"
                    + (" (a reviewer's correction)" if fix.meta.get("corrected_from") else "")
                    + f" fixes it: {verdict.reason.split('first: ')[-1]}."
                )
                user = next(m.content for m in fix.messages if m.role == "user")
                problem = Problem(
                    key=f"refine:{key[0]}#{key[1]}",
                    prompt=user,
                    grading=grading,
                    code=fixed.rstrip("\n") + "\n",
                    group=fix.group or f"chains:refine:{key[0]}",
                    corpus="triforce-refine-pilot",
                    origin="synthetic",
                    routine=entry,
                )
                out.samples.append(self._asm_sample(problem, [w], problem.code, why))
        return out

    # check ----------------------------------------------------------------------------------

    def check(self, sample: dict[str, Any]) -> list[str]:
        msgs = [m for m in sample.get("messages", []) if m.get("role") != "system"]
        meta = sample.get("meta", {})
        kinds = list(meta.get("chain", {}).get("kinds", []))
        if (
            len(msgs) < 4
            or len(msgs) % 2
            or any(m.get("role") != ("user" if i % 2 == 0 else "assistant") for i, m in enumerate(msgs))
        ):
            return ["a chain is user, assistant, then pairs of (user feedback, assistant fix)"]
        answers = [m["content"] for m in msgs[1::2]]
        feedback = [m["content"] for m in msgs[2::2]]
        if len(kinds) != len(feedback):
            return [f"meta.chain.kinds names {len(kinds)} failures; the chain has {len(feedback)}"]
        if kinds == ["text"]:
            return check_text_chain(msgs[0]["content"], answers, feedback)
        grading = meta.get("grading")
        if not isinstance(grading, dict):
            return ["meta.grading: the chain's grading spec is missing"]
        return check_asm_chain(grading, answers, feedback, kinds)


def check_asm_chain(
    grading: dict[str, Any], answers: list[str], feedback: list[str], kinds: list[str]
) -> list[str]:
    entry = str(grading.get("entry", grading.get("asm", {}).get("entry")))
    problems: list[str] = []
    codes: list[str | None] = []
    for n, text in enumerate(answers):
        code, _ = extract_asm(text, entry)
        codes.append(code)
        verdict = prove(grading, text, where=f"turn {n + 1}").verdict
        if n + 1 == len(answers):
            if not verdict.passed:
                problems.append(f"the last answer fails: {verdict.reason}")
            continue
        if verdict.passed:
            problems.append(f"answer {n + 1} passes, but the chain says it fails")
            continue
        if _kind(verdict) != kinds[n]:
            problems.append(f"answer {n + 1} fails as {_kind(verdict)}, the chain says {kinds[n]}")
        if _feedback(verdict) != feedback[n]:
            problems.append(
                f"answer {n + 1}: the quoted diagnostic is not what grading it gives ({verdict.reason})"
            )
    for n in range(1, len(answers)):
        old, new = codes[n - 1], codes[n]
        if old is None or new is None:
            problems.append(f"answer {n} or {n + 1} has no code for {entry}")
            continue
        stated = _CHANGE.findall(answers[n])
        if stated != changes(old, new):
            problems.append(
                f"answer {n + 1}: the stated line changes are not the difference of the two code blocks"
            )
        lines = {
            part.strip() for ln in (old + "\n" + new).splitlines() for part in (ln, split_comment(ln)[0])
        }
        explanation = answers[n].split("\n\nChanges:")[0]
        for snippet in _QUOTED.findall(explanation):
            if _INSTRUCTION.match(snippet) and snippet.strip() not in lines:
                problems.append(f"answer {n + 1} quotes `{snippet}`, which is a line of neither code block")
    return problems


# --- text chains ----------------------------------------------------------------------------


def _layout_report(message: str) -> tuple[str, Any]:
    layout = check_text(message, RULES)
    return "\n".join(f"{p.code}: {p.message}" for p in layout.errors), layout


def text_chain(text: str) -> tuple[list[tuple[str, str]], dict[str, Any]] | str:
    """(turns, meta) of a two-turn text chain for running text, or why none could be made: the
    first answer joins two lines of the fitted message so one overflows."""
    tokens = fit(text, RULES)
    lines = break_lines(tokens, RULES)
    if len(lines) < 2:
        return "the text fits on one line"
    k = len(lines) // 2 if len(lines) > 2 else 0
    merged = [*lines[:k], [*lines[k], Token("char", 0x59), *lines[k + 1]], *lines[k + 2 :]]
    broken = format_tokens(pace(merged), newlines=True)
    report, layout = _layout_report(broken)
    over = [p for p in layout.errors if p.code == "overflow"]
    if not over:
        return "joining two lines does not overflow the box"
    fixed = format_tokens(fit(broken, RULES), newlines=True)
    if _layout_report(fixed)[0]:
        return "the re-wrapped message does not fit"
    first = over[0]
    why = (
        f"Line {(first.line or 0) + 1} is {first.px} px, wider than the box's {RULES.max_px}: two lines "
        f"were joined there (the word {first.word} crosses the edge). Re-wrapped by pixel width, with "
        "a key press every three lines:"
    )
    turns = [
        ("user", TEXT_REQUEST + text),
        ("assistant", f"```text\n{broken}\n```"),
        ("user", TEXT_FEEDBACK.format(reason=report)),
        (
            "assistant",
            f"{why}\n\n```text\n{fixed}\n```\n\n{len(check(fit(broken, RULES), RULES).lines)} lines.",
        ),
    ]
    return turns, {}


def check_text_chain(request: str, answers: list[str], feedback: list[str]) -> list[str]:
    if not request.startswith(TEXT_REQUEST):
        return ["the first user turn is not a text layout request"]
    words = normal_words(plain(request[len(TEXT_REQUEST) :]))
    problems: list[str] = []
    for n, text in enumerate(answers):
        message = extract_message(text)
        if message is None:
            problems.append(f"answer {n + 1} has no ```text block")
            continue
        if normal_words(plain(message)) != words:
            problems.append(f"answer {n + 1} does not keep the request's words")
        report, _ = _layout_report(message)
        if n + 1 == len(answers):
            if report:
                problems.append(f"the last answer does not fit: {report}")
            continue
        if not report:
            problems.append(f"answer {n + 1} fits, but the chain says it does not")
        elif TEXT_FEEDBACK.format(reason=report) != feedback[n]:
            problems.append(f"answer {n + 1}: the quoted layout report is not what the checker gives")
    last = extract_message(answers[-1])
    m = re.search(r"(\d+) lines\.$", answers[-1].strip())
    if m is None:
        problems.append("the last answer does not state its line count")
    elif last is not None and int(m.group(1)) != len(check_text(last, RULES).lines):
        problems.append(
            f"the last answer says {m.group(1)} lines; the layout has {len(check_text(last, RULES).lines)}"
        )
    return problems


# --- helpers ----------------------------------------------------------------------------------


@cache
def _problems_cached() -> tuple[Problem, ...]:
    return (*corpus_problems(), *seed_problems())


def _problems() -> tuple[Problem, ...]:
    return _problems_cached()


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    rows = []
    with path.open("r", encoding="utf-8") as fh:
        for line in lines_bounded(fh, str(path)):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a cut last line of a resume log
    return rows


__all__ = [
    "ChainGenerator",
    "Problem",
    "catalogue",
    "changes",
    "check_asm_chain",
    "check_text_chain",
    "corpus_problems",
    "seed_problems",
    "text_chain",
]
