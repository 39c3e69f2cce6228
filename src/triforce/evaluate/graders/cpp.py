"""C++ answers: the function is spliced into its translation unit and compiled with g++
(`-std=c++23 -fsyntax-only`); where the item has vectors, the TU is built and the function run on
them. Items are self-contained (`prefix` + answer + `suffix` is the whole TU), so grading needs
no checkout.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from triforce.cpp import CompileChecker, parse_source, scan_candidate
from triforce.cpp.rewrite import mutants as cpp_mutants
from triforce.cpp.run import run_vectors
from triforce.evaluate.answers import code_blocks
from triforce.evaluate.graders import GradeContext
from triforce.evaluate.verdict import CheckResult, Verdict


class CppRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call: str = Field(min_length=1)  # a C++ expression over `in` (std::vector<uint8_t>)
    cases: list[tuple[str, str]] = Field(min_length=1)  # (input hex, expected output hex)


class CppSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["cpp-compile"]
    function: str = Field(min_length=1)  # the name the answer must define
    signature: str | None = None  # when set, the answer must keep it (whitespace aside)
    prefix: str = ""
    suffix: str = ""
    run: CppRun | None = None


_CPP_TAGS = ("cpp", "c++", "cc", "cxx", "c", "")


def answer_function(answer: str) -> str | None:
    """The C++ code of an answer: the last C++ (or untagged) block that defines a function, else
    the last such block; the whole text when nothing is fenced."""
    blocks = [b for b in code_blocks(answer) if b.language in _CPP_TAGS]
    with_fn = [b for b in blocks if parse_source(b.code).functions]
    pool = with_fn or blocks
    return pool[-1].code.strip("\n") if pool else None


def grade_cpp(spec: CppSpec, answer: str, ctx: GradeContext) -> Verdict:
    code = answer_function(answer)
    if not code:
        return Verdict.fail("no-code", "the answer holds no C++ code")
    refused = scan_candidate(code, will_run=spec.run is not None)
    if refused:
        return Verdict.fail("refused", "; ".join(refused))
    parsed = parse_source(code)
    if len(parsed.functions) != 1:
        return Verdict.fail("structure", f"expected one function definition, found {len(parsed.functions)}")
    fn = parsed.functions[0]
    if fn.name != spec.function.split("::")[-1]:
        return Verdict.fail("structure", f"defines {fn.name!r}, not {spec.function!r}")
    if spec.signature is not None and "".join(fn.signature.split()) != "".join(spec.signature.split()):
        return Verdict.fail("signature", f"signature changed: expected `{' '.join(spec.signature.split())}`")
    checks = [CheckResult(name="parse", passed=not parsed.problems and not fn.errors_inside, message="")]
    if not checks[0].passed:
        return Verdict.fail("parse-error", "the function does not parse as C++")
    with tempfile.TemporaryDirectory(prefix="triforce-cppgrade-") as tmp:
        checker = CompileChecker(Path(tmp), include_dirs=[], shims=False)
        text = f"{spec.prefix}{code}\n{spec.suffix}".encode()
        result = checker.compile_text(text, "answer.cc")
    if not result.ok:
        first = spec.prefix.count("\n") + 1
        err = next((d for d in result.diagnostics if d.severity in ("error", "fatal error")), None)
        where = (
            f"line {err.line - first + 1}: {err.message}"
            if err and err.line >= first
            else result.first_error()
        )
        return Verdict.fail("compile-error", where)
    checks.append(CheckResult(name="compile", passed=True, message="g++ -std=c++23 -fsyntax-only"))
    if spec.run is not None:
        ran = run_vectors(spec.prefix, code, f"\n{spec.suffix}", spec.run.call, list(spec.run.cases))
        if not ran.built:
            return Verdict.fail("build-error", "; ".join(ran.problems))
        checks.append(
            CheckResult(
                name="vectors",
                passed=ran.ok,
                message="" if ran.ok else "; ".join(ran.problems[:3]),
                details={"code": "wrong-output", "cases": len(spec.run.cases)},
            )
        )
    return Verdict.from_checks(checks, "wrong-output")


def mutants(reference: str, spec: CppSpec) -> list[tuple[str, str, str]]:
    """(operator, what changed, wrong answer) for `triforce eval sensitivity`: one typical slip
    each (an operator swapped for its neighbour, a literal off by one, a called name misspelt).
    Every item runs its function on vectors, so the first two kinds are seen by behaviour, not
    only by the compiler; the few slips that are equivalent (`(x & 0x7F0001) >> 1`) are listed
    with their reason in `sensitivity.EQUIVALENT`, and survivors are listed, not hidden."""
    code = answer_function(reference) or ""
    return [(op, what, f"```cpp\n{text}\n```") for op, what, text in cpp_mutants(code) if text != code]
