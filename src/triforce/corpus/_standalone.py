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
        env = self._env
        code, _ = self._code(block, end)
        texts = [code]
        deps: list[Block] = []
        seen = {id(block)}
        queue = [(code, block.namespace)]
        lines = 0
        constants: list[str] = []
        seen_const: set[str] = set()
        while queue:
            text, namespace = queue.pop(0)
            for name in _IDENT_RE.findall(text):
                dep = self._lookup(name, namespace)
                if dep is not None and id(dep) not in seen:
                    seen.add(id(dep))
                    if len(deps) >= MAX_DEPENDENCIES or lines >= MAX_DEPENDENCY_LINES:
                        continue
                    dep_code, _ = self._code(dep)
                    deps.append(dep)
                    lines += dep.end - dep.start + 1
                    texts.append(dep_code)
                    queue.append((dep_code, dep.namespace))
                elif dep is None and name in env.constants and name not in seen_const:
                    seen_const.add(name)
                    constants.append(name)
                    texts.append(env.constants[name])
                    queue.append((env.constants[name], namespace))
        macros = self._macros("\n".join(texts))
        texts.extend(env.macros[m].text for m in macros)
        defines = self._defines("\n".join(texts), block.define_seq)
        prelude = [f"!{name} = {_quote(value)}" for name, value in defines]
        prelude += [f"{name} = {env.constants[name]}" for name in constants]
        prelude += [env.macros[m].text for m in macros]
        appendix = []
        for dep in deps:
            _, full = self._code(dep)
            if dep.namespace:
                full = f"namespace {dep.namespace}\n{full}\nnamespace off"
            appendix.append(full)
        return "\n".join(prelude), "\n\n".join(appendix)

    def _macros(self, text: str) -> list[str]:
        found: list[str] = []
        queue = [text]
        while queue:
            for name in _MACRO_CALL_RE.findall(queue.pop()):
                if name in self._env.macros and name not in found:
                    found.append(name)
                    queue.append("\n".join(self._env.macros[name].body))
        return sorted(found, key=lambda n: (self._env.macros[n].file, self._env.macros[n].line))

    def _defines(self, text: str, seq: int) -> list[tuple[str, str]]:
        found: dict[str, str] = {}
        queue = list(define_names(text))
        while queue:
            name = queue.pop()
            if name in found:
                continue
            value = self._env.define_at(name, seq)
            if value is None:
                continue
            found[name] = value
            queue.extend(define_names(value))
        return sorted(found.items())


def _quote(value: str) -> str:
    return value if '"' in value else f'"{value}"'
