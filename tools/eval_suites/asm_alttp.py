"""ALTTP game logic on the real WRAM/SRAM-mirror addresses (domain brief section 4)."""

from __future__ import annotations

from eval_suites._dsl import S, item, rd16, w

RUPEES, SHOWN = 0x7EF360, 0x7EF362
MAXHP, HP, MAGIC, KEYS, ARROWS, BOMBS = 0x7EF36C, 0x7EF36D, 0x7EF36E, 0x7EF36F, 0x7EF377, 0x7EF343
SWORD, SHIELD, ARMOR = 0x7EF359, 0x7EF35A, 0x7EF35B
MODULE, SUBMODULE, FRAME, LINK_Y, LINK_X = 0x7E0010, 0x7E0011, 0x7E001A, 0x7E0020, 0x7E0022

item(
    id="add_rupees",
    topic="alttp",
    entry="AddRupees",
    task="The rupee goal is the 16-bit word at $7EF360 (the HUD counts toward it). Add A (0-999) to it, capping the result at 999. Output: the new value at $7EF360.",
    reference="""
AddRupees:
    CLC
    ADC.l $7EF360
    CMP #$03E8
    BCC .store
    LDA #$03E7
.store
    STA.l $7EF360
    RTL
""",
    states=[
        S("plain", a=50, mem=w(RUPEES, 100)),
        S("capped", a=20, mem=w(RUPEES, 990)),
        S("both max", a=999, mem=w(RUPEES, 999)),
        S("zero", a=0, mem=w(RUPEES, 0)),
        S("exact", a=1, mem=w(RUPEES, 998)),
    ],
    model=lambda s: {"mem": w(RUPEES, min(999, rd16(s.mem, RUPEES) + s.a))},
)


def _spend(s: S) -> dict[str, object]:
    have = rd16(s.mem, RUPEES)
    if have >= s.a:
        return {"mem": w(RUPEES, have - s.a), "flags": {"c": 1}}
    return {"mem": w(RUPEES, have), "flags": {"c": 0}}


item(
    id="spend_rupees",
    topic="alttp",
    entry="SpendRupees",
    task="A is a price (16-bit). If the rupee goal at $7EF360 (16-bit) is at least A, subtract A from it and return carry = 1; otherwise leave it unchanged and return carry = 0.",
    reference="""
SpendRupees:
    STA $00
    LDA.l $7EF360
    CMP $00
    BCC .poor
    SBC $00
    STA.l $7EF360
    SEC
    RTL
.poor
    CLC
    RTL
""",
    states=[
        S("afford", a=50, mem=w(RUPEES, 100)),
        S("exact", a=50, mem=w(RUPEES, 50)),
        S("short by one", a=50, mem=w(RUPEES, 49)),
        S("broke", a=1, mem=w(RUPEES, 0)),
        S("free", a=0, mem=w(RUPEES, 999)),
        S("high byte", a=0x0100, mem=w(RUPEES, 0x00FF)),
    ],
    model=_spend,
)

item(
    id="heal",
    topic="alttp",
    entry="Heal",
    width="m8x8",
    task="Health is the byte at $7EF36D and maximum health the byte at $7EF36C (8 units = one heart, at most $A0). Add A (0-$A0) units of health, never exceeding the maximum (watch for 8-bit overflow).",
    reference="""
Heal:
    CLC
    ADC.l $7EF36D
    BCS .full
    CMP.l $7EF36C
    BCC .store
.full
    LDA.l $7EF36C
.store
    STA.l $7EF36D
    RTL
""",
    states=[
        S("plain", a=8, mem={HP: 8, MAXHP: 24}),
        S("capped", a=8, mem={HP: 20, MAXHP: 24}),
        S("overflow", a=0xA0, mem={HP: 0xA0, MAXHP: 0xA0}),
        S("nothing", a=0, mem={HP: 0, MAXHP: 24}),
        S("big overflow", a=0x80, mem={HP: 0x90, MAXHP: 0xA0}),
        S("exact", a=4, mem={HP: 20, MAXHP: 24}),
    ],
    model=lambda s: {"mem": {HP: min(s.mem[MAXHP], s.mem[HP] + (s.a & 0xFF))}},
)


