"""The game as a model: a whole asar tree assembled into one ROM image, every label in place.

A routine's evidence is only true of the game when the routine runs where the game has it: its
tables at their addresses, the code it falls through into, the routines it calls by address.
`game_image(tree)` assembles the tree's main file with the real asar (sandboxed) into a ROM image
and keeps its symbol table. What the tree leaves out is never invented:

- a binary the tree `incbin`s but does not hold (usdasm's graphics `bin/`) is zero-filled at the
  size its address markers give (`sources.missing_binaries`), and its ROM range is *unknown*: a run
  that reads it is flagged by the caller, never trusted;
- a hack that patches the vanilla game (Oracle of Secrets) is assembled over the image of a base
  tree (`base=`), so its calls into vanilla code by literal address reach vanilla code.

asarmon's `pool NAME` (sublabels shared by a routine and the data before it, used by usdasm and
jpdasm) is not standard asar: a pool section is rewritten into plain labels `NAME_sub` before
assembly, which is what asarmon itself names them.

Images are cached on disk by the digest of the tree's sources (and the base's), so a build
assembles each tree once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triforce.errors import InputError
from triforce.fsio import read_bytes_bounded, read_text_bounded, write_bytes_atomic, write_text_atomic

_MAX_ASM_BYTES = 16 << 20
_MAX_TREE_FILES = 20_000
IMAGE_TIMEOUT_S = 300.0
MAX_SKIPPED_FILES = 8
_BANK_BYTES = 0x8000  # LoROM: a ROM image is a whole number of 32 KiB banks
_MAX_OUTPUT_BYTES = 64 << 20  # asar warns on thousands of lines of a whole disassembly
_SPC_RE = re.compile(r"^\s*arch\s+spc700", re.IGNORECASE | re.MULTILINE)
_MARKER_RE = re.compile(r"^#_([0-9A-Fa-f]{6}):", re.MULTILINE)
#: The largest image a tree may produce (asar's own limit for LoROM with expansion).
MAX_IMAGE_BYTES = 8 << 20
_POOL_RE = re.compile(r"^\s*pool\s+(.+?)\s*$", re.IGNORECASE)
_SUB_DEF_RE = re.compile(r"^(\s*)(\.+)([A-Za-z0-9_]+)(:?)", re.MULTILINE)
# A sublabel reference inside an operand: `.name` not preceded by a word character, `)` or `]`
# (that would be a size suffix such as `LDA.b` or a struct field).
_SUB_REF_RE = re.compile(r"(?<![\w)\].!])\.([A-Za-z_][A-Za-z0-9_]*)")
_GLOBAL_DEF_RE = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*:")
_MAIN_NAMES = ("main.asm",)


@dataclass(frozen=True)
class GameImage:
    """A tree assembled whole: the ROM image, its symbols and the ranges nobody knows."""

    name: str
    root: Path
    main: str  # the main file, relative to root
    rom: bytes = field(repr=False)
    symbols: dict[str, int] = field(repr=False)  # every label and constant asar reports, name -> value
    unknown: tuple[tuple[int, int], ...] = ()  # file offsets [start, end) zero-filled by us
    mapper: str = "lorom"
    base: str | None = None  # the base tree this one was assembled over
    digest: str = ""
    #: Files of the tree the standard asar cannot assemble as the tree's own assembler did (usdasm's
    #: SPC700 engine under asarmon): their bytes are skipped and their range is unknown.
    skipped: tuple[tuple[str, str], ...] = ()
    _starts: list[int] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._starts.extend(lo for lo, _ in self.unknown)

    def known_offset(self, offset: int) -> bool:
        """Whether the byte at this file offset is the game's (not a zero we filled in)."""
        i = bisect_right(self._starts, offset) - 1
        return not (i >= 0 and offset < self.unknown[i][1]) and 0 <= offset < len(self.rom)

    def known(self, address: int) -> bool:
        """Whether the ROM byte at this SNES address is the game's."""
        from triforce.snes.asar.rom import snes_to_offset

        offset = snes_to_offset(address, self.mapper)  # type: ignore[arg-type]
        return offset is not None and self.known_offset(offset)

    def address_of(self, name: str) -> int | None:
        value = self.symbols.get(name)
        return int(value) if value is not None else None


