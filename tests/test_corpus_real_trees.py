"""The reader on real public trees (kept outside the repository), when the environment names them.

    TRIFORCE_CORPUS_TREES=/tmp/usdasm:/tmp/Oracle-of-Secrets pytest tests/test_corpus_real_trees.py

Every source file must be read or skipped with a reason, and routines found. usdasm marks each
instruction with its address (`#_008000:`), which checks the reader's address tracking.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from triforce.corpus import read_corpus
from triforce.corpus.reader import SOURCE_SUFFIXES

_TREES = [Path(p) for p in os.environ.get("TRIFORCE_CORPUS_TREES", "").split(os.pathsep) if p]
_MARK_RE = re.compile(r"^\s*#_([0-9A-F]{6}):", re.MULTILINE)

pytestmark = pytest.mark.skipif(not _TREES, reason="set TRIFORCE_CORPUS_TREES to real asar trees")


@pytest.mark.slow
@pytest.mark.parametrize("tree", _TREES, ids=[p.name for p in _TREES])
def test_real_tree(tree: Path) -> None:
    report = read_corpus([tree], name=tree.name, origin="rom-hack")
    assert report.routines
    sources = {
        p.resolve()
        for p in tree.rglob("*")
        if p.suffix.lower() in SOURCE_SUFFIXES
        and not any(x.startswith(".") for x in p.relative_to(tree).parts)
    }
    accounted = set(report.files_read) | {p.resolve() for p, _ in report.files_skipped}
    assert sources <= accounted
    for r in report.routines:
        # The marker on the line after the label is the routine's address in usdasm.
        mark = _MARK_RE.match(r.body.split("\n", 1)[1]) if "\n" in r.body else None
        if mark and r.address is not None:
            assert r.address == int(mark.group(1), 16), r.qualified_name
        assert r.body.strip()
