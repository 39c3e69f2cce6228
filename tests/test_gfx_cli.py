"""`triforce gfx ...` and `triforce lz ...`: files in, files out, JSON, and clear errors."""

from __future__ import annotations

import json
import random
from pathlib import Path

from typer.testing import CliRunner

from triforce.cli import app
from triforce.compress import decompress
from triforce.generate.graphics.material import synthetic_data, synthetic_tile
from triforce.gfx.tiles import encode_tile

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_lz_round_trip_and_explain(tmp_path: Path) -> None:
    data = synthetic_data(random.Random(4), 700)
    (tmp_path / "data.bin").write_bytes(data)
    small = json.loads(
        _run("lz", "compress", str(tmp_path / "data.bin"), "-o", str(tmp_path / "a.lz"), "--json")
    )
    greedy = json.loads(
        _run(
            "lz",
            "compress",
            str(tmp_path / "data.bin"),
            "--mode",
            "greedy",
            "-o",
            str(tmp_path / "g.lz"),
            "--json",
        )
    )
    assert small["input"] == 700 and small["output"] <= greedy["output"]
    assert decompress((tmp_path / "a.lz").read_bytes()) == data
    _run("lz", "decompress", str(tmp_path / "a.lz"), "-o", str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == data
    table = _run("lz", "explain", str(tmp_path / "a.lz"))
    assert table.startswith("offset  header  command") and "$FF     end" in table
    as_json = json.loads(_run("lz", "explain", str(tmp_path / "a.lz"), "--json"))
    assert as_json["output"] == 700 and as_json["commands"][0]["offset"] == 0
    # a stream inside a bigger file, and the big-endian routine
    _run("lz", "compress", str(tmp_path / "data.bin"), "--variant", "bank02", "-o", str(tmp_path / "b.lz"))
    (tmp_path / "rom.bin").write_bytes(b"\x00" * 32 + (tmp_path / "b.lz").read_bytes())
    out = json.loads(
        _run(
            "lz", "decompress", str(tmp_path / "rom.bin"), "--offset", "$20", "--variant", "bank02", "--json"
        )
    )
    assert bytes.fromhex(out["hex"]) == data


def test_lz_errors_name_the_reason_and_offset(tmp_path: Path) -> None:
    (tmp_path / "cut.lz").write_bytes(bytes.fromhex("22 AA 03 01 02"))
    result = runner.invoke(app, ["lz", "decompress", str(tmp_path / "cut.lz")])
    assert result.exit_code != 0
    assert "offset 2" in str(result.exception) and "literal run of 4" in str(result.exception)
    result = runner.invoke(app, ["lz", "decompress", str(tmp_path / "missing.lz")])
    assert "cannot read" in str(result.exception)
    result = runner.invoke(
        app, ["lz", "compress", str(tmp_path / "cut.lz"), "--mode", "fast", "-o", str(tmp_path / "x")]
    )
    assert "--mode must be one of optimal, greedy" in str(result.exception)


def test_gfx_png_round_trip_and_convert(tmp_path: Path) -> None:
    rng = random.Random(2)
    tiles = b"".join(encode_tile(synthetic_tile(rng, 3), 3) for _ in range(64))
    (tmp_path / "sheet.3bpp").write_bytes(tiles)
    _run("gfx", "decode", str(tmp_path / "sheet.3bpp"), "--bpp", "3", "-o", str(tmp_path / "sheet.png"))
    _run(
        "gfx",
        "encode",
        str(tmp_path / "sheet.png"),
        "--bpp",
        "3",
        "-o",
        str(tmp_path / "again.3bpp"),
        "--palette-out",
        str(tmp_path / "pal.bin"),
    )
    assert (tmp_path / "again.3bpp").read_bytes() == tiles
    assert len((tmp_path / "pal.bin").read_bytes()) % 2 == 0
    _run(
        "gfx",
        "convert",
        str(tmp_path / "sheet.3bpp"),
        "--from",
        "3",
        "--to",
        "4",
        "--expand",
        "high",
        "-o",
        str(tmp_path / "s.4bpp"),
    )
    info = json.loads(
        _run(
            "gfx",
            "convert",
            str(tmp_path / "s.4bpp"),
            "--from",
            "4",
            "--to",
            "3",
            "-o",
            str(tmp_path / "s.3bpp"),
            "--json",
        )
    )
    assert "high" in info["how"] and (tmp_path / "s.3bpp").read_bytes() == tiles
    text = _run("gfx", "decode", str(tmp_path / "sheet.3bpp"), "--bpp", "3", "-n", "1", "--offset", "24")
    assert len(text.split()) == 8
    bad = runner.invoke(
        app,
        [
            "gfx",
            "convert",
            str(tmp_path / "sheet.3bpp"),
            "--from",
            "2",
            "--to",
            "4",
            "--expand",
            "low",
            "-o",
            str(tmp_path / "x"),
        ],
    )
    assert "--expand converts ALTTP 3bpp to 4bpp" in str(bad.exception)


def test_gfx_palette_oam_tilemap(tmp_path: Path) -> None:
    rows = json.loads(
        _run(
            "gfx", "palette", "--rgb", "248,160,0", "--word", "$7FFF", "--row", "11", "--first", "5", "--json"
        )
    )
    assert (
        rows[0]["word"] == "$029F"
        and rows[0]["cgram_index"] == 181
        and rows[0]["buffer_address"] == "$7EC66A"
    )
    assert rows[1]["x8"] == [248, 248, 248] and rows[1]["replicate"] == [255, 255, 255]
    _run("gfx", "palette", "--word", "$001F", "--swatch", str(tmp_path / "sw.png"))
    assert (tmp_path / "sw.png").read_bytes()[:4] == b"\x89PNG"
    entry = json.loads(
        _run(
            "gfx",
            "oam",
            "--compose",
            "x=300,y=100,tile=0x1A5,palette=6,priority=2,vflip,large",
            "--index",
            "5",
            "--json",
        )
    )
    assert (
        entry["low_bytes"] == "2C 64 A5 AD"
        and entry["high_table_byte"] == 513
        and entry["high_table_shift"] == 2
    )
    back = json.loads(_run("gfx", "oam", "--explain", "2C 64 A5 AD:3", "--json"))
    assert back["x"] == 300 and back["screen_x"] == -212 and back["vflip"] and not back["hflip"]
    table = bytearray(544)
    table[0:4] = bytes([0x10, 0x20, 0x30, 0x02])
    for i in range(1, 128):
        table[4 * i + 1] = 0xF0
    (tmp_path / "oam.bin").write_bytes(bytes(table))
    listed = json.loads(_run("gfx", "oam", str(tmp_path / "oam.bin"), "--json"))
    assert len(listed) == 1 and listed[0]["palette"] == 1
    assert json.loads(_run("gfx", "tilemap", "$7523", "--json"))["tile"] == 0x123
    assert (
        json.loads(
            _run("gfx", "tilemap", "--tile", "291", "--palette", "5", "--priority", "--hflip", "--json")
        )["word"]
        == "$7523"
    )
    bad = runner.invoke(app, ["gfx", "oam", "--compose", "x=1,wobble=2"])
    assert "unknown part 'wobble=2'" in str(bad.exception)


def test_prove_needs_a_usdasm_checkout(tmp_path: Path) -> None:
    result = runner.invoke(app, ["gfx", "prove", "--usdasm", str(tmp_path), "--streams", "1"])
    assert result.exit_code != 0 and "bank_00.asm: cannot read the disassembly" in str(result.exception)
    (tmp_path / "bank_00.asm").write_text("; not the disassembly\n")
    result = runner.invoke(app, ["gfx", "prove", "--usdasm", str(tmp_path), "--streams", "1"])
    assert "no label 'Decompress'" in str(result.exception)
