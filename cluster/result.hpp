#pragma once

#include <string>

#include "cluster/errc.hpp"
#include "common/result.hpp"

namespace switchboard::cluster {

// An error of the cluster layer: what kind, and a human-readable detail.
struct error {
  errc code;
  std::string message;
};

// Either a value of type T or an error; no exception crosses cluster/'s
// interface. The same template as storage::result, with cluster's errors.
template <class T>
using result = common::basic_result<T, error>;

// The result of an operation that returns nothing but may fail.
using common::ok;
using common::ok_t;
using status = result<ok_t>;

}  // namespace switchboard::cluster
