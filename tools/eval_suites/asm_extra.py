"""Edge-case states added where the mutation analysis (triforce.evaluate.sensitivity) showed an
item's first states could not tell a real mistake from the reference. Kept apart so the reason
for each state is on record."""

from __future__ import annotations

from eval_suites._dsl import ITEMS, S, bytes_at, w

T = 0x7E2000

EXTRA: dict[str, list[S]] = {
    # a sum of exactly 1000 must be capped (CMP #$03E8 vs #$03E9)
    "add_rupees": [S("sum is 1000", a=10, mem=w(0x7EF360, 990))],
    # $99 + 8 = $A1 must cap; a stale carry must not leak into a non-capped sum
    "heart_container": [
        S("sum $A1", mem={0x7EF36C: 0x99, 0x7EF36D: 0}),
        S("stale carry", mem={0x7EF36C: 0x10, 0x7EF36D: 0}, stale=True),
    ],
    "add_arrows": [S("stale carry", a=3, x=30, mem={0x7EF377: 4}, stale=True)],
    "add_bombs": [
        S("stale carry", a=1, mem={0x7EF343: 2}, stale=True),
        S("sum 11", a=2, mem={0x7EF343: 9}, stale=False),
    ],
    "give_bow": [
        S("sum 31", mem={0x7EF340: 0, 0x7EF377: 21}, stale=False),
        S("stale carry", mem={0x7EF340: 0, 0x7EF377: 3}, stale=True),
        S("has bow, stale carry", mem={0x7EF340: 1, 0x7EF377: 3}, stale=True),
    ],
    # a shift that carries out must not leak into the add (missing CLC)
    **{f"mul{k}": [S("all ones", a=0xFFFF), S("top bits", a=0x9000)] for k in (3, 5, 6, 10, 12)},
    "local_jsr": [S("top bit", a=0x9000)],
    # loop counters must be initialised, not taken from the caller
    "popcount16": [S("dirty X", a=0x0003, x=5)],
    "bin2bcd": [S("dirty X", a=37, x=7)],
    "sumbytes": [S("dirty Y", x=2, y=9, mem={**bytes_at(T, [4, 5]), T + 2: 0xEE})],
    "strlen": [S("dirty X", x=7, mem=bytes_at(T, b"AB\x00"))],
    "isqrt": [S("dirty X", a=50, x=3)],
    "clearpage": [S("dirty X", x=0x80, mem={0x7E2100: 1, 0x7E21FF: 2, 0x7E2200: 0x44})],
    # a stale carry must not change the result (missing CLC/SEC)
    "satadd16": [S("stale carry", a=0x0100, x=0x0020, stale=True)],
    "signedless": [S("equal, carry clear", a=5, x=5, stale=False)],
    "inrange": [S("low edge, carry clear", a=0x10, stale=False)],
    "localdp": [
        S(
            "carry into last add",
            mem={**w(0x7E0300, 0xFFFF), **w(0x7E0302, 0), **w(0x7E0304, 1), **w(0x7E0306, 5)},
        )
    ],
    "maxbyte": [S("all zero", x=3, mem={**bytes_at(T, [0, 0, 0]), T + 3: 0x7F})],
    "sort": [S("two", x=2, mem={**bytes_at(T, [2, 1]), T + 2: 0})],
    # block moves of the wrong length hit the neighbours
    "mvp_insert": [S("guarded", a=0x55, x=3, mem={**bytes_at(T - 2, [0x5A, 0xA5, 1, 2, 3])})],
    "remove_at": [
        S("guarded", x=3, y=0, mem=bytes_at(T, [1, 2, 3, 0x91, 0x92, 0x93])),
        S("guarded middle", x=4, y=2, mem=bytes_at(T, [1, 2, 3, 4, 0x91, 0x92, 0x93, 0x94])),
    ],
    "move_down": [
        S("guarded", x=3, mem=bytes_at(T, [0x10, 0x11, 0x12, 0x13, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26]))
    ],
    "move_up": [S("guarded", x=3, mem=bytes_at(T - 2, [0x77, 0x88, 1, 2, 3, 0x40, 0x41, 0x42, 0x43]))],
    "count_active": [S("dirty Y", y=5, mem={**bytes_at(0x7E0DD0, [1, 0] * 8), 0x7E0DE0: 9})],
    # the slot after the table is zero here, so scanning from 16 instead of 15 would be seen
    "find_free_slot": [
        S("zero after table", mem={**bytes_at(0x7E0DD0, [0] * 15 + [1]), 0x7E0DE0: 0}),
        S("full, stale carry", mem={**bytes_at(0x7E0DD0, [1] * 16), 0x7E0DE0: 0}, stale=True),
    ],
    "mul16x8": [S("neighbour kept", a=0x0102, x=3, mem={0x7E0907: 0x5C})],
}


def apply() -> None:
    """Append the extra states; call once, after every item module is imported."""
    by_id = {it.id: it for it in ITEMS if it.topic != "latency"}
    for item_id, states in EXTRA.items():
        by_id[item_id].states.extend(states)
