"""`triforce gfx ...` (tiles, palettes, OAM, the proof against the game) and `triforce lz ...`
(the game's compression): thin commands over `triforce.gfx` and `triforce.compress`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from triforce.cli._progress import stage_bar
from triforce.cli._tables import Table
from triforce.compress import MODES, VARIANTS, compress, parse_stream
from triforce.compress.explain import format_table
from triforce.errors import InputError
from triforce.fsio import read_bytes_bounded, write_bytes_atomic, write_json_atomic
from triforce.gfx.image import image_to_tiles, palette_swatch, read_image, tiles_to_image, write_png
from triforce.gfx.oam import OAM_BYTES, OamEntry, high_table_slot, unpack_oam
from triforce.gfx.palette import (
    SCALES,
    bgr555_to_rgb,
    cgram_byte,
    cgram_location,
    components,
    decode_palette,
    encode_palette,
    rgb_to_bgr555,
)
from triforce.gfx.sheets import check_expansion, contract_4bpp, expand_3bpp
from triforce.gfx.text import format_tiles
from triforce.gfx.tilemap import TilemapEntry
from triforce.gfx.tiles import BPPS, TILE_BYTES, check_bpp, decode_tiles, encode_tiles
from triforce.snes.machine import parse_number

gfx_app = typer.Typer(
    help="SNES graphics: tiles, palettes, OAM, PNG, and the proof against the game.", no_args_is_help=True
)
lz_app = typer.Typer(
    help="ALTTP's compression format (LC_LZ2 family): decompress, compress, explain.", no_args_is_help=True
)

MAX_INPUT = 16 << 20  # bytes read from any input file
_out = Console()
_JSON = typer.Option(False, "--json", help="Print JSON.")


def _number(text: str, what: str) -> int:
    try:
        return parse_number(text, what)
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def _slice(path: Path, offset: str, length: int | None) -> bytes:
    data = read_bytes_bounded(path, MAX_INPUT)
    start = _number(offset, "--offset")
    if start > len(data):
        raise InputError(f"{path}: --offset {start} is past the end ({len(data)} bytes)")
    return data[start : start + length] if length is not None else data[start:]


def _default_palette(bpp: int) -> list[int]:
    """A grey ramp of 2**bpp colours (up to 256) for pictures without a palette file."""
    n = min(1 << bpp, 256)
    return [rgb_to_bgr555(*(round(255 * i / (n - 1)),) * 3) for i in range(n)]


def _palette_file(path: Path | None, bpp: int) -> list[int]:
    if path is None:
        return _default_palette(bpp)
    words = decode_palette(read_bytes_bounded(path, 512), strict=False)
    return words + _default_palette(bpp)[len(words) :] if len(words) < (1 << min(bpp, 8)) else words


# -- gfx ---------------------------------------------------------------------------------------


@gfx_app.command("decode")
def decode_cmd(
    file: Path = typer.Argument(..., help="Tile data (raw bytes)."),
    bpp: int = typer.Option(
        4, "--bpp", min=2, max=8, help=f"Bits per pixel: {', '.join(map(str, BPPS))} (3 = ALTTP 3bpp)."
    ),
    offset: str = typer.Option("0", "--offset", help="Start offset in the file (18, $12 or 0x12)."),
    count: int | None = typer.Option(None, "--count", "-n", min=1, help="Tiles to read (default: all)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write an indexed PNG here."),
    palette: Path | None = typer.Option(None, "--palette", help="BGR555 palette file (default: grey ramp)."),
    width: int = typer.Option(16, "--width", min=1, help="Tiles per row in the PNG."),
    as_json: bool = _JSON,
) -> None:
    """Tile bytes to pixels: an indexed PNG with --out, else the colour indices as text."""
    check_bpp(bpp)
    size = TILE_BYTES[bpp]
    data = _slice(file, offset, count * size if count else None)
    data = data[: len(data) - len(data) % size]
    tiles = decode_tiles(data, bpp)
    if out is not None:
        write_png(out, tiles_to_image(tiles, _palette_file(palette, bpp), width))
    if as_json:
        typer.echo(json.dumps({"bpp": bpp, "tiles": tiles, "png": str(out) if out else None}))
    elif out is not None:
        _out.print(f"{len(tiles)} {bpp}bpp tiles -> {out}")
    else:
        typer.echo(format_tiles(tiles, bpp))


@gfx_app.command("encode")
def encode_cmd(
    image: Path = typer.Argument(..., help="Indexed (palette) PNG, sides multiples of 8."),
    bpp: int = typer.Option(4, "--bpp", min=2, max=8, help="Bits per pixel of the tiles written."),
    out: Path = typer.Option(..., "--out", "-o", help="Tile bytes file to write."),
    palette_out: Path | None = typer.Option(
        None, "--palette-out", help="Also write the PNG's palette as BGR555."
    ),
    as_json: bool = _JSON,
) -> None:
    """Indexed PNG to tile bytes (row by row, 8x8 tiles), and its palette as BGR555 words."""
    check_bpp(bpp)
    tiles, palette = image_to_tiles(read_image(image))
    data = encode_tiles(tiles, bpp)
    write_bytes_atomic(out, data)
    if palette_out is not None:
        write_bytes_atomic(palette_out, encode_palette(palette))
    result = {"tiles": len(tiles), "bytes": len(data), "colours": len(palette), "out": str(out)}
    if as_json:
        typer.echo(json.dumps(result))
    else:
        _out.print(f"{len(tiles)} tiles -> {out} ({len(data)} bytes of {bpp}bpp); {len(palette)} colours")


@gfx_app.command("convert")
def convert_cmd(
    file: Path = typer.Argument(..., help="Tile data."),
    source_bpp: int = typer.Option(
        ..., "--from", min=2, max=8, help="Bits per pixel of the input (3 = ALTTP 3bpp)."
    ),
    target_bpp: int = typer.Option(..., "--to", min=2, max=8, help="Bits per pixel to write."),
    expansion: str | None = typer.Option(
        None, "--expand", help="3bpp -> 4bpp the game's way: low (Do3To4Low) or high (Do3To4High)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="File to write."),
    as_json: bool = _JSON,
) -> None:
    """Re-encode tiles in another format. 3->4 with --expand does what the game's loader does;
    4->3 takes back such an expansion; otherwise every colour index must fit the new format."""
    check_bpp(source_bpp)
    check_bpp(target_bpp)
    data = read_bytes_bounded(file, MAX_INPUT)
    how = "re-encoded"
    if expansion is not None:
        if (source_bpp, target_bpp) != (3, 4):
            raise InputError("--expand converts ALTTP 3bpp to 4bpp: use --from 3 --to 4")
        result = expand_3bpp(data, check_expansion(expansion))
        how = f"expanded ({expansion})"
    elif (source_bpp, target_bpp) == (4, 3):
        result, mode = contract_4bpp(data)
        how = f"contracted (it was a {mode} expansion)"
    else:
        result = encode_tiles(decode_tiles(data, source_bpp), target_bpp)
    write_bytes_atomic(out, result)
    info = {"tiles": len(data) // TILE_BYTES[source_bpp], "bytes": len(result), "how": how, "out": str(out)}
    if as_json:
        typer.echo(json.dumps(info))
    else:
        _out.print(
            f"{info['tiles']} tiles {how}: {source_bpp}bpp -> {target_bpp}bpp, {len(result)} bytes -> {out}"
        )


@gfx_app.command("palette")
def palette_cmd(
    file: Path | None = typer.Argument(None, help="BGR555 palette file (little-endian words)."),
    rgb: list[str] = typer.Option([], "--rgb", help="An 8-bit colour: 248,160,0 or #F8A000 (repeatable)."),
    word: list[str] = typer.Option([], "--word", help="A BGR555 word: $029F (repeatable)."),
    row: int | None = typer.Option(None, "--row", min=0, max=15, help="CGRAM row the colours load into."),
    first: int = typer.Option(0, "--first", min=0, max=15, help="CGRAM column of the first colour."),
    swatch: Path | None = typer.Option(None, "--swatch", help="Write a PNG swatch of the colours."),
    as_json: bool = _JSON,
) -> None:
    """Colours as BGR555 words, 8-bit RGB (x8 and replicate in the table; --json adds yaze's
    reading) and, with --row, where each lands in CGRAM and in ALTTP's $7EC500 buffer."""
    words = decode_palette(read_bytes_bounded(file, 512), strict=False) if file is not None else []
    words += [_rgb_word(text) for text in rgb]
    words += [_number(text, "--word") for text in word]
    if not words:
        raise InputError("give a palette file, --rgb or --word")
    rows = []
    for i, w in enumerate(words):
        if not 0 <= w <= 0x7FFF:
            raise InputError(f"${w:X} is not a BGR555 colour (bit 15 must be clear)")
        entry: dict[str, Any] = {"word": f"${w:04X}", "bgr555": list(components(w))}
        entry.update({scale: list(bgr555_to_rgb(w, scale)) for scale in SCALES})  # type: ignore[arg-type]
        if row is not None:
            index = 16 * row + first + i
            if index < 256:
                r, c = cgram_location(index)
                entry.update({"cgram_index": index, "buffer_address": f"${0x7EC500 + cgram_byte(r, c):06X}"})
        rows.append(entry)
    if swatch is not None:
        write_png(swatch, palette_swatch(words))
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table(title="colours")
    for col in (
        "#",
        "word",
        "5-bit RGB",
        "x8",
        "replicate",
        *(["CGRAM", "$7EC500+"] if row is not None else []),
    ):
        table.add_column(col)
    for i, e in enumerate(rows):
        cells = [str(i), e["word"], _triple(e["bgr555"]), _hex(e["x8"]), _hex(e["replicate"])]
        if row is not None:
            cells += [str(e.get("cgram_index", "-")), e.get("buffer_address", "-")]
        table.add_row(*cells)
    _out.print(table)