def find_main(root: Path) -> Path:
    """The tree's main file: `main.asm`, else `*_main.asm`, else the one `.asm` no other file
    includes that includes the most others."""
    for name in _MAIN_NAMES:
        if (root / name).is_file():
            return root / name
    mains = sorted(root.glob("*_main.asm"))
    if len(mains) == 1:
        return mains[0]
    tops = sorted(p for p in root.glob("*.asm") if p.is_file())
    if not tops:
        raise InputError(f"{root}: no .asm file at the top of the tree to assemble")
    included: set[str] = set()
    counts: dict[Path, int] = {}
    for p in tops:
        text = read_text_bounded(p, _MAX_ASM_BYTES, errors="replace")
        names = re.findall(r'^\s*incsrc\s+"?([^"\s;]+)', text, re.MULTILINE | re.IGNORECASE)
        counts[p] = len(names)
        included.update(Path(n).name for n in names)
    candidates = [p for p in tops if p.name not in included and counts[p]]
    if not candidates:
        raise InputError(f"{root}: no main file (a top-level .asm that includes the others)")
    return max(candidates, key=lambda p: (counts[p], p.name))


def unpool(text: str) -> str:
    """asarmon's `pool NAME [NAME2]` ... `pool off` sections as standard asar: every sublabel the
    section defines becomes `NAME_sub:` (and `NAME2_sub:`), every `.sub` it refers to `NAME_sub`.
    A section ends at `pool off` or at the next global label (the routine the pool belongs to)."""
    out: list[str] = []
    parents: list[str] | None = None
    for line in text.split("\n"):
        code = line.split(";", 1)[0]
        m = _POOL_RE.match(code)
        if m:
            names = m.group(1).split()
            parents = None if names[0].lower() == "off" else names
            out.append("; " + line.strip())
            continue
        if parents is not None and _GLOBAL_DEF_RE.match(code):
            parents = None  # a routine's own label ends the pool, as in asarmon
        if parents is None:
            out.append(line)
            continue
        out.append(_unpool_line(line, parents))
    return "\n".join(out)


def _unpool_line(line: str, parents: list[str]) -> str:
    code, sep, comment = line.partition(";")
    d = _SUB_DEF_RE.match(code)
    head = ""
    if d:
        name = d.group(3)
        head = d.group(1) + " ".join(f"{p}_{name}:" for p in parents) + " "
        code = code[d.end() :]
    code = _SUB_REF_RE.sub(lambda r: f"{parents[0]}_{r.group(1)}", code)
    return head + code + sep + comment


def _tree_files(root: Path) -> list[Path]:
    files = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue
        files.append(p)
        if len(files) > _MAX_TREE_FILES:
            raise InputError(f"{root}: more than {_MAX_TREE_FILES} files; not an asm tree")
    return files


def tree_digest(root: Path, base: GameImage | None = None) -> str:
    """sha256 over the tree's `.asm` sources and its binaries' sizes (and the base image's digest)."""
    h = hashlib.sha256(b"triforce-game-image-1\0")
    for p in _tree_files(root):
        rel = p.relative_to(root).as_posix()
        h.update(rel.encode() + b"\0")
        if p.suffix.lower() in (".asm", ".inc", ".s"):
            h.update(read_bytes_bounded(p, _MAX_ASM_BYTES))
        else:
            h.update(str(p.stat().st_size).encode())
    if base is not None:
        h.update(b"base\0" + base.digest.encode())
    return h.hexdigest()


