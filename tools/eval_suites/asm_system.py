"""Block moves, calling conventions and the hardware multiplier/divider."""

from __future__ import annotations

from eval_suites._dsl import S, bytes_at, item, rd16, w

T = 0x7E2000


# ---------------------------------------------------------------- block moves
def _copy_model(src: int, dst: int):  # type: ignore[no-untyped-def]
    def model(s: S) -> dict[str, object]:
        return {
            "db": 0x7E,
            "mem": {
                **{dst + i: s.mem.get(src + i, 0) for i in range(s.x)},
                dst + s.x: s.mem.get(dst + s.x, 0),
            },
        }

    return model


item(
    id="mvn_copy",
    topic="block",
    entry="CopyBlock",
    task="Copy X bytes (X = 1-4096) from $7E2000 to $7E3000 with MVN. DB must be $7E on return. The byte after the destination range must not change.",
    reference="""
CopyBlock:
    PHB
    TXA
    DEC A
    LDX #$2000
    LDY #$3000
    MVN $7E,$7E
    PLB
    RTL
""",
    states=[
        S("one", x=1, mem={T: 0x42, 0x7E3001: 0x99}),
        S("four", x=4, mem={**bytes_at(T, [1, 2, 3, 4]), 0x7E3004: 0x55}),
        S("hundred", x=100, mem={**bytes_at(T, list(range(100))), 0x7E3064: 0x77}),
    ],
    model=_copy_model(T, 0x7E3000),
)

item(
    id="mvn_banks",
    topic="block",
    entry="CopyFrom7F",
    task="Copy X bytes (X = 1-1024) from $7F4000 to $7E5000 with a block move. DB must be $7E on return.",
    reference="""
CopyFrom7F:
    PHB
    TXA
    DEC A
    LDX #$4000
    LDY #$5000
    MVN $7E,$7F
    PLB
    RTL
""",
    states=[
        S(
            "three",
            x=3,
            mem={**bytes_at(0x7F4000, [9, 8, 7]), **bytes_at(0x7E4000, [1, 1, 1]), 0x7E5003: 0x33},
        ),
        S("one", x=1, mem={0x7F4000: 0xAB, 0x7E5001: 0x12}),
        S("sixty-four", x=64, mem={**bytes_at(0x7F4000, [i ^ 0x5A for i in range(64)]), 0x7E5040: 0xEE}),
    ],
    model=_copy_model(0x7F4000, 0x7E5000),
)


def _insert_model(s: S) -> dict[str, object]:
    data = [s.mem.get(T + i, 0) for i in range(s.x)]
    # The byte below the list must survive (a block move one byte too long would hit it).
    return {"db": 0x7E, "mem": {**bytes_at(T, [s.a & 0xFF, *data]), T - 1: s.mem.get(T - 1, 0)}}


item(
    id="mvp_insert",
    topic="block",
    entry="InsertFront",
    task="$7E2000 holds a list of X bytes (X = 0-200). Insert the low byte of A at the front: move the X bytes up by one (to $7E2001...) and store the new byte at $7E2000. DB must be $7E on return.",
    reference="""
InsertFront:
    PHB
    PHA
    CPX #$0000
    BEQ .store
    STX $00
    TXA
    CLC
    ADC #$1FFF
    TAX
    TAY
    INY
    LDA $00
    DEC A
    MVP $7E,$7E
.store
    PLA
    SEP #$20
    STA $2000
    REP #$20
    PLB
    RTL
""",
    states=[
        S("empty", a=0x11, x=0, mem={T: 0x99}),
        S("one", a=0x22, x=1, mem={T: 0x01, T + 1: 0x77}),
        S("five", a=0x33, x=5, mem=bytes_at(T, [1, 2, 3, 4, 5, 0xEE])),
        S("long", a=0x44, x=150, mem=bytes_at(T, [i & 0xFF for i in range(151)])),
    ],
    model=_insert_model,
)

