; Block moves with MVN/MVP. In asar the operands are written destination bank first, then
; source bank (the order of the object code). A move leaves DB set to the destination bank,
; so every routine here saves and restores DB with PHB/PLB.

; Copy $20 bytes of save data ($7EF340) to the WRAM buffer at $7F0100.
; @entry m16 x16
; @ram $7EF340 r
; @ram $7F0100 w
; @test [$7EF340]=$0102030405060708 => [$7F0100]=$0102030405060708 [$7F0108]=$0000000000000000 [$7F0110]=$0000000000000000 [$7F0118]=$0000000000000000
Block_BackupItems:
	PHB
	LDA.w #$001F
	LDX.w #$F340
	LDY.w #$0100
	MVN $7F, $7E
	PLB
	RTL

; Restore the $20 bytes saved by Block_BackupItems ($7F0100 -> $7EF340).
; @entry m16 x16
; @ram $7F0100 r
; @ram $7EF340 w
; @test [$7F0100]=$1122334455667788 => [$7EF340]=$1122334455667788 [$7EF348]=$0000000000000000 [$7EF350]=$0000000000000000 [$7EF358]=$0000000000000000
Block_RestoreItems:
	PHB
	LDA.w #$001F
	LDX.w #$0100
	LDY.w #$F340
	MVN $7E, $7F
	PLB
	RTL

; Copy A+1 bytes inside bank $7F from X to Y, for any overlap: MVP (from the top) when the
; destination is above the source, MVN otherwise.
; @entry m16 x16
; @in A: byte count - 1
; @in X: source address in bank $7F
; @in Y: destination address in bank $7F
; @test A=$0003 X=$0100 Y=$0102 [$7F0100]=$44332211 => [$7F0100]=$443322112211
; @test A=$0003 X=$0102 Y=$0100 [$7F0100]=$665544332211 => [$7F0100]=$665566554433
Block_MoveOverlapping:
	PHB
	STY.b $0E
	CPX.b $0E
	BCS .forward
	; Destination above source: move from the last byte down.
	STA.b $0C
	TXA
	CLC
	ADC.b $0C
	TAX
	TYA
	CLC
	ADC.b $0C
	TAY
	LDA.b $0C
	MVP $7F, $7F
	PLB
	RTL
.forward
	MVN $7F, $7F
	PLB
	RTL

; Fill A+2 bytes at $7F0200 with the byte in $00 by the overlapping-MVN trick: store the
; first byte, then copy each byte onto the next.
; @entry m16 x16
; @in A: byte count - 2 (at least 0)
; @in $00: fill byte
; @ram $7F0200 w
; @test A=$000E [$00]=$5A => [$7F0200]=$5A5A5A5A5A5A5A5A [$7F0208]=$5A5A5A5A5A5A5A5A
Block_FillBuffer:
	PHB
	PHA
	SEP #$20
	LDA.b $00
	STA.l !buffer_b
	REP #$20
	PLA
	LDX.w #$0200
	LDY.w #$0201
	MVN $7F, $7F
	PLB
	RTL

; Move the rupee counters (goal and display, 4 bytes) into the buffer at $7F0100 and clear
; them, as a shop might while a purchase is pending.
; @entry m16 x16
; @ram $7EF360 rw
; @ram $7F0100 w
; @test [$7EF360]=$00640064 => [$7EF360]=$00000000 [$7F0100]=$00640064
Block_StashRupees:
	PHB
	LDA.w #$0003
	LDX.w #$F360
	LDY.w #$0100
	MVN $7F, $7E
	PLB
	LDA.w #$0000
	STA.l !rupee_goal
	STA.l !rupee_display
	RTL
