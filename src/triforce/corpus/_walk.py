"""Walk an asar source tree the way asar reads it, and cut it into labelled blocks.

One `_Walker` follows one root file through its `incsrc` graph, keeping asar's state: the
program counter (`org`, `base`, `pushpc`/`pullpc`, `freecode`), namespaces, the label table,
`!defines`, macros and `if` conditions. Every top-level label opens a block that runs to the
next top-level label or the next change of location; the reader later decides which blocks are
code (routines) and which are data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from triforce.corpus._sizes import data_size, instruction_size, split_args
from triforce.corpus._text import evaluate, split_statements, substitute_defines
from triforce.snes.asmsyntax import GLOBAL_LABEL_RE, SUBLABEL_RE
from triforce.snes.opcodes import FLOW_ENDS, MNEMONICS

_LABEL_RE = GLOBAL_LABEL_RE  # the lexer's: (name, rest); asar wants a blank after the colon
_SUBLABEL_RE = SUBLABEL_RE
_ANON_RE = re.compile(r"^([+-]+):?(?:\s+(.*))?$")
_HASH_RE = re.compile(r"^#([A-Za-z0-9_]+)(?::\s*(.*)|\s*)$")
_ASSIGN_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.+)$")
_DEFINE_SET_RE = re.compile(r"^!([A-Za-z0-9_]+)\s*(\?=|\+=|:=|#=|=)\s*(.*)$")
_MACRO_RE = re.compile(r"^macro\s+([A-Za-z0-9_]+)\s*\(([^)]*)\)", re.IGNORECASE)
_CALL_RE = re.compile(r"^%([A-Za-z0-9_]+)\s*\((.*)\)\s*$")
_INCLUDE_RE = re.compile(r'^(incsrc|incbin)\s+"?([^"]+?)"?(?:\s*:\s*.*)?$', re.IGNORECASE)

_DATA = frozenset({"db", "dw", "dl", "dd"})
_KNOWN = frozenset(
    [
        "lorom",
        "hirom",
        "exlorom",
        "exhirom",
        "sa1rom",
        "fullsa1rom",
        "sfxrom",
        "norom",
        "org",
        "base",
        "pushpc",
        "pullpc",
        "pushbase",
        "pullbase",
        "freecode",
        "freedata",
        "freespace",
        "freespacebyte",
        "segment",
        "autoclean",
        "prot",
        "warnpc",
        "assert",
        "print",
        "error",
        "warn",
        "incsrc",
        "incbin",
        "includefrom",
        "includeonce",
        "fill",
        "fillbyte",
        "fillword",
        "filllong",
        "filldword",
        "pad",
        "padbyte",
        "padword",
        "padlong",
        "paddword",
        "skip",
        "align",
        "table",
        "cleartable",
        "pushtable",
        "pulltable",
        "namespace",
        "math",
        "arch",
        "bank",
        "check",
        "optimize",
        "if",
        "elseif",
        "else",
        "endif",
        "while",
        "endwhile",
        "for",
        "endfor",
        "macro",
        "endmacro",
        "struct",
        "endstruct",
        "function",
        "undef",
        "global",
        "pushns",
        "pullns",
        "spcblock",
        "endspcblock",
        "startpos",
        "dpbase",
        "{",
        "}",
        "pool",
        "endmacro",
    ]
)
_LOCATION = frozenset({"org", "pushpc", "pullpc", "freecode", "freedata", "freespace", "segment"})
_MAX_INCLUDE_DEPTH = 64
_MAX_MACRO_DEPTH = 8


@dataclass(slots=True)
class Line:
    text: str
    code: str
    comment: str


@dataclass(slots=True)
class SourceFile:
    path: Path
    lines: list[Line]
    encoding_note: str = ""


@dataclass(slots=True)
class Stmt:
    """One instruction: `operand` has defines substituted, `raw` is the operand as written."""

    line: int  # 1-based
    mnemonic: str
    suffix: str
    operand: str
    raw: str
    m8: bool | None
    x8: bool | None


@dataclass(slots=True)
class Macro:
    name: str
    params: list[str]
    body: list[str]
    text: str
    file: Path
    line: int


@dataclass(slots=True)
class Block:
    name: str
    qualified: str
    namespace: str
    file: Path
    start: int  # 0-based index of the label line
    end: int  # 0-based index of the last line (inclusive)
    address: int | None
    define_seq: int
    first: str = ""  # "instr" | "data" | "macro" | "" : the first statement after the label
    pool: bool = False
    stmts: list[Stmt] = field(default_factory=list)
    macro_calls: list[str] = field(default_factory=list)
    sublabels: list[str] = field(default_factory=list)
    closed_at: int | None = None  # line index of a location change that ended the block
    last: str = ""  # "instr" | "data" | "macro" | "": the last statement of the block
    # The block that follows this one in ROM order (the next top-level label, with no change of
    # location between them): where the CPU goes when the block's last instruction falls through.
    successor: Block | None = None


@dataclass
class Env:
    """State shared by everything one root assembles."""

    defines: dict[str, str] = field(default_factory=dict)
    define_history: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    macros: dict[str, Macro] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)  # name -> expression text
    structs: dict[str, str] = field(default_factory=dict)  # name -> `struct ... endstruct` text
    functions: dict[str, str] = field(default_factory=dict)  # name -> `function f(x) = ...` line
    seq: int = 0

    def define_at(self, name: str, seq: int) -> str | None:
        """The value a define had when the walk was at `seq`."""
        history = self.define_history.get(name)
        if not history:
            return None
        value = None
        for at, text in history:
            if at > seq:
                break
            value = text
        return value if value is not None else history[0][1]


class Walker:
    """Reads one root and everything it includes; results land in `blocks` and the counters."""

    def __init__(
        self,
        load: Callable[[Path], SourceFile | None],
        emit_for: Callable[[Path], bool],
        search_dirs: list[Path],
    ) -> None:
        self._load = load
        self._emit_for = emit_for  # keep this file's blocks? (not when an earlier root read it)
        self._search = search_dirs
        self.env = Env()
        self.blocks: list[Block] = []
        self.missing: list[tuple[Path, int, str]] = []
        self.unknown: dict[str, int] = {}
        self.visited: list[Path] = []
        self._seen: set[Path] = set()
        self.pc: int | None = None
        self.phys: int | None = None
        self._pc_stack: list[tuple[int | None, int | None]] = []
        self._ns: list[str] = []
        self._block: Block | None = None
        self._parent = ""  # current top-level label (sublabel parent), qualified
        self._sub_chain: list[str] = []
        self._m8: bool | None = None
        self._x8: bool | None = None
        self._spc = False

    # ---- files ----------------------------------------------------------------------------

    def walk(self, path: Path, depth: int = 0) -> None:
        path = path.resolve()
        if path in self._seen or depth > _MAX_INCLUDE_DEPTH:
            return
        source: SourceFile | None = self._load(path)
        if source is None:
            return
        self._seen.add(path)
        self.visited.append(path)
        emit = self._emit_for(path)
        self._close(None)
        self._walk_lines(source, emit, depth)
        self._close(len(source.lines) - 1)

    def _resolve(self, target: str, current: Path) -> Path | None:
        for base in [current.parent, *self._search]:
            candidate = base / target
            if candidate.is_file():
                return candidate.resolve()
        return None

    # ---- lines ----------------------------------------------------------------------------

    def _walk_lines(self, source: SourceFile, emit: bool, depth: int) -> None:
        lines = source.lines
        conds: list[tuple[bool, bool]] = []  # (active, a branch was taken)
        macro: tuple[str, list[str], int, list[str]] | None = None
        struct: tuple[str, int, int | None, int] | None = None  # (name, start line, address, offset)
        for idx, line in enumerate(lines):
            self.env.seq += 1
            code = line.code.strip()
            if macro is not None:
                if code.lower().startswith("endmacro"):
                    name, params, start, body = macro
                    text = "\n".join(x.text for x in lines[start : idx + 1])
                    self.env.macros[name] = Macro(name, params, body, text, source.path, start + 1)
                    macro = None
                else:
                    macro[3].append(line.code)
                continue
            if not code:
                continue
            word = code.split(None, 1)[0].lower()
            # Conditional assembly: evaluate when we can, else take the first branch.
            if word in ("if", "elseif", "else", "endif"):
                self._condition(word, code, conds)
                continue
            if conds and not conds[-1][0]:
                continue
            if struct is not None:
                if word == "endstruct":
                    name, start, _, _ = struct
                    self.env.structs[name] = "\n".join(x.text for x in lines[start : idx + 1])
                    struct = None
                else:
                    struct = self._struct_field(code, struct)
                continue
            m = _MACRO_RE.match(code)
            if m:
                self._close(idx - 1)
                params = [p.strip() for p in m.group(2).split(",") if p.strip()]
                macro = (m.group(1), params, idx, [])
                continue
            if word == "struct":
                parts = code.split(None, 2)
                if len(parts) >= 2:
                    base = self._eval(substitute_defines(parts[2], self._define)) if len(parts) > 2 else None
                    struct = (parts[1], idx, base, 0)
                    if base is not None:
                        self.env.labels[parts[1]] = base
                continue
            for stmt in split_statements(code):
                self._statement(stmt, source, idx, emit, depth)

    def _struct_field(
        self, code: str, struct: tuple[str, int, int | None, int]
    ) -> tuple[str, int, int | None, int] | None:
        """One line of a struct: `.field: skip N` (or db/dw/...) defines `Name.field`."""
        name, start, base, offset = struct
        m = re.match(r"^\.([A-Za-z0-9_]+):?\s*(.*)$", code)
        rest = code
        if m:
            if base is not None:
                self.env.labels[f"{name}.{m.group(1)}"] = base + offset
            rest = m.group(2)
        parts = rest.split(None, 1)
        if not parts:
            return struct
        word, args = parts[0].lower(), (parts[1] if len(parts) > 1 else "")
        size: int | None = None
        if word == "skip":
            size = self._eval(substitute_defines(args, self._define))
        elif word in _DATA:
            size = data_size(word, args)
        return (name, start, base if size is not None else None, offset + (size or 0))

    def _condition(self, word: str, code: str, conds: list[tuple[bool, bool]]) -> None:
        parent_active = all(active for active, _ in conds)
        if word == "if":
            if not parent_active:
                conds.append((False, True))
                return
            value = self._eval(substitute_defines(code[2:], self._define))
            active = value is None or value != 0
            conds.append((active, active))
        elif word == "elseif" and conds:
            _, taken = conds[-1]
            if taken or not _outer_active(conds):
                conds[-1] = (False, True)
            else:
                value = self._eval(substitute_defines(code[6:], self._define))
                active = value is not None and value != 0
                conds[-1] = (active, active)
        elif word == "else" and conds:
            _, taken = conds[-1]
            conds[-1] = (not taken and _outer_active(conds), True)
        elif word == "endif" and conds:
            conds.pop()

    def _define(self, name: str) -> str | None:
        return self.env.defines.get(name)

    def _eval(self, expr: str) -> int | None:
        return evaluate(expr, self.env.labels)

    def _statement(self, stmt: str, source: SourceFile, idx: int, emit: bool, depth: int) -> None:
        while stmt:
            rest = self._label(stmt, source, idx, emit)
            if rest is None:
                return
            if rest == stmt:
                break
            stmt = rest.strip()
        if not stmt:
            return
        if stmt.startswith("!"):
            self._set_define(stmt)
            return
        assign = _ASSIGN_RE.match(stmt)
        if assign and assign.group(1).split(".")[0].upper() not in MNEMONICS:
            name, expr = assign.group(1), substitute_defines(assign.group(2), self._define)
            self.env.constants[name] = assign.group(2).strip()
            value = self._eval(expr)
            if value is not None:
                self.env.labels[name] = value
            return
        parts = stmt.split(None, 1)
        head, args = parts[0], (parts[1].strip() if len(parts) > 1 else "")
        lower = head.lower()
        if lower == "autoclean":
            self._statement(args, source, idx, emit, depth)
            return
        if self._spc:
            if (lower == "arch" and args.lower().startswith("65816")) or lower == "endspcblock":
                self._spc = False
            return
        mnemonic, _, suffix = head.partition(".")
        if mnemonic.upper() in MNEMONICS and suffix.lower() in ("", "b", "w", "l"):
            self._instruction(mnemonic.upper(), suffix.lower(), args, idx)
            return
        if lower in _DATA:
            self._data(lower, args)
            return
        call = _CALL_RE.match(stmt)
        if call:
            self._macro_call(call.group(1), call.group(2))
            return
        self._directive(lower, args, source, idx, emit, depth)

    # ---- labels ---------------------------------------------------------------------------

    def _label(self, stmt: str, source: SourceFile, idx: int, emit: bool) -> str | None:
        """Consume a leading label; returns the rest of the statement (unchanged if no label)."""
        m = _LABEL_RE.match(stmt)
        if m and m.group(1).upper() not in MNEMONICS:
            self._top_label(m.group(1), source, idx, emit)
            return m.group(2) or ""
        m2 = _SUBLABEL_RE.match(stmt)
        if m2 and not self._spc:
            level = len(m2.group(1))
            chain = self._sub_chain[: level - 1]
            chain += [""] * (level - 1 - len(chain))
            chain.append(m2.group(2))
            self._sub_chain = chain
            name = "_".join([self._parent, *chain]) if self._parent else "_".join(chain)
            if self.pc is not None:
                self.env.labels[name] = self.pc
            if self._block is not None:
                self._block.sublabels.append(name)
            return m2.group(3) or ""
        m3 = _ANON_RE.match(stmt)
        if m3:
            return m3.group(2) or ""
        m4 = _HASH_RE.match(stmt)
        if m4:
            if self.pc is not None:
                self.env.labels[m4.group(1)] = self.pc
            return m4.group(2) or ""
        return stmt

    def _qualify(self, name: str) -> str:
        return "_".join([*self._ns, name]) if self._ns else name

    def _top_label(self, name: str, source: SourceFile, idx: int, emit: bool, pool: bool = False) -> None:
        qualified = self._qualify(name)
        if self.pc is not None and not pool:
            self.env.labels[qualified] = self.pc
            self.env.labels.setdefault(name, self.pc)
        # A block still open here runs straight into this label: nothing moved the location.
        previous = self._block if self._block is not None and self._block.file == source.path else None
        self._close(idx - 1)
        self._parent = qualified
        self._sub_chain = []
        self._m8 = self._x8 = None
        if emit and not self._spc:
            self._block = Block(
                name=name,
                qualified=qualified,
                namespace="_".join(self._ns),
                file=source.path,
                start=idx,
                end=idx,
                address=None if pool else self.pc,
                define_seq=self.env.seq,
                pool=pool,
            )
            if previous is not None and not pool:
                previous.successor = self._block

    def _close(self, last: int | None) -> None:
        block = self._block
        if block is None:
            return
        if last is not None:
            block.end = max(block.start, last)
            block.closed_at = last
        self.blocks.append(block)
        self._block = None

    # ---- statements -----------------------------------------------------------------------

    def _instruction(self, mnemonic: str, suffix: str, args: str, idx: int) -> None:
        operand = substitute_defines(args, self._define) if "!" in args else args
        block = self._block
        if block is not None:
            if not block.first:
                block.first = "instr"
            block.last = "instr"
            block.stmts.append(Stmt(idx + 1, mnemonic, suffix, operand, args, self._m8, self._x8))
        size = instruction_size(mnemonic, suffix, operand, self._eval, self._m8, self._x8)
        if mnemonic in ("REP", "SEP") and operand.startswith("#"):
            value = self._eval(operand[1:])
            if value is not None:
                flag = mnemonic == "SEP"
                if value & 0x20:
                    self._m8 = flag
                if value & 0x10:
                    self._x8 = flag
        elif mnemonic == "PLP":
            self._m8 = self._x8 = None
        self._advance(size)

    def _advance(self, size: int | None) -> None:
        if size is None:
            self.pc = self.phys = None
            return
        if self.pc is not None:
            self.pc += size
        if self.phys is not None:
            self.phys += size

    def _data(self, directive: str, args: str) -> None:
        if self._block is not None:
            if not self._block.first:
                self._block.first = "data"
            self._block.last = "data"
        self._advance(data_size(directive, args))

    def _macro_call(self, name: str, args: str) -> None:
        if self._block is not None:
            if not self._block.first:
                self._block.first = "macro"
            self._block.last = "macro"
            self._block.macro_calls.append(name)
        self._advance(self._macro_size(name, args, 0))

    def _macro_size(self, name: str, args: str, depth: int) -> int | None:
        macro = self.env.macros.get(name)
        if macro is None or depth > _MAX_MACRO_DEPTH:
            return None
        values = split_args(args)
        if len(values) != len(macro.params):
            return None
        total = 0
        conds: list[tuple[bool, bool]] = []
        for raw in macro.body:
            code = raw.strip()
            for param, value in zip(macro.params, values, strict=True):
                code = code.replace(f"<{param}>", value)
            if not code:
                continue
            word = code.split(None, 1)[0].lower()
            if word in ("if", "elseif", "else", "endif"):
                if word in ("if", "elseif"):
                    cond = substitute_defines(code.split(None, 1)[1] if " " in code else "", self._define)
                    if self._eval(cond) is None and all(active for active, _ in conds):
                        return None  # which branch asar takes is unknown, and so is the size
                self._condition(word, code, conds)
                continue
            if conds and not conds[-1][0]:
                continue
            for stmt in split_statements(code):
                size = self._stmt_size(stmt, depth)
                if size is None:
                    return None
                total += size
        return total

    def _stmt_size(self, stmt: str, depth: int) -> int | None:
        """Bytes one statement of a macro body emits (labels and defines emit none)."""
        stmt = re.sub(r"^([?.+\-#]?[A-Za-z0-9_]*:|[+-]+)\s*", "", stmt)
        if not stmt or stmt.startswith("!") or _ASSIGN_RE.match(stmt):
            return 0
        stmt = substitute_defines(stmt, self._define)
        parts = stmt.split(None, 1)
        head, args = parts[0], (parts[1] if len(parts) > 1 else "")
        mnemonic, _, suffix = head.partition(".")
        if mnemonic.upper() in MNEMONICS:
            return instruction_size(mnemonic.upper(), suffix.lower(), args, self._eval, self._m8, self._x8)
        if head.lower() in _DATA:
            return data_size(head.lower(), args)
        call = _CALL_RE.match(stmt)
        if call:
            return self._macro_size(call.group(1), call.group(2), depth + 1)
        if head.lower() in ("print", "assert", "warn", "error", "{", "}"):
            return 0
        return None

    def _set_define(self, stmt: str) -> None:
        m = _DEFINE_SET_RE.match(stmt)
        if not m:
            return
        name, op, value = m.group(1), m.group(2), m.group(3).strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        current = self.env.defines.get(name)
        if op == "?=" and current is not None:
            return
        if op in (":=", "#="):
            value = substitute_defines(value, self._define)
            if op == "#=":
                number = self._eval(value)
                value = f"${number:X}" if number is not None and number >= 0 else value
        elif op == "+=":
            value = (current or "") + value
        self.env.defines[name] = value
        self.env.define_history.setdefault(name, []).append((self.env.seq, value))

    def _directive(self, word: str, args: str, source: SourceFile, idx: int, emit: bool, depth: int) -> None:
        if word in _LOCATION or word in ("base", "namespace", "arch", "spcblock", "pool", "incsrc"):
            self._close(idx - 1)
        if word == "org":
            self.pc = self.phys = self._eval(substitute_defines(args, self._define))
        elif word == "base":
            if args.lower() == "off":
                self.pc = self.phys
            else:
                self.pc = self._eval(substitute_defines(args, self._define))
        elif word == "pushpc":
            self._pc_stack.append((self.pc, self.phys))
        elif word == "pullpc":
            if self._pc_stack:
                self.pc, self.phys = self._pc_stack.pop()
        elif word in ("freecode", "freedata", "freespace", "segment"):
            self.pc = self.phys = None
        elif word in ("skip", "fill"):
            self._advance(self._eval(substitute_defines(args, self._define)))
        elif word == "pad":
            self.pc = self.phys = self._eval(substitute_defines(args, self._define))
        elif word == "align":
            step = self._eval(args)
            if self.pc is not None and step:
                pad = (-self.pc) % step
                self._advance(pad)
        elif word == "namespace":
            low = args.lower()
            if low == "off":
                self._ns = []
            elif not low.startswith("nested"):
                self._ns = [*self._ns, args.strip()] if args.strip() else self._ns
        elif word == "arch":
            self._spc = not args.lower().startswith("65816")
            if self._spc:
                self.pc = self.phys = None
        elif word == "spcblock":
            self._spc = True
            self.pc = self.phys = None
        elif word == "pool":
            self._top_label(args.strip(), source, idx, emit, pool=True)
        elif word == "function":
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", args)
            if m:
                self.env.functions[m.group(1)] = f"function {args}"
        elif word == "undef":
            self.env.defines.pop(args.strip().strip('"'), None)
        elif word in ("incsrc", "incbin"):
            self._include(word, substitute_defines(args, self._define), source, idx, depth)
        elif word not in _KNOWN:
            self.unknown[word] = self.unknown.get(word, 0) + 1
            if word and word[0].isalpha() and not args.startswith("="):
                self.pc = self.phys = None  # it might emit bytes: stop claiming addresses

    def _include(self, word: str, args: str, source: SourceFile, idx: int, depth: int) -> None:
        m = _INCLUDE_RE.match(f"{word} {args}")
        target = (m.group(2) if m else args).strip()
        resolved = self._resolve(target, source.path)
        if resolved is None:
            self.missing.append((source.path, idx + 1, target))
            if word == "incbin":
                self.pc = self.phys = None
            return
        if word == "incbin":
            size = resolved.stat().st_size
            self._advance(size if ":" not in args else None)
            return
        self.walk(resolved, depth + 1)


# Instructions after which the CPU never reaches the next byte.
NO_FALL = FLOW_ENDS
MAX_CHAIN_BLOCKS = 16


def falls_through(block: Block) -> bool:
    """Whether running off the end of the block's code continues into its successor: its last
    statement is an instruction that does not return or jump (or a macro, which may be one)."""
    if block.first not in ("instr", "macro") or block.pool:
        return False
    if block.last == "macro":
        return True
    return block.last == "instr" and bool(block.stmts) and block.stmts[-1].mnemonic not in NO_FALL


def fall_chain(block: Block) -> tuple[list[Block], bool]:
    """The blocks the CPU falls into from `block`, in ROM order, and whether the chain ends in a
    block that does not fall through (False: it runs off into a change of location, another
    file, or past MAX_CHAIN_BLOCKS)."""
    chain: list[Block] = []
    current = block
    while falls_through(current):
        nxt = current.successor
        if nxt is None or nxt is block or len(chain) >= MAX_CHAIN_BLOCKS:
            return chain, False
        chain.append(nxt)
        current = nxt
    return chain, True


def _outer_active(conds: list[tuple[bool, bool]]) -> bool:
    return all(active for active, _ in conds[:-1])