item(
    id="mvn_fill",
    writable=["$7E4000-$7E47FF"],
    topic="block",
    entry="FillBlock",
    task="Fill the X bytes (X = 2-2048) starting at $7E4000 with the low byte of A, using the MVN overlap trick (store the first byte, then copy it forward). DB must be $7E on return.",
    reference="""
FillBlock:
    PHB
    SEP #$20
    STA $4000
    REP #$20
    TXA
    DEC A
    DEC A
    LDX #$4000
    LDY #$4001
    MVN $7E,$7E
    PLB
    RTL
""",
    states=[
        S("two", a=0x00AA, x=2, mem={0x7E4002: 0x55}),
        S("three", a=0x1207, x=3, mem={0x7E4003: 0x66}),
        S("many", a=0xFF, x=300, mem={0x7E412C: 0x01}),
    ],
    model=lambda s: {
        "db": 0x7E,
        "mem": {
            **{0x7E4000 + i: s.a & 0xFF for i in (0, 1, s.x - 1)},
            0x7E4000 + s.x: s.mem.get(0x7E4000 + s.x, 0),
        },
    },
)


def _remove_model(s: S) -> dict[str, object]:
    data = [s.mem.get(T + i, 0) for i in range(s.x)]
    del data[s.y]
    after = {T + s.x + i: s.mem.get(T + s.x + i, 0) for i in range(3)}  # bytes past the list stay
    return {"db": 0x7E, "x": s.x - 1, "mem": {**bytes_at(T, data), **after}}


item(
    id="remove_at",
    topic="block",
    entry="RemoveAt",
    task="$7E2000 holds a list of X bytes (X = 1-200). Remove the byte at index Y (0 <= Y < X) by moving the following bytes down by one. Output: X = the new length. Bytes from index X on must not change. DB must be $7E on return.",
    reference="""
RemoveAt:
    PHB
    STX $00
    STY $02
    TXA
    SEC
    SBC $02
    DEC A
    BEQ .done
    DEC A
    PHA
    LDA $02
    CLC
    ADC #$2000
    TAY
    INC A
    TAX
    PLA
    MVN $7E,$7E
.done
    LDX $00
    DEX
    PLB
    RTL
""",
    states=[
        S("last", x=3, y=2, mem=bytes_at(T, [1, 2, 3])),
        S("first", x=4, y=0, mem=bytes_at(T, [1, 2, 3, 4])),
        S("middle", x=5, y=2, mem=bytes_at(T, [10, 20, 30, 40, 50])),
        S("only", x=1, y=0, mem={T: 9}),
    ],
    model=_remove_model,
)

item(
    id="backup_save",
    topic="block",
    entry="BackupSave",
    max_instructions=20_000,
    task="Copy the 1280-byte save area $7EF000-$7EF4FF to $7F0000-$7F04FF. DB must be $7E on return.",
    reference="""
BackupSave:
    PHB
    LDA #$04FF
    LDX #$F000
    LDY #$0000
    MVN $7F,$7E
    PLB
    RTL
""",
    states=[
        S("edges", mem={0x7EF000: 0x11, 0x7EF360: 0x22, 0x7EF4FF: 0x33, 0x7EF500: 0x44}),
        S("items", mem={0x7EF340: 1, 0x7EF359: 2, 0x7F0500: 0x99}),
    ],
    model=lambda s: {
        "db": 0x7E,
        "mem": {
            0x7F0000: s.mem.get(0x7EF000, 0),
            0x7F0360: s.mem.get(0x7EF360, 0),
            0x7F04FF: s.mem.get(0x7EF4FF, 0),
            0x7F0340: s.mem.get(0x7EF340, 0),
            0x7F0359: s.mem.get(0x7EF359, 0),
            0x7F0500: s.mem.get(0x7F0500, 0),
        },
    },
)

