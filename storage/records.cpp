#include "storage/records.hpp"

#include <algorithm>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <ostream>
#include <sstream>
#include <streambuf>

namespace switchboard::storage {

namespace {

// A string field of a record. Written exactly as cereal writes a
// std::string (a 64-bit length, then the bytes), but read without trusting
// the length: cereal's own load resizes the string to it before reading, so
// a corrupt length made a few bytes of record allocate and zero-fill up to
// 2^64 bytes. Read in chunks, a record costs memory in proportion to the
// bytes it really has; a length past its end fails at the first chunk.
struct string_field {
  std::string& s;
};

template <class Archive>
void save(Archive& ar, const string_field& f) {
  ar(f.s);
}

template <class Archive>
void load(Archive& ar, string_field& f) {
  cereal::size_type size = 0;
  ar(cereal::make_size_tag(size));
  f.s.clear();
  char chunk[256];
  while (size > 0) {
    auto n = static_cast<std::size_t>(
        std::min<cereal::size_type>(size, sizeof chunk));
    ar(cereal::binary_data(chunk, n));  // throws at the end of the record
    f.s.append(chunk, n);
    size -= n;
  }
}

}  // namespace

template <class Archive>
void serialize(Archive& ar, conversation_meta& v, std::uint32_t /*version*/) {
  ar(string_field{v.kind}, string_field{v.title}, string_field{v.creator},
     v.created_ms);
}

template <class Archive>
void serialize(Archive& ar, member_state& v, std::uint32_t /*version*/) {
  ar(v.delivered_upto, v.read_upto, v.joined_ms);
}

template <class Archive>
void serialize(Archive& ar, device& v, std::uint32_t /*version*/) {
  ar(string_field{v.platform}, string_field{v.token}, v.registered_ms);
}

template <class Archive>
void serialize(Archive& ar, push_job& v, std::uint32_t /*version*/) {
  ar(string_field{v.user_id}, string_field{v.conv_id}, v.msg_id,
     string_field{v.sender}, string_field{v.preview}, v.created_ms, v.attempts);
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
