#include "compress/lz.h"

#include <cstddef>

namespace mz::compress {

/// Reads one command header: `cccl llll`, or `111c ccll llll llll` for lengths up to 1024.
Header ReadHeader(const std::vector<uint8_t>& in, std::size_t pos) {
  Header h;
  const uint8_t b = in[pos];
  if ((b & 0xE0) == 0xE0 && pos + 1 < in.size()) {
    h.command = (b >> 2) & 7;
    h.length = (((b & 3) << 8) | in[pos + 1]) + 1;
    h.size = 2;
  } else {
    h.command = b >> 5;
    h.length = (b & 0x1F) + 1;
  }
  return h;
}

/// Decompresses an ALTTP-style graphics stream (copy offsets little-endian) until 0xFF.
/// Copies read the output already written, one byte at a time, so they may overlap themselves.
std::vector<uint8_t> Decompress(const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out;
  std::size_t pos = 0;
  while (pos < in.size() && in[pos] != 0xFF) {
    const Header h = ReadHeader(in, pos);
    pos += h.size;
    switch (h.command) {
      case 0:  // direct copy
        for (int i = 0; i < h.length && pos < in.size(); ++i) out.push_back(in[pos++]);
        break;
      case 1:  // byte fill
        out.insert(out.end(), h.length, in[pos++]);
        break;
      case 2: {  // word fill: lo, hi, lo, ...
        const uint8_t lo = in[pos], hi = in[pos + 1];
        pos += 2;
        for (int i = 0; i < h.length; ++i) out.push_back((i & 1) ? hi : lo);
        break;
      }
      case 3: {  // increasing fill, wrapping at 8 bits
        uint8_t v = in[pos++];
        for (int i = 0; i < h.length; ++i) out.push_back(v++);
        break;
      }
      default: {  // 4 and up: copy from an absolute output offset
        const std::size_t from = in[pos] | (in[pos + 1] << 8);
        pos += 2;
        if (from >= out.size()) return {};
        for (int i = 0; i < h.length; ++i) {
          const uint8_t byte = out[from + i];
          out.push_back(byte);
        }
        break;
      }
    }
    if (out.size() > kMaxOutput) return {};
  }
  return out;
}

}  // namespace mz::compress