item(
    id="move_down",
    topic="block",
    entry="ShiftDown4",
    task="Move the X bytes (X = 1-1000) at $7E2004 down to $7E2000 (the ranges overlap; the result must equal the original bytes). Only the X destination bytes may change. DB must be $7E on return.",
    reference="""
ShiftDown4:
    PHB
    TXA
    DEC A
    LDX #$2004
    LDY #$2000
    MVN $7E,$7E
    PLB
    RTL
""",
    states=[
        S("eight", x=8, mem=bytes_at(T, list(range(1, 13)))),
        S("one", x=1, mem=bytes_at(T, [0, 0, 0, 0, 7])),
        S("long", x=20, mem=bytes_at(T, [i * 3 & 0xFF for i in range(24)])),
    ],
    model=lambda s: {
        "db": 0x7E,
        "mem": {
            **{T + s.x + i: s.mem.get(T + s.x + i, 0) for i in range(4)},
            **bytes_at(T, [s.mem.get(T + 4 + i, 0) for i in range(s.x)]),
        },
    },
)

item(
    id="move_up",
    topic="block",
    entry="ShiftUp4",
    task="Move the X bytes (X = 1-1000) at $7E2000 up to $7E2004 (the ranges overlap; the result must equal the original bytes). Only the X destination bytes may change. DB must be $7E on return.",
    reference="""
ShiftUp4:
    PHB
    STX $00
    TXA
    CLC
    ADC #$1FFF
    TAX
    CLC
    ADC #$0004
    TAY
    LDA $00
    DEC A
    MVP $7E,$7E
    PLB
    RTL
""",
    states=[
        S("eight", x=8, mem=bytes_at(T, list(range(1, 13)))),
        S("one", x=1, mem=bytes_at(T, [7, 0, 0, 0, 0])),
        S("long", x=20, mem=bytes_at(T, [i * 5 & 0xFF for i in range(24)])),
    ],
    model=lambda s: {
        "db": 0x7E,
        "mem": {
            **{T - 2 + i: s.mem.get(T - 2 + i, 0) for i in range(6)},
            **bytes_at(T + 4, [s.mem.get(T + i, 0) for i in range(s.x)]),
        },
    },
)

# ---------------------------------------------------------------- calling conventions
item(
    id="jsr_add5",
    topic="calls",
    entry="AddFive",
    convention="jsr",
    task="Add 5 to A (16-bit, wrapping). Output: A.",
    reference="""
AddFive:
    CLC
    ADC #$0005
    RTS
""",
    states=[S("zero", a=0), S("wrap", a=0xFFFE), S("plain", a=0x0100)],
    model=lambda s: {"a": s.a + 5},
)

item(
    id="local_jsr",
    topic="calls",
    entry="Triple",
    task="Return A * 3 (16-bit, wrapping). Use a local subroutine that doubles A, called with JSR and ending in RTS.",
    reference="""
Triple:
    STA $00
    JSR .double
    CLC
    ADC $00
    RTL
.double
    ASL A
    RTS
""",
    states=[S("small", a=7), S("wrap", a=0x6000), S("zero", a=0)],
    model=lambda s: {"a": s.a * 3},
)

item(
    id="jsr_helper",
    topic="calls",
    entry="AddTwenty",
    support="""
Helper_AddTen:
    CLC
    ADC #$000A
    RTS
""",
    support_text="A routine `Helper_AddTen` exists in the same bank (do not define it): it adds 10 to the 16-bit A and returns with RTS.",
    task="Return A + 20 (16-bit, wrapping) by calling Helper_AddTen twice.",
    reference="""
AddTwenty:
    JSR Helper_AddTen
    JSR Helper_AddTen
    RTL
""",
    states=[S("zero", a=0), S("wrap", a=0xFFF0), S("plain", a=0x1000)],
    model=lambda s: {"a": s.a + 20},
)

