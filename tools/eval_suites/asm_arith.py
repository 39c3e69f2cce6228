"""Arithmetic, BCD and flag items."""

from __future__ import annotations

from eval_suites._dsl import S, item, rd16, w


def _s16(v: int) -> int:
    v &= 0xFFFF
    return v - 0x10000 if v & 0x8000 else v


def _bcd(n: int) -> int:
    out, shift = 0, 0
    while n:
        out |= (n % 10) << shift
        n //= 10
        shift += 4
    return out


def _dec(b: int) -> int:
    out, mul = 0, 1
    while b:
        out += (b & 0xF) * mul
        b >>= 4
        mul *= 10
    return out


def _add32_model(s: S) -> dict[str, object]:
    a = rd16(s.mem, 0x7E0000) | rd16(s.mem, 0x7E0002) << 16
    b = rd16(s.mem, 0x7E0004) | rd16(s.mem, 0x7E0006) << 16
    r = (a + b) & 0xFFFFFFFF
    return {"mem": {**dict(s.mem), **w(0x7E0008, r), **w(0x7E000A, r >> 16)}}


# ---------------------------------------------------------------- arithmetic
item(
    id="add16",
    topic="arith",
    entry="Add16",
    task="Add X to A (16-bit, wrapping). Output: A = (A + X) & $FFFF, carry = 1 when the unsigned sum exceeded $FFFF. X must be preserved.",
    reference="""
Add16:
    PHX
    CLC
    ADC 1,S
    PLX
    RTL
""",
    states=[
        S("small", a=1, x=2),
        S("wrap", a=0xFFFF, x=1),
        S("two halves", a=0x8000, x=0x8000),
        S("plain", a=0x1234, x=0x1111),
        S("zero", a=0, x=0),
    ],
    model=lambda s: {"a": s.a + s.x, "x": s.x, "flags": {"c": int(s.a + s.x > 0xFFFF)}},
)

item(
    id="sub16",
    topic="arith",
    entry="Sub16",
    task="Subtract X from A (16-bit, wrapping). Output: A = (A - X) & $FFFF, carry = 1 when no borrow occurred (A >= X unsigned). X must be preserved.",
    reference="""
Sub16:
    PHX
    SEC
    SBC 1,S
    PLX
    RTL
""",
    states=[
        S("simple", a=5, x=3),
        S("borrow", a=3, x=5),
        S("equal", a=0x8000, x=0x8000),
        S("from zero", a=0, x=1),
        S("big", a=0xFFFF, x=0x0001),
    ],
    model=lambda s: {"a": s.a - s.x, "x": s.x, "flags": {"c": int(s.a >= s.x)}},
)

item(
    id="neg16",
    topic="arith",
    entry="Negate16",
    task="Negate A as a 16-bit two's-complement number. Output: A = (-A) & $FFFF.",
    reference="""
Negate16:
    EOR #$FFFF
    INC A
    RTL
""",
    states=[
        S("zero", a=0),
        S("one", a=1),
        S("min", a=0x8000),
        S("plain", a=0x1234),
        S("minus one", a=0xFFFF),
    ],
    model=lambda s: {"a": -s.a},
)

item(
    id="abs16",
    topic="arith",
    entry="Abs16",
    task="Replace A (a signed 16-bit number) by its absolute value. $8000 stays $8000. Output: A.",
    reference="""
Abs16:
    CMP #$8000
    BCC .positive
    EOR #$FFFF
    INC A
.positive
    RTL
""",
    states=[
        S("positive", a=5),
        S("negative", a=0xFFFB),
        S("min", a=0x8000),
        S("zero", a=0),
        S("max", a=0x7FFF),
        S("minus one", a=0xFFFF),
    ],
    model=lambda s: {"a": abs(_s16(s.a))},
)

item(
    id="abs16_jsr",
    topic="arith",
    entry="Abs16Near",
    convention="jsr",
    task="Same-bank helper: replace A (signed 16-bit) by its absolute value ($8000 stays $8000). Output: A. X and Y must be preserved.",
    reference="""
Abs16Near:
    CMP #$8000
    BCC +
    EOR #$FFFF
    INC A
+
    RTS
""",
    states=[
        S("positive", a=0x0100, x=0x1111, y=0x2222),
        S("negative", a=0xFF00, x=3, y=4),
        S("min", a=0x8000),
        S("zero", a=0, x=0xFFFF),
    ],
    model=lambda s: {"a": abs(_s16(s.a)), "x": s.x, "y": s.y},
)

