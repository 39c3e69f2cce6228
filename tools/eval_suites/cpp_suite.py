"""The `cpp` suite: C++ functions graded by the compile checker and, where they map bytes to
bytes, by running them on vectors whose expected values come from the Python models below.

Three kinds of item:
- `cpp.write.*`: write a function from its signature and contract (compiled, then run);
- `cpp.fix.*`: the same function with one planted slip; answer with the fixed function (the
  slip is chosen so the vectors expose it: the builder checks that the buggy text fails);
- `cpp.tree.*`: write a member or helper of a small dungeon-object translation unit (below,
  suite-only: the training tree never holds it) from its signature and doc comment, compiled in
  place with the rest of the file shown, then run through a probe on vectors (`TREE_PROBES`).
All C++ here is original, written for Triforce.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from triforce.cpp import parse_source
from triforce.cpp.rewrite import mutants
from triforce.cpp.run import run_vector_groups

PREFIX = "#include <cstddef>\n#include <cstdint>\n#include <vector>\n\nnamespace tf {\n\n"
SUFFIX = "\n}  // namespace tf\n"
Bytes = list[int]


@dataclass(frozen=True)
class Fn:
    name: str
    doc: str
    body: str  # the C++ function after its signature line
    model: Callable[[Bytes], Bytes]
    inputs: tuple[str, ...]

    @property
    def signature(self) -> str:
        return f"std::vector<uint8_t> {self.name}(const std::vector<uint8_t>& in)"

    @property
    def code(self) -> str:
        return f"{self.signature} {{\n{self.body.strip(chr(10))}\n}}"


def _le(v: int) -> Bytes:
    return [v & 0xFF, (v >> 8) & 0xFF]


def _decode_planes(data: Bytes, planes: list[tuple[int, int]]) -> Bytes:
    """64 pixels; planes[p] = (byte offset of row 0, stride between rows)."""
    out = []
    for row in range(8):
        for col in range(8):
            v = 0
            for p, (base, stride) in enumerate(planes):
                v |= ((data[base + row * stride] >> (7 - col)) & 1) << p
            out.append(v)
    return out


def _rle(data: Bytes) -> Bytes:
    out: Bytes = []
    i = 0
    lit: Bytes = []

    def flush() -> None:
        while lit:
            chunk = lit[:32]
            del lit[:32]
            out.extend([len(chunk) - 1, *chunk])

    while i < len(data):
        run = 1
        while i + run < len(data) and data[i + run] == data[i] and run < 32:
            run += 1
        if run >= 3:
            flush()
            out.extend([0x20 | (run - 1), data[i]])
            i += run
        else:
            lit.append(data[i])
            i += 1
    flush()
    return [*out, 0xFF]


def _rev(b: int) -> int:
    return int(f"{b:08b}"[::-1], 2)


FUNCTIONS: list[Fn] = [
    Fn(
        "HeaderChecksum",
        "The SNES header checksum pair of a ROM image: the 16-bit sum of every byte (mod 65536), then its "
        "complement (sum ^ 0xFFFF); returns sum lo, sum hi, complement lo, complement hi.",
        """
  uint32_t sum = 0;
  for (uint8_t b : in) sum += b;
  sum &= 0xFFFF;
  const uint32_t comp = sum ^ 0xFFFF;
  return {static_cast<uint8_t>(sum & 0xFF), static_cast<uint8_t>(sum >> 8),
          static_cast<uint8_t>(comp & 0xFF), static_cast<uint8_t>(comp >> 8)};""",
        lambda d: [*_le(sum(d) & 0xFFFF), *_le((sum(d) & 0xFFFF) ^ 0xFFFF)],
        ("", "01", "ffffff", "0102030405060708090a", "ff" * 300),
    ),
    Fn(
        "LoRomToPc",
        "Converts a LoROM SNES address given as 3 bytes (bank, high, low) to a PC file offset, returned as "
        "3 bytes big-endian: ((bank & 0x7F) << 15) | (address & 0x7FFF).",
        """
  const uint32_t addr = (static_cast<uint32_t>(in[0]) << 16) | (in[1] << 8) | in[2];
  const uint32_t pc = ((addr & 0x7F0000) >> 1) | (addr & 0x7FFF);
  return {static_cast<uint8_t>(pc >> 16), static_cast<uint8_t>(pc >> 8), static_cast<uint8_t>(pc)};""",
        lambda d: list((((d[0] & 0x7F) << 15) | (((d[1] << 8) | d[2]) & 0x7FFF)).to_bytes(3, "big")),
        ("008000", "00ffff", "0dDB7F".lower(), "808000", "1bb0f0", "7f8000"),
    ),
    Fn(
        "PcToLoRom",
        "Converts a PC file offset given as 3 bytes big-endian to its LoROM SNES address (banks $00-$7F), "
        "returned as bank, high, low: bank = offset >> 15, address = (offset & 0x7FFF) | 0x8000.",
        """
  const uint32_t pc = (static_cast<uint32_t>(in[0]) << 16) | (in[1] << 8) | in[2];
  const uint32_t bank = (pc >> 15) & 0x7F;
  const uint32_t addr = (pc & 0x7FFF) | 0x8000;
  return {static_cast<uint8_t>(bank), static_cast<uint8_t>(addr >> 8), static_cast<uint8_t>(addr)};""",
        lambda d: [
            ((int.from_bytes(bytes(d), "big")) >> 15) & 0x7F,
            (((int.from_bytes(bytes(d), "big")) & 0x7FFF) | 0x8000) >> 8,
            ((int.from_bytes(bytes(d), "big")) & 0x7FFF | 0x8000) & 0xFF,
        ],
        ("000000", "007fff", "06db7f", "0dd734", "3fffff"),
    ),
    Fn(
        "HiRomToPc",
        "Converts a HiROM SNES address given as 3 bytes (bank, high, low) to a PC offset, returned as 3 bytes "
        "big-endian: ((bank & 0x3F) << 16) | address.",
        """
  const uint32_t pc = ((in[0] & 0x3F) << 16) | (in[1] << 8) | in[2];
  return {static_cast<uint8_t>(pc >> 16), static_cast<uint8_t>(pc >> 8), static_cast<uint8_t>(pc)};""",
        lambda d: [d[0] & 0x3F, d[1], d[2]],
        ("c00000", "c0ffff", "401234", "ff8000", "3a0010"),
    ),
    Fn(
        "Bgr555ToRgb",
        "Expands little-endian BGR555 colour words to RGB bytes, 3 per colour, each 5-bit channel c becoming "
        "(c << 3) | (c >> 2). Red is bits 0-4, green 5-9, blue 10-14.",
        """
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < in.size(); i += 2) {
    const uint16_t c = in[i] | (in[i + 1] << 8);
    for (int shift = 0; shift <= 10; shift += 5) {
      const int v = (c >> shift) & 0x1F;
      out.push_back(static_cast<uint8_t>((v << 3) | (v >> 2)));
    }
  }
  return out;""",
        lambda d: [
            ((((d[i] | d[i + 1] << 8) >> s) & 31) << 3) | ((((d[i] | d[i + 1] << 8) >> s) & 31) >> 2)
            for i in range(0, len(d) - 1, 2)
            for s in (0, 5, 10)
        ],
        ("1f00", "e003", "007c", "ff7f", "0000", "1084a514", "1f00e0"),
    ),
    Fn(
        "RgbToBgr555",
        "Packs RGB byte triples into little-endian BGR555 words: (r >> 3) | (g >> 3) << 5 | (b >> 3) << 10.",
        """
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 2 < in.size(); i += 3) {
    const uint16_t w = (in[i] >> 3) | ((in[i + 1] >> 3) << 5) | ((in[i + 2] >> 3) << 10);
    out.push_back(static_cast<uint8_t>(w & 0xFF));
    out.push_back(static_cast<uint8_t>(w >> 8));
  }
  return out;""",
        lambda d: [
            b
            for i in range(0, len(d) - 2, 3)
            for b in _le((d[i] >> 3) | (d[i + 1] >> 3) << 5 | (d[i + 2] >> 3) << 10)
        ],
        ("ff0000", "00ff00", "0000ff", "ffffff", "102030", "f8f8f8000000", "ffffffffff"),
    ),
    Fn(
        "Decode2bpp",
        "Decodes one 2bpp planar tile (16 bytes: row r has plane 0 at byte 2r, plane 1 at 2r+1; bit 7 is the "
        "leftmost pixel) into 64 palette indexes, row by row.",
        """
  std::vector<uint8_t> out;
  for (int row = 0; row < 8; ++row) {
    for (int col = 0; col < 8; ++col) {
      const int lo = (in[row * 2] >> (7 - col)) & 1;
      const int hi = (in[row * 2 + 1] >> (7 - col)) & 1;
      out.push_back(static_cast<uint8_t>(lo | (hi << 1)));
    }
  }
  return out;""",
        lambda d: _decode_planes(d, [(0, 2), (1, 2)]),
        (
            "80" + "00" * 15,
            "0001" + "00" * 14,
            "ff00" * 8,
            "3c4281a5a599423c" * 2,
            "0123456789abcdeffedcba9876543210",
        ),
    ),
    Fn(
        "Encode2bpp",
        "Encodes 64 palette indexes (0-3, row by row) into one 2bpp planar tile of 16 bytes (row r: plane 0 "
        "at byte 2r, plane 1 at 2r+1, bit 7 = leftmost pixel).",
        """
  std::vector<uint8_t> out(16, 0);
  for (int i = 0; i < 64; ++i) {
    const int row = i / 8, col = i % 8;
    if (in[i] & 1) out[row * 2] |= 0x80 >> col;
    if (in[i] & 2) out[row * 2 + 1] |= 0x80 >> col;
  }
  return out;""",
        lambda d: [
            sum(((d[(b // 2) * 8 + c] >> (b % 2)) & 1) << (7 - c) for c in range(8)) for b in range(16)
        ],
        (
            "01" + "00" * 63,
            "03" * 64,
            "".join(f"{i % 4:02x}" for i in range(64)),
            "02" * 8 + "00" * 56,
            "02" + "00" * 63,  # plane 1 of the leftmost pixel alone (0x81 >> 0 would also set the rightmost)
        ),
    ),
    Fn(
        "Decode3bpp",
        "Decodes one ALTTP 3bpp tile (24 bytes: planes 0/1 as in 2bpp in bytes 0-15, plane 2 one byte per row "
        "at 16 + r) into 64 palette indexes.",
        """
  std::vector<uint8_t> out;
  for (int row = 0; row < 8; ++row) {
    for (int col = 0; col < 8; ++col) {
      const int shift = 7 - col;
      const int v = ((in[row * 2] >> shift) & 1) | (((in[row * 2 + 1] >> shift) & 1) << 1) |
                    (((in[16 + row] >> shift) & 1) << 2);
      out.push_back(static_cast<uint8_t>(v));
    }
  }
  return out;""",
        lambda d: _decode_planes(d, [(0, 2), (1, 2), (16, 1)]),
        ("00" * 16 + "80" + "00" * 7, "ff" * 24, "0123456789abcdef0123456789abcdef" + "55aa55aa55aa55aa"),
    ),
    Fn(
        "Expand3bppLow",
        "Expands one ALTTP 3bpp tile (24 bytes) to a 4bpp tile (32 bytes) with plane 3 zero: bytes 0-15 copy "
        "planes 0/1, then row r has plane 2 (from byte 16 + r) at 16 + 2r and 0 at 17 + 2r.",
        """
  std::vector<uint8_t> out(in.begin(), in.begin() + 16);
  for (int row = 0; row < 8; ++row) {
    out.push_back(in[16 + row]);
    out.push_back(0);
  }
  return out;""",
        lambda d: [*d[:16], *[b for r in range(8) for b in (d[16 + r], 0)]],
        ("00" * 24, "ff" * 24, "".join(f"{i:02x}" for i in range(24))),
    ),
    Fn(
        "Expand3bppHigh",
        "Like the low expansion, but plane 3 of each row is plane0 | plane1 | plane2 of that row, so every "
        "non-zero pixel moves to colours 8-15 (ALTTP's high expansion).",
        """
  std::vector<uint8_t> out(in.begin(), in.begin() + 16);
  for (int row = 0; row < 8; ++row) {
    const uint8_t p2 = in[16 + row];
    out.push_back(p2);
    out.push_back(static_cast<uint8_t>(in[row * 2] | in[row * 2 + 1] | p2));
  }
  return out;""",
        lambda d: [*d[:16], *[b for r in range(8) for b in (d[16 + r], d[2 * r] | d[2 * r + 1] | d[16 + r])]],
        (
            "00" * 24,
            "8001" + "00" * 14 + "10" + "00" * 7,
            "".join(f"{(i * 37) & 255:02x}" for i in range(24)),
        ),
    ),
    Fn(
        "TilemapFields",
        "Splits a little-endian BG tilemap word vhopppcc cccccccc into 6 bytes: tile low 8 bits, tile high 2 "
        "bits, palette (0-7), priority, h-flip, v-flip.",
        """
  const uint16_t w = in[0] | (in[1] << 8);
  return {static_cast<uint8_t>(w & 0xFF), static_cast<uint8_t>((w >> 8) & 3),
          static_cast<uint8_t>((w >> 10) & 7), static_cast<uint8_t>((w >> 13) & 1),
          static_cast<uint8_t>((w >> 14) & 1), static_cast<uint8_t>(w >> 15)};""",
        lambda d: [
            d[0],
            d[1] & 3,
            (d[1] >> 2) & 7,
            (d[1] >> 5) & 1,
            (d[1] >> 6) & 1,
            d[1] >> 7,
        ],
        ("0000", "ffff", "3412", "00a4", "ff03", "0040", "0020"),
    ),
    Fn(
        "TilemapWord",
        "Builds a little-endian BG tilemap word from 6 bytes (tile low, tile high 2 bits, palette, priority, "
        "h-flip, v-flip): vhopppcc cccccccc.",
        """
  const uint16_t w = in[0] | ((in[1] & 3) << 8) | ((in[2] & 7) << 10) | ((in[3] & 1) << 13) |
                     ((in[4] & 1) << 14) | ((in[5] & 1) << 15);
  return {static_cast<uint8_t>(w & 0xFF), static_cast<uint8_t>(w >> 8)};""",
        lambda d: _le(
            d[0] | (d[1] & 3) << 8 | (d[2] & 7) << 10 | (d[3] & 1) << 13 | (d[4] & 1) << 14 | (d[5] & 1) << 15
        ),
        ("000000000000", "ff0307010101", "340204000000", "000000010000", "000000000100", "000001000001"),
    ),
    Fn(
        "OamHighBits",
        "Packs 4 sprites' extra bits into one OAM high-table byte. Input: 8 bytes, (x bit 8, large size) for "
        "sprites 0-3; sprite n takes bits 2n (x bit 8) and 2n+1 (size).",
        """
  uint8_t b = 0;
  for (int n = 0; n < 4; ++n) {
    b |= (in[2 * n] & 1) << (2 * n);
    b |= (in[2 * n + 1] & 1) << (2 * n + 1);
  }
  return {b};""",
        lambda d: [sum(((d[2 * n] & 1) << (2 * n)) | ((d[2 * n + 1] & 1) << (2 * n + 1)) for n in range(4))],
        ("0000000000000000", "0100000000000000", "0001000000000000", "0101010101010101", "0000000000000001"),
    ),
    Fn(
        "LzHeader",
        "Reads the first command header of an LC_LZ2 stream: returns command, length - 1 low byte, length - 1 "
        "high byte and the header's size. `111cccll llllllll` is the long form (length up to 1024), else "
        "`cccl llll`.",
        """
  const uint8_t b = in[0];
  if ((b & 0xE0) == 0xE0) {
    const int len = ((b & 3) << 8) | in[1];
    return {static_cast<uint8_t>((b >> 2) & 7), static_cast<uint8_t>(len & 0xFF), static_cast<uint8_t>(len >> 8), 2};
  }
  return {static_cast<uint8_t>(b >> 5), static_cast<uint8_t>(b & 0x1F), 0, 1};""",
        lambda d: (
            [(d[0] >> 2) & 7, d[1], d[0] & 3, 2] if d[0] & 0xE0 == 0xE0 else [d[0] >> 5, d[0] & 0x1F, 0, 1]
        ),
        ("1f", "00", "e3ff", "e400", "9f", "fb10", "7f"),
    ),
    Fn(
        "RleCompress",
        "Compresses bytes with LC_LZ2 short headers only: a run of 3 or more equal bytes (at most 32) becomes a "
        "byte fill (0x20 | (run - 1), byte); other bytes are gathered into direct copies of at most 32 "
        "(length - 1, bytes...); the stream ends with 0xFF.",
        """
  std::vector<uint8_t> out, lit;
  auto flush = [&]() {
    for (std::size_t i = 0; i < lit.size(); i += 32) {
      const std::size_t n = lit.size() - i < 32 ? lit.size() - i : 32;
      out.push_back(static_cast<uint8_t>(n - 1));
      out.insert(out.end(), lit.begin() + i, lit.begin() + i + n);
    }
    lit.clear();
  };
  std::size_t i = 0;
  while (i < in.size()) {
    std::size_t run = 1;
    while (i + run < in.size() && in[i + run] == in[i] && run < 32) ++run;
    if (run >= 3) {
      flush();
      out.push_back(static_cast<uint8_t>(0x20 | (run - 1)));
      out.push_back(in[i]);
      i += run;
    } else {
      lit.push_back(in[i]);
      ++i;
    }
  }
  flush();
  out.push_back(0xFF);
  return out;""",
        _rle,
        ("", "41", "414141", "414241", "41424343434344", "00" * 40, "".join(f"{i:02x}" for i in range(40))),
    ),
    Fn(
        "IncreasingFill",
        "Expands an increasing fill: input (v, n); returns n bytes v, v+1, v+2 … wrapping at 8 bits.",
        """
  std::vector<uint8_t> out;
  uint8_t v = in[0];
  for (int i = 0; i < in[1]; ++i) out.push_back(v++);
  return out;""",
        lambda d: [(d[0] + i) & 0xFF for i in range(d[1])],
        ("0000", "0003", "fe04", "7f02", "ff01"),
    ),
    Fn(
        "WordFill",
        "Expands a word fill: input (lo, hi, n); returns n bytes alternating lo, hi, lo … (an odd n ends on lo).",
        """
  std::vector<uint8_t> out;
  for (int i = 0; i < in[2]; ++i) out.push_back((i & 1) ? in[1] : in[0]);
  return out;""",
        lambda d: [d[1] if i & 1 else d[0] for i in range(d[2])],
        ("010200", "010201", "010204", "aabb05", "000107"),
    ),
    Fn(
        "ToBcd",
        "Converts each byte (0-99) to packed BCD: tens in the high nibble, ones in the low nibble.",
        """
  std::vector<uint8_t> out;
  for (uint8_t b : in) out.push_back(static_cast<uint8_t>(((b / 10) << 4) | (b % 10)));
  return out;""",
        lambda d: [((b // 10) << 4) | (b % 10) for b in d],
        ("00", "09", "0a", "63", "2a", "0102030a141e"),
    ),
    Fn(
        "RupeeDigits",
        "Splits a little-endian 16-bit rupee count (0-999) into three decimal digits, hundreds first.",
        """
  const int v = in[0] | (in[1] << 8);
  return {static_cast<uint8_t>(v / 100), static_cast<uint8_t>((v / 10) % 10), static_cast<uint8_t>(v % 10)};""",
        lambda d: [(d[0] | d[1] << 8) // 100, ((d[0] | d[1] << 8) // 10) % 10, (d[0] | d[1] << 8) % 10],
        ("0000", "0900", "e703", "6400", "f401", "0a00"),
    ),
    Fn(
        "HeartsFromHealth",
        "Converts ALTTP health (8 points per heart) to (full hearts, half heart 0/1); a half heart is 4 or more "
        "points left over.",
        """
  const int hp = in[0];
  return {static_cast<uint8_t>(hp / 8), static_cast<uint8_t>((hp % 8) >= 4 ? 1 : 0)};""",
        lambda d: [d[0] // 8, 1 if d[0] % 8 >= 4 else 0],
        ("00", "03", "04", "08", "0c", "a0", "a3", "9f"),
    ),
    Fn(
        "XorChecksum",
        "The XOR of every byte (0 for no bytes).",
        """
  uint8_t x = 0;
  for (uint8_t b : in) x ^= b;
  return {x};""",
        lambda d: [__import__("functools").reduce(lambda a, b: a ^ b, d, 0)],
        ("", "ff", "0102", "0f0f0f", "123456789a"),
    ),
    Fn(
        "HFlipRows",
        "Mirrors planar tile data horizontally: every byte's bits reversed (bit 7 <-> bit 0).",
        """
  std::vector<uint8_t> out;
  for (uint8_t b : in) {
    uint8_t r = 0;
    for (int i = 0; i < 8; ++i) r |= ((b >> i) & 1) << (7 - i);
    out.push_back(r);
  }
  return out;""",
        lambda d: [_rev(b) for b in d],
        ("80", "01", "f0", "a5c3", "0123456789abcdef"),
    ),
    Fn(
        "VFlip2bpp",
        "Mirrors one 2bpp tile (16 bytes) vertically: row r takes row 7 - r (each row is 2 bytes).",
        """
  std::vector<uint8_t> out(16);
  for (int row = 0; row < 8; ++row) {
    out[row * 2] = in[(7 - row) * 2];
    out[row * 2 + 1] = in[(7 - row) * 2 + 1];
  }
  return out;""",
        lambda d: [d[(7 - r) * 2 + k] for r in range(8) for k in range(2)],
        ("".join(f"{i:02x}" for i in range(16)), "ff" + "00" * 15, "00" * 14 + "abcd"),
    ),
]


# A suite-only translation unit (ALTTP-style 3-byte dungeon objects; original code).
ROOM_TU = """#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tfz::dungeon {

