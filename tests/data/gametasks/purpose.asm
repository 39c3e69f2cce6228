; Fixture for issue 11 (base/doc prompts): a routine whose only comment is an author's note,
; one with a real doc comment, and one that uses the hardware multiplier.
lorom
org $0DB000

; TODO analyze this further not complex though
Sprite_Slide:
    LDA $0D00,X
    CLC
    ADC $0D40,X
    STA $0D00,X
    INC $0E40,X
    RTS

; Adds the bomb refill to the bomb count.
Bomb_Refill:
    PHA
    LDA $7EF375
    CLC
    ADC $7EF343
    STA $7EF343
    PLA
    RTL

Mul_Three:
    SEP #$20
    STA $004202
    LDA #$03
    STA $004203
    NOP
    NOP
    NOP
    NOP
    LDA $004216
    STA $7E00F0
    RTS