item(
    id="add32",
    topic="arith",
    entry="Add32",
    task="Add two unsigned 32-bit little-endian numbers: the one at $7E0000-$7E0003 and the one at $7E0004-$7E0007. Store the 32-bit sum (wrapping) at $7E0008-$7E000B. The inputs must not change.",
    reference="""
Add32:
    LDA $00
    CLC
    ADC $04
    STA $08
    LDA $02
    ADC $06
    STA $0A
    RTL
""",
    states=[
        S(
            "carry chain",
            mem={**w(0x7E0000, 0xFFFF), **w(0x7E0002, 0xFFFF), **w(0x7E0004, 1), **w(0x7E0006, 0)},
        ),
        S("low carry", mem={**w(0x7E0000, 0xFFFF), **w(0x7E0002, 0), **w(0x7E0004, 1), **w(0x7E0006, 0)}),
        S(
            "plain",
            mem={**w(0x7E0000, 0x5678), **w(0x7E0002, 0x1234), **w(0x7E0004, 0x1111), **w(0x7E0006, 0x2222)},
        ),
        S("zeros", mem={}),
    ],
    model=lambda s: _add32_model(s),
)


def _sub32_model(s: S) -> dict[str, object]:
    a = rd16(s.mem, 0x7E0000) | rd16(s.mem, 0x7E0002) << 16
    b = rd16(s.mem, 0x7E0004) | rd16(s.mem, 0x7E0006) << 16
    r = (a - b) & 0xFFFFFFFF
    return {"mem": {**w(0x7E0008, r), **w(0x7E000A, r >> 16)}, "flags": {"c": int(a >= b)}}


item(
    id="sub32",
    topic="arith",
    entry="Sub32",
    task="Subtract the unsigned 32-bit little-endian number at $7E0004-$7E0007 from the one at $7E0000-$7E0003. Store the 32-bit difference (wrapping) at $7E0008-$7E000B. Output carry = 1 when no borrow occurred (first >= second).",
    reference="""
Sub32:
    LDA $00
    SEC
    SBC $04
    STA $08
    LDA $02
    SBC $06
    STA $0A
    RTL
""",
    states=[
        S("borrow chain", mem={**w(0x7E0000, 0), **w(0x7E0002, 1), **w(0x7E0004, 1), **w(0x7E0006, 0)}),
        S("negative", mem={**w(0x7E0000, 0), **w(0x7E0002, 0), **w(0x7E0004, 1), **w(0x7E0006, 0)}),
        S(
            "plain",
            mem={**w(0x7E0000, 0x5678), **w(0x7E0002, 0x3333), **w(0x7E0004, 0x1111), **w(0x7E0006, 0x2222)},
        ),
        S(
            "equal",
            mem={**w(0x7E0000, 0xBEEF), **w(0x7E0002, 0xDEAD), **w(0x7E0004, 0xBEEF), **w(0x7E0006, 0xDEAD)},
        ),
    ],
    model=_sub32_model,
)

_MUL_REFS = {
    3: "    STA $00\n    ASL A\n    CLC\n    ADC $00\n",
    5: "    STA $00\n    ASL A\n    ASL A\n    CLC\n    ADC $00\n",
    6: "    ASL A\n    STA $00\n    ASL A\n    CLC\n    ADC $00\n",
    10: "    ASL A\n    STA $00\n    ASL A\n    ASL A\n    CLC\n    ADC $00\n",
    12: "    ASL A\n    ASL A\n    STA $00\n    ASL A\n    CLC\n    ADC $00\n",
}
for _k, _body in _MUL_REFS.items():
    item(
        id=f"mul{_k}",
        topic="arith",
        entry=f"MulBy{_k}",
        task=f"Multiply A by {_k} without the hardware multiplier. Output: A = (A * {_k}) & $FFFF.",
        reference=f"MulBy{_k}:\n{_body}    RTL\n",
        states=[S("zero", a=0), S("seven", a=7), S("large", a=6553), S("wraps", a=7000), S("odd", a=0x0101)],
        model=lambda s, k=_k: {"a": s.a * k},
    )

