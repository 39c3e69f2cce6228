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

from triforce.corpus._text import balance_conditionals, define_names
from triforce.corpus._walk import Block, Env, SourceFile, fall_chain

# A name in an expression; `#Name` is an immediate of it (a tree constant such as `Up = $00`).
_IDENT_RE = re.compile(r"(?<![\w$!%.])([A-Za-z_][A-Za-z0-9_]*)")
_LITERAL_RE = re.compile(r"\$[0-9A-Fa-f]+|%[01]+|[0-9]+")
# `#Name:` at the start of a line defines an address marker (usdasm's `#_008000:`): no reference.
_MARKER_DEF_RE = re.compile(r"^[ \t]*#[A-Za-z_]\w*:", re.MULTILINE)
_LOCAL_RE = re.compile(r"(?<![\w.])\.([A-Za-z0-9_]+)\b")
_INCLUDE_RE = re.compile(r'^(\s*)(incbin|incsrc)\s+"?([^":;\s]+)"?', re.IGNORECASE | re.MULTILINE)
_FUNCTION_CALL_RE = re.compile(r"(?<![\w%!.])([A-Za-z_][A-Za-z0-9_]*)\(")
_MACRO_CALL_RE = re.compile(r"%([A-Za-z0-9_]+)\s*\(")
_DEFINED_RE = re.compile(r"(?:^|\s)#?([A-Za-z_][A-Za-z0-9_]*):(?!=)", re.MULTILINE)
MAX_DEPENDENCIES = 24
MAX_DEPENDENCY_LINES = 3000
MAX_DEPENDENCY_BLOCK_LINES = 600


# (prelude, [(address or None, text)]): what standalone() puts before the body, and the blocks
# it references, each with the address it had in the tree.
Parts = tuple[str, list[tuple[int | None, str]], str]


class StandaloneBuilder:
    def __init__(self, env: Env, owner: dict[str, Block], files: dict[Path, SourceFile], root: Path) -> None:
        self._root = root
        self._env = env
        self._owner = owner
        self._files = files

    def parts_for(self, block: Block, end: int) -> Callable[[], Parts]:
        return lambda: self._build(block, end)

    def _code(self, block: Block, end: int | None = None) -> tuple[str, str]:
        """(code without comments, full text) of a block's lines."""
        lines = self._files[block.file].lines[block.start : (block.end if end is None else end) + 1]
        code, full = "\n".join(x.code for x in lines), "\n".join(x.text for x in lines)
        if "inc" in full:
            full = self._rebase_includes(full, block.file)
        if block.pool:
            full = _unpool(full, block.qualified)
        return code, full

    def _lookup(self, name: str, namespace: str) -> Block | None:
        if namespace:
            found = self._owner.get(f"{namespace}_{name}")
            if found is not None:
                return found
        return self._owner.get(name)

    def _address(self, name: str, namespace: str) -> int | None:
        labels = self._env.labels
        if namespace and f"{namespace}_{name}" in labels:
            return labels[f"{namespace}_{name}"]
        return labels.get(name)

    def _build(self, block: Block, end: int) -> Parts:
        """Follow references from the body through blocks, constants, macros and define values."""
        env = self._env
        code, _ = self._code(block, end)
        deps: list[Block] = []
        seen_blocks = {id(block)}
        constants: list[str] = []
        structs: list[str] = []
        functions: list[str] = []
        macros: list[str] = []
        defines: dict[str, str] = {}
        queue = [(code, block.namespace, block.qualified)]
        lines = 0
        own = {block.qualified, block.name, *block.sublabels}
        addresses: dict[str, int] = {}

        def include(dep: Block) -> None:
            nonlocal lines
            seen_blocks.add(id(dep))
            deps.append(dep)
            lines += dep.end - dep.start + 1
            queue.append((self._code(dep)[0], dep.namespace, dep.qualified))

        # What the routine falls into comes first, whatever the budget: it is what runs next.
        main_chain, _ = fall_chain(block)
        for successor in main_chain:
            include(successor)
        while queue:
            text, namespace, parent = queue.pop(0)
            # `.sub` resolves under the text's parent label; it may live in another block (a
            # `pool` block holding the routine's tables).
            local = [f"{parent}_{sub}" for sub in _LOCAL_RE.findall(text)] if parent else []
            for name in [*_IDENT_RE.findall(_MARKER_DEF_RE.sub("", text)), *local]:
                if name in own or name in addresses:
                    continue
                dep = self._lookup(name, namespace)
                if dep is not None:
                    if id(dep) in seen_blocks:
                        continue
                    size = dep.end - dep.start + 1
                    # A huge table or a full budget: refer to the block by its address instead.
                    if (
                        size > MAX_DEPENDENCY_BLOCK_LINES
                        or len(deps) >= MAX_DEPENDENCIES
                        or lines + size > MAX_DEPENDENCY_LINES
                    ):
                        address = self._address(name, namespace)
                        if address is not None:
                            addresses[name] = address
                        continue
                    chain, complete = fall_chain(dep)
                    if not complete or any(b is block for b in chain):
                        # It would run into code the text cannot put after it: by address.
                        address = self._address(name, namespace)
                        if address is not None:
                            addresses[name] = address
                        continue
                    include(dep)
                    for nxt in chain:  # a callee that falls through brings what follows it
                        if id(nxt) not in seen_blocks:
                            include(nxt)
                elif name in env.structs:
                    if name not in structs:
                        structs.append(name)
                        queue.append((env.structs[name], namespace, ""))
                elif name in env.constants:
                    if name not in constants:
                        constants.append(name)
                        queue.append((env.constants[name], namespace, ""))
                else:
                    address = self._address(name, namespace)
                    if address is not None:
                        addresses[name] = address
            for name in _FUNCTION_CALL_RE.findall(text):
                if name in env.functions and name not in functions:
                    functions.append(name)
                    queue.append((env.functions[name], namespace, ""))
            for name in _MACRO_CALL_RE.findall(text):
                if name in env.macros and name not in macros:
                    macros.append(name)
                    queue.append(("\n".join(env.macros[name].body), namespace, ""))
            for name in sorted(define_names(text)):
                if name in defines:
                    continue
                value = env.define_at(name, block.define_seq)
                if value is not None:
                    defines[name] = value
                    queue.append((value, namespace, ""))
        macros.sort(key=lambda n: (str(env.macros[n].file), env.macros[n].line))
        prelude = [f"!{name} = {_quote(value)}" for name, value in sorted(defines.items())]
        # A constant whose value is known is written as that value: asar refuses a label set to
        # another non-static label, and the value is what the tree assembled to anyway.
        # A plain number keeps the tree's own spelling (`Up = $00`), so its size is the tree's.
        prelude += [
            f"{name} = {env.constants[name]}"
            if _LITERAL_RE.fullmatch(env.constants[name].strip()) or env.labels.get(name, -1) < 0
            else f"{name} = ${env.labels[name]:06X}"
            for name in constants
        ]
        included = {n for dep in deps for n in (dep.qualified, dep.name, *dep.sublabels)}
        for text in [code, *(self._code(dep)[0] for dep in deps)]:
            included.update(_DEFINED_RE.findall(text))
        prelude += [f"{n} = ${a:06X}" for n, a in sorted(addresses.items()) if n not in included]
        prelude += [env.macros[m].text for m in macros]
        prelude += [env.structs[n] for n in structs]
        prelude += [env.functions[n] for n in reversed(functions)]
        appendix: list[tuple[int | None, str]] = []
        for dep in _rom_order(block, deps):
            full = balance_conditionals(self._code(dep)[1])
            if dep.namespace:
                full = f"namespace {dep.namespace}\n{full}\nnamespace off"
            appendix.append((dep.address, full))
        _, body = self._code(block, end)
        return "\n".join(prelude), appendix, body + "\n"

    def _rebase_includes(self, text: str, file: Path) -> str:
        """Make `incbin`/`incsrc` paths relative to the tree root (asar resolves them from the
        including file, which a standalone text no longer is), when the target exists."""

        def rebase(match: re.Match[str]) -> str:
            target = match.group(3)
            for base in (file.parent, self._root):
                candidate = (base / target).resolve()
                if candidate.is_file() and candidate.is_relative_to(self._root):
                    rel = candidate.relative_to(self._root).as_posix()
                    return f'{match.group(1)}{match.group(2)} "{rel}"'
            return match.group(0)

        return _INCLUDE_RE.sub(rebase, text)