def image_cache_root() -> Path:
    if env := os.environ.get("TRIFORCE_IMAGE_CACHE"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "triforce" / "images"


def _prepare(root: Path, dest: Path, mapper: str) -> list[tuple[int, int]]:
    """A copy of the tree asar can assemble: pools rewritten, missing binaries zero-filled.
    Returns the file-offset ranges of the zero-filled binaries."""
    from triforce.corpus.sources import missing_binaries
    from triforce.snes.asar.rom import snes_to_offset

    for p in _tree_files(root):
        rel = p.relative_to(root)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if p.suffix.lower() == ".asm":
            target.write_text(
                unpool(read_text_bounded(p, _MAX_ASM_BYTES, errors="replace")), encoding="utf-8"
            )
        else:
            shutil.copyfile(p, target)  # a copy: the sandbox refuses links out of its folder
    unknown: list[tuple[int, int]] = []
    for miss in missing_binaries(root, mapper):  # type: ignore[arg-type]
        if miss.size is None or miss.address is None:
            continue  # asar names the file when it needs it; the error says which
        where = dest / Path(miss.included_from.rsplit(":", 1)[0]).parent / miss.path
        if where.exists():
            continue
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_bytes(bytes(miss.size))
        offset = snes_to_offset(miss.address, mapper)  # type: ignore[arg-type]
        if offset is not None:
            unknown.append((offset, offset + miss.size))
    return sorted(unknown)


def game_image(
    root: Path,
    *,
    base: GameImage | None = None,
    main: Path | None = None,
    cache: Path | None = None,
    mapper: str = "lorom",
) -> GameImage:
    """The tree assembled whole (see the module docstring), from the cache when it is there.

    Raises InputError naming asar's first errors when the tree does not assemble."""
    root = Path(root).resolve()
    main = (main or find_main(root)).resolve()
    digest = tree_digest(root, base)
    folder = (cache or image_cache_root()) / f"{root.name}-{digest[:20]}"
    cached = _load(folder, root, base)
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="tf-image-") as tmp:
        work = Path(tmp) / "tree"
        unknown = _prepare(root, work, mapper)
        rel_main = main.relative_to(root).as_posix()
        # Under a name of its own: the sandbox's wrapper file is itself called main.asm.
        entry = work / main.relative_to(root).parent / f"tf_whole_{main.name}"
        shutil.copyfile(work / rel_main, entry)
        skipped: dict[str, str] = {}
        for _ in range(MAX_SKIPPED_FILES + 1):
            result = _assemble_whole(entry.relative_to(work).as_posix(), work, base, mapper)
            if result.ok:
                break
            if _drop_failed_asserts(result.errors, work, skipped):
                continue
            bad = _skippable(result.errors, work, skipped)
            if not bad:
                errors = "; ".join(d.brief() for d in result.errors[:3])
                raise InputError(f"{root}: the tree does not assemble as a whole ({rel_main}): {errors}")
            for rel, why in bad.items():
                span = _marker_span(work, rel, mapper)
                if span is None:
                    raise InputError(
                        f"{root}: {rel} does not assemble with asar ({why}) and has no address markers "
                        "to leave its bytes out by"
                    )
                (work / rel).write_text(f"skip {span[1] - span[0]}\n", encoding="utf-8")
                unknown.append(span)
                skipped[rel] = why
        else:
            raise InputError(f"{root}: more than {MAX_SKIPPED_FILES} files do not assemble with asar")
        rom = result.rom
    if len(rom) % _BANK_BYTES:  # asar grew the image to what the tree wrote; a ROM is whole banks
        pad = _BANK_BYTES - len(rom) % _BANK_BYTES
        unknown.append((len(rom), len(rom) + pad))
        rom = rom + bytes(pad)
    if base is not None:
        unknown += base.unknown
    unknown = _merged(unknown)
    image = GameImage(
        name=root.name,
        root=root,
        main=rel_main,
        rom=bytes(rom),
        symbols=dict(result.symbols),
        unknown=tuple(unknown),
        mapper=mapper,
        base=base.name if base is not None else None,
        digest=digest,
        skipped=tuple(sorted(skipped.items())),
    )
    _store(folder, image)
    return image


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching [start, end) ranges joined, in order."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _assemble_whole(entry: str, work: Path, base: GameImage | None, mapper: str) -> Any:
    from triforce.snes.asar import SandboxLimits, assemble

    size = max(len(base.rom), 0x100000) if base is not None else 0x100000
    return assemble(
        f'incsrc "{entry}"\n',
        org=None,
        mapper=mapper,
        rom_size=size,
        base_rom=base.rom if base is not None else None,
        include_root=work,
        limits=SandboxLimits(
            timeout_s=IMAGE_TIMEOUT_S,
            file_bytes=_MAX_OUTPUT_BYTES,  # the symbol file maps every line of the tree
            max_source_bytes=_MAX_ASM_BYTES,
            max_include_depth=32,
            output_bytes=_MAX_OUTPUT_BYTES,
            memory_bytes=4 << 30,
        ),
        filename="main.asm",
    )