def _damage(s: S) -> dict[str, object]:
    left = s.mem[HP] - (s.a & 0xFF)
    if left <= 0:
        return {"mem": {HP: 0}, "flags": {"c": 1}}
    return {"mem": {HP: left}, "flags": {"c": 0}}


item(
    id="damage",
    topic="alttp",
    entry="TakeDamage",
    width="m8x8",
    task="Subtract A units of damage from health at $7EF36D, stopping at 0. Output: carry = 1 when health is now 0 (Link fell), else carry = 0.",
    reference="""
TakeDamage:
    STA $00
    LDA.l $7EF36D
    SEC
    SBC $00
    BCC .dead
    BEQ .dead
    STA.l $7EF36D
    CLC
    RTL
.dead
    LDA #$00
    STA.l $7EF36D
    SEC
    RTL
""",
    states=[
        S("hit", a=8, mem={HP: 24}),
        S("exact", a=8, mem={HP: 8}),
        S("overkill", a=8, mem={HP: 4}),
        S("no damage", a=0, mem={HP: 24}),
        S("already zero", a=0, mem={HP: 0}),
        S("big", a=0xFF, mem={HP: 0xA0}),
    ],
    model=_damage,
)

item(
    id="refill",
    topic="alttp",
    entry="RefillHealth",
    width="m8x8",
    task="Refill health: copy the maximum health byte at $7EF36C into the health byte at $7EF36D.",
    reference="""
RefillHealth:
    LDA.l $7EF36C
    STA.l $7EF36D
    RTL
""",
    states=[
        S("low", mem={MAXHP: 24, HP: 3}),
        S("full", mem={MAXHP: 0xA0, HP: 0xA0}),
        S("zero", mem={MAXHP: 0x18, HP: 0}),
    ],
    model=lambda s: {"mem": {HP: s.mem[MAXHP], MAXHP: s.mem[MAXHP]}},
)

item(
    id="heart_container",
    topic="alttp",
    entry="AddHeartContainer",
    width="m8x8",
    task="Grant a heart container: add 8 to maximum health at $7EF36C, capped at $A0 (20 hearts), then set health at $7EF36D to the new maximum.",
    reference="""
AddHeartContainer:
    LDA.l $7EF36C
    CLC
    ADC #$08
    CMP #$A1
    BCC .store
    LDA #$A0
.store
    STA.l $7EF36C
    STA.l $7EF36D
    RTL
""",
    states=[
        S("plain", mem={MAXHP: 24, HP: 5}),
        S("near cap", mem={MAXHP: 0x98, HP: 0x98}),
        S("at cap", mem={MAXHP: 0xA0, HP: 1}),
        S("odd", mem={MAXHP: 0x9C, HP: 0}),
    ],
    model=lambda s: {"mem": {MAXHP: min(0xA0, s.mem[MAXHP] + 8), HP: min(0xA0, s.mem[MAXHP] + 8)}},
)


def _usekey(s: S) -> dict[str, object]:
    k = s.mem[KEYS]
    return {"mem": {KEYS: k - 1}, "flags": {"c": 1}} if k else {"mem": {KEYS: 0}, "flags": {"c": 0}}


item(
    id="use_key",
    topic="alttp",
    entry="UseKey",
    width="m8x8",
    task="The small-key count is the byte at $7EF36F. If it is nonzero, decrement it and return carry = 1; if it is zero, leave it and return carry = 0.",
    reference="""
UseKey:
    LDA.l $7EF36F
    BEQ .none
    DEC A
    STA.l $7EF36F
    SEC
    RTL
.none
    CLC
    RTL
""",
    states=[
        S("one", mem={KEYS: 1}),
        S("none", mem={KEYS: 0}),
        S("many", mem={KEYS: 9}),
        S("none again", mem={KEYS: 0}),
    ],
    model=_usekey,
)

