"""The public trees Triforce reads, by name: a manifest (`sources.yaml`) and a cache of checkouts.

`fetch(name)` clones the tree's git remote into the cache folder at the pinned commit (into a
temporary folder first, then renamed into place, so an interrupted fetch leaves nothing
half-made); `resolve_source("usdasm")` turns a name given to `--source` into that checkout.
The remote can be overridden per tree (`TRIFORCE_SOURCE_URL_<NAME>`, e.g.
`TRIFORCE_SOURCE_URL_ORACLE_OF_SECRETS`, or `url=`) and the whole manifest replaced
(`$TRIFORCE_SOURCES_MANIFEST`), which is how the tests fetch from a local repository; the cache folder is `$TRIFORCE_SOURCES_DIR`, else `$XDG_CACHE_HOME/triforce/sources`,
else `~/.cache/triforce/sources`.

`missing_binaries(tree)` lists the `incbin` files an asm tree names but does not hold (the
disassemblies leave the game's graphics and data out of the repository), each with its size
computed from the address marker on its line (`#_0B8000: incbin ...`) and the next address
marker of the tree in ROM order; a `; size: 0x....` comment, where the tree has one, is
reported beside it so the two can be compared.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from triforce.errors import ConfigError, InputError, ToolNotFoundError
from triforce.fsio import read_text_bounded
from triforce.sample import Origin
from triforce.snes.asar.rom import snes_to_offset
from triforce.snes.asmsyntax import statements, strip_comment

_COMMIT = r"^[0-9a-f]{40}$"
_MAX_ASM_BYTES = 16 << 20
_FETCH_TIMEOUT_S = 1800.0
_MARKER = re.compile(r"^#_([0-9A-Fa-f]{6}):$")
_DECLARED_SIZE = re.compile(r";\s*size:\s*(?:0x|\$)([0-9A-Fa-f]+)")


class SourceTree(BaseModel):
    """One entry of the manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    url: str = Field(min_length=1)
    commit: str = Field(pattern=_COMMIT)
    license: str = Field(min_length=1)  # SPDX id, or "none"
    origin: Origin
    kind: Literal["asm", "c", "cpp"]
    mapper: Literal["lorom", "hirom"] | None = None
    description: str = Field(min_length=1)
    feeds: list[str] = Field(min_length=1)


def manifest() -> dict[str, SourceTree]:
    """Every tree of the manifest, by name: the packaged `sources.yaml`, or the file named by
    `$TRIFORCE_SOURCES_MANIFEST` (same format; a mirror's own pins, or a test's local trees)."""
    return _manifest(os.environ.get("TRIFORCE_SOURCES_MANIFEST") or "")


@cache
def _manifest(path: str) -> dict[str, SourceTree]:
    if path:
        where = path
        text = read_text_bounded(Path(path), 1 << 20)
    else:
        where = "triforce/corpus/sources.yaml"
        text = resources.files("triforce.corpus").joinpath("sources.yaml").read_text("utf-8")
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of tree names")
    out: dict[str, SourceTree] = {}
    for name, fields in data.items():
        try:
            out[str(name)] = SourceTree(name=str(name), **(fields or {}))
        except (ValidationError, TypeError) as exc:
            raise ConfigError(f"{where}: tree {name!r}: {exc}") from None
    return out


def lookup(name: str) -> SourceTree | None:
    """The tree called `name` (case and `-`/`_` aside: `Oracle_of_Secrets` names
    `oracle-of-secrets`), or None."""
    key = name.strip().lower().replace("_", "-")
    return next((t for n, t in manifest().items() if n.lower() == key), None)


def tree(name: str) -> SourceTree:
    """The tree called `name`; InputError listing the known names when there is none."""
    found = lookup(name)
    if found is None:
        raise InputError(f"{name!r}: no such source tree; known: {', '.join(manifest())}")
    return found


