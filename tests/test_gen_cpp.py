"""The C++ generator on the bundled tree: samples of every task, each re-proven by `check` from
its own messages; edited answers fail."""

from __future__ import annotations

import json
from typing import Any

import pytest

from triforce.cpp.compile import compiler_available
from triforce.generate.cpp import CppGenerator, check_explain, explain_answer
from triforce.generate.domain import Unit
from triforce.generate.verify import verify_samples

pytestmark = pytest.mark.skipif(not compiler_available(), reason="g++ is not installed")


@pytest.fixture(scope="module")
def gen() -> CppGenerator:
    return CppGenerator()


@pytest.fixture(scope="module")
def units(gen: CppGenerator) -> list[Unit]:
    return gen.units([], seed=0)


def _rows(gen: CppGenerator, units: list[Unit], *keys: str) -> list[dict[str, Any]]:
    rows = []
    for u in units:
        if any(u.key.endswith(k) for k in keys):
            res = gen.run(u, 0)
            rows += [json.loads(s.model_dump_json()) for s in res.samples]
    return rows


def test_units_balanced_over_folders(units: list[Unit]) -> None:
    folders = [u.payload["folder"] for u in units if u.payload["kind"] == "function"]
    assert set(folders) == {"src/compress", "src/gfx", "src/rom", "src/text", "src/util"}
    first = folders[:5]
    assert len(set(first)) == 5  # round robin: one of each folder first
    assert sum(1 for u in units if u.payload["kind"] == "bug") == 5
    assert all(u.key.startswith("minizelda:") for u in units)


def test_function_samples_verify_and_tampering_fails(gen: CppGenerator, units: list[Unit]) -> None:
    rows = _rows(gen, units, "mz::gfx::UnpackPlanar:33", "mz::util::LoadAll:12")
    tasks = sorted((r["task"], r["meta"]["cpp"]["check"]) for r in rows)
    assert tasks == [
        ("cpp.explain", "facts"),
        ("cpp.explain", "facts"),
        ("cpp.port", "run"),
        ("cpp.refactor", "compile"),
        ("cpp.refactor", "parse-only"),
        ("cpp.write", "compile"),
        ("cpp.write", "parse-only"),
    ]
    assert all(r["source"] == "yaze-cpp" and r["provenance"]["license"] == "MIT" for r in rows)
    report = verify_samples(rows)
    assert report.passed == len(rows), report.failed
    by_task = {(r["task"], r["meta"]["cpp"]["check"]): r for r in rows}
    write = json.loads(json.dumps(by_task[("cpp.write", "compile")]))
    write["messages"][-1]["content"] = write["messages"][-1]["content"].replace("value |= ", "valu |= ")
    refactor = json.loads(json.dumps(by_task[("cpp.refactor", "compile")]))
    refactor["messages"][-1]["content"] = refactor["messages"][-1]["content"].replace("++row", "row++", 1)
    explain = json.loads(json.dumps(by_task[("cpp.explain", "facts")]))
    explain["messages"][-1]["content"] = explain["messages"][-1]["content"].replace("`push_back`", "`append`")
    parse_only = json.loads(json.dumps(by_task[("cpp.write", "parse-only")]))
    parse_only["messages"][-1]["content"] = parse_only["messages"][-1]["content"].replace(
        "  }\n  return OkStatus();", "  return OkStatus();"
    )
    port = json.loads(json.dumps(by_task[("cpp.port", "run")]))
    port["messages"][-1]["content"] = port["messages"][-1]["content"].replace("(7 - col)", "(col)")
    failed = verify_samples([write, refactor, explain, parse_only, port]).failed
    problems = [f["problem"] for f in failed]
    assert len(failed) == 5, problems
    assert "vector 1" in problems[4]
    assert "'valu' was not declared" in problems[0]
    assert "not the modernised form" in problems[1]


def test_find_bug_samples_are_run(gen: CppGenerator, units: list[Unit]) -> None:
    rows = _rows(gen, units, "bug:mz-copy-endianness", "bug:mz-line-width-characters")
    assert [r["meta"]["cpp"]["bug"] for r in rows] == ["mz-copy-endianness", "mz-line-width-characters"]
    assert all(r["verification"]["method"] == "g++-run" for r in rows)
    assert verify_samples(rows).passed == 2
    wrong = json.loads(json.dumps(rows[1]))
    answer = wrong["messages"][-1]["content"]
    wrong["messages"][-1]["content"] = answer.replace("The bug is on line", "The bug is on line 1 not", 1)
    assert verify_samples([wrong]).failed


def test_explain_check_reads_the_question() -> None:
    from triforce.cpp import parse_source

    code = "int Add(int a, int b = 2) { return Sum(a, b) + 0x4F80 + kBase; }"
    fn = parse_source(code).functions[0]
    answer = explain_answer(fn)
    assert "- Parameters: `int a`, `int b = 2`" in answer
    assert "- Address-like hex literals: `0x4F80`" in answer
    assert check_explain(code, answer) == []
    assert check_explain(code.replace("kBase", "kTop"), answer) == [
        "Named constants: the code says ['kTop'], the answer ['kBase']"
    ]
    assert check_explain(code, answer.replace("- Returns: `int`\n", "")) == ["Returns: missing"]
