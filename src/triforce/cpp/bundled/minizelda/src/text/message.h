#ifndef MINIZELDA_TEXT_MESSAGE_H
#define MINIZELDA_TEXT_MESSAGE_H

#include <cstdint>
#include <string>
#include <vector>

namespace mz::text {

constexpr int kNumMessages = 397;
constexpr int kLineWidthPixels = 160;

int GlyphWidth(char c);
std::vector<int> OverlongLines(const std::string& message);
std::vector<uint8_t> LineWidths(const std::vector<uint8_t>& message);

}  // namespace mz::text

#endif  // MINIZELDA_TEXT_MESSAGE_H
