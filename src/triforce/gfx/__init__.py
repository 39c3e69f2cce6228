"""SNES graphics formats, proven against the game: tiles (2/3/4/8bpp), ALTTP 3bpp sheets and
their 4bpp expansions, BGR555 palettes and CGRAM, tilemap entries, OAM, and indexed PNG files.

Plain functions over bytes and pixel lists; errors are `triforce.errors.InputError`.
`triforce.gfx.game` assembles the game's own routines from a usdasm checkout and runs them on
the 65816 core; `triforce.gfx.prove` compares them with these codecs.
"""

from triforce.gfx.oam import OamEntry, alttp_pack_high_table, high_table_slot, pack_oam, unpack_oam
from triforce.gfx.palette import (
    SCALES,
    bgr555_to_rgb,
    cgram_byte,
    cgram_index,
    cgram_location,
    components,
    decode_palette,
    encode_palette,
    from_components,
    load_rows,
    rgb_to_bgr555,
    sprite_row,
)
from triforce.gfx.sheets import (
    EXPANSIONS,
    SHEET_BYTES,
    background_slot_expansion,
    contract_4bpp,
    expand_3bpp,
    sprite_sheet_expansion,
)
from triforce.gfx.tilemap import TilemapEntry
from triforce.gfx.tiles import BPPS, TILE_BYTES, Pixels, decode_tile, decode_tiles, encode_tile, encode_tiles

__all__ = [
    "BPPS",
    "EXPANSIONS",
    "SCALES",
    "SHEET_BYTES",
    "TILE_BYTES",
    "OamEntry",
    "Pixels",
    "TilemapEntry",
    "alttp_pack_high_table",
    "background_slot_expansion",
    "bgr555_to_rgb",
    "cgram_byte",
    "cgram_index",
    "cgram_location",
    "components",
    "contract_4bpp",
    "decode_palette",
    "decode_tile",
    "decode_tiles",
    "encode_palette",
    "encode_tile",
    "encode_tiles",
    "expand_3bpp",
    "from_components",
    "high_table_slot",
    "load_rows",
    "pack_oam",
    "rgb_to_bgr555",
    "sprite_row",
    "sprite_sheet_expansion",
    "unpack_oam",
]
