// One error vocabulary for all of berth: a closed set of kinds, a message for
// the user, and Result<T> carrying either a value or an Error. The kind is
// mapped to an HTTP status in exactly one place (api/errors.cc).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace berth {

enum class ErrorKind {
  kInvalidArgument,  // 400: the request is wrong; nothing was changed
  kForbidden,        // 403: valid but not allowed (predefined network, in use)
  kNotFound,         // 404
  kConflict,         // 409: name already taken
  kUnavailable,      // 503: a dependency (kernel, nft) is not usable now
  kInternal,         // 500
};

class [[nodiscard]] Error {
 public:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // Adds context as the error crosses a layer: "create bridge br-1: File exists".
  Error wrap(const std::string& context) const { return Error(kind_, context + ": " + message_); }

 private:
  ErrorKind kind_;
  std::string message_;
};

inline Error invalid_argument(std::string m) { return Error(ErrorKind::kInvalidArgument, std::move(m)); }
inline Error forbidden(std::string m) { return Error(ErrorKind::kForbidden, std::move(m)); }
inline Error not_found(std::string m) { return Error(ErrorKind::kNotFound, std::move(m)); }
inline Error conflict(std::string m) { return Error(ErrorKind::kConflict, std::move(m)); }
inline Error unavailable(std::string m) { return Error(ErrorKind::kUnavailable, std::move(m)); }
inline Error internal_error(std::string m) { return Error(ErrorKind::kInternal, std::move(m)); }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), has_error_(true) {}  // NOLINT

  bool ok() const { return !has_error_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return err_; }

 private:
  Error err_{ErrorKind::kInternal, ""};
  bool has_error_ = false;
};

using Status = Result<void>;

inline Status ok_status() { return Status(); }

}  // namespace berth

// Propagates an error: BERTH_TRY(expr) returns expr's error from the
// enclosing function, which must return a Result of any type.
#define BERTH_TRY(expr)                          \
  do {                                           \
    auto berth_try_r_ = (expr);                  \
    if (!berth_try_r_.ok()) return berth_try_r_.error(); \
  } while (0)
