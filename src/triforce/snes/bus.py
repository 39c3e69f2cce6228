"""The SNES memory map as the 65816 sees it, for running routines outside a full console.

`SnesBus` maps a ROM image (LoROM or HiROM), the 128 KiB of WRAM with its mirrors in the low
banks, battery SRAM, and the handful of registers real game code depends on even when no PPU or
APU is present: the WRAM data port ($2180-$2183), hardware multiply/divide ($4202-$4206 ->
$4214-$4217) and general-purpose DMA ($43x0-$43xA, started by $420B). Every other MMIO access is
recorded in `bus.mmio` and answered with a documented default, so a grader can see that a routine
touched the PPU without us emulating it.

Simplifications, on purpose:
- Multiply/divide results are available immediately. Real hardware needs 8 (multiply) or 16
  (divide) CPU cycles before $4214-$4217 hold the result; code that reads earlier gets partial
  results on a console but the final ones here.
- DMA runs to completion inside the write to $420B and costs no CPU cycles here (on hardware the
  CPU is halted for 8 master cycles per byte). HDMA ($420C) is recorded, not run.
- Battery SRAM starts as $FF bytes, and its windows follow bsnes's board heuristics (see
  `_sram_offset`); real boards differ in the mirrors.
- HVBJOY ($4212) reads alternate between "in vblank" ($80) and "not in vblank" ($00), so the
  usual wait-for-vblank polling loops finish instead of spinning to the instruction limit.
- Reads of readable PPU/APU/joypad registers return the values in `MMIO_READ_DEFAULTS` (0 unless
  listed); reads of write-only or unmapped addresses return the open-bus value, the last byte
  that crossed the data bus.

Addresses in watches and `canonical()` fold the WRAM mirrors ($00-$3F/$80-$BF:$0000-$1FFF) onto
$7E0000-$7E1FFF, so `LDA $10` and `LDA $7E0010` report the same byte.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Mapper = Literal["lorom", "hirom"]

WRAM_SIZE = 0x20000
_PAGE_BITS = 13  # the map is kept in 8 KiB pages: the WRAM mirror and MMIO windows align to them
_PAGE = 1 << _PAGE_BITS
_PAGE_MASK = _PAGE - 1
_PAGES = 1 << (24 - _PAGE_BITS)

# Readable registers outside what the bus emulates, and what they read as here. Everything
# readable on a console that is not listed reads 0; write-only registers read as open bus.
MMIO_READ_DEFAULTS: dict[int, int] = {
    0x4210: 0x02,  # RDNMI: CPU version 2, no NMI pending
    0x4211: 0x00,  # TIMEUP: no IRQ pending
    0x4212: 0x00,  # HVBJOY: bit 7 (vblank) alternates on every read, see `_read_io`
    0x4016: 0x00,  # JOYSER0: no serial controller data
    0x4017: 0x1C,  # JOYSER1: bits 2-4 read as 1 on hardware
    0x213E: 0x01,  # STAT77: PPU1 version 1
    0x213F: 0x03,  # STAT78: PPU2 version 3, NTSC
}
# Readable registers whose value on a console depends on when or with what input the code runs
# (the beam position latched by SLHV, NMI/IRQ flags, the joypads): the defaults above are not
# what the game sees, so a result that read one is not a fact about the routine.
NONDETERMINISTIC_READS = frozenset(
    [0x2137, 0x213C, 0x213D, 0x4016, 0x4017, 0x4210, 0x4211, *range(0x4218, 0x4220)]
)
# Registers a console lets the CPU read (besides the ones emulated here); reads elsewhere in the
# MMIO window are open bus.
_READABLE = frozenset(
    [*range(0x2134, 0x2140), *range(0x2140, 0x2144), 0x4016, 0x4017, *range(0x4210, 0x4220)]
)


@dataclass(frozen=True, slots=True)
class MmioAccess:
    """One access to an I/O register. `op` is "read", "write" or "dma" (one entry per DMA channel
    run, `address` the B-bus register, `value` the byte count, `source` the A-bus address)."""

    op: Literal["read", "write", "dma"]
    address: int
    value: int
    emulated: bool  # True for registers this bus implements (WRAM port, mul/div, DMA)
    source: int | None = None


@dataclass
class _Dma:
    control: int = 0xFF  # $43x0; power-on values are $FF on hardware
    b_address: int = 0xFF  # $43x1
    a_address: int = 0xFFFF  # $43x2-3
    a_bank: int = 0xFF  # $43x4
    count: int = 0xFFFF  # $43x5-6
    regs: bytearray = field(default_factory=lambda: bytearray(b"\xff" * 16))


# B-bus register offsets written per unit, by DMA transfer mode.
DMA_PATTERNS: tuple[tuple[int, ...], ...] = (
    (0,),
    (0, 1),
    (0, 0),
    (0, 0, 1, 1),
    (0, 1, 2, 3),
    (0, 1, 0, 1),
    (0, 0),
    (0, 0, 1, 1),
)


@functools.cache
def _filled(size: int, value: int) -> bytes:
    return bytes([value]) * size


def canonical(addr: int) -> int:
    """Fold the low-bank WRAM mirrors onto $7E0000-$7E1FFF; other addresses are returned as is."""
    addr &= 0xFFFFFF
    bank = addr >> 16
    if (addr & 0xE000) == 0 and (bank & 0x7F) < 0x40:
        return 0x7E0000 | (addr & 0x1FFF)
    return addr


def strip_copier_header(rom: bytes) -> bytes:
    """Drop the 512-byte header some dumps carry (size is a multiple of 32 KiB plus 512)."""
    if len(rom) % 0x8000 == 0x200:
        return rom[0x200:]
    return rom


def header_sram_size(rom: bytes, mapper: Mapper) -> int | None:
    """SRAM size from the internal header ($FFD8: 1 KiB << n), or None when there is no header."""
    offset = 0x7FD8 if mapper == "lorom" else 0xFFD8
    if len(rom) <= offset:
        return None
    n = rom[offset]
    if n == 0:
        return 0
    if 1 <= n <= 8:
        return 0x400 << n
    return None


class SnesBus:
    """SNES address space: ROM, WRAM, SRAM, a few emulated registers, everything else recorded.

    `read(addr24)` / `write(addr24, value)` are what the CPU calls. `wram` (bytearray, 128 KiB)
    and `sram` are public so callers can seed and inspect memory without going through the bus.
    """

    def __init__(
        self,
        rom: bytes = b"",
        mapper: Mapper = "lorom",
        sram_size: int | None = None,
        watch: bool = False,
    ) -> None:
        if mapper not in ("lorom", "hirom"):
            raise ValueError(f"unknown mapper {mapper!r} (expected 'lorom' or 'hirom')")
        rom = strip_copier_header(bytes(rom))
        if len(rom) % _PAGE:
            rom = rom + bytes(_PAGE - len(rom) % _PAGE)
        self.mapper: Mapper = mapper
        self.rom = rom
        self.wram = bytearray(WRAM_SIZE)
        if sram_size is None:
            sram_size = header_sram_size(rom, mapper)
            if sram_size is None:
                sram_size = 0x2000
        self.sram = bytearray(b"\xff" * sram_size)  # fresh SRAM reads $FF, as in bsnes
        self.open_bus = 0
        self.mmio: list[MmioAccess] = []
        self._watching = watch
        self._watch_code = True  # record instruction fetches from ROM too (see `start_watch`)
        self._raw_reads: set[int] = set()  # folded onto canonical addresses when `reads` is asked
        self.writes: dict[int, int] = {}
        self.ignored_writes: list[tuple[int, int]] = []  # (address, value) written to ROM/open bus
        # Registers emulated here.
        self.wram_address = 0  # $2181-$2183, 17 bits
        self._wrmpya = 0xFF
        self._wrdiv = 0xFFFF
        self._rddiv = 0
        self._rdmpy = 0
        self._dma = [_Dma() for _ in range(8)]
        self._vblank = 0  # bit 7 of the last HVBJOY read
        self._rbuf: list[bytes | bytearray | None] = [None] * _PAGES
        self._rbase: list[int] = [0] * _PAGES
        self._wbuf: list[bytearray | None] = [None] * _PAGES
        self._build_map()
        self._code_pages = self._rom_pages()
        self._install_accessors()

    # -- the page map ------------------------------------------------------------------------

    def power_on(self) -> None:
        """Back to the state of a new bus over the same ROM: WRAM zeroed, SRAM $FF, registers at
        their power-on values, no watch and nothing recorded. Much cheaper than a new bus (the
        page map and the code pages are kept; WRAM and SRAM are cleared in place because the
        page map points at them)."""
        self.wram[:] = _filled(len(self.wram), 0)
        self.sram[:] = _filled(len(self.sram), 0xFF)
        self.open_bus = 0
        if self.mmio:  # registers are only changed through I/O accesses, which are all logged
            self.wram_address = 0
            self._wrmpya, self._wrdiv, self._rddiv, self._rdmpy = 0xFF, 0xFFFF, 0, 0
            self._dma = [_Dma() for _ in range(8)]
            self._vblank = 0
            self.mmio.clear()
        self.ignored_writes.clear()
        self._raw_reads = set()
        self.writes = {}
        self._watching, self._watch_code = False, True
        self._install_accessors()

    def _map_page(self, addr: int, buf: bytes | bytearray, base: int, writable: bool) -> None:
        page = addr >> _PAGE_BITS
        self._rbuf[page] = buf
        self._rbase[page] = base
        self._wbuf[page] = buf if writable and isinstance(buf, bytearray) else None

    def _build_map(self) -> None:
        rom, sram = self.rom, self.sram
        for bank in range(0x100):
            for off in range(0, 0x10000, _PAGE):
                addr = (bank << 16) | off
                rom_offset = self._rom_offset(bank, off)
                if rom and rom_offset is not None:
                    self._map_page(addr, rom, rom_offset % len(rom), False)
                sram_offset = self._sram_offset(bank, off)
                if sram and sram_offset is not None:
                    self._map_page(addr, sram, sram_offset % len(sram), True)
            if (bank & 0x7F) < 0x40:
                self._map_page(bank << 16, self.wram, 0, True)
        for off in range(0, WRAM_SIZE, _PAGE):
            self._map_page(0x7E0000 + off, self.wram, off, True)

    def _rom_offset(self, bank: int, off: int) -> int | None:
        if bank in (0x7E, 0x7F):
            return None
        if self.mapper == "lorom":
            if off >= 0x8000:
                return ((bank & 0x7F) << 15) | (off & 0x7FFF)
            return None
        if off >= 0x8000 or (bank & 0x7F) >= 0x40:
            return ((bank & 0x3F) << 16) | off
        return None

    def _sram_offset(self, bank: int, off: int) -> int | None:
        # The SRAM windows follow bsnes's board heuristics (our reference in differential tests):
        # LoROM $70-$7D/$F0-$FF, the whole bank when the ROM is at most 2 MiB and SRAM at most
        # 32 KiB, else only $0000-$7FFF; HiROM $10-$3F/$90-$BF:$6000-$7FFF.
        if self.mapper == "lorom":
            whole_bank = len(self.rom) <= 0x200000 and len(self.sram) <= 0x8000
            if (0x70 <= bank <= 0x7D or bank >= 0xF0) and (off < 0x8000 or whole_bank):
                return ((bank & 0x0F) << 15) | (off & 0x7FFF if not whole_bank else off)
            return None
        if 0x10 <= (bank & 0x7F) < 0x40 and 0x6000 <= off < 0x8000:
            return ((bank & 0x1F) << 13) | (off - 0x6000)
        return None

    # -- CPU interface -----------------------------------------------------------------------

    # `read` and `write` are closures installed per instance (see `_install_accessors`): the CPU
    # calls them for every access, and closures over the page lists avoid attribute lookups.
    read: Callable[[int], int]
    write: Callable[[int, int], None]
    fetch: Callable[[int], int]
    fetch_pages: list[memoryview | None] | None

    def _rom_pages(self) -> list[memoryview | None]:
        """Per 8 KiB page, a view of the ROM bytes it maps (None for RAM, SRAM, I/O, open bus)."""
        rom = memoryview(self.rom)
        return [
            rom[base : base + _PAGE] if buf is self.rom else None
            for buf, base in zip(self._rbuf, self._rbase, strict=True)
        ]

    def _install_accessors(self) -> None:
        rbuf, rbase, wbuf = self._rbuf, self._rbase, self._wbuf
        read_io, write_io = self._read_io, self._write_io
        raw_reads, writes = self._raw_reads, self.writes
        bus = self
        watching = self._watching
        rom_pages = self._code_pages if watching and not self._watch_code else None

        def read(addr: int) -> int:
            page = addr >> _PAGE_BITS
            buf = rbuf[page]
            value = buf[rbase[page] + (addr & _PAGE_MASK)] if buf is not None else read_io(addr)
            bus.open_bus = value
            return value

        def write(addr: int, value: int) -> None:
            value &= 0xFF
            bus.open_bus = value
            page = addr >> _PAGE_BITS
            buf = wbuf[page]
            if buf is not None:
                buf[rbase[page] + (addr & _PAGE_MASK)] = value
            else:
                write_io(addr, value)

        if watching:  # the same accessors, recording each address (one closure each: no test per access)
            note_read = raw_reads.add

            def read(addr: int) -> int:
                page = addr >> _PAGE_BITS
                buf = rbuf[page]
                value = buf[rbase[page] + (addr & _PAGE_MASK)] if buf is not None else read_io(addr)
                bus.open_bus = value
                note_read(addr)
                return value

            def write(addr: int, value: int) -> None:
                value &= 0xFF
                bus.open_bus = value
                page = addr >> _PAGE_BITS
                buf = wbuf[page]
                if buf is not None:
                    buf[rbase[page] + (addr & _PAGE_MASK)] = value
                else:
                    write_io(addr, value)
                addr &= 0xFFFFFF  # canonical(addr), inlined: every store of a watched run comes here
                if (addr & 0xE000) == 0 and (addr >> 16) & 0x7F < 0x40:
                    addr = 0x7E0000 | (addr & 0x1FFF)
                writes[addr] = value

        self.read = read
        self.write = write
        self.fetch_pages = rom_pages  # the CPU reads code in these pages itself (see `CPU`)
        if rom_pages is None:
            self.fetch = read
            return

        def fetch(addr: int) -> int:
            # An instruction byte: the same value and open-bus update as `read`, without the
            # watch when it comes from ROM.
            page = rom_pages[addr >> _PAGE_BITS]
            if page is None:
                return read(addr)
            bus.open_bus = value = page[addr & _PAGE_MASK]
            return value

        self.fetch = fetch

    def peek(self, addr: int) -> int:
        """Read without side effects (no open-bus update, no watch, no MMIO log); I/O reads 0."""
        page = (addr & 0xFFFFFF) >> _PAGE_BITS
        buf = self._rbuf[page]
        return buf[self._rbase[page] + (addr & _PAGE_MASK)] if buf is not None else 0

    def poke(self, addr: int, value: int) -> bool:
        """Set a RAM/SRAM byte (or a ROM byte in this bus's copy) without side effects.

        Returns False when the address is I/O or open bus."""
        page = (addr & 0xFFFFFF) >> _PAGE_BITS
        buf = self._rbuf[page]
        if buf is None:
            return False
        offset = self._rbase[page] + (addr & _PAGE_MASK)
        if isinstance(buf, bytearray):
            buf[offset] = value & 0xFF
            return True
        self._make_rom_writable()
        rom = self._rbuf[page]
        assert isinstance(rom, bytearray)
        rom[offset] = value & 0xFF
        return True

    def write_rom(self, offset: int, data: bytes) -> None:
        """Replace ROM bytes of this bus's copy in place (code pages and mirrors see them)."""
        self._make_rom_writable()
        assert isinstance(self.rom, bytearray)
        self.rom[offset : offset + len(data)] = data

    def _make_rom_writable(self) -> None:
        """Swap the ROM for a private mutable copy (for trampolines patched into ROM banks)."""
        if isinstance(self.rom, bytearray):
            return
        old = self.rom
        new = bytearray(old)
        for page in range(_PAGES):
            if self._rbuf[page] is old:
                self._rbuf[page] = new
        self.rom = new  # type: ignore[assignment]
        self._code_pages = self._rom_pages()
        self._install_accessors()

    def region(self, addr: int) -> Literal["rom", "wram", "sram", "io", "open"]:
        """What the address maps to (for flagging execution outside ROM and RAM)."""
        page = (addr & 0xFFFFFF) >> _PAGE_BITS
        buf = self._rbuf[page]
        if buf is None:
            bank, off = (addr >> 16) & 0xFF, addr & 0xFFFF
            return "io" if (bank & 0x7F) < 0x40 and 0x2000 <= off < 0x6000 else "open"
        if buf is self.wram:
            return "wram"
        if buf is self.sram:
            return "sram"
        return "rom"

    # -- I/O ---------------------------------------------------------------------------------

    def _read_io(self, addr: int) -> int:
        bank, reg = (addr >> 16) & 0xFF, addr & 0xFFFF
        if (bank & 0x7F) >= 0x40 or not 0x2000 <= reg < 0x6000:
            return self.open_bus
        emulated = True
        if reg == 0x2180:
            value = self._port_read()
        elif reg == 0x4214:
            value = self._rddiv & 0xFF
        elif reg == 0x4215:
            value = self._rddiv >> 8
        elif reg == 0x4216:
            value = self._rdmpy & 0xFF
        elif reg == 0x4217:
            value = self._rdmpy >> 8
        elif 0x4300 <= reg < 0x4380 and (reg & 0xF) < 0xC:
            value = self._dma_read(reg)
        elif reg == 0x4212:
            self._vblank ^= 0x80
            value = self._vblank
        else:
            emulated = False
            if reg in _READABLE:
                value = MMIO_READ_DEFAULTS.get(reg, 0)
            else:
                value = self.open_bus
        self.mmio.append(MmioAccess("read", reg, value, emulated))
        return value

    def _write_io(self, addr: int, value: int) -> None:
        bank, reg = (addr >> 16) & 0xFF, addr & 0xFFFF
        if (bank & 0x7F) >= 0x40 or not 0x2000 <= reg < 0x6000:
            self.ignored_writes.append((addr, value))
            return
        emulated = True
        if reg == 0x2180:
            self._port_write(value)
        elif reg == 0x2181:
            self.wram_address = (self.wram_address & 0x1FF00) | value
        elif reg == 0x2182:
            self.wram_address = (self.wram_address & 0x100FF) | (value << 8)
        elif reg == 0x2183:
            self.wram_address = (self.wram_address & 0x0FFFF) | ((value & 1) << 16)
        elif reg == 0x4202:
            self._wrmpya = value
        elif reg == 0x4203:
            # Result ready at once (hardware: 8 CPU cycles later). RDDIV takes the multiplicand B.
            self._rdmpy = self._wrmpya * value
            self._rddiv = value
        elif reg == 0x4204:
            self._wrdiv = (self._wrdiv & 0xFF00) | value
        elif reg == 0x4205:
            self._wrdiv = (self._wrdiv & 0x00FF) | (value << 8)
        elif reg == 0x4206:
            # Result ready at once (hardware: 16 CPU cycles later). Division by zero gives
            # quotient $FFFF and the dividend as remainder, as on hardware.
            if value == 0:
                self._rddiv, self._rdmpy = 0xFFFF, self._wrdiv
            else:
                self._rddiv, self._rdmpy = divmod(self._wrdiv, value)
        elif reg == 0x420B:
            self.mmio.append(MmioAccess("write", reg, value, True))
            self._run_dma(value)
            return
        elif 0x4300 <= reg < 0x4380 and (reg & 0xF) < 0xC:
            self._dma_write(reg, value)
        else:
            emulated = False
        self.mmio.append(MmioAccess("write", reg, value, emulated))

    # -- the WRAM port ($2180): watched like direct accesses, at the WRAM address it touched ---

    def _port_read(self) -> int:
        addr = self.wram_address
        self.wram_address = (addr + 1) & 0x1FFFF
        if self._watching:
            self._raw_reads.add(0x7E0000 + addr)
        return self.wram[addr]

    def _port_write(self, value: int) -> None:
        addr = self.wram_address
        self.wram_address = (addr + 1) & 0x1FFFF
        self.wram[addr] = value
        if self._watching:
            self.writes[0x7E0000 + addr] = value

    # -- DMA ---------------------------------------------------------------------------------

    def _dma_read(self, reg: int) -> int:
        ch = self._dma[(reg >> 4) & 7]
        i = reg & 0xF
        if i == 0:
            return ch.control
        if i == 1:
            return ch.b_address
        if i in (2, 3):
            return (ch.a_address >> (8 * (i - 2))) & 0xFF
        if i == 4:
            return ch.a_bank
        if i in (5, 6):
            return (ch.count >> (8 * (i - 5))) & 0xFF
        return ch.regs[i]

    def _dma_write(self, reg: int, value: int) -> None:
        ch = self._dma[(reg >> 4) & 7]
        i = reg & 0xF
        if i == 0:
            ch.control = value
        elif i == 1:
            ch.b_address = value
        elif i == 2:
            ch.a_address = (ch.a_address & 0xFF00) | value
        elif i == 3:
            ch.a_address = (ch.a_address & 0x00FF) | (value << 8)
        elif i == 4:
            ch.a_bank = value
        elif i == 5:
            ch.count = (ch.count & 0xFF00) | value
        elif i == 6:
            ch.count = (ch.count & 0x00FF) | (value << 8)
        else:
            ch.regs[i] = value

    def _run_dma(self, channels: int) -> None:
        """General-purpose DMA: channels 0-7 in order, each to completion."""
        for n in range(8):
            if channels & (1 << n):
                self._run_channel(self._dma[n])

    def _run_channel(self, ch: _Dma) -> None:
        to_a = bool(ch.control & 0x80)  # direction: B-bus -> A-bus
        step = 0 if ch.control & 0x08 else (-1 if ch.control & 0x10 else 1)
        pattern = DMA_PATTERNS[ch.control & 7]
        count = ch.count or 0x10000
        source = (ch.a_bank << 16) | ch.a_address
        wram_port_bytes = 0
        for i in range(count):
            a_addr = (ch.a_bank << 16) | ch.a_address
            b_reg = 0x2100 | ((ch.b_address + pattern[i % len(pattern)]) & 0xFF)
            if b_reg == 0x2180:
                wram_port_bytes += 1
                if self._is_wram(a_addr):
                    pass  # WRAM -> WRAM through the port does not work on hardware: nothing moves
                elif to_a:
                    self._dma_a_write(a_addr, self._port_read())
                else:
                    self._port_write(self._dma_a_read(a_addr))
            elif to_a:
                self._dma_a_write(a_addr, self.open_bus)
            else:
                self.open_bus = self._dma_a_read(a_addr)
            ch.a_address = (ch.a_address + step) & 0xFFFF
        ch.count = 0
        b_base = 0x2100 | ch.b_address
        self.mmio.append(MmioAccess("dma", b_base, count, b_base == 0x2180 or wram_port_bytes > 0, source))

    @staticmethod
    def _is_wram(addr: int) -> bool:
        bank = addr >> 16
        return bank in (0x7E, 0x7F) or ((bank & 0x7F) < 0x40 and (addr & 0xFFFF) < 0x2000)

    def _dma_a_read(self, addr: int) -> int:
        # The A bus cannot reach the B bus or the DMA registers; those read as open bus.
        if (addr >> 16) & 0x7F < 0x40 and (
            0x2100 <= addr & 0xFFFF < 0x2200 or 0x4300 <= addr & 0xFFFF < 0x4380
        ):
            return self.open_bus
        value = self.peek(addr) if self._rbuf[addr >> _PAGE_BITS] is not None else self.open_bus
        if self.watching:
            self._raw_reads.add(addr)
        return value

    def _dma_a_write(self, addr: int, value: int) -> None:
        buf = self._wbuf[addr >> _PAGE_BITS]
        if buf is not None:
            buf[self._rbase[addr >> _PAGE_BITS] + (addr & _PAGE_MASK)] = value
            if self.watching:
                self.writes[canonical(addr)] = value

    # -- watches -----------------------------------------------------------------------------

    def start_watch(self, code_fetches: bool = True) -> None:
        """Start (or restart) recording the addresses read and the bytes written.

        With `code_fetches=False`, instruction bytes the CPU fetches from ROM (through `fetch`)
        are not recorded: a caller that keeps only RAM and I/O reads saves a set insertion for
        most bytes the CPU reads. Data reads of ROM are still recorded."""
        self._raw_reads = set()
        self.writes = {}
        self._watching = True
        self._watch_code = code_fetches
        self._install_accessors()

    def stop_watch(self) -> None:
        self._watching = False
        self._install_accessors()

    @property
    def watching(self) -> bool:
        """Whether reads and writes are being recorded (`start_watch`/`stop_watch` change it)."""
        return self._watching

    @property
    def reads(self) -> set[int]:
        """Addresses read while watching, WRAM mirrors folded onto $7E0000-$7E1FFF."""
        return {a if 0x7E0000 <= a < 0x800000 else canonical(a) for a in self._raw_reads}
