"""C++ samples (the plan's "YAZE C++" row) from a C++ tree: every answer proven by triforce.cpp.

Tasks (all `domain="din"`, `source="yaze-cpp"`):
- `cpp.explain`: the facts of a function (parameters, return type, calls, named constants,
  numeric literals, address-like literals), each read from its syntax tree; `check` re-parses
  the code in the question and compares every bullet of the answer.
- `cpp.write`: a function from its signature and doc comment; the answer is spliced into its
  file and compiled syntax-only (or, when the file does not compile unchanged, parse-checked:
  the record says which).
- `cpp.refactor`: modernise a function without changing its signature (C casts, NULL, postfix
  increments, `x = x + y`); the question is the tree's code rewritten the old way
  (`cpp.rewrite.antiquate`), the answer is the tree's own code; proven by
  `modernise(question) == answer` and a compile in place.
- `cpp.port`: Python -> C++ for the bundled tree's codecs (LC_LZ2 decompression, planar tiles,
  BGR555, line widths): the question is the catalogue's Python model, the answer the tree's C++;
  proven by building the TU with the answer and running it on the catalogue's vectors (which
  tests/test_cpp_vectors.py re-derives from the Python). triforce.gfx / triforce.compress were not
  on main when this was written: the vectors are the catalogue's own.
- `cpp.find_bug`: known defects of real trees (the catalogue's locator must land on the line
  the answer names) and bugs injected into the bundled tree (the buggy and the fixed function
  are built and run on vectors: only the fix gives the expected bytes).

Units are functions, balanced over the tree's domain folders (round robin); the bundled build
reads the small original tree shipped in `triforce/cpp/bundled/minizelda`.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from triforce.cpp import CompileChecker, CppFunction, bundled_tree, parse_source, read_tree
from triforce.cpp.compile import CheckResult, compiler_available
from triforce.cpp.rewrite import antiquate, locate, modernise
from triforce.cpp.run import run_vectors
from triforce.cpp.tree import source_files
from triforce.generate.domain import DomainGenerator, Source, Unit, UnitResult, checked, make_domain_sample
from triforce.sample import Provenance

SOURCE_ROW = "yaze-cpp"
_CODE_RE = re.compile(r"```(?:cpp|c\+\+|cc)?[ \t]*\n(.*?)```", re.S)
_TICKS_RE = re.compile(r"`([^`]*)`")
SYSTEM = "You are an expert C++ engineer working on SNES Zelda: A Link to the Past ROM-hacking tools."


@cache
def catalogue() -> dict[str, Any]:
    text = resources.files("triforce.generate").joinpath("catalogs", "cpp.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def cache_dir() -> Path:
    """Where compile baselines are cached across builds and worker processes."""
    base = os.environ.get("TRIFORCE_CACHE_DIR") or str(Path.home() / ".cache" / "triforce")
    return Path(base) / "cpp-baseline"


@cache
def checker(root: str) -> CompileChecker:
    return CompileChecker(Path(root), cache_dir=cache_dir())


def is_cpp_tree(path: Path) -> bool:
    if not path.is_dir():
        return False
    try:
        return any(True for _ in source_files(path))
    except Exception:
        return False


def resolve_root(recorded: str) -> Path:
    """The tree a sample was built from: "bundled", the recorded path, or $TRIFORCE_CPP_TREE
    (a checkout moved elsewhere; the file hash still has to match)."""
    if recorded == "bundled":
        return bundled_tree()
    override = os.environ.get("TRIFORCE_CPP_TREE")
    return Path(override) if override else Path(recorded)


def code_blocks(text: str) -> list[str]:
    return [m.group(1) for m in _CODE_RE.finditer(text)]


# -- facts (explain) -------------------------------------------------------------------------


def _param(p: Any) -> str:
    text = f"{p.type} {p.name}".strip() if p.name else p.type
    return f"{text} = {p.default}" if p.default else text


def fact_lines(fn: CppFunction) -> dict[str, list[str]]:
    """The explain answer's bullets: label -> values (empty list: none)."""
    return {
        "Parameters": [_param(p) for p in fn.parameters],
        "Returns": [fn.return_type] if fn.return_type else [],
        "Calls": list(fn.calls),
        "Named constants": list(fn.named_constants),
        "Numeric literals": list(fn.literals),
        "Address-like hex literals": [f"0x{a:X}" for a in fn.addresses],
    }


