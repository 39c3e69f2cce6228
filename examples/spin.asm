; WaitForFlag: a routine that waits for an interrupt handler to set $7E0010, the way
; game code waits for NMI. Run alone there is no interrupt, so it never returns: a run with
; --max-instructions stops it and exits 1.
WaitForFlag:
    SEP #$20
.wait
    LDA.l $7E0010
    BEQ .wait
    STZ.w $0010
    RTL
