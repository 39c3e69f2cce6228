#include "rom/pointers.h"

#include <string>

namespace mz::rom {

/// LoROM: bank b, address $8000-$FFFF -> PC offset (b & 0x7F) * 0x8000 + (addr - 0x8000).
uint32_t SnesToPc(uint32_t snes) {
  return ((snes & 0x7F0000) >> 1) | (snes & 0x7FFF);
}

/// The inverse of SnesToPc for offsets below 4 MiB (banks $80 and up, the FastROM mirror).
uint32_t PcToSnes(uint32_t pc) {
  return (((pc << 1) & 0x7F0000) | (pc & 0x7FFF) | 0x8000) | 0x800000;
}

/// The PC offset of a graphics sheet: bank from kSheetBankTable, then the high and low bytes.
uint32_t RomImage::SheetAddress(int sheet) const {
  if (sheet < 0 || sheet >= kNumSheets || kSheetLowTable + sheet >= data_.size()) {
    return 0;
  }
  const uint32_t snes = (data_[kSheetBankTable + sheet] << 16) | (data_[kSheetHighTable + sheet] << 8) |
                        data_[kSheetLowTable + sheet];
  return SnesToPc(snes);
}

/// Reads a little-endian word; fails with "offset $xxxx out of range {size}" past the end.
Status RomImage::ReadWord(uint32_t pc, uint16_t* out) const {
  if (pc + 1 >= data_.size()) {
    return Status("offset " + std::to_string(pc) + " out of range {" + std::to_string(data_.size()) + "}");
  }
  *out = static_cast<uint16_t>(data_[pc] | (data_[pc + 1] << 8));
  return OkStatus();
}

namespace {

MZ_DEFINE_SIZE(SheetCount, kNumSheets)

}  // namespace

/// Reads `count` words starting at `pc` into `out`, stopping at the first error.
Status ReadWords(const RomImage& rom, uint32_t pc, int count, std::vector<uint16_t>* out) {
  for (int i = 0; i < count && i < SheetCount(); ++i) {
    uint16_t word = 0;
    MZ_RETURN_IF_ERROR(rom.ReadWord(pc + 2 * static_cast<uint32_t>(i), &word));
    out->push_back(word);
  }
  return OkStatus();
}

}  // namespace mz::rom
