"""Run asar on untrusted source: path confinement before the run, hard limits during it.

Two layers, because asar itself will happily `incsrc "/etc/passwd"` and echo every line back:

1. A static scan (`scan_source`) refuses anything that reads a file (`incsrc`, `incbin`, `table`,
   `readfile*`, `canreadfile*`, `filesize`, `getfilestatus`) unless the path is a literal,
   relative, `..`-free path that resolves inside the caller's `include_root`. It reads lines
   with asar's own lexer (`triforce.snes.asmsyntax`: any blank, any case, labels, `@`, ` : `
   separators, trailing backslash and comma continuations), treats the text after every define
   and macro argument as a possible statement start (their values may hold ` : `), and refuses
   the tricks
   that would build a directive or path at assembly time: a define or macro argument in command
   position, a file command word inside macro call arguments, a bare file-function name, and
   token pasting (`!a!b`, `inc!x`, `<a>src`, `!{...}`).
2. `run_asar` runs the process in a private directory, in its own process group, with a
   wall-clock timeout (the whole group is killed), RLIMIT_AS, RLIMIT_FSIZE and RLIMIT_CPU, and
   reads back at most `output_bytes` of its output.

The caller (`assemble`) adds a third check after the run: every source file asar reports having
read must be one we gave it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import resource
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from triforce.errors import InputError
from triforce.fsio import read_text_bounded
from triforce.snes.asar.diagnostics import Diagnostic, sandbox_error
from triforce.snes.asar.isolation import isolation
from triforce.snes.asmsyntax import (
    BLANKS,
    DEFINE_ASSIGN_RE,
    SUBSTITUTION_RE,
    command_of,
    logical_lines,
    split_labels,
    split_statements,
)


class SandboxLimits(BaseModel):
    """Resource limits for one asar process. The defaults fit any honest snippet or patch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_s: float = Field(
        default=10.0, gt=0, description="wall-clock seconds before the process group is killed"
    )
    memory_bytes: int = Field(default=1 << 30, gt=0, description="RLIMIT_AS for asar (address space)")
    file_bytes: int = Field(default=32 << 20, gt=0, description="RLIMIT_FSIZE: largest file asar may write")
    output_bytes: int = Field(
        default=256 << 10, gt=0, description="bytes of asar's stdout/stderr we read back"
    )
    max_source_bytes: int = Field(default=4 << 20, gt=0, description="largest source text accepted")
    max_include_depth: int = Field(default=16, ge=0, description="nesting of incsrc inside include_root")
    max_errors: int = Field(default=10_000, gt=0, description="asar --error-limit")
    probe_timeout_s: float = Field(
        default=0.5,
        gt=0,
        description="shortest timeout of a run that only locates the snippet a timed-out batch waited "
        "on (a snippet is failed for time only after a run of its own with timeout_s)",
    )


_FILE_COMMANDS = frozenset({"incsrc", "incbin", "table"})
_FILE_FUNCTION_NAMES = r"readfile[1-4]?|canreadfile[1-4]?|filesize|getfilestatus"
#: A file-reading function name as a word of its own (`!filesize = 3`, a define, or a label
#: `filesize_max` is another word). It must be called with a literal path; a bare name could
#: be called later through a macro argument (`<f>("x", 0)`) or a define.
_FILE_FUNCTION_RE = re.compile(rf"(?<![\w!.%<])({_FILE_FUNCTION_NAMES})(?!\w)", re.I)
_FILE_FUNCTION_NAME_RE = re.compile(_FILE_FUNCTION_NAMES, re.I)
_LITERAL_CALL_RE = re.compile(r'[ \t]*\([ \t]*"([^"]*)"')
#: A file command word anywhere in a line (outside command position it is refused when it
#: could become a command: incsrc/incbin always, table inside macro call arguments).
_FILE_WORD_RE = re.compile(r"(?<![\w!.])(incsrc|incbin|table)(?!\w)", re.I)
_MACRO_CALL_RE = re.compile(r"%[A-Za-z_][\w]*[ \t]*\(")
_PASTE_RES = (
    re.compile(r"[A-Za-z0-9_]![A-Za-z_]"),  # ident!define
    re.compile(r"![A-Za-z0-9_]+<[A-Za-z_.]"),  # !define<arg>
    re.compile(r"!\{"),  # !{define}
    re.compile(r"[A-Za-z0-9_!>]<[A-Za-z_][A-Za-z0-9_]*>"),  # ident<arg>, <a><b>
    re.compile(r"<[A-Za-z_][A-Za-z0-9_]*>[A-Za-z0-9_!<]"),  # <arg>ident
)


