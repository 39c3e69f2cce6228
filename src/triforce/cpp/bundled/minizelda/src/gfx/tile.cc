#include "gfx/tile.h"

#include <cstddef>

#include "util/status.h"

namespace mz::gfx {

namespace {

// Bytes one tile takes in the SNES planar format: 8 rows of `bpp` bit planes.
int TileBytes(int bpp) { return 8 * bpp; }

}  // namespace

void Tile8::Set(int x, int y, uint8_t value) {
  pixels[ClampIndex(y, 0, 7) * 8 + ClampIndex(x, 0, 7)] = value;
}

/// Counts the pixels that are not colour 0 (colour 0 is transparent; "{" is not a brace here).
int Tile8::CountOpaque() const {
  int count = 0;
  for (uint8_t p : pixels) {
    if (p != 0) {  // } a closing brace in a comment
      ++count;
    }
  }
  return count;
}

/// Decodes planar tiles (2, 4 or 8 bpp) into one palette index per pixel.
/// Planes come in pairs: row r of planes 0/1 at bytes 2r and 2r+1, planes 2/3 sixteen bytes on.
std::vector<uint8_t> UnpackPlanar(const std::vector<uint8_t>& data, int bpp) {
  std::vector<uint8_t> pixels;
  const int size = TileBytes(bpp);
  for (std::size_t base = 0; base + size <= data.size(); base += size) {
    for (int row = 0; row < 8; ++row) {
      for (int col = 0; col < 8; ++col) {
        uint8_t value = 0;
        for (int plane = 0; plane < bpp; ++plane) {
          const std::size_t at = base + (plane / 2) * 16 + row * 2 + (plane % 2);
          value |= ((data[at] >> (7 - col)) & 1) << plane;
        }
        pixels.push_back(value);
      }
    }
  }
  return pixels;
}

/// Encodes palette indexes (64 per tile) into planar tiles of `bpp` bits per pixel.
std::vector<uint8_t> PackPlanar(const std::vector<uint8_t>& pixels, int bpp) {
  const std::size_t tiles = pixels.size() / kTilePixels;
  std::vector<uint8_t> out(tiles * TileBytes(bpp), 0);
  for (std::size_t t = 0; t < tiles; ++t) {
    for (int row = 0; row < 8; ++row) {
      for (int col = 0; col < 8; ++col) {
        const uint8_t value = pixels[t * kTilePixels + row * 8 + col];
        for (int plane = 0; plane < bpp; ++plane) {
          if ((value >> plane) & 1) {
            out[t * TileBytes(bpp) + (plane / 2) * 16 + row * 2 + (plane % 2)] |= 0x80 >> col;
          }
        }
      }
    }
  }
  return out;
}

// Builds a BG tilemap entry: vhopppcc cccccccc.
uint16_t TilemapWord(uint16_t tile, uint8_t palette, bool priority, bool hflip, bool vflip) {
  return static_cast<uint16_t>((vflip ? 0x8000 : 0) | (hflip ? 0x4000 : 0) | (priority ? 0x2000 : 0) |
                               ((palette & 7) << 10) | (tile & 0x3FF));
}

// Expands little-endian BGR555 words to RGB bytes (x8, the superfamicom wiki convention).
std::vector<uint8_t> SnesColorsToRgb(const std::vector<uint8_t>& words) {
  std::vector<uint8_t> rgb;
  for (std::size_t i = 0; i + 1 < words.size(); i += 2) {
    const uint16_t c = static_cast<uint16_t>(words[i] | (words[i + 1] << 8));
    rgb.push_back(static_cast<uint8_t>((c & 0x1F) * 8));
    rgb.push_back(static_cast<uint8_t>(((c >> 5) & 0x1F) * 8));
    rgb.push_back(static_cast<uint8_t>(((c >> 10) & 0x1F) * 8));
  }
  return rgb;
}

}  // namespace mz::gfx
