"""Running a routine where the game has it: in-place subjects over the whole-tree image.

A routine of a tree that assembles as a whole (`corpus.image`) is assembled at its own address
with every label it refers to defined at the game's address (`Name = $XXXXXX`, read from the
image's symbols), and executed in the game's ROM image with its own bytes written in. Its tables,
the routines it calls, the code it falls through into are the game's; what the tree left out
(zero-filled binaries) is unknown, and a run that reads it leaves the evidence.

A variant (buggy, rewritten) shorter than the original leaves the original's tail behind it; for
a routine that falls through into the next one, that tail is filled with NOPs up to the original's
end, so the variant still runs into the routine the game has there (`pad_to`).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from triforce.corpus.image import GameImage, game_image

NOP = 0xEA
_IDENT_RE = re.compile(r"(?<![\w!.#$%])([A-Za-z_][A-Za-z0-9_]*)")
_SUBREF_RE = re.compile(r"(?<![\w)\].!])\.([A-Za-z_][A-Za-z0-9_]*)")
_LABEL_DEF_RE = re.compile(r"^\s*#?([A-Za-z_][A-Za-z0-9_]*):", re.MULTILINE)
_SUB_DEF_RE = re.compile(r"^\s*(\.+)([A-Za-z_][A-Za-z0-9_]*):?", re.MULTILINE)
_CONST_DEF_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=", re.MULTILINE)
_STRUCT_RE = re.compile(r"^\s*struct\s+([A-Za-z_]\w*)", re.MULTILINE | re.IGNORECASE)

_lock = threading.Lock()
_images: dict[tuple[str, str | None], GameImage | None] = {}
_why: dict[tuple[str, str | None], str] = {}


def image_for(root: Path | None, base_root: Path | None = None) -> GameImage | None:
    """The game image of a tree (over the image of `base_root` when given), built once per
    process and cached on disk; None when the tree does not assemble as a whole (then its
    routines run as snippets; `why_no_image` says why)."""
    if root is None:
        return None
    key = (str(Path(root).resolve()), str(Path(base_root).resolve()) if base_root else None)
    with _lock:
        if key in _images:
            return _images[key]
        try:
            base = game_image(Path(base_root)) if base_root else None
            img: GameImage | None = game_image(Path(root), base=base)
        except Exception as exc:  # a tree without a main file, or one asar refuses: snippets
            img = None
            _why[key] = str(exc)[:300]
        _images[key] = img
        return img


def why_no_image(root: Path, base_root: Path | None = None) -> str:
    key = (str(Path(root).resolve()), str(Path(base_root).resolve()) if base_root else None)
    return _why.get(key, "")


def routine_address(routine: Any, game: GameImage) -> int | None:
    """The routine's address in the image (its label, namespaced where the tree says so)."""
    names = [routine.name, routine.qualified_name]
    ns = getattr(routine, "namespace", "")
    if ns:
        names.insert(0, f"{ns}_{routine.name}")
    for name in names:
        at = game.address_of(name)
        if at is not None and game.known(at) and (at & 0xFFFF) >= 0x8000:  # code in ROM (LoROM)
            return at
    return None


def defined_names(text: str, parent: str) -> set[str]:
    """Names a text defines: labels, constants, structs, and its sublabels under `parent`."""
    names = (
        set(_LABEL_DEF_RE.findall(text)) | set(_CONST_DEF_RE.findall(text)) | set(_STRUCT_RE.findall(text))
    )
    chain: list[str] = []
    for dots, name in _SUB_DEF_RE.findall(text):
        level = len(dots)
        del chain[level - 1 :]
        chain.extend([""] * (level - 1 - len(chain)))
        chain.append(name)
        names.add("_".join([parent, *chain]))
    return names


