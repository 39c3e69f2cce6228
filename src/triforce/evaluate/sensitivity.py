"""Grader sensitivity: do an item's test states reject wrong answers?

Wrong answers are made from each reference solution by one small, typical mistake (the bugs
people actually make in 65816 code): a flipped branch condition, a dropped CLC/SEC, an immediate
off by one, RTL and RTS swapped, REP and SEP swapped, INC/DEC or ADC/SBC swapped, an address off
by one, X and Y swapped, a push or pull dropped, MVN and MVP swapped, JSR and JSL swapped, and a
stack left unbalanced at a return (one push too many or one pull too many). Each mutant is graded like
a model answer; a mutant that still passes every state either exposes a weak item or is
equivalent to the reference (`EQUIVALENT` lists the ones shown to be, with the reason).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from triforce.evaluate.suite import SuiteItem

_SWAPS = {
    "BCC": "BCS",
    "BCS": "BCC",
    "BEQ": "BNE",
    "BNE": "BEQ",
    "BPL": "BMI",
    "BMI": "BPL",
    "BVC": "BVS",
    "BVS": "BVC",
    "RTL": "RTS",
    "RTS": "RTL",
    "REP": "SEP",
    "SEP": "REP",
    "INC": "DEC",
    "DEC": "INC",
    "INX": "DEX",
    "DEX": "INX",
    "INY": "DEY",
    "DEY": "INY",
    "ADC": "SBC",
    "SBC": "ADC",
    "ASL": "LSR",
    "LSR": "ASL",
    "ROL": "ROR",
    "ROR": "ROL",
    "AND": "ORA",
    "ORA": "AND",
    "TAX": "TAY",
    "TAY": "TAX",
    "TXA": "TYA",
    "TYA": "TXA",
    "LDX": "LDY",
    "LDY": "LDX",
    "STX": "STY",
    "STY": "STX",
    "CPX": "CPY",
    "CPY": "CPX",
    "MVN": "MVP",
    "MVP": "MVN",
    "CLC": "SEC",
    "SEC": "CLC",
    "CMP": "CPX",
    "PHX": "PHY",
    "PLX": "PLY",
    "JSR": "JSL",
    "JSL": "JSR",
}
_OPERATOR_OF = {
    **dict.fromkeys(("BCC", "BCS", "BEQ", "BNE", "BPL", "BMI", "BVC", "BVS"), "flip-branch"),
    **dict.fromkeys(("RTL", "RTS"), "swap-return"),
    **dict.fromkeys(("REP", "SEP"), "swap-width"),
    **dict.fromkeys(
        (
            "INC",
            "DEC",
            "INX",
            "DEX",
            "INY",
            "DEY",
            "ADC",
            "SBC",
            "ASL",
            "LSR",
            "ROL",
            "ROR",
            "AND",
            "ORA",
            "CLC",
            "SEC",
            "CMP",
        ),
        "swap-op",
    ),
    **dict.fromkeys(
        ("TAX", "TAY", "TXA", "TYA", "LDX", "LDY", "STX", "STY", "CPX", "CPY", "PHX", "PLX"), "swap-register"
    ),
    **dict.fromkeys(("MVN", "MVP"), "swap-block-move"),
    **dict.fromkeys(("JSR", "JSL"), "swap-call"),
}
_RETURNS = ("RTS", "RTL")
# One push too many or one pull too many right before a return: the routine then returns with
# S off by one (the return rule of `run_routine` rejects it whatever the pulled bytes are).
_IMBALANCE = ("PHA", "PLA")
_LABEL_OPERAND = re.compile(r"^\s+[A-Za-z_][\w.]*\s*$")
_INSTR = re.compile(r"^(\s*(?:[A-Za-z_.][\w.]*:?\s+)?)([A-Za-z]{3})(\.[bwlBWL])?(\b.*)$")
_IMMEDIATE = re.compile(r"#\$([0-9A-Fa-f]+)")
_ADDRESS = re.compile(r"(?<![#$\w])\$([0-9A-Fa-f]{4}|[0-9A-Fa-f]{6})\b")
_DROPPABLE = (
    "CLC",
    "SEC",
    "PHA",
    "PHX",
    "PHY",
    "PHB",
    "PHD",
    "PHP",
    "PLA",
    "PLX",
    "PLY",
    "PLB",
    "PLD",
    "PLP",
    "CLD",
    "XBA",
    "PEA",
)


@dataclass(frozen=True)
class Mutant:
    item_id: str
    operator: str
    line: int
    description: str
    source: str


def _code_lines(source: str) -> Iterator[tuple[int, str, str]]:
    """(index, code part, comment part) of each line."""
    for index, line in enumerate(source.splitlines()):
        code, sep, comment = line.partition(";")
        yield index, code, sep + comment


def mutants_of(item_id: str, reference: str) -> list[Mutant]:
    """Every single-point mutant of a reference solution, in source order."""
    lines = reference.splitlines()
    out: list[Mutant] = []

    def emit(operator: str, index: int, new_line: str | None, what: str) -> None:
        changed = [*lines[:index], *([new_line] if new_line is not None else []), *lines[index + 1 :]]
        out.append(Mutant(item_id, operator, index + 1, what, "\n".join(changed) + "\n"))

    for index, code, comment in _code_lines(reference):
        m = _INSTR.match(code)
        if not m or m.group(2).upper() not in _KNOWN:
            continue
        prefix, mnemonic, suffix, rest = m.group(1), m.group(2).upper(), m.group(3) or "", m.group(4)
        if (
            mnemonic in _SWAPS
            and not (mnemonic == "CMP" and "#" not in rest)
            and not (mnemonic == "CMP" and "," in rest)
            and not (mnemonic in ("JSR", "JSL") and not _LABEL_OPERAND.match(rest))
        ):
            new = _SWAPS[mnemonic]
            emit(
                _OPERATOR_OF[mnemonic], index, f"{prefix}{new}{suffix}{rest}{comment}", f"{mnemonic} -> {new}"
            )
        if mnemonic in _DROPPABLE and not prefix.strip():
            emit("drop-instruction", index, "", f"drop {mnemonic}")
        if mnemonic in _RETURNS:
            # after any label on the line, so a branch to the return runs the extra instruction too
            pad = prefix if not prefix.strip() else "    "
            for extra in _IMBALANCE:
                emit(
                    "stack-imbalance",
                    index,
                    f"{prefix}{extra}\n{pad}{m.group(2)}{suffix}{rest}{comment}",
                    f"{extra} before {mnemonic}",
                )
        imm = _IMMEDIATE.search(rest)
        if imm and mnemonic not in ("REP", "SEP"):
            digits = imm.group(1)
            value = (int(digits, 16) + 1) % (16 ** len(digits))
            new_rest = rest[: imm.start()] + f"#${value:0{len(digits)}X}" + rest[imm.end() :]
            emit(
                "immediate-off-by-one",
                index,
                f"{prefix}{m.group(2)}{suffix}{new_rest}{comment}",
                f"#${digits} -> #${value:0{len(digits)}X}",
            )
        addr = _ADDRESS.search(rest)
        if addr and mnemonic not in ("MVN", "MVP", "PEA", "JSL", "JSR", "JML", "JMP"):
            digits = addr.group(1)
            value = (int(digits, 16) + 1) % (16 ** len(digits))
            new_rest = rest[: addr.start()] + f"${value:0{len(digits)}X}" + rest[addr.end() :]
            emit(
                "address-off-by-one",
                index,
                f"{prefix}{m.group(2)}{suffix}{new_rest}{comment}",
                f"${digits} -> ${value:0{len(digits)}X}",
            )
    return out


def _known() -> frozenset[str]:
    from triforce.snes.opcodes import MNEMONICS

    return frozenset(MNEMONICS)


_KNOWN = _known()


@dataclass
class SensitivityReport:
    items: int = 0
    mutants: int = 0
    assembled: int = 0
    rejected: int = 0
    rejected_by_assembly: int = 0
    equivalent: int = 0
    survivors: list[Mutant] = field(default_factory=list)
    items_without_kill: list[str] = field(default_factory=list)
    by_operator: dict[str, list[int]] = field(default_factory=dict)  # operator -> [rejected, total]

    @property
    def sensitivity(self) -> float:
        """Rejected wrong answers / wrong answers (mutants shown equivalent are not wrong answers)."""
        wrong = self.mutants - self.equivalent
        return self.rejected / wrong if wrong else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "mutants": self.mutants,
            "assembled": self.assembled,
            "rejected": self.rejected,
            "rejected_by_assembly": self.rejected_by_assembly,
            "equivalent_excluded": self.equivalent,
            "sensitivity": self.sensitivity,
            "items_without_kill": self.items_without_kill,
            "by_operator": {
                k: {"rejected": v[0], "total": v[1]} for k, v in sorted(self.by_operator.items())
            },
            "survivors": [
                {"item": m.item_id, "operator": m.operator, "line": m.line, "change": m.description}
                for m in self.survivors
            ],
        }


# Mutants that cannot be told apart from the reference by any input the contract allows, so
# they are not wrong answers. Key: (item id, description, line). Each entry says why.
EQUIVALENT: dict[tuple[str, str, int], str] = {
    **{
        (f"asm.alttp.{i}", "drop SEC", 8): "reached only after CMP set carry (no borrow)"
        for i in ("spend_rupees", "spend_magic")
    },
    **{
        (f"asm.alttp.{i}", "drop CLC", 11): "reached only through BCC: carry is already clear"
        for i in ("spend_rupees", "spend_magic")
    },
    ("asm.alttp.in_dungeon", "drop SEC", 8): "reached only through BEQ after CMP: carry is already set",
    (
        "asm.alttp.buy_bomb",
        "SEP -> REP",
        12,
    ): "16-bit INC of $7EF343 rewrites $7EF344 unchanged (bombs < 10 there)",
    ("asm.alttp.buy_bomb", "drop SEC", 17): "carry is already set by the CMP/SBC on this path",
    **{
        (i, "PLX -> PLY", n): "X is never changed, so X is still preserved; Y is not an output"
        for i, n in (
            ("asm.arith.add16", 5),
            ("asm.arith.sub16", 5),
            ("asm.arith.avg16", 6),
            ("asm.arith.satadd16", 8),
            ("asm.bcd.add16", 7),
        )
    },
    ("asm.arith.abs16", "#$8000 -> #$8001", 2): "only A = $8000 changes path, and -$8000 = $8000",
    ("asm.arith.abs16_jsr", "#$8000 -> #$8001", 2): "only A = $8000 changes path, and -$8000 = $8000",
    (
        "asm.arith.max16s",
        "SEC -> CLC",
        4,
    ): "A - X - 1 and A - X differ in sign only when A = X, where both answers are equal",
    ("asm.arith.max16s", "drop SEC", 4): "as SEC -> CLC: the sign differs only when A = X",
    ("asm.arith.max16s", "#$8000 -> #$8001", 7): "only bit 15 is tested afterwards (BPL)",
    ("asm.arith.popcount16", "LSR -> ASL", 6): "counting bits shifted out left or right gives the same count",
    (
        "asm.arith.clamp100",
        "#$FF9C -> #$FF9D",
        9,
    ): "only A = $FF9C changes path, and then loads the same $FF9C",
    ("asm.arith.ispow2", "drop SEC", 8): "CMP #$0000 always leaves carry set",
    ("asm.bcd.bcd2bin", "drop CLC", 13): "tens <= 9: the ASLs before cannot carry",
    ("asm.bcd.bcd2bin", "drop CLC", 16): "tens * 5 <= 45: the ASL before cannot carry",
    ("asm.flags.iszero", "drop SEC", 7): "CMP #$0000 always leaves carry set",
    ("asm.flags.signedless", "#$8000 -> #$8001", 7): "only bit 15 reaches the carry (ASL)",
    (
        "asm.loops.sumbytes",
        "drop CLC",
        10,
    ): "the CPY that continues the loop leaves carry clear and sums stay below $10000",
    ("asm.loops.findbyte", "drop SEC", 14): "reached only through BEQ after CMP: carry is already set",
    ("asm.loops.mulsoft", "LDX -> LDY", 6): "the load only tests for zero; X is not used afterwards",
    ("asm.loops.gcd", "drop SEC", 7): "reached only when CMP found A >= operand: carry is set",
    ("asm.loops.sort", "#$01 -> #$02", 20): "the swapped flag is only tested for nonzero",
    ("asm.width.clearpage", "INX -> DEX", 5): "walking the page downwards from 0 clears the same 256 bytes",
    ("asm.block.mvn_fill", "SEP -> REP", 3): "the 16-bit store's second byte is overwritten by the fill",
    ("asm.block.move_up", "drop CLC", 8): "the ADC #$1FFF before it cannot carry for the contract's X",
    # C++ items (graders/cpp.py mutants: line 0, the change as described there)
    **{
        (
            f"cpp.{t}.RleCompress",
            change,
            0,
        ): "n = remaining < 32 ? remaining : 32: at exactly 32 both arms agree"
        for t in ("write", "fix")
        for change in ("line 5: < -> <=", "line 5: 32 -> 33")
    },
    (
        "cpp.tree.tfz.dungeon.Describe",
        "line 2: 64 -> 65",
        0,
    ): "the longest label any three ints can make is 60 characters: a 65-byte buffer prints the same",
    (
        "cpp.tree.tfz.dungeon.ReadLayer",
        "line 8: 2 -> 3",
        0,
    ): "with exactly 3 bytes left the reference decodes them, then finds no end marker: nullopt either way",
    (
        "cpp.tree.tfz.dungeon.WriteLayer",
        "line 7: & -> |",
        0,
    ): "kEndOfList is 0xFFFF: (0xFFFF | 0xFF) and (0xFFFF & 0xFF) both push the byte 0xFF",
    **{
        (
            f"cpp.{t}.LoRomToPc",
            "line 3: 0x7F0000 -> 0x7F0001",
            0,
        ): "bit 0 of the mask is shifted out by the >> 1"
        for t in ("write", "fix")
    },
    **{
        (
            f"cpp.{t}.Bgr555ToRgb",
            "line 5: 10 -> 11",
            0,
        ): "shift steps by 5 from 0: it takes 0, 5, 10 either way"
        for t in ("write", "fix")
    },
    **{
        (
            f"asm.hwmath.{i}",
            "SEP -> REP",
            n,
        ): "the 16-bit store also writes the next I/O register; the result is unchanged"
        for i, n in (
            ("mul8", 2),
            ("div16", 3),
            ("percent", 2),
            ("area", 2),
            ("mul16x8", 3),
            ("mod", 3),
            ("average", 16),
        )
    },
}


def measure(
    items: list[SuiteItem], per_item: int | None = None, operators: frozenset[str] | None = None
) -> SensitivityReport:
    """Grade every mutant (or the first `per_item` of each, spread over operators; only the
    `operators` named, when given) of ASM items, and of items whose grader module offers
    `mutants` (e.g. dialogue)."""
    from triforce.evaluate.graders.asm import AsmSpec, grade_assembled, source_for
    from triforce.snes.asar import assemble_batch

    report = SensitivityReport()
    chosen: list[tuple[SuiteItem, AsmSpec, Mutant]] = []
    killed_items: set[str] = set()
    others = [item for item in items if not isinstance(item.spec(), AsmSpec)] if operators is None else []
    _measure_by_grader(others, per_item, report, killed_items)
    for item in items:
        spec = item.spec()
        if not isinstance(spec, AsmSpec):
            continue
        report.items += 1
        muts = mutants_of(item.id, item.reference)
        if operators is not None:
            muts = [m for m in muts if m.operator in operators]
        if per_item is not None:
            muts = _spread(muts, per_item)
        chosen += [(item, spec, m) for m in muts]
    results = assemble_batch([source_for(spec, m.source) for _, spec, m in chosen], org=0x008000, stubs=True)
    for (item, spec, mutant), result in zip(chosen, results, strict=True):
        report.mutants += 1
        stats = report.by_operator.setdefault(mutant.operator, [0, 0])
        stats[1] += 1
        if (item.id, mutant.description, mutant.line) in EQUIVALENT:
            report.equivalent += 1
            stats[1] -= 1
            continue
        if not result.ok:
            report.rejected += 1
            report.rejected_by_assembly += 1
            stats[0] += 1
            killed_items.add(item.id)
            continue
        report.assembled += 1
        verdict = grade_assembled(spec, result)
        if verdict.passed:
            report.survivors.append(mutant)
        else:
            report.rejected += 1
            stats[0] += 1
            killed_items.add(item.id)
    measured = {i.id for i, _, _ in chosen} | {i.id for i in others if _grader_mutants(i) is not None}
    report.items_without_kill = sorted(measured - killed_items)
    return report


def _grader_mutants(item: SuiteItem) -> Any:
    """The `mutants(reference, spec)` function of the item's grader module, when it has one."""
    from importlib import import_module

    from triforce.evaluate.graders import _graders

    module = _graders()[item.grading["kind"]][0]
    return getattr(import_module(module), "mutants", None)


