"""What an assembly returns: success, diagnostics, changed bytes by address, symbols, stubs, image."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from triforce.snes.addresses import format_address
from triforce.snes.asar.diagnostics import Diagnostic
from triforce.snes.asar.rom import Mapper


class Chunk(BaseModel):
    """Contiguous bytes the assembly wrote: SNES address, file offset in the image, the bytes."""

    model_config = ConfigDict(frozen=True)

    address: int
    offset: int
    data: bytes

    @property
    def end(self) -> int:
        return self.address + len(self.data)

    def to_json(self) -> dict[str, Any]:
        return {"address": format_address(self.address), "offset": self.offset, "hex": self.data.hex(" ")}


@dataclass
class AssembleResult:
    """The outcome of assembling one snippet or patch.

    `rom` is built on demand from the base image and this result's chunks, so that a batch of a
    thousand results does not hold a thousand copies of a 512 KiB image.
    """

    ok: bool
    diagnostics: list[Diagnostic]
    chunks: list[Chunk]
    symbols: dict[str, int]
    stubs: dict[str, int]
    mapper: Mapper
    snippet: int = 0
    _base: bytes = field(default=b"", repr=False)
    _rom: bytes | None = field(default=None, repr=False)
    #: Stub bytes of this result alone (file offset -> byte) when `_base` holds none: a batch
    #: assembled with `base` shares one stub-free image between results with their own stubs.
    _stub_bytes: dict[int, int] = field(default_factory=dict, repr=False)
    #: Set by the generators for an assembly in place over a whole-tree game image (its
    #: `corpus.image.GameImage`), and the range a shorter variant was NOP-padded over.
    game: Any = field(default=None, repr=False)
    pad_to: tuple[int, int] | None = None

    @property
    def rom(self) -> bytes:
        """The whole image: the base (with stub bytes) plus everything this assembly wrote."""
        if self._rom is None:
            image = bytearray(self._base)
            for offset, value in self._stub_bytes.items():
                image[offset] = value
            for chunk in self.chunks:
                end = chunk.offset + len(chunk.data)
                if end > len(image):
                    image.extend(bytes(end - len(image)))
                image[chunk.offset : end] = chunk.data
            self._rom = bytes(image)
        return self._rom

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def code(self) -> bytes:
        """All written bytes in address order (convenient for one-chunk snippets)."""
        return b"".join(c.data for c in sorted(self.chunks, key=lambda c: c.address))

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "snippet": self.snippet,
            "mapper": self.mapper,
            "diagnostics": [d.model_dump() for d in self.diagnostics],
            "chunks": [c.to_json() for c in self.chunks],
            "symbols": {k: format_address(v) for k, v in sorted(self.symbols.items(), key=lambda kv: kv[1])},
            "stubs": {k: format_address(v) for k, v in self.stubs.items()},
        }
