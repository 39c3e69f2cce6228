"""Stand-ins for the headers CMake generates (`configure_file(foo.h.in foo.h)`), so a tree's
translation units compile without running CMake.

Values come from the tree's top `CMakeLists.txt`: `project(NAME VERSION a.b.c)` gives
`NAME_VERSION_MAJOR` … and `PROJECT_VERSION*`; plain `set(VAR "value")` lines give the rest.
`#cmakedefine X` becomes `/* #undef X */` (options off), `#cmakedefine01 X` becomes `#define X 0`,
and an `@VAR@` nobody sets becomes empty (listed in `unknown`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from triforce.fsio import write_text_atomic


@dataclass
class GeneratedHeaders:
    folder: Path
    headers: list[str] = field(default_factory=list)  # names written into `folder`
    unknown: list[str] = field(default_factory=list)  # @VAR@ without a value


def _cmake_calls(text: str) -> list[tuple[str, list[str]]]:
    """(command, arguments) of each CMake call, comments and quotes respected (CMake's own
    grammar is simple: `name(args)` with `#` comments and "quoted" arguments)."""
    calls: list[tuple[str, list[str]]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if ch.isalpha() or ch == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            k = j
            while k < n and text[k] in " \t":
                k += 1
            if k < n and text[k] == "(":
                name = text[i:j]
                args, i = _arguments(text, k + 1)
                calls.append((name, args))
                continue
            i = j
            continue
        i += 1
    return calls


def _arguments(text: str, i: int) -> tuple[list[str], int]:
    args: list[str] = []
    cur: list[str] = []
    depth = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i + 1 : j])
            i = j + 1
            continue
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                if cur:
                    args.append("".join(cur))
                return args, i + 1
            depth -= 1
        if ch.isspace():
            if cur:
                args.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
        i += 1
    return args, i


def cmake_variables(root: Path) -> dict[str, str]:
    path = root / "CMakeLists.txt"
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for name, args in _cmake_calls(path.read_text("utf-8", errors="replace")):
        lname = name.lower()
        if lname == "project" and args:
            project = args[0]
            if "VERSION" in args[1:]:
                version = args[args.index("VERSION") + 1] if args.index("VERSION") + 1 < len(args) else ""
                version = _expand(version, values)
                if not version[:1].isdigit() and (root / "VERSION").is_file():
                    # a version read from a VERSION file at configure time (file(READ ...))
                    version = (root / "VERSION").read_text("utf-8", errors="replace").strip().lstrip("v")
                parts = [*version.split("."), "0", "0", "0"][:3]
                for prefix in (project, "PROJECT"):
                    values[f"{prefix}_VERSION"] = version
                    for key, part in zip(("MAJOR", "MINOR", "PATCH"), parts, strict=True):
                        values[f"{prefix}_VERSION_{key}"] = part
            values.setdefault("PROJECT_NAME", project)
        elif lname == "set" and len(args) >= 2 and args[1] not in ("CACHE", "PARENT_SCOPE"):
            values[args[0]] = _expand(args[1], values)
        elif lname == "set" and len(args) == 1:
            values.setdefault(args[0], "")
    return values


def _expand(value: str, values: dict[str, str]) -> str:
    """`${VAR}` from the values so far; `$ENV{VAR}` and unknown variables expand to nothing."""
    out, i = [], 0
    while i < len(value):
        if value.startswith(("${", "$ENV{"), i):
            start = value.index("{", i) + 1
            end = value.find("}", start)
            if end < 0:
                break
            name = value[start:end]
            out.append("" if value[i + 1] == "E" else values.get(name, ""))
            i = end + 1
            continue
        out.append(value[i])
        i += 1
    return "".join(out)


def configure(template: str, values: dict[str, str], unknown: set[str]) -> str:
    """CMake's configure_file over one template text."""
    out_lines: list[str] = []
    for line in template.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("#cmakedefine01"):
            name = stripped.split()[1] if len(stripped.split()) > 1 else ""
            on = values.get(name, "").upper() in ("1", "ON", "TRUE", "YES")
            out_lines.append(f"#define {name} {1 if on else 0}")
            continue
        if stripped.startswith("#cmakedefine"):
            words = stripped.split()
            name = words[1] if len(words) > 1 else ""
            on = values.get(name, "").upper() not in ("", "0", "OFF", "FALSE", "NO", "NOTFOUND")
            out_lines.append(f"#define {' '.join(words[1:])}" if on else f"/* #undef {name} */")
            continue
        parts = line.split("@")
        # @VAR@ pairs: odd-indexed parts are candidates when they are plain identifiers
        rebuilt = [parts[0]]
        i = 1
        while i < len(parts):
            token = parts[i]
            if i + 1 < len(parts) and token and token.replace("_", "a").isalnum():
                if token not in values:
                    unknown.add(token)
                rebuilt.append(values.get(token, ""))
                rebuilt.append(parts[i + 1])
                i += 2
            else:
                rebuilt.append("@" + token)
                i += 1
        out_lines.append("".join(rebuilt))
    return "\n".join(out_lines)


def generate_headers(root: Path, templates: list[Path], folder: Path) -> GeneratedHeaders:
    """Write `<folder>/<name>.h` for each `<name>.h.in` template of the tree."""
    values = cmake_variables(root)
    unknown: set[str] = set()
    out = GeneratedHeaders(folder=folder)
    for tpl in templates:
        name = tpl.name[: -len(".in")]
        text = configure(tpl.read_text("utf-8", errors="replace"), values, unknown)
        write_text_atomic(folder / name, f"// Triforce stand-in for CMake's {tpl.name}\n{text}")
        out.headers.append(name)
    out.unknown = sorted(unknown)
    return out
