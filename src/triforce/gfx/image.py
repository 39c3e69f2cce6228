"""Pictures: indexed PNG <-> tiles + palette, and palette swatches (Pillow).

An indexed ("P" mode) PNG maps one-to-one onto SNES data: pixel values are colour indices and
the PNG palette holds the colours. Colours go to BGR555 by their top five bits
(`palette.rgb_to_bgr555`) and come back by a chosen 5->8 reading (`palette.SCALES`), so a
round trip through a PNG keeps every 15-bit colour. Files are read with a size bound and the
image size is checked before the pixels are decoded.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from triforce.errors import InputError
from triforce.fsio import read_bytes_bounded, write_bytes_atomic
from triforce.gfx.palette import Scale, bgr555_to_rgb, rgb_to_bgr555
from triforce.gfx.tiles import Pixels, grid_to_tiles, tiles_to_grid

MAX_FILE_BYTES = 16 << 20
MAX_PIXELS = 4096 * 4096


def tiles_to_image(
    tiles: Sequence[Pixels], palette: Sequence[int], width: int = 16, scale: Scale = "replicate"
) -> Image.Image:
    """An indexed image, `width` tiles wide, whose palette is `palette` (BGR555 words)."""
    if not tiles:
        raise InputError("no tiles to draw")
    grid = tiles_to_grid(tiles, min(width, len(tiles)))
    top = max(max(row) for row in grid)
    if top >= max(len(palette), 1) or len(palette) > 256:
        raise InputError(f"the tiles use colour {top} but the palette has {len(palette)} colours (max 256)")
    img = Image.frombytes("P", (len(grid[0]), len(grid)), bytes(c for row in grid for c in row))
    flat = [v for w in palette for v in bgr555_to_rgb(w, scale)]
    img.putpalette(flat, rawmode="RGB")
    return img


def image_to_tiles(img: Image.Image) -> tuple[list[Pixels], list[int]]:
    """(tiles row by row, palette as BGR555 words) of an indexed image whose sides are
    multiples of 8; the palette is as long as the highest index used, plus one."""
    if img.mode != "P":
        raise InputError(f"an indexed (palette) PNG is needed, this one is {img.mode}; convert it first")
    w, h = img.size
    if w % 8 or h % 8:
        raise InputError(f"the picture is {w}x{h}; tiles need both sides to be multiples of 8")
    values = list(img.tobytes())  # one byte per pixel in P mode
    grid = [values[y * w : (y + 1) * w] for y in range(h)]
    used = max(values) + 1 if values else 1
    raw = img.getpalette("RGB") or []
    if len(raw) < 3 * used:
        raise InputError(f"the picture uses colour {used - 1} but its palette has {len(raw) // 3} colours")
    palette = [rgb_to_bgr555(*raw[3 * i : 3 * i + 3]) for i in range(used)]
    return grid_to_tiles(grid), palette


def palette_swatch(
    palette: Sequence[int], columns: int = 16, cell: int = 16, scale: Scale = "replicate"
) -> Image.Image:
    """An RGB picture of the colours, `columns` per row, `cell` pixels square each."""
    if not palette:
        raise InputError("no colours to draw")
    rows = -(-len(palette) // columns)
    img = Image.new("RGB", (columns * cell, rows * cell))
    for i, word in enumerate(palette):
        y, x = divmod(i, columns)
        img.paste(bgr555_to_rgb(word, scale), (x * cell, y * cell, (x + 1) * cell, (y + 1) * cell))
    return img


def read_image(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Image.Image:
    """Open a picture with a bound on the file and on the pixel count; errors name the file."""
    data = read_bytes_bounded(path, max_bytes)
    try:
        img = Image.open(io.BytesIO(data))
        w, h = img.size
        if w * h > MAX_PIXELS:
            raise InputError(f"{path}: {w}x{h} pixels is more than {MAX_PIXELS}")
        img.load()
    except InputError:
        raise
    except Exception as exc:  # Pillow raises many types for a bad file
        raise InputError(f"{path}: not a picture Pillow can read ({exc})") from exc
    return img


def write_png(path: Path, img: Image.Image) -> None:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    write_bytes_atomic(path, buf.getvalue())
