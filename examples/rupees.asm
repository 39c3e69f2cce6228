; AddRupees: add 16 to the rupee goal (16-bit, $7EF360), never above 999.
; Called with JSL from 8-bit A/X/Y code; returns with RTL and A/X/Y 8-bit again.
; Try it:  triforce asm run examples/rupees.asm --entry AddRupees --state '{"memory": {"$7EF360": "$F8"}}'
AddRupees:
    PHP
    REP #$20
    LDA.l $7EF360
    CLC
    ADC #$0010
    CMP #$03E8          ; 1000 or more?
    BCC .store
    LDA #$03E7          ; cap at 999
.store
    STA.l $7EF360
    PLP
    RTL
