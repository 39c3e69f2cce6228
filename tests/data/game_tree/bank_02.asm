org $028000

; Reads entry X of its own table through the data bank.
Table_Lookup:
#_028000: LDA.w Table_Data,X
#_028003: STA.b $27
#_028005: RTL

Table_Data:
#_028006: db $11, $22, $33, $44
