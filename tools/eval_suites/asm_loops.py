"""Loops and tables, width discipline, stack and bank discipline."""

from __future__ import annotations

from eval_suites._dsl import S, bytes_at, item, l24, rd16, w

T = 0x7E2000


def _tbl(data: list[int], extra: int = 0xEE) -> dict[int, int]:
    """A table at $7E2000 followed by a sentinel byte that must survive."""
    return {**bytes_at(T, data), T + len(data): extra}


# ---------------------------------------------------------------- loops and tables
item(
    id="sumbytes",
    topic="loops",
    entry="SumBytes",
    task="X (0-255) is a byte count. Return in A (16-bit) the unsigned sum of the X bytes starting at $7E2000 (X = 0 gives 0).",
    reference="""
SumBytes:
    STX $00
    STZ $02
    LDY #$0000
.loop
    CPY $00
    BEQ .done
    LDA $2000,Y
    AND #$00FF
    CLC
    ADC $02
    STA $02
    INY
    BRA .loop
.done
    LDA $02
    RTL
""",
    states=[
        S("empty", x=0, mem=_tbl([5])),
        S("three", x=3, mem=_tbl([1, 2, 3])),
        S("big bytes", x=4, mem=_tbl([0xFF] * 4)),
        S("long", x=200, mem=_tbl([0xFF] * 200)),
        S("one", x=1, mem=_tbl([0x80, 0x80])),
    ],
    model=lambda s: {"a": sum(s.mem.get(T + i, 0) for i in range(s.x))},
)

item(
    id="maxbyte",
    topic="loops",
    entry="MaxByte",
    task="X (1-255) is a byte count. Return in A (16-bit, zero-extended) the largest unsigned byte among the X bytes at $7E2000.",
    reference="""
MaxByte:
    SEP #$20
    LDA #$00
.loop
    DEX
    CMP $2000,X
    BCS .keep
    LDA $2000,X
.keep
    CPX #$0000
    BNE .loop
    REP #$20
    AND #$00FF
    RTL
""",
    states=[
        S("one", x=1, mem=_tbl([7], 0xFF)),
        S("last is max", x=4, mem=_tbl([1, 2, 3, 9])),
        S("first is max", x=4, mem=_tbl([0xFE, 2, 3, 9])),
        S("all same", x=3, mem=_tbl([5, 5, 5])),
        S("high", x=5, mem=_tbl([0x80, 0x7F, 0xFF, 0, 1])),
    ],
    model=lambda s: {"a": max(s.mem[T + i] for i in range(s.x))},
)

item(
    id="memset",
    topic="loops",
    entry="FillBytes",
    task="Fill the X bytes (X = 0-1024) starting at $7E2000 with the low byte of A. Bytes after the range must not change.",
    reference="""
FillBytes:
    SEP #$20
    CPX #$0000
    BEQ .done
.loop
    DEX
    STA $2000,X
    BNE .loop
.done
    REP #$20
    RTL
""",
    states=[
        S("none", a=0x11, x=0, mem=_tbl([0x22])),
        S("four", a=0x1234, x=4, mem=_tbl([0] * 4)),
        S("one", a=0xFF, x=1, mem=_tbl([0])),
        S("page plus", a=0x00AB, x=300, mem={T + 300: 0x77, T: 0, T + 299: 0}),
    ],
    model=lambda s: {"mem": {**{T + i: s.a & 0xFF for i in range(s.x)}, T + s.x: s.mem.get(T + s.x, 0)}},
)

item(
    id="copybytes",
    topic="loops",
    entry="CopyBytes",
    task="Copy X bytes (X = 0-255) from $7E2000 to $7E3000 (the areas do not overlap). The byte after the destination range must not change.",
    reference="""
CopyBytes:
    SEP #$20
    CPX #$0000
    BEQ .done
.loop
    DEX
    LDA $2000,X
    STA $3000,X
    CPX #$0000
    BNE .loop
.done
    REP #$20
    RTL
""",
    states=[
        S("none", x=0, mem={**_tbl([1]), 0x7E3000: 0x55}),
        S("three", x=3, mem={**_tbl([1, 2, 3]), 0x7E3003: 0x99}),
        S("one", x=1, mem={**_tbl([0xAB]), 0x7E3001: 0x42}),
        S("many", x=40, mem={**_tbl(list(range(40))), 0x7E3028: 0x11}),
    ],
    model=lambda s: {
        "mem": {
            **{0x7E3000 + i: s.mem.get(T + i, 0) for i in range(s.x)},
            0x7E3000 + s.x: s.mem.get(0x7E3000 + s.x, 0),
        }
    },
)

