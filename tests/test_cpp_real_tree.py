"""The C++ reader, compile checker and generator on a real YAZE checkout (kept outside the
repository), when the environment names it:

    TRIFORCE_CPP_TREE=/path/to/yaze pytest tests/test_cpp_real_tree.py

(or, without the variable, the source tree `yaze` once `triforce sources fetch yaze` has run).

Every function's text is exactly the bytes at its extent; each domain folder yields functions;
a few translation units are compiled unchanged; samples of every task (and the known-defect
items) are made and re-verified by `dataset verify`'s check.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from triforce.corpus.sources import resolve_source
from triforce.cpp import CompileChecker, read_tree
from triforce.cpp.compile import classify, compiler_available
from triforce.errors import InputError
from triforce.generate.cpp import CppGenerator, catalogue
from triforce.generate.domain import Source
from triforce.generate.verify import verify_samples


def _yaze() -> str:
    if named := os.environ.get("TRIFORCE_CPP_TREE", ""):
        return named
    try:
        return str(resolve_source("yaze"))
    except InputError:
        return ""


_TREE = _yaze()
pytestmark = [
    pytest.mark.skipif(
        not _TREE, reason="set TRIFORCE_CPP_TREE to a YAZE checkout (or fetch the source yaze)"
    ),
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def root() -> Path:
    return Path(_TREE)


def test_functions_per_domain_folder(root: Path) -> None:
    folders = [f for f in catalogue()["domain_folders"] if (root / f).is_dir()]
    assert folders, "no YAZE domain folder in this tree"
    scan = read_tree(root, folders)
    assert scan.origin.license and scan.origin.repo
    per = scan.per_folder()
    for folder in folders:
        assert sum(n for f, n in per.items() if f == folder or f.startswith(folder + "/")) > 0, folder
    for fn in scan.functions[::25]:
        data = (root / fn.file).read_bytes()
        assert data[fn.start_byte : fn.end_byte].decode("utf-8") == fn.text
    assert all(p.reason for p in scan.problems)
    assert sum(1 for f in scan.functions if not f.errors_inside) > 0.9 * len(scan.functions)


def test_some_tus_compile_unchanged(root: Path) -> None:
    if not compiler_available():
        pytest.skip("g++ is not installed")
    checker = CompileChecker(root)
    results = {
        tu: classify(checker.baseline(tu))
        for tu in ("src/rom/rom_diff.cc", "src/util/hex.cc")
        if (root / tu).is_file()
    }
    assert results and "ok" in results.values(), results


def test_samples_of_every_task_verify(root: Path) -> None:
    if not compiler_available():
        pytest.skip("g++ is not installed")
    gen = CppGenerator()
    units = gen.units([Source(root, "rom-hack")], seed=0)
    bugs = [u for u in units if u.payload["kind"] == "bug"]
    assert len(bugs) == len(catalogue()["known_defects"])
    rows = []
    for unit in [*bugs, *[u for u in units if u.payload["kind"] == "function"][:6]]:
        rows += [json.loads(s.model_dump_json()) for s in gen.run(unit, 0).samples]
    tasks = {r["task"] for r in rows}
    assert {"cpp.explain", "cpp.write", "cpp.find_bug"} <= tasks
    assert all(r["provenance"]["commit"] and r["provenance"]["origin"] == "rom-hack" for r in rows)
    report = verify_samples(rows)
    assert report.passed == len(rows), report.failed
