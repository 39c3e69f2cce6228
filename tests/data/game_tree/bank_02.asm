org $028000

; Reads entry X (0-3) of its own table through the data bank.
Table_Lookup:
#_028000: TXA
#_028001: AND.b #$03
#_028003: TAX
#_028004: LDA.w Table_Data,X
#_028007: STA.b $27
#_028009: RTL

Table_Data:
#_02800A: db $11, $22, $33, $44

; The bank's entry: sets the data bank to its own, then dispatches through its table.
Bank02_Entry:
#_02800E: PHB
#_02800F: PHK
#_028010: PLB
#_028011: JSR .dispatch
#_028014: PLB
#_028015: RTL

.dispatch
#_028016: LDA.b $30
#_028018: ASL A
#_028019: TAX
#_02801A: JMP (.vectors,X)

.vectors
#_02801D: dw Bank02_Table2Read

; Reads its own table through the data bank the dispatcher set.
Bank02_Table2Read:
#_02801F: LDA.w Table2_Data
#_028022: STA.b $2C
#_028024: RTS

Table2_Data:
#_028025: db $5A
