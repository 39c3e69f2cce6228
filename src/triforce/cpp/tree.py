"""Reading a whole C++ tree: which files, where the tree comes from, what was found per folder."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triforce.cpp.model import CppFunction, Origin, ParsedFile, ParseProblem
from triforce.cpp.parse import parse_source
from triforce.errors import InputError

SOURCE_SUFFIXES = (".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx")
TU_SUFFIXES = (".cc", ".cpp", ".cxx")
#: Folders holding other projects' code (submodules, vendored libraries) or build output.
DEFAULT_EXCLUDE = ("ext", "third_party", "external", "vendor", "build", "out")
MAX_FILE_BYTES = 2 << 20


@dataclass
class TreeScan:
    root: Path
    origin: Origin
    files: list[ParsedFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    @property
    def functions(self) -> list[CppFunction]:
        return [f for pf in self.files for f in pf.functions]

    @property
    def problems(self) -> list[ParseProblem]:
        return [p for pf in self.files for p in pf.problems]

    def file(self, path: str) -> ParsedFile | None:
        return next((pf for pf in self.files if pf.path == path), None)

    def per_folder(self) -> dict[str, int]:
        """Functions found per folder (the file's directory relative to the root)."""
        return dict(sorted(Counter(f.folder for f in self.functions).items()))

    def summary(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "repo": self.origin.repo,
            "commit": self.origin.commit,
            "license": self.origin.license,
            "files_read": len(self.files),
            "files_skipped": len(self.skipped),
            "lines": sum(pf.lines for pf in self.files),
            "functions": len(self.functions),
            "functions_with_parse_errors": sum(1 for f in self.functions if f.errors_inside),
            "parse_problems": len(self.problems),
            "files_with_problems": sum(1 for pf in self.files if pf.problems),
            "per_folder": self.per_folder(),
        }


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _repo_name(url: str | None, root: Path) -> str:
    """ "owner/name" from a remote URL (GitHub form, or a mirror folder named owner+name)."""
    if url:
        m = re.search(r"[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", url)
        if m and "github" in url:
            return f"{m.group(1)}/{m.group(2)}"
        m = re.search(r"([\w.-]+)\+([\w.-]+)", url)
        if m:
            return f"{m.group(1)}/{m.group(2)}"
    return root.resolve().name


def detect_license(root: Path) -> str | None:
    """An SPDX id from the tree's LICENSE/COPYING file: an SPDX line, or the GPL/MIT wording."""
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING"):
        path = root / name
        if not path.is_file():
            continue
        text = path.read_text("utf-8", errors="replace")[:40_000]
        m = re.search(r"SPDX-License-Identifier:\s*([\w.+-]+)", text)
        if m:
            return m.group(1)
        flat = " ".join(text.split())
        for version in ("3", "2"):
            if re.search(
                rf"GNU GENERAL PUBLIC LICENSE.{{0,40}}Version {version}|version {version} of the License",
                flat,
            ):
                later = re.search(rf"version {version} of the License, or \(at your option\) any later", flat)
                return f"GPL-{version}.0-or-later" if later else f"GPL-{version}.0-only"
        if "Permission is hereby granted, free of charge" in flat:
            return "MIT"
        if "Apache License" in flat and "Version 2.0" in flat:
            return "Apache-2.0"
        return "LicenseRef-unknown"
    return None


def tree_origin(root: Path, license: str | None = None) -> Origin:
    """Repository name, commit and licence of a checkout (git when it is one: a tree that merely
    sits inside another repository, like the bundled one, has no commit of its own)."""
    top = _git(root, "rev-parse", "--show-toplevel")
    own = top is not None and Path(top).resolve() == root.resolve()
    commit = _git(root, "rev-parse", "HEAD") if own else None
    url = _git(root, "config", "--get", "remote.origin.url") if own else None
    return Origin(repo=_repo_name(url, root), commit=commit, license=license or detect_license(root))


def source_files(
    root: Path, folders: Sequence[str] = (), exclude: Sequence[str] = DEFAULT_EXCLUDE
) -> list[Path]:
    """C++ sources under `root` (or under its `folders`), hidden and excluded folders left out."""
    bases = [root / f for f in folders] if folders else [root]
    found: set[Path] = set()
    for base in bases:
        if not base.is_dir():
            raise InputError(f"{base}: no such folder in the C++ tree")
        for p in base.rglob("*"):
            rel = p.relative_to(root).parts
            if (
                p.suffix in SOURCE_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") or part in exclude for part in rel[:-1])
            ):
                found.add(p)
    return sorted(found)


def read_tree(
    root: Path,
    folders: Sequence[str] = (),
    *,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    license: str | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> TreeScan:
    """Parse every C++ file of a tree; each file is read or skipped with a reason."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder")
    scan = TreeScan(root=root.resolve(), origin=tree_origin(root, license))
    for path in source_files(root, folders, exclude):
        rel = path.relative_to(root).as_posix()
        size = path.stat().st_size
        if size > max_file_bytes:
            scan.skipped.append((rel, f"larger than {max_file_bytes} bytes ({size})"))
            continue
        data = path.read_bytes()
        if b"\0" in data:
            scan.skipped.append((rel, "binary (NUL bytes)"))
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            scan.skipped.append((rel, f"not UTF-8 (byte {exc.start})"))
            continue
        scan.files.append(parse_source(data, rel))
    return scan
