; Fixture for issue 11 (doc: DMA facts from the game's own parameters), written for Triforce:
; a VRAM upload whose every parameter is an immediate, and one whose size and source come from RAM.
lorom
org $0EC000

; Copies the tile buffer at $7F1000 to VRAM word address $4000.
Tiles_Upload:
    PHP
    REP #$20
    SEP #$10
    LDX #$80
    STX $2115
    LDA #$4000
    STA $2116
    LDA #$1801
    STA $4310
    LDA #$1000
    STA $4312
    LDX #$7F
    STX $4314
    LDA #$0800
    STA $4315
    LDX #$02
    STX $420B
    PLP
    RTL

; Copies the queued graphics of slot X to VRAM: size and source from the queue.
Gfx_UploadQueued:
    PHP
    REP #$20
    LDA $0E,X
    AND #$07FF
    STA $4305
    LDA $0A,X
    STA $4302
    LDA #$1801
    STA $4300
    SEP #$20
    LDA #$7E
    STA $4304
    LDA #$01
    STA $420B
    PLP
    RTS

; Points HDMA channel 6 at the wave table and turns it on.
Hdma_WaveOn:
    PHP
    SEP #$20
    LDA #$42
    STA $4360
    LDA #$0D
    STA $4361
    REP #$20
    LDA #$C800
    STA $4362
    SEP #$20
    LDA #$0E
    STA $4364
    LDA #$7E
    STA $4367
    LDA #$40
    STA $420C
    PLP
    RTL

; Clears the four BG3 rows of the status bar, one DMA of the same blank row per pass.
Rows_Clear:
    PHP
    SEP #$30
    LDY #$03
.next
    LDA #$01
    STA $4300
    LDA #$18
    STA $4301
    LDA #$00
    STA $4302
    LDA #$E0
    STA $4303
    LDA #$7F
    STA $4304
    LDA #$40
    STA $4305
    STZ $4306
    LDA #$01
    STA $420B
    DEY
    BPL .next
    PLP
    RTS

; Copies the default palette from ROM into the WRAM palette buffer at $7EC500.
Palette_CopyDefault:
    PHP
    REP #$20
    LDA #$C500
    STA $2181
    SEP #$20
    STZ $2183
    REP #$20
    LDA #$8000
    STA $4300
    LDA #Palette_Default
    STA $4302
    SEP #$20
    LDA #Palette_Default>>16
    STA $4304
    REP #$20
    LDA #$0020
    STA $4305
    SEP #$20
    LDA #$01
    STA $420B
    PLP
    RTL

Palette_Default:
    dw $0000, $7FFF, $001F, $03E0, $7C00, $7FE0, $03FF, $7C1F
    dw $4210, $2108, $0010, $0200, $4000, $4200, $0210, $4010