item(
    id="use_key_jsr",
    topic="alttp",
    entry="UseKeyNear",
    width="m8x8",
    convention="jsr",
    task="Same-bank helper: the small-key count is the byte at $7EF36F. If it is nonzero, decrement it and return carry = 1; otherwise return carry = 0 and leave it.",
    reference="""
UseKeyNear:
    LDA.l $7EF36F
    BEQ +
    DEC A
    STA.l $7EF36F
    SEC
    RTS
+
    CLC
    RTS
""",
    states=[S("two", mem={KEYS: 2}), S("none", mem={KEYS: 0}), S("max", mem={KEYS: 0xFF})],
    model=_usekey,
)


def _add_capped(addr: int, cap_from_x: bool, cap: int = 0):  # type: ignore[no-untyped-def]
    def model(s: S) -> dict[str, object]:
        limit = (s.x & 0xFF) if cap_from_x else cap
        return {"mem": {addr: min(limit, s.mem[addr] + (s.a & 0xFF))}}

    return model


item(
    id="add_arrows",
    topic="alttp",
    entry="AddArrows",
    width="m8x8",
    task="Add A arrows to the arrow count at $7EF377, never exceeding the quiver capacity given in X (both unsigned bytes; watch for 8-bit overflow).",
    reference="""
AddArrows:
    STX $00
    CLC
    ADC.l $7EF377
    BCS .cap
    CMP $00
    BCC .store
.cap
    LDA $00
.store
    STA.l $7EF377
    RTL
""",
    states=[
        S("plain", a=10, x=30, mem={ARROWS: 5}),
        S("capped", a=10, x=30, mem={ARROWS: 25}),
        S("exact", a=5, x=30, mem={ARROWS: 25}),
        S("overflow", a=0xFF, x=70, mem={ARROWS: 0x10}),
        S("zero", a=0, x=50, mem={ARROWS: 0}),
    ],
    model=_add_capped(ARROWS, True),
)

item(
    id="add_bombs",
    topic="alttp",
    entry="AddBombs",
    width="m8x8",
    task="Add A bombs (0-255) to the bomb count at $7EF343, capped at 10.",
    reference="""
AddBombs:
    CLC
    ADC.l $7EF343
    BCS .cap
    CMP #$0B
    BCC .store
.cap
    LDA #$0A
.store
    STA.l $7EF343
    RTL
""",
    states=[
        S("plain", a=3, mem={BOMBS: 2}),
        S("capped", a=8, mem={BOMBS: 5}),
        S("exact", a=1, mem={BOMBS: 9}),
        S("overflow", a=0xFF, mem={BOMBS: 2}),
        S("zero", a=0, mem={BOMBS: 10}),
    ],
    model=_add_capped(BOMBS, False, 10),
)

item(
    id="in_dungeon",
    topic="alttp",
    entry="InDungeon",
    width="m8x8",
    task="The main game module is the byte at $7E0010 ($07 = dungeon, $09 = overworld). Return carry = 1 when it is $07, else carry = 0.",
    reference="""
InDungeon:
    LDA $10
    CMP #$07
    BEQ .yes
    CLC
    RTL
.yes
    SEC
    RTL
""",
    states=[
        S("dungeon", mem={MODULE: 0x07}),
        S("overworld", mem={MODULE: 0x09}),
        S("above", mem={MODULE: 0x08}),
        S("below", mem={MODULE: 0x06}),
        S("menu", mem={MODULE: 0x0E}),
    ],
    model=lambda s: {"flags": {"c": int(s.mem[MODULE] == 7)}},
)