def _tree_file(name: str | None, work: Path) -> str | None:
    """The tree file (relative to `work`) a diagnostic names; asar's `print` output without a
    newline can run into the name, so an absolute path of `work` inside it is looked for too."""
    if not name:
        return None
    if (work / name).is_file() and not Path(name).is_absolute():
        return Path(name).as_posix()
    prefix = str(work.resolve()) + "/"
    at = name.find(prefix)
    if at < 0:
        at, prefix = name.find(str(work) + "/"), str(work) + "/"
    if at >= 0 and (work / name[at + len(prefix) :]).is_file():
        return name[at + len(prefix) :]
    return None


def _drop_failed_asserts(errors: list[Any], work: Path, skipped: dict[str, str]) -> bool:
    """When every error is a failed `assert` of the tree (a hack checking the ROM it was made
    for, e.g. Oracle of Secrets on its ZScream-edited base), comment those asserts out and keep
    them in `skipped`: the image is then the hack over the base tree we have, as the caller asked."""
    if not errors or any(d.code != "Eassertion_failed" or not d.file or not d.line for d in errors):
        return False
    for d in errors:
        rel = _tree_file(d.file, work)
        if rel is None:
            return False
        path = work / rel
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
        if not lines[d.line - 1].lstrip().lower().startswith("assert"):
            return False
        lines[d.line - 1] = "; " + lines[d.line - 1]
        path.write_text("\n".join(lines), encoding="utf-8")
        skipped[f"{rel}:{d.line}"] = d.brief()
    return True


def _skippable(errors: list[Any], work: Path, done: dict[str, str]) -> dict[str, str]:
    """The tree files asar's errors are in (file -> first error), when every error is in a file
    of SPC700 code (the sound engine, data to the 65816: usdasm's assembles differently under the
    standard asar than under asarmon); an error in 65816 code is the tree's own."""
    out: dict[str, str] = {}
    for d in errors:
        rel = _tree_file(d.file, work)
        if rel is None or rel in done or rel.startswith("tf_whole_"):
            return {}
        text = read_text_bounded(work / rel, _MAX_ASM_BYTES, errors="replace")
        if not _SPC_RE.search(text):  # 65816 code that does not assemble is the tree's error
            return {}
        out.setdefault(rel, d.brief())
    return out


def _marker_span(work: Path, rel: str, mapper: str) -> tuple[int, int] | None:
    """File offsets [first marker of `rel`, first marker after its last) in the whole tree."""
    from triforce.snes.asar.rom import snes_to_offset

    def offsets(path: Path) -> list[int]:
        text = read_text_bounded(path, _MAX_ASM_BYTES, errors="replace")
        found = (snes_to_offset(int(h, 16), mapper) for h in _MARKER_RE.findall(text))  # type: ignore[arg-type]
        return [o for o in found if o is not None]

    own = offsets(work / rel)
    if not own:
        return None
    lo, hi = min(own), max(own)
    after = [
        o for p in work.rglob("*.asm") if p.relative_to(work).as_posix() != rel for o in offsets(p) if o > hi
    ]
    if not after:
        return None
    return lo, min(after)


def _store(folder: Path, image: GameImage) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(folder / "rom.sfc", image.rom)
    meta = {
        "name": image.name,
        "main": image.main,
        "mapper": image.mapper,
        "base": image.base,
        "digest": image.digest,
        "unknown": [list(r) for r in image.unknown],
        "symbols": image.symbols,
        "skipped": [list(x) for x in image.skipped],
    }
    write_text_atomic(folder / "image.json", json.dumps(meta, sort_keys=True))


def _load(folder: Path, root: Path, base: GameImage | None) -> GameImage | None:
    meta_path, rom_path = folder / "image.json", folder / "rom.sfc"
    if not (meta_path.is_file() and rom_path.is_file()):
        return None
    try:
        meta = json.loads(read_text_bounded(meta_path, 64 << 20))
        rom = read_bytes_bounded(rom_path, MAX_IMAGE_BYTES)
        return GameImage(
            name=str(meta["name"]),
            root=root,
            main=str(meta["main"]),
            rom=rom,
            symbols={str(k): int(v) for k, v in meta["symbols"].items()},
            unknown=tuple((int(a), int(b)) for a, b in meta["unknown"]),
            mapper=str(meta["mapper"]),
            base=meta.get("base"),
            digest=str(meta["digest"]),
            skipped=tuple((str(a), str(b)) for a, b in meta.get("skipped", [])),
        )
    except (OSError, ValueError, KeyError, TypeError):
        shutil.rmtree(folder, ignore_errors=True)  # a damaged cache entry is rebuilt
        return None
