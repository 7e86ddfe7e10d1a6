#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "cluster/errc.hpp"

namespace switchboard::cluster {

// An error of the cluster layer: what kind, and a human-readable detail.
struct error {
  errc code;
  std::string message;
};

// Either a value of type T or an error; no exception crosses cluster/'s
// interface. The same shape as storage::result, kept separate because
// cluster/ does not depend on storage/.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  result(error e) : v_(std::move(e)) {}      // NOLINT: implicit by design

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
  const error& err() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, error> v_;
};

// The result of an operation that returns nothing but may fail.
struct ok_t {};
inline constexpr ok_t ok{};
using status = result<ok_t>;

}  // namespace switchboard::cluster
