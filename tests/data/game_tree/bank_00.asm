org $008000

; Steps the mover; when it moves, it falls through into Mover_Animate.
Mover_Step:
#_008000: LDA.b $20
#_008002: CLC
#_008003: ADC.b #$01
#_008005: STA.b $20
#_008007: LDA.b $21
#_008009: BNE .move
#_00800B: RTS

.move
#_00800C: JSR Helper_Unrelated

; Animates the mover after a step.
Mover_Animate:
#_00800F: LDA.b #$07
#_008011: STA.b $22
#_008013: RTS

; Something the mover calls; it is not what follows the mover.
Helper_Unrelated:
#_008014: LDA.b #$55
#_008016: STA.b $23
#_008018: RTS

; Faces the mover up.
Mover_FaceUp:
#_008019: LDA.b #Up
#_00801B: STA.b $24
#_00801D: RTS

; Reads the first joypad register into $25.
Joypad_Read:
#_00801E: LDA.w JOY1L
#_008021: STA.b $25
#_008023: RTS

; Latches the beam position and reads the horizontal counter.
Beam_Read:
#_008024: LDA.w SLHV
#_008027: LDA.w OPHCT
#_00802A: STA.b $26
#_00802C: RTS

; Calls the bank 02 routine the way the game does: data bank set to the routine's bank.
Caller_Bank02:
#_00802D: PHB
#_00802E: LDA.b #$02
#_008030: PHA
#_008031: PLB
#_008032: JSL Table_Lookup
#_008036: PLB
#_008037: RTS

; Loads entry X of a palette table kept as a binary file next to the source, with the data
; bank set to its own.
Palette_Load:
#_008038: PHB
#_008039: PHK
#_00803A: PLB
#_00803B: LDA.w Palette_Table,X
#_00803E: STA.b $28
#_008040: PLB
#_008041: RTS

Palette_Table:
incbin "palette.bin"

; Multiplies 3 by 5 with the hardware multiplier and keeps the product in $29.
Multiply_3x5:
#_008046: LDA.b #$03
#_008048: STA.w WRMPYA
#_00804B: LDA.b #$05
#_00804D: STA.w WRMPYB
#_008050: NOP
#_008051: NOP
#_008052: NOP
#_008053: NOP
#_008054: LDA.w RDMPYL
#_008057: STA.b $29
#_008059: RTS

; Reads a byte of a bank this tree does not hold.
Absent_Read:
#_00805A: LDA.l $0D8000
#_00805E: STA.b $2A
#_008060: RTS

; Sets a flag and ends in the animation code, which returns for it.
Tail_Caller:
#_008061: LDA.b #$01
#_008063: STA.b $2B
#_008065: JMP Mover_Animate

; Keeps the bank byte of a table this tree does not have.
Stub_Immediate:
#_008068: LDA.b #MissingTable>>16
#_00806A: STA.b $2D
#_00806C: RTS

; Calls a routine this tree does not have, then sets a flag.
Calls_Missing:
#_00806D: JSR MissingRoutine
#_008070: LDA.b #$01
#_008072: STA.b $2E
#_008074: RTS
