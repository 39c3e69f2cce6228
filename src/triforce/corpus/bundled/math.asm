; Arithmetic: 16/32-bit add and subtract, negate, abs, clamp, min/max, shifts as multiply,
; sign extension and packed BCD counters.

; Add the 16-bit value in $00 to A.
; @entry m16 x16
; @in A: first addend (16-bit)
; @in $00: second addend (16-bit)
; @out A: sum, low 16 bits
; @out carry: set on unsigned overflow
; @test A=$1234 [$00]=$0101 => A=$1335 c=0
; @test A=$FFFF [$00]=$0002 => A=$0001 c=1
Math_Add16:
	CLC
	ADC.b $00
	RTS

; Subtract the 16-bit value in $00 from A.
; @entry m16 x16
; @in A: minuend
; @in $00: subtrahend
; @out A: difference
; @out carry: clear when a borrow occurred (A was smaller)
; @test A=$1000 [$00]=$0001 => A=$0FFF c=1
; @test A=$0001 [$00]=$0002 => A=$FFFF c=0
Math_Sub16:
	SEC
	SBC.b $00
	RTS

; Add two 32-bit numbers in direct page: $00-$03 += $04-$07.
; @entry m16 x16
; @in $00: first addend (32-bit, little-endian), replaced by the sum
; @in $04: second addend (32-bit)
; @out $00: sum
; @out carry: set when the sum overflows 32 bits
; @test [$00]=$0000FFFF [$04]=$00000001 => c=0 [$7E0000]=$00010000
; @test [$00]=$12345678 [$04]=$11111111 => c=0 [$7E0000]=$23456789
Math_Add32:
	CLC
	LDA.b $00
	ADC.b $04
	STA.b $00
	LDA.b $02
	ADC.b $06
	STA.b $02
	RTS

; Two's-complement negate A (16-bit).
; @entry m16 x16
; @in A: value
; @out A: -value
; @test A=$0001 => A=$FFFF
; @test A=$8000 => A=$8000
; @test A=$0000 => A=$0000
Math_Negate16:
	EOR.w #$FFFF
	INC A
	RTS

; Absolute value of a signed 16-bit A.
; @entry m16 x16
; @in A: signed value
; @out A: |value| ($8000 stays $8000)
; @test A=$FFFE => A=$0002
; @test A=$0005 => A=$0005
Math_Abs16:
	CMP.w #$8000
	BCC .positive
	EOR.w #$FFFF
	INC A
.positive
	RTS

; Clamp an unsigned 16-bit A into [$00, $02].
; @entry m16 x16
; @in A: value
; @in $00: lower bound
; @in $02: upper bound (not below the lower bound)
; @out A: value limited to the bounds
; @test A=$0005 [$00]=$0010 [$02]=$0020 => A=$0010
; @test A=$0030 [$00]=$0010 [$02]=$0020 => A=$0020
; @test A=$0018 [$00]=$0010 [$02]=$0020 => A=$0018
Math_Clamp16:
	CMP.b $00
	BCS .above_low
	LDA.b $00
	RTS
.above_low
	CMP.b $02
	BCC .done
	BEQ .done
	LDA.b $02
.done
	RTS

; Multiply A by 10 with shifts and one add: 10x = 8x + 2x.
; @entry m16 x16
; @in A: value (results above $FFFF wrap)
; @out A: value * 10
; @test A=$0007 => A=$0046
; @test A=$0123 => A=$0B5E
Math_Times10:
	ASL A
	STA.b $0E
	ASL A
	ASL A
	CLC
	ADC.b $0E
	RTS

; Multiply the 8-bit A by 3, giving a 16-bit result.
; @entry m8 x8
; @in A: value (8-bit)
; @out A: value * 3 (16-bit, A is left 16-bit wide)
; @test A=$55 => A=$00FF
; @test A=$FF => A=$02FD
Math_Times3:
	REP #$20
	AND.w #$00FF
	STA.b $0E
	ASL A
	CLC
	ADC.b $0E
	RTS

