; The SNES multiply/divide unit: $4202 x $4203 -> $4216 (16-bit product, 8 cycles),
; $4204/$4205 / $4206 -> $4214 quotient, $4216 remainder (16 cycles).

; Unsigned 8x8 multiply: A * X.
; @entry m8 x8
; @in A: multiplicand
; @in X: multiplier
; @out A: product (16-bit, A left 16-bit wide)
; @test A=$12 X=$34 => A=$03A8
; @test A=$FF X=$FF => A=$FE01
Hw_Multiply8:
	STA.l $004202
	TXA
	STA.l $004203
	NOP
	NOP
	NOP
	NOP
	REP #$20
	LDA.l $004216
	RTL

; Unsigned 16/8 divide: A / X.
; @entry m16 x8
; @in A: dividend
; @in X: divisor (not zero)
; @out A: quotient
; @out X: remainder (the low byte of $4216)
; @test A=$1234 X=$10 => A=$0123 X=$04
; @test A=$00FF X=$07 => A=$0024 X=$03
Hw_Divide16:
	STA.l $004204
	SEP #$20
	TXA
	STA.l $004206
	REP #$20
	NOP
	NOP
	NOP
	NOP
	NOP
	NOP
	NOP
	NOP
	LDA.l $004216
	TAX
	LDA.l $004214
	RTL

; A * X + $00 using the hardware multiplier: the damage of X hits of strength A plus a base.
; @entry m8 x8
; @in A: per-hit damage
; @in X: hits
; @in $00: base damage (16-bit)
; @out A: total (16-bit, A left 16-bit wide)
; @test A=$04 X=$03 [$00]=$0002 => A=$000E
Hw_MultiplyAdd:
	STA.l $004202
	TXA
	STA.l $004203
	NOP
	NOP
	NOP
	NOP
	REP #$20
	LDA.l $004216
	CLC
	ADC.b $00
	RTL

; Percentage: A * X / 100 with the multiplier and the divider (A, X 8-bit).
; @entry m8 x8
; @in A: value
; @in X: percentage 0-255
; @out A: floor(value * percentage / 100) (16-bit, A left 16-bit wide)
; @test A=$C8 X=$32 => A=$0064
; @test A=$63 X=$64 => A=$0063
Hw_Percent:
	STA.l $004202
	TXA
	STA.l $004203
	NOP
	NOP
	NOP
	NOP
	REP #$20
	LDA.l $004216
	STA.l $004204
	SEP #$20
	LDA.b #$64
	STA.l $004206
	REP #$20
	NOP
	NOP
	NOP
	NOP
	NOP
	NOP
	NOP
	NOP
	LDA.l $004214
	RTL

; 16x8 unsigned multiply from two 8x8 products: $00 (16-bit) * A (8-bit) -> $04-$06 (24-bit).
; @entry m8 x8
; @in $00: multiplicand (16-bit)
; @in A: multiplier
; @out $04: product (24-bit)
; @test A=$10 [$00]=$1234 => [$7E0004]=$012340
; @test A=$FF [$00]=$FFFF => [$7E0004]=$FEFF01
Hw_Multiply16x8:
	STA.b $0E
	LDA.b $00
	STA.l $004202
	LDA.b $0E
	STA.l $004203
	NOP
	NOP
	NOP
	NOP
	REP #$20
	LDA.l $004216
	STA.b $04
	SEP #$20
	STZ.b $06
	LDA.b $01
	STA.l $004202
	LDA.b $0E
	STA.l $004203
	NOP
	NOP
	NOP
	NOP
	REP #$20
	LDA.l $004216
	CLC
	ADC.b $05
	STA.b $05
	SEP #$20
	RTL
