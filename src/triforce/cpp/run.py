"""Build a translation unit with a candidate function in it and run the function on vectors.

For functions of the shape `std::vector<uint8_t> F(const std::vector<uint8_t>&)` (codecs,
line-width tables, colour conversion): a small `main` appended to the TU reads one hex line per
vector from stdin, calls the function and prints its result as hex. The candidate has passed
`scan_candidate(..., will_run=True)` first; the program runs in the sandbox (private folder,
rlimits, timeout, no network where `unshare` allows it).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from triforce.cpp.compile import parse_diagnostics
from triforce.cpp.sandbox import CompileLimits, run_limited, scan_candidate
from triforce.errors import ToolNotFoundError

_HARNESS = """
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>
static char triforce_line[1 << 16];
int main() {
  while (std::fgets(triforce_line, sizeof triforce_line, stdin) != nullptr) {
    std::vector<uint8_t> in;
    for (std::size_t i = 0; i + 1 < std::strlen(triforce_line) && triforce_line[i] != '\\n'; i += 2) {
      unsigned byte = 0;
      std::sscanf(triforce_line + i, "%2x", &byte);
      in.push_back(static_cast<uint8_t>(byte));
    }
    const std::vector<uint8_t> out = ENTRY;
    for (uint8_t b : out) std::printf("%02x", b);
    std::printf("\\n");
  }
  return 0;
}
"""


_UBSAN = ["-fsanitize=undefined", "-fno-sanitize-recover=all"]


@dataclass
class RunResult:
    ok: bool  # built, ran, and every vector gave its expected output
    built: bool
    problems: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)  # hex per vector


def run_vectors(
    prefix: str,
    candidate: str,
    suffix: str,
    entry: str,
    vectors: list[tuple[str, str]],
    *,
    include_dirs: list[Path] | None = None,
    limits: CompileLimits | None = None,
) -> RunResult:
    """Compile `prefix + candidate + suffix` with the harness evaluating `entry` (a C++
    expression over `in`, e.g. `mz::gfx::UnpackPlanar(in, 2)`) and compare its output on each
    (input hex, expected hex) vector."""
    return run_vector_groups(
        prefix, candidate, suffix, entry, [vectors], include_dirs=include_dirs, limits=limits
    )[0]


def run_vector_groups(
    prefix: str,
    candidate: str,
    suffix: str,
    entry: str,
    groups: list[list[tuple[str, str]]],
    *,
    include_dirs: list[Path] | None = None,
    limits: CompileLimits | None = None,
) -> list[RunResult]:
    """`run_vectors` for several groups of vectors: one build, one sandboxed run per group (a
    group that crashes the program does not take the others with it)."""
    limits = limits or CompileLimits()
    refused = scan_candidate(candidate, will_run=True, limits=limits)
    if refused:
        return [RunResult(False, False, refused) for _ in groups]
    compiler = shutil.which("g++")
    if compiler is None:
        raise ToolNotFoundError("g++ not found: install it (tools/sysdeps/cpp-headers.sh)")
    source = f"{prefix}{candidate}{suffix}\n" + _HARNESS.replace("ENTRY", entry)
    with tempfile.TemporaryDirectory(prefix="triforce-cpprun-") as tmp:
        work = Path(tmp)
        (work / "tu.cc").write_text(source, encoding="utf-8")
        # bounds-checked std::vector/array operator[]: an out-of-range index aborts the run instead of
        # reading a neighbour silently; undefined behaviour (a negative or too-wide shift, signed
        # overflow, ...) stops it too, since its result is whatever this compiler happened to do
        argv = [compiler, "-std=c++23", "-O0", "-w", "-fmax-errors=5", "-D_GLIBCXX_ASSERTIONS", *_UBSAN]
        for d in include_dirs or []:
            argv += ["-I", str(d)]
        built = run_limited(
            [*argv, "tu.cc", "-o", "prog"],
            work,
            timeout_s=limits.timeout_s,
            memory_bytes=limits.memory_bytes,
            file_bytes=limits.file_bytes,
            output_bytes=limits.output_bytes,
        )
        if built.returncode != 0:
            diags = [d for d in parse_diagnostics(built.output) if d.severity in ("error", "fatal error")]
            first_line = prefix.count("\n") + 1
            if diags and diags[0].line >= first_line:
                why = f"candidate line {diags[0].line - first_line + 1}: {diags[0].message}"
            else:
                why = diags[0].message if diags else (built.limit_reason(limits) or "g++ failed")
            return [RunResult(False, False, [f"does not build: {why}"]) for _ in groups]
        return [_run_group(work / "prog", work, vectors, limits) for vectors in groups]


def _run_group(prog: Path, work: Path, vectors: list[tuple[str, str]], limits: CompileLimits) -> RunResult:
    stdin = "".join(f"{inp}\n" for inp, _ in vectors).encode()
    ran = run_limited(
        [str(prog)],
        work,
        timeout_s=limits.run_timeout_s,
        memory_bytes=limits.run_memory_bytes,
        file_bytes=1 << 20,
        output_bytes=1 << 20,
        stdin=stdin,
        isolate_network=True,
    )
    limited = ran.limit_reason(limits, "the program")
    outputs = ran.output.split("\n")[: len(vectors)]
    if limited or ran.returncode != 0:
        ub = next((line for line in ran.output.split("\n") if "runtime error:" in line), None)
        why = limited or (
            f"undefined behaviour: {ub.split('runtime error:', 1)[1].strip()}"
            if ub
            else f"the program exited with {ran.returncode}"
        )
        return RunResult(False, True, [why], outputs)
    problems = []
    for i, ((inp, want), got) in enumerate(zip(vectors, [*outputs, *[""] * len(vectors)], strict=False)):
        if got.strip() != want:
            problems.append(
                f"vector {i + 1} (input {inp[:32] or 'empty'}): expected {want[:48] or 'empty'}, got {got.strip()[:48] or 'empty'}"
            )
    return RunResult(not problems, True, problems, outputs)
