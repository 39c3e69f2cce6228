"""The records the C++ reader produces: functions with their facts, files, and what it could not parse.

Plain data only (this is a truth machine): a generator turns a `CppFunction` into samples, the
compile checker splices text back at `start_byte`/`end_byte` of its file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a tree comes from: repository ("owner/name" or the folder name), commit, licence."""

    repo: str
    commit: str | None = None
    license: str | None = None


@dataclass(frozen=True, slots=True)
class Parameter:
    type: str  # the declared type with the declarator's `*`/`&`, e.g. "const Rom&"
    name: str  # "" for an unnamed parameter
    default: str | None = None


@dataclass(frozen=True, slots=True)
class Include:
    target: str  # "app/gfx/snes_tile.h"
    system: bool  # <...> rather than "..."
    line: int


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """Text the parser could not read as C++ (usually a macro it cannot expand), with the reason."""

    file: str
    line: int
    reason: str
    snippet: str = ""


@dataclass(frozen=True, slots=True)
class CppFunction:
    """One function definition with a body, located exactly in its file.

    `text` is `source[start_byte:end_byte]` (a template header included); lines are 1-based and
    inclusive. `doc` is the comment block right above the definition (no blank line between);
    `doc_start_byte` is where it begins (== start_byte when there is none)."""

    name: str  # "Baz", "operator==", "~Foo"
    qualified_name: str  # "yaze::gfx::Foo::Baz"
    namespace: str  # "yaze::gfx" ("" for the global namespace)
    class_name: str  # "Foo" for a member (inline or `Foo::Baz`), else ""
    signature: str  # the definition up to its body (template header, return type, qualifiers)
    return_type: str  # "" for constructors, destructors and conversion operators
    parameters: tuple[Parameter, ...]
    doc: str
    text: str
    body: str  # the compound statement, braces included
    file: str  # path relative to the tree root, with `/`
    start_byte: int
    end_byte: int
    doc_start_byte: int
    line_start: int
    line_end: int
    calls: tuple[str, ...]  # callees in order of first call: "Foo", "absl::StrFormat", "push_back"
    literals: tuple[str, ...]  # numeric literals in the body, as written, first use order
    named_constants: tuple[str, ...]  # kName identifiers the body uses (Google style constants)
    addresses: tuple[int, ...]  # hex literals >= 0x1000 that are not masks (ROM offsets, SNES addresses)
    is_template: bool = False
    inline_in_class: bool = False
    errors_inside: int = 0  # ERROR/MISSING nodes inside the definition

    @property
    def folder(self) -> str:
        return self.file.rsplit("/", 1)[0] if "/" in self.file else ""

    @property
    def key(self) -> str:
        """Stable within a tree: path, qualified name and first line."""
        return f"{self.file}:{self.qualified_name}:{self.line_start}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class ParsedFile:
    path: str  # relative to the tree root
    functions: list[CppFunction] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    lines: int = 0
