#include "text/message.h"

#include <cstddef>

namespace mz::text {

namespace {

// Narrow glyphs of the dialogue font; every other glyph is 8 pixels wide.
constexpr char kNarrow[] = "il.,'!:;|";

}  // namespace

/// Width in pixels of one glyph of the dialogue font.
int GlyphWidth(char c) {
  for (const char* p = kNarrow; *p != '\0'; ++p) {
    if (*p == c) return 4;
  }
  return c == ' ' ? 6 : 8;
}

/// Lines (0-based) wider than the text box, measured in pixels, not characters; '\n' ends a line.
std::vector<int> OverlongLines(const std::string& message) {
  std::vector<int> lines;
  int line = 0, width = 0;
  for (char c : message) {
    if (c == '\n') {
      if (width > kLineWidthPixels) lines.push_back(line);
      ++line;
      width = 0;
      continue;
    }
    width += GlyphWidth(c);
  }
  if (width > kLineWidthPixels) lines.push_back(line);
  return lines;
}

/// The pixel width of each line of a message (bytes are characters; 0x0A ends a line), capped at 255.
std::vector<uint8_t> LineWidths(const std::vector<uint8_t>& message) {
  std::vector<uint8_t> widths;
  int width = 0;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == 0x0A) {
      widths.push_back(static_cast<uint8_t>(width > 255 ? 255 : width));
      width = 0;
    } else {
      width += GlyphWidth(static_cast<char>(message[i]));
    }
  }
  widths.push_back(static_cast<uint8_t>(width > 255 ? 255 : width));
  return widths;
}

}  // namespace mz::text
