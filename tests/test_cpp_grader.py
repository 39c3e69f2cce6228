"""The `cpp` suite and its grader: references pass, typical wrong answers fail with the right
reason, mutants are caught, decontamination sees the suite, the CLI works."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from triforce.cli import app
from triforce.cpp.compile import compiler_available
from triforce.dataset.decontam import bundled_suite_paths, decontaminate
from triforce.evaluate.graders import grade
from triforce.evaluate.sensitivity import measure
from triforce.evaluate.suite import load_suites
from triforce.sample import Message, Provenance, Sample

pytestmark = pytest.mark.skipif(not compiler_available(), reason="g++ is not installed")


@pytest.fixture(scope="module")
def items():  # type: ignore[no-untyped-def]
    return {it.id: it for it in load_suites(["cpp"]).items}


def test_suite_shape(items) -> None:  # type: ignore[no-untyped-def]
    assert len(items) >= 60
    kinds = {i.split(".")[1] for i in items}
    assert kinds == {"write", "fix", "tree"}
    assert all(it.category == "cpp" and it.grading["kind"] == "cpp-compile" for it in items.values())
    # every item runs its function on vectors, the tree items through a probe
    assert all(it.grading.get("run") for it in items.values())


def test_reference_passes_and_wrong_answers_fail(items) -> None:  # type: ignore[no-untyped-def]
    it = items["cpp.write.WordFill"]
    assert grade(it.grading, it.reference).passed
    wrong = it.reference.replace("(i & 1) ? in[1] : in[0]", "(i & 1) ? in[0] : in[1]")
    verdict = grade(it.grading, wrong)
    assert not verdict.passed and verdict.code == "wrong-output" and "vector 2" in verdict.reason
    broken = grade(it.grading, it.reference.replace("in[2]", "in[2")).code
    assert broken in ("compile-error", "parse-error")
    assert grade(it.grading, "```cpp\n#include <cstdlib>\n" + it.reference[7:]).code == "refused"
    assert (
        grade(it.grading, it.reference.replace("in[1] : in[0]", 'in[1] : (system("x"), in[0])')).code
        == "refused"
    )
    sig = it.reference.replace("const std::vector<uint8_t>& in", "std::vector<uint8_t> in")
    assert grade(it.grading, sig).code == "signature"
    assert grade(it.grading, "I would loop over the bytes.").code in ("no-code", "structure")


def test_tree_item_compiles_in_place(items) -> None:  # type: ignore[no-untyped-def]
    it = items["cpp.tree.tfz.dungeon.RoomObject.MoveBy"]
    assert grade(it.grading, it.reference).passed
    typo = grade(it.grading, it.reference.replace("x_ + dx", "xpos + dx"))
    assert typo.code == "compile-error" and "'xpos' was not declared" in typo.reason


def test_sensitivity_on_two_items(items) -> None:  # type: ignore[no-untyped-def]
    run_item = measure([items["cpp.write.ToBcd"]], per_item=3)
    assert run_item.items == 1 and run_item.mutants == 3 and run_item.rejected == 3  # vectors catch all
    tree_item = measure([items["cpp.tree.tfz.dungeon.CountPerLayer"]], per_item=6)
    names = tree_item.by_operator["wrong-name"]
    assert names[0] == names[1] > 0  # a compile catches every misspelt name


def test_tree_item_rejects_slips_that_compile(items) -> None:  # type: ignore[no-untyped-def]
    """A tree item is run through its probe: an operator swapped or a bound off by one compiles
    in place, and is rejected by behaviour (it was accepted when tree items only compiled)."""
    it = items["cpp.tree.tfz.dungeon.RoomObject.MoveBy"]
    report = measure([it])
    assert report.by_operator["swap-operator"][1] == 2 and report.by_operator["off-by-one"][1] == 4
    assert report.rejected == report.mutants - report.equivalent and not report.survivors
    slip = grade(it.grading, it.reference.replace("0, 63)", "0, 64)", 1))
    assert slip.code == "wrong-output" and "expected 3f" in slip.reason


def test_equivalent_cpp_mutants_name_real_mutants(items) -> None:  # type: ignore[no-untyped-def]
    """Every C++ entry of sensitivity.EQUIVALENT is a mutant the grader makes (no stale entry)."""
    from triforce.evaluate.graders.cpp import mutants
    from triforce.evaluate.sensitivity import EQUIVALENT

    keys = [(i, d) for i, d, line in EQUIVALENT if i.startswith("cpp.") and line == 0]
    assert keys
    for item_id, what in keys:
        it = items[item_id]
        made = [m[1] for m in mutants(it.reference, it.spec())]
        # the first mutant with that description (sensitivity names a repeat `... (#2)`)
        assert what.split(" (#")[0] in made, (item_id, what)


def test_a_repeated_change_is_not_excluded_with_its_equivalent_twin(items) -> None:  # type: ignore[no-untyped-def]
    """RleCompress line 5 has two 32s: `< 32 -> < 33` is equivalent, `: 32 -> : 33` is not."""
    report = measure([items["cpp.write.RleCompress"]])
    assert report.equivalent == 2 and not report.survivors
    twin = grade(
        items["cpp.write.RleCompress"].grading,
        items["cpp.write.RleCompress"].reference.replace(": 32;", ": 33;"),
    )
    assert not twin.passed


def test_decontamination_sees_the_cpp_suite(items) -> None:  # type: ignore[no-untyped-def]
    it = items["cpp.write.RleCompress"]
    leaked = Sample(
        messages=[
            Message(role="user", content="Write RleCompress."),
            Message(role="assistant", content=it.reference),
        ],
        domain="din",
        task="cpp.write",
        source="yaze-cpp",
        provenance=Provenance(corpus="t", origin="synthetic"),
    )
    kept, report = decontaminate([leaked], suites=[p for p in bundled_suite_paths() if p.stem == "cpp"])
    assert not kept and report.hits[0].item_id == "cpp.write.RleCompress"


def test_cli_scan_and_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    res = runner.invoke(app, ["cpp", "scan", "--json", "--problems"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["functions"] == 27 and data["problem_list"][0]["line"] == 38
    good = tmp_path / "good.cc"
    good.write_text("int GlyphWidth(char c) { return c == ' ' ? 6 : 8; }\n")
    res = runner.invoke(app, ["cpp", "check", "src/text/message.cc:GlyphWidth", str(good), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["mode"] == "compile"
    good.write_text("int GlyphWidth(char c) { return width; }\n")
    res = runner.invoke(app, ["cpp", "check", "src/text/message.cc:GlyphWidth", str(good)])
    assert res.exit_code == 1 and "'width' was not declared" in res.output
    res = runner.invoke(app, ["cpp", "check", "src/text/message.cc:Nope", str(good)])
    assert res.exit_code != 0


def test_undefined_behaviour_is_a_wrong_answer(items) -> None:  # type: ignore[no-untyped-def]
    """One loop step too many shifts by -1: on x86 that happens to leave the result unchanged, but it
    is undefined behaviour, so the run (built with UBSan) stops and the answer is rejected."""
    it = items["cpp.write.HFlipRows"]
    wrong = it.reference.replace("i < 8", "i <= 8")
    assert wrong != it.reference
    verdict = grade(it.grading, wrong)
    assert not verdict.passed and "undefined behaviour: shift exponent -1 is negative" in verdict.reason
