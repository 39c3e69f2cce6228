"""Write the romhack items of `evaluate/suites/cross.jsonl` from `triforce.romhack.templates`.

The plan's three cross-domain test cases plus ten items of each quest kind, filled with the
held-out quest givers (the training generator never uses them). Items of other kinds already in
the file are kept. Run: PYTHONPATH=src python scripts/build_cross_suite.py
"""

from __future__ import annotations

import json
from pathlib import Path

from triforce.evaluate.graders import GradeContext
from triforce.evaluate.graders.romhack import RomhackSpec, grade_romhack
from triforce.romhack.templates import build, suite_plan

SUITE = Path(__file__).resolve().parents[1] / "src/triforce/evaluate/suites/cross.jsonl"


def main() -> None:
    kept = [
        line
        for line in SUITE.read_text("utf-8").splitlines()
        if line.strip() and json.loads(line)["grading"]["kind"] != "romhack"
    ]
    items = []
    for kind, variant in suite_plan():
        pair = build(kind, variant, split="eval")
        grading = {"kind": "romhack", "spec": json.loads(pair.spec.model_dump_json())}
        answer = pair.answer()
        verdict = grade_romhack(RomhackSpec.model_validate(grading), answer, GradeContext())
        if not verdict.passed:
            raise SystemExit(f"{kind}:{variant}: the reference fails: {verdict.reason}")
        items.append(
            {
                "category": "cross",
                "grading": grading,
                "id": f"cross.{kind}.{variant:02d}",
                "prompt": pair.brief,
                "reference": answer,
                "tags": ["cross", "romhack", kind],
            }
        )
    lines = kept + [json.dumps(item, sort_keys=True, ensure_ascii=False) for item in items]
    SUITE.write_text("\n".join(lines) + "\n", "utf-8")
    print(f"{len(items)} romhack items (+{len(kept)} kept) -> {SUITE}")


if __name__ == "__main__":
    main()
