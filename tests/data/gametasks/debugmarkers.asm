; Fixture for issue 11 item 5: a disassembly with an address marker on every line.
lorom
org $02B990

; Advances the step counter at $7E0C00 by one.
; Clobbers A.
Timer_Tick:
#_02B990: PHP
#_02B991: SEP #$30
#_02B993: LDA.l $7E0C00
#_02B997: CLC
#_02B998: ADC.b #$01
#_02B99A: STA.l $7E0C00
#_02B99E: PLP
#_02B99F: RTL

; Writes 5 to $7E0D10 once per remaining X, keeping Y across each pass.
Loop_Store:
#_02BA00: SEP #$30
.loop
#_02BA02: PHY
#_02BA03: LDY.b #$05
#_02BA05: TYA
#_02BA06: STA.l $7E0D10
#_02BA0A: PLY
#_02BA0B: DEX
#_02BA0C: BNE .loop
#_02BA0E: RTL
