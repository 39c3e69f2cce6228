"""The compile checker: splice a candidate function into its translation unit and run
`g++ -std=c++23 -fsyntax-only` with the tree's include paths, generated stand-ins for CMake's
configured headers and the system's third-party headers, in the sandbox of `cpp.sandbox`.

The baseline (does the TU compile unchanged?) is cached per TU content and flags, in memory and
in `cache_dir` when one is given (one JSON file per key, written atomically, so worker processes
share it). A candidate whose TU does not compile as it is cannot be judged by compiling: the
checker says so (`CheckResult.mode == "parse-only"`) and the caller falls back to parsing.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import weakref
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from triforce.cpp.config_stub import generate_headers
from triforce.cpp.model import CppFunction
from triforce.cpp.parse import parse_source, parser
from triforce.cpp.sandbox import CompileLimits, ProcessRun, run_limited, scan_candidate
from triforce.cpp.tree import DEFAULT_EXCLUDE
from triforce.errors import InputError, ToolNotFoundError
from triforce.fsio import write_text_atomic

#: Third-party header folders a YAZE-like tree includes without a prefix (`<SDL.h>`).
SYSTEM_SUBDIRS = ("SDL2", "imgui")
#: How a failing TU's first error is classified: the library a missing header belongs to.
_LIBRARIES = {
    "absl": "abseil",
    "imgui": "imgui",
    "SDL": "SDL",
    "nlohmann": "nlohmann-json",
    "yaml-cpp": "yaml-cpp",
    "grpc": "gRPC",
    "google/protobuf": "protobuf",
    "ftxui": "ftxui",
    "nfd": "nfd",
    "httplib": "cpp-httplib",
    "gtest": "googletest",
    "gmock": "googletest",
    "asar": "asar",
    "imgui_test_engine": "imgui_test_engine",
}
_DIAG_RE = re.compile(
    r"^(?P<file>[^:\n]+):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<sev>fatal error|error|warning|note): (?P<msg>.*)$"
)
_MISSING_RE = re.compile(r"fatal error: (?P<header>[^:]+): No such file or directory")


@dataclass(frozen=True)
class CompileDiagnostic:
    file: str
    line: int
    column: int
    severity: str
    message: str


@dataclass
class CompileResult:
    ok: bool
    diagnostics: list[CompileDiagnostic] = field(default_factory=list)
    reason: str = ""  # "" when ok; "missing-header", "error", "timeout", "limit", "sandbox"
    missing_header: str | None = None
    library: str | None = None  # for a missing header: which third-party library it belongs to
    seconds: float = 0.0
    headers: int = 0  # headers g++ opened

    def first_error(self) -> str:
        err = next((d for d in self.diagnostics if d.severity in ("error", "fatal error")), None)
        return f"{err.file}:{err.line}: {err.message}" if err else self.reason

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CompileResult:
        diags = [CompileDiagnostic(**d) for d in data.get("diagnostics", [])]
        return cls(**{**data, "diagnostics": diags})


@dataclass
class CheckResult:
    """What a candidate function's check found. `mode` "compile": its TU compiled as it was and
    the candidate was compiled in place; "parse-only": the TU does not compile unchanged (see
    `baseline`), so only the parse was checked."""

    ok: bool
    mode: Literal["compile", "parse-only", "refused"]
    problems: list[str]
    compile: CompileResult | None = None
    baseline: CompileResult | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "mode": self.mode,
            "problems": self.problems,
            "compile": self.compile.to_json() if self.compile else None,
            "baseline_ok": self.baseline.ok if self.baseline else None,
            "baseline_error": self.baseline.first_error() if self.baseline and not self.baseline.ok else None,
        }


@cache
def compiler_version(compiler: str = "g++") -> str:
    path = shutil.which(compiler)
    if path is None:
        raise ToolNotFoundError(f"{compiler} not found: install g++ (tools/sysdeps/cpp-headers.sh)")
    done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    return done.stdout.split("\n", 1)[0].strip()


def compiler_available(compiler: str = "g++") -> bool:
    return shutil.which(compiler) is not None


@cache
def _shim_specs() -> list[dict[str, Any]]:
    import yaml

    text = resources.files("triforce.cpp").joinpath("shims.yaml").read_text("utf-8")
    data: list[dict[str, Any]] = yaml.safe_load(text) or []
    return data


def parse_diagnostics(output: str) -> list[CompileDiagnostic]:
    out: list[CompileDiagnostic] = []
    for line in output.split("\n"):
        m = _DIAG_RE.match(line)
        if m:
            out.append(
                CompileDiagnostic(
                    m["file"], int(m["line"]), int(m["col"] or 0), m["sev"], m["msg"].strip()[:400]
                )
            )
    return out


def library_of(header: str) -> str:
    for prefix, name in _LIBRARIES.items():
        if header.startswith(prefix):
            return name
    return "other"


class CompileChecker:
    """Compile checks for one tree (see the module docstring).

    `include_dirs`: the tree's own include roots relative to it (default: `src`, `inc`,
    `include` where present, else the root); `system_dirs`: third-party header folders
    (default: /usr/include plus its SDL2 and imgui folders)."""

    def __init__(
        self,
        root: Path,
        *,
        include_dirs: Sequence[str] | None = None,
        system_dirs: Sequence[Path] | None = None,
        std: str = "c++23",
        compiler: str = "g++",
        limits: CompileLimits | None = None,
        cache_dir: Path | None = None,
        shims: bool = True,
    ) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise InputError(f"{root}: not a folder")
        self.compiler = compiler
        self.std = std
        self.limits = limits or CompileLimits()
        names = (
            include_dirs
            if include_dirs is not None
            else [d for d in ("src", "inc", "include") if (self.root / d).is_dir()]
        )
        self.include_dirs = [self.root / d for d in names] or [self.root]
        if system_dirs is None:
            base = Path("/usr/include")
            system_dirs = [base / d for d in SYSTEM_SUBDIRS if (base / d).is_dir()]
        self.system_dirs = [Path(d) for d in system_dirs]
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.use_shims = shims
        self.shims_applied: list[str] = []
        self.shims_skipped: list[str] = []
        self._shim_dir: Path | None = None
        self._baselines: dict[str, CompileResult] = {}
        self._generated_dir: Path | None = None
        self.generated: list[str] = []
        self.unknown_config: list[str] = []

    # -- set-up ---------------------------------------------------------------------------

    def _generated(self) -> Path:
        """The folder of stand-ins for `*.h.in` templates (made once per checker)."""
        if self._generated_dir is None:
            templates = sorted(
                p
                for p in self.root.rglob("*.h.in")
                if not any(
                    part.startswith(".") or part in DEFAULT_EXCLUDE
                    for part in p.relative_to(self.root).parts[:-1]
                )
            )
            folder = Path(tempfile.mkdtemp(prefix="triforce-cpp-gen-"))
            weakref.finalize(self, shutil.rmtree, folder, True)
            made = generate_headers(self.root, templates, folder)
            self.generated, self.unknown_config = made.headers, made.unknown
            self._generated_dir = folder
        return self._generated_dir

    def _shims(self) -> Path | None:
        """The folder of patched third-party headers (shims.yaml), made once; None without any."""
        if not self.use_shims:
            return None
        if self._shim_dir is None:
            folder = Path(tempfile.mkdtemp(prefix="triforce-cpp-shim-"))
            weakref.finalize(self, shutil.rmtree, folder, True)
            for shim in _shim_specs():
                installed = next(
                    (d / shim["header"] for d in self._search_dirs() if (d / shim["header"]).is_file()), None
                )
                if installed is None:
                    self.shims_skipped.append(f"{shim['header']}: not installed")
                    continue
                text = installed.read_text("utf-8", errors="replace")
                missing = [old for old, _ in shim["replace"] if old not in text]
                if missing:
                    self.shims_skipped.append(
                        f"{shim['header']}: {len(missing)} line(s) not found (another version)"
                    )
                    continue
                for old, new in shim["replace"]:
                    text = text.replace(old, new)
                target = folder / shim["header"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(f"// Triforce shim of {installed}\n{text}", encoding="utf-8")
                # the header's own quoted includes must still find its siblings
                self.shims_applied.append(shim["header"])
            self._shim_dir = folder
        return self._shim_dir

    def _search_dirs(self) -> list[Path]:
        return [*self.system_dirs, Path("/usr/include")]

    def flags(self) -> list[str]:
        out = [f"-std={self.std}", "-fsyntax-only", "-w", "-fmax-errors=20", "-ftemplate-depth=900", "-H"]
        for d in self.include_dirs:
            out += ["-I", str(d)]
        out += ["-I", str(self._generated())]
        shim = self._shims()
        if shim is not None and self.shims_applied:
            out += ["-isystem", str(shim)]
            for header in self.shims_applied:  # `#include "imgui.h"` through an -isystem .../imgui
                sub = (shim / header).parent
                if sub != shim:
                    out += ["-isystem", str(sub)]
        for d in self.system_dirs:
            out += ["-isystem", str(d)]
        return out

    def _allowed_roots(self) -> list[Path]:
        shim = self._shims()
        roots = [
            self.root,
            self._generated(),
            *([shim] if shim is not None else []),
            *self.system_dirs,
            Path("/usr/include"),
            Path("/usr/lib/gcc"),
            Path("/usr/local/include"),
        ]
        return [r.resolve() for r in roots]

    # -- compiling --------------------------------------------------------------------------

    def compile_text(self, text: bytes, rel_path: str) -> CompileResult:
        """Compile `text` as if it were the tree's file `rel_path` (its folder stays first on the
        quote-include path)."""
        compiler = shutil.which(self.compiler)
        if compiler is None:
            raise ToolNotFoundError(f"{self.compiler} not found: install g++ (tools/sysdeps/cpp-headers.sh)")
        original_dir = (self.root / rel_path).parent
        with tempfile.TemporaryDirectory(prefix="triforce-cpp-") as tmp:
            work = Path(tmp)
            suffix = Path(rel_path).suffix or ".cc"
            src = work / f"tu{suffix}"
            src.write_bytes(text)
            lang = ["-x", "c++-header"] if suffix in (".h", ".hh", ".hpp", ".hxx") else ["-x", "c++"]
            argv = [compiler, *self.flags(), "-iquote", str(original_dir), *lang, str(src)]
            run = run_limited(
                argv,
                work,
                timeout_s=self.limits.timeout_s,
                memory_bytes=self.limits.memory_bytes,
                file_bytes=self.limits.file_bytes,
                output_bytes=self.limits.output_bytes,
            )
            return self._result(run, rel_path, str(src))

    def _result(self, run: ProcessRun, rel_path: str, tmp_name: str) -> CompileResult:
        limited = run.limit_reason(self.limits)
        headers = [line.lstrip(".").strip() for line in run.output.split("\n") if re.match(r"^\.+ /", line)]
        output = "\n".join(line for line in run.output.split("\n") if not re.match(r"^\.+ ", line))
        output = output.replace(tmp_name, rel_path)
        diags = parse_diagnostics(output)
        outside = [
            h for h in headers if not any(Path(h).resolve().is_relative_to(r) for r in self._allowed_roots())
        ]
        if outside:
            return CompileResult(
                False, diags, "sandbox", seconds=run.seconds, headers=len(headers), missing_header=outside[0]
            )
        if limited:
            return CompileResult(False, diags, "timeout" if run.timed_out else "limit", seconds=run.seconds)
        if run.returncode == 0:
            return CompileResult(True, diags, "", seconds=run.seconds, headers=len(headers))
        missing = _MISSING_RE.search(output)
        if missing:
            header = missing["header"].strip()
            return CompileResult(
                False, diags, "missing-header", header, library_of(header), run.seconds, len(headers)
            )
        if not diags:
            diags = [CompileDiagnostic(rel_path, 0, 0, "error", output.strip()[-400:] or "g++ failed")]
        return CompileResult(False, diags, "error", seconds=run.seconds, headers=len(headers))

    def _key(self, data: bytes, rel_path: str) -> str:
        h = hashlib.sha256()
        for part in (compiler_version(self.compiler), " ".join(self._flag_key()), rel_path):
            h.update(part.encode() + b"\0")
        h.update(data)
        return h.hexdigest()[:32]

    def _flag_key(self) -> list[str]:
        """The flags without the generated folders' random names (their content is hashed)."""
        gen = self._generated()
        shim = self._shims()
        parts = [f for f in self.flags() if not f.startswith((str(gen), str(shim) if shim else "\0"))]
        for name in sorted(self.generated):
            parts.append(hashlib.sha256((gen / name).read_bytes()).hexdigest())
        for header in self.shims_applied:
            parts.append(hashlib.sha256((shim / header).read_bytes()).hexdigest())  # type: ignore[operator]
        return parts

    def baseline(self, rel_path: str) -> CompileResult:
        """Does the tree's file compile as it is? Cached per content and flags."""
        path = self.root / rel_path
        data = path.read_bytes()
        key = self._key(data, rel_path)
        if key in self._baselines:
            return self._baselines[key]
        cached = self._read_cache(key)
        if (
            cached is not None
            and cached.reason == "missing-header"
            and self._found_now(cached.missing_header)
        ):
            cached = None  # the header was installed since (e.g. tools/sysdeps/cpp-headers.sh): compile again
        if cached is None:
            cached = self.compile_text(data, rel_path)
            if cached.reason not in ("timeout", "limit"):
                self._write_cache(key, cached)
        self._baselines[key] = cached
        return cached

    def _found_now(self, header: str | None) -> bool:
        """Whether a header a cached result missed is on the search path now."""
        if not header:
            return False
        return any((d / header).is_file() for d in [*self.include_dirs, *self._search_dirs()])

    def _read_cache(self, key: str) -> CompileResult | None:
        if self.cache_dir is None:
            return None
        path = self.cache_dir / f"{key}.json"
        try:
            return CompileResult.from_json(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def _write_cache(self, key: str, result: CompileResult) -> None:
        if self.cache_dir is not None:
            write_text_atomic(self.cache_dir / f"{key}.json", json.dumps(result.to_json()))

    def check_function(self, fn: CppFunction, candidate: str, *, same_signature: bool = True) -> CheckResult:
        """Splice `candidate` over `fn` in its file and check it.

        Refused outright (never compiled): text the sandbox scan rejects, text that is not
        exactly one function definition, a different name or (with `same_signature`) a
        different signature. Then: compiled in place when the file compiles unchanged,
        else parse-checked only (the result says so)."""
        problems = scan_candidate(candidate, limits=self.limits)
        if problems:
            return CheckResult(False, "refused", problems)
        problems = candidate_problems(fn, candidate, same_signature=same_signature)
        if problems:
            return CheckResult(False, "refused", problems)
        base = self.baseline(fn.file)
        if not base.ok:
            return CheckResult(True, "parse-only", [], None, base)
        data = (self.root / fn.file).read_bytes()
        spliced = data[: fn.start_byte] + candidate.encode("utf-8") + data[fn.end_byte :]
        result = self.compile_text(spliced, fn.file)
        problems = [] if result.ok else [_describe(result, fn, data)]
        return CheckResult(result.ok, "compile", problems, result, base)


def _describe(result: CompileResult, fn: CppFunction, data: bytes) -> str:
    """The first error, with its line counted inside the candidate when it falls there."""
    first_line = data[: fn.start_byte].count(b"\n") + 1
    err = next((d for d in result.diagnostics if d.severity in ("error", "fatal error")), None)
    if err is None:
        return result.reason or "g++ failed"
    if err.file == fn.file and err.line >= first_line:
        return f"candidate line {err.line - first_line + 1}: {err.message}"
    return f"{err.file}:{err.line}: {err.message}"


def normalise_signature(text: str) -> str:
    """A signature with whitespace and comments made irrelevant (for equality)."""
    parsed = parse_source(text + "{}", "<signature>")
    src = parsed.functions[0].signature if parsed.functions else text
    return "".join(src.split())


def candidate_problems(fn: CppFunction, candidate: str, *, same_signature: bool = True) -> list[str]:
    """Why `candidate` cannot stand in for `fn` (empty: it can): exactly one function definition,
    the same name, the same signature when asked, no text the grammar cannot read."""
    parsed = parse_source(candidate, fn.file)
    if len(parsed.functions) != 1 or parsed.functions[0].start_byte != _first_code(candidate):
        found = len(parsed.functions)
        return [f"the answer must be exactly one function definition (found {found})"]
    got = parsed.functions[0]
    if candidate[got.end_byte :].strip():
        return ["text follows the function definition"]
    problems = []
    if parsed.problems or got.errors_inside:
        where = parsed.problems[0] if parsed.problems else None
        problems.append(
            f"does not parse as C++ (line {where.line}: {where.reason})" if where else "does not parse as C++"
        )
    if got.name != fn.name:
        problems.append(f"defines {got.name!r}, not {fn.name!r}")
    elif same_signature and "".join(got.signature.split()) != "".join(fn.signature.split()):
        problems.append(
            f"signature changed: expected `{' '.join(fn.signature.split())}`, got `{' '.join(got.signature.split())}`"
        )
    return problems


def _first_code(text: str) -> int:
    """Byte offset of the first token that is not a comment (a doc comment may lead)."""
    root = parser().parse(text.encode("utf-8")).root_node
    for child in root.children:
        if child.type != "comment":
            return child.start_byte
    return 0


_DRIFT_MARKERS = ("ImGui", "ImVec", "ImDraw", "ImFont", "absl::", "SDL_", "YAML::", "nlohmann::")


def classify(result: CompileResult) -> str:
    """One word for a TU's baseline: ok, missing:<library>, drift (every header found, but the
    first error is in or about a third-party API: an older Debian header), error, timeout."""
    if result.ok:
        return "ok"
    if result.reason == "missing-header":
        return f"missing:{result.library}"
    if result.reason in ("timeout", "limit", "sandbox"):
        return result.reason
    err = next((d for d in result.diagnostics if d.severity in ("error", "fatal error")), None)
    if err is not None and (err.file.startswith("/usr/") or any(m in err.message for m in _DRIFT_MARKERS)):
        return "drift"
    return "error"


@dataclass
class BaselineReport:
    tus: dict[str, str] = field(default_factory=dict)  # path -> classify()
    first_errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for v in self.tus.values():
            out[v] = out.get(v, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    def to_json(self) -> dict[str, Any]:
        return {
            "tus": len(self.tus),
            "compile_unchanged": sum(1 for v in self.tus.values() if v == "ok"),
            "counts": self.counts(),
            "seconds": round(self.seconds, 1),
            "per_tu": self.tus,
            "first_errors": self.first_errors,
        }


def baseline_tree(
    checker: CompileChecker,
    paths: Sequence[str],
    *,
    workers: int = 2,
    on_done: Any = None,
) -> BaselineReport:
    """Compile every TU in `paths` unchanged (threads: g++ does the work), classified."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    report = BaselineReport()
    start = time.perf_counter()
    checker.flags()  # make the generated headers before the threads start
    with ThreadPoolExecutor(max(1, workers)) as pool:
        for path, result in zip(paths, pool.map(checker.baseline, paths), strict=True):
            report.tus[path] = classify(result)
            if not result.ok:
                report.first_errors[path] = result.first_error()[:300]
            if on_done is not None:
                on_done(path, result)
    report.seconds = time.perf_counter() - start
    return report
