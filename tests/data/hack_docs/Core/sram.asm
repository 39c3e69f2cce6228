; Save RAM of a small test hack (written for Triforce's tests).

; ---------------------------------------------------------
; Quest Bits (QUESTBITS @ $7EF3D6)
; ---------------------------------------------------------
!Quest_MetSage           = $01  ; bit 0 - sage met
!Quest_OpenedGate        = $02  ; bit 1 - gate opened
!Quest_GateAlias         = $02  ; bit 1 - (alias, same as above)

; ---------------------------------------------------------
; Crystal Bits ($7EF37A)
; ---------------------------------------------------------
!Crystal_D1_Grotto       = $01  ; bit 0 - Palace of Darkness slot
!Crystal_D2_Keep         = $02  ; bit 1 - Palace of Darkness slot

; =========================================================
QuestBits               = $7EF3D6
Crystals                = $7EF37A
LanternSlot             = $7EF34A   ; lantern
PebbleCount             = $7EF38F   ; pebbles for the quarry quest