item(
    id="reverse",
    topic="loops",
    entry="ReverseBytes",
    task="Reverse, in place, the order of the X bytes (X = 0-255) starting at $7E2000.",
    reference="""
ReverseBytes:
    SEP #$20
    CPX #$0002
    BCC .done
    TXY
    DEY
    LDX #$0000
.loop
    LDA $2000,X
    PHA
    LDA $2000,Y
    STA $2000,X
    PLA
    STA $2000,Y
    INX
    DEY
    STX $00
    CPY $00
    BEQ .done
    BCS .loop
.done
    REP #$20
    RTL
""",
    states=[
        S("empty", x=0, mem=_tbl([9])),
        S("one", x=1, mem=_tbl([9])),
        S("two", x=2, mem=_tbl([1, 2])),
        S("odd", x=5, mem=_tbl([1, 2, 3, 4, 5])),
        S("even", x=6, mem=_tbl([10, 20, 30, 40, 50, 60])),
    ],
    model=lambda s: {"mem": {**{T + i: s.mem[T + s.x - 1 - i] for i in range(s.x)}, T + s.x: s.mem[T + s.x]}},
)

item(
    id="countbyte",
    topic="loops",
    entry="CountMatches",
    task="Return in A (16-bit) how many of the X bytes (X = 0-255) starting at $7E2000 equal the low byte of A.",
    reference="""
CountMatches:
    SEP #$20
    STA $00
    LDY #$0000
    CPX #$0000
    BEQ .done
.loop
    DEX
    LDA $2000,X
    CMP $00
    BNE .next
    INY
.next
    CPX #$0000
    BNE .loop
.done
    REP #$20
    TYA
    RTL
""",
    states=[
        S("none", a=0x05, x=0, mem=_tbl([5])),
        S("some", a=0x0005, x=6, mem=_tbl([5, 1, 5, 2, 5, 3])),
        S("high byte ignored", a=0x1205, x=3, mem=_tbl([5, 5, 0x12])),
        S("zero value", a=0, x=4, mem=_tbl([0, 1, 0, 1])),
        S("no match", a=0x77, x=3, mem=_tbl([1, 2, 3])),
    ],
    model=lambda s: {"a": sum(1 for i in range(s.x) if s.mem[T + i] == s.a & 0xFF)},
)


def _find(s: S) -> dict[str, object]:
    for i in range(s.x):
        if s.mem[T + i] == s.a & 0xFF:
            return {"x": i, "flags": {"c": 1}}
    return {"flags": {"c": 0}}


item(
    id="findbyte",
    topic="loops",
    entry="FindByte",
    task="Search the X bytes (X = 0-255) starting at $7E2000 for the low byte of A. Found: X = index of the first match, carry = 1. Not found: carry = 0 (X is then undefined).",
    reference="""
FindByte:
    SEP #$20
    STX $00
    LDX #$0000
.loop
    CPX $00
    BEQ .missing
    CMP $2000,X
    BEQ .found
    INX
    BRA .loop
.found
    REP #$20
    SEC
    RTL
.missing
    REP #$20
    CLC
    RTL
""",
    states=[
        S("first", a=7, x=3, mem=_tbl([7, 7, 1])),
        S("last", a=9, x=4, mem=_tbl([1, 2, 3, 9])),
        S("absent", a=4, x=3, mem=_tbl([1, 2, 3])),
        S("empty", a=1, x=0, mem=_tbl([1])),
        S("middle", a=0xFF00 | 0x30, x=5, mem=_tbl([0, 0x10, 0x30, 0x30, 0])),
    ],
    model=_find,
)

