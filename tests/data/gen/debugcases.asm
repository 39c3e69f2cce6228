; Routines written for the generator tests: each bug class and rewrite has a site here.

!keys = $7EF36F

; Add A keys to the key counter, clamped to 9, preserving X, DB and P.
; @entry m16 x16
; @in A: keys to add
; @ram $7EF36F rw
; @test A=$0001 [$7EF36F]=$05
; @test A=$0005 [$7EF36F]=$05
; @test A=$0007 [$7EF36F]=$05
Test_KeysAdd:
    PHP
    SEP #$30
    PHB
    PHX
    LDX #$00
    CLC
    ADC $7EF36F
    CMP #$0A
    BCC .ok
    LDA #$09
.ok
    STA $7EF36F
    STZ $0010
    PLX
    PLB
    PLP
    RTL

; Take A (8-bit) rupees from the 16-bit goal counter, never below zero.
; @entry m8 x8
; @in A: rupees to take
; @ram $7EF360 rw
; @test A=$05 [$7EF360]=$0010
; @test A=$20 [$7EF360]=$0010
Test_RupeesTake:
    REP #$20
    AND #$00FF
    STA $00
    LDA $7EF360
    SEC
    SBC $00
    BCS .store
    LDA #$0000
.store
    STA $7EF360
    SEP #$20
    RTL

; Clear the submodule and load the module index (A is overwritten, so STZ is equivalent).
; @entry m8 x8
; @ram $7E0011 w
; @ram $7E0010 r
Test_ClearSub:
    LDA #$00
    STA $0011
    LDA $0010
    RTL

; Count up the low nibble (the ADC result depends on decimal mode, so INC A is not equivalent).
; @entry m8 x8
Test_Nibble:
    CLC
    ADC #$01
    AND #$0F
    CLV
    CLC
    RTL

; Set both register widths to 16 bits in two steps, then read the frame counter.
; @entry m8 x8
; @ram $7E001A r
Test_Wide:
    REP #$20
    REP #$10
    LDA $001A
    SEP #$30
    RTL

; Refill one heart: the 4-byte JSL hook splits the LDA after the 2-byte SEP.
; @entry m8 x8
; @ram $7EF36D rw
; @test [$7EF36D]=$10
Test_Heal:
    SEP #$20
    LDA $7EF36D
    CLC
    ADC #$08
    STA $7EF36D
    RTL

; Loops from its first instruction: a branch target inside the JSL's 4 bytes, so no hook.
; @entry m8 x8
Test_Spin:
.loop
    DEX
    BNE .loop
    RTL

; A helper reached by a tail call.
; @entry m8 x8
Test_Helper:
    INC A
    RTS

; Tail call through JSR + RTS.
; @entry m8 x8
Test_Tail:
    ASL A
    JSR Test_Helper
    RTS