def _triple(values: list[int]) -> str:
    return ",".join(str(v) for v in values)


def _hex(rgb: list[int]) -> str:
    return "#" + "".join(f"{v:02X}" for v in rgb)


def _rgb_word(text: str) -> int:
    t = text.strip().lstrip("#")
    try:
        parts = [int(v) for v in t.split(",")] if "," in t else [int(t[i : i + 2], 16) for i in (0, 2, 4)]
    except ValueError:
        parts = []
    if len(parts) != 3 or (len(t) != 6 and "," not in t):
        raise InputError(f"--rgb {text!r}: write 248,160,0 or #F8A000")
    return rgb_to_bgr555(*parts)


@gfx_app.command("oam")
def oam_cmd(
    file: Path | None = typer.Argument(None, help="A 544-byte OAM dump to list."),
    compose: str | None = typer.Option(
        None, "--compose", help="x=300,y=100,tile=0x1A5,palette=6,priority=2,hflip,vflip,large"
    ),
    explain: str | None = typer.Option(None, "--explain", help="Low bytes and high bits: '2C 64 A5 AD:3'."),
    index: int = typer.Option(0, "--index", min=0, max=127, help="The entry's OAM index."),
    show_all: bool = typer.Option(False, "--all", help="List hidden entries (Y >= $E0) too."),
    as_json: bool = _JSON,
) -> None:
    """Compose one OAM entry (4 low-table bytes + 2 high-table bits), explain one, or list a dump."""
    if compose is not None:
        e = _entry_from(compose)
        offset, shift = high_table_slot(index)
        result = {
            "index": index,
            "low_bytes": e.low_bytes().hex(" ").upper(),
            "high_bits": e.high_bits(),
            "high_table_byte": offset,
            "high_table_shift": shift,
            **e.fields(),
        }
        typer.echo(json.dumps(result) if as_json else "\n".join(f"{k}: {v}" for k, v in result.items()))
        return
    if explain is not None:
        low_text, _, high_text = explain.partition(":")
        try:
            low = bytes.fromhex(low_text.replace("$", "").replace(",", " "))
        except ValueError as exc:
            raise InputError(f"--explain {explain!r}: the low bytes are not hex") from exc
        e = OamEntry.from_bytes(low, _number(high_text or "0", "high bits"))
        result = {**e.fields(), "screen_x": e.screen_x(), "cgram_row": 8 + e.palette}
        typer.echo(json.dumps(result) if as_json else "\n".join(f"{k}: {v}" for k, v in result.items()))
        return
    if file is None:
        raise InputError("give an OAM dump, --compose or --explain")
    entries = unpack_oam(read_bytes_bounded(file, OAM_BYTES))
    shown = [(i, e) for i, e in enumerate(entries) if show_all or e.y < 0xE0]
    if as_json:
        typer.echo(json.dumps([{"index": i, **e.fields()} for i, e in shown]))
        return
    table = Table(title=f"{file.name}: {len(shown)} of 128 entries")
    for col in ("#", "x", "y", "tile", "pal", "pri", "flip", "size"):
        table.add_column(col)
    for i, e in shown:
        flips = ("H" if e.hflip else "") + ("V" if e.vflip else "") or "-"
        table.add_row(
            str(i),
            str(e.screen_x()),
            str(e.y),
            f"${e.tile:03X}",
            str(e.palette),
            str(e.priority),
            flips,
            "large" if e.large else "small",
        )
    _out.print(table)


