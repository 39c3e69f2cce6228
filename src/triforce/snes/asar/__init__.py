"""The asar layer: find the real assembler, run it sandboxed, and read back bytes, symbols and diagnostics.

from triforce.snes.asar import assemble, assemble_batch
res = assemble("LDA #$12\nRTL", org=0x008000)
res.ok, res.chunks, res.symbols, res.diagnostics, res.stubs, res.rom
"""

from triforce.snes.asar.assemble import assemble
from triforce.snes.asar.batch import assemble_batch
from triforce.snes.asar.diagnostics import Diagnostic
from triforce.snes.asar.locate import AsarInfo, find_asar
from triforce.snes.asar.result import AssembleResult, Chunk
from triforce.snes.asar.rom import Mapper, blank_rom, offset_to_snes, snes_to_offset
from triforce.snes.asar.sandbox import SandboxLimits

__all__ = [
    "AsarInfo",
    "AssembleResult",
    "Chunk",
    "Diagnostic",
    "Mapper",
    "SandboxLimits",
    "assemble",
    "assemble_batch",
    "blank_rom",
    "find_asar",
    "offset_to_snes",
    "snes_to_offset",
]