; Divide an unsigned 16-bit A by 16, rounding to nearest.
; @entry m16 x16
; @in A: value
; @out A: round(value / 16)
; @test A=$0018 => A=$0002
; @test A=$0017 => A=$0001
; @test A=$FFFF => A=$1000
Math_Div16Round:
	CLC
	ADC.w #$0008
	ROR A
	LSR A
	LSR A
	LSR A
	RTS

; Smaller of two unsigned bytes: A and $00.
; @entry m8 x8
; @in A: first value
; @in $00: second value
; @out A: the smaller one
; @test A=$40 [$00]=$20 => A=$20
; @test A=$10 [$00]=$20 => A=$10
Math_Min8:
	CMP.b $00
	BCC .keep
	LDA.b $00
.keep
	RTS

; Larger of two unsigned bytes: A and $00.
; @entry m8 x8
; @in A: first value
; @in $00: second value
; @out A: the larger one
; @test A=$40 [$00]=$20 => A=$40
; @test A=$10 [$00]=$20 => A=$20
Math_Max8:
	CMP.b $00
	BCS .keep
	LDA.b $00
.keep
	RTS

; Sign-extend the 8-bit value in A to 16 bits.
; @entry m8 x8
; @in A: signed byte
; @out A: signed 16-bit value (A is left 16-bit wide)
; @test A=$80 => A=$FF80
; @test A=$7F => A=$007F
Math_SignExtend8:
	REP #$20
	AND.w #$00FF
	CMP.w #$0080
	BCC .positive
	ORA.w #$FF00
.positive
	RTS

; Average of two unsigned 16-bit values without losing the carry: (A + $00) / 2.
; @entry m16 x16
; @in A: first value
; @in $00: second value
; @out A: floor((A + $00) / 2)
; @test A=$FFFF [$00]=$FFFF => A=$FFFF
; @test A=$0003 [$00]=$0004 => A=$0003
Math_Average16:
	CLC
	ADC.b $00
	ROR A
	RTS

; Add two packed-BCD bytes (two decimal digits each) in decimal mode.
; @entry m8 x8
; @in A: BCD value 00-99
; @in $00: BCD value 00-99
; @out A: BCD sum, low two digits
; @out carry: set when the sum passed 99
; @test A=$19 [$00]=$23 => A=$42 c=0
; @test A=$75 [$00]=$50 => A=$25 c=1
Math_BcdAdd8:
	SED
	CLC
	ADC.b $00
	CLD
	RTS

; Add a BCD amount to the 4-digit BCD score, stopping at 9999.
; @entry m16 x16
; @in A: BCD amount 0000-9999
; @out !score: new score, at most $9999
; @ram $7F0010 rw
; @test A=$0001 [$7F0010]=$0999 => [$7F0010]=$1000
; @test A=$0500 [$7F0010]=$9800 => [$7F0010]=$9999
Math_BcdScoreAdd:
	SED
	CLC
	ADC.l !score
	CLD
	BCC .store
	LDA.w #$9999
.store
	STA.l !score
	RTS

; Compare two signed 16-bit values: A against $00.
; @entry m16 x16
; @in A: left value (signed)
; @in $00: right value (signed)
; @out carry: set when A >= $00 as signed numbers
; @test A=$FFFF [$00]=$0001 => c=0
; @test A=$0001 [$00]=$FFFF => c=1
; @test A=$8000 [$00]=$7FFF => c=0
Math_CmpSigned16:
	SEC
	SBC.b $00
	BVC .no_overflow
	EOR.w #$8000
.no_overflow
	ASL A
	LDA.w #$0000
	ROL A
	EOR.w #$0001
	LSR A
	RTS

; Integer square root of a 16-bit value by subtracting successive odd numbers.
; @entry m16 x16
; @in A: value
; @out X: floor(sqrt(value))
; @test A=$0010 => X=$0004
; @test A=$0063 => X=$0009
; @test A=$0000 => X=$0000
Math_Sqrt16:
	LDX.w #$0000
	LDY.w #$0001
	STY.b $0E
.loop
	CMP.b $0E
	BCC .done
	SBC.b $0E
	INX
	INC.b $0E
	INC.b $0E
	BRA .loop
.done
	RTS
