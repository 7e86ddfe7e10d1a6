#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::actors {

// Writes one JSON object as text, member by member: the server's frames are
// built straight into their string, with no document in between (one
// allocation per frame on the hot path). Strings are escaped as RFC 8259
// asks (quotation mark, reverse solidus, control characters); valid UTF-8
// passes through unchanged; member names are taken as they are (literals
// of the caller's). Not thread-safe; a value type.
class json_writer {
 public:
  explicit json_writer(std::size_t reserve = 128) {
    out_.reserve(reserve);
    out_.push_back('{');
  }

  json_writer& str(std::string_view name, std::string_view value) {
    key(name);
    quote(value);
    return *this;
  }
  json_writer& num(std::string_view name, std::uint64_t value) {
    key(name);
    return number(value);
  }
  json_writer& num(std::string_view name, std::int64_t value) {
    key(name);
    return number(value);
  }
  json_writer& boolean(std::string_view name, bool value) {
    key(name);
    out_.append(value ? "true" : "false");
    return *this;
  }
  json_writer& null(std::string_view name) {
    key(name);
    out_.append("null");
    return *this;
  }
  json_writer& strings(std::string_view name,
                       const std::vector<std::string>& values) {
    key(name);
    out_.push_back('[');
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i) out_.push_back(',');
      quote(values[i]);
    }
    out_.push_back(']');
    return *this;
  }
  // A member whose value is JSON text made by another json_writer (or an
  // array of them, see array_of).
  json_writer& raw(std::string_view name, std::string_view json) {
    key(name);
    out_.append(json);
    return *this;
  }

  // The object's text; the writer is spent (moved from).
  std::string done() {
    out_.push_back('}');
    return std::move(out_);
  }

  // `items` (each JSON text) as one JSON array.
  static std::string array_of(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out.push_back(',');
      out.append(items[i]);
    }
    out.push_back(']');
    return out;
  }

 private:
  // Member names are this code's own literals, never client input: they
  // are written as they are, unescaped.
  void key(std::string_view name) {
    if (out_.size() > 1) out_.push_back(',');
    out_.push_back('"');
    out_.append(name);
    out_.append("\":", 2);
  }

  template <class Int>
  json_writer& number(Int value) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, r.ptr);
    return *this;
  }

  // Whether any of the 8 bytes in `w` must be escaped: below 0x20, '"' or
  // '\\'. Bytes from 0x80 up (UTF-8) never match.
  static bool any_to_escape(std::uint64_t w) {
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    constexpr std::uint64_t high = 0x8080808080808080ull;
    auto zero_byte = [](std::uint64_t v) { return (v - ones) & ~v & high; };
    std::uint64_t below_space = (w - ones * 0x20) & ~w & high;
    return (below_space | zero_byte(w ^ (ones * '"')) |
            zero_byte(w ^ (ones * '\\'))) != 0;
  }

  void quote(std::string_view s) {
    out_.push_back('"');
    // Most strings need no escape at all: find the first byte that does,
    // eight bytes at a time, and copy everything before it at once.
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (any_to_escape(w)) break;
    }
    std::size_t run = 0;  // start of the characters not yet copied
    for (; i < s.size(); ++i) {
      auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"':
          out_.append("\\\"");
          break;
        case '\\':
          out_.append("\\\\");
          break;
        case '\b':
          out_.append("\\b");
          break;
        case '\f':
          out_.append("\\f");
          break;
        case '\n':
          out_.append("\\n");
          break;
        case '\r':
          out_.append("\\r");
          break;
        case '\t':
          out_.append("\\t");
          break;
        default: {
          static constexpr char hex[] = "0123456789abcdef";
          char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
          out_.append(esc, sizeof esc);
        }
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_.push_back('"');
  }

  std::string out_;
};

}  // namespace switchboard::actors