def cache_root() -> Path:
    """The folder the checkouts live in (see the module docstring)."""
    if env := os.environ.get("TRIFORCE_SOURCES_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "triforce" / "sources"


def checkout_path(name: str, root: Path | None = None) -> Path:
    return (root or cache_root()) / tree(name).name


def url_env(name: str) -> str:
    """The environment variable that overrides the tree's remote."""
    return "TRIFORCE_SOURCE_URL_" + re.sub(r"[^A-Z0-9]", "_", tree(name).name.upper())


def remote_url(name: str, override: str | None = None) -> str:
    return override or os.environ.get(url_env(name)) or tree(name).url


def _git() -> str:
    git = shutil.which("git")
    if git is None:
        raise ToolNotFoundError("git not found: install it to fetch source trees")
    return git


def _run_git(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        return subprocess.run(
            [_git(), *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_FETCH_TIMEOUT_S,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InputError(f"git {' '.join(args[:2])}: no answer within {_FETCH_TIMEOUT_S:.0f} s") from None


def head_commit(path: Path) -> str | None:
    """The commit checked out at `path`, or None when it is not a git checkout."""
    if not (path / ".git").exists():
        return None
    done = _run_git(["rev-parse", "HEAD"], cwd=path)
    return done.stdout.strip() if done.returncode == 0 else None


def fetch(name: str, *, url: str | None = None, root: Path | None = None) -> Path:
    """Clone the tree at its pinned commit into the cache (nothing to do when it is there)."""
    entry = tree(name)
    dest = checkout_path(entry.name, root)
    if head_commit(dest) == entry.commit:
        return dest
    source = remote_url(entry.name, url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{entry.name}.fetch-", dir=dest.parent))
    try:
        for args in (["init", "-q"], ["remote", "add", "origin", source]):
            _check(_run_git(args, cwd=work), entry.name, source)
        # one commit only where the server allows fetching by id; else the whole history
        shallow = _run_git(["fetch", "-q", "--depth", "1", "origin", entry.commit], cwd=work)
        if shallow.returncode != 0:
            _check(_run_git(["fetch", "-q", "origin"], cwd=work), entry.name, source)
        checkout = _run_git(["checkout", "-q", "--detach", entry.commit], cwd=work)
        if checkout.returncode != 0:
            raise InputError(f"{entry.name}: {source} has no commit {entry.commit} (the manifest's pin)")
        got = head_commit(work)
        if got != entry.commit:
            raise InputError(f"{entry.name}: checked out {got}, expected {entry.commit}")
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{entry.name}.old-", dir=dest.parent))
            dest.rename(old / "tree")
            work.rename(dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(dest)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return dest


def _check(done: subprocess.CompletedProcess[str], name: str, source: str) -> None:
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines()
        raise InputError(f"{name}: git failed on {source}: {why[-1] if why else f'exit {done.returncode}'}")


def resolve_source(value: Path | str, root: Path | None = None) -> Path:
    """A `--source` value: an existing path as it is; a manifest name (`usdasm`) as its fetched
    checkout; anything else unchanged (the caller reports the missing folder)."""
    path = Path(value)
    if path.exists() or len(path.parts) != 1:
        return path
    entry = lookup(str(value))
    if entry is None:
        return path
    dest = checkout_path(entry.name, root)
    commit = head_commit(dest)
    if commit is None:
        raise InputError(
            f"{str(value)!r} names the source tree {entry.name}, which is not fetched yet: "
            f"run `triforce sources fetch {entry.name}` (clones {entry.url} at {entry.commit[:10]})"
        )
    if commit != entry.commit:
        raise InputError(
            f"{dest}: holds commit {commit[:10]}, not the pinned {entry.commit[:10]}: "
            f"run `triforce sources fetch {entry.name}`"
        )
    return dest


def origin_of(value: Path | str) -> Origin | None:
    """The manifest's origin tag when `value` is a tree's name (not an existing path)."""
    path = Path(value)
    if path.exists() or len(path.parts) != 1:
        return None
    entry = lookup(str(value))
    return entry.origin if entry is not None else None


class MissingBinary(BaseModel):
    """A file an asm tree includes with `incbin` but does not hold."""

    model_config = ConfigDict(extra="forbid")

    path: str  # as written in the incbin, relative to the including file's folder
    included_from: str  # file:line
    address: int | None  # SNES address of its first byte (its line's marker), None without one
    size: int | None  # bytes up to the next address marker in ROM order; None when unknown
    declared_size: int | None = None  # the tree's own `; size:` comment, where it has one
    why_unknown: str = ""

    def to_json(self) -> dict[str, Any]:
        out = self.model_dump()
        out["address"] = f"${self.address:06X}" if self.address is not None else None
        return out


def missing_binaries(root: Path, mapper: Literal["lorom", "hirom"] = "lorom") -> list[MissingBinary]:
    """Every `incbin` of the `.asm` files under `root` whose file is absent, with its size (see
    the module docstring). Sizes come from the tree's address markers only, never from guesses."""
    markers: set[int] = set()
    found: list[tuple[str, str, int | None, int | None]] = []  # path, where, offset, declared
    files = sorted(
        p
        for p in root.rglob("*.asm")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts[:-1])
    )
    for file in files:
        text = read_text_bounded(file, _MAX_ASM_BYTES, errors="replace")
        lines = text.splitlines()
        for st in statements(text):
            offsets = [
                snes_to_offset(int(m.group(1), 16), mapper)
                for label in st.labels
                if (m := _MARKER.match(label)) is not None
            ]
            here = next((o for o in offsets if o is not None), None)
            if here is not None:
                markers.add(here)
            if st.command != "incbin":
                continue
            target = strip_comment(st.operand).strip().split(":")[0].strip().strip('"')
            if not target or (file.parent / target).is_file():
                continue
            raw = lines[st.line - 1] if 0 < st.line <= len(lines) else ""
            declared = _DECLARED_SIZE.search(raw)
            rel = file.relative_to(root).as_posix()
            found.append((target, f"{rel}:{st.line}", here, int(declared.group(1), 16) if declared else None))
    ordered = sorted(markers)
    out: list[MissingBinary] = []
    from bisect import bisect_right

    for target, where, offset, stated in found:
        if offset is None:
            out.append(
                MissingBinary(
                    path=target,
                    included_from=where,
                    address=None,
                    size=None,
                    declared_size=stated,
                    why_unknown="no address marker on its line",
                )
            )
            continue
        following = bisect_right(ordered, offset)
        size = ordered[following] - offset if following < len(ordered) else None
        out.append(
            MissingBinary(
                path=target,
                included_from=where,
                address=_snes(offset, mapper),
                size=size,
                declared_size=stated,
                why_unknown="" if size is not None else "no address marker follows it",
            )
        )
    return out


def _snes(offset: int, mapper: Literal["lorom", "hirom"]) -> int:
    from triforce.snes.asar.rom import offset_to_snes

    return offset_to_snes(offset, mapper)


def describe(name: str, root: Path | None = None, *, binaries: bool = True) -> dict[str, Any]:
    """One tree's manifest entry, where its checkout is and whether it is fetched; for a fetched
    asm tree, the binaries it leaves out (count, total bytes, each file)."""
    entry = tree(name)
    dest = checkout_path(entry.name, root)
    commit = head_commit(dest)
    row: dict[str, Any] = {
        **entry.model_dump(),
        "path": str(dest),
        "fetched": commit == entry.commit,
        "checkout_commit": commit,
        "url_override": os.environ.get(url_env(entry.name)),
    }
    if binaries and entry.kind == "asm" and commit is not None:
        missing = missing_binaries(dest, entry.mapper or "lorom")
        row["missing_binaries"] = {
            "files": len(missing),
            "bytes": sum(m.size or 0 for m in missing),
            "unknown_size": sum(1 for m in missing if m.size is None),
            "disagree_with_declared": sum(
                1 for m in missing if m.size is not None and m.declared_size not in (None, m.size)
            ),
            "list": [m.to_json() for m in missing],
        }
    return row
