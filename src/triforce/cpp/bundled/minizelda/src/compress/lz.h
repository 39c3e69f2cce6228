#ifndef MINIZELDA_COMPRESS_LZ_H
#define MINIZELDA_COMPRESS_LZ_H

#include <cstdint>
#include <vector>

namespace mz::compress {

constexpr int kMaxOutput = 0x10000;

struct Header {
  int command = 0;
  int length = 0;
  int size = 1;  // header bytes: 1, or 2 for the long form
};

Header ReadHeader(const std::vector<uint8_t>& in, std::size_t pos);
std::vector<uint8_t> Decompress(const std::vector<uint8_t>& in);

}  // namespace mz::compress

#endif  // MINIZELDA_COMPRESS_LZ_H
