#include "bench/harness/frame_reader.hpp"

#include <boost/json/basic_parser_impl.hpp>

namespace switchboard::bench {

namespace json = boost::json;
using boost::system::error_code;

namespace {

// The SAX handler: tracks depth, the current top-level key, and copies the
// values of the members frame_fields keeps.
struct handler {
  constexpr static std::size_t max_object_size = std::size_t(-1);
  constexpr static std::size_t max_array_size = std::size_t(-1);
  constexpr static std::size_t max_key_size = std::size_t(-1);
  constexpr static std::size_t max_string_size = std::size_t(-1);

  frame_fields* out = nullptr;
  int depth = 0;
  bool object_at_top = false;
  std::string key;                      // the current top-level key, whole
  std::string* target = nullptr;        // where the current string value goes
  std::size_t limit = std::size_t(-1);  // of what `target` keeps

  void begin(frame_fields& f) {
    out = &f;
    f = frame_fields{};
    depth = 0;
    object_at_top = false;
    key.clear();
  }

  // The string member that the current key names, if it is kept.
  std::string* string_target() {
    limit = std::size_t(-1);
    if (depth != 1) return nullptr;
    if (key == "type") return &out->type;
    if (key == "rid") return &out->rid;
    if (key == "conv_id") return &out->conv_id;
    if (key == "client_msg_id") return &out->client_msg_id;
    if (key == "state") return &out->state;
    if (key == "user_id") return &out->user_id;
    if (key == "code") return &out->code;
    if (key == "body") {
      limit = 24;
      return &out->body_head;
    }
    return nullptr;
  }

  void append(std::string_view s) {
    if (!target) return;
    if (target->size() < limit)
      target->append(s.substr(0, limit - target->size()));
  }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code& ec) { return enter(ec, false); }
  bool on_array_end(std::size_t, error_code&) { return leave(); }
  bool on_object_begin(error_code& ec) { return enter(ec, true); }
  bool on_object_end(std::size_t, error_code&) { return leave(); }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    if (!target) target = string_target();
    append(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code& ec) {
    if (!target) target = string_target();
    append(s);
    target = nullptr;
    return value_done(ec);
  }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    if (depth == 1) key.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code&) {
    if (depth == 1) key.append(s.data(), s.size());
    return true;
  }
  bool on_number_part(json::string_view, error_code&) { return true; }
  bool on_int64(std::int64_t v, json::string_view, error_code& ec) {
    if (depth == 1 && key == "msg_id" && v >= 0) {
      out->msg_id = static_cast<std::uint64_t>(v);
      out->has_msg_id = true;
    }
    return value_done(ec);
  }
  bool on_uint64(std::uint64_t v, json::string_view, error_code& ec) {
    if (depth == 1 && key == "msg_id") {
      out->msg_id = v;
      out->has_msg_id = true;
    }
    return value_done(ec);
  }
  bool on_double(double, json::string_view, error_code& ec) {
    return value_done(ec);
  }
  bool on_bool(bool v, error_code& ec) {
    if (depth == 1 && key == "duplicate") out->duplicate = v;
    return value_done(ec);
  }
  bool on_null(error_code& ec) { return value_done(ec); }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }

  bool enter(error_code& ec, bool object) {
    if (depth == 0 && !object) {
      ec = json::error::not_object;
      return false;
    }
    if (depth == 0) object_at_top = true;
    ++depth;
    return true;
  }
  // A nested value ended; back in the frame, it ends the current member.
  bool leave() {
    if (--depth == 1) key.clear();
    return true;
  }
  // A scalar value ended: at the top level it would not be an object; in
  // the frame it ends the current member.
  bool value_done(error_code& ec) {
    if (depth == 0) {
      ec = json::error::not_object;
      return false;
    }
    if (depth == 1) key.clear();
    return true;
  }
};

}  // namespace

struct frame_reader::impl {
  json::basic_parser<handler> parser{json::parse_options{}};
};

frame_reader::frame_reader() : impl_(std::make_unique<impl>()) {}
frame_reader::~frame_reader() = default;

bool frame_reader::read(std::string_view text, frame_fields& out) {
  auto& p = impl_->parser;
  p.reset();
  p.handler().begin(out);
  error_code ec;
  auto n = p.write_some(false, text.data(), text.size(), ec);
  return !ec && n == text.size() && p.done() && p.handler().object_at_top;
}

}  // namespace switchboard::bench
