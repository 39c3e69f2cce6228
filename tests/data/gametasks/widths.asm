; Fixture for issue 11 item 4: a routine whose own top REP #$20 is what its caller needs.
; The caller runs with an 8-bit A, so `Castle_Restore`'s REP #$20 is not redundant, whatever
; the routine's own first instruction would suggest about its entry width.
lorom
org $028000

Castle_Caller:
    SEP #$30
    LDA #$01
    STA $7E0020
    JSR Castle_Restore
    RTL

; Copy the saved camera position back (16-bit).
Castle_Restore:
    REP #$20
    LDA $7E0600
    STA $7E00E2
    SEP #$20
    RTS