def label_constants(prefix: str, body: str, routine: Any, game: GameImage) -> str:
    """`Name = $XXXXXX` for every name the body refers to that neither it nor the prefix defines
    and the image knows: the game's labels and constants at the game's values."""
    code = "\n".join(line.split(";", 1)[0] for line in body.splitlines())
    parent = str(routine.name)
    own = defined_names(code, parent) | defined_names(prefix, parent)
    wanted = set(_IDENT_RE.findall(code)) | {f"{parent}_{s}" for s in _SUBREF_RE.findall(code)}
    ns = getattr(routine, "namespace", "")
    lines = []
    for name in sorted(wanted - own):
        value = game.symbols.get(name)
        if value is None and ns:
            value = game.symbols.get(f"{ns}_{name}")
        if value is None:
            continue
        lines.append(f"{name} = ${int(value):06X}")
    return "\n".join(lines) + ("\n" if lines else "")


# Instructions whose absolute operand is an address in the bank DB names (reads, writes, RMW).
_DB_RELATIVE = frozenset(
    {"LDA", "LDX", "LDY", "STA", "STX", "STY", "STZ", "ADC", "SBC", "AND", "ORA", "EOR", "CMP", "CPX", "CPY"}
    | {"BIT", "TSB", "TRB", "ASL", "LSR", "ROL", "ROR", "INC", "DEC"}
)
_LITERAL_RE = re.compile(r"^\$([0-9A-Fa-f]+)$")


def db_needs(
    body: str, routine_bank: int, game: GameImage, constants: dict[str, int], parent: str = ""
) -> frozenset[str]:
    """What the body addresses through DB, with every label at the game's value: "rom" (a table in
    ROM, $8000-$FFFF), "io" (a hardware register), "wram" ($2000-$7FFF that is no register).
    Low RAM ($0000-$1FFF) reads the same through any bank a routine runs with, so it is no need.
    An operand asar assembles long (a label in another bank, `.l`) or direct page (`.b`) is none;
    the scan stops where the code sets DB itself (PLB, a block move). `parent`: the routine's
    label as the image names it, for its own `.sublabel` tables."""
    from triforce.generate.asmtext import parse
    from triforce.generate.candidate import is_io

    needs: set[str] = set()
    for st in parse(body):
        if st.kind == "insn" and st.mnemonic in ("PLB", "MVN", "MVP"):
            break  # DB is the code's own from here on
        if st.kind != "insn" or st.mnemonic not in _DB_RELATIVE or st.suffix in (".b", ".l"):
            continue
        op = st.operand.split(",", 1)[0].strip()
        if not op or op[0] in "#([" or op.upper() == "A":
            continue
        literal = _LITERAL_RE.match(op)
        if literal:
            digits = literal.group(1)
            value = int(digits, 16)
            if len(digits) <= 2 and not st.suffix:
                continue  # direct page
            if len(digits) > 4 and not st.suffix:
                continue  # long
        else:
            name = f"{parent}_{op[1:]}" if op.startswith(".") and parent else op
            found = constants.get(name, game.symbols.get(name))
            if found is None:
                continue
            value = int(found)
            if value > 0xFFFF and value >> 16 != routine_bank and st.suffix != ".w":
                continue  # asar makes it long: no DB
        low = value & 0xFFFF
        if low < 0x2000:
            continue
        needs.add("rom" if low >= 0x8000 else "io" if is_io(low) else "wram")
    return frozenset(needs)


def pad_to(result: Any, start: int, end: int) -> None:
    """Fill [the variant's end, `end`) with NOPs: a shorter variant of a routine that falls through
    then still runs into the code the game has after it. Changes `result` in place."""
    from triforce.snes.asar.result import Chunk
    from triforce.snes.asar.rom import snes_to_offset

    if not getattr(result, "ok", False) or not result.chunks:
        return
    lo, hi = snes_to_offset(start, result.mapper), snes_to_offset(end, result.mapper)
    if lo is None or hi is None:
        return
    # By file offset: a chunk may name its bytes through a bank mirror ($9E for $1E).
    last = max((c.offset + len(c.data) for c in result.chunks if lo <= c.offset < hi), default=None)
    if last is None or last >= hi:
        return
    address = start + (last - lo)
    result.chunks = [*result.chunks, Chunk(address=address, offset=last, data=bytes([NOP]) * (hi - last))]
    result._rom = None
