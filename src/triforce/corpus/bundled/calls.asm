; Calls between routines: JSL/RTL entry points that use JSR/RTS helpers in their own bank,
; and routines that chain other corpus routines across banks.

; Collect a rupee pickup: A = kind (0 green, 1 blue, 2 red) worth 1, 5 or 20.
; @entry m8 x8
; @in A: rupee kind 0-2
; @out carry: set when the wallet hit the 999 cap
; @ram $7EF360 rw
; @test A=$02 [$7EF360]=$0064 => c=0 [$7EF360]=$0078
; @test A=$01 [$7EF360]=$03E5 => c=1 [$7EF360]=$03E7
Pickup_Rupee:
	PHB
	PHK
	PLB
	ASL A
	TAX
	REP #$20
	LDA.w .values,X
	JSL Rupees_Add
	SEP #$20
	PLB
	RTL
.values
	dw $0001, $0005, $0014

; Collect a heart pickup: restores one heart.
; @entry m8 x8
; @ram $7EF36C r
; @ram $7EF36D rw
; @test [$7EF36C]=$18 [$7EF36D]=$08 => [$7EF36D]=$10
Pickup_Heart:
	LDA.b #$08
	JSL Hearts_Heal
	RTL

; Buy a bundle of arrows for 30 rupees: pays, then adds 10 arrows. Carry set when bought.
; @entry m8 x8
; @out carry: set when the purchase went through
; @ram $7EF360 rw
; @ram $7EF377 rw
; @test [$7EF360]=$0064 [$7EF377]=$05 => c=1 [$7EF360]=$0046 [$7EF377]=$0F
; @test [$7EF360]=$0010 [$7EF377]=$05 => c=0
Shop_BuyArrows:
	REP #$30
	LDA.w #$001E
	JSL Rupees_Spend
	SEP #$30
	BCC .no_sale
	JSL Arrows_AddBundle
	SEC
.no_sale
	RTL

; Per-frame HUD update: tick the rupee display and report low health in $0F.
; @entry m8 x8
; @out $0F: 1 when health is low, else 0
; @ram $7EF360 r
; @ram $7EF362 rw
; @test [$7EF360]=$0010 [$7EF362]=$000E [$7EF36C]=$50 [$7EF36D]=$08 => [$7E000F]=$01 [$7EF362]=$000F
Hud_Update:
	REP #$30
	JSL Rupees_Tick
	SEP #$30
	JSL Hearts_IsLow
	LDA.b #$00
	ROL A
	STA.b $0F
	RTL

; Enemy hit: damage = strength A times X hits (hardware multiply), then applied to Link.
; @entry m8 x8
; @in A: strength per hit
; @in X: hits
; @out carry: set when Link has no health left
; @ram $7EF36D rw
; @test A=$04 X=$02 [$7EF36D]=$18 => c=0 [$7EF36D]=$10
; @test A=$08 X=$03 [$7EF36D]=$18 => c=1 [$7EF36D]=$00
Damage_FromEnemy:
	STZ.b $00
	STZ.b $01
	JSL Hw_MultiplyAdd
	SEP #$20
	JSL Hearts_Damage
	RTL

; Add BCD points to the score from a JSL entry: sets DB to this bank, uses a JSR helper.
; @entry m16 x16
; @in A: BCD points
; @ram $7F0010 rw
; @test A=$0025 [$7F0010]=$0075 => [$7F0010]=$0100
Score_AddLong:
	PHB
	PHK
	PLB
	JSR Score_AddLocal
	PLB
	RTL

; Local helper of Score_AddLong (JSR/RTS, same bank): BCD add with a 9999 cap.
; @entry m16 x16
; @in A: BCD points
; @ram $7F0010 rw
; @test A=$0025 [$7F0010]=$9990 => [$7F0010]=$9999
Score_AddLocal:
	PHP
	SED
	CLC
	ADC.l !score
	BCC .store
	LDA.w #$9999
.store
	STA.l !score
	PLP
	RTS

; Use a key on a locked door: spends a key and marks the door open in the progress flags.
; @entry m8 x8
; @in A: door bit mask
; @out carry: set when the door opened
; @ram $7EF36F rw
; @ram $7EF3C5 rw
; @test A=$02 [$7EF36F]=$01 [$7EF3C5]=$00 => c=1 [$7EF36F]=$00 [$7EF3C5]=$02
; @test A=$02 [$7EF36F]=$00 [$7EF3C5]=$00 => c=0
Door_Unlock:
	PHA
	JSL Keys_Use
	PLA
	BCC .locked
	ORA.l $7EF3C5
	STA.l $7EF3C5
	SEC
.locked
	RTL

; Refill everything a fairy restores: full hearts and a full magic meter.
; @entry m8 x8
; @ram $7EF36C r
; @ram $7EF36D w
; @ram $7EF36E rw
; @test [$7EF36C]=$30 [$7EF36D]=$04 [$7EF36E]=$10 => [$7EF36D]=$8030
Fairy_Restore:
	LDA.l !hp_max
	STA.l !hp
	LDA.b #$80
	JSL Magic_Refill
	RTL

; Total of two 8-bit item counts via a local JSR helper: A = bombs + arrows (16-bit).
; @entry m8 x8
; @out A: bombs + arrows (16-bit, A left 16-bit wide)
; @ram $7EF343 r
; @ram $7EF377 r
; @test [$7EF343]=$0A [$7EF377]=$1E => A=$0028
Items_AmmoTotal:
	LDA.l !bombs
	JSR .widen
	STA.b $0E
	SEP #$20
	LDA.l !arrows
	JSR .widen
	CLC
	ADC.b $0E
	RTL
.widen
	REP #$20
	AND.w #$00FF
	RTS
