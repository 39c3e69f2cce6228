; Routines written in the style of a disassembly: every line carries a `#_BBAAAA:` address
; marker that no code refers to, and immediates are sized explicitly.
lorom

org $0FA000

; Add the amount in A to the magic meter, capped at its maximum (called with 16-bit A).
; @entry m16 x8
MagicMeter_Add:
#_0FA000: REP #$20
#_0FA002: CLC
#_0FA003: ADC.l $7EF36E
#_0FA007: CMP.w #$0080
#_0FA00A: BCC .store

#_0FA00C: LDA.w #$0080

.store
#_0FA00F: STA.l $7EF36E
#_0FA013: SEP #$20
#_0FA015: RTL

; Clear the 16 bytes of the scratch table at $7E0F00 (16-bit A on entry).
Scratch_Clear:
#_0FA016: LDX.b #$0E
#_0FA018: LDA.w #$0000

.next
#_0FA01B: STA.l $7E0F00,X
#_0FA01F: DEX
#_0FA020: DEX
#_0FA021: BPL .next

#_0FA023: RTL

; Copy the rupee count of the first save slot (cartridge SRAM) to the game's WRAM copy.
SaveSlot_LoadRupees:
#_0FA024: LDA.l $700360
#_0FA028: STA.l $7EF360
#_0FA02C: LDA.l $700361
#_0FA030: STA.l $7EF361
#_0FA034: RTL

namespace Shop

; Take the price in A off the rupee count (no check for going below zero): a namespaced routine.
Pay:
#_0FA035: STA.b $00
#_0FA037: LDA.l $7EF360
#_0FA03B: SEC
#_0FA03C: SBC.b $00
#_0FA03E: STA.l $7EF360
#_0FA042: RTL

namespace off
