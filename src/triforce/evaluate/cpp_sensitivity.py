"""Grader sensitivity for C++ items: typical slips made to each reference (an operator swapped
for its neighbour, a constant off by one, a called name misspelt) are graded like answers; the
share rejected says how well the compile check and the vectors catch wrong code.

A mutant that survives a compile-only item is expected for the first two kinds (they still
compile): those items prove the code fits its file, not what it computes; items with vectors
must catch them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from triforce.cpp.rewrite import mutants
from triforce.evaluate.graders import grade
from triforce.evaluate.graders.cpp import answer_function
from triforce.evaluate.suite import SuiteItem


@dataclass
class CppSensitivity:
    items: int = 0
    mutants: int = 0
    rejected: int = 0
    by_operator: dict[str, list[int]] = field(default_factory=dict)  # op -> [rejected, total]
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # "run" | "compile-only" -> [rejected, total]
    survivors: list[dict[str, str]] = field(default_factory=list)

    @property
    def sensitivity(self) -> float:
        return self.rejected / self.mutants if self.mutants else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "mutants": self.mutants,
            "rejected": self.rejected,
            "sensitivity": round(self.sensitivity, 4),
            "by_operator": self.by_operator,
            "by_kind": self.by_kind,
            "survivors": self.survivors,
        }


def _spread(muts: list[tuple[str, str, str]], limit: int | None) -> list[tuple[str, str, str]]:
    if limit is None:
        return muts
    by_op: dict[str, list[tuple[str, str, str]]] = {}
    for m in muts:
        by_op.setdefault(m[0], []).append(m)
    out: list[tuple[str, str, str]] = []
    while len(out) < limit and any(by_op.values()):
        for op in list(by_op):
            if by_op[op] and len(out) < limit:
                out.append(by_op[op].pop(len(by_op[op]) // 2))
    return out


def measure_cpp(items: list[SuiteItem], per_item: int | None = None) -> CppSensitivity:
    report = CppSensitivity()
    for item in items:
        if item.grading.get("kind") != "cpp-compile":
            continue
        reference = answer_function(item.reference)
        if not reference:
            continue
        report.items += 1
        kind = "run" if item.grading.get("run") else "compile-only"
        for op, desc, text in _spread(mutants(reference), per_item):
            if text == reference:
                continue
            verdict = grade(item.grading, f"```cpp\n{text}\n```")
            report.mutants += 1
            for table, key in ((report.by_operator, op), (report.by_kind, kind)):
                stats = table.setdefault(key, [0, 0])
                stats[1] += 1
                stats[0] += 0 if verdict.passed else 1
            if verdict.passed:
                report.survivors.append({"item": item.id, "mutant": f"{op} {desc}"})
            else:
                report.rejected += 1
    return report