def _entry_from(text: str) -> OamEntry:
    values: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        key, sep, value = part.partition("=")
        if key in ("hflip", "vflip", "large") and not sep:
            values[key] = True
        elif key in ("x", "y", "tile", "palette", "priority") and sep:
            values[key] = _number(value, key)
        else:
            raise InputError(
                f"--compose: unknown part {part!r} (x=, y=, tile=, palette=, priority=, hflip, vflip, large)"
            )
    if not {"x", "y", "tile"} <= set(values):
        raise InputError("--compose needs at least x=, y= and tile=")
    return OamEntry(**values)


@gfx_app.command("tilemap")
def tilemap_cmd(
    word: str | None = typer.Argument(None, help="A tilemap entry to explain ($7523)."),
    tile: int | None = typer.Option(None, "--tile", min=0, max=1023, help="Compose: tile number."),
    palette: int = typer.Option(0, "--palette", min=0, max=7),
    priority: bool = typer.Option(False, "--priority"),
    hflip: bool = typer.Option(False, "--hflip"),
    vflip: bool = typer.Option(False, "--vflip"),
    as_json: bool = _JSON,
) -> None:
    """Explain a tilemap word (`vhopppcc cccccccc`) or compose one with --tile."""
    if tile is not None:
        e = TilemapEntry(tile, palette, priority, hflip, vflip)
    elif word is not None:
        e = TilemapEntry.from_word(_number(word, "word"))
    else:
        raise InputError("give a word to explain or --tile to compose")
    result = {"word": f"${e.word():04X}", "bytes": e.to_bytes().hex(" ").upper(), **e.fields()}
    typer.echo(json.dumps(result) if as_json else "\n".join(f"{k}: {v}" for k, v in result.items()))


