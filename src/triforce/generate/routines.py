"""Reading the routines a build works on: the bundled corpus, or the asar trees given with --source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triforce.errors import InputError
from triforce.sample import Origin


@dataclass
class LoadedCorpus:
    routines: list[Any]
    files_read: int = 0
    files_skipped: list[tuple[str, str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    # How to read the same routines again (source paths, origin): lets workers load the corpus
    # themselves instead of inheriting it through fork. None for corpora built in memory.
    reload: tuple[list[str], str] | None = None


def load_routines(
    sources: Sequence[Path], origin: Origin = "original", *, required: bool = True
) -> LoadedCorpus:
    """The bundled corpus when no source is given, else every source tree (unreadable ones skipped).

    Raises InputError when nothing at all yields a routine, unless `required` is False (a build
    whose sources feed other domains only, e.g. a C++ checkout)."""
    from triforce.corpus import bundled_corpus, read_corpus

    out = LoadedCorpus(routines=[], reload=([str(p) for p in sources], origin))
    reports: list[tuple[str, Any]] = []
    if not sources:
        reports.append(("bundled", bundled_corpus()))
    for src in sources:
        path = Path(src)
        if not path.exists():
            out.files_skipped.append((str(path), "does not exist"))
            continue
        reports.append((str(path), read_corpus([path], name=path.resolve().name, origin=origin)))
    for name, rep in reports:
        out.sources.append(name)
        out.routines.extend(rep.routines)
        files_read = rep.files_read
        out.files_read += files_read if isinstance(files_read, int) else len(files_read)
        out.files_skipped.extend((str(p), str(reason)) for p, reason in getattr(rep, "files_skipped", []))
    if not out.routines and required:
        skipped = "; ".join(f"{p}: {r}" for p, r in out.files_skipped[:5])
        raise InputError(
            f"no routines found in {', '.join(str(s) for s in sources) or 'the bundled corpus'} "
            f"({out.files_read} files read, {len(out.files_skipped)} skipped{': ' + skipped if skipped else ''})"
        )
    return out