item(
    id="carry_helper",
    topic="calls",
    entry="StoreIfLarge",
    support="""
Helper_IsLarge:
    CMP #$0100
    RTL
""",
    support_text="A routine `Helper_IsLarge` exists (do not define it): call it with JSL; it returns carry = 1 when the 16-bit A is $0100 or more, and keeps A.",
    task="Call Helper_IsLarge on A. When it reports carry = 1, store A at $7E0800; otherwise store $0000 there.",
    reference="""
StoreIfLarge:
    JSL Helper_IsLarge
    BCS .store
    LDA #$0000
.store
    STA $0800
    RTL
""",
    states=[
        S("large", a=0x0100, mem=w(0x7E0800, 0xFFFF)),
        S("small", a=0x00FF, mem=w(0x7E0800, 0xFFFF)),
        S("big", a=0xBEEF),
        S("zero", a=0, mem=w(0x7E0800, 0x1234)),
    ],
    model=lambda s: {"mem": w(0x7E0800, s.a if s.a >= 0x100 else 0)},
)

item(
    id="preserve_all",
    topic="calls",
    entry="SafeTrash",
    support="""
Helper_Trash:
    LDA #$5555
    LDX #$6666
    LDY #$7777
    PEA $1234
    PLD
    PEA $0101
    PLB
    PLB
    RTL
""",
    support_text="A routine `Helper_Trash` exists (do not define it): call it with JSL; it changes A, X, Y, D, DB and the flags.",
    task="Call Helper_Trash once. On return to your caller A, X, Y, D and DB must all hold their values from entry.",
    reference="""
SafeTrash:
    PHB
    PHD
    PHA
    PHX
    PHY
    JSL Helper_Trash
    PLY
    PLX
    PLA
    PLD
    PLB
    RTL
""",
    states=[S("plain", a=0x1111, x=0x2222, y=0x3333), S("d set", a=0, x=0xFFFF, y=1, d=0x0200), S("zeros")],
    model=lambda s: {"a": s.a, "x": s.x, "y": s.y, "d": s.d, "db": s.db},
)

item(
    id="tail_jump",
    topic="calls",
    entry="CountThenFinish",
    support="""
Helper_Finish:
    LDA #$00AA
    STA $0812
    RTL
""",
    support_text="A routine `Helper_Finish` exists (do not define it): it is JSL-style (ends in RTL) and writes $00AA to $7E0812.",
    task="Increment the 16-bit word at $7E0810, then run Helper_Finish so that it completes before control returns to your caller.",
    reference="""
CountThenFinish:
    INC $0810
    JML Helper_Finish
""",
    states=[
        S("plain", mem={**w(0x7E0810, 5), **w(0x7E0812, 0)}),
        S("wrap", mem={**w(0x7E0810, 0xFFFF), **w(0x7E0812, 0x1111)}),
    ],
    model=lambda s: {"mem": {**w(0x7E0810, rd16(s.mem, 0x7E0810) + 1), **w(0x7E0812, 0x00AA)}},
)

item(
    id="jsr_clamp",
    topic="calls",
    entry="ClampToByte",
    convention="jsr",
    task="Clamp the unsigned 16-bit A to at most $00FF. Output: A. X and Y must be preserved.",
    reference="""
ClampToByte:
    CMP #$0100
    BCC .done
    LDA #$00FF
.done
    RTS
""",
    states=[
        S("small", a=0x0042, x=1, y=2),
        S("edge", a=0x00FF),
        S("over", a=0x0100, x=0xFFFF, y=0x1234),
        S("max", a=0xFFFF),
    ],
    model=lambda s: {"a": min(s.a, 0xFF), "x": s.x, "y": s.y},
)

