; ALTTP-style game logic on the vanilla save-data and game-state addresses: rupees (999 cap),
; hearts (8 HP = one heart), magic, keys, arrows, bombs, items, module and frame counter, and
; Link's position. Every entry point here is called with JSL and returns with RTL.

; Add rupees to the goal counter, capped at 999. The HUD counter catches up on its own.
; @entry m16 x16
; @in A: rupees to add
; @out !rupee_goal: old value + A, at most 999
; @out carry: set when the cap was hit
; @ram $7EF360 rw
; @test A=$0014 [$7EF360]=$0064 => c=0 [$7EF360]=$0078
; @test A=$0064 [$7EF360]=$03DE => c=1 [$7EF360]=$03E7
; @test A=$FFFF [$7EF360]=$0002 => c=1 [$7EF360]=$03E7
; @test A=$0007 [$7EF360]=$03E0 => c=0 [$7EF360]=$03E7
; @test A=$0008 [$7EF360]=$03E0 => c=1 [$7EF360]=$03E7
Rupees_Add:
	CLC
	ADC.l !rupee_goal
	BCS .cap
	CMP.w #$03E8
	BCC .store
.cap
	LDA.w #!rupee_cap
	STA.l !rupee_goal
	SEC
	RTL
.store
	STA.l !rupee_goal
	CLC
	RTL

; Pay A rupees if the goal counter holds enough.
; @entry m16 x16
; @in A: price
; @out carry: set when paid, clear (and nothing taken) when too poor
; @ram $7EF360 rw
; @test A=$0032 [$7EF360]=$0064 => c=1 [$7EF360]=$0032
; @test A=$0032 [$7EF360]=$0031 => c=0
Rupees_Spend:
	STA.b $0E
	LDA.l !rupee_goal
	CMP.b $0E
	BCC .too_poor
	SBC.b $0E
	STA.l !rupee_goal
	SEC
	RTL
.too_poor
	CLC
	RTL

; Move the displayed rupee count one step toward the goal (called once per frame).
; @entry m16 x16
; @out !rupee_display: one closer to !rupee_goal
; @ram $7EF360 r
; @ram $7EF362 rw
; @test [$7EF360]=$0010 [$7EF362]=$000E => [$7EF362]=$000F
; @test [$7EF360]=$0005 [$7EF362]=$0009 => [$7EF362]=$0008
; @test [$7EF360]=$0007 [$7EF362]=$0007 => [$7EF362]=$0007
Rupees_Tick:
	LDA.l !rupee_display
	CMP.l !rupee_goal
	BEQ .done
	BCC .count_up
	DEC A
	BRA .store
.count_up
	INC A
.store
	STA.l !rupee_display
.done
	RTL

; Restore A health points (8 per heart), never above the heart containers.
; @entry m8 x8
; @in A: HP to restore
; @ram $7EF36C r
; @ram $7EF36D rw
; @test A=$08 [$7EF36C]=$18 [$7EF36D]=$08 => [$7EF36D]=$10
; @test A=$20 [$7EF36C]=$18 [$7EF36D]=$10 => [$7EF36D]=$18
; @test A=$FF [$7EF36C]=$A0 [$7EF36D]=$90 => [$7EF36D]=$A0
Hearts_Heal:
	CLC
	ADC.l !hp
	BCS .full
	CMP.l !hp_max
	BCC .store
.full
	LDA.l !hp_max
.store
	STA.l !hp
	RTL

; Take A points of damage; health stops at zero.
; @entry m8 x8
; @in A: damage in HP (8 per heart)
; @out carry: set when Link has no health left
; @ram $7EF36D rw
; @test A=$04 [$7EF36D]=$18 => c=0 [$7EF36D]=$14
; @test A=$18 [$7EF36D]=$18 => c=1 [$7EF36D]=$00
; @test A=$20 [$7EF36D]=$10 => c=1 [$7EF36D]=$00
Hearts_Damage:
	STA.b $0E
	LDA.l !hp
	SEC
	SBC.b $0E
	BEQ .dead
	BCS .alive
	LDA.b #$00
.dead
	STA.l !hp
	SEC
	RTL
.alive
	STA.l !hp
	CLC
	RTL

