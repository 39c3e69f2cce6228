#ifndef MINIZELDA_UTIL_STATUS_H
#define MINIZELDA_UTIL_STATUS_H

#include <string>
#include <utility>

namespace mz {

// A result that is either fine or carries a message (a small stand-in for absl::Status).
class Status {
 public:
  Status() = default;
  explicit Status(std::string message) : message_(std::move(message)) {}

  /// True when no error is recorded.
  bool ok() const { return message_.empty(); }
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

inline Status OkStatus() { return Status(); }

}  // namespace mz

// Returns early from the calling function when `expr` is not ok.
#define MZ_RETURN_IF_ERROR(expr)        \
  do {                                  \
    ::mz::Status status_ = (expr);      \
    if (!status_.ok()) return status_;  \
  } while (false)

// Defines a getter named `name` returning `value` (used for table sizes).
#define MZ_DEFINE_SIZE(name, value) \
  constexpr int name() { return value; }

#endif  // MINIZELDA_UTIL_STATUS_H
