#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "cluster/result.hpp"

namespace switchboard::cluster::etcd_json {

// Reads the fields of the gateway's JSON objects by its conventions: 64-bit
// numbers as strings of digits (a JSON number is accepted too), bytes as
// base64, and an absent field as its zero value. The first problem met is
// kept, and every read after it returns a zero value, so that a parser reads
// straight through and checks ok() once at the end. Internal to the parsers
// of etcd_json.cpp (Boost.JSON stays out of the public headers); one per
// parse, not thread-safe. Returned references live as long as the object
// read and this reader.
class field_reader {
 public:
  // `context` begins every message: what was being read.
  explicit field_reader(std::string context = "etcd answer")
      : context_(std::move(context)) {}

  // `text` as a JSON object, kept in the reader; an empty one (and the
  // reason kept) when it is not JSON or not an object.
  const boost::json::object& parse_object(std::string_view text);

  bool ok() const noexcept { return problem_.empty(); }
  // errc::bad_response naming the first field that was wrong.
  error failure() const { return {errc::bad_response, problem_}; }
  void fail(std::string_view field, std::string_view what);

  std::int64_t i64(const boost::json::object& o, std::string_view name);
  // Cluster and member ids and the raft term are unsigned in etcd.
  std::uint64_t u64(const boost::json::object& o, std::string_view name);
  bool boolean(const boost::json::object& o, std::string_view name);
  std::string text(const boost::json::object& o, std::string_view name);
  // Base64 bytes: keys and values.
  std::string bytes(const boost::json::object& o, std::string_view name);
  // A nested object or array; an empty one when absent or wrong.
  const boost::json::object& object(const boost::json::object& o,
                                    std::string_view name);
  const boost::json::array& array(const boost::json::object& o,
                                  std::string_view name);
  // An element of array `array_name` that must be an object.
  const boost::json::object& element(const boost::json::value& v,
                                     std::string_view array_name);

 private:
  // The number as uint64 bits; `is_signed`: it must fit an int64.
  std::uint64_t number(const boost::json::object& o, std::string_view name,
                       bool is_signed);

  std::string context_;
  std::string problem_;
  boost::json::value root_;
  boost::json::object empty_object_;
  boost::json::array empty_array_;
};

}  // namespace switchboard::cluster::etcd_json