item(
    id="hexdigit",
    topic="loops",
    entry="HexChar",
    width="m8x8",
    task="A holds 0-15. Return in A the ASCII code of its hex digit: '0'-'9' ($30-$39) or 'A'-'F' ($41-$46). Use a table in your code or arithmetic.",
    reference="""
HexChar:
    TAX
    LDA.l .digits,X
    RTL
.digits
    db "0123456789ABCDEF"
""",
    states=[S("zero", a=0), S("nine", a=9), S("ten", a=10), S("fifteen", a=15), S("five", a=5)],
    model=lambda s: {"a8": ord("0123456789ABCDEF"[s.a & 0xF])},
)

item(
    id="sumwords",
    topic="loops",
    entry="SumWords",
    task="Return in A the sum, modulo $10000, of the X 16-bit little-endian words (X = 0-128) starting at $7E2000.",
    reference="""
SumWords:
    TXA
    ASL A
    TAX
    LDA #$0000
.loop
    CPX #$0000
    BEQ .done
    DEX
    DEX
    CLC
    ADC $2000,X
    BRA .loop
.done
    RTL
""",
    states=[
        S("none", x=0, mem=w(T, 5)),
        S("two", x=2, mem={**w(T, 0x1000), **w(T + 2, 0x0234)}),
        S("wraps", x=3, mem={**w(T, 0xFFFF), **w(T + 2, 0xFFFF), **w(T + 4, 2)}),
        S("one", x=1, mem=w(T, 0xBEEF)),
    ],
    model=lambda s: {"a": sum(rd16(s.mem, T + 2 * i) for i in range(s.x))},
)

item(
    id="strlen",
    topic="loops",
    entry="StrLen",
    task="$7E2000 starts a string of bytes ended by $00 (at most 255 bytes before it). Return in A (16-bit) the number of bytes before the $00.",
    reference="""
StrLen:
    LDX #$0000
.loop
    LDA $2000,X
    AND #$00FF
    BEQ .done
    INX
    BRA .loop
.done
    TXA
    RTL
""",
    states=[
        S("empty", mem={T: 0, T + 1: 0x41}),
        S("hello", mem=bytes_at(T, b"HELLO\x00")),
        S("one", mem=bytes_at(T, b"Z\x00\x41")),
        S("high bytes", mem=bytes_at(T, bytes([0x80, 0xFF, 0x01, 0]))),
        S("long", mem={**bytes_at(T, [0x20] * 200), T + 200: 0}),
    ],
    model=lambda s: {"a": next(i for i in range(256) if s.mem.get(T + i, 0) == 0)},
)

item(
    id="xorsum",
    topic="loops",
    entry="XorBytes",
    width="m8x16",
    task="X (16-bit, 0-600) is a byte count. Return in A (8-bit) the XOR of the X bytes starting at $7E2000 (0 when X = 0).",
    reference="""
XorBytes:
    LDA #$00
    CPX #$0000
    BEQ .done
.loop
    DEX
    EOR $2000,X
    CPX #$0000
    BNE .loop
.done
    RTL
""",
    states=[
        S("none", x=0, mem=_tbl([1])),
        S("pair", x=2, mem=_tbl([0xF0, 0x0F])),
        S("cancel", x=2, mem=_tbl([0x5A, 0x5A])),
        S("beyond 255", x=300, mem={**bytes_at(T, [0] * 300), T + 299: 0x42, T + 256: 0x01}),
    ],
    model=lambda s: {
        "a8": __import__("functools").reduce(lambda a, b: a ^ b, [s.mem.get(T + i, 0) for i in range(s.x)], 0)
    },
)


def _fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


item(
    id="fib",
    topic="loops",
    entry="Fibonacci",
    task="Return in A the Fibonacci number F(X) for X = 0-24 (F(0) = 0, F(1) = 1, F(n) = F(n-1) + F(n-2)).",
    reference="""
Fibonacci:
    STZ $00
    LDA #$0001
    STA $02
.loop
    CPX #$0000
    BEQ .done
    LDA $00
    CLC
    ADC $02
    LDY $02
    STY $00
    STA $02
    DEX
    BRA .loop
.done
    LDA $00
    RTL
""",
    states=[S("zero", x=0), S("one", x=1), S("two", x=2), S("ten", x=10), S("max", x=24)],
    model=lambda s: {"a": _fib(s.x)},
)

