; Fixture for issue 11 (base: whole data tables are context, not answers), written for Triforce:
; a lookup routine followed by its 40-line table, and one with a short table that stays in the answer.
lorom
org $0EE000

; Returns the hit points of enemy type X (0-159) in A.
Enemy_HitPoints:
    PHP
    SEP #$20
    LDA.l .hit_points,X
    STA $0E50
    PLP
    RTL

.hit_points:
    db $01, $08, $0F, $16
    db $1D, $24, $2B, $32
    db $39, $40, $47, $4E
    db $55, $5C, $63, $6A
    db $71, $78, $7F, $86
    db $8D, $94, $9B, $A2
    db $A9, $B0, $B7, $BE
    db $C5, $CC, $D3, $DA
    db $E1, $E8, $EF, $F6
    db $02, $09, $10, $17
    db $1E, $25, $2C, $33
    db $3A, $41, $48, $4F
    db $56, $5D, $64, $6B
    db $72, $79, $80, $87
    db $8E, $95, $9C, $A3
    db $AA, $B1, $B8, $BF
    db $C6, $CD, $D4, $DB
    db $E2, $E9, $F0, $F7
    db $03, $0A, $11, $18
    db $1F, $26, $2D, $34
    db $3B, $42, $49, $50
    db $57, $5E, $65, $6C
    db $73, $7A, $81, $88
    db $8F, $96, $9D, $A4
    db $AB, $B2, $B9, $C0
    db $C7, $CE, $D5, $DC
    db $E3, $EA, $F1, $F8
    db $04, $0B, $12, $19
    db $20, $27, $2E, $35
    db $3C, $43, $4A, $51
    db $58, $5F, $66, $6D
    db $74, $7B, $82, $89
    db $90, $97, $9E, $A5
    db $AC, $B3, $BA, $C1
    db $C8, $CF, $D6, $DD
    db $E4, $EB, $F2, $F9
    db $05, $0C, $13, $1A
    db $21, $28, $2F, $36
    db $3D, $44, $4B, $52
    db $59, $60, $67, $6E

; Returns the speed of direction X (0-3) in A.
Dir_Speed:
    PHP
    SEP #$20
    LDA.l .speeds,X
    STA $0E60
    PLP
    RTL

.speeds:
    db $01, $02, $03, $04
