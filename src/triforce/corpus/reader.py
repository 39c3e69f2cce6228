"""Read asar source trees into routines: `read_corpus(paths)` and `bundled_corpus()`.

A tree is read the way asar would assemble it: files that no other file includes are roots,
each root is followed through its `incsrc` graph with its own defines, macros and addresses, and
every file is either read or skipped with a reason. Nothing short of "no file could be read at
all" is fatal: real trees contain binaries, odd encodings and directives we do not model.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from triforce.corpus._analyze import calls_of, entry_width, memory_refs, returns_of
from triforce.corpus._banks import entry_banks
from triforce.corpus._standalone import StandaloneBuilder
from triforce.corpus._text import evaluate, split_comment
from triforce.corpus._walk import Block, Line, SourceFile, Stmt, Walker, fall_chain
from triforce.corpus.model import CorpusReport, EntryWidth, Routine, RoutineTags
from triforce.corpus.tags import is_tag, parse_tags
from triforce.errors import InputError
from triforce.fsio import read_bytes_bounded
from triforce.sample import Origin, Provenance

SOURCE_SUFFIXES = frozenset({".asm", ".inc", ".s", ".a65", ".65s"})
MAX_FILE_BYTES = 16 * 1024 * 1024
BUNDLED_DIR = Path(__file__).parent / "bundled"
_INCSRC_RE = re.compile(r'^\s*incsrc\s+"?([^";\s]+)"?', re.IGNORECASE | re.MULTILINE)
_SEPARATOR_RE = re.compile(r"^[\s=\-*#~_+]*$")
_MAIN_NAMES = ("main", "_main", "all", "patch", "build")


def read_corpus(
    paths: Sequence[Path | str],
    name: str = "corpus",
    origin: Origin = "original",
    license: str | None = None,
) -> CorpusReport:
    """Read every asar source under `paths` (directories or files) into routines.

    Raises InputError only when nothing at all could be read."""
    started = time.perf_counter()
    report = CorpusReport(name=name, origin=origin)
    for raw in paths:
        tree = Path(raw)
        before = len(report.routines)
        if not tree.exists():
            report.files_skipped.append((tree, "path does not exist"))
            continue
        _read_tree(tree, report, license)
        if len(report.routines) == before:
            report.files_skipped.append((tree, "no routines found in this tree"))
    report.routines.sort(key=lambda r: (str(r.provenance.file), r.line_start))
    report.elapsed_s = time.perf_counter() - started
    if not report.files_read:
        reasons = "; ".join(f"{p}: {why}" for p, why in report.files_skipped) or "no source files"
        raise InputError(f"nothing could be read from {', '.join(map(str, paths))} ({reasons})")
    return report


def bundled_corpus() -> CorpusReport:
    """The corpus Triforce ships: original routines written for the generators (see bundled/)."""
    return read_corpus([BUNDLED_DIR], name="triforce-bundled", origin="original", license="MIT")


# ---- trees -------------------------------------------------------------------------------------


class _Loader:
    """Loads each file once, remembering why a file could not be read."""

    def __init__(self, report: CorpusReport) -> None:
        self.report = report
        self.files: dict[Path, SourceFile] = {}
        self.failed: dict[Path, str] = {}

    def __call__(self, path: Path) -> SourceFile | None:
        if path in self.files:
            return self.files[path]
        if path in self.failed:
            return None
        source, reason = _load_file(path)
        if source is None:
            self.failed[path] = reason
            self.report.files_skipped.append((path, reason))
            return None
        if source.encoding_note:
            self.report.warnings.append(f"{path}: {source.encoding_note}")
        self.files[path] = source
        self.report.files_read.append(path)
        self.report.lines_read += len(source.lines)
        return source


def _load_file(path: Path) -> tuple[SourceFile | None, str]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, f"too large ({size} bytes > {MAX_FILE_BYTES})"
        data = read_bytes_bounded(path, MAX_FILE_BYTES)  # a device or FIFO reports size 0
    except InputError as exc:  # larger than the limit (a device reports size 0), or unreadable
        return None, str(exc).split(": ", 1)[-1]
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
    if b"\x00" in data[:8192]:
        return None, "binary file (NUL bytes)"
    note = ""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        note = "not UTF-8, read as latin-1"
    printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text[:8192])
    if text and printable < 0.9 * min(len(text), 8192):
        return None, "binary file (mostly unprintable)"
    lines = []
    for raw in text.splitlines():
        code, comment = split_comment(raw)
        lines.append(Line(raw, code, comment))
    return SourceFile(path, lines, note), ""


def _discover(tree: Path) -> list[Path]:
    if tree.is_file():
        return [tree.resolve()]
    found = []
    for path in tree.rglob("*"):
        rel = path.relative_to(tree)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in SOURCE_SUFFIXES and path.is_file():
            found.append(path.resolve())
    return sorted(found)


def _roots(files: list[Path], tree_dir: Path, loader: _Loader) -> list[Path]:
    """Files no other file includes, main-like names first (their state is the real one)."""
    included: set[Path] = set()
    for path in files:
        source = loader(path)
        if source is None:
            continue
        text = "\n".join(line.code for line in source.lines if "incsrc" in line.code.lower())
        for target in _INCSRC_RE.findall(text):
            for base in (path.parent, tree_dir):
                candidate = (base / target).resolve()
                if candidate.is_file():
                    included.add(candidate)
                    break
    roots = [p for p in files if p not in included and p in loader.files]

    def rank(p: Path) -> tuple[int, int, str]:
        stem = p.stem.lower()
        mainish = any(stem == n or stem.endswith(n) for n in _MAIN_NAMES)
        return (
            0 if mainish else 1,
            len(p.relative_to(tree_dir).parts) if p.is_relative_to(tree_dir) else 9,
            str(p),
        )

    return sorted(roots, key=rank)


def _git_commit(tree_dir: Path) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=tree_dir,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    out = proc.stdout.strip()
    return out if proc.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", out) else None


def _read_tree(tree: Path, report: CorpusReport, license: str | None) -> None:
    tree_dir = (tree if tree.is_dir() else tree.parent).resolve()
    before = len(report.routines)
    loader = _Loader(report)
    files = _discover(tree)
    if not files:
        report.files_skipped.append((tree, "no asar source files (.asm/.inc/.s)"))
        return
    commit = None if tree_dir.is_relative_to(BUNDLED_DIR.resolve()) else _git_commit(tree_dir)
    if commit:
        report.commits[str(tree_dir)] = commit
    pending = set(files)
    discovered = set(files)
    extra_done: set[Path] = set()
    unknown: Counter[str] = Counter(report.unknown_directives)
    for root in _roots(files, tree_dir, loader):
        if root not in pending:
            continue
        walker = Walker(
            loader, emit_for=_emit_check(pending, discovered, extra_done), search_dirs=[root.parent, tree_dir]
        )
        walker.walk(root)
        emitted = set(walker.visited)
        pending -= emitted
        report.missing_includes.extend(walker.missing)
        unknown.update(walker.unknown)
        _routines_from(walker, loader, tree_dir, report, commit, license)
    # Files reached by nothing (a root that failed, a cycle): read each on its own.
    for path in sorted(pending):
        if path not in loader.files:
            continue
        walker = Walker(
            loader, emit_for=_emit_check({path}, discovered, extra_done), search_dirs=[path.parent, tree_dir]
        )
        walker.walk(path)
        report.missing_includes.extend(walker.missing)
        unknown.update(walker.unknown)
        _routines_from(walker, loader, tree_dir, report, commit, license)
    report.unknown_directives = dict(unknown)
    refs = frozenset(referenced_names(loader.files.values()))
    for routine in report.routines[before:]:
        routine.tree_refs = refs


# A label definition at the start of a line: `Name:`, `#Name:`, `.sub`, `+`/`-`.
_DEFINITION_RE = re.compile(r"^\s*(?:#?[A-Za-z_]\w*:|\.+[A-Za-z_]\w*:?(?=\s|$)|[+-]+(?=\s|$))")
_NAME_RE = re.compile(r"[A-Za-z_]\w*")


def referenced_names(files: Iterable[SourceFile]) -> set[str]:
    """Every identifier the files use outside label definitions (operands, expressions, tables):
    a superset of the labels some code can jump to or read."""
    names: set[str] = set()
    for source in files:
        for line in source.lines:
            code = line.code
            if code and not code.isspace():
                names.update(_NAME_RE.findall(_DEFINITION_RE.sub("", code, count=1)))
    return names


def _emit_check(pending: set[Path], discovered: set[Path], extra_done: set[Path]) -> Callable[[Path], bool]:
    """Keep blocks of files no earlier root read; included files outside the discovered set
    (other extensions) count as pending on first read."""

    def check(path: Path) -> bool:
        if path in pending:
            return True
        if path not in discovered and path not in extra_done:
            extra_done.add(path)
            return True
        return False

    return check


# ---- blocks -> routines ------------------------------------------------------------------------


def _routines_from(
    walker: Walker,
    loader: _Loader,
    tree_dir: Path,
    report: CorpusReport,
    commit: str | None,
    license: str | None,
) -> None:
    env = walker.env
    owner: dict[str, Block] = {}
    for block in walker.blocks:
        block.end = _trim_end(loader.files[block.file].lines, block.start, block.end)
        # A `pool X` block owns only its sublabels: the name X belongs to the routine X.
        keys = block.sublabels if block.pool else (block.qualified, block.name, *block.sublabels)
        for key in keys:
            owner.setdefault(key, block)

    def value_of(expr: str) -> int | None:
        return evaluate(expr, env.labels)

    builder = StandaloneBuilder(env, owner, loader.files, tree_dir)
    made: list[tuple[Routine, Block]] = []
    for block in walker.blocks:
        if block.pool or block.first not in ("instr", "macro") or not block.stmts:
            if block.first:
                report.data_blocks += 1
            continue
        source = loader.files[block.file]
        end = block.end
        doc_lines, doc_comments = _doc(source.lines, block.start)
        where = f"{block.file}:{block.start + 1}"
        tags = parse_tags(doc_comments, where) if any(is_tag(c) for c in doc_comments) else RoutineTags()
        internal = {block.qualified, block.name, *block.sublabels}
        internal |= {s.rsplit("_", 1)[-1] for s in block.sublabels}
        ram, hardware = memory_refs(block.stmts, value_of, lambda s: s in owner)
        width = tags.entry or entry_width(block.stmts, value_of)
        rel = (
            block.file.relative_to(tree_dir).as_posix()
            if block.file.is_relative_to(tree_dir)
            else str(block.file)
        )
        routine = Routine(
            name=block.name,
            qualified_name=block.qualified,
            address=block.address,
            file=block.file,
            line_start=block.start + 1,
            line_end=end + 1,
            body="\n".join(line.text for line in source.lines[block.start : end + 1]) + "\n",
            doc="\n".join(doc_lines),
            inline_comments=_inline_comments(source.lines, block.start, end),
            calls=calls_of(block.stmts, internal),
            ram=ram,
            entry_width=width,
            returns=returns_of(block.stmts),
            provenance=Provenance(
                corpus=report.name,
                origin=report.origin,
                file=rel,
                line_start=block.start + 1,
                line_end=end + 1,
                routine=block.qualified,
                commit=commit,
                license=license,
            ),
            tags=tags,
            hardware=hardware,
            sublabels=list(block.sublabels),
            namespace=block.namespace,
            root=tree_dir,
        )
        chain, complete = fall_chain(block)
        if chain:
            routine.falls_into = chain[0].qualified
            routine.fall_through_complete = complete
            if routine.returns is None:  # it returns through the code it runs into
                routine.returns = next((r for b in chain if (r := returns_of(b.stmts))), None)
        routine._parts = builder.parts_for(block, end)
        made.append((routine, block))
    _widths_from_callers(made, owner)
    _returns_from_tails(made, owner)
    files = {path: source.lines for path, source in loader.files.items()}
    widths = {id(b): None if r.entry_width.m is None else r.entry_width.m == 8 for r, b in made}
    banks = entry_banks([b for _, b in made], owner, files, value_of, widths)
    for routine, block in made:
        bank = banks[id(block)]
        routine.entry_db, routine.entry_db_source, routine.entry_db_needs = bank.bank, bank.source, bank.needs
    report.routines.extend(r for r, _ in made)


def _trim_end(lines: list[Line], start: int, end: int) -> int:
    """Drop trailing blank lines and comment-only lines (the next label's doc) from a block."""
    while end > start and not lines[end].code.strip():
        end -= 1
    return end


def _doc(lines: list[Line], start: int) -> tuple[list[str], list[str]]:
    """(doc text lines, all comment texts incl. tags) from the comments above the label.

    The comment block may sit right above the label or one blank line above it; a block that
    hangs off the code before it (no blank line between) belongs to that code instead."""

    def blank(i: int) -> bool:
        return not lines[i].code.strip() and not lines[i].comment.strip()

    def comment_only(i: int) -> bool:
        return not lines[i].code.strip() and bool(lines[i].comment.strip())

    i = start - 1
    gap = 0
    if i >= 0 and blank(i):
        i -= 1
        gap = 1
    comments: list[str] = []
    while i >= 0 and comment_only(i):
        comments.append(lines[i].comment)
        i -= 1
    if gap and i >= 0 and lines[i].code.strip():
        comments = []
    comments.reverse()
    if lines[start].comment.strip():
        comments.append(lines[start].comment)
    text = [c.strip() for c in comments if not is_tag(c) and not _SEPARATOR_RE.match(c)]
    return text, comments


def _inline_comments(lines: list[Line], start: int, end: int) -> list[str]:
    out = []
    for line in lines[start + 1 : end + 1]:
        c = line.comment.strip()
        if c and not _SEPARATOR_RE.match(c) and not is_tag(c):
            out.append(c)
    return out


def _widths_from_callers(made: list[tuple[Routine, Block]], owner: dict[str, Block]) -> None:
    """Fill unknown entry widths from the widths every known call site agrees on.

    Each routine is read straight through from its own entry width (REP/SEP set flags, PLP
    forgets them), so a width learned for one routine flows on to the routines it calls; a few
    rounds reach a fixed point on real trees."""
    by_block = {id(b): r for r, b in made}
    for _ in range(_WIDTH_ROUNDS):
        sites: dict[int, list[tuple[bool | None, bool | None]]] = {}
        for routine, block in made:
            m8 = None if routine.entry_width.m is None else routine.entry_width.m == 8
            x8 = None if routine.entry_width.x is None else routine.entry_width.x == 8
            for s in block.stmts:
                if s.mnemonic in ("JSR", "JSL"):
                    target = s.operand.strip()
                    qualified = f"{block.namespace}_{target}" if block.namespace else target
                    callee = owner.get(qualified) or owner.get(target)
                    if callee is not None and id(callee) in by_block and callee is not block:
                        sites.setdefault(id(callee), []).append((m8, x8))
                m8, x8 = _width_step(s, m8, x8)
        changed = False
        for key, states in sites.items():
            routine = by_block[key]
            w = routine.entry_width
            m = w.m or _agreed({m for m, _ in states})
            x = w.x or _agreed({x for _, x in states})
            if (m, x) != (w.m, w.x):
                routine.entry_width = EntryWidth(
                    m=m, x=x, source=w.source if w.source != "unknown" else "caller"
                )
                changed = True
        if not changed:
            return


_WIDTH_ROUNDS = 6
_TAILS = frozenset({"JMP", "JML", "BRA", "BRL"})


def _returns_from_tails(made: list[tuple[Routine, Block]], owner: dict[str, Block]) -> None:
    """A routine with no return of its own that ends by jumping to another routine (`JMP Tail`)
    returns the way that routine does: its return kind is the tail's (a few rounds reach tails
    of tails)."""
    by_block = {id(b): r for r, b in made}
    for _ in range(_WIDTH_ROUNDS):
        changed = False
        for routine, block in made:
            if routine.returns is not None:
                continue
            for s in reversed(block.stmts):
                if s.mnemonic not in _TAILS:
                    continue
                target = s.operand.strip()
                callee = owner.get(f"{block.namespace}_{target}" if block.namespace else target) or owner.get(
                    target
                )
                tail = by_block.get(id(callee)) if callee is not None and callee is not block else None
                if tail is not None and tail.returns is not None:
                    routine.returns = tail.returns
                    changed = True
                    break
        if not changed:
            return


def _width_step(s: Stmt, m8: bool | None, x8: bool | None) -> tuple[bool | None, bool | None]:
    if s.mnemonic in ("REP", "SEP") and s.operand.startswith("#"):
        value = evaluate(s.operand[1:], {})
        if value is not None:
            if value & 0x20:
                m8 = s.mnemonic == "SEP"
            if value & 0x10:
                x8 = s.mnemonic == "SEP"
    elif s.mnemonic == "PLP":
        return None, None
    return m8, x8


def _agreed(flags: set[bool | None]) -> int | None:
    """8 or 16 when every call site had the same known width, else None."""
    if len(flags) != 1:
        return None
    flag = next(iter(flags))
    return None if flag is None else 8 if flag else 16
