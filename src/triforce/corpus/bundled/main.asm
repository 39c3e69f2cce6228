; Triforce bundled corpus: original routines written for the ASM generators.
;
; Each routine carries a doc comment (purpose, inputs, outputs) and machine-readable tags:
;   ; @entry m8 x8        register widths expected at entry
;   ; @in / ; @out         inputs and outputs
;   ; @ram $7EF360 rw     RAM it reads (r), writes (w) or both (rw)
;   ; @test A=$10 [$7EF360]=$0100 => A=$20 c=1 [$7EF360]=$0110
;                        a seed state, and after `=>` what the routine leaves (registers,
;                        flags c z n v, memory), checked by executing it
; Scratch memory: direct page $00-$0F (D = $0000), free WRAM at $7F0000-$7F3FFF.

lorom

incsrc "defines.asm"

org $008000
incsrc "math.asm"
incsrc "bits.asm"

org $018000
incsrc "loops.asm"
incsrc "blocks.asm"

org $028000
incsrc "stack.asm"
incsrc "hardware.asm"

org $038000
incsrc "game.asm"
incsrc "calls.asm"
