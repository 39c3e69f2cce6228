"""A batch's shared bus holds the base image and one member's own bytes at a time; a member that
grows the ROM (a hook's `freecode` past the end of a full game image) must not grow it for the
others: a larger ROM maps and mirrors banks differently, so a runaway variant would read other
bytes in the batch than alone (issue 11: evidence must not depend on the batch)."""

from __future__ import annotations

from triforce.generate.execution import SHARED
from triforce.snes.asar.result import AssembleResult, Chunk

_BASE = bytes([0xEA]) * 0x100000  # a full 1 MiB LoROM image


def _result(offset: int, data: bytes) -> AssembleResult:
    address = 0x008000 + offset  # bank 0 only in this test
    return AssembleResult(
        True, [], [Chunk(address=address, offset=offset, data=data)], {}, {}, "lorom", _base=_BASE
    )


def test_a_member_that_grows_the_rom_gets_a_bus_of_its_own() -> None:
    SHARED.clear()
    plain = _result(0x10, b"\x60")
    other = _result(0x20, b"\x6b")
    grown = AssembleResult(
        True, [], [Chunk(address=0x208000, offset=0x100000, data=b"\x6b")], {}, {}, "lorom", _base=_BASE
    )
    SHARED.register([plain, other, grown])
    bus = SHARED.bus_for(plain)
    assert bus is not None
    assert SHARED.bus_for(grown) is None  # runs on result.rom, its own image
    # Bank $20 mirrors bank $00 in a 1 MiB image: the shared bus kept the game's size.
    assert bus.read(0x208010) == 0x60 and bus.read(0x008010) == 0x60
    SHARED.clear()


def test_a_based_batch_gives_every_result_the_image_size_it_has_alone() -> None:
    """Enough snippets to need more slots than a 512 KiB image holds: the batch's own image grows,
    but each result's image is the size `assemble(snippet, org=base)` gives (what verify uses)."""
    from triforce.snes.asar import assemble, assemble_batch

    sources = [f"Main:\n    LDA.b #${i & 0xFF:02X}\n    RTS\n" for i in range(140)]
    results = assemble_batch(sources, org=0x008000, stubs=True, slot_size=0x1000, base=0x008000)
    alone = assemble(sources[0], org=0x008000, stubs=True)
    assert all(r.ok for r in results)
    assert {len(r.rom) for r in results} == {len(alone.rom)}
    assert results[0].rom == alone.rom


def test_a_based_snippet_in_a_high_slot_lands_at_its_base_not_a_mirror() -> None:
    """Slots of a large batch reach banks the image names by their $80+ mirror; a based
    snippet's chunks are still at the address it was assembled for (the padding of in-place
    variants compares them with the routine's own range)."""
    from triforce.snes.asar import assemble_batch

    sources = [f"Main:\n    LDA.b #${i & 0xFF:02X}\n    RTS\n" for i in range(600)]  # slots past bank $40
    results = assemble_batch(sources, org=0x008000, stubs=True, slot_size=0x1000, base=[0x1EA7DC] * 600)
    assert all(r.ok for r in results)
    assert {c.address for r in results for c in r.chunks} == {0x1EA7DC}


def test_more_sources_than_one_batch_holds_are_assembled_in_several() -> None:
    """An asar batch puts each snippet in a 4 KiB slot; past bank $7D a slot would be WRAM. The
    assembler splits a long list so that no source fails for where its slot went."""
    from triforce.generate.execution import MAX_BATCH, Assembler

    sources = [f"Main:\n    LDA.b #${i & 0xFF:02X}\n    RTS\n" for i in range(MAX_BATCH * 2 + 40)]
    results = Assembler().assemble_many(sources)
    assert all(r is not None and r.ok for r in results)
