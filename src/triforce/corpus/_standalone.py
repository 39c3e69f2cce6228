"""Build the text a routine needs to assemble on its own.

A routine's body alone rarely assembles: it uses `!defines`, macros, label constants
(`Name = $7EF360`), data tables and other routines. The builder collects what the body
references, transitively, from the same root's state: defines and macros in full, constants as
assignments, and referenced blocks (data tables and callees) appended after the body, up to a
cap. What is still missing after that is left to the asar layer's stub labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from triforce.corpus._text import define_names
from triforce.corpus._walk import Block, Env, SourceFile

_IDENT_RE = re.compile(r"(?<![\w$!%.#])([A-Za-z_][A-Za-z0-9_]*)")
_MACRO_CALL_RE = re.compile(r"%([A-Za-z0-9_]+)\s*\(")
MAX_DEPENDENCIES = 24
MAX_DEPENDENCY_LINES = 3000


class StandaloneBuilder:
    def __init__(self, env: Env, owner: dict[str, Block], files: dict[Path, SourceFile]) -> None:
        self._env = env
        self._owner = owner
        self._files = files

    def parts_for(self, block: Block, end: int) -> Callable[[], tuple[str, str]]:
        return lambda: self._build(block, end)

    def _code(self, block: Block, end: int | None = None) -> tuple[str, str]:
        """(code without comments, full text) of a block's lines."""
        lines = self._files[block.file].lines[block.start : (block.end if end is None else end) + 1]
        return "\n".join(x.code for x in lines), "\n".join(x.text for x in lines)

    def _lookup(self, name: str, namespace: str) -> Block | None:
        if namespace:
            found = self._owner.get(f"{namespace}_{name}")
            if found is not None:
                return found
        return self._owner.get(name)

    def _build(self, block: Block, end: int) -> tuple[str, str]:
        """Follow references from the body through blocks, constants, macros and define values."""
        env = self._env
        code, _ = self._code(block, end)
        deps: list[Block] = []
        seen_blocks = {id(block)}
        constants: list[str] = []
        macros: list[str] = []
        defines: dict[str, str] = {}
        queue = [(code, block.namespace)]
        lines = 0
        while queue:
            text, namespace = queue.pop(0)
            for name in _IDENT_RE.findall(text):
                dep = self._lookup(name, namespace)
                if dep is not None:
                    if id(dep) in seen_blocks:
                        continue
                    seen_blocks.add(id(dep))
                    if len(deps) >= MAX_DEPENDENCIES or lines >= MAX_DEPENDENCY_LINES:
                        continue
                    dep_code, _ = self._code(dep)
                    deps.append(dep)
                    lines += dep.end - dep.start + 1
                    queue.append((dep_code, dep.namespace))
                elif name in env.constants and name not in constants:
                    constants.append(name)
                    queue.append((env.constants[name], namespace))
            for name in _MACRO_CALL_RE.findall(text):
                if name in env.macros and name not in macros:
                    macros.append(name)
                    queue.append(("\n".join(env.macros[name].body), namespace))
            for name in sorted(define_names(text)):
                if name in defines:
                    continue
                value = env.define_at(name, block.define_seq)
                if value is not None:
                    defines[name] = value
                    queue.append((value, namespace))
        macros.sort(key=lambda n: (str(env.macros[n].file), env.macros[n].line))
        prelude = [f"!{name} = {_quote(value)}" for name, value in sorted(defines.items())]
        prelude += [f"{name} = {env.constants[name]}" for name in constants]
        prelude += [env.macros[m].text for m in macros]
        appendix = []
        for dep in deps:
            _, full = self._code(dep)
            if dep.namespace:
                full = f"namespace {dep.namespace}\n{full}\nnamespace off"
            appendix.append(full)
        return "\n".join(prelude), "\n\n".join(appendix)


def _quote(value: str) -> str:
    return value if '"' in value else f'"{value}"'