constexpr uint16_t kEndOfList = 0xFFFF;
constexpr uint16_t kDoorListStart = 0xFFF0;
constexpr int kMaxObjects = 512;

enum class Layer : uint8_t { kBg1 = 0, kBg2 = 1, kBg3 = 2 };

struct ObjectBytes {
  uint8_t b1 = 0, b2 = 0, b3 = 0;
};

class RoomObject {
 public:
  RoomObject(int id, int x, int y, int size, Layer layer) : id_(id), x_(x), y_(y), size_(size), layer_(layer) {}

  int id() const { return id_; }
  int x() const { return x_; }
  int y() const { return y_; }
  int size() const { return size_; }
  Layer layer() const { return layer_; }

  /// Type 1 objects (id below 0x100): xxxxxxss yyyyyyss iiiiiiii, size split 2+2 bits.
  ObjectBytes EncodeType1() const {
    ObjectBytes out;
    out.b1 = static_cast<uint8_t>((x_ << 2) | ((size_ >> 2) & 3));
    out.b2 = static_cast<uint8_t>((y_ << 2) | (size_ & 3));
    out.b3 = static_cast<uint8_t>(id_);
    return out;
  }

  /// Whether the object is drawn from the subtype-3 table (ids 0xF80 and up).
  bool IsSubtype3() const {
    return id_ >= 0xF80;
  }

