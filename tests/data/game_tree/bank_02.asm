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
