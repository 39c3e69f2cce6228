; Fixture tree for the audit (issue 11): each routine reproduces one defect class.
lorom
org $1E8000

Up = $00
JOY1L = $004218
OPHCT = $00213C

; Moves the sprite; falls through into Zirro_Animate in the ROM.
Zirro_HandleMovement:
    LDA $0D00,X
    CLC
    ADC #$01
    STA $0D00,X

; Advances the animation frame.
Zirro_Animate:
    INC $0DC0,X
    RTS

; Reads the speed for the direction in Y from its table (through the data bank).
Zirro_Speed:
    LDA.w Zirro_SpeedTable,Y
    RTS

Zirro_SpeedTable:
    db $01, $02, $03, $04

; Reads the joypad.
Pad_Read:
    LDA JOY1L
    STA $00F0
    RTS

; Returns a random byte mixed with the beam position.
Rand_Get:
    LDA OPHCT
    ADC $0FA1
    RTS

; Faces up.
Face_Up:
    LDA.b #Up
    STA $2F
    RTS

; Restores the camera (16-bit); its caller runs with an 8-bit A.
Castle_Restore:
    REP #$20
    LDA $0600
    STA $E2
    SEP #$20
    RTS

Castle_Caller:
    SEP #$30
    JSR Castle_Restore
    RTL