  /// Moves the object, clamping to the 64x64 tile grid of a room.
  void MoveBy(int dx, int dy) {
    x_ = std::clamp(x_ + dx, 0, 63);
    y_ = std::clamp(y_ + dy, 0, 63);
  }

 private:
  int id_;
  int x_;
  int y_;
  int size_;
  Layer layer_;
};

/// Decodes a type 1 object from its three bytes (the inverse of EncodeType1).
RoomObject DecodeType1(const ObjectBytes& bytes, Layer layer) {
  const int x = bytes.b1 >> 2;
  const int y = bytes.b2 >> 2;
  const int size = ((bytes.b1 & 3) << 2) | (bytes.b2 & 3);
  return RoomObject(bytes.b3, x, y, size, layer);
}

/// Appends the objects of one layer, then the 0xFFFF that ends the list.
void WriteLayer(const std::vector<RoomObject>& objects, Layer layer, std::vector<uint8_t>* out) {
  for (const RoomObject& object : objects) {
    if (object.layer() != layer) continue;
    const ObjectBytes b = object.EncodeType1();
    out->insert(out->end(), {b.b1, b.b2, b.b3});
  }
  out->push_back(kEndOfList & 0xFF);
  out->push_back(kEndOfList >> 8);
}

/// Counts the objects on each layer.
std::array<int, 3> CountPerLayer(const std::vector<RoomObject>& objects) {
  std::array<int, 3> counts{};
  for (const RoomObject& object : objects) {
    ++counts[static_cast<int>(object.layer())];
  }
  return counts;
}

