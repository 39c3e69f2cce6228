; Stack, bank and direct-page discipline: PHP/PLP, PHB/PLB, PHK/PLB, PHD/PLD, PEA and
; stack-relative addressing.

; Read a byte from a table in this routine's own bank, whatever DB the caller had:
; PHK/PLB makes DB the program bank, PLB restores the caller's.
; @entry m8 x8
; @in X: index 0-3
; @out A: table entry
; @test X=$02 => A=$1E
; @test X=$03 => A=$28
Bank_ReadOwnTable:
	PHB
	PHK
	PLB
	LDA.w .table,X
	PLB
	RTL
.table
	db $0A, $14, $1E, $28

; Store A into WRAM $7E0F00+X with absolute addressing, setting DB to $7E for the duration.
; @entry m8 x8
; @in A: value
; @in X: offset
; @ram $7E0F00 w
; @test A=$42 X=$03 => [$7E0F03]=$42
Bank_StoreInWram:
	PHB
	PHA
	LDA.b #$7E
	PHA
	PLB
	PLA
	STA.w $0F00,X
	PLB
	RTL

; Set DB to $7F with PEA/PLB (two bytes pushed, one pulled, one left for the second PLB),
; then clear $7F0000-$7F0003 with absolute stores.
; @entry m8 x8
; @ram $7F0000 w
; @test [$7F0000]=$FFFFFFFF => [$7F0000]=$00000000
Bank_ClearHeader:
	PHB
	PEA $7F7F
	PLB
	PLB
	STZ.w $0000
	STZ.w $0001
	STZ.w $0002
	STZ.w $0003
	PLB
	RTL

; Work in 16-bit mode and return with the caller's widths and flags intact (PHP/PLP):
; doubles the 16-bit value at $7EF360.
; @entry m8 x8
; @ram $7EF360 rw
; @test [$7EF360]=$0123 => [$7EF360]=$0246
Stack_PreserveWidth:
	PHP
	REP #$30
	LDA.l !rupee_goal
	ASL A
	STA.l !rupee_goal
	PLP
	RTL

; Preserve A, X and Y around work that clobbers them: sums Link's coordinates into $00.
; @entry m16 x16
; @out $00: Link X + Link Y (16-bit)
; @out A: unchanged
; @ram $7E0020 r
; @ram $7E0022 r
; @test A=$1111 X=$2222 Y=$3333 [$7E0020]=$0100 [$7E0022]=$0080 => A=$1111 [$7E0000]=$0180
Stack_SaveRegisters:
	PHA
	PHX
	PHY
	LDA.l !link_y
	TAX
	LDA.l !link_x
	STX.b $00
	CLC
	ADC.b $00
	STA.b $00
	PLY
	PLX
	PLA
	RTL

; Move the direct page to $0100 for a few fast accesses, then put it back (PHD/PLD).
; Writes A into $0100 and $0101 through direct-page addressing.
; @entry m8 x8
; @in A: value to store
; @ram $7E0100 w
; @test A=$77 => [$7E0100]=$7777
Stack_DirectPageSwitch:
	PHD
	PHA
	REP #$20
	LDA.w #$0100
	TCD
	SEP #$20
	PLA
	STA.b $00
	STA.b $01
	PLD
	RTL

; Add X to A by reading both back from the stack with stack-relative addressing.
; @entry m16 x16
; @in A: first value
; @in X: second value
; @out A: A + X
; @out X: unchanged
; @test A=$1200 X=$0034 => A=$1234 X=$0034
; @test A=$FFFF X=$0002 => A=$0001 X=$0002
Stack_AddViaStack:
	PHA
	PHX
	LDA $01,S
	CLC
	ADC $03,S
	STA $03,S
	PLX
	PLA
	RTL

; Exchange A and X through the stack.
; @entry m16 x16
; @in A: first value
; @in X: second value
; @out A: the old X
; @out X: the old A
; @test A=$1234 X=$5678 => A=$5678 X=$1234
Stack_SwapAX:
	PHA
	TXA
	PLX
	RTL

; Swap the two bytes of the 16-bit value at $00 with XBA, keeping the caller's P.
; @entry m8 x8
; @out $00: bytes swapped
; @test [$00]=$BEEF => [$7E0000]=$EFBE
Stack_SwapBytes:
	PHP
	REP #$20
	LDA.b $00
	XBA
	STA.b $00
	PLP
	RTL
