"""Proven samples for the plan's Graphics/Tiles and Compression rows (seph-tilesmith): tile
codecs, 3bpp expansion, colours and CGRAM, tilemap and OAM entries, ASM that writes them, and
the game's compression format. The truth machines are `triforce.gfx` and `triforce.compress`."""

from triforce.generate.graphics.generators import CompressionGenerator, GraphicsGenerator

__all__ = ["CompressionGenerator", "GraphicsGenerator"]
