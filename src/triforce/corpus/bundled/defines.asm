; WRAM and SRAM locations of vanilla ALTTP (US) used by the bundled routines, and helper macros.

; Game state in bank $7E (direct page mirrors $0000-$1FFF).
!module         = $7E0010   ; main module index ($07 dungeon, $09 overworld, $0E menu)
!submodule      = $7E0011
!frame_counter  = $7E001A
!link_y         = $7E0020   ; 16-bit
!link_x         = $7E0022   ; 16-bit

; Save data (WRAM copy of SRAM).
!item_bow       = $7EF340
!item_boomerang = $7EF341
!item_hookshot  = $7EF342
!bombs          = $7EF343
!sword          = $7EF359
!rupee_goal     = $7EF360   ; 16-bit, what the rupee counter counts toward
!rupee_display  = $7EF362   ; 16-bit, what the HUD shows
!hp_max         = $7EF36C   ; 8 = one heart
!hp             = $7EF36D
!magic          = $7EF36E
!keys           = $7EF36F
!arrows         = $7EF377

; Limits.
!rupee_cap      = $03E7     ; 999
!hp_cap         = $A0       ; 20 hearts
!magic_cap      = $80
!arrow_cap      = $46       ; 70, the largest quiver
!bomb_cap       = $32       ; 50

; Free WRAM the bundled routines use for buffers and counters.
!score          = $7F0010   ; 16-bit BCD score (4 digits)
!buffer_a       = $7F0100
!buffer_b       = $7F0200

; Register width helpers, as most hacks define them.
macro a16()
	REP #$20
endmacro

macro a8()
	SEP #$20
endmacro

macro ai16()
	REP #$30
endmacro

macro ai8()
	SEP #$30
endmacro

; Add a constant to a long 8-bit counter and cap it.
macro add_capped(addr, amount, cap)
	LDA.l <addr>
	CLC
	ADC.b #<amount>
	CMP.b #<cap>
	BCC ?ok
	LDA.b #<cap>
?ok:
	STA.l <addr>
endmacro
