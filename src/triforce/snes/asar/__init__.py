"""The asar layer: find the real assembler, run it sandboxed, and read back bytes, symbols and diagnostics."""

from triforce.snes.asar.locate import AsarInfo, find_asar

__all__ = ["AsarInfo", "find_asar"]
