"""Routines read from asar source trees: the material every ASM generator starts from.

`read_corpus(paths)` reads real trees (disassemblies, ROM hacks, the user's code);
`bundled_corpus()` reads the original routines Triforce ships in `bundled/`.
"""

from triforce.corpus.model import CorpusReport, EntryWidth, RamRef, Routine, RoutineTags, TestSeed
from triforce.corpus.reader import BUNDLED_DIR, bundled_corpus, read_corpus

__all__ = [
    "BUNDLED_DIR",
    "CorpusReport",
    "EntryWidth",
    "RamRef",
    "Routine",
    "RoutineTags",
    "TestSeed",
    "bundled_corpus",
    "read_corpus",
]
