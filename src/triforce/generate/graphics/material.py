"""What the graphics and compression tasks work on: synthetic tiles and data made from a seed
(the bundled defaults, original by construction), or real files found in `--source` trees.

Real material: `*.2bpp`, `*.3bpp`, `*.4bpp` by their names; `*.bin` files under a folder named
like graphics (`gfx`, `graphics`, `Bosses`, `tiles`) as 4bpp when their size is a whole number of
32-byte tiles; and every whole compressed stream (`triforce.gfx.prove.find_compressed`), whose
output is a 3bpp sheet when it is 0x600 bytes. Files over 1 MiB are left alone.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from triforce.errors import InputError
from triforce.fsio import read_bytes_bounded
from triforce.gfx.prove import find_compressed
from triforce.gfx.sheets import SHEET_BYTES
from triforce.gfx.tiles import TILE_BYTES, Pixels, decode_tiles, encode_tile

MAX_FILE = 1 << 20
_GFX_DIRS = {"gfx", "graphics", "bosses", "tiles"}
_SKIP = {".git", "node_modules", "__pycache__"}


@dataclass(frozen=True)
class RealFile:
    """Tiles (or raw data) of one file of a source tree."""

    tree: str  # the source tree's name (provenance corpus)
    root: str
    path: str  # relative to the tree
    bpp: int  # 2/3/4, or 0 for data that is not known to be tiles
    data: bytes  # the tile bytes (decompressed for compressed files)
    stream: bytes = b""  # the original compressed stream, when the file is one


def find_real(roots: Sequence[Path]) -> list[RealFile]:
    """Graphics files under the source trees, in a stable order."""
    out: list[RealFile] = []
    for root in roots:
        root = Path(root)
        tree = root.name
        seen: set[str] = set()
        for s in find_compressed([root]):
            rel = os.path.relpath(s.path, root)
            if rel in seen:
                continue
            seen.add(rel)
            bpp = 3 if len(s.output) == SHEET_BYTES else 0
            out.append(RealFile(tree, str(root), rel, bpp, s.output, s.stream))
        for path in _walk(root):
            rel = os.path.relpath(path, root)
            if rel in seen:
                continue
            bpp = _bpp_of(path)
            if not bpp:
                continue
            try:
                data = read_bytes_bounded(path, MAX_FILE)
            except InputError:  # unreadable, or larger than a graphics file can be
                continue
            if data and len(data) % TILE_BYTES[bpp] == 0:
                out.append(RealFile(tree, str(root), rel, bpp, data))
    return out


def _walk(root: Path) -> Iterable[Path]:
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP)
        for name in sorted(filenames):
            yield Path(dirpath) / name


def _bpp_of(path: Path) -> int:
    suffix = path.suffix.lower()
    if suffix in (".2bpp", ".3bpp", ".4bpp"):
        return int(suffix[1])
    if suffix == ".bin" and any(part.lower() in _GFX_DIRS for part in path.parts[:-1]):
        return 4
    return 0


def real_tiles(f: RealFile) -> list[tuple[int, Pixels]]:
    """(index, pixels) of the file's tiles that are not blank, duplicates left out."""
    if not f.bpp:
        return []
    out: list[tuple[int, Pixels]] = []
    seen: set[bytes] = set()
    size = TILE_BYTES[f.bpp]
    for i, tile in enumerate(decode_tiles(f.data, f.bpp)):
        raw = f.data[i * size : (i + 1) * size]
        if raw in seen or not any(raw):
            continue
        seen.add(raw)
        out.append((i, tile))
    return out


# -- synthetic material ------------------------------------------------------------------------


def synthetic_tile(rng: random.Random, bpp: int) -> Pixels:
    """An 8x8 tile of a few colours in a shape people draw: bands, checks, boxes, blobs,
    diagonals, gradients or speckle."""
    top = (1 << bpp) - 1
    colours = [rng.randrange(1, top + 1) for _ in range(4)]
    bg = rng.choice((0, 0, 0, colours[3]))
    kind = rng.randrange(8)
    band, check = rng.choice((1, 2)), 1 << rng.randrange(3)
    tile = [[bg] * 8 for _ in range(8)]
    for r in range(8):
        for x in range(8):
            if kind == 0:  # bands
                tile[r][x] = colours[(r // band) % 3]
            elif kind == 1:  # checks
                tile[r][x] = colours[0] if ((r // check) + (x // check)) % 2 else colours[1]
            elif kind == 2:  # box
                edge = r in (0, 7) or x in (0, 7)
                tile[r][x] = colours[0] if edge else (colours[1] if 2 <= r <= 5 and 2 <= x <= 5 else bg)
            elif kind == 3:  # diagonal
                tile[r][x] = colours[(r + x) % 2] if abs(r - x) <= 1 else bg
            elif kind == 4:  # gradient
                tile[r][x] = min(top, max(0, colours[0] + (x * (top - colours[0])) // 8))
            elif kind == 5:  # speckle
                tile[r][x] = rng.choice([*colours[:3], bg]) if rng.random() < 0.4 else bg
    if kind == 6:  # a symmetric blob, like a sprite part
        for r in range(8):
            for x in range(4):
                if (r - 3.5) ** 2 + (x - 3.5) ** 2 < rng.choice((10, 12, 14)):
                    c = colours[0] if x > 0 and 0 < r < 7 else colours[1]
                    tile[r][x] = tile[r][7 - x] = c
    elif kind == 7:  # random noise (the hardest case)
        tile = [[rng.randrange(top + 1) for _ in range(8)] for _ in range(8)]
    return tile


def synthetic_data(rng: random.Random, size: int) -> bytes:
    """Bytes shaped like what ALTTP compresses: tiles, tilemap words, runs, repeats, ramps."""
    out = bytearray()
    while len(out) < size:
        roll = rng.random()
        if roll < 0.25:
            out += encode_tile(synthetic_tile(rng, 3), 3)
        elif roll < 0.4:
            word = rng.randrange(0x400) | rng.randrange(8) << 10
            out += word.to_bytes(2, "little") * rng.randrange(1, 12)
        elif roll < 0.6:
            out += bytes([rng.choice((0, 0xFF, rng.randrange(256)))]) * rng.randrange(2, 40)
        elif roll < 0.75 and out:
            at = rng.randrange(len(out))
            out += out[at : at + rng.randrange(3, 48)]
        elif roll < 0.85:
            v = rng.randrange(256)
            out += bytes((v + k) & 0xFF for k in range(rng.randrange(2, 24)))
        else:
            out += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12)))
    return bytes(out[:size])