item(
    id="open_menu",
    topic="alttp",
    entry="EnterTextModule",
    width="m8x8",
    task="Switch to the text/menu module: save the current module byte ($7E0010) at $7E0720 (free RAM of this hack), then set $7E0010 to $0E and the submodule $7E0011 to $00.",
    reference="""
EnterTextModule:
    LDA $10
    STA $0720
    LDA #$0E
    STA $10
    STZ $11
    RTL
""",
    states=[
        S("from overworld", mem={MODULE: 0x09, SUBMODULE: 0x03}),
        S("from dungeon", mem={MODULE: 0x07, SUBMODULE: 0x00, 0x7E0720: 0xFF}),
    ],
    model=lambda s: {"mem": {0x7E0720: s.mem[MODULE], MODULE: 0x0E, SUBMODULE: 0}},
)

item(
    id="every8",
    topic="alttp",
    entry="EveryEighthFrame",
    width="m8x8",
    task="The frame counter is the byte at $7E001A. Return carry = 1 when it is a multiple of 8, else carry = 0. The counter must not change.",
    reference="""
EveryEighthFrame:
    LDA $1A
    AND #$07
    BEQ .yes
    CLC
    RTL
.yes
    SEC
    RTL
""",
    states=[
        S("zero", mem={FRAME: 0}),
        S("eight", mem={FRAME: 8}),
        S("seven", mem={FRAME: 7}),
        S("f8", mem={FRAME: 0xF8}),
        S("ff", mem={FRAME: 0xFF}),
        S("nine", mem={FRAME: 9}),
    ],
    model=lambda s: {"mem": {FRAME: s.mem[FRAME]}, "flags": {"c": int(s.mem[FRAME] % 8 == 0)}},
)

item(
    id="link_near",
    topic="alttp",
    entry="LinkNearX",
    task="Link's X coordinate is the 16-bit word at $7E0022. Return carry = 1 when |LinkX - A| < 16 (both unsigned coordinates, differences stay within -$7FFF..$7FFF), else carry = 0.",
    reference="""
LinkNearX:
    SEC
    SBC $22
    BPL .positive
    EOR #$FFFF
    INC A
.positive
    CMP #$0010
    BCS .far
    SEC
    RTL
.far
    CLC
    RTL
""",
    states=[
        S("near right", a=0x0108, mem=w(LINK_X, 0x0100)),
        S("edge far", a=0x0110, mem=w(LINK_X, 0x0100)),
        S("near left", a=0x00F1, mem=w(LINK_X, 0x0100)),
        S("far left", a=0x00F0, mem=w(LINK_X, 0x0100)),
        S("same", a=0x0500, mem=w(LINK_X, 0x0500)),
        S("very far", a=0x0000, mem=w(LINK_X, 0x0800)),
    ],
    model=lambda s: {"flags": {"c": int(abs(s.a - rd16(s.mem, LINK_X)) < 16)}},
)

item(
    id="move_link",
    topic="alttp",
    entry="MoveLinkY",
    width="m8x8",
    task="A holds a signed 8-bit vertical speed. Add it (sign-extended) to Link's 16-bit Y coordinate at $7E0020. B (the high byte of the accumulator) is garbage at entry.",
    reference="""
MoveLinkY:
    REP #$20
    AND #$00FF
    CMP #$0080
    BCC .add
    ORA #$FF00
.add
    CLC
    ADC $20
    STA $20
    SEP #$20
    RTL
""",
    states=[
        S("down", a=0x02, mem=w(LINK_Y, 0x0100)),
        S("up", a=0xFE, mem=w(LINK_Y, 0x0100)),
        S("wrap", a=0xFF, mem=w(LINK_Y, 0x0000)),
        S("garbage B", a=0x7F10, mem=w(LINK_Y, 0x00F8)),
        S("fast up", a=0x80, mem=w(LINK_Y, 0x0200)),
    ],
    model=lambda s: {"mem": w(LINK_Y, rd16(s.mem, LINK_Y) + ((s.a & 0xFF) - (0x100 if s.a & 0x80 else 0)))},
)