; Grant a heart container: one more heart of capacity (at most 20) and full health.
; @entry m8 x8
; @ram $7EF36C rw
; @ram $7EF36D w
; @test [$7EF36C]=$18 [$7EF36D]=$08 => [$7EF36C]=$2020
; @test [$7EF36C]=$A0 [$7EF36D]=$50 => [$7EF36D]=$A0
Hearts_AddContainer:
	LDA.l !hp_max
	CMP.b #!hp_cap
	BCS .refill
	ADC.b #$08
	STA.l !hp_max
.refill
	LDA.l !hp_max
	STA.l !hp
	RTL

; Count Link's full hearts: HP / 8.
; @entry m8 x8
; @out A: full hearts
; @ram $7EF36D r
; @test [$7EF36D]=$1F => A=$03
; @test [$7EF36D]=$00 => A=$00
Hearts_CountFull:
	LDA.l !hp
	LSR A
	LSR A
	LSR A
	RTL

; Low-health check: carry set when HP is at or below a quarter of the containers.
; @entry m8 x8
; @out carry: set when health is low
; @ram $7EF36C r
; @ram $7EF36D r
; @test [$7EF36C]=$50 [$7EF36D]=$14 => c=1
; @test [$7EF36C]=$50 [$7EF36D]=$15 => c=0
Hearts_IsLow:
	LDA.l !hp_max
	LSR A
	LSR A
	CMP.l !hp
	RTL

; Use a small key: carry set and one key fewer when Link has one.
; @entry m8 x8
; @out carry: set when a key was used
; @ram $7EF36F rw
; @test [$7EF36F]=$02 => c=1 [$7EF36F]=$01
; @test [$7EF36F]=$00 => c=0
Keys_Use:
	LDA.l !keys
	BEQ .none
	DEC A
	STA.l !keys
	SEC
	RTL
.none
	CLC
	RTL

; Pick up a bundle of 10 arrows, capped at the quiver size.
; @entry m8 x8
; @ram $7EF377 rw
; @test [$7EF377]=$05 => [$7EF377]=$0F
; @test [$7EF377]=$44 => [$7EF377]=$46
Arrows_AddBundle:
	%add_capped(!arrows, $0A, !arrow_cap)
	RTL

; Pick up 4 bombs, capped at 50.
; @entry m8 x8
; @ram $7EF343 rw
; @test [$7EF343]=$00 => [$7EF343]=$04
; @test [$7EF343]=$31 => [$7EF343]=$32
Bombs_AddFour:
	%add_capped(!bombs, $04, !bomb_cap)
	RTL

; Use one bomb: carry set when there was one to use.
; @entry m8 x8
; @out carry: set when a bomb was used
; @ram $7EF343 rw
; @test [$7EF343]=$01 => c=1 [$7EF343]=$00
; @test [$7EF343]=$00 => c=0
Bombs_Use:
	LDA.l !bombs
	BEQ .none
	DEC A
	STA.l !bombs
	SEC
	RTL
.none
	CLC
	RTL

; Spend A magic points if there are enough.
; @entry m8 x8
; @in A: cost
; @out carry: set when the magic was spent
; @ram $7EF36E rw
; @test A=$08 [$7EF36E]=$80 => c=1 [$7EF36E]=$78
; @test A=$10 [$7EF36E]=$0F => c=0
Magic_Spend:
	STA.b $0E
	LDA.l !magic
	CMP.b $0E
	BCC .not_enough
	SBC.b $0E
	STA.l !magic
	RTL
.not_enough
	RTL

; Refill A magic points, at most $80 (a full meter).
; @entry m8 x8
; @in A: amount
; @ram $7EF36E rw
; @test A=$10 [$7EF36E]=$20 => [$7EF36E]=$30
; @test A=$F0 [$7EF36E]=$20 => [$7EF36E]=$80
Magic_Refill:
	CLC
	ADC.l !magic
	BCS .full
	CMP.b #!magic_cap
	BCC .store
.full
	LDA.b #!magic_cap
.store
	STA.l !magic
	RTL

