; Bit and flag logic: counting, reversing, masks, item flags kept in save data.

; Count the set bits of the byte in A.
; @entry m8 x8
; @in A: value
; @out A: number of bits set (0-8)
; @test A=$FF => A=$08
; @test A=$A5 => A=$04
; @test A=$00 => A=$00
Bits_Popcount8:
	LDX.b #$00
.loop
	CMP.b #$00
	BEQ .done
	ASL A
	BCC .loop
	INX
	BRA .loop
.done
	TXA
	RTS

; Reverse the bit order of the byte in A (bit 0 <-> bit 7).
; @entry m8 x8
; @in A: value
; @out A: value with its bits mirrored
; @test A=$01 => A=$80
; @test A=$C4 => A=$23
Bits_Reverse8:
	LDX.b #$08
	STZ.b $0E
.loop
	LSR A
	ROL.b $0E
	DEX
	BNE .loop
	LDA.b $0E
	RTS

; Swap the two nibbles of A ($12 -> $21).
; @entry m8 x8
; @in A: value
; @out A: nibbles swapped
; @test A=$12 => A=$21
; @test A=$F0 => A=$0F
Bits_SwapNibbles:
	ASL A
	ADC.b #$80
	ROL A
	ASL A
	ADC.b #$80
	ROL A
	RTS

; Even parity of the byte in A.
; @entry m8 x8
; @in A: value
; @out carry: set when an odd number of bits is set
; @test A=$07 => c=1
; @test A=$03 => c=0
Bits_Parity8:
	STA.b $0E
	LDA.b #$00
	LDX.b #$08
.loop
	LSR.b $0E
	ADC.b #$00
	DEX
	BNE .loop
	LSR A
	RTS

; Index of the highest set bit of A, or $FF when A is zero.
; @entry m8 x8
; @in A: value
; @out X: bit number 0-7, $FF for zero
; @test A=$01 => X=$00
; @test A=$90 => X=$07
; @test A=$00 => X=$FF
Bits_HighestBit:
	LDX.b #$07
.loop
	ASL A
	BCS .found
	DEX
	BPL .loop
.found
	RTS

; Turn a bit number (0-7) in X into a mask in A, by table.
; @entry m8 x8
; @in X: bit number 0-7
; @out A: 1 << X
; @test X=$00 => A=$01
; @test X=$07 => A=$80
Bits_MaskFromIndex:
	LDA.l .masks,X
	RTS
.masks
	db $01, $02, $04, $08, $10, $20, $40, $80

; Test bits of the byte at $00 against the mask in A without changing either.
; @entry m8 x8
; @in A: mask
; @in $00: flags byte
; @out zero: set when none of the mask bits are set
; @test A=$04 [$00]=$05 => z=0
; @test A=$02 [$00]=$05 => z=1
Bits_TestMask:
	BIT.b $00
	RTS

; Set bits of the byte at $00 from the mask in A (TSB on direct page).
; @entry m8 x8
; @in A: mask
; @in $00: flags byte
; @out $00: flags | mask
; @out zero: set when none of the mask bits were set before
; @test A=$30 [$00]=$01 => z=1 [$7E0000]=$31
Bits_SetMask:
	TSB.b $00
	RTS

; Clear bits of the byte at $00 given by the mask in A (TRB on direct page).
; @entry m8 x8
; @in A: mask
; @in $00: flags byte
; @out $00: flags & ~mask
; @test A=$0F [$00]=$FF => [$7E0000]=$F0
Bits_ClearMask:
	TRB.b $00
	RTS

; Toggle bits of a long flag byte: the bit masks in A flip the boomerang item byte.
; TSB/TRB have no long form, so the read-modify-write goes through A.
; @entry m8 x8
; @in A: mask
; @out !item_boomerang: value XOR mask
; @ram $7EF341 rw
; @test A=$03 [$7EF341]=$01 => [$7EF341]=$02
Bits_ToggleLongFlag:
	EOR.l !item_boomerang
	STA.l !item_boomerang
	RTS

; Set a progress flag bit in a save-data byte: X selects the byte ($7EF3C5 + X),
; A holds the mask. Returns carry set when the flag was already set.
; @entry m8 x8
; @in X: byte offset from $7EF3C5
; @in A: bit mask
; @out carry: set when every mask bit was already set
; @ram $7EF3C5 rw
; @test A=$04 X=$00 [$7EF3C5]=$00 => c=0 [$7EF3C5]=$04
; @test A=$04 X=$01 [$7EF3C6]=$04 => c=1
Bits_SetProgressFlag:
	STA.b $0E
	LDA.l $7EF3C5,X
	AND.b $0E
	CMP.b $0E
	BEQ .already
	LDA.l $7EF3C5,X
	ORA.b $0E
	STA.l $7EF3C5,X
	CLC
	RTS
.already
	SEC
	RTS

; Extract a bit field: (A >> X) & $0F, the nibble starting at bit X.
; @entry m8 x8
; @in A: value
; @in X: shift 0-7
; @out A: 4-bit field
; @test A=$B6 X=$02 => A=$0D
; @test A=$B6 X=$00 => A=$06
Bits_ExtractNibble:
	CPX.b #$00
	BEQ .mask
.shift
	LSR A
	DEX
	BNE .shift
.mask
	AND.b #$0F
	RTS

; Round A up to the next multiple of 8 (the size of a heart in HP units).
; @entry m8 x8
; @in A: value 0-$F8
; @out A: value rounded up to a multiple of 8
; @test A=$11 => A=$18
; @test A=$10 => A=$10
Bits_AlignUp8:
	CLC
	ADC.b #$07
	AND.b #$F8
	RTS
