; Loops and tables: lookups, searches, sums, fills and copies through long pointers.
; Long pointers live in direct page: $00-$02 (source) and $03-$05 (destination).

; Look up a byte in a table: A = table[X].
; @entry m8 x8
; @in X: index 0-7
; @out A: the table entry (the number of hearts each boss room refills)
; @test X=$00 => A=$08
; @test X=$05 => A=$30
Table_LookupByte:
	LDA.l .refill,X
	RTL
.refill
	db $08, $10, $18, $20, $28, $30, $38, $40

; Look up a 16-bit entry: A = table[X], X being an entry number (not a byte offset).
; @entry m16 x16
; @in X: entry number 0-3
; @out A: the 16-bit entry
; @test X=$0002 => A=$0064
; @test X=$0000 => A=$000A
Table_LookupWord:
	TXA
	ASL A
	TAX
	LDA.l .prices,X
	RTL
.prices
	dw $000A, $0032, $0064, $01F4

; Fill Y bytes at the long pointer in $00 with the byte in A.
; @entry m8 x16
; @in A: fill value
; @in Y: byte count (0 fills nothing)
; @in $00: destination (24-bit pointer)
; @test A=$AA Y=$0010 [$00]=$7F0100 => [$7F0100]=$AAAAAAAAAAAAAAAA [$7F0108]=$AAAAAAAAAAAAAAAA [$7F0110]=$00
; @test A=$55 Y=$0000 [$00]=$7F0100 => [$7F0100]=$00
Loop_Fill:
	CPY.w #$0000
	BEQ .done
.loop
	DEY
	STA [$00],Y
	BNE .loop
.done
	RTL

; Copy Y bytes from the long pointer in $00 to the long pointer in $03.
; @entry m8 x16
; @in Y: byte count
; @in $00: source (24-bit pointer)
; @in $03: destination (24-bit pointer)
; @test Y=$0004 [$00]=$7EF360 [$03]=$7F0100 [$7EF360]=$DDCCBBAA => [$7F0100]=$DDCCBBAA
Loop_CopyBytes:
	CPY.w #$0000
	BEQ .done
.loop
	DEY
	LDA [$00],Y
	STA [$03],Y
	CPY.w #$0000
	BNE .loop
.done
	RTL

; 8-bit checksum: the sum of Y bytes at the long pointer in $00, modulo 256.
; @entry m8 x16
; @in Y: byte count
; @in $00: data (24-bit pointer)
; @out A: sum of the bytes, low 8 bits
; @test Y=$0004 [$00]=$7EF360 [$7EF360]=$04030201 => A=$0A
; @test Y=$0000 [$00]=$7EF360 => A=$00
Loop_Checksum8:
	LDA.b #$00
	CPY.w #$0000
	BEQ .done
.loop
	DEY
	CLC
	ADC [$00],Y
	CPY.w #$0000
	BNE .loop
.done
	RTL

; 16-bit checksum over X words of save data starting at $7EF340, as save files do.
; @entry m16 x16
; @in X: number of 16-bit words (at most $80)
; @out A: sum of the words, low 16 bits
; @ram $7EF340 r
; @test X=$0002 [$7EF340]=$00020001 => A=$0003
; @test X=$0000 => A=$0000
Loop_Checksum16:
	STX.b $0E
	LDA.w #$0000
	LDX.w #$0000
.loop
	CPX.b $0E
	BEQ .done
	PHX
	PHA
	TXA
	ASL A
	TAX
	PLA
	CLC
	ADC.l $7EF340,X
	PLX
	INX
	BRA .loop
.done
	RTL

; Search Y bytes at the long pointer in $00 for the byte in A.
; @entry m8 x16
; @in A: byte to find
; @in Y: length
; @in $00: data (24-bit pointer)
; @out carry: set when found
; @out Y: index of the first match when found
; @test A=$CC Y=$0004 [$00]=$7EF360 [$7EF360]=$DDCCBBAA => c=1 Y=$0002
; @test A=$EE Y=$0004 [$00]=$7EF360 [$7EF360]=$DDCCBBAA => c=0 Y=$0004
Loop_FindByte:
	STY.b $0E
	LDY.w #$0000
.loop
	CPY.b $0E
	BEQ .missing
	CMP [$00],Y
	BEQ .found
	INY
	BRA .loop
.found
	SEC
	RTL
.missing
	CLC
	RTL