def _command_path(rest: str) -> str | None:
    """The path operand of incsrc/incbin/table: a quoted literal or the first bare word."""
    rest = rest.strip(BLANKS)
    if rest.startswith('"'):
        end = rest.find('"', 1)
        return rest[1:end] if end > 0 else None
    if not rest:
        return None
    word = re.split(r"[ \t\v\f\r]", rest, maxsplit=1)[0].split(",")[0]
    # incbin file.bin:0-10 -> drop a trailing range
    return re.sub(r":[0-9A-Fa-f$x-]+$", "", word)


def _statement_starts(statement: str) -> list[str]:
    """Where a command may begin in a statement once asar has substituted its defines and macro
    arguments: its start, and right after each substitution (whose value may end in ` : `)."""
    starts = [statement]
    for match in SUBSTITUTION_RE.finditer(statement):
        after = statement[match.end() :].lstrip(BLANKS)
        if after:
            starts.append(after)
    return starts


def _defines_file_command(assignment: str) -> bool:
    """Whether a define's value could put a file command in command position once expanded.

    The value may be used as a whole statement or spliced into a line that asar then splits at
    ` : `, so every piece of it that could start a statement (its start, or after any `:`) is
    read like a statement (labels and `@` skipped) for a leading `incsrc`/`incbin`/`table`. A
    file function's bare name is refused anywhere in the value, since the use site may supply
    the `(...)`. `!name = "table_ptr"` or `!msg = "the table"` read no file and pass.
    """
    value = DEFINE_ASSIGN_RE.sub("", assignment, count=1)
    if any(_FILE_FUNCTION_NAME_RE.fullmatch(word) for word in re.findall(r"[A-Za-z0-9_]+", value)):
        return True
    for piece in value.split(":"):
        piece = piece.strip(BLANKS + "\"'{}()")
        _, body = split_labels(piece)
        if command_of(body.strip(BLANKS + "\"'{}()"))[0] in _FILE_COMMANDS:
            return True
    return False


@dataclass
class ScanResult:
    diagnostics: list[Diagnostic]
    #: Files inside include_root that the source (transitively) includes as source.
    includes: list[Path]


