"""teach: explanations of ASM routines for a learner (kaepora-teacher), built on the doc
generator's traced facts (doc.teach, row code-documentation).

The coupling to the ASM generators is one public shape: a doc sample's `meta.exec` (code, entry,
convention and what the routine did on every state) and `meta.facts`. The lesson walks through the
contract and what execution showed, says why each fact matters to a caller, and lists the facts in
a ```facts block. `check` re-runs the execution record (`verify.check_sample`: asar, then every
state on a new machine) and re-derives every fact from the states it just re-proved; the block
must state exactly those facts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from triforce.generate.domain import DomainGenerator, Source, Unit, UnitResult, checked, make_domain_sample
from triforce.generate.states import from_byte_runs
from triforce.generate.verify import check_sample, state_of
from triforce.lore.claimtext import blocks
from triforce.sample import Provenance
from triforce.snes.machine import parse_number

CHUNK = 16
REGS = ("a", "x", "y", "db", "d")
REG_NAMES = {"a": "A", "x": "X", "y": "Y", "db": "DB", "d": "D"}


@lru_cache(maxsize=2)
def _corpus(paths: tuple[str, ...]) -> Any:
    from triforce.generate.routines import load_routines

    return load_routines([Path(p) for p in paths], required=False)


def _data_ram(addr: int) -> bool:
    bank, low = addr >> 16, addr & 0xFFFF
    if bank in (0x7E, 0x7F):
        return not (bank == 0x7E and 0x0100 <= low <= 0x01FF)  # the stack
    return 0x70 <= bank <= 0x7D


def derive(exec_record: dict[str, Any]) -> dict[str, Any]:
    """The facts a lesson may state, from an execution record's states that returned."""
    changed: set[str] = set()
    writes: set[int] = set()
    cycles: list[int] = []
    exit_m: set[int] = set()
    for st in exec_record["states"]:
        final = st["final"]
        if final.get("reason") != "RETURNED":
            continue
        start = state_of(st["initial"])
        for reg in REGS:
            if parse_number(final[reg]) != getattr(start, reg):
                changed.add(reg)
        writes |= {a for a in from_byte_runs(final.get("writes", {})) if _data_ram(a)}
        cycles.append(int(final["cycles"]))
        exit_m.add((parse_number(final["p"]) >> 5) & 1)
    return {
        "changes": sorted(REG_NAMES[r] for r in changed),
        "preserves": sorted(REG_NAMES[r] for r in REGS if r not in changed),
        "writes": [f"${a:06X}" for a in sorted(writes)],
        "cycles": [min(cycles), max(cycles)] if cycles else [],
        "exit_m": sorted(exit_m),
        "states": len(cycles),
    }


def facts_block(name: str, facts: dict[str, Any]) -> str:
    rows: list[dict[str, Any]] = [{"s": name, "r": "changes", "o": r} for r in facts["changes"]]
    rows += [{"s": name, "r": "preserves", "o": r} for r in facts["preserves"]]
    rows += [{"s": name, "r": "writes", "o": a} for a in facts["writes"]]
    if facts["cycles"]:
        rows.append({"s": name, "r": "cycles", "o": f"{facts['cycles'][0]}-{facts['cycles'][1]}"})
    if len(facts["exit_m"]) == 1:
        rows.append({"s": name, "r": "exit_m", "o": facts["exit_m"][0]})
    return "```facts\n" + "\n".join(json.dumps(r) for r in rows) + "\n```"


