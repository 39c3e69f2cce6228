"""The cross generator: quest -> implementation pairs proven by the romhack prover, both
directions, re-proven from their text by `check` (and so by `dataset verify`), through the build."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from triforce.generate.build import BuildOptions, generator_names, run_build
from triforce.generate.crossimpl import CrossImplementationGenerator
from triforce.generate.domain import load_generator
from triforce.generate.routines import load_routines
from triforce.generate.verify import verify_samples
from triforce.romhack.templates import KINDS

GEN = CrossImplementationGenerator()


def test_registered_and_in_the_default_build() -> None:
    assert isinstance(load_generator("cross"), CrossImplementationGenerator)
    assert "cross" in generator_names()
    units = GEN.units([], 0)
    assert {u.payload[0] for u in units} == set(KINDS) and len({u.key for u in units}) == len(units)


def test_build_yields_pairs_that_verify_and_tampering_fails(tmp_path: Path) -> None:
    report = run_build(
        load_routines([], required=False),
        tmp_path,
        BuildOptions(generators=["cross"], limit_per_type=6, workers=1),
    )
    assert report["per_generator"]["cross"]["kept"] == 6
    rows: list[dict[str, Any]] = [
        json.loads(x) for x in (tmp_path / "samples.jsonl").read_text().splitlines()
    ]
    assert {r["meta"]["direction"] for r in rows} == {"design-to-code", "code-to-design"}
    assert all(r["domain"] == "cross" and r["source"] == "quest-implementation" for r in rows)
    result = verify_samples(rows)
    assert result.checked == result.passed == 6

    design = next(r for r in rows if r["meta"]["direction"] == "design-to-code")
    spec = design["meta"]["cross_spec"]
    done = spec["done"]["address"]
    broken = json.loads(json.dumps(design))
    answer = broken["messages"][-1]["content"]
    broken["messages"][-1]["content"] = answer.replace(f"STA.l {done}", "STA.l $7EF3FF", 1)
    problems = GEN.check(broken)
    assert problems and "memory" in problems[0], problems

    explain = next(r for r in rows if r["meta"]["direction"] == "code-to-design")
    wrong = json.loads(json.dumps(explain))
    wrong["messages"][-1]["content"] = explain["messages"][-1]["content"].replace(done, "$7EF3FF")
    assert GEN.check(wrong) and "does not state" in GEN.check(wrong)[0]
    wrong_code = json.loads(json.dumps(explain))
    wrong_code["messages"][-2]["content"] = explain["messages"][-2]["content"].replace("    PLY\n", "", 1)
    assert GEN.check(wrong_code)