/// The first object with this id, if any.
std::optional<RoomObject> FindById(const std::vector<RoomObject>& objects, int id) {
  for (const RoomObject& object : objects) {
    if (object.id() == id) return object;
  }
  return std::nullopt;
}

/// Reads type 1 objects until the 0xFFFF end marker; nullopt when the data ends first.
std::optional<std::vector<RoomObject>> ReadLayer(const std::vector<uint8_t>& data, std::size_t* pos, Layer layer) {
  std::vector<RoomObject> objects;
  while (*pos + 1 < data.size()) {
    if (data[*pos] == 0xFF && data[*pos + 1] == 0xFF) {
      *pos += 2;
      return objects;
    }
    if (*pos + 2 >= data.size() || objects.size() >= kMaxObjects) return std::nullopt;
    objects.push_back(DecodeType1({data[*pos], data[*pos + 1], data[*pos + 2]}, layer));
    *pos += 3;
  }
  return std::nullopt;
}

/// A short label for the editor's object list, e.g. "obj 0x21 @ (4, 10) size 3".
std::string Describe(const RoomObject& object) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "obj 0x%02X @ (%d, %d) size %d", object.id(), object.x(), object.y(),
                object.size());
  return buffer;
}

/// True when the door list marker (F0 FF) starts at `pos`.
bool IsDoorListStart(const std::vector<uint8_t>& data, std::size_t pos) {
  return pos + 1 < data.size() && (data[pos] | (data[pos + 1] << 8)) == kDoorListStart;
}

