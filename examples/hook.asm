; A hook in the usual ROM-hack shape: jump from the game's code into new code in free space.
; The game's own labels (Link_ReceiveItem, FreeSpace) are not defined here: run
;   triforce asm assemble examples/hook.asm --stubs
; and Triforce defines a stub for each, so the hook assembles on its own.
org $07A4F0                     ; where the game's routine would be patched (example address)
    JSL GiveBonusArrows
    NOP

org $3F8000                     ; free space in the last LoROM bank of an expanded image
GiveBonusArrows:
    LDA.l $7EF377               ; arrows
    CLC
    ADC #$05
    CMP #$1F
    BCC .ok
    LDA #$1E                    ; the quiver holds 30
.ok
    STA.l $7EF377
    JSL Link_ReceiveItem
    RTL