class _Scanner:
    def __init__(self, include_root: Path | None, limits: SandboxLimits) -> None:
        self.root = include_root.resolve() if include_root is not None else None
        self.limits = limits
        self.diagnostics: list[Diagnostic] = []
        self.includes: list[Path] = []

    def _refuse(self, file: str, line: int, message: str) -> None:
        self.diagnostics.append(sandbox_error("Tsandbox_path", message, file=file, line=line))

    def resolve(self, path: str, base_dir: Path | None) -> Path | None:
        """The file a path names inside include_root, or None when it is not allowed there."""
        if self.root is None:
            return None
        if not path or path.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", path):
            return None
        if ".." in re.split(r"[\\/]", path) or any(ch in path for ch in "!<>{}\0"):
            return None
        for base in (base_dir, self.root):
            if base is None:
                continue
            candidate = (base / path).resolve()
            if candidate.is_relative_to(self.root) and candidate.is_file():
                return candidate
        return None

    def _missing(self, path: str, base_dir: Path | None) -> bool:
        """An allowed path (relative, inside the root) that names no existing file: the tree
        lacks it (extracted assets, say), which is worth telling apart from an escape."""
        assert self.root is not None
        if path.startswith(("/", "\\", "~")) or ".." in re.split(r"[\\/]", path):
            return False
        if any(ch in path for ch in "!<>{}\0") or re.match(r"^[A-Za-z]:", path):
            return False
        return not any((b / path).exists() for b in (base_dir, self.root) if b is not None)

    def _check_path(
        self, path: str | None, what: str, file: str, line: int, base_dir: Path | None
    ) -> Path | None:
        if path is None:
            self._refuse(file, line, f"{what}: the path must be a literal string")
            return None
        found = self.resolve(path, base_dir)
        if found is None:
            if self.root is None:
                where = "no include_root was given"
            elif self._missing(path, base_dir):
                where = f"no such file in {self.root}"
            else:
                where = f"it is not a file inside {self.root}"
            self._refuse(
                file,
                line,
                f"{what} {path!r} refused: {where} (absolute paths, '..' and defines are never allowed)",
            )
        return found

    def scan(self, text: str, file: str, base_dir: Path | None, depth: int) -> None:
        for line_no, code in logical_lines(text):
            self._scan_line(code, file, line_no, base_dir, depth)

    def _scan_line(self, line: str, file: str, line_no: int, base_dir: Path | None, depth: int) -> None:
        for pattern in _PASTE_RES:
            if pattern.search(line):
                self.diagnostics.append(
                    sandbox_error(
                        "Tsandbox_paste",
                        "token pasting with defines or macro arguments is not allowed in sandboxed code",
                        file=file,
                        line=line_no,
                    )
                )
                return
        for match in _FILE_FUNCTION_RE.finditer(line):
            literal = _LITERAL_CALL_RE.match(line, match.end())
            self._check_path(literal.group(1) if literal else None, match.group(1), file, line_no, base_dir)
        handled = 0
        for statement in split_statements(line):
            for index, start in enumerate(_statement_starts(statement)):
                handled += self._scan_statement(start, index == 0, file, line_no, base_dir, depth)
        words = [m.group(1).lower() for m in _FILE_WORD_RE.finditer(line)]
        includes = sum(1 for w in words if w != "table")
        in_macro_call = any(
            _FILE_WORD_RE.search(line, m.end()) is not None for m in _MACRO_CALL_RE.finditer(line)
        )
        if len(words) > handled and (includes > 0 or in_macro_call):
            self._refuse(
                file, line_no, "incsrc/incbin/table may only appear as a command with a literal path"
            )

    def _scan_statement(
        self, text: str, first: bool, file: str, line_no: int, base_dir: Path | None, depth: int
    ) -> int:
        """Check one place where a command may start; returns 1 when it is a file command."""
        _, body = split_labels(text)
        while body.startswith("@"):  # `@Lab: table` is no asar syntax, but costs nothing to read
            _, body = split_labels(body[1:].lstrip(BLANKS))
        body = body.strip(BLANKS)
        if not body:
            return 0
        is_assignment = DEFINE_ASSIGN_RE.match(body) is not None
        if not first:
            # After a substitution: its value was checked where it was defined (a define) or
            # passed (a macro argument), so only a file command written here remains to check.
            is_assignment = False
        elif body.startswith("!") and not is_assignment:
            self.diagnostics.append(
                sandbox_error(
                    "Tsandbox_define",
                    "a define used as a command is not allowed in sandboxed code",
                    file=file,
                    line=line_no,
                )
            )
            return 0
        elif body.startswith("<"):
            self.diagnostics.append(
                sandbox_error(
                    "Tsandbox_define",
                    "a macro argument used as a command is not allowed in sandboxed code",
                    file=file,
                    line=line_no,
                )
            )
            return 0
        if is_assignment:
            if _defines_file_command(body):
                self._refuse(file, line_no, "a define whose value is a file-reading command is not allowed")
            return 0
        command, operand = command_of(body)
        if command not in _FILE_COMMANDS:
            return 0
        found = self._check_path(_command_path(operand), command, file, line_no, base_dir)
        if found is not None and command == "incsrc":
            self._include(found, file, line_no, depth)
        return 1

    def _include(self, path: Path, file: str, line_no: int, depth: int) -> None:
        if depth >= self.limits.max_include_depth:
            self._refuse(file, line_no, f"incsrc nesting deeper than {self.limits.max_include_depth}")
            return
        if path in self.includes:
            return
        self.includes.append(path)
        try:
            text = read_text_bounded(path, self.limits.max_source_bytes, errors="replace")
        except InputError as exc:  # unreadable, or larger than the source limit
            self._refuse(file, line_no, f"{path.name}: {str(exc).split(': ', 1)[-1]}")
            return
        assert self.root is not None
        self.scan(text, str(path.relative_to(self.root)), path.parent, depth + 1)


