"""Names asar keeps global across a whole run: macros, structs and functions.

`assemble_batch` gives each snippet a namespace, but namespaces cover labels only. Two snippets
that both define `macro add_capped(...)` (two corpus routines carrying the same helper) make
asar stop with `Emacro_redefined`; two `struct`s of one name give `Estruct_redefined`; a
function defined twice draws a deprecation warning neither snippet has alone. So before a batch
run each snippet's clashing macros are renamed to a per-snippet name (definition and every
`%name(` call in the snippet, so line numbers stay the same), and snippets whose global names
still clash (structs, functions, macros in included files) go to separate runs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from triforce.errors import InputError
from triforce.fsio import MAX_SOURCE_BYTES, read_text_bounded
from triforce.snes.asmsyntax import strip_comment

GlobalName = tuple[str, str]  # (kind, name): ("macro", "add_capped")

_DEFINITION_RE = re.compile(
    r"^\s*(?:[.A-Za-z_][A-Za-z0-9_.]*:\s+)?(macro|struct|function)\s+([A-Za-z_][A-Za-z0-9_]*)", re.I
)


def macro_prefix(index: int) -> str:
    """What a renamed macro of snippet `index` starts with (stripped again from diagnostics)."""
    return f"TFm{index:05d}_"


def global_names(source: str, includes: Iterable[Path] = ()) -> set[GlobalName]:
    """The macros, structs and functions a snippet (and the files it includes) defines."""
    names: set[GlobalName] = set()
    texts = [source]
    for path in includes:
        try:
            texts.append(read_text_bounded(path, MAX_SOURCE_BYTES, errors="replace"))
        except (OSError, InputError):
            continue  # the run reports the unreadable file
    for text in texts:
        for line in text.split("\n"):
            match = _DEFINITION_RE.match(strip_comment(line))
            if match is not None:
                names.add((match.group(1).lower(), match.group(2)))
    return names


def rename_macros(source: str, names: set[str], prefix: str) -> str:
    """`macro name(` and `%name(` for each of `names` renamed to `prefix + name`, lines kept."""
    if not names:
        return source
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    definition = re.compile(rf"^(\s*macro\s+)({alternatives})(?=\s*\()", re.I | re.M)
    call = re.compile(rf"%({alternatives})(?=\s*\()")
    source = definition.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", source)
    return call.sub(lambda m: f"%{prefix}{m.group(1)}", source)


def clashing(name_sets: list[set[GlobalName]]) -> set[GlobalName]:
    """Names defined by more than one snippet."""
    counts = Counter(name for names in name_sets for name in names)
    return {name for name, count in counts.items() if count > 1}


def separate(name_sets: list[set[GlobalName]]) -> list[list[int]]:
    """Indexes into `name_sets` grouped so that no name is defined twice in one group
    (first fit: snippets without global names all share the first group)."""
    groups: list[tuple[list[int], set[GlobalName]]] = []
    for index, names in enumerate(name_sets):
        for members, taken in groups:
            if not names & taken:
                members.append(index)
                taken |= names
                break
        else:
            groups.append(([index], set(names)))
    return [members for members, _ in groups]