item(
    id="jsr_hearts",
    topic="calls",
    entry="HeartsNear",
    convention="jsr",
    width="m8x8",
    task="Same-bank helper: return in A the number of full hearts, i.e. the current health byte at $7EF36D divided by 8 (rounded down).",
    reference="""
HeartsNear:
    LDA.l $7EF36D
    LSR A
    LSR A
    LSR A
    RTS
""",
    states=[
        S("three", mem={0x7EF36D: 24}),
        S("partial", mem={0x7EF36D: 23}),
        S("empty", mem={0x7EF36D: 0}),
        S("twenty", mem={0x7EF36D: 0xA0}),
    ],
    model=lambda s: {"a8": s.mem[0x7EF36D] >> 3},
)

# ---------------------------------------------------------------- hardware multiply / divide
_NOP4 = "    NOP\n    NOP\n    NOP\n    NOP\n"
_NOP8 = _NOP4 + _NOP4

item(
    id="mul8",
    topic="hwmath",
    entry="HwMultiply",
    task="A and X each hold a value 0-255. Return A = A * X (16-bit) using the hardware multiplier ($4202/$4203, result at $4216). Remember DB is $7E.",
    reference=f"""
HwMultiply:
    SEP #$20
    STA.l $004202
    TXA
    STA.l $004203
{_NOP4}    REP #$20
    LDA.l $004216
    RTL
""",
    states=[S("max", a=255, x=255), S("zero", a=0, x=200), S("plain", a=12, x=34), S("one", a=1, x=1)],
    model=lambda s: {"a": (s.a & 0xFF) * (s.x & 0xFF)},
)