def scan_source(
    text: str,
    *,
    file: str = "<source>",
    include_root: Path | None = None,
    defines: dict[str, str] | None = None,
    limits: SandboxLimits | None = None,
) -> ScanResult:
    """Refuse everything in `text` (and the files it includes) that could read outside include_root."""
    limits = limits or SandboxLimits()
    scanner = _Scanner(include_root, limits)
    if len(text.encode("utf-8", errors="replace")) > limits.max_source_bytes:
        scanner.diagnostics.append(
            sandbox_error("Tsource_size", f"source larger than {limits.max_source_bytes} bytes", file=file)
        )
        return ScanResult(scanner.diagnostics, [])
    if "\0" in text:
        scanner.diagnostics.append(sandbox_error("Tsandbox_input", "source contains a NUL byte", file=file))
    for name, value in (defines or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or any(c in value for c in "\r\n\0"):
            scanner.diagnostics.append(
                sandbox_error(
                    "Tsandbox_define", f"define {name!r}: invalid name or a line break in its value"
                )
            )
            continue
        scanner._scan_line(f"!{name} = {value}", f"-D{name}", 1, None, 0)
    scanner.scan(text, file, None, 0)
    return ScanResult(scanner.diagnostics, scanner.includes)


@dataclass
class AsarRun:
    returncode: int | None
    output: str
    timed_out: bool
    signal: int | None
    truncated: bool

    def limit_diagnostics(self, limits: SandboxLimits) -> list[Diagnostic]:
        """Diagnostics for a run the sandbox cut short (timeout, memory, file size)."""
        if self.timed_out:
            return [sandbox_error("Ttimeout", f"asar ran longer than {limits.timeout_s:g} s and was killed")]
        if self.signal == signal.SIGXFSZ:
            return [sandbox_error("Tfile_size", f"asar tried to write more than {limits.file_bytes} bytes")]
        if self.signal == signal.SIGXCPU:
            return [sandbox_error("Ttimeout", "asar used its CPU time limit and was killed")]
        if self.signal is not None or "bad_alloc" in self.output:
            return [
                sandbox_error(
                    "Tmemory",
                    f"asar died (signal {self.signal}); most likely it hit the {limits.memory_bytes >> 20} MiB memory limit",
                )
            ]
        return []


def _limit_setter(limits: SandboxLimits) -> Callable[[], None]:
    def apply() -> None:  # runs in the child between fork and exec: keep it minimal
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (_cpu_limit(limits), _cpu_limit(limits)))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _cpu_limit(limits: SandboxLimits) -> int:
    return int(limits.timeout_s) + 2


@functools.cache
def _prlimit() -> str | None:
    """util-linux's prlimit, when present: it sets the limits and execs asar."""
    for candidate in ("/usr/bin/prlimit", "/bin/prlimit"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _command(
    asar: Path, args: Sequence[str], limits: SandboxLimits
) -> tuple[list[str], Callable[[], None] | None]:
    """The argv and pre-exec hook that start asar under `limits`.

    With prlimit the limits are set by a program that then execs asar, so Python can start it
    with vfork; a `preexec_fn` forces a full fork, which copies the page tables of a large
    worker (~8 ms a process, as much as asar's own run)."""
    tool = _prlimit()
    if tool is None:
        return [str(asar), *args], _limit_setter(limits)
    cpu = _cpu_limit(limits)
    return [
        tool,
        f"--as={limits.memory_bytes}",
        f"--fsize={limits.file_bytes}",
        f"--cpu={cpu}",
        "--core=0",
        "--",
        str(asar),
        *args,
    ], None


def run_asar(
    asar: Path, args: Sequence[str], cwd: Path, limits: SandboxLimits, include_root: Path | None = None
) -> AsarRun:
    """Run asar in `cwd` under `limits`, inside the namespace of `isolation()` when there is one
    (seeing only `cwd` and `include_root`); stdout and stderr go to one file read back bounded."""
    out_path = cwd / ".asar-output"
    walls = isolation()
    if walls.active and walls.bwrap is not None:
        inner = walls.wrap([str(asar), *args], cwd, include_root)
        argv, preexec = _command(Path(inner[0]), inner[1:], limits)
    else:
        argv, preexec = _command(asar, args, limits)
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            preexec_fn=preexec,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
        )
        # A timer kills the group; a plain blocking wait() avoids Popen.wait(timeout)'s polling
        # sleeps, which cost more than asar itself on short snippets.
        fired = threading.Event()

        def _kill() -> None:
            fired.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(limits.timeout_s, _kill)
        timer.start()
        try:
            code = proc.wait()
        finally:
            timer.cancel()
        timed_out = fired.is_set()
        returncode: int | None = None if timed_out else code
    size = out_path.stat().st_size
    with open(out_path, "rb") as fh:
        raw = fh.read(limits.output_bytes)
    sig = -returncode if returncode is not None and returncode < 0 else None
    return AsarRun(
        returncode=returncode,
        output=raw.decode("utf-8", errors="replace"),
        timed_out=timed_out,
        signal=sig,
        truncated=size > limits.output_bytes,
    )
