#include "cluster/field_reader.hpp"

#include <boost/json/parse.hpp>
#include <charconv>
#include <limits>

#include "cluster/etcd_bytes.hpp"

namespace switchboard::cluster::etcd_json {

namespace json = boost::json;

void field_reader::fail(std::string_view field, std::string_view what) {
  if (problem_.empty())
    problem_ = context_ + ": " + std::string(field) + ": " + std::string(what);
}

const json::object& field_reader::parse_object(std::string_view text) {
  boost::system::error_code ec;
  root_ = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) {
    fail("body", "not JSON (" + ec.message() + ")");
    return empty_object_;
  }
  if (!root_.is_object()) {
    fail("body", "not an object");
    return empty_object_;
  }
  return root_.get_object();
}

std::int64_t field_reader::i64(const json::object& o, std::string_view name) {
  return static_cast<std::int64_t>(number(o, name, true));
}

std::uint64_t field_reader::u64(const json::object& o, std::string_view name) {
  return number(o, name, false);
}

bool field_reader::boolean(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v) return false;
  if (auto* b = v->if_bool()) return *b;
  fail(name, "not a boolean");
  return false;
}

std::string field_reader::text(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v) return {};
  if (auto* s = v->if_string()) return std::string(*s);
  fail(name, "not a string");
  return {};
}

std::string field_reader::bytes(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v) return {};
  auto* s = v->if_string();
  if (!s) {
    fail(name, "not a string");
    return {};
  }
  auto decoded = base64_decode(std::string_view(s->data(), s->size()));
  if (!decoded) {
    fail(name, "not base64");
    return {};
  }
  return std::move(*decoded);
}

const json::object& field_reader::object(const json::object& o,
                                         std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v) return empty_object_;
  if (auto* obj = v->if_object()) return *obj;
  fail(name, "not an object");
  return empty_object_;
}

const json::array& field_reader::array(const json::object& o,
                                       std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v) return empty_array_;
  if (auto* a = v->if_array()) return *a;
  fail(name, "not an array");
  return empty_array_;
}

const json::object& field_reader::element(const json::value& v,
                                          std::string_view array_name) {
  if (auto* obj = v.if_object()) return *obj;
  fail(array_name, "an element is not an object");
  return empty_object_;
}

std::uint64_t field_reader::number(const json::object& o, std::string_view name,
                                   bool is_signed) {
  auto* v = o.if_contains(name);
  if (!v) return 0;
  if (auto* s = v->if_string()) {
    // from_chars takes no '+', no spaces and no empty text: the gateway
    // writes none of them.
    const char* first = s->data();
    const char* last = first + s->size();
    if (is_signed) {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(first, last, n);
      if (ec == std::errc() && end == last && first != last)
        return static_cast<std::uint64_t>(n);
    } else {
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(first, last, n);
      if (ec == std::errc() && end == last && first != last) return n;
    }
    fail(name, "not a decimal number in range");
    return 0;
  }
  constexpr auto int64_max =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (auto* i = v->if_int64()) {
    if (is_signed || *i >= 0) return static_cast<std::uint64_t>(*i);
  } else if (auto* u = v->if_uint64()) {
    if (!is_signed || *u <= int64_max) return *u;
  }
  fail(name, "not a number in range");
  return 0;
}

}  // namespace switchboard::cluster::etcd_json
