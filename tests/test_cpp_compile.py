"""The compile checker on the bundled fixture tree: baseline per TU (one TU does not compile, on
purpose), candidates spliced in place, the sandbox's refusals, generated config headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from triforce.cpp import CompileChecker, bundled_tree, read_tree, scan_candidate
from triforce.cpp.compile import classify, compiler_available
from triforce.cpp.config_stub import cmake_variables, configure

pytestmark = pytest.mark.skipif(not compiler_available(), reason="g++ is not installed")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = bundled_tree()
    cache = tmp_path_factory.mktemp("cppcache")
    return read_tree(root), CompileChecker(root, cache_dir=cache), cache


def _fn(scan, name):  # type: ignore[no-untyped-def]
    return next(f for f in scan.functions if f.name == name)


def test_baseline_per_tu_and_cache(setup) -> None:  # type: ignore[no-untyped-def]
    scan, checker, cache = setup
    results = {pf.path: classify(checker.baseline(pf.path)) for pf in scan.files}
    assert results.pop("src/util/broken.cc") == "error"
    assert set(results.values()) == {"ok"}
    assert "LoadEverything" in checker.baseline("src/util/broken.cc").first_error()
    assert len(list(cache.glob("*.json"))) == len(scan.files)
    again = CompileChecker(bundled_tree(), cache_dir=cache)
    assert again.baseline("src/gfx/tile.cc").ok  # read back from the cache


def test_candidate_compiled_in_place(setup) -> None:  # type: ignore[no-untyped-def]
    scan, checker, _ = setup
    fn = _fn(scan, "GlyphWidth")
    same = checker.check_function(fn, fn.text)
    assert same.ok and same.mode == "compile"
    rewritten = fn.text.replace("++p", "p++")
    assert checker.check_function(fn, "/// doc\n" + rewritten).ok
    broken = checker.check_function(fn, fn.text.replace("return 4;", "return four;"))
    assert not broken.ok and broken.problems == ["candidate line 3: 'four' was not declared in this scope"]
    wrong_type = checker.check_function(fn, fn.text.replace("return c == ' ' ? 6 : 8;", 'return "8";'))
    assert not wrong_type.ok and "invalid conversion" in wrong_type.problems[0]


def test_template_and_member_candidates(setup) -> None:  # type: ignore[no-untyped-def]
    scan, checker, _ = setup
    clamp = _fn(scan, "ClampIndex")
    assert checker.check_function(clamp, clamp.text.replace("value < low", "low > value")).ok
    sheet = _fn(scan, "SheetAddress")
    res = checker.check_function(sheet, sheet.text.replace("data_[kSheetBankTable", "bytes_[kSheetBankTable"))
    assert not res.ok and "bytes_" in res.problems[0]


def test_parse_only_when_the_tu_does_not_compile(setup) -> None:  # type: ignore[no-untyped-def]
    scan, checker, _ = setup
    fn = _fn(scan, "LoadAll")
    res = checker.check_function(fn, fn.text)
    assert res.ok and res.mode == "parse-only"
    assert "LoadEverything" in res.to_json()["baseline_error"]
    bad = checker.check_function(fn, fn.text.replace("return OkStatus();", "return OkStatus("))
    assert not bad.ok and "does not parse" in bad.problems[0]


def test_refusals(setup) -> None:  # type: ignore[no-untyped-def]
    scan, checker, _ = setup
    fn = _fn(scan, "GlyphWidth")
    cases = {
        '#include "/etc/passwd"\n' + fn.text: "preprocessor",
        fn.text.replace("{", '{\n_Pragma("GCC dependency \\"/etc/passwd\\"")', 1): "_Pragma",
        fn.text.replace("{", "{\n  #define X 1", 1): "preprocessor",
        fn.text.replace("{", '{ asm("nop");', 1): "assembly",
        fn.text + "\nint Extra() { return 1; }": "exactly one function",
        fn.text.replace("GlyphWidth", "OtherName"): "defines 'OtherName'",
        fn.text.replace("char c", "int c"): "signature changed",
    }
    for text, expected in cases.items():
        res = checker.check_function(fn, text)
        assert not res.ok and res.mode == "refused", text
        assert expected in " ".join(res.problems), (expected, res.problems)
    assert scan_candidate('int f() { return system("ls"); }', will_run=True)
    assert not scan_candidate('int f() { return system("ls"); }')
    assert scan_candidate("x" * 70_000)


def test_generated_config_header() -> None:
    values = cmake_variables(bundled_tree())
    assert values["minizelda_VERSION_MINOR"] == "2" and values["PROJECT_NAME"] == "minizelda"
    unknown: set[str] = set()
    text = configure(
        '#define V "@minizelda_VERSION@@NOPE@"\n#cmakedefine FOO\n#cmakedefine01 BAR\nint a = 1; // @ x @',
        values,
        unknown,
    )
    assert text.split("\n") == [
        '#define V "0.2.1"',
        "/* #undef FOO */",
        "#define BAR 0",
        "int a = 1; // @ x @",
    ]
    assert unknown == {"NOPE"}


def test_headers_from_the_tree_own_folder(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "near.h").write_text("inline int Near() { return 3; }\n")
    (tmp_path / "lib" / "use.cc").write_text('#include "near.h"\nint Use() { return Near(); }\n')
    checker = CompileChecker(tmp_path)
    assert checker.include_dirs == [tmp_path.resolve()]
    fn = read_tree(tmp_path).file("lib/use.cc").functions[0]  # type: ignore[union-attr]
    assert checker.check_function(fn, "int Use() { return Near() + 1; }").ok


def test_header_outside_the_declared_roots_fails(tmp_path: Path) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    tree.mkdir()
    outside.mkdir()
    (outside / "secret.h").write_text("inline int Secret() { return 42; }\n")
    (tree / "link.h").symlink_to(outside / "secret.h")
    (tree / "use.cc").write_text('#include "link.h"\nint Use() { return Secret(); }\n')
    result = CompileChecker(tree).baseline("use.cc")
    assert not result.ok and result.reason == "sandbox"
    assert result.missing_header is not None and result.missing_header.endswith("link.h")


def test_cached_missing_header_is_retried_once_installed(tmp_path: Path) -> None:
    """A TU cached as 'missing header' compiles again when the header has been installed since
    (the third-party headers arrive with tools/sysdeps/cpp-headers.sh, often after a first run)."""
    tree, system, cache = tmp_path / "tree", tmp_path / "sys", tmp_path / "cache"
    (tree / "src").mkdir(parents=True)
    system.mkdir()
    (tree / "src" / "a.cc").write_text("#include <tf_late_lib.h>\nint f() { return tf_late(); }\n")
    first = CompileChecker(tree, system_dirs=[system], cache_dir=cache).baseline("src/a.cc")
    assert first.reason == "missing-header" and first.missing_header == "tf_late_lib.h"
    (system / "tf_late_lib.h").write_text("inline int tf_late() { return 1; }\n")
    again = CompileChecker(tree, system_dirs=[system], cache_dir=cache).baseline("src/a.cc")
    assert again.ok, again.first_error()
