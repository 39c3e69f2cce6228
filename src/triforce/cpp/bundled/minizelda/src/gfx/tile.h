#ifndef MINIZELDA_GFX_TILE_H
#define MINIZELDA_GFX_TILE_H

#include <array>
#include <cstdint>
#include <vector>

namespace mz::gfx {

constexpr int kTilePixels = 64;

// One 8x8 tile of palette indexes, row by row.
struct Tile8 {
  std::array<uint8_t, kTilePixels> pixels{};

  uint8_t At(int x, int y) const { return pixels[y * 8 + x]; }
  void Set(int x, int y, uint8_t value);
  int CountOpaque() const;
};

std::vector<uint8_t> UnpackPlanar(const std::vector<uint8_t>& data, int bpp);
std::vector<uint8_t> PackPlanar(const std::vector<uint8_t>& pixels, int bpp);
uint16_t TilemapWord(uint16_t tile, uint8_t palette, bool priority, bool hflip, bool vflip);
std::vector<uint8_t> SnesColorsToRgb(const std::vector<uint8_t>& words);

template <typename T>
T ClampIndex(T value, T low, T high) {
  return value < low ? low : (value > high ? high : value);
}

}  // namespace mz::gfx

#endif  // MINIZELDA_GFX_TILE_H
