"""Running g++ (and programs it built) on untrusted C++ text: the asar sandbox's discipline.

1. Before the run, `scan_candidate` refuses a candidate that could make the compiler read a file
   or the program touch the machine: any preprocessor directive (`#include`, `#pragma`, `#line`,
   `#define` …), `_Pragma`, `__has_include`, inline assembly, and (for code that will run) the
   calls that reach the file system, processes or the network. The translation unit around it
   is the tree's own, trusted text.
2. The process runs in a private temporary folder, in its own process group, with a clean
   environment, a wall-clock timeout (the whole group is killed), RLIMIT_AS / FSIZE / CPU and no
   core dumps; at most `output_bytes` of its output are read back.
3. After a compile, every header g++ reports having opened (`-H`) must lie inside the declared
   roots (the tree, the generated stand-ins, the system include folders).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from triforce.cpp.parse import parser

#: Identifiers a candidate that is only compiled may not use (they read files or change what the
#: preprocessor sees).
_COMPILE_DENY = {"_Pragma", "__has_include", "__has_include_next", "__has_embed", "__builtin_FILE"}
#: Identifiers a candidate that will run may not use either: files, processes, the network,
#: raw system calls and the environment.
_RUN_DENY = {
    "system", "popen", "fopen", "freopen", "open", "openat", "creat", "unlink", "remove", "rename",
    "fork", "vfork", "execv", "execve", "execvp", "execl", "execlp", "execle", "posix_spawn",
    "socket", "connect", "bind", "syscall", "kill", "getenv", "setenv", "putenv", "dlopen",
    "ofstream", "ifstream", "fstream", "filebuf", "filesystem", "mmap", "ptrace", "chmod",
    "chdir", "mkdir", "rmdir", "symlink", "link", "truncate", "signal", "raise", "abort",
}  # fmt: skip


class CompileLimits(BaseModel):
    """Resource limits for one g++ process (or one run of a program it built)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_s: float = Field(default=120.0, gt=0, description="wall-clock seconds for one compile")
    memory_bytes: int = Field(default=3 << 30, gt=0, description="RLIMIT_AS for cc1plus")
    file_bytes: int = Field(default=64 << 20, gt=0, description="RLIMIT_FSIZE")
    output_bytes: int = Field(default=2 << 20, gt=0, description="bytes of compiler output read back")
    max_candidate_bytes: int = Field(default=64 << 10, gt=0, description="largest candidate accepted")
    run_timeout_s: float = Field(default=5.0, gt=0, description="wall-clock seconds for a built program")
    run_memory_bytes: int = Field(default=512 << 20, gt=0, description="RLIMIT_AS for a built program")


def scan_candidate(text: str, *, will_run: bool = False, limits: CompileLimits | None = None) -> list[str]:
    """Reasons to refuse `text` before any compiler sees it (empty: allowed)."""
    limits = limits or CompileLimits()
    data = text.encode("utf-8", errors="replace")
    if len(data) > limits.max_candidate_bytes:
        return [f"candidate larger than {limits.max_candidate_bytes} bytes"]
    if "\0" in text:
        return ["candidate contains a NUL byte"]
    problems: list[str] = []
    tree = parser().parse(data)
    deny = _COMPILE_DENY | (_RUN_DENY if will_run else set())
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        kind = node.type
        if kind.startswith("preproc_") or kind == "#include":
            line = node.start_point.row + 1
            problems.append(f"line {line}: preprocessor directives are not allowed in a candidate")
            continue
        if kind in ("gnu_asm_expression", "asm_statement") or (
            kind == "identifier" and node.text in (b"asm", b"__asm__")
        ):
            problems.append(f"line {node.start_point.row + 1}: inline assembly is not allowed")
        elif kind in ("identifier", "field_identifier", "namespace_identifier", "type_identifier"):
            name = (node.text or b"").decode("utf-8", errors="replace")
            if name in deny:
                problems.append(f"line {node.start_point.row + 1}: {name!r} is not allowed in a candidate")
        stack.extend(node.children)
    # A directive hidden where the grammar gave up (inside an ERROR node) is still a line that
    # starts with '#': refuse those too, outside string literals the parser did read.
    for number, source_line in enumerate(text.split("\n"), 1):
        if source_line.lstrip().startswith(("#", "%:", "??=")) and not any(
            p.startswith(f"line {number}:") for p in problems
        ):
            problems.append(f"line {number}: preprocessor directives are not allowed in a candidate")
    return sorted(set(problems), key=problems.index)


@dataclass
class ProcessRun:
    returncode: int | None
    output: str
    timed_out: bool
    signal: int | None
    seconds: float
    truncated: bool

    def limit_reason(self, limits: CompileLimits, what: str = "g++") -> str | None:
        if self.timed_out:
            return f"{what} ran longer than its time limit and was killed"
        if self.signal == signal.SIGXCPU:
            return f"{what} used its CPU time limit"
        if self.signal == signal.SIGXFSZ:
            return f"{what} tried to write more than {limits.file_bytes} bytes"
        if self.signal is not None:
            return f"{what} died on signal {self.signal} (most likely its memory limit)"
        if "virtual memory exhausted" in self.output or "out of memory" in self.output:
            return f"{what} hit its memory limit"
        return None


@cache
def _prlimit() -> str | None:
    return shutil.which("prlimit")


@cache
def _unshare_net() -> list[str]:
    """`unshare --net` when this machine allows it (no network for built programs), else []."""
    tool = shutil.which("unshare")
    if tool is None:
        return []
    try:
        done = subprocess.run([tool, "--net", "--", "true"], capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [tool, "--net", "--"] if done.returncode == 0 else []


def run_limited(
    argv: Sequence[str],
    cwd: Path,
    *,
    timeout_s: float,
    memory_bytes: int,
    file_bytes: int,
    output_bytes: int,
    stdin: bytes = b"",
    isolate_network: bool = False,
) -> ProcessRun:
    """Run argv in `cwd` under the limits; stdout and stderr go to one file read back bounded."""
    cpu = int(timeout_s) + 2
    prefix: list[str] = []
    if isolate_network:
        prefix += _unshare_net()
    tool = _prlimit()
    preexec = None
    if tool is not None:
        prefix += [tool, f"--as={memory_bytes}", f"--fsize={file_bytes}", f"--cpu={cpu}", "--core=0", "--"]
    else:  # pragma: no cover - util-linux is everywhere we run

        def preexec() -> None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    out_path = cwd / ".output"
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TMPDIR": str(cwd), "HOME": str(cwd)}
    start = time.perf_counter()
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(
            [*prefix, *argv],
            cwd=cwd,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            preexec_fn=preexec,
            env=env,
        )
        fired = threading.Event()

        def _kill() -> None:
            fired.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout_s, _kill)
        timer.start()
        try:
            if stdin and proc.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.write(stdin)
                    proc.stdin.close()
            code = proc.wait()
        finally:
            timer.cancel()
    seconds = time.perf_counter() - start
    size = out_path.stat().st_size
    with open(out_path, "rb") as fh:
        raw = fh.read(output_bytes)
    timed_out = fired.is_set()
    sig = -code if code < 0 else None
    return ProcessRun(
        returncode=None if timed_out else code,
        output=raw.decode("utf-8", errors="replace"),
        timed_out=timed_out,
        signal=None if timed_out else sig,
        seconds=seconds,
        truncated=size > output_bytes,
    )