; Does Link own a bow? Carry set when the bow slot is not empty.
; @entry m8 x8
; @out carry: set when a bow is owned
; @ram $7EF340 r
; @test [$7EF340]=$02 => c=1
; @test [$7EF340]=$00 => c=0
Items_HasBow:
	LDA.l !item_bow
	CMP.b #$01
	RTL

; Count the owned items among the 16 slots $7EF340-$7EF34F.
; @entry m8 x8
; @out Y: number of non-empty slots
; @ram $7EF340 r
; @test [$7EF340]=$0100020001000000 => Y=$03
Items_CountOwned:
	LDX.b #$0F
	LDY.b #$00
.loop
	LDA.l !item_bow,X
	BEQ .next
	INY
.next
	DEX
	BPL .loop
	RTL

; Is the game in an overworld module ($09 or $0B)? Carry set when it is.
; @entry m8 x8
; @out carry: set on the overworld
; @ram $7E0010 r
; @test [$7E0010]=$09 => c=1
; @test [$7E0010]=$07 => c=0
; @test [$7E0010]=$0B => c=1
Module_IsOverworld:
	LDA.b $10
	CMP.b #$09
	BEQ .yes
	CMP.b #$0B
	BEQ .yes
	CLC
	RTL
.yes
	SEC
	RTL

; Every eighth frame: carry set when the frame counter is a multiple of 8.
; @entry m8 x8
; @out carry: set on every eighth frame
; @ram $7E001A r
; @test [$7E001A]=$10 => c=1
; @test [$7E001A]=$13 => c=0
Frame_EveryEighth:
	LDA.b $1A
	AND.b #$07
	CMP.b #$01
	BCC .yes
	CLC
	RTL
.yes
	SEC
	RTL

; Blink phase for flashing sprites: A = 1 during 8 frames out of 16, else 0.
; @entry m8 x8
; @out A: 0 or 1
; @ram $7E001A r
; @test [$7E001A]=$08 => A=$01
; @test [$7E001A]=$17 => A=$00
Frame_BlinkPhase:
	LDA.b $1A
	LSR A
	LSR A
	LSR A
	AND.b #$01
	RTL

; Manhattan distance from Link to the point ($00, $02) = (x, y).
; @entry m16 x16
; @in $00: target X
; @in $02: target Y
; @out A: |Link X - x| + |Link Y - y|
; @ram $7E0020 r
; @ram $7E0022 r
; @test [$00]=$0100 [$02]=$0080 [$7E0022]=$0120 [$7E0020]=$0070 => A=$0030
Link_DistanceTo:
	LDA.b $22
	SEC
	SBC.b $00
	BPL .x_positive
	EOR.w #$FFFF
	INC A
.x_positive
	STA.b $0E
	LDA.b $20
	SEC
	SBC.b $02
	BPL .y_positive
	EOR.w #$FFFF
	INC A
.y_positive
	CLC
	ADC.b $0E
	RTL

; Keep Link inside the room: clamp X to [$00, $02] and Y to [$04, $06].
; @entry m16 x16
; @ram $7E0020 rw
; @ram $7E0022 rw
; @test [$00]=$0010 [$02]=$00F0 [$04]=$0020 [$06]=$00D0 [$7E0022]=$0100 [$7E0020]=$0008 => [$7E0020]=$00F00020
Link_ClampToRoom:
	LDA.b $22
	CMP.b $00
	BCS .x_low_ok
	LDA.b $00
.x_low_ok
	CMP.b $02
	BCC .x_ok
	LDA.b $02
.x_ok
	STA.b $22
	LDA.b $20
	CMP.b $04
	BCS .y_low_ok
	LDA.b $04
.y_low_ok
	CMP.b $06
	BCC .y_ok
	LDA.b $06
.y_ok
	STA.b $20
	RTL

; Step Link's X one pixel toward the target in $00.
; @entry m16 x16
; @in $00: target X
; @ram $7E0022 rw
; @test [$00]=$0080 [$7E0022]=$0070 => [$7E0022]=$0071
; @test [$00]=$0080 [$7E0022]=$0090 => [$7E0022]=$008F
Link_StepTowardX:
	LDA.b $22
	CMP.b $00
	BEQ .done
	BCC .right
	DEC.b $22
	RTL
.right
	INC.b $22
.done
	RTL
