lorom
org $05E656

UNREACHABLE_05E656:
    SEP #$30
    INX
    TXA
    ASL A
    RTL
