#pragma once

#include <string>

#include "common/result.hpp"
#include "storage/errc.hpp"

namespace switchboard::storage {

// An error from the storage layer: what kind, and a human-readable detail.
struct error {
  errc code;
  std::string message;
};

// Either a value of type T or an error. Modeled on Redpanda's result<T>:
// no exceptions cross the storage boundary.
template <class T>
using result = common::basic_result<T, error>;

// The result of an operation that returns nothing but may fail.
using common::ok;
using common::ok_t;
using status = result<ok_t>;

}  // namespace switchboard::storage
