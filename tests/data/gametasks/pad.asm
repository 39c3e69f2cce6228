lorom
org $0DB000
; Latches the joypad.
Pad_Latch:
    LDA $004218
    STA $7E00F0
    RTS
