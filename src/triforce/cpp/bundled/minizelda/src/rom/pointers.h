#ifndef MINIZELDA_ROM_POINTERS_H
#define MINIZELDA_ROM_POINTERS_H

#include <cstdint>
#include <vector>

#include "util/status.h"

namespace mz::rom {

// Three parallel tables of sheet pointers in a LoROM image (PC offsets): bank, high and low bytes.
constexpr uint32_t kSheetBankTable = 0x4F80;
constexpr uint32_t kSheetHighTable = 0x505F;
constexpr uint32_t kSheetLowTable = 0x513E;
constexpr int kNumSheets = 223;

class RomImage {
 public:
  explicit RomImage(std::vector<uint8_t> data) : data_(std::move(data)) {}

  uint32_t SheetAddress(int sheet) const;
  Status ReadWord(uint32_t pc, uint16_t* out) const;
  std::size_t size() const { return data_.size(); }

 private:
  std::vector<uint8_t> data_;
};

uint32_t SnesToPc(uint32_t snes);
uint32_t PcToSnes(uint32_t pc);

}  // namespace mz::rom

#endif  // MINIZELDA_ROM_POINTERS_H