def _rom_order(block: Block, deps: list[Block]) -> list[Block]:
    """The appended blocks in an order where every block that falls through is followed by its
    successor, as in the ROM: first what `block` itself falls into, then each other chain from its
    head, nearest to `block` in the ROM first."""
    chains: dict[int, list[Block]] = {}
    successors: set[int] = set()
    for dep in [block, *deps]:
        chain, _ = fall_chain(dep)
        chains[id(dep)] = chain
        successors.update(id(b) for b in chain)
    out: list[Block] = []
    placed: set[int] = set()

    def distance(dep: Block) -> int:
        # Nearest first: code shared with a neighbour (a tail reached by a branch) stays in range.
        if dep.address is None or block.address is None:
            return 1 << 24
        return abs(dep.address - block.address)

    for head in [block, *sorted(deps, key=distance)]:
        if id(head) in placed or (head is not block and id(head) in successors):
            continue
        run = chains[id(head)] if head is block else [head, *chains[id(head)]]
        for b in run:
            if id(b) not in placed:
                placed.add(id(b))
                out.append(b)
    out += [d for d in deps if id(d) not in placed]  # unreachable: every chain has a head
    return out


_POOL_SUB_RE = re.compile(r"^(\s*)(\.+)([A-Za-z0-9_]+):?", re.MULTILINE)
_POOL_RE = re.compile(r"^(\s*)pool\b", re.MULTILINE | re.IGNORECASE)


def _unpool(text: str, parent: str) -> str:
    """`pool X` (a patched asar's sublabel grouping) as plain labels: `.low` -> `X_low:`."""
    chain: list[str] = []

    def full_name(match: re.Match[str]) -> str:
        level = len(match.group(2))
        del chain[level - 1 :]
        chain.extend([""] * (level - 1 - len(chain)))
        chain.append(match.group(3))
        return f"{match.group(1)}{'_'.join([parent, *chain])}:"

    return _POOL_SUB_RE.sub(full_name, _POOL_RE.sub(r"\1; pool", text))


def _quote(value: str) -> str:
    return value if '"' in value else f'"{value}"'
