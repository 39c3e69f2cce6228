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


_DISASSEMBLIES = [t for t in _TREES if (t / "main.asm").is_file()]


@pytest.mark.slow
@pytest.mark.parametrize("tree", _DISASSEMBLIES, ids=[p.name for p in _DISASSEMBLIES])
def test_real_tree_assembles_whole_with_every_marker_in_place(tree: Path) -> None:
    """usdasm/jpdasm as the game (corpus.image): every 24-bit address marker is its label's value
    (SPC700 code under `base` is addressed in the APU's space and left out of the check), and a
    few routines run in place and re-verify over the same image."""
    from triforce.corpus.image import game_image
    from triforce.generate.synth import WorkOptions, process_routines
    from triforce.generate.verify import check_sample

    game = game_image(tree)
    markers = {n: v for n, v in game.symbols.items() if re.fullmatch(r"_[0-9A-F]{6}", n) and v > 0xFFFF}
    assert len(markers) > 100_000
    wrong = [n for n, v in markers.items() if int(n[1:], 16) != v]
    assert len(wrong) <= 2, wrong[:5]  # jpdasm has one marker that its own data overlaps
    routines = read_corpus([tree], name=tree.name, origin="rom-hack").routines[::400]
    units = process_routines([(r, ["base", "debug"]) for r in routines], WorkOptions(seed=0))
    samples = [dict(row) for u in units for row in u["samples"]]
    assert len(samples) >= len(routines) // 2
    for s in samples:
        assert s["meta"]["exec"]["image"]["digest"] == game.digest
        assert check_sample(s, tree)[0] == []
