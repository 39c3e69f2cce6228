"""Items on 16-slot object tables with an 8-bit index (A 16-bit, X/Y 8-bit: M=0, X=1)."""

from __future__ import annotations

from eval_suites._dsl import S, bytes_at, item

LO, HI, STATE = 0x7E0D10, 0x7E0D30, 0x7E0DD0


def _tables(slot: int, value: int) -> dict[int, int]:
    """A coordinate split over the low/high tables, with different neighbours around the slot."""
    mem = {
        **bytes_at(LO, [0x11 * i & 0xFF for i in range(16)]),
        **bytes_at(HI, [0xF0 - i for i in range(16)]),
    }
    mem[LO + slot], mem[HI + slot] = value & 0xFF, value >> 8
    return mem


item(
    id="slot_read",
    topic="width",
    entry="SlotCoordinate",
    width="m16x8",
    task="Slot X (0-15) of a 16-slot object table stores a 16-bit coordinate split in two byte tables: low bytes at $7E0D10 + X, high bytes at $7E0D30 + X. Return the coordinate in A.",
    reference="""
SlotCoordinate:
    SEP #$20
    LDA $0D30,X
    XBA
    LDA $0D10,X
    REP #$20
    RTL
""",
    states=[
        S("slot 0", x=0, mem=_tables(0, 0x1234)),
        S("slot 15", x=15, mem=_tables(15, 0x00FF)),
        S("slot 7", x=7, mem=_tables(7, 0xFF00)),
        S("zero", x=3, mem=_tables(3, 0)),
    ],
    model=lambda s: {"a": s.mem[LO + s.x] | s.mem[HI + s.x] << 8},
)


def _add_model(s: S) -> dict[str, object]:
    value = (s.mem[LO + s.x] | s.mem[HI + s.x] << 8) + s.a & 0xFFFF
    return {
        "mem": {
            LO + s.x: value & 0xFF,
            HI + s.x: value >> 8,
            LO + s.x + 1: s.mem.get(LO + s.x + 1, 0),
            HI + s.x + 1: s.mem.get(HI + s.x + 1, 0),
        }
    }


item(
    id="slot_add",
    topic="width",
    entry="SlotMove",
    width="m16x8",
    task="Slot X (0-15) stores a 16-bit coordinate split in two byte tables (low bytes at $7E0D10 + X, high bytes at $7E0D30 + X). Add the 16-bit A (a signed speed, wrapping) to it and store it back; the other slots must not change.",
    reference="""
SlotMove:
    STA $00
    SEP #$20
    LDA $0D30,X
    XBA
    LDA $0D10,X
    REP #$20
    CLC
    ADC $00
    SEP #$20
    STA $0D10,X
    XBA
    STA $0D30,X
    REP #$20
    RTL
""",
    states=[
        S("carry into high", a=0x0001, x=2, mem=_tables(2, 0x00FF)),
        S("negative", a=0xFFFE, x=14, mem=_tables(14, 0x0100)),
        S("wrap", a=0x0010, x=0, mem=_tables(0, 0xFFF8)),
        S("plain", a=0x0123, x=9, mem=_tables(9, 0x1000)),
    ],
    model=_add_model,
)

item(
    id="slot_clear",
    topic="width",
    entry="SlotClear",
    width="m16x8",
    convention="jsr",
    task="Same-bank helper: clear slot X (0-15) of the split coordinate tables: set the bytes at $7E0D10 + X and $7E0D30 + X to zero. The neighbouring slots must not change.",
    reference="""
SlotClear:
    SEP #$20
    STZ $0D10,X
    STZ $0D30,X
    REP #$20
    RTS
""",
    states=[
        S("slot 4", x=4, mem=_tables(4, 0xABCD)),
        S("slot 0", x=0, mem=_tables(0, 0x1111)),
        S("slot 15", x=15, mem={**_tables(15, 0x2222), 0x7E0D20: 0x77, 0x7E0D40: 0x88}),
    ],
    model=lambda s: {
        "mem": {
            LO + s.x: 0,
            HI + s.x: 0,
            LO + s.x + 1: s.mem.get(LO + s.x + 1, 0),
            HI + s.x + 1: s.mem.get(HI + s.x + 1, 0),
        }
    },
)


def _states(active: list[int]) -> dict[int, int]:
    return {**bytes_at(STATE, active), STATE + 16: 0x09}


item(
    id="count_active",
    topic="loops",
    entry="CountActive",
    width="m16x8",
    task="The 16 bytes at $7E0DD0-$7E0DDF hold one state per object slot (0 = free). Return in A (16-bit) how many slots are in use (nonzero).",
    reference="""
CountActive:
    LDY #$00
    LDX #$0F
    SEP #$20
.loop
    LDA $0DD0,X
    BEQ .next
    INY
.next
    DEX
    BPL .loop
    REP #$20
    TYA
    AND #$00FF
    RTL
""",
    states=[
        S("none", mem=_states([0] * 16)),
        S("all", mem=_states([9] * 16)),
        S("some", mem=_states([0, 1, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80])),
        S("first only", mem=_states([3] + [0] * 15)),
    ],
    model=lambda s: {"a": sum(1 for i in range(16) if s.mem[STATE + i])},
)


def _free(s: S) -> dict[str, object]:
    for slot in range(15, -1, -1):
        if s.mem[STATE + slot] == 0:
            return {"x": slot, "flags": {"c": 1}}
    return {"flags": {"c": 0}}


item(
    id="find_free_slot",
    topic="loops",
    entry="FindFreeSlot",
    width="m16x8",
    task="The 16 bytes at $7E0DD0-$7E0DDF hold one state per object slot (0 = free). Find the highest-numbered free slot: X = its number and carry = 1; when all 16 are in use return carry = 0 (X undefined).",
    reference="""
FindFreeSlot:
    SEP #$20
    LDX #$0F
.loop
    LDA $0DD0,X
    BEQ .found
    DEX
    BPL .loop
    REP #$20
    CLC
    RTL
.found
    REP #$20
    SEC
    RTL
""",
    states=[
        S("top free", mem=_states([1] * 15 + [0])),
        S("only slot 0", mem=_states([0] + [1] * 15)),
        S("full", mem=_states([2] * 16)),
        S("middle", mem=_states([1] * 6 + [0] + [1] * 9)),
        S("all free", mem=_states([0] * 16)),
    ],
    model=_free,
)