item(
    id="asr16",
    topic="arith",
    entry="HalveSigned",
    task="Divide the signed 16-bit A by 2, rounding toward minus infinity (an arithmetic shift right). Output: A.",
    reference="""
HalveSigned:
    CMP #$8000
    ROR A
    RTL
""",
    states=[
        S("even", a=6),
        S("odd", a=7),
        S("minus one", a=0xFFFF),
        S("min", a=0x8000),
        S("minus seven", a=0xFFF9),
        S("zero", a=0),
    ],
    model=lambda s: {"a": _s16(s.a) >> 1},
)

item(
    id="avg16",
    topic="arith",
    entry="AverageU16",
    task="Return in A the unsigned average floor((A + X) / 2) of the 16-bit values A and X, correct even when A + X exceeds $FFFF. X must be preserved.",
    reference="""
AverageU16:
    PHX
    CLC
    ADC 1,S
    ROR A
    PLX
    RTL
""",
    states=[
        S("max", a=0xFFFF, x=0xFFFF),
        S("small", a=1, x=2),
        S("zeros"),
        S("overflowing", a=0xF000, x=0x2000),
        S("equal", a=0x1234, x=0x1234),
    ],
    model=lambda s: {"a": (s.a + s.x) // 2, "x": s.x},
)

item(
    id="min16u",
    topic="arith",
    entry="MinU16",
    task="Return in A the smaller of A and X, both unsigned 16-bit. X must be preserved.",
    reference="""
MinU16:
    STX $00
    CMP $00
    BCC .done
    LDA $00
.done
    RTL
""",
    states=[
        S("a smaller", a=3, x=9),
        S("x smaller", a=9, x=3),
        S("equal", a=5, x=5),
        S("unsigned", a=0x8000, x=1),
        S("max", a=0xFFFF, x=0xFFFE),
    ],
    model=lambda s: {"a": min(s.a, s.x), "x": s.x},
)

item(
    id="max16s",
    topic="arith",
    entry="MaxS16",
    task="Return in A the larger of A and X, both signed 16-bit two's-complement numbers.",
    reference="""
MaxS16:
    STA $00
    STX $02
    SEC
    SBC $02
    BVC +
    EOR #$8000
+
    BPL .a_is_max
    LDA $02
    RTL
.a_is_max
    LDA $00
    RTL
""",
    states=[
        S("plain", a=5, x=3),
        S("negative a", a=0xFFFF, x=1),
        S("overflow 1", a=0x8000, x=0x7FFF),
        S("overflow 2", a=0x7FFF, x=0x8000),
        S("equal", a=3, x=3),
        S("both negative", a=0xFFF0, x=0xFF00),
    ],
    model=lambda s: {"a": max(_s16(s.a), _s16(s.x))},
)

item(
    id="sext8",
    topic="arith",
    entry="SignExtend8",
    task="Sign-extend the low byte of A to 16 bits (the high byte of A at entry is garbage). Output: A.",
    reference="""
SignExtend8:
    AND #$00FF
    CMP #$0080
    BCC .done
    ORA #$FF00
.done
    RTL
""",
    states=[
        S("positive max", a=0x007F),
        S("negative min", a=0x0080),
        S("minus one", a=0x00FF),
        S("garbage high", a=0x1234),
        S("garbage negative", a=0x12F0),
    ],
    model=lambda s: {"a": (s.a & 0xFF) - (0x100 if s.a & 0x80 else 0)},
)

item(
    id="popcount16",
    topic="arith",
    entry="CountBits",
    task="Return in A the number of bits set in the 16-bit A (0-16).",
    reference="""
CountBits:
    LDX #$0000
.loop
    CMP #$0000
    BEQ .done
    LSR A
    BCC .loop
    INX
    BRA .loop
.done
    TXA
    RTL
""",
    states=[
        S("zero", a=0),
        S("all", a=0xFFFF),
        S("ends", a=0x8001),
        S("alternate", a=0x5555),
        S("one", a=0x0400),
    ],
    model=lambda s: {"a": bin(s.a).count("1")},
)

item(
    id="clamp100",
    topic="arith",
    entry="ClampS100",
    task="Clamp the signed 16-bit A to the range -100..100. Output: A (e.g. 150 -> 100, -300 -> -100 = $FF9C).",
    reference="""
ClampS100:
    CMP #$8000
    BCS .negative
    CMP #$0065
    BCC .done
    LDA #$0064
    RTL
.negative
    CMP #$FF9C
    BCS .done
    LDA #$FF9C
.done
    RTL
""",
    states=[
        S("zero", a=0),
        S("top", a=100),
        S("over", a=101),
        S("max", a=0x7FFF),
        S("bottom", a=0xFF9C),
        S("under", a=0xFF9B),
        S("min", a=0x8000),
        S("minus one", a=0xFFFF),
    ],
    model=lambda s: {"a": max(-100, min(100, _s16(s.a)))},
)

item(
    id="satadd16",
    topic="arith",
    entry="SatAddU16",
    task="Add X to A as unsigned 16-bit numbers, saturating at $FFFF instead of wrapping. Output: A. X must be preserved.",
    reference="""
SatAddU16:
    PHX
    CLC
    ADC 1,S
    BCC +
    LDA #$FFFF
+
    PLX
    RTL
""",
    states=[
        S("plain", a=0x1000, x=0x0234),
        S("exact max", a=0xFFFE, x=1),
        S("saturates", a=0xFFFF, x=1),
        S("big", a=0x9000, x=0x9000),
        S("zero", a=0, x=0),
    ],
    model=lambda s: {"a": min(0xFFFF, s.a + s.x), "x": s.x},
)

item(
    id="ispow2",
    topic="arith",
    entry="IsPowerOfTwo",
    task="Output carry = 1 when the 16-bit A is a power of two (exactly one bit set), carry = 0 otherwise (including A = 0).",
    reference="""
IsPowerOfTwo:
    CMP #$0000
    BEQ .no
    STA $00
    DEC A
    AND $00
    BNE .no
    SEC
    RTL
.no
    CLC
    RTL
""",
    states=[
        S("zero", a=0),
        S("one", a=1),
        S("top bit", a=0x8000),
        S("six", a=6),
        S("power", a=0x4000),
        S("all", a=0xFFFF),
    ],
    model=lambda s: {"flags": {"c": int(s.a != 0 and s.a & (s.a - 1) == 0)}},
)

# ---------------------------------------------------------------- BCD
item(
    id="add8",
    topic="bcd",
    entry="BcdAdd8",
    width="m8x8",
    task="A holds two BCD digits (00-99). Add the BCD byte at $7E0000 in decimal mode. Output: A = the two low BCD digits of the sum, carry = 1 when the sum exceeded 99. Decimal mode must be off again on return.",
    reference="""
BcdAdd8:
    SED
    CLC
    ADC $00
    CLD
    RTL
""",
    states=[
        S("digit carry", a=0x09, mem={0x7E0000: 0x01}),
        S("wraps", a=0x99, mem={0x7E0000: 0x01}),
        S("hundred", a=0x45, mem={0x7E0000: 0x55}),
        S("plain", a=0x12, mem={0x7E0000: 0x34}),
        S("zeros", a=0, mem={0x7E0000: 0}),
    ],
    model=lambda s: {
        "a8": _bcd((_dec(s.a & 0xFF) + _dec(s.mem[0x7E0000])) % 100),
        "flags": {"c": int(_dec(s.a & 0xFF) + _dec(s.mem[0x7E0000]) > 99)},
    },
)

item(
    id="add16",
    topic="bcd",
    entry="BcdAdd16",
    task="A and X each hold four BCD digits (0000-9999). Output: A = their decimal sum modulo 10000 in BCD, carry = 1 when the sum exceeded 9999. Decimal mode must be off on return.",
    reference="""
BcdAdd16:
    PHX
    SED
    CLC
    ADC 1,S
    CLD
    PLX
    RTL
""",
    states=[
        S("carry chain", a=0x0999, x=0x0001),
        S("wrap", a=0x9999, x=0x0001),
        S("plain", a=0x1234, x=0x4321),
        S("half", a=0x5000, x=0x5000),
        S("zeros"),
    ],
    model=lambda s: {
        "a": _bcd((_dec(s.a) + _dec(s.x)) % 10000),
        "flags": {"c": int(_dec(s.a) + _dec(s.x) > 9999)},
    },
)

item(
    id="sub8",
    topic="bcd",
    entry="BcdSub8",
    width="m8x8",
    task="A holds two BCD digits. Subtract the BCD byte at $7E0000 in decimal mode. Output: A = the BCD difference modulo 100, carry = 1 when no borrow occurred. Decimal mode must be off on return.",
    reference="""
BcdSub8:
    SED
    SEC
    SBC $00
    CLD
    RTL
""",
    states=[
        S("digit borrow", a=0x10, mem={0x7E0000: 0x01}),
        S("borrow out", a=0x00, mem={0x7E0000: 0x01}),
        S("plain", a=0x45, mem={0x7E0000: 0x23}),
        S("equal", a=0x99, mem={0x7E0000: 0x99}),
    ],
    model=lambda s: {
        "a8": _bcd((_dec(s.a & 0xFF) - _dec(s.mem[0x7E0000])) % 100),
        "flags": {"c": int(_dec(s.a & 0xFF) >= _dec(s.mem[0x7E0000]))},
    },
)


def _bcdinc(s: S) -> dict[str, object]:
    v = _dec(rd16(s.mem, 0x7E0100)) + 1
    return {"mem": w(0x7E0100, _bcd(v % 10000)), "flags": {"c": int(v > 9999)}}


item(
    id="counter",
    topic="bcd",
    entry="BcdTick",
    task="The word at $7E0100 is a four-digit BCD counter. Increment it in decimal (9999 wraps to 0000). Output: the new counter at $7E0100, carry = 1 when it wrapped. Decimal mode must be off on return.",
    reference="""
BcdTick:
    SED
    LDA $0100
    CLC
    ADC #$0001
    STA $0100
    CLD
    RTL
""",
    states=[
        S("nine", mem=w(0x7E0100, 0x0009)),
        S("wrap", mem=w(0x7E0100, 0x9999)),
        S("digits", mem=w(0x7E0100, 0x0999)),
        S("zero", mem=w(0x7E0100, 0)),
    ],
    model=_bcdinc,
)

item(
    id="bin2bcd",
    topic="bcd",
    entry="ByteToBcd",
    width="m8x8",
    task="Convert the binary value in A (0-99) to two BCD digits. Output: A (e.g. 42 = $2A -> $42).",
    reference="""
ByteToBcd:
    LDX #$00
.tens
    CMP #$0A
    BCC .done
    SBC #$0A
    INX
    BRA .tens
.done
    STA $00
    TXA
    ASL A
    ASL A
    ASL A
    ASL A
    ORA $00
    RTL
""",
    states=[S("zero", a=0), S("nine", a=9), S("ten", a=10), S("forty-two", a=42), S("max", a=99)],
    model=lambda s: {"a8": _bcd(s.a & 0xFF)},
)

item(
    id="bcd2bin",
    topic="bcd",
    entry="BcdToByte",
    width="m8x8",
    task="Convert the two BCD digits in A ($00-$99) to binary. Output: A (e.g. $42 -> 42 = $2A).",
    reference="""
BcdToByte:
    PHA
    AND #$0F
    STA $00
    PLA
    LSR A
    LSR A
    LSR A
    LSR A
    STA $01
    ASL A
    ASL A
    CLC
    ADC $01
    ASL A
    CLC
    ADC $00
    RTL
""",
    states=[S("zero", a=0), S("nine", a=0x09), S("ten", a=0x10), S("forty-two", a=0x42), S("max", a=0x99)],
    model=lambda s: {"a8": _dec(s.a & 0xFF)},
)

# ---------------------------------------------------------------- flags
item(
    id="iszero",
    topic="flags",
    entry="IsZero16",
    task="Output carry = 1 when A is zero, else carry = 0. A must be preserved.",
    reference="""
IsZero16:
    CMP #$0000
    BEQ .zero
    CLC
    RTL
.zero
    SEC
    RTL
""",
    states=[
        S("zero", a=0),
        S("one", a=1),
        S("top", a=0x8000),
        S("zero again", a=0),
        S("low byte zero", a=0x0100),
    ],
    model=lambda s: {"a": s.a, "flags": {"c": int(s.a == 0)}},
)

item(
    id="signedless",
    topic="flags",
    entry="LessSigned",
    task="Compare A and X as signed 16-bit numbers. Output carry = 1 when A < X, else carry = 0. A and X must be preserved.",
    reference="""
LessSigned:
    STX $00
    PHA
    SEC
    SBC $00
    BVC +
    EOR #$8000
+
    ASL A
    PLA
    RTL
""",
    states=[
        S("less", a=1, x=2),
        S("greater", a=2, x=1),
        S("negative", a=0xFFFF, x=0),
        S("overflow less", a=0x8000, x=0x7FFF),
        S("overflow greater", a=0x7FFF, x=0x8000),
        S("equal", a=5, x=5),
    ],
    model=lambda s: {"a": s.a, "x": s.x, "flags": {"c": int(_s16(s.a) < _s16(s.x))}},
)

item(
    id="overflow",
    topic="flags",
    entry="AddOverflows",
    task="Output carry = 1 when the signed 16-bit addition A + X overflows (the true sum is outside -32768..32767), else carry = 0. A must be preserved.",
    reference="""
AddOverflows:
    PHA
    STX $00
    CLC
    ADC $00
    CLC
    BVC +
    SEC
+
    PLA
    RTL
""",
    states=[
        S("positive overflow", a=0x7FFF, x=1),
        S("negative overflow", a=0x8000, x=0xFFFF),
        S("fine", a=1, x=1),
        S("mixed", a=0xFFFF, x=1),
        S("halves", a=0x4000, x=0x4000),
    ],
    model=lambda s: {"a": s.a, "flags": {"c": int(not -32768 <= _s16(s.a) + _s16(s.x) <= 32767)}},
)

item(
    id="testbit",
    topic="flags",
    entry="TestBit",
    width="m8x8",
    task="X holds a bit number 0-7. Output carry = 1 when that bit of the byte at $7E0200 is set, else carry = 0.",
    reference="""
TestBit:
    LDA $0200
.shift
    CPX #$00
    BEQ .got
    LSR A
    DEX
    BRA .shift
.got
    LSR A
    RTL
""",
    states=[
        S("bit 7 set", x=7, mem={0x7E0200: 0x80}),
        S("bit 6 clear", x=6, mem={0x7E0200: 0x80}),
        S("bit 0", x=0, mem={0x7E0200: 0x01}),
        S("none", x=3, mem={0x7E0200: 0x00}),
        S("all", x=5, mem={0x7E0200: 0xFF}),
        S("bit 1 of 2", x=1, mem={0x7E0200: 0x02}),
    ],
    model=lambda s: {"flags": {"c": (s.mem[0x7E0200] >> s.x) & 1}},
)

item(
    id="bitnv",
    topic="flags",
    entry="TopBits",
    task="Return in A (16-bit) the value (bit 7 of the byte at $7E0300) + 2 * (bit 6 of that byte): 0, 1, 2 or 3.",
    reference="""
TopBits:
    LDA #$0000
    SEP #$20
    BIT $0300
    BPL +
    ORA #$01
+
    BVC +
    ORA #$02
+
    REP #$20
    RTL
""",
    states=[
        S("both", mem={0x7E0300: 0xC0}),
        S("bit 7", mem={0x7E0300: 0x80}),
        S("bit 6", mem={0x7E0300: 0x40}),
        S("none", mem={0x7E0300: 0x00}),
        S("low bits", mem={0x7E0300: 0x3F}),
    ],
    model=lambda s: {"a": (s.mem[0x7E0300] >> 7) + 2 * ((s.mem[0x7E0300] >> 6) & 1)},
)

item(
    id="keepflags",
    topic="flags",
    entry="BumpCounter",
    task="Increment the 16-bit word at $7E0400. The processor status (all flags, including carry and the register widths) must be exactly as at entry when you return. A may change.",
    reference="""
BumpCounter:
    PHP
    REP #$20
    LDA $0400
    INC A
    STA $0400
    PLP
    RTL
""",
    states=[
        S("carry set", mem=w(0x7E0400, 0x00FF), p=0x01, stale=False),
        S("all flags", mem=w(0x7E0400, 0xFFFF), p=0xC3, stale=False),
        S("none", mem=w(0x7E0400, 0), p=0x00, stale=False),
        S("zero and overflow", mem=w(0x7E0400, 0x1234), p=0x42, stale=False),
    ],
    model=lambda s: {
        "mem": w(0x7E0400, rd16(s.mem, 0x7E0400) + 1),
        "flags": {
            f: int(bool((s.p or 0) & bit)) for f, bit in (("n", 0x80), ("v", 0x40), ("z", 0x02), ("c", 0x01))
        },
    },
)

item(
    id="inrange",
    topic="flags",
    entry="InRange",
    width="m8x8",
    task="Output carry = 1 when the unsigned 8-bit A is in the range $10-$1F inclusive, else carry = 0.",
    reference="""
InRange:
    SEC
    SBC #$10
    CMP #$10
    BCS .out
    SEC
    RTL
.out
    CLC
    RTL
""",
    states=[
        S("below", a=0x0F),
        S("low edge", a=0x10),
        S("high edge", a=0x1F),
        S("above", a=0x20),
        S("max", a=0xFF),
        S("zero", a=0x00),
    ],
    model=lambda s: {"flags": {"c": int(0x10 <= (s.a & 0xFF) <= 0x1F)}},
)
