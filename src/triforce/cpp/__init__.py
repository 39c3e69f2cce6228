"""triforce.cpp: the C++ truth machine (floor 1).

Reads C++ trees (a YAZE checkout or any CMake tree) into functions with exact extents and
provenance (`read_tree`), and proves candidate functions by splicing them back into their
translation unit and compiling it syntax-only with g++ in a sandbox (`CompileChecker`).

```python
from triforce.cpp import read_tree, CompileChecker, bundled_tree
scan = read_tree(Path("yaze"), ["src/zelda3"])       # TreeScan: files, functions, problems, origin
fn = scan.functions[0]                               # CppFunction: extents, signature, doc, facts
checker = CompileChecker(Path("yaze"), cache_dir=Path(".cache/cpp"))
checker.baseline(fn.file).ok                         # does its TU compile unchanged?
checker.check_function(fn, candidate_text)           # CheckResult(ok, mode, problems)
```
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from triforce.cpp.compile import CheckResult, CompileChecker, CompileResult, baseline_tree, classify
from triforce.cpp.model import CppFunction, Include, Origin, Parameter, ParsedFile, ParseProblem
from triforce.cpp.parse import parse_source
from triforce.cpp.sandbox import CompileLimits, scan_candidate
from triforce.cpp.tree import TreeScan, read_tree


def bundled_tree() -> Path:
    """The small C++ tree Triforce ships (original code): the bundled build's C++ source."""
    return Path(str(resources.files("triforce.cpp").joinpath("bundled", "minizelda")))


__all__ = [
    "CheckResult",
    "CompileChecker",
    "CompileLimits",
    "CompileResult",
    "CppFunction",
    "Include",
    "Origin",
    "Parameter",
    "ParseProblem",
    "ParsedFile",
    "TreeScan",
    "baseline_tree",
    "bundled_tree",
    "classify",
    "parse_source",
    "read_tree",
    "scan_candidate",
]