item(
    id="bitmask",
    topic="loops",
    entry="BitMask",
    task="X holds 0-15. Return A = 1 << X (16-bit).",
    reference="""
BitMask:
    TXA
    ASL A
    TAX
    LDA.l .masks,X
    RTL
.masks
    dw $0001, $0002, $0004, $0008, $0010, $0020, $0040, $0080
    dw $0100, $0200, $0400, $0800, $1000, $2000, $4000, $8000
""",
    states=[S("zero", x=0), S("seven", x=7), S("eight", x=8), S("fifteen", x=15), S("three", x=3)],
    model=lambda s: {"a": 1 << s.x},
)

item(
    id="isqrt",
    topic="loops",
    entry="SquareRoot",
    max_instructions=50_000,
    task="Return in A the integer square root floor(sqrt(A)) of the unsigned 16-bit A.",
    reference="""
SquareRoot:
    LDX #$0000
    LDY #$0001
    STY $00
.loop
    SEC
    SBC $00
    BCC .done
    INX
    PHA
    LDA $00
    CLC
    ADC #$0002
    STA $00
    PLA
    BRA .loop
.done
    TXA
    RTL
""",
    states=[
        S("zero", a=0),
        S("one", a=1),
        S("three", a=3),
        S("four", a=4),
        S("99", a=99),
        S("100", a=100),
        S("max", a=0xFFFF),
    ],
    model=lambda s: {"a": __import__("math").isqrt(s.a)},
)

item(
    id="mulsoft",
    topic="loops",
    entry="Mul8Soft",
    task="A and X each hold an unsigned value 0-255. Without the hardware multiplier, return A = A * X (16-bit).",
    reference="""
Mul8Soft:
    STA $00
    STX $02
    LDA #$0000
.loop
    LDX $02
    BEQ .done
    LSR $02
    BCC +
    CLC
    ADC $00
+
    ASL $00
    BRA .loop
.done
    RTL
""",
    states=[
        S("zero", a=0, x=5),
        S("max", a=255, x=255),
        S("plain", a=12, x=10),
        S("one", a=1, x=200),
        S("by zero", a=77, x=0),
    ],
    model=lambda s: {"a": s.a * s.x},
)

