#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace switchboard::common {

// Either a value of type T or an error of type Error, so that no exception
// crosses a layer's interface (modeled on Redpanda's result<T>). Each layer
// names its own: `storage::result<T>` = basic_result<T, storage::error>,
// `cluster::result<T>` = basic_result<T, cluster::error>. Header-only.
template <class T, class Error>
class [[nodiscard]] basic_result {
 public:
  basic_result(T value) : v_(std::move(value)) {}  // NOLINT: implicit
  basic_result(Error e) : v_(std::move(e)) {}      // NOLINT: implicit

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  // Precondition: has_value().
  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // Precondition: !has_value().
  const Error& err() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// The value of an operation that returns nothing but may fail.
struct ok_t {};
inline constexpr ok_t ok{};

}  // namespace switchboard::common
