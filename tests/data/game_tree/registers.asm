; Hardware registers by name.
OPHCT = $213C
SLHV = $2137
JOY1L = $4218
RDNMI = $4210

; Directions, as constants.
Up = $00
Down = $02
WRMPYA = $4202
WRMPYB = $4203
RDMPYL = $4216