item(
    id="hearts",
    topic="alttp",
    entry="FullHearts",
    width="m8x8",
    task="Return in A the number of full hearts: the health byte at $7EF36D divided by 8, rounded down.",
    reference="""
FullHearts:
    LDA.l $7EF36D
    LSR A
    LSR A
    LSR A
    RTL
""",
    states=[
        S("three", mem={HP: 24}),
        S("partial", mem={HP: 23}),
        S("zero", mem={HP: 0}),
        S("twenty", mem={HP: 0xA0}),
        S("one unit", mem={HP: 1}),
    ],
    model=lambda s: {"a8": s.mem[HP] >> 3},
)

item(
    id="low_health",
    topic="alttp",
    entry="LowHealth",
    width="m8x8",
    task="Return carry = 1 when health ($7EF36D) is at most a quarter of maximum health ($7EF36C, divided by 4 rounding down), else carry = 0.",
    reference="""
LowHealth:
    LDA.l $7EF36C
    LSR A
    LSR A
    STA $00
    LDA.l $7EF36D
    CMP $00
    BEQ .low
    BCC .low
    CLC
    RTL
.low
    SEC
    RTL
""",
    states=[
        S("equal", mem={MAXHP: 24, HP: 6}),
        S("above", mem={MAXHP: 24, HP: 7}),
        S("zero", mem={MAXHP: 24, HP: 0}),
        S("max equal", mem={MAXHP: 0xA0, HP: 0x28}),
        S("max above", mem={MAXHP: 0xA0, HP: 0x29}),
        S("full", mem={MAXHP: 0xA0, HP: 0xA0}),
    ],
    model=lambda s: {"flags": {"c": int(s.mem[HP] <= s.mem[MAXHP] // 4)}},
)

item(
    id="has_sword",
    topic="alttp",
    entry="HasSword",
    width="m8x8",
    task="The sword byte at $7EF359 is 0 for none and 1-4 for the four swords; other values are invalid. Return carry = 1 when it is 1-4, else carry = 0.",
    reference="""
HasSword:
    LDA.l $7EF359
    BEQ .no
    CMP #$05
    BCS .no
    SEC
    RTL
.no
    CLC
    RTL
""",
    states=[
        S("none", mem={SWORD: 0}),
        S("fighter", mem={SWORD: 1}),
        S("gold", mem={SWORD: 4}),
        S("invalid", mem={SWORD: 5}),
        S("ff", mem={SWORD: 0xFF}),
        S("master", mem={SWORD: 2}),
    ],
    model=lambda s: {"flags": {"c": int(1 <= s.mem[SWORD] <= 4)}},
)


def _tick(s: S) -> dict[str, object]:
    goal, shown = rd16(s.mem, RUPEES), rd16(s.mem, SHOWN)
    shown += (goal > shown) - (goal < shown)
    return {"mem": {**w(SHOWN, shown), **w(RUPEES, goal)}}


item(
    id="rupee_tick",
    topic="alttp",
    entry="RupeeTick",
    task="The HUD shows the 16-bit rupee count at $7EF362 and counts toward the goal at $7EF360 one step per frame. Move $7EF362 one step (1) toward $7EF360; do nothing when they are equal.",
    reference="""
RupeeTick:
    LDA.l $7EF362
    CMP.l $7EF360
    BEQ .done
    BCC .up
    DEC A
    BRA .store
.up
    INC A
.store
    STA.l $7EF362
.done
    RTL
""",
    states=[
        S("up", mem={**w(RUPEES, 100), **w(SHOWN, 50)}),
        S("down", mem={**w(RUPEES, 50), **w(SHOWN, 100)}),
        S("equal", mem={**w(RUPEES, 7), **w(SHOWN, 7)}),
        S("byte edge", mem={**w(RUPEES, 0x0100), **w(SHOWN, 0x00FF)}),
        S("down edge", mem={**w(RUPEES, 0), **w(SHOWN, 0x0100)}),
    ],
    model=_tick,
)


def _magic(s: S) -> dict[str, object]:
    have = s.mem[MAGIC]
    cost = s.a & 0xFF
    return (
        {"mem": {MAGIC: have - cost}, "flags": {"c": 1}}
        if have >= cost
        else {"mem": {MAGIC: have}, "flags": {"c": 0}}
    )


item(
    id="spend_magic",
    topic="alttp",
    entry="SpendMagic",
    width="m8x8",
    task="A is a magic cost. If the magic meter byte at $7EF36E is at least A, subtract A and return carry = 1; otherwise leave it and return carry = 0.",
    reference="""
SpendMagic:
    STA $00
    LDA.l $7EF36E
    CMP $00
    BCC .short
    SBC $00
    STA.l $7EF36E
    SEC
    RTL
.short
    CLC
    RTL
""",
    states=[
        S("plain", a=8, mem={MAGIC: 0x80}),
        S("exact", a=0x20, mem={MAGIC: 0x20}),
        S("short", a=0x21, mem={MAGIC: 0x20}),
        S("empty", a=1, mem={MAGIC: 0}),
        S("free", a=0, mem={MAGIC: 0}),
    ],
    model=_magic,
)

item(
    id="upgrade_shield",
    topic="alttp",
    entry="UpgradeShield",
    width="m8x8",
    task="A is a shield level. Set the shield byte at $7EF35A to the larger of its current value and A (unsigned); never downgrade.",
    reference="""
UpgradeShield:
    CMP.l $7EF35A
    BCC .keep
    STA.l $7EF35A
.keep
    RTL
""",
    states=[
        S("upgrade", a=2, mem={SHIELD: 1}),
        S("keep", a=1, mem={SHIELD: 3}),
        S("same", a=2, mem={SHIELD: 2}),
        S("from none", a=1, mem={SHIELD: 0}),
    ],
    model=lambda s: {"mem": {SHIELD: max(s.mem[SHIELD], s.a & 0xFF)}},
)

item(
    id="armor_damage",
    topic="alttp",
    entry="ArmorDamage",
    width="m8x8",
    task="A is incoming damage. The armor byte at $7EF35B is 0, 1 or 2; in this hack armor halves damage once per level. Return A = damage >> armor.",
    reference="""
ArmorDamage:
    PHA
    LDA.l $7EF35B
    TAX
    PLA
    CPX #$00
    BEQ .done
.loop
    LSR A
    DEX
    BNE .loop
.done
    RTL
""",
    states=[
        S("green", a=8, mem={ARMOR: 0}),
        S("blue", a=8, mem={ARMOR: 1}),
        S("red", a=8, mem={ARMOR: 2}),
        S("odd", a=7, mem={ARMOR: 2}),
        S("none", a=0, mem={ARMOR: 1}),
        S("big", a=0xFF, mem={ARMOR: 1}),
    ],
    model=lambda s: {"a8": (s.a & 0xFF) >> s.mem[ARMOR]},
)

_NOP8 = "    NOP\n" * 8

item(
    id="rupee_digits",
    topic="alttp",
    entry="RupeeDigits",
    task="Split the rupee goal at $7EF360 (0-999) into decimal digits for the HUD: hundreds at $7E0730, tens at $7E0731, ones at $7E0732 (one byte each), using the hardware divider ($4204-$4206, quotient $4214, remainder $4216). Remember DB is $7E.",
    reference=f"""
RupeeDigits:
    LDA.l $7EF360
    STA.l $004204
    SEP #$20
    LDA #$64
    STA.l $004206
{_NOP8}    LDA.l $004214
    STA $0730
    REP #$20
    LDA.l $004216
    STA.l $004204
    SEP #$20
    LDA #$0A
    STA.l $004206
{_NOP8}    LDA.l $004214
    STA $0731
    LDA.l $004216
    STA $0732
    REP #$20
    RTL
""",
    states=[
        S("max", mem=w(RUPEES, 999)),
        S("zero", mem=w(RUPEES, 0)),
        S("mixed", mem=w(RUPEES, 507)),
        S("tens", mem=w(RUPEES, 40)),
    ],
    model=lambda s: {
        "mem": {
            0x7E0730: rd16(s.mem, RUPEES) // 100,
            0x7E0731: rd16(s.mem, RUPEES) // 10 % 10,
            0x7E0732: rd16(s.mem, RUPEES) % 10,
        }
    },
)


def _buy_bomb(s: S) -> dict[str, object]:
    bombs, rupees = s.mem[BOMBS], rd16(s.mem, RUPEES)
    if bombs < 10 and rupees >= 10:
        return {"mem": {BOMBS: bombs + 1, **w(RUPEES, rupees - 10)}, "flags": {"c": 1}}
    return {"mem": {BOMBS: bombs, **w(RUPEES, rupees)}, "flags": {"c": 0}}


item(
    id="buy_bomb",
    topic="alttp",
    entry="BuyBomb",
    task="A shop sells one bomb for 10 rupees. If the bomb count at $7EF343 (byte) is below 10 and the rupee goal at $7EF360 (16-bit) is at least 10: subtract 10 rupees, add one bomb and return carry = 1. Otherwise change nothing and return carry = 0.",
    reference="""
BuyBomb:
    SEP #$20
    LDA.l $7EF343
    CMP #$0A
    REP #$20
    BCS .fail
    LDA.l $7EF360
    CMP #$000A
    BCC .fail
    SBC #$000A
    STA.l $7EF360
    SEP #$20
    LDA.l $7EF343
    INC A
    STA.l $7EF343
    REP #$20
    SEC
    RTL
.fail
    CLC
    RTL
""",
    states=[
        S("buy", mem={BOMBS: 3, **w(RUPEES, 50)}),
        S("full bag", mem={BOMBS: 10, **w(RUPEES, 50)}),
        S("poor", mem={BOMBS: 3, **w(RUPEES, 9)}),
        S("exact", mem={BOMBS: 9, **w(RUPEES, 10)}),
        S("high byte", mem={BOMBS: 0, **w(RUPEES, 0x0105)}),
    ],
    model=_buy_bomb,
)


def _submodule(s: S) -> dict[str, object]:
    sub = (s.mem[SUBMODULE] + 1) & 0xFF
    if sub == (s.a & 0xFF):
        return {"mem": {SUBMODULE: 0, MODULE: (s.mem[MODULE] + 1) & 0xFF}}
    return {"mem": {SUBMODULE: sub, MODULE: s.mem[MODULE]}}


item(
    id="advance_submodule",
    topic="alttp",
    entry="AdvanceSubmodule",
    width="m8x8",
    task="Increment the submodule byte at $7E0011. If it now equals A (the submodule count), reset it to 0 and increment the module byte at $7E0010.",
    reference="""
AdvanceSubmodule:
    STA $00
    LDA $11
    INC A
    CMP $00
    BNE .store
    INC $10
    LDA #$00
.store
    STA $11
    RTL
""",
    states=[
        S("step", a=5, mem={MODULE: 7, SUBMODULE: 1}),
        S("wrap", a=5, mem={MODULE: 7, SUBMODULE: 4}),
        S("first", a=3, mem={MODULE: 9, SUBMODULE: 0}),
        S("one step module", a=1, mem={MODULE: 0x0E, SUBMODULE: 0}),
    ],
    model=_submodule,
)


def _timer(s: S) -> dict[str, object]:
    t = s.mem[0x7E0740]
    if t == 0:
        return {"mem": {0x7E0740: 0}, "flags": {"c": 0}}
    return {"mem": {0x7E0740: t - 1}, "flags": {"c": int(t == 1)}}


item(
    id="timer",
    topic="alttp",
    entry="TickTimer",
    width="m8x8",
    task="$7E0740 is a countdown timer byte of this hack. If it is nonzero, decrement it. Return carry = 1 only when it just reached zero on this call, else carry = 0.",
    reference="""
TickTimer:
    LDA $0740
    BEQ .idle
    DEC A
    STA $0740
    BNE .idle
    SEC
    RTL
.idle
    CLC
    RTL
""",
    states=[
        S("expires", mem={0x7E0740: 1}),
        S("running", mem={0x7E0740: 5}),
        S("idle", mem={0x7E0740: 0}),
        S("max", mem={0x7E0740: 0xFF}),
    ],
    model=_timer,
)

item(
    id="has_both",
    topic="alttp",
    entry="HasBoomerangAndHookshot",
    width="m8x8",
    task="Return carry = 1 when both the boomerang byte ($7EF341) and the hookshot byte ($7EF342) are nonzero, else carry = 0.",
    reference="""
HasBoomerangAndHookshot:
    LDA.l $7EF341
    BEQ .no
    LDA.l $7EF342
    BEQ .no
    SEC
    RTL
.no
    CLC
    RTL
""",
    states=[
        S("both", mem={0x7EF341: 1, 0x7EF342: 1}),
        S("boomerang only", mem={0x7EF341: 2, 0x7EF342: 0}),
        S("hookshot only", mem={0x7EF341: 0, 0x7EF342: 1}),
        S("neither", mem={0x7EF341: 0, 0x7EF342: 0}),
    ],
    model=lambda s: {"flags": {"c": int(bool(s.mem[0x7EF341] and s.mem[0x7EF342]))}},
)


def _give_bow(s: S) -> dict[str, object]:
    if s.mem[0x7EF340] == 0:
        return {"mem": {0x7EF340: 1, ARROWS: min(30, s.mem[ARROWS] + 10)}, "flags": {"c": 1}}
    return {"mem": {0x7EF340: s.mem[0x7EF340], ARROWS: s.mem[ARROWS]}, "flags": {"c": 0}}


item(
    id="give_bow",
    topic="alttp",
    entry="GiveBow",
    width="m8x8",
    task="If the bow byte at $7EF340 is 0: set it to $01, add 10 arrows to $7EF377 (capped at 30) and return carry = 1. Otherwise change nothing and return carry = 0.",
    reference="""
GiveBow:
    LDA.l $7EF340
    BNE .has
    LDA #$01
    STA.l $7EF340
    LDA.l $7EF377
    CLC
    ADC #$0A
    CMP #$1F
    BCC .store
    LDA #$1E
.store
    STA.l $7EF377
    SEC
    RTL
.has
    CLC
    RTL
""",
    states=[
        S("new", mem={0x7EF340: 0, ARROWS: 0}),
        S("new capped", mem={0x7EF340: 0, ARROWS: 25}),
        S("has bow", mem={0x7EF340: 2, ARROWS: 5}),
        S("exact cap", mem={0x7EF340: 0, ARROWS: 20}),
    ],
    model=_give_bow,
)

item(
    id="overworld_count",
    topic="alttp",
    entry="CountOverworldFrames",
    task="If the module byte at $7E0010 is $09 (overworld), increment the 16-bit counter at $7E0742 (a variable of this hack); otherwise leave it.",
    reference="""
CountOverworldFrames:
    SEP #$20
    LDA $10
    CMP #$09
    REP #$20
    BNE .done
    INC $0742
.done
    RTL
""",
    states=[
        S("overworld", mem={MODULE: 9, **w(0x7E0742, 0x00FF)}),
        S("dungeon", mem={MODULE: 7, **w(0x7E0742, 5)}),
        S("wrap", mem={MODULE: 9, **w(0x7E0742, 0xFFFF)}),
        S("menu", mem={MODULE: 0x0E, **w(0x7E0742, 0)}),
    ],
    model=lambda s: {"mem": w(0x7E0742, rd16(s.mem, 0x7E0742) + (1 if s.mem[MODULE] == 9 else 0))},
)