; Count how many of the first Y bytes at the long pointer in $00 equal A.
; @entry m8 x16
; @in A: byte to count
; @in Y: length
; @in $00: data (24-bit pointer)
; @out X: number of matches
; @test A=$01 Y=$0004 [$00]=$7EF360 [$7EF360]=$01020101 => X=$0003
Loop_CountMatches:
	LDX.w #$0000
	CPY.w #$0000
	BEQ .done
.loop
	DEY
	CMP [$00],Y
	BNE .next
	INX
.next
	CPY.w #$0000
	BNE .loop
.done
	RTL

; Length of a $FF-terminated string at the long pointer in $00 (at most 255).
; @entry m8 x16
; @in $00: string (24-bit pointer)
; @out Y: number of bytes before the terminator
; @test [$00]=$7EF360 [$7EF360]=$FF030201 => Y=$0003
; @test [$00]=$7EF360 [$7EF360]=$FF => Y=$0000
Loop_StrLen:
	LDY.w #$0000
.loop
	LDA [$00],Y
	CMP.b #$FF
	BEQ .done
	INY
	CPY.w #$00FF
	BNE .loop
.done
	RTL

; Reverse Y bytes in place at the long pointer in $00.
; @entry m8 x16
; @in Y: length
; @in $00: buffer (24-bit pointer)
; @test Y=$0004 [$00]=$7EF360 [$7EF360]=$04030201 => [$7EF360]=$01020304
; @test Y=$0001 [$00]=$7EF360 [$7EF360]=$09 => [$7EF360]=$09
Loop_Reverse:
	LDX.w #$0000
	DEY
	BMI .done
.loop
	STY.b $0E
	CPX.b $0E
	BCS .done
	PHY
	TXY
	LDA [$00],Y
	STA.b $0D
	PLY
	LDA [$00],Y
	PHY
	TXY
	STA [$00],Y
	PLY
	LDA.b $0D
	STA [$00],Y
	INX
	DEY
	BRA .loop
.done
	RTL

; Largest byte among the first Y bytes at the long pointer in $00 (Y >= 1).
; @entry m8 x16
; @in Y: length, at least 1
; @in $00: data (24-bit pointer)
; @out A: the largest byte
; @test Y=$0004 [$00]=$7EF360 [$7EF360]=$30904010 => A=$90
Loop_MaxByte:
	LDA.b #$00
.loop
	DEY
	CMP [$00],Y
	BCS .next
	LDA [$00],Y
.next
	CPY.w #$0000
	BNE .loop
	RTL

; Clear X bytes of the free WRAM buffer at $7F0100 (STZ has no long form: store A instead).
; @entry m8 x16
; @in X: byte count, at most $100
; @ram $7F0100 w
; @test X=$0008 [$7F0100]=$FFFFFFFFFFFFFFFF => [$7F0100]=$0000000000000000
Loop_ClearBuffer:
	LDA.b #$00
.loop
	DEX
	BMI .done
	STA.l !buffer_a,X
	BRA .loop
.done
	RTL

; Dispatch on the module number in A through a table of handlers, as a main loop does.
; Each handler writes its own marker to $0F; unknown modules do nothing.
; @entry m8 x8
; @in A: module number 0-2
; @out $0F: handler marker ($11, $22 or $33)
; @test A=$01 => [$7E000F]=$22
; @test A=$02 => [$7E000F]=$33
; @test A=$07 => A=$07 [$7E000F]=$00
Table_Dispatch:
	CMP.b #$03
	BCS .none
	ASL A
	TAX
	JMP (.handlers,X)
.none
	RTL
.handlers
	dw .intro, .dungeon, .overworld
.intro
	LDA.b #$11
	STA.b $0F
	RTL
.dungeon
	LDA.b #$22
	STA.b $0F
	RTL
.overworld
	LDA.b #$33
	STA.b $0F
	RTL

; Sum the bytes of a table while the running total stays below A, returning how many fit.
; @entry m8 x8
; @in A: budget
; @out X: number of table entries whose running sum fits in the budget
; @test A=$10 => X=$03
; @test A=$FF => X=$06
Loop_CountWithinBudget:
	STA.b $0E
	LDX.b #$00
	LDA.b #$00
.loop
	CPX.b #$06
	BEQ .done
	CLC
	ADC.l .costs,X
	BCS .done
	CMP.b $0E
	BEQ .fits
	BCS .done
.fits
	INX
	BRA .loop
.done
	RTL
.costs
	db $04, $04, $08, $10, $20, $40
