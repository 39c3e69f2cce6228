"""The graphics truth machine: hand-computed vectors for every format, round trips (hypothesis),
and the PNG and text forms."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from triforce.errors import InputError
from triforce.gfx import (
    OamEntry,
    TilemapEntry,
    alttp_pack_high_table,
    background_slot_expansion,
    bgr555_to_rgb,
    cgram_byte,
    cgram_index,
    cgram_location,
    contract_4bpp,
    decode_palette,
    decode_tile,
    encode_palette,
    encode_tile,
    expand_3bpp,
    high_table_slot,
    load_rows,
    pack_oam,
    rgb_to_bgr555,
    sprite_row,
    sprite_sheet_expansion,
    unpack_oam,
)
from triforce.gfx.image import image_to_tiles, palette_swatch, read_image, tiles_to_image, write_png
from triforce.gfx.text import format_db, format_pixels, parse_bytes, parse_pixels, parse_words
from triforce.gfx.tiles import TILE_BYTES, flip

ZERO = [[0] * 8 for _ in range(8)]


def _with(*cells: tuple[int, int, int]) -> list[list[int]]:
    tile = [row[:] for row in ZERO]
    for r, x, c in cells:
        tile[r][x] = c
    return tile


def test_2bpp_rows_by_hand() -> None:
    tile = [[0, 1, 2, 3, 0, 1, 2, 3]] + [[3] * 8] * 7
    data = encode_tile(tile, 2)
    # plane 0 = colour & 1 = 01010101, plane 1 = colour >> 1 = 00110011
    assert data[:2] == b"\x55\x33" and data[2:] == b"\xff" * 14
    assert decode_tile(data, 2) == tile


def test_3bpp_4bpp_8bpp_plane_positions_by_hand() -> None:
    # colour 4 (plane 2 only) at row 2, column 7: ALTTP 3bpp keeps plane 2 at byte 16 + row
    assert encode_tile(_with((2, 7, 4)), 3) == bytes(18) + b"\x01" + bytes(5)
    # colour 8 (plane 3) at row 0, column 0: 4bpp planes 2/3 follow at 16, row 0 -> byte 17
    assert encode_tile(_with((0, 0, 8)), 4) == bytes(17) + b"\x80" + bytes(14)
    # colour 5 = planes 0 and 2 at row 7, column 0: bytes 14 and 16 + 14 = 30
    four = encode_tile(_with((7, 0, 5)), 4)
    assert [i for i, b in enumerate(four) if b] == [14, 30] and four[14] == four[30] == 0x80
    # 8bpp: plane 4 of row 0 at byte 32, plane 7 at byte 49
    eight = encode_tile(_with((0, 0, 0x10), (0, 1, 0x80)), 8)
    assert eight[32] == 0x80 and eight[49] == 0x40 and sum(eight) == 0xC0
    assert decode_tile(eight, 8)[0][:2] == [0x10, 0x80]


@pytest.mark.parametrize("bpp", [2, 3, 4, 8])
def test_tile_round_trip(bpp: int) -> None:
    @settings(max_examples=40, deadline=None)
    @given(st.binary(min_size=TILE_BYTES[bpp], max_size=TILE_BYTES[bpp]))
    def bytes_first(data: bytes) -> None:
        assert encode_tile(decode_tile(data, bpp), bpp) == data

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.lists(st.integers(0, (1 << bpp) - 1), min_size=8, max_size=8), min_size=8, max_size=8))
    def pixels_first(pixels: list[list[int]]) -> None:
        assert decode_tile(encode_tile(pixels, bpp), bpp) == pixels

    bytes_first()
    pixels_first()


def test_tile_errors_are_clear() -> None:
    with pytest.raises(InputError, match="does not fit in 2 bits"):
        encode_tile(_with((1, 2, 4)), 2)
    with pytest.raises(InputError, match="is 32 bytes"):
        decode_tile(bytes(16), 4)
    with pytest.raises(InputError, match="one of 2, 3, 4, 8"):
        decode_tile(bytes(16), 5)


def test_expansions_by_hand_and_back() -> None:
    # row 0: plane0 $F0, plane1 $0F, plane2 $81 -> High's plane 3 = $F0|$0F|$81 = $FF
    tile3 = bytes([0xF0, 0x0F]) + bytes(14) + bytes([0x81]) + bytes(7)
    low, high = expand_3bpp(tile3, "low"), expand_3bpp(tile3, "high")
    assert low[:16] == high[:16] == tile3[:16]
    assert low[16:18] == b"\x81\x00" and high[16:18] == b"\x81\xff"
    assert decode_tile(high, 4)[0] == [13, 9, 9, 9, 10, 10, 10, 14]  # every non-zero pixel + 8
    assert decode_tile(low, 4)[0] == [5, 1, 1, 1, 2, 2, 2, 6]
    assert contract_4bpp(high) == (tile3, "high") and contract_4bpp(low) == (tile3, "low")
    bad = bytearray(high)
    bad[17] = 0x01
    with pytest.raises(InputError, match="tile 0 row 0: plane 3 is \\$01"):
        contract_4bpp(bytes(bad))


@settings(max_examples=40, deadline=None)
@given(
    st.binary(min_size=24, max_size=24 * 5).filter(lambda b: len(b) % 24 == 0),
    st.sampled_from(["low", "high"]),
)
def test_expansion_round_trip(data: bytes, mode: str) -> None:
    expanded = expand_3bpp(data, mode)  # type: ignore[arg-type]
    three, found = contract_4bpp(expanded)
    assert three == data
    assert expand_3bpp(three, found) == expanded


def test_which_expansion() -> None:
    assert sprite_sheet_expansion(0x52) == "high" and sprite_sheet_expansion(0x51) == "low"
    assert background_slot_expansion(5, theme=0x10) == "high"
    assert background_slot_expansion(3, theme=0x10) == "low"
    assert background_slot_expansion(3, theme=0x20) == "high"
    assert background_slot_expansion(5, theme=0x20) == "low"


def test_colours_by_hand() -> None:
    assert rgb_to_bgr555(255, 255, 255) == 0x7FFF
    assert encode_palette([0x7FFF, 0x001F]) == b"\xff\x7f\x1f\x00"
    assert rgb_to_bgr555(255, 128, 0) == 0x021F  # 31 | 16 << 5
    assert rgb_to_bgr555(0, 0, 248) == 0x7C00
    assert bgr555_to_rgb(0x7FFF, "x8") == (248, 248, 248)
    assert bgr555_to_rgb(0x7FFF, "replicate") == (255, 255, 255)
    assert bgr555_to_rgb(0x0010, "yaze") == (132, 0, 0)  # 16 * 8 + 128 // 32
    with pytest.raises(InputError, match="sets bit 15"):
        decode_palette(b"\x00\x80")
    assert decode_palette(b"\x00\x80", strict=False) == [0]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 0x7FFF), st.sampled_from(["x8", "replicate", "yaze"]))
def test_every_scale_round_trips_through_rgb(word: int, scale: str) -> None:
    assert rgb_to_bgr555(*bgr555_to_rgb(word, scale)) == word  # type: ignore[arg-type]
    assert decode_palette(encode_palette([word])) == [word]


def test_cgram_layout_by_hand() -> None:
    assert sprite_row(3) == 11
    assert cgram_index(11, 5) == 181 and cgram_byte(11, 5) == 0x16A  # $7EC500 + $16A = $7EC66A
    assert cgram_location(181) == (11, 5)
    # a ROM palette without transparent slots: 7 colours per row from column 1
    placed = load_rows(list(range(1, 15)), first_row=2, per_row=7)
    assert placed[0] == (33, 1) and placed[6] == (39, 7) and placed[7] == (49, 8)
    with pytest.raises(InputError):
        cgram_index(16, 0)


def test_tilemap_by_hand() -> None:
    e = TilemapEntry(tile=0x123, palette=5, priority=True, hflip=True)
    assert e.word() == 0x7523 and e.to_bytes() == b"\x23\x75"
    assert TilemapEntry.from_word(0x7523) == e
    assert TilemapEntry.from_word(0x8000).vflip
    with pytest.raises(InputError):
        TilemapEntry(tile=1024)


@given(st.integers(0, 0xFFFF))
def test_tilemap_round_trip(word: int) -> None:
    assert TilemapEntry.from_word(word).word() == word


def test_oam_by_hand() -> None:
    e = OamEntry(x=300, y=100, tile=0x1A5, palette=6, priority=2, vflip=True, large=True)
    assert e.low_bytes() == bytes([0x2C, 0x64, 0xA5, 0xAD])  # 1 0 10 110 1 = YXPPCCCT
    assert e.high_bits() == 3
    assert high_table_slot(5) == (513, 2)
    table = pack_oam([OamEntry(0, 0, 0)] * 5 + [e])
    assert len(table) == 544 and table[20:24] == e.low_bytes() and table[513] == 0x03 << 2
    assert unpack_oam(table)[5] == e
    assert e.screen_x() == 300 - 512


oam_entries = st.builds(
    OamEntry,
    x=st.integers(0, 511),
    y=st.integers(0, 255),
    tile=st.integers(0, 511),
    palette=st.integers(0, 7),
    priority=st.integers(0, 3),
    hflip=st.booleans(),
    vflip=st.booleans(),
    large=st.booleans(),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(oam_entries, max_size=128))
def test_oam_table_round_trip(entries: list[OamEntry]) -> None:
    table = pack_oam(entries)
    assert unpack_oam(table)[: len(entries)] == entries
    assert pack_oam(unpack_oam(table)) == table


def test_alttp_high_table_packing() -> None:
    extra = bytes([1, 2, 3, 0] + [0] * 124)
    assert alttp_pack_high_table(extra)[0] == 0b00_11_10_01
    # unmasked like the game: 5 = %101 spills bit 2 into the next sprite's bits
    assert alttp_pack_high_table(bytes([5] + [0] * 127))[0] == 0x05
    assert alttp_pack_high_table(bytes([0, 5] + [0] * 126))[0] == 0x14


def test_text_forms() -> None:
    assert parse_bytes("    db $01, $FF\n    db 2, %11 ; comment") == b"\x01\xff\x02\x03"
    assert parse_bytes("01 ff 0x7e") == b"\x01\xff\x7e"
    assert parse_bytes(format_db(bytes(range(20)))) == bytes(range(20))
    assert parse_words("dw $7FFF, $001F") == [0x7FFF, 0x1F]
    with pytest.raises(InputError, match="does not fit"):
        parse_bytes("db $100")
    with pytest.raises(InputError, match="no bytes"):
        parse_bytes("nothing here")
    tile = _with((0, 0, 0x1F), (7, 7, 0xFF))
    assert parse_pixels(format_pixels(tile, 8), 8) == [tile]
    small = _with((3, 3, 0xA))
    assert parse_pixels("tile 0\n" + format_pixels(small, 4), 4) == [small]
    with pytest.raises(InputError, match="does not fit in 2 bits"):
        parse_pixels(format_pixels(small, 4), 2)
    with pytest.raises(InputError, match="tiles of 8"):
        parse_pixels("0000\n", 2)


def test_png_round_trip(tmp_path: object) -> None:
    tiles = [_with((0, 0, 1), (7, 7, 3)), _with((4, 4, 2))] * 3
    palette = [0x0000, 0x7FFF, 0x001F, 0x7C00]
    img = tiles_to_image(tiles, palette, width=4)
    assert img.mode == "P" and img.size == (32, 16)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    back, pal = image_to_tiles(Image.open(io.BytesIO(buf.getvalue())))
    assert back[:6] == tiles and back[6:] == [ZERO, ZERO] and pal == palette
    swatch = palette_swatch(palette, columns=2, cell=4)
    assert swatch.size == (8, 8) and swatch.getpixel((5, 1)) == (255, 255, 255)
    with pytest.raises(InputError, match="indexed"):
        image_to_tiles(Image.new("RGB", (8, 8)))


def test_png_files_are_read_with_bounds(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "t.png"
    write_png(path, tiles_to_image([ZERO], [0, 0x7FFF]))
    assert read_image(path).size == (8, 8)
    with pytest.raises(InputError, match="larger than the limit"):
        read_image(path, max_bytes=10)
    (path.parent / "bad.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match="not a picture"):
        read_image(path.parent / "bad.png")


def test_flip() -> None:
    tile = _with((0, 0, 1))
    assert flip(tile, h=True)[0][7] == 1 and flip(tile, v=True)[7][0] == 1


def test_sheet_streams_follow_the_pointer_tables() -> None:
    from triforce.compress import compress
    from triforce.gfx.rom import BANK_TABLE, HIGH_TABLE, LOW_TABLE, SHEETS, lorom_offset, sheet_streams

    rom = bytearray(0x100000)
    for n in range(SHEETS):  # every pointer at an $FF (an empty stream) unless set below
        rom[BANK_TABLE + n], rom[HIGH_TABLE + n], rom[LOW_TABLE + n] = 0x0C, 0x80, 0x00
    rom[lorom_offset(0x0C8000)] = 0xFF
    sheets = {3: bytes(range(24)) * 64, 200: b"\x11\x22" * 768}
    address = 0x118000
    for n, data in sheets.items():
        stream = compress(data)
        rom[lorom_offset(address) : lorom_offset(address) + len(stream)] = stream
        rom[BANK_TABLE + n], rom[HIGH_TABLE + n], rom[LOW_TABLE + n] = (
            address >> 16,
            (address >> 8) & 0xFF,
            address & 0xFF,
        )
        address += 0x1000
    found = sheet_streams(b"\x00" * 0x200 + bytes(rom))  # with a copier header
    assert {s.sheet: s.output for s in found} == sheets
    assert found[0].address == 0x118000


tiles_of = st.integers(1, 4).flatmap(
    lambda bpp: st.tuples(
        st.just(bpp),
        st.lists(
            st.lists(
                st.lists(st.integers(0, (1 << bpp) - 1), min_size=8, max_size=8), min_size=8, max_size=8
            ),
            min_size=1,
            max_size=6,
        ),
    )
)


@settings(max_examples=25, deadline=None)
@given(tiles_of, st.data())
def test_png_and_text_round_trip(case: tuple[int, list[list[list[int]]]], data: st.DataObject) -> None:
    bpp, tiles = case
    bpp = {1: 2, 2: 3, 3: 4, 4: 8}[bpp]
    colours = data.draw(
        st.lists(st.integers(0, 0x7FFF), min_size=1 << min(bpp, 4), max_size=1 << min(bpp, 4))
    )
    top = max(c for t in tiles for row in t for c in row)
    palette = colours + [0] * (top + 1 - len(colours))
    buf = io.BytesIO()
    tiles_to_image(tiles, palette, width=data.draw(st.integers(1, 4))).save(buf, format="PNG")
    back, pal = image_to_tiles(Image.open(io.BytesIO(buf.getvalue())))
    assert back[: len(tiles)] == tiles and pal[: top + 1] == palette[: top + 1]
    raw = encode_tile(tiles[0], bpp)
    assert parse_bytes(format_db(raw)) == raw
    assert parse_pixels(format_pixels(tiles[0], bpp), bpp) == [tiles[0]]