def _measure_by_grader(
    items: list[SuiteItem], per_item: int | None, report: SensitivityReport, killed: set[str]
) -> None:
    """Items of other graders: the grader module's own `mutants` (typical wrong answers in its
    domain, each wrong by construction), graded like model answers."""
    from triforce.evaluate.graders import grade

    for item in items:
        make = _grader_mutants(item)
        if make is None:
            continue
        report.items += 1
        # (operator, wrong answer), or (operator, what changed, wrong answer) where the grader says
        muts: list[Mutant] = []
        seen: dict[str, int] = {}
        for m in make(item.reference, item.spec()):
            what = m[1] if len(m) == 3 else m[0]
            seen[what] = seen.get(what, 0) + 1
            if len(m) == 3 and seen[what] > 1:  # the same change twice on a line: tell them apart
                what = f"{what} (#{seen[what]})"
            muts.append(Mutant(item.id, m[0], 0, what, m[-1]))
        if per_item is not None:
            muts = _spread(muts, per_item)
        for mutant in muts:
            report.mutants += 1
            stats = report.by_operator.setdefault(mutant.operator, [0, 0])
            stats[1] += 1
            if (item.id, mutant.description, 0) in EQUIVALENT:
                report.equivalent += 1
                stats[1] -= 1
                continue
            if grade(item.grading, mutant.source).passed:
                report.survivors.append(mutant)
            else:
                report.rejected += 1
                stats[0] += 1
                killed.add(item.id)


def _spread(mutants: list[Mutant], limit: int) -> list[Mutant]:
    """Up to `limit` mutants, round-robin over operators so every kind of mistake is tried."""
    by_op: dict[str, list[Mutant]] = {}
    for m in mutants:
        by_op.setdefault(m.operator, []).append(m)
    picked: list[Mutant] = []
    while len(picked) < limit and any(by_op.values()):
        for op in sorted(by_op):
            if by_op[op] and len(picked) < limit:
                picked.append(by_op[op].pop(0))
    return picked