_NONE = {
    "Parameters": "none",
    "Returns": "nothing it declares (a constructor, destructor or conversion)",
    "Calls": "nothing",
    "Named constants": "none",
    "Numeric literals": "none",
    "Address-like hex literals": "none",
}


def explain_answer(fn: CppFunction) -> str:
    lines = [f"`{fn.qualified_name}`, read from its code:", ""]
    for label, values in fact_lines(fn).items():
        shown = ", ".join(f"`{v}`" for v in values) if values else _NONE[label]
        lines.append(f"- {label}: {shown}")
    lines += [
        "",
        "Calls include function-like macros; address-like literals are hex constants of $1000 or "
        "more that are not bit masks (ROM offsets, SNES addresses, table bases).",
    ]
    return "\n".join(lines)


def parse_fact_answer(answer: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in answer.split("\n"):
        m = re.match(r"^- ([A-Za-z -]+): (.*)$", line.strip())
        if m and m.group(1) in _NONE:
            out[m.group(1)] = [] if m.group(2) == _NONE[m.group(1)] else _TICKS_RE.findall(m.group(2))
    return out


# -- the generator ----------------------------------------------------------------------------


def _domain_folder(fn_folder: str, folders: list[str]) -> str:
    best = ""
    for f in folders:
        if (fn_folder == f or fn_folder.startswith(f + "/")) and len(f) > len(best):
            best = f
    return best or fn_folder


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pick(options: Sequence[str], key: str) -> str:
    return options[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(options)]


class CppGenerator(DomainGenerator):
    name = "cpp"
    tasks = ("cpp.explain", "cpp.write", "cpp.refactor", "cpp.find_bug", "cpp.port")

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        trees = [(s.path, s.origin, False) for s in sources if is_cpp_tree(s.path)]
        if not sources:
            trees = [(bundled_tree(), "original", True)]
        cat = catalogue()
        units: list[Unit] = []
        for root, origin, bundled in trees:
            present = [f for f in cat["domain_folders"] if (root / f).is_dir()]
            tops = [f for f in present if not any(f != o and f.startswith(o + "/") for o in present)]
            scan = read_tree(root, tops)
            by_folder: dict[str, list[CppFunction]] = {}
            for fn in scan.functions:
                size = fn.line_end - fn.line_start + 1
                if fn.errors_inside or not cat["min_lines"] <= size <= cat["max_lines"]:
                    continue
                by_folder.setdefault(_domain_folder(fn.folder, present), []).append(fn)
            rng = random.Random(seed)
            queues = []
            for folder in sorted(by_folder):
                fns = by_folder[folder]
                rng.shuffle(fns)
                queues.append(fns)
            base = {
                "root": "bundled" if bundled else str(root.resolve()),
                "origin": origin,
                "repo": scan.origin.repo,
                "commit": scan.origin.commit,
                "license": scan.origin.license,
            }
            defects = (
                cat["injected_bugs"]
                if bundled
                else [
                    d
                    for d in cat["known_defects"]
                    if d["repo"] == scan.origin.repo and (root / d["file"]).is_file()
                ]
            )
            for d in defects:  # first: a limit per generator must not crowd them out
                units.append(
                    Unit(f"{scan.origin.repo}:bug:{d['id']}", {**base, "kind": "bug", "bug": d["id"]})
                )
            for i in range(max((len(q) for q in queues), default=0)):
                for q in queues:
                    if i < len(q):
                        fn = q[i]
                        payload = {
                            **base,
                            "kind": "function",
                            "file": fn.file,
                            "name": fn.qualified_name,
                            "line": fn.line_start,
                            "folder": _domain_folder(fn.folder, present),
                        }
                        units.append(Unit(f"{scan.origin.repo}:{fn.key}", payload))
        return units

    # -- run ------------------------------------------------------------------------------

    def run(self, unit: Unit, seed: int) -> UnitResult:
        p = unit.payload
        if p["kind"] == "bug":
            return self._bug(p)
        out = UnitResult()
        root = resolve_root(p["root"])
        data = (root / p["file"]).read_bytes()
        fn = _find(parse_source(data, p["file"]).functions, p["name"], p["line"])
        if fn is None:
            out.reject("function-not-found", f"{p['file']}: {p['name']} at line {p['line']}")
            return out
        ctx = _Context(p, fn, data)
        out.candidates = 3
        out.samples.append(self._explain(ctx))  # facts need no compiler
        if not compiler_available():
            out.reject(
                "no-compiler", "g++ is not installed (tools/sysdeps/cpp-headers.sh)", fn.qualified_name
            )
            return out
        chk = checker(str(root))
        written = chk.check_function(fn, fn.text)
        if not written.ok:
            out.reject("original-does-not-check", "; ".join(written.problems)[:300], fn.qualified_name)
            return out
        out.samples.append(self._write(ctx, written))
        port = catalogue()["vectors"].get(fn.qualified_name)
        if port is not None and p["root"] == "bundled":
            problems = run_function(root, fn, fn.text)
            if problems:
                out.reject("port-vectors-fail", "; ".join(problems)[:300], fn.qualified_name)
            else:
                out.samples.append(self._port(ctx, port["python"]))
        old, rules = antiquate(fn.text)
        if not rules or modernise(old)[0] != fn.text:
            out.reject("nothing-to-modernise", "no rewrite rule applies both ways", fn.qualified_name)
            return out
        question = chk.check_function(fn, old)
        if not question.ok:
            out.reject("old-form-does-not-check", "; ".join(question.problems)[:300], fn.qualified_name)
            return out
        out.samples.append(self._refactor(ctx, old, rules, written))
        return out

    def _sample(
        self, ctx: _Context, task: str, user: str, assistant: str, method: str, extra: dict[str, Any]
    ) -> Any:
        fn, p = ctx.fn, ctx.p
        meta = {
            "cpp": {
                "root": p["root"],
                "file": fn.file,
                "file_sha256": _sha(ctx.data),
                "start_byte": fn.start_byte,
                "end_byte": fn.end_byte,
                "qualified_name": fn.qualified_name,
                "folder": p.get("folder", fn.folder),
                **extra,
            }
        }
        return make_domain_sample(
            self,
            task=task,
            domain="din",
            source=SOURCE_ROW,
            system=SYSTEM,
            user=user,
            assistant=assistant,
            provenance=Provenance(
                corpus=p["repo"].split("/")[-1],
                origin=p["origin"],
                file=fn.file,
                line_start=fn.line_start,
                line_end=fn.line_end,
                routine=fn.qualified_name,
                commit=p["commit"],
                license=p["license"],
            ),
            verification=checked(method, {"check": extra.get("check", method)}),
            meta=meta,
            group=f"cpp:{p['repo']}:{fn.file}",
        )

    def _explain(self, ctx: _Context) -> Any:
        fn = ctx.fn
        shown = ctx.data[fn.doc_start_byte : fn.end_byte].decode("utf-8", errors="replace")
        ask = _pick(
            (
                "Explain this function from {repo} `{file}`: its parameters, what it returns, what it "
                "calls, and which constants and addresses it uses.",
                "What does `{name}` in {repo} (`{file}`) take, return and call? List the named "
                "constants, numeric literals and address-like values it uses.",
            ),
            fn.key,
        ).format(repo=ctx.p["repo"], file=fn.file, name=fn.qualified_name)
        user = f"{ask}\n\n```cpp\n{shown}\n```"
        return self._sample(ctx, "cpp.explain", user, explain_answer(fn), "tree-sitter", {"check": "facts"})

    def _write(self, ctx: _Context, result: CheckResult) -> Any:
        fn = ctx.fn
        where = f"namespace `{fn.namespace}`" if fn.namespace else "the global namespace"
        if fn.class_name:
            where += f", a member of `{fn.class_name}`"
        doc = fn.doc or "// (no documentation: the name and signature say what it does)"
        mode = result.mode
        note = (
            "It must compile in place (the file is checked with g++ -std=c++23 -fsyntax-only)."
            if mode == "compile"
            else "Its file does not compile as it is in this checkout, so the answer is only parse-checked."
        )
        user = (
            f"In {ctx.p['repo']} `{fn.file}` ({where}), write the definition of this function. {note}\n\n"
            f"```cpp\n{doc}\n{fn.signature};\n```"
        )
        answer = f"```cpp\n{fn.text}\n```"
        extra: dict[str, Any] = {"check": mode}
        if result.baseline is not None and not result.baseline.ok:
            extra["baseline_error"] = result.baseline.first_error()[:300]
        method = "g++-syntax" if mode == "compile" else "tree-sitter"
        return self._sample(ctx, "cpp.write", user, answer, method, extra)

    def _port(self, ctx: _Context, python: str) -> Any:
        fn = ctx.fn
        user = (
            f"Port this Python function to C++ for {ctx.p['repo']} `{fn.file}` (namespace `{fn.namespace}`) "
            f"with the signature `{' '.join(fn.signature.split())}`. It must compile in that file and give "
            f"the same bytes as the Python.\n\n```python\n{python.rstrip()}\n```"
        )
        answer = f"```cpp\n{fn.text}\n```"
        return self._sample(ctx, "cpp.port", user, answer, "g++-run", {"check": "run"})

    def _refactor(self, ctx: _Context, old: str, rules: list[str], result: CheckResult) -> Any:
        fn = ctx.fn
        names = {
            "c-cast": "C-style casts become `static_cast`",
            "nullptr": "`NULL` becomes `nullptr`",
            "prefix": "increments whose value is unused become prefix (`++i`)",
            "compound": "`x = x OP y` becomes `x OP= y`",
        }
        done = sorted(set(rules), key=list(names).index)
        user = (
            f"Modernise this function from {ctx.p['repo']} `{fn.file}` without changing its signature or "
            f"what it does.\n\n```cpp\n{old}\n```"
        )
        answer = (
            "Changes: "
            + "; ".join(names[r] for r in done)
            + f" ({len(rules)} edits).\n\n```cpp\n{fn.text}\n```"
        )
        method = "g++-syntax+rewrite" if result.mode == "compile" else "tree-sitter+rewrite"
        return self._sample(ctx, "cpp.refactor", user, answer, method, {"check": result.mode, "rules": done})

    def _bug(self, p: dict[str, Any]) -> UnitResult:
        out = UnitResult(candidates=1)
        cat = catalogue()
        root = resolve_root(p["root"])
        if p["root"] == "bundled":
            bug = next(b for b in cat["injected_bugs"] if b["id"] == p["bug"])
            fn = next((f for f in read_tree(root).functions if f.qualified_name == bug["function"]), None)
        else:
            bug = next(b for b in cat["known_defects"] if b["id"] == p["bug"])
            data = (root / bug["file"]).read_bytes()
            fn = next(
                (f for f in parse_source(data, bug["file"]).functions if f.name == bug["function"]), None
            )
        if fn is None:
            out.reject("function-not-found", f"{p['bug']}: {bug['function']}")
            return out
        data = (root / fn.file).read_bytes()
        ctx = _Context({**p, "folder": fn.folder}, fn, data)
        if p["root"] == "bundled":
            if not compiler_available():
                out.reject("no-compiler", "g++ is not installed (tools/sysdeps/cpp-headers.sh)")
                return out
            old, new = bug["replace"]
            if old not in fn.text:
                out.reject("bug-does-not-apply", bug["id"])
                return out
            buggy = fn.text.replace(old, new, 1)
            problems = prove_injected(root, fn, buggy, fn.text, bug["function"])
            if problems:
                out.reject("bug-not-proven", "; ".join(problems)[:300])
                return out
            shown = buggy
            line = _changed_line(buggy, fn.text)
        else:
            shown = data[fn.doc_start_byte : fn.end_byte].decode("utf-8", errors="replace")
            lines = locate(shown, bug["locate"])
            if not lines:
                out.reject("defect-not-found", f"{bug['id']}: the locator finds nothing (fixed upstream?)")
                return out
            line = lines[0]  # the first place; the check accepts any line the locator finds
        quoted = shown.split("\n")[line - 1].strip()
        user = (
            f"This function from {p['repo']} `{fn.file}` has a bug. Name the line (counting from the first "
            f"line shown) and explain it.\n\n```cpp\n{shown}\n```"
        )
        answer = (
            f"The bug is on line {line}:\n\n```cpp\n{quoted}\n```\n\n{' '.join(bug['explanation'].split())}"
        )
        method = "tree-sitter-locator"
        extra: dict[str, Any] = {"check": "locator", "bug": bug["id"]}
        if p["root"] == "bundled":
            answer += f"\n\nThe fixed function:\n\n```cpp\n{fn.text}\n```"
            method, extra = "g++-run", {"check": "run", "bug": bug["id"]}
        out.samples.append(self._sample(ctx, "cpp.find_bug", user, answer, method, extra))
        return out

    # -- check ----------------------------------------------------------------------------

    def check(self, sample: dict[str, Any]) -> list[str]:
        msgs = sample["messages"]
        user = next(m["content"] for m in msgs if m["role"] == "user")
        answer = msgs[-1]["content"]
        task = sample["task"]
        asked = code_blocks(user) or [""]
        if not asked[0] and task != "cpp.port":
            return ["the question holds no ```cpp block"]
        if task == "cpp.explain":
            return check_explain(asked[0], answer)
        meta = sample.get("meta", {}).get("cpp", {})
        root = resolve_root(meta.get("root", ""))
        path = root / meta.get("file", "")
        if not path.is_file():
            return [f"{path}: not found (set TRIFORCE_CPP_TREE to the checkout the sample came from)"]
        data = path.read_bytes()
        if _sha(data) != meta.get("file_sha256"):
            return [f"{meta['file']} changed since the sample was made (sha256 differs)"]
        fn = next(
            (f for f in parse_source(data, meta["file"]).functions if f.start_byte == meta["start_byte"]),
            None,
        )
        if fn is None or fn.qualified_name != meta.get("qualified_name"):
            return [f"no function {meta.get('qualified_name')} at byte {meta.get('start_byte')}"]
        given = code_blocks(answer)
        if task == "cpp.find_bug":
            return self._check_bug(sample, root, fn, asked[0], answer, given)
        if not given:
            return ["the answer holds no ```cpp block"]
        code = given[-1].rstrip("\n")
        problems: list[str] = []
        if task == "cpp.port":
            spec = catalogue()["vectors"].get(fn.qualified_name)
            python = re.search(r"```python\n(.*?)```", user, re.S)
            if spec is None or python is None or python.group(1).rstrip() != spec["python"].rstrip():
                return ["the question's Python is not the catalogued model of this function"]
            problems += run_function(root, fn, code)
        if task == "cpp.refactor":
            if modernise(asked[0].rstrip("\n"))[0] != code:
                problems.append("the answer is not the modernised form of the question's code")
            if code == asked[0].rstrip("\n"):
                problems.append("the answer changes nothing")
        result = checker(str(root)).check_function(fn, code)
        if not result.ok:
            problems += result.problems
        elif result.mode != meta.get("check") and not (task == "cpp.port" and result.mode == "compile"):
            problems.append(f"checked as {result.mode}, recorded as {meta.get('check')}")
        return problems

    def _check_bug(
        self, sample: dict[str, Any], root: Path, fn: CppFunction, shown: str, answer: str, given: list[str]
    ) -> list[str]:
        m = re.search(r"line (\d+)", answer)
        if not m or not given:
            return ["the answer names no line and quotes none"]
        line = int(m.group(1))
        lines = shown.rstrip("\n").split("\n")
        if not 1 <= line <= len(lines) or lines[line - 1].strip() != given[0].strip():
            return [f"the quoted line is not line {line} of the code shown"]
        bug_id = sample["meta"]["cpp"].get("bug")
        cat = catalogue()
        if sample["meta"]["cpp"].get("check") == "run":
            bug = next((b for b in cat["injected_bugs"] if b["id"] == bug_id), None)
            if bug is None or len(given) < 2:
                return ["no fixed function in the answer"]
            fixed = given[-1].rstrip("\n")
            if _changed_line(shown.rstrip("\n"), fixed) != line:
                return [f"line {line} is not where the fixed function differs"]
            return prove_injected(root, fn, shown.rstrip("\n"), fixed, bug["function"])
        bug = next((b for b in cat["known_defects"] if b["id"] == bug_id), None)
        if bug is None:
            return [f"unknown defect {bug_id!r}"]
        found = locate(shown, bug["locate"])
        return [] if line in found else [f"the defect is on line(s) {found}, not {line}"]


class _Context:
    def __init__(self, p: dict[str, Any], fn: CppFunction, data: bytes) -> None:
        self.p, self.fn, self.data = p, fn, data


def _find(fns: list[CppFunction], name: str, line: int) -> CppFunction | None:
    return next((f for f in fns if f.qualified_name == name and f.line_start == line), None)


def _changed_line(a: str, b: str) -> int:
    """The first line (1-based) where two texts differ."""
    for i, (x, y) in enumerate(zip(a.split("\n"), b.split("\n"), strict=False), 1):
        if x != y:
            return i
    return min(len(a.split("\n")), len(b.split("\n"))) + 1


def check_explain(code: str, answer: str) -> list[str]:
    parsed = parse_source(code, "<question>")
    if len(parsed.functions) != 1:
        return [f"the question's code holds {len(parsed.functions)} functions, not one"]
    want = fact_lines(parsed.functions[0])
    got = parse_fact_answer(answer)
    problems = []
    for label, values in want.items():
        if label not in got:
            problems.append(f"{label}: missing")
        elif got[label] != values:
            problems.append(f"{label}: the code says {values}, the answer {got[label]}")
    return problems


def _vector_run(root: Path, fn: CppFunction, candidate: str) -> tuple[bool, list[str]]:
    spec = catalogue()["vectors"][fn.qualified_name]
    data = (root / fn.file).read_bytes()
    prefix = data[: fn.start_byte].decode("utf-8")
    suffix = data[fn.end_byte :].decode("utf-8")
    cases = [(str(a), str(b)) for a, b in spec["cases"]]
    includes = [root / "src"] if (root / "src").is_dir() else [root]
    res = run_vectors(prefix, candidate, suffix, spec["call"], cases, include_dirs=includes)
    return res.ok, res.problems


def run_function(root: Path, fn: CppFunction, candidate: str) -> list[str]:
    """Problems running `candidate` (in place of `fn`) on the catalogue's vectors (empty: all pass)."""
    ok, problems = _vector_run(root, fn, candidate)
    return [] if ok else problems


def prove_injected(root: Path, fn: CppFunction, buggy: str, fixed: str, qualified: str) -> list[str]:
    """The fixed function gives every vector's bytes and the buggy one does not."""
    if qualified not in catalogue()["vectors"]:
        return [f"no vectors for {qualified}"]
    ok, problems = _vector_run(root, fn, fixed)
    if not ok:
        return ["the fixed function fails: " + "; ".join(problems)[:300]]
    if _vector_run(root, fn, buggy)[0]:
        return ["the buggy function passes every vector: the bug is not shown"]
    return []