/// Sums the sizes of the objects on a layer (a rough measure of how busy it is).
int TotalSize(const std::vector<RoomObject>& objects, Layer layer) {
  int total = 0;
  for (const RoomObject& object : objects) {
    if (object.layer() == layer) total += object.size();
  }
  return total;
}

/// Removes every object with this id; returns how many went.
int RemoveAll(std::vector<RoomObject>* objects, int id) {
  const auto before = objects->size();
  std::erase_if(*objects, [id](const RoomObject& o) { return o.id() == id; });
  return static_cast<int>(before - objects->size());
}

}  // namespace tfz::dungeon
"""


def _cases(fn: Fn) -> list[tuple[str, str]]:
    out = []
    for inp in fn.inputs:
        data = list(bytes.fromhex(inp))
        out.append((inp, bytes(fn.model(data)).hex()))
    return out


def _grading(
    name: str, signature: str | None, prefix: str, suffix: str, run: dict[str, Any] | None
) -> dict[str, Any]:
    g: dict[str, Any] = {"kind": "cpp-compile", "function": name, "prefix": prefix, "suffix": suffix}
    if signature is not None:
        g["signature"] = signature
    if run is not None:
        g["run"] = run
    return g


def _candidates(fn: Fn, limit: int = 8) -> list[tuple[str, str]]:
    """Slips to plant, starting mid-function (not always line 1); misspelt names are left out
    (a fix item's bug should be one the compiler does not point at)."""
    muts = [(desc, text) for op, desc, text in mutants(fn.code) if op != "wrong-name" and text != fn.code]
    return (muts[len(muts) // 2 :] + muts[: len(muts) // 2])[:limit]


def _batch_outputs(codes: list[tuple[str, str]], inputs: list[list[str]]) -> list[list[str]]:
    """Outputs of many candidate functions on their inputs from ONE build and ONE run: each
    function in its own namespace, a dispatcher taking its index from the input's first byte."""
    parts = ["#include <cstddef>\n#include <cstdint>\n#include <vector>\n"]
    for k, (_, code) in enumerate(codes):
        parts.append(f"namespace b{k} {{\n{code}\n}}\n")
    table = ", ".join(f"&b{k}::{name}" for k, (name, _) in enumerate(codes))
    parts.append(
        "namespace tfbatch {\n"
        "std::vector<uint8_t> Dispatch(const std::vector<uint8_t>& in) {\n"
        f"  static std::vector<uint8_t> (*const table[])(const std::vector<uint8_t>&) = {{{table}}};\n"
        "  return table[in[0]](std::vector<uint8_t>(in.begin() + 1, in.end()));\n}\n}\n"
    )
    groups = [[(f"{k:02x}{inp}", "") for inp in ins] for k, ins in enumerate(inputs)]
    results = run_vector_groups("".join(parts), "", "", "tfbatch::Dispatch(in)", groups)
    if not results[0].built:
        raise SystemExit(f"batch build failed: {results[0].problems}")
    # a run that crashed or stopped early counts as different output (as a one-by-one run would)
    out: list[list[str]] = []
    for res, ins in zip(results, inputs, strict=True):
        got = [o.strip() for o in res.outputs]
        crashed = len(got) != len(ins) or (not res.ok and res.problems and "vector" not in res.problems[0])
        out.append(["<crashed>"] * len(ins) if crashed else got)
    return out


def records() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    # every reference and every candidate slip, built and run at once
    codes: list[tuple[str, str]] = []
    inputs: list[list[str]] = []
    owners: list[str] = []
    for fn in FUNCTIONS:
        for text in [fn.code, *(t for _, t in _candidates(fn))]:
            codes.append((fn.name, text))
            inputs.append(list(fn.inputs))
            owners.append(fn.name)
    outputs: dict[str, list[list[str]]] = {}
    for owner, got in zip(owners, _batch_outputs(codes, inputs), strict=True):
        outputs.setdefault(owner, []).append(got)
    for fn in FUNCTIONS:
        cases = _cases(fn)
        run = {"call": f"tf::{fn.name}(in)", "cases": [list(c) for c in cases]}
        got, *slip_outputs = outputs[fn.name]
        if got != [want for _, want in cases]:
            raise SystemExit(f"{fn.name}: the reference fails its own vectors: {got}")
        out.append(
            {
                "id": f"cpp.write.{fn.name}",
                "category": "cpp",
                "prompt": (
                    f"Write this C++23 function (namespace `tf`; <cstdint>, <cstddef> and <vector> are included):\n\n"
                    f"```cpp\n// {fn.doc}\n{fn.signature};\n```\n\nAnswer with the whole definition in a ```cpp block."
                ),
                "reference": f"```cpp\n{fn.code}\n```\n",
                "grading": _grading(fn.name, fn.signature, PREFIX, SUFFIX, run),
                "tags": ["cpp", "write", "run"],
            }
        )
        wants = [want for _, want in cases]
        slip = next((c for c, o in zip(_candidates(fn), slip_outputs, strict=True) if o != wants), None)
        if slip is None:
            raise SystemExit(f"{fn.name}: no mutant the vectors expose")
        desc, buggy = slip
        out.append(
            {
                "id": f"cpp.fix.{fn.name}",
                "category": "cpp",
                "prompt": (
                    f"This C++ function should do the following: {fn.doc} It has one bug. Answer with the "
                    f"corrected definition (same signature) in a ```cpp block.\n\n```cpp\n{buggy}\n```"
                ),
                "reference": f"```cpp\n{fn.code}\n```\n",
                "grading": _grading(fn.name, fn.signature, PREFIX, SUFFIX, run),
                "tags": ["cpp", "fix", "run", desc.split(":")[0].replace(" ", "")],
            }
        )
    scan = parse_source(ROOM_TU, "room_objects.cc")
    for fn in scan.functions:
        if fn.line_end - fn.line_start < 2:
            continue
        prefix, suffix = ROOM_TU[: fn.start_byte], ROOM_TU[fn.end_byte :]
        run = tree_run(fn.qualified_name)
        ran = run_vector_groups(prefix, fn.text, suffix, run["call"], [[tuple(c) for c in run["cases"]]])[0]
        if not ran.ok:
            raise SystemExit(f"{fn.qualified_name}: the reference fails its own vectors: {ran.problems}")
        where = f"namespace `{fn.namespace}`" + (f", class `{fn.class_name}`" if fn.class_name else "")
        out.append(
            {
                "id": f"cpp.tree.{fn.qualified_name.replace('::', '.')}",
                "category": "cpp",
                "prompt": (
                    f"`room_objects.cc` ({where}) needs this function; the rest of the file is below the "
                    "line. Write its definition; it must compile in that file and do what its comment says "
                    f"(it is run on test inputs).\n\n```cpp\n{fn.doc}\n{fn.signature};\n```"
                    f"\n\n---\n\n```cpp\n{prefix}/* the function goes here */{suffix}```"
                ),
                "reference": f"```cpp\n{fn.text}\n```\n",
                "grading": _grading(fn.name, fn.signature, prefix, suffix, run),
                "tags": ["cpp", "tree", "compile", "run"],
            }
        )
    return out


# -- behaviour of the `cpp.tree.*` functions ----------------------------------------------------
# Each tree function is also run: a probe (a C++ expression over the input bytes `in`, appended
# after the file) builds its arguments from the bytes, calls it and returns what it produced as
# bytes; the expected bytes come from the Python model beside it. Objects in an input are 5
# bytes each: id, x (& 63), y (& 63), size (& 15), layer (% 3).

_OBJS = (
    "auto objs = [](const std::vector<uint8_t>& b, std::size_t from) { std::vector<RoomObject> v; "
    "for (std::size_t i = from; i + 4 < b.size(); i += 5) v.emplace_back(b[i], b[i + 1] & 63, b[i + 2] & 63, "
    "b[i + 3] & 15, static_cast<Layer>(b[i + 4] % 3)); return v; };"
)


def _probe(body: str) -> str:
    return f"[&] {{ using namespace tfz::dungeon; {_OBJS} (void)objs; {body} }}()"


Obj = tuple[int, int, int, int, int]  # id, x, y, size, layer


def _objs(b: Bytes, start: int) -> list[Obj]:
    return [
        (b[i], b[i + 1] & 63, b[i + 2] & 63, b[i + 3] & 15, b[i + 4] % 3) for i in range(start, len(b) - 4, 5)
    ]


def _encode(o: Obj) -> Bytes:
    _, x, y, size, _ = o
    return [((x << 2) | ((size >> 2) & 3)) & 0xFF, ((y << 2) | (size & 3)) & 0xFF, o[0] & 0xFF]


def _clamp(v: int) -> int:
    return max(0, min(63, v))


def _s8(v: int) -> int:
    return v - 256 if v >= 128 else v


def _m_read_layer(b: Bytes) -> Bytes:
    pos, layer, data = b[0], b[1] % 3, b[2:]
    objects: list[Obj] = []
    while pos + 1 < len(data):
        if data[pos] == 0xFF and data[pos + 1] == 0xFF:
            pos += 2
            return [1, pos & 0xFF, pos >> 8] + [v for o in objects for v in o]
        if pos + 2 >= len(data) or len(objects) >= 512:
            return [0]
        b1, b2, b3 = data[pos], data[pos + 1], data[pos + 2]
        objects.append((b3, b1 >> 2, b2 >> 2, ((b1 & 3) << 2) | (b2 & 3), layer))
        pos += 3
    return [0]


def _m_remove_all(b: Bytes) -> Bytes:
    objs = _objs(b, 1)
    kept = [o for o in objs if o[0] != b[0]]
    return [len(objs) - len(kept)] + [v for o in kept for v in o[:2]]


def _m_find(b: Bytes) -> Bytes:
    hit = next((o for o in _objs(b, 1) if o[0] == b[0]), None)
    return [1, *hit[:4]] if hit else [0]


def _m_total(b: Bytes) -> Bytes:
    total = sum(o[3] for o in _objs(b, 1) if o[4] == b[0] % 3)
    return [total & 0xFF, total >> 8]


def _hexes(*rows: Bytes) -> tuple[str, ...]:
    return tuple(bytes(r).hex() for r in rows)


_MANY = [v for k in range(512) for v in (k & 0x7F, 0x20, 0x10 | (k & 3))]  # 512 objects (no FF FF in them)

# qualified name -> (probe body, model, inputs)
TREE_PROBES: dict[str, tuple[str, Callable[[Bytes], Bytes], tuple[str, ...]]] = {
    "tfz::dungeon::RoomObject::EncodeType1": (
        "RoomObject o(in[0], in[1] & 63, in[2] & 63, in[3] & 15, Layer::kBg2); const ObjectBytes b = "
        "o.EncodeType1(); return std::vector<uint8_t>{b.b1, b.b2, b.b3};",
        lambda b: _encode((b[0], b[1] & 63, b[2] & 63, b[3] & 15, 1)),
        _hexes(
            [0x21, 4, 10, 3],
            [0xFF, 63, 63, 15],
            [0, 0, 0, 0],
            [0x80, 1, 2, 4],
            [0x7F, 33, 17, 8],
            [3, 62, 1, 13],
        ),
    ),
    "tfz::dungeon::RoomObject::IsSubtype3": (
        "RoomObject o(in[0] | (in[1] << 8), 0, 0, 0, Layer::kBg1); return std::vector<uint8_t>{o.IsSubtype3()};",
        lambda b: [int((b[0] | (b[1] << 8)) >= 0xF80)],
        _hexes([0x7F, 0x0F], [0x80, 0x0F], [0x81, 0x0F], [0, 0], [0xFF, 0xFF], [0xFF, 0x0E], [0, 0x10]),
    ),
    "tfz::dungeon::RoomObject::MoveBy": (
        "RoomObject o(7, in[0] & 63, in[1] & 63, 0, Layer::kBg1); o.MoveBy(static_cast<int8_t>(in[2]), "
        "static_cast<int8_t>(in[3])); return std::vector<uint8_t>{static_cast<uint8_t>(o.x()), "
        "static_cast<uint8_t>(o.y())};",
        lambda b: [_clamp((b[0] & 63) + _s8(b[2])), _clamp((b[1] & 63) + _s8(b[3]))],
        _hexes(
            [10, 20, 3, 0xFE],
            [60, 2, 3, 0xFD],
            [60, 2, 4, 0xFC],
            [0, 63, 0xFF, 1],
            [5, 5, 0, 0],
            [62, 1, 1, 0xFF],
            [1, 62, 0xFF, 1],
            [30, 40, 0x81, 0x7F],
        ),
    ),
    "tfz::dungeon::DecodeType1": (
        "const RoomObject o = DecodeType1(ObjectBytes{in[0], in[1], in[2]}, static_cast<Layer>(in[3] % 3)); "
        "return std::vector<uint8_t>{static_cast<uint8_t>(o.id()), static_cast<uint8_t>(o.x()), "
        "static_cast<uint8_t>(o.y()), static_cast<uint8_t>(o.size()), static_cast<uint8_t>(o.layer())};",
        lambda b: [b[2], b[0] >> 2, b[1] >> 2, ((b[0] & 3) << 2) | (b[1] & 3), b[3] % 3],
        _hexes(
            [0x13, 0x2A, 0x21, 0],
            [0xFF, 0xFF, 0xFF, 1],
            [0, 0, 0, 2],
            [0x01, 0x02, 0x80, 4],
            [0xFE, 0x03, 0x7F, 5],
        ),
    ),
    "tfz::dungeon::WriteLayer": (
        "std::vector<uint8_t> out{0xAA}; WriteLayer(objs(in, 1), static_cast<Layer>(in[0] % 3), &out); return out;",
        lambda b: [0xAA] + [v for o in _objs(b, 1) if o[4] == b[0] % 3 for v in _encode(o)] + [0xFF, 0xFF],
        _hexes(
            [0],
            [1, 0x21, 4, 10, 3, 1, 0x22, 5, 11, 12, 0, 0x23, 63, 63, 15, 1],
            [2, 0x10, 1, 1, 1, 2, 0x11, 2, 2, 2, 2],
            [0, 0x10, 1, 1, 1, 1],
        ),
    ),
    "tfz::dungeon::CountPerLayer": (
        "const auto c = CountPerLayer(objs(in, 0)); return std::vector<uint8_t>{static_cast<uint8_t>(c[0]), "
        "static_cast<uint8_t>(c[1]), static_cast<uint8_t>(c[2])};",
        lambda b: [sum(1 for o in _objs(b, 0) if o[4] == k) for k in range(3)],
        _hexes([], [1, 1, 1, 1, 0], [1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 1, 4, 4, 4, 4, 2]),
    ),
    "tfz::dungeon::FindById": (
        "const auto r = FindById(objs(in, 1), in[0]); if (!r) return std::vector<uint8_t>{0}; return "
        "std::vector<uint8_t>{1, static_cast<uint8_t>(r->id()), static_cast<uint8_t>(r->x()), "
        "static_cast<uint8_t>(r->y()), static_cast<uint8_t>(r->size())};",
        _m_find,
        _hexes(
            [5],
            [5, 5, 1, 2, 3, 0, 5, 9, 9, 9, 0],
            [6, 5, 1, 2, 3, 0],
            [7, 1, 1, 1, 1, 0, 7, 2, 2, 2, 0, 7, 3, 3, 3, 0],
            [0, 0, 4, 4, 4, 1],
        ),
    ),
    "tfz::dungeon::ReadLayer": (
        "std::vector<uint8_t> data(in.begin() + 2, in.end()); std::size_t pos = in[0]; const auto r = "
        "ReadLayer(data, &pos, static_cast<Layer>(in[1] % 3)); if (!r) return std::vector<uint8_t>{0}; "
        "std::vector<uint8_t> out{1, static_cast<uint8_t>(pos & 0xFF), static_cast<uint8_t>(pos >> 8)}; for (const "
        "RoomObject& o : *r) out.insert(out.end(), {static_cast<uint8_t>(o.id()), static_cast<uint8_t>(o.x()), "
        "static_cast<uint8_t>(o.y()), static_cast<uint8_t>(o.size()), static_cast<uint8_t>(o.layer())}); return out;",
        _m_read_layer,
        _hexes(
            [0, 0, 0xFF, 0xFF],
            [0, 1, 0x13, 0x2A, 0x21, 0xFF, 0xFF, 0x99],
            [1, 2, 0xEE, 0x04, 0x08, 0x05, 0xFF, 0xFF],
            [0, 0],
            [0, 0, 0xFF],
            [0, 0, 0x13, 0x2A],
            [0, 0, 0x13, 0x2A, 0x21],
            [0, 0, 0x13, 0x2A, 0x21, 0xFF],
            [0, 0, 0x13, 0x2A, 0x21, 0x01, 0x02, 0x03, 0xFF, 0xFF],
            [0, 1, 0xFF, 0xFE, 0x01, 0xFF, 0xFF],
            [0, 0, *_MANY, 0xFF, 0xFF],
            [0, 0, *_MANY, 0x01, 0x02, 0x03, 0xFF, 0xFF],
        ),
    ),
    "tfz::dungeon::Describe": (
        "const std::string s = Describe(RoomObject(in[0], in[1] & 63, in[2] & 63, in[3] & 15, Layer::kBg1)); "
        "return std::vector<uint8_t>(s.begin(), s.end());",
        lambda b: list(f"obj 0x{b[0]:02X} @ ({b[1] & 63}, {b[2] & 63}) size {b[3] & 15}".encode()),
        _hexes([0x21, 4, 10, 3], [0, 0, 0, 0], [0xFF, 63, 63, 15], [0x0A, 9, 10, 11]),
    ),
    "tfz::dungeon::IsDoorListStart": (
        "std::vector<uint8_t> data(in.begin() + 1, in.end()); return std::vector<uint8_t>{IsDoorListStart(data, in[0])};",
        lambda b: [int(b[0] + 1 < len(b) - 1 and (b[1 + b[0]] | (b[2 + b[0]] << 8)) == 0xFFF0)],
        _hexes(
            [0, 0xF0, 0xFF],
            [1, 0xF0, 0xFF],
            [1, 0x00, 0xF0, 0xFF],
            [0, 0xFF, 0xF0],
            [0, 0xF0],
            [1, 0x00, 0xF0],
            [0, 0xF1, 0xFF],
            [0, 0xF0, 0xFE],
            [2, 0, 0, 0xF0, 0xFF, 0],
        ),
    ),
    "tfz::dungeon::TotalSize": (
        "const int t = TotalSize(objs(in, 1), static_cast<Layer>(in[0] % 3)); return std::vector<uint8_t>"
        "{static_cast<uint8_t>(t & 0xFF), static_cast<uint8_t>(t >> 8)};",
        _m_total,
        _hexes([0], [1, 1, 1, 1, 5, 1, 2, 2, 2, 7, 0, 3, 3, 3, 9, 1], [2, 1, 1, 1, 15, 2, 2, 2, 2, 15, 2]),
    ),
    "tfz::dungeon::RemoveAll": (
        "auto v = objs(in, 1); const int n = RemoveAll(&v, in[0]); std::vector<uint8_t> out{static_cast<uint8_t>(n)}; "
        "for (const RoomObject& o : v) out.insert(out.end(), {static_cast<uint8_t>(o.id()), static_cast<uint8_t>(o.x())}); "
        "return out;",
        _m_remove_all,
        _hexes(
            [3],
            [3, 3, 1, 0, 0, 0, 4, 2, 0, 0, 0, 3, 3, 0, 0, 0],
            [9, 3, 1, 0, 0, 0],
            [0, 0, 5, 0, 0, 0, 0, 6, 0, 0, 1],
        ),
    ),
}


def tree_run(qualified_name: str) -> dict[str, Any]:
    """The `run` spec of a tree item: its probe and (input, expected) cases from the model."""
    body, model, inputs = TREE_PROBES[qualified_name]
    cases = [[inp, bytes(model(list(bytes.fromhex(inp)))).hex()] for inp in inputs]
    return {"call": _probe(body), "cases": cases}