def lesson(name: str, convention: str, facts: dict[str, Any]) -> str:
    call = {"jsl": "with JSL and returns with RTL", "jsr": "with JSR and returns with RTS"}.get(
        convention, "directly"
    )
    lines = [
        f"Let's read **{name}** the way the CPU runs it. It is called {call}, so the caller must use the matching call."
    ]
    if facts["writes"]:
        lines.append(
            f"Its job shows in what it writes: {', '.join(facts['writes'])}. Those are the bytes a caller "
            "can expect to change; anything else in RAM (apart from the stack) is left alone."
        )
    else:
        lines.append(
            "It writes no RAM apart from the stack: its result, if any, comes back in registers or flags."
        )
    if facts["changes"]:
        lines.append(
            f"On return {', '.join(facts['changes'])} may differ from what the caller had, so keep a value you "
            f"still need elsewhere (PHA/PLA around the call, for example)."
        )
    if facts["preserves"]:
        lines.append(
            f"{', '.join(facts['preserves'])} come back exactly as the caller left them on every tested state."
        )
    if len(facts["exit_m"]) == 1:
        width = "8-bit" if facts["exit_m"][0] else "16-bit"
        lines.append(
            f"It returns with M={facts['exit_m'][0]} (A {width}); a caller that assumes another width must REP/SEP after it."
        )
    if facts["cycles"]:
        lo, hi = facts["cycles"]
        cost = f"{lo} CPU cycles" if lo == hi else f"between {lo} and {hi} CPU cycles, depending on its input"
        lines.append(f"It costs {cost}: cheap enough to call every frame only if that budget fits.")
    lines.append(f"(Every fact above was measured by running it on {facts['states']} test states.)")
    return "\n\n".join(lines) + "\n\n" + facts_block(name, facts)


def parse_facts(text: str) -> list[tuple[str, str, Any]] | None:
    found = [b for lang, b in blocks(text) if lang == "facts"]
    if not found:
        return None
    out = []
    for line in found[-1].splitlines()[:500]:
        if line.strip():
            row = json.loads(line)
            out.append((str(row["s"]), str(row["r"]), row["o"]))
    return out


class TeachGenerator(DomainGenerator):
    name = "teach"
    tasks = ("doc.teach",)

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        from triforce.generate.synth import routine_key

        paths = tuple(str(s.path) for s in sources)
        keys = [routine_key(r) for r in _corpus(paths).routines]
        return [
            Unit(f"chunk{i // CHUNK:04d}", (paths, keys[i : i + CHUNK])) for i in range(0, len(keys), CHUNK)
        ]

    def run(self, unit: Unit, seed: int) -> UnitResult:
        from triforce.generate.synth import WorkOptions, process_routines, routine_key

        paths, keys = unit.payload
        wanted = set(keys)
        routines = [r for r in _corpus(paths).routines if routine_key(r) in wanted]
        out = UnitResult()
        for record in process_routines([(r, ["doc"]) for r in routines], WorkOptions(seed=seed)):
            for row in record["samples"]:
                out.candidates += 1
                ex = row["meta"]["exec"]
                facts = derive(ex)
                if not facts["states"]:
                    out.reject("no-returning-state", record["routine"], record["routine"])
                    continue
                asked = next(m["content"] for m in row["messages"] if m["role"] == "user")
                code = asked.split("\n\n", 1)[-1]  # the doc question's fenced routine
                user = f"Teach me how this routine works, as you would explain it to someone new to 65816 and ALTTP.\n\n{code}"
                out.samples.append(
                    make_domain_sample(
                        self,
                        task="doc.teach",
                        domain="nayru",
                        source="code-documentation",
                        user=user,
                        assistant=lesson(ex["entry"], ex["convention"], facts),
                        provenance=Provenance(**row["provenance"]),
                        verification=checked("asar+exec+trace", {"facts": facts}, states=facts["states"]),
                        meta={"exec": ex, "routine": row["meta"].get("routine")},
                        group=row.get("group", ""),
                    )
                )
            for rej in record["rejects"]:
                out.reject(
                    str(rej.get("reason", "doc-reject")), str(rej.get("detail", "")), record["routine"]
                )
        return out

    def check(self, sample: dict[str, Any]) -> list[str]:
        return self.check_in(sample, None)

    def check_in(self, sample: dict[str, Any], root: Path | None) -> list[str]:
        # the record still holds: asar (with the tree's files for incbin) + every state re-run
        problems, _ = check_sample(sample, root)
        if problems:
            return problems
        ex = sample["meta"]["exec"]
        try:
            stated = parse_facts(sample["messages"][-1]["content"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            return [f"the facts block does not parse: {exc}"]
        if stated is None:
            return ["no ```facts block in the lesson"]
        want = parse_facts(facts_block(ex["entry"], derive(ex))) or []
        if sorted(map(str, stated)) != sorted(map(str, want)):
            extra = sorted(set(map(str, stated)) - set(map(str, want)))[:2]
            missing = sorted(set(map(str, want)) - set(map(str, stated)))[:2]
            return [f"the lesson's facts differ from execution: stated {extra}, measured {missing}"]
        return []