@gfx_app.command("prove")
def prove_cmd(
    usdasm: Path = typer.Option(
        ...,
        "--usdasm",
        help="A spannerisms/usdasm checkout, or the name usdasm once fetched (the game's routines).",
    ),
    real: list[Path] = typer.Option(
        [], "--real", help="Trees to search for real compressed files (repeatable)."
    ),
    streams: int = typer.Option(10_000, "--streams", min=0, help="Random streams to run."),
    seed: int = typer.Option(0, "--seed", min=0),
    workers: int = typer.Option(2, "--workers", "-j", min=1),
    out: Path | None = typer.Option(None, "--out", help="Also write the report as JSON here."),
    as_json: bool = _JSON,
) -> None:
    """Run the game's Decompress, Decompress_bank02, Do3To4Low/High and the OAM high-table packer
    (assembled from usdasm, run on the 65816 core) against the Python codecs; exit 1 on a mismatch."""
    from triforce.corpus.sources import resolve_source
    from triforce.gfx.prove import prove

    usdasm, real = resolve_source(usdasm), [resolve_source(r) for r in real]
    console = Console(stderr=as_json)
    bar = stage_bar(console, disable=as_json)
    task = bar.add_task("proving", total=None)
    with bar:
        report = prove(
            usdasm,
            streams=streams,
            real=real,
            seed=seed,
            workers=workers,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    data = report.to_json()
    if out is not None:
        write_json_atomic(out, data)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        table = Table(title=f"the codecs against the game ({escape(str(usdasm))})")
        for col in ("check", "cases", "mismatches", "bytes"):
            table.add_column(col, justify="left" if col == "check" else "right")
        for name, c in sorted(report.checks.items()):
            table.add_row(name, str(c.cases), str(c.mismatches), str(c.bytes))
        table.add_row("total", str(report.cases), str(report.mismatches), "")
        console.print(table)
        console.print(
            f"real compressed files: {len(report.real_files)}; {report.instructions:,} instructions run"
        )
        for f in report.failures[:5]:
            console.print(f"[red]mismatch[/] {escape(json.dumps(f)[:300])}")
    if report.mismatches:
        raise typer.Exit(1)


# -- lz ----------------------------------------------------------------------------------------

_VARIANT = typer.Option(
    "gfx", "--variant", help="gfx: Decompress $00:E79E (LE copy positions); bank02: $02:FEBB (BE)."
)


def _variant(value: str) -> Any:
    if value not in VARIANTS:
        raise InputError(f"--variant must be one of {', '.join(VARIANTS)}")
    return value


@lz_app.command("decompress")
def lz_decompress(
    file: Path = typer.Argument(..., help="A file holding a stream (a ROM with --offset)."),
    variant: str = _VARIANT,
    offset: str = typer.Option("0", "--offset", help="Where the stream starts in the file (18, $12, 0x12)."),
    limit: int = typer.Option(0x10000, "--limit", min=1, max=0x10000, help="Refuse output past this size."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the output bytes here."),
    as_json: bool = _JSON,
) -> None:
    """What the game's decompressor writes for the stream; a corrupt stream is refused with the
    reason and its offset."""
    data = read_bytes_bounded(file, MAX_INPUT)
    start = _number(offset, "--offset")
    stream = parse_stream(data, _variant(variant), start=start, limit=limit)
    if out is not None:
        write_bytes_atomic(out, stream.output)
    info = {
        "consumed": stream.consumed,
        "output": len(stream.output),
        "commands": len(stream.commands),
        "out": str(out) if out else None,
    }
    if as_json:
        typer.echo(json.dumps({**info, "hex": stream.output.hex() if out is None else None}))
    else:
        _out.print(
            f"{stream.consumed} stream bytes (from offset {start}) -> {len(stream.output)} bytes, {len(stream.commands)} commands"
            + (f" -> {out}" if out else "")
        )
        if out is None:
            typer.echo(stream.output.hex(" ").upper())


@lz_app.command("compress")
def lz_compress(
    file: Path = typer.Argument(..., help="Data to compress (at most 64 KiB)."),
    variant: str = _VARIANT,
    mode: str = typer.Option(
        "optimal", "--mode", help=f"{' or '.join(MODES)}: the smallest stream, or the usual greedy one."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Stream file to write."),
    as_json: bool = _JSON,
) -> None:
    """The smallest stream the format allows (a shortest path over every command at every
    position), or a greedy one; checked by decompressing before it is written."""
    if mode not in MODES:
        raise InputError(f"--mode must be one of {', '.join(MODES)}")
    data = read_bytes_bounded(file, 0x10000)
    stream = compress(data, _variant(variant), mode)
    if parse_stream(stream, _variant(variant)).output != data:  # never write a stream that is wrong
        raise InputError("internal error: the stream does not decompress to the data")
    write_bytes_atomic(out, stream)
    ratio = round(len(stream) / max(1, len(data)), 4)
    if as_json:
        typer.echo(json.dumps({"input": len(data), "output": len(stream), "ratio": ratio, "out": str(out)}))
    else:
        _out.print(f"{len(data)} -> {len(stream)} bytes ({100 * ratio:.1f}%) -> {out}")


@lz_app.command("explain")
def lz_explain(
    file: Path = typer.Argument(..., help="A file holding a stream."),
    variant: str = _VARIANT,
    offset: str = typer.Option("0", "--offset", help="Where the stream starts in the file."),
    as_json: bool = _JSON,
) -> None:
    """The stream command by command: offset, header, command, length, argument, output range."""
    data = read_bytes_bounded(file, MAX_INPUT)
    stream = parse_stream(data, _variant(variant), start=_number(offset, "--offset"))
    if as_json:
        rows = [
            {
                "offset": c.offset,
                "header": c.header.hex(),
                "code": c.code,
                "command": c.name,
                "length": c.length,
                "argument": c.arg.hex(),
                "source": c.source,
                "output": [c.out_start, c.out_start + c.length - 1],
            }
            for c in stream.commands
        ]
        typer.echo(json.dumps({"commands": rows, "end": stream.end - 1, "output": len(stream.output)}))
        return
    typer.echo(format_table(stream))
    _out.print(
        f"{len(stream.commands)} commands, {len(stream.output)} bytes out, {stream.consumed} stream bytes"
    )