item(
    id="divsoft",
    topic="loops",
    entry="Div16Soft",
    task="Divide the unsigned 16-bit A by X (1-255) without the hardware divider. Output: A = quotient, X = remainder.",
    reference="""
Div16Soft:
    STX $02
    STA $00
    LDA #$0000
    LDY #$0010
.loop
    ASL $00
    ROL A
    CMP $02
    BCC +
    SBC $02
    INC $00
+
    DEY
    BNE .loop
    TAX
    LDA $00
    RTL
""",
    states=[
        S("100/7", a=100, x=7),
        S("max/255", a=0xFFFF, x=255),
        S("small", a=5, x=10),
        S("zero", a=0, x=3),
        S("by one", a=1000, x=1),
    ],
    model=lambda s: {"a": s.a // s.x, "x": s.a % s.x},
)

item(
    id="gcd",
    topic="loops",
    entry="Gcd",
    task="A and X are nonzero unsigned 16-bit numbers. Return in A their greatest common divisor.",
    reference="""
Gcd:
    STX $00
.loop
    CMP $00
    BEQ .done
    BCC .smaller
    SEC
    SBC $00
    BRA .loop
.smaller
    STA $02
    LDA $00
    SEC
    SBC $02
    STA $00
    LDA $02
    BRA .loop
.done
    RTL
""",
    states=[
        S("48,18", a=48, x=18),
        S("equal", a=7, x=7),
        S("1000,10", a=1000, x=10),
        S("coprime", a=17, x=5),
        S("swapped", a=18, x=48),
    ],
    model=lambda s: {"a": __import__("math").gcd(s.a, s.x)},
)

item(
    id="dispatch",
    topic="loops",
    entry="ApplyOp",
    task="A holds an operation number 0-3 applied to the 16-bit word at $7E0500: 0 = increment, 1 = decrement, 2 = shift left one bit, 3 = set to zero. Use a jump table.",
    reference="""
ApplyOp:
    ASL A
    TAX
    JMP (.table,X)
.table
    dw .inc, .dec, .shl, .clear
.inc
    INC $0500
    RTL
.dec
    DEC $0500
    RTL
.shl
    ASL $0500
    RTL
.clear
    STZ $0500
    RTL
""",
    states=[
        S("inc carry", a=0, mem=w(0x7E0500, 0x00FF)),
        S("dec borrow", a=1, mem=w(0x7E0500, 0x0100)),
        S("shift", a=2, mem=w(0x7E0500, 0x8181)),
        S("clear", a=3, mem=w(0x7E0500, 0xBEEF)),
        S("inc wrap", a=0, mem=w(0x7E0500, 0xFFFF)),
    ],
    model=lambda s: {
        "mem": w(
            0x7E0500,
            [lambda v: v + 1, lambda v: v - 1, lambda v: v << 1, lambda v: 0][s.a](rd16(s.mem, 0x7E0500)),
        )
    },
)

item(
    id="sort",
    topic="loops",
    entry="SortBytes",
    task="Sort, in place and ascending (unsigned), the X bytes (X = 0-16) starting at $7E2000.",
    reference="""
SortBytes:
    SEP #$20
    CPX #$0002
    BCC .done
    DEX
    STX $00
.outer
    LDY #$0000
    STZ $02
.inner
    LDA $2000,Y
    CMP $2001,Y
    BCC .noswap
    BEQ .noswap
    PHA
    LDA $2001,Y
    STA $2000,Y
    PLA
    STA $2001,Y
    LDA #$01
    STA $02
.noswap
    INY
    CPY $00
    BNE .inner
    LDA $02
    BNE .outer
.done
    REP #$20
    RTL
""",
    states=[
        S("three", x=3, mem=_tbl([3, 1, 2])),
        S("sorted", x=4, mem=_tbl([1, 2, 3, 4])),
        S("reversed", x=8, mem=_tbl([8, 7, 6, 5, 4, 3, 2, 1])),
        S("duplicates", x=5, mem=_tbl([0x80, 2, 0x80, 0, 2])),
        S("one", x=1, mem=_tbl([9, 0])),
        S("empty", x=0, mem=_tbl([5, 1])),
    ],
    model=lambda s: {
        "mem": {**bytes_at(T, sorted(s.mem[T + i] for i in range(s.x))), T + s.x: s.mem[T + s.x]}
    },
)

# ---------------------------------------------------------------- width discipline
item(
    id="addbyte_to_word",
    topic="width",
    entry="AddByteToWord",
    width="m8x8",
    task="Add the unsigned 8-bit A to the 16-bit word at $7E0600 (the carry must reach the high byte). The high byte of the accumulator (B) is garbage at entry.",
    reference="""
AddByteToWord:
    REP #$20
    AND #$00FF
    CLC
    ADC $0600
    STA $0600
    SEP #$20
    RTL
""",
    states=[
        S("carry into high", a=0x01, mem=w(0x7E0600, 0x00FF)),
        S("wrap", a=0x01, mem=w(0x7E0600, 0xFFFF)),
        S("garbage B", a=0x12FF, mem=w(0x7E0600, 0x0001)),
        S("plain", a=0x10, mem=w(0x7E0600, 0x1234)),
    ],
    model=lambda s: {"mem": w(0x7E0600, rd16(s.mem, 0x7E0600) + (s.a & 0xFF))},
)

item(
    id="zeroextend",
    topic="width",
    entry="KeyCount",
    task="Return in A (16-bit) the byte at $7EF36F (the small-key counter) zero-extended; the byte after it is unrelated data.",
    reference="""
KeyCount:
    LDA.l $7EF36F
    AND #$00FF
    RTL
""",
    states=[
        S("five", mem={0x7EF36F: 5, 0x7EF370: 0xFF}),
        S("zero", mem={0x7EF36F: 0, 0x7EF370: 0x12}),
        S("max", mem={0x7EF36F: 0xFF, 0x7EF370: 0xFF}),
    ],
    model=lambda s: {"a": s.mem[0x7EF36F]},
)

item(
    id="anywidth",
    topic="width",
    entry="StoreMagicWord",
    keep_widths=False,
    entry_text="The register widths at entry are unknown (any combination of M and X). Return with exactly the caller's widths and flags.",
    task="Store the 16-bit value $1234 at $7E0602 (low byte first).",
    reference="""
StoreMagicWord:
    PHP
    REP #$20
    LDA #$1234
    STA $0602
    PLP
    RTL
""",
    states=[
        S("m8 x8", p=0x30, stale=False),
        S("m16 x16", p=0x00, stale=False),
        S("m8 x16", p=0x20, stale=False),
        S("m16 x8 carry", p=0x11, stale=False),
    ],
    model=lambda s: {
        "mem": w(0x7E0602, 0x1234),
        "flags": {"m": int(bool((s.p or 0) & 0x20)), "x": int(bool((s.p or 0) & 0x10)), "c": (s.p or 0) & 1},
    },
)

item(
    id="xba",
    topic="width",
    entry="SwapBytes",
    task="Swap the high and low bytes of the 16-bit A. Output: A.",
    reference="""
SwapBytes:
    XBA
    RTL
""",
    states=[S("plain", a=0x1234), S("zero", a=0), S("low only", a=0x00FF), S("high only", a=0xAB00)],
    model=lambda s: {"a": ((s.a & 0xFF) << 8) | (s.a >> 8)},
)

item(
    id="nibbles",
    topic="width",
    entry="SplitNibbles",
    width="m8x8",
    task="Split the byte in A into nibbles. Output: X = high nibble (0-15), Y = low nibble (0-15).",
    reference="""
SplitNibbles:
    PHA
    AND #$0F
    TAY
    PLA
    LSR A
    LSR A
    LSR A
    LSR A
    TAX
    RTL
""",
    states=[S("plain", a=0x3C), S("zero", a=0), S("max", a=0xFF), S("high", a=0xA0), S("low", a=0x07)],
    model=lambda s: {"x": (s.a & 0xFF) >> 4, "y": s.a & 0x0F},
)

item(
    id="clearpage",
    topic="width",
    entry="ClearPage",
    width="m8x8",
    task="Set the 256 bytes $7E2100-$7E21FF to zero. Nothing outside that range may change.",
    reference="""
ClearPage:
    LDX #$00
.loop
    STZ $2100,X
    INX
    BNE .loop
    RTL
""",
    states=[
        S("dirty", mem={0x7E2100: 1, 0x7E217F: 2, 0x7E21FF: 3, 0x7E2200: 0x44, 0x7E20FF: 0x55}),
        S("other bytes", mem={0x7E2180: 9, 0x7E2200: 0x66, 0x7E2201: 0x67}),
    ],
    model=lambda s: {
        "mem": {
            0x7E2100: 0,
            0x7E217F: 0,
            0x7E2180: 0,
            0x7E21FF: 0,
            0x7E2200: s.mem.get(0x7E2200, 0),
            0x7E2201: s.mem.get(0x7E2201, 0),
            0x7E20FF: s.mem.get(0x7E20FF, 0),
        }
    },
)

item(
    id="double_to_word",
    topic="width",
    entry="DoubleToWord",
    width="m8x8",
    task="Store 2 * (unsigned 8-bit A) as a 16-bit word at $7E0604. B (the high byte of the accumulator) is garbage at entry.",
    reference="""
DoubleToWord:
    REP #$20
    AND #$00FF
    ASL A
    STA $0604
    SEP #$20
    RTL
""",
    states=[S("small", a=0x05), S("carry", a=0xFF), S("garbage B", a=0x7781), S("zero", a=0x1200)],
    model=lambda s: {"mem": w(0x7E0604, (s.a & 0xFF) * 2)},
)

item(
    id="storelong",
    topic="width",
    entry="StoreToBank7F",
    task="Store the 16-bit A at $7F8000 (low byte first). DB stays $7E.",
    reference="""
StoreToBank7F:
    STA.l $7F8000
    RTL
""",
    states=[
        S("plain", a=0x1234),
        S("ff", a=0xFFFF, mem={0x7F8000: 0, 0x7F8001: 0}),
        S("zero", a=0, mem={0x7F8000: 0x11, 0x7F8001: 0x22}),
    ],
    model=lambda s: {"mem": w(0x7F8000, s.a), "db": 0x7E},
)

item(
    id="indexed16",
    topic="width",
    entry="PutAtOffset",
    width="m8x16",
    task="Store the 8-bit A at $7E2000 + X (X is a 16-bit offset 0-$1FFF). Output: X = X + 1.",
    reference="""
PutAtOffset:
    STA $2000,X
    INX
    RTL
""",
    states=[
        S("start", a=0x11, x=0),
        S("page", a=0x22, x=0x01FF),
        S("far", a=0x33, x=0x1000),
        S("byte boundary", a=0x44, x=0x00FF),
    ],
    model=lambda s: {"mem": {T + s.x: s.a & 0xFF}, "x": s.x + 1},
)

item(
    id="immsize",
    topic="width",
    entry="MaskAndTag",
    task="Return A = (A AND $00FF) OR $1200.",
    reference="""
MaskAndTag:
    AND #$00FF
    ORA #$1200
    RTL
""",
    states=[S("plain", a=0xABCD), S("zero", a=0), S("ones", a=0xFFFF), S("low", a=0x0034)],
    model=lambda s: {"a": (s.a & 0xFF) | 0x1200},
)

# ---------------------------------------------------------------- stack and bank discipline
item(
    id="readbank7f",
    topic="stack",
    entry="ReadBank7F",
    task="Return in A the 16-bit word at $7F2000 + Y (Y = 0-$0FFE). DB must be $7E again on return.",
    reference="""
ReadBank7F:
    PHB
    PEA $7F7F
    PLB
    PLB
    LDA $2000,Y
    PLB
    RTL
""",
    states=[
        S("start", y=0, mem=w(0x7F2000, 0xBEEF)),
        S("offset", y=0x10, mem={**w(0x7F2010, 0x1234), **w(0x7E2010, 0x9999)}),
        S("far", y=0x0FFE, mem=w(0x7F2FFE, 0xCAFE)),
    ],
    model=lambda s: {"a": rd16(s.mem, 0x7F2000 + s.y), "db": 0x7E},
)

item(
    id="preservexy",
    topic="stack",
    entry="TimesFour",
    support="""
Helper_Double:
    ASL A
    LDX #$DEAD
    LDY #$BEEF
    RTL
""",
    support_text="A routine `Helper_Double` exists (do not define it): call it with JSL; it doubles A and destroys X and Y.",
    task="Return A * 4 by calling Helper_Double twice. X and Y must be preserved for the caller.",
    reference="""
TimesFour:
    PHX
    PHY
    JSL Helper_Double
    JSL Helper_Double
    PLY
    PLX
    RTL
""",
    states=[
        S("plain", a=3, x=0x1111, y=0x2222),
        S("wrap", a=0x4001, x=0, y=0xFFFF),
        S("zero", a=0, x=0x8000, y=1),
    ],
    model=lambda s: {"a": s.a * 4, "x": s.x, "y": s.y},
)

item(
    id="swapax",
    topic="stack",
    entry="SwapAX",
    task="Exchange A and X (both 16-bit). Y must be preserved.",
    reference="""
SwapAX:
    PHA
    TXA
    PLX
    RTL
""",
    states=[S("plain", a=0x1234, x=0xABCD, y=7), S("zero", a=0, x=0xFFFF, y=0x8000), S("same", a=5, x=5)],
    model=lambda s: {"a": s.x, "x": s.a, "y": s.y},
)

item(
    id="localdp",
    topic="stack",
    entry="SumBlock",
    task="Return in A the sum (mod $10000) of the four 16-bit words at $7E0300, $7E0302, $7E0304 and $7E0306. D may hold any value at entry and must hold that same value on return.",
    reference="""
SumBlock:
    PHD
    PEA $0300
    PLD
    LDA $00
    CLC
    ADC $02
    CLC
    ADC $04
    CLC
    ADC $06
    PLD
    RTL
""",
    states=[
        S("plain", mem={**w(0x7E0300, 1), **w(0x7E0302, 2), **w(0x7E0304, 3), **w(0x7E0306, 4)}),
        S(
            "d elsewhere",
            d=0x1000,
            mem={**w(0x7E0300, 0xFFFF), **w(0x7E0302, 2), **w(0x7E0304, 0), **w(0x7E0306, 0)},
        ),
        S(
            "carries",
            d=0x0100,
            mem={**w(0x7E0300, 0x8000), **w(0x7E0302, 0x8000), **w(0x7E0304, 0x8000), **w(0x7E0306, 0x0001)},
        ),
    ],
    model=lambda s: {"a": sum(rd16(s.mem, 0x7E0300 + 2 * i) for i in range(4)), "d": s.d},
)

item(
    id="longptr",
    topic="stack",
    entry="ReadViaPointer",
    task="$7E0008-$7E000A holds a 24-bit pointer (low, high, bank). Return in A the 16-bit word at pointer + Y.",
    reference="""
ReadViaPointer:
    LDA [$08],Y
    RTL
""",
    states=[
        S("bank 7F", y=2, mem={**l24(0x7E0008, 0x7F1000), **w(0x7F1002, 0x1234)}),
        S("bank 7E", y=0, mem={**l24(0x7E0008, 0x7E2000), **w(0x7E2000, 0xBEEF)}),
        S("crosses page", y=3, mem={**l24(0x7E0008, 0x7E2FFE), **w(0x7E3001, 0xCAFE)}),
    ],
    model=lambda s: {
        "a": rd16(s.mem, (s.mem[0x7E0008] | s.mem[0x7E0009] << 8 | s.mem[0x7E000A] << 16) + s.y)
    },
)

item(
    id="pow10",
    topic="stack",
    entry="PowerOfTen",
    task="X holds 0-4. Return in A (16-bit) the value 10^X, read from a table you place in your own code (DB is $7E, not your code's bank).",
    reference="""
PowerOfTen:
    TXA
    ASL A
    TAX
    LDA.l .powers,X
    RTL
.powers
    dw 1, 10, 100, 1000, 10000
""",
    states=[S("zero", x=0), S("one", x=1), S("two", x=2), S("four", x=4), S("three", x=3)],
    model=lambda s: {"a": 10**s.x},
)

item(
    id="swapwords",
    topic="stack",
    entry="SwapWords",
    task="Exchange the 16-bit words at $7E0700 and $7E0702. A, X and Y must all be preserved.",
    reference="""
SwapWords:
    PHA
    LDA $0700
    PHA
    LDA $0702
    STA $0700
    PLA
    STA $0702
    PLA
    RTL
""",
    states=[
        S("plain", a=0x1111, x=0x2222, y=0x3333, mem={**w(0x7E0700, 0xAAAA), **w(0x7E0702, 0x5555)}),
        S("zero", a=0, x=0, y=0, mem={**w(0x7E0700, 1), **w(0x7E0702, 0)}),
        S("same", a=0xFFFF, mem={**w(0x7E0700, 7), **w(0x7E0702, 7)}),
    ],
    model=lambda s: {
        "a": s.a,
        "x": s.x,
        "y": s.y,
        "mem": {**w(0x7E0700, rd16(s.mem, 0x7E0702)), **w(0x7E0702, rd16(s.mem, 0x7E0700))},
    },
)

item(
    id="keepall",
    topic="stack",
    entry="BumpByte",
    keep_widths=False,
    entry_text="At entry A, X and Y are 16-bit (M=0, X=0) but the caller's flags (carry, zero, negative, overflow) are meaningful.",
    task="Increment the single byte at $7E0710 (the byte at $7E0711 must not change). A, X, Y and every flag in P, widths included, must be exactly as at entry on return.",
    reference="""
BumpByte:
    PHP
    SEP #$20
    INC $0710
    PLP
    RTL
""",
    states=[
        S("plain", a=0x1234, x=0x5678, y=0x9ABC, mem={0x7E0710: 1, 0x7E0711: 0x40}, p=0x00, stale=False),
        S("wrap", a=0xFFFF, mem={0x7E0710: 0xFF, 0x7E0711: 0x40}, p=0xC3, stale=False),
        S("carry", a=0, x=1, y=2, mem={0x7E0710: 0x7F, 0x7E0711: 0x00}, p=0x01, stale=False),
    ],
    model=lambda s: {
        "a": s.a,
        "x": s.x,
        "y": s.y,
        "mem": {0x7E0710: s.mem[0x7E0710] + 1, 0x7E0711: s.mem[0x7E0711]},
        "flags": {
            f: int(bool((s.p or 0) & bit))
            for f, bit in (("n", 0x80), ("v", 0x40), ("m", 0x20), ("x", 0x10), ("z", 0x02), ("c", 0x01))
        },
    },
)
