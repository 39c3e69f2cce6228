#include "util/status.h"

#include "minizelda_config.h"

namespace mz::util {

// The version string the build configured (from minizelda_config.h).
const char* Version() { return MINIZELDA_VERSION_STRING; }

// Does not compile: nothing declares LoadEverything(). A sample from this file can only be
// parse-checked, and says so.
Status LoadAll(int count) {
  for (int i = 0; i < count; ++i) {
    MZ_RETURN_IF_ERROR(LoadEverything(i));
  }
  return OkStatus();
}

}  // namespace mz::util
