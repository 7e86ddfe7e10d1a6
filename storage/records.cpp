#include "storage/records.hpp"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <ostream>
#include <sstream>
#include <streambuf>

namespace switchboard::storage {

template <class Archive>
void serialize(Archive& ar, conversation_meta& v, std::uint32_t /*version*/) {
  ar(v.kind, v.title, v.creator, v.created_ms);
}

template <class Archive>
void serialize(Archive& ar, member_state& v, std::uint32_t /*version*/) {
  ar(v.delivered_upto, v.read_upto, v.joined_ms);
}

template <class Archive>
void serialize(Archive& ar, device& v, std::uint32_t /*version*/) {
  ar(v.platform, v.token, v.registered_ms);
}

template <class Archive>
void serialize(Archive& ar, push_job& v, std::uint32_t /*version*/) {
  ar(v.user_id, v.conv_id, v.msg_id, v.sender, v.preview, v.created_ms,
     v.attempts);
}

}  // namespace switchboard::storage

CEREAL_CLASS_VERSION(switchboard::storage::conversation_meta, 1)
CEREAL_CLASS_VERSION(switchboard::storage::member_state, 1)
CEREAL_CLASS_VERSION(switchboard::storage::device, 1)
CEREAL_CLASS_VERSION(switchboard::storage::push_job, 1)

namespace switchboard::storage {

namespace {

// The stream buffer cereal writes a record through: appends to a string.
class string_sink : public std::streambuf {
 public:
  std::string* out = nullptr;

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out->append(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof()))
      out->push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
};

template <class T>
std::string encode_record(const T& v) {
  // One stream per thread: constructing an ostringstream (its locale, its
  // facets) for every record was most of the cost of a cursor write, which
  // happens for every ack.
  thread_local string_sink sink;
  thread_local std::ostream os(&sink);
  std::string out;
  sink.out = &out;
  os.clear();
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(v);
  }
  sink.out = nullptr;
  return out;
}

template <class T>
result<T> decode_record(std::string_view bytes, const char* kind) {
  T v;
  try {
    std::istringstream is{std::string(bytes)};
    cereal::PortableBinaryInputArchive ar(is);
    ar(v);
    if (is.peek() != std::char_traits<char>::eof())
      return error{errc::corruption, std::string(kind) + ": trailing bytes"};
  } catch (const std::exception& e) {
    return error{errc::corruption, std::string(kind) + ": " + e.what()};
  }
  return v;
}

}  // namespace

std::string encode(const conversation_meta& v) { return encode_record(v); }
std::string encode(const member_state& v) { return encode_record(v); }
std::string encode(const device& v) { return encode_record(v); }
std::string encode(const push_job& v) { return encode_record(v); }

result<conversation_meta> decode_conversation_meta(std::string_view bytes) {
  return decode_record<conversation_meta>(bytes, "conversation");
}
result<member_state> decode_member_state(std::string_view bytes) {
  return decode_record<member_state>(bytes, "member");
}
result<device> decode_device(std::string_view bytes) {
  return decode_record<device>(bytes, "device");
}
result<push_job> decode_push_job(std::string_view bytes) {
  return decode_record<push_job>(bytes, "push job");
}

}  // namespace switchboard::storage
