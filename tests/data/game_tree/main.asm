; A small tree written for Triforce's tests: each routine reproduces one way a snippet
; run in a blank image disagrees with the game (fall-through, bank tables, I/O registers,
; tree constants). Not game code.
lorom

incsrc "registers.asm"
incsrc "bank_00.asm"
incsrc "bank_02.asm"