item(
    id="div16",
    topic="hwmath",
    entry="HwDivide",
    task="Divide the unsigned 16-bit A by X (1-255) with the hardware divider ($4204/$4205 dividend, $4206 divisor; quotient at $4214, remainder at $4216). Output: A = quotient, X = remainder. Remember DB is $7E.",
    reference=f"""
HwDivide:
    STA.l $004204
    SEP #$20
    TXA
    STA.l $004206
    REP #$20
{_NOP8}    LDA.l $004216
    TAX
    LDA.l $004214
    RTL
""",
    states=[
        S("100/7", a=100, x=7),
        S("max", a=0xFFFF, x=255),
        S("small", a=3, x=10),
        S("by one", a=0x1234, x=1),
    ],
    model=lambda s: {"a": s.a // s.x, "x": s.a % s.x},
)

item(
    id="percent",
    topic="hwmath",
    entry="PercentOf",
    task="A is a value 0-255 and X a percentage 0-100. Return A = floor(A * X / 100) using the hardware multiplier and divider. Remember DB is $7E.",
    reference=f"""
PercentOf:
    SEP #$20
    STA.l $004202
    TXA
    STA.l $004203
{_NOP4}    REP #$20
    LDA.l $004216
    STA.l $004204
    SEP #$20
    LDA #$64
    STA.l $004206
{_NOP8}    REP #$20
    LDA.l $004214
    RTL
""",
    states=[S("half", a=200, x=50), S("full", a=255, x=100), S("zero", a=0, x=100), S("rounding", a=7, x=33)],
    model=lambda s: {"a": s.a * s.x // 100},
)

item(
    id="area",
    topic="hwmath",
    entry="RectArea",
    task="The byte at $7E0900 is a width and the byte at $7E0901 a height (each 0-255). Store width * height as a 16-bit word at $7E0902, using the hardware multiplier. Remember DB is $7E.",
    reference=f"""
RectArea:
    SEP #$20
    LDA $0900
    STA.l $004202
    LDA $0901
    STA.l $004203
{_NOP4}    REP #$20
    LDA.l $004216
    STA $0902
    RTL
""",
    states=[
        S("plain", mem={0x7E0900: 16, 0x7E0901: 14}),
        S("max", mem={0x7E0900: 255, 0x7E0901: 255}),
        S("zero", mem={0x7E0900: 0, 0x7E0901: 9}),
    ],
    model=lambda s: {"mem": w(0x7E0902, s.mem[0x7E0900] * s.mem[0x7E0901])},
)


def _mul24(s: S) -> dict[str, object]:
    r = s.a * (s.x & 0xFF)
    return {
        "mem": {
            0x7E0904: r & 0xFF,
            0x7E0905: (r >> 8) & 0xFF,
            0x7E0906: (r >> 16) & 0xFF,
            0x7E0907: s.mem.get(0x7E0907, 0),
        }
    }


item(
    id="mul16x8",
    topic="hwmath",
    entry="Mul16x8",
    task="Multiply the unsigned 16-bit A by X (0-255) into a 24-bit product stored little-endian at $7E0904-$7E0906, using the 8x8 hardware multiplier twice. Remember DB is $7E.",
    reference=f"""
Mul16x8:
    STA $00
    SEP #$20
    TXA
    STA.l $004202
    LDA $00
    STA.l $004203
{_NOP4}    REP #$20
    LDA.l $004216
    STA $0904
    SEP #$20
    STZ $0906
    LDA $01
    STA.l $004203
{_NOP4}    REP #$20
    LDA.l $004216
    CLC
    ADC $0905
    STA $0905
    RTL
""",
    states=[
        S("max", a=0xFFFF, x=255, mem={0x7E0906: 0x77}),
        S("plain", a=0x1234, x=0x10),
        S("zero", a=0xABCD, x=0, mem={0x7E0904: 1, 0x7E0905: 2, 0x7E0906: 3}),
        S("low only", a=0x00FF, x=2),
    ],
    model=_mul24,
)

item(
    id="mod",
    topic="hwmath",
    entry="HwModulo",
    task="Return in A the remainder of the unsigned 16-bit A divided by X (1-255), using the hardware divider. Remember DB is $7E.",
    reference=f"""
HwModulo:
    STA.l $004204
    SEP #$20
    TXA
    STA.l $004206
{_NOP8}    REP #$20
    LDA.l $004216
    RTL
""",
    states=[
        S("plain", a=100, x=7),
        S("exact", a=250, x=25),
        S("max", a=0xFFFF, x=254),
        S("small", a=3, x=200),
    ],
    model=lambda s: {"a": s.a % s.x},
)

item(
    id="average",
    topic="hwmath",
    entry="AverageBytes",
    max_instructions=20_000,
    task="X (1-255) is a count. Return in A the floor of the average of the X bytes at $7E2000 (sum the bytes, then divide with the hardware divider). Remember DB is $7E.",
    reference=f"""
AverageBytes:
    STX $02
    LDA #$0000
    STA $00
.loop
    DEX
    LDA $2000,X
    AND #$00FF
    CLC
    ADC $00
    STA $00
    CPX #$0000
    BNE .loop
    LDA $00
    STA.l $004204
    SEP #$20
    LDA $02
    STA.l $004206
{_NOP8}    REP #$20
    LDA.l $004214
    RTL
""",
    states=[
        S("three", x=3, mem=bytes_at(T, [1, 2, 4])),
        S("one", x=1, mem=bytes_at(T, [200])),
        S("max", x=255, mem=bytes_at(T, [255] * 255)),
        S("mixed", x=4, mem=bytes_at(T, [0, 255, 10, 20])),
    ],
    model=lambda s: {"a": sum(s.mem.get(T + i, 0) for i in range(s.x)) // s.x},
)

item(
    id="square",
    topic="hwmath",
    entry="SquareByte",
    width="m8x8",
    task="Return the square of the unsigned 8-bit A as a 16-bit word at $7E0908, using the hardware multiplier. Remember DB is $7E.",
    reference=f"""
SquareByte:
    STA.l $004202
    STA.l $004203
{_NOP4}    REP #$20
    LDA.l $004216
    STA $0908
    SEP #$20
    RTL
""",
    states=[S("max", a=255), S("ten", a=10), S("zero", a=0), S("sixteen", a=16)],
    model=lambda s: {"mem": w(0x7E0908, (s.a & 0xFF) ** 2)},
)
