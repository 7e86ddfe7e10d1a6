// Writes the seed corpus of every fuzz target (fuzz/corpus/<target>/):
// frames of every request type of docs/PROTOCOL.md, tokens, HTTP requests,
// etcd's gateway answers, and records and keys made by the project's own
// encoders, so that the seeds follow the formats when they change. Not
// built by default:
//   ninja -C build/fuzz make_seeds && build/fuzz/make_seeds fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"
#include "fuzz/jwt_secret.hpp"
#include "storage/keys.hpp"
#include "storage/message_record.hpp"
#include "storage/records.hpp"

namespace {

namespace fs = std::filesystem;
namespace storage = switchboard::storage;
namespace keys = switchboard::storage::keys;
namespace auth = switchboard::auth;

class seed_writer {
 public:
  explicit seed_writer(fs::path root) : root_(std::move(root)) {}

  void operator()(const std::string& target, const std::string& name,
                  std::string_view bytes) const {
    fs::create_directories(root_ / target);
    std::ofstream out(root_ / target / name, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

 private:
  fs::path root_;
};

void frames(const seed_writer& seed) {
  auto frame = [&](const std::string& name, std::string_view json) {
    seed("frame", name + ".json", json);
  };
  frame("ping", R"({"type":"ping","rid":"r1"})");
  frame("create_direct",
        R"({"type":"create","rid":"r2","kind":"direct","members":["bob"]})");
  frame(
      "create_group",
      R"({"type":"create","kind":"group","members":["bob","carol","bob"],"title":"Friends"})");
  frame(
      "send",
      R"({"type":"send","rid":"r3","conv_id":"c1","client_msg_id":"m1","body":"hi \u00e9"})");
  frame("ack", R"({"type":"ack","conv_id":"c1","msg_id":7})");
  frame("read",
        R"({"type":"read","conv_id":"c1","msg_id":18446744073709551615})");
  frame("sync_after",
        R"({"type":"sync","conv_id":"c1","after":3,"limit":200})");
  frame("sync_before", R"({"type":"sync","conv_id":"c1","before":10})");
  frame("conversations", R"({"type":"conversations"})");
  frame(
      "members",
      R"({"type":"members","conv_id":"c1","add":["dave"],"remove":["alice"]})");
  frame("typing", R"({"type":"typing","conv_id":"c1"})");
  frame("presence",
        R"({"type":"presence","user_ids":["bob","carol"],"subscribe":true})");
  frame("unknown_type", R"({"type":"dance","rid":7})");
  frame("sync_both",
        R"({"type":"sync","conv_id":"c1","after":1,"before":2,"limit":0})");
  frame("not_an_object", R"([{"type":"ping"}])");
}

void tokens(const seed_writer& seed) {
  const auth::hs256_key key(switchboard::fuzz::jwt_secret);
  auto now = switchboard::fuzz::jwt_now_s;
  // Mode 0 (first byte even): a token as a client sends it.
  auto token = [&](const std::string& name, const std::string& t) {
    seed("jwt", name, std::string(1, '\0') + t);
  };
  auto valid = auth::sign_token(key, {"alice", now + 3600});
  token("valid", valid);
  token("expired", auth::sign_token(key, {"alice", now - 1}));
  token("other_key", auth::sign_token("another secret", {"alice", now + 1}));
  token("bad_signature", valid.substr(0, valid.size() - 2) + "AA");
  token("alg_none",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6OTk5OTk5OTk5OX0.");
  token("padded", valid + "==");
  // Mode 1 (first byte odd): header and payload that the harness signs.
  auto claims = [&](const std::string& name, std::string_view payload) {
    seed("jwt", name,
         std::string("\x01{\"alg\":\"HS256\",\"typ\":\"JWT\"}\n") +
             std::string(payload));
  };
  claims("signed_valid", R"({"sub":"alice","exp":2000000000})");
  claims("signed_exp_double", R"({"sub":"bob","exp":2.5e9})");
  claims("signed_no_exp", R"({"sub":"alice"})");
  claims("signed_bad_sub", R"({"sub":"a b","exp":2000000000})");
  // Once undefined behaviour (auth/jwt.cpp, clamped_seconds).
  claims("signed_exp_huge", R"({"sub":"alice","exp":1e30})");
  seed("jwt", "signed_alg_none",
       "\x01{\"alg\":\"none\"}\n{\"sub\":\"alice\",\"exp\":2000000000}");
}

void http_requests(const seed_writer& seed) {
  // The first byte is the size of each read minus one.
  auto request = [&](const std::string& name, char read_size,
                     std::string_view bytes) {
    seed("http_request", name + ".http",
         std::string(1, read_size) + std::string(bytes));
  };
  const char whole = '\xff';
  request("get_conversations", whole,
          "GET /v1/conversations HTTP/1.1\r\nHost: localhost\r\n"
          "Authorization: Bearer abc.def.ghi\r\n\r\n");
  request("post_message", whole,
          "POST /v1/conversations/c%201/messages HTTP/1.1\r\nHost: h\r\n"
          "Content-Type: application/json\r\nContent-Length: 34\r\n\r\n"
          R"({"client_msg_id":"m1","body":"hi"})");
  request("history", '\x07',
          "GET /v1/conversations/c1/messages?after=3&limit=10 HTTP/1.1\r\n"
          "Host: h\r\n\r\n");
  request("presence_chunked", '\x03',
          "GET /v1/presence?user_ids=bob,carol&x HTTP/1.1\r\nHost: h\r\n"
          "Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n");
  request("pipelined", whole,
          "DELETE /v1/devices/tok%2Fen HTTP/1.1\r\nHost: h\r\n\r\n"
          "POST /v1/devices HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"
          "PUT /v1/conversations/c1/read HTTP/1.1\r\nHost: h\r\n"
          "Connection: close\r\n\r\n");
  request(
      "websocket_upgrade", whole,
      "GET /v1/ws?token=abc HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n");
  request("http10_head", '\x00', "HEAD /healthz HTTP/1.0\r\n\r\n");
  // Over Beast's 8 KiB header limit, which http_session keeps. Also raises
  // libFuzzer's default -max_len (4096, or the largest seed) past it.
  request("header_over_limit", whole,
          "GET /v1/presence?user_ids=bob HTTP/1.1\r\nHost: h\r\nCookie: " +
              std::string(8200, 'a') + "\r\n\r\n");
  // Byte by byte, an empty chunked body trips a wrong assertion of Boost 1.81
  // (see http_request_fuzz.cpp).
  request("chunked_bytewise", '\x00',
          "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
}

void records(const seed_writer& seed) {
  // The first byte picks the kind: 0 conversation, 1 member, 2 device,
  // 3 push job.
  auto record = [&](const std::string& name, char kind,
                    const std::string& bytes) {
    seed("records", name + ".bin", std::string(1, kind) + bytes);
  };
  record("conversation_group", 0,
         storage::encode(storage::conversation_meta{"group", "Friends", "alice",
                                                    1'700'000'000'000}));
  record("conversation_direct", 0,
         storage::encode(storage::conversation_meta{"direct", "", "bob", -1}));
  // Once a terabyte allocation (storage/records.cpp, string_field): the
  // length of "group" made 2^40 + 5.
  auto huge = storage::encode(storage::conversation_meta{"group", "", "", 0});
  huge[10] = '\x01';
  record("conversation_huge_length", 0, huge);
  record("member", 1, storage::encode(storage::member_state{7, 5, 99}));
  record("device", 2,
         storage::encode(storage::device{"webpush", "https://push/x", 3}));
  record("push_job", 3,
         storage::encode(
             storage::push_job{"bob", "c1", 4, "alice", "hello there", 8, 2}));
}

void message_records(const seed_writer& seed) {
  auto message = [&](const std::string& name, const storage::message& m) {
    seed("message_record", name + ".bin", storage::encode_message(m));
  };
  message("short", {1, "alice", "hi", 1'700'000'000'000, "m1"});
  message("negative_ts", {2, "bob", "before the epoch", -5, ""});
  message("long_body", {3, "carol", std::string(300, 'x'), 0, "m3"});
}

void record_keys(const seed_writer& seed) {
  using storage::column_family;
  // Byte 0 is the column family's tag (keys_fuzz.cpp).
  auto key = [&](const std::string& name, column_family cf,
                 const std::string& bytes) {
    seed("keys", name + ".bin",
         std::string(1, static_cast<char>(storage::tag_of(cf))) + bytes);
  };
  const std::string nul("a\0\xff", 3);
  key("message", column_family::messages, keys::message_key(219, "c1", 1));
  key("message_max", column_family::messages,
      keys::message_key(0xffff, std::string(255, 'c'), UINT64_MAX));
  key("message_nul", column_family::messages, keys::message_key(1, nul, 7));
  key("conversation", column_family::conversations, keys::key(219, "c1"));
  key("member", column_family::members, keys::key(219, "c1", "alice"));
  key("dedup", column_family::idempotency, keys::key(219, "c1", "alice", "m1"));
  key("inbox_nul", column_family::inbox, keys::key(175, "alice", nul));
  key("user", column_family::last_seen, keys::key(175, "alice"));
  key("push", column_family::push_outbox, keys::seq_key(218, 41));
  // Format 1, as the migration reads it (storage/legacy_keys.hpp).
  key("v1_message", column_family::messages,
      std::string("\x02"
                  "c1"
                  "\0\0\0\0\0\0\0\x01",
                  11));
  key("v1_dedup", column_family::idempotency,
      std::string("\x02"
                  "c1"
                  "\x05"
                  "alice"
                  "\x02"
                  "m1"));
  key("v1_push", column_family::push_outbox,
      std::string("\0\0\0\0\0\0\0\x29", 8));
}

// Answers of etcd 3.4.23's gateway as recorded here, each
// after the byte that picks its parser in etcd_json_fuzz.cpp.
void etcd_answers(const seed_writer& seed) {
  auto answer = [&](const std::string& name, char mode, std::string_view a) {
    seed("etcd_json", name + ".json", std::string(1, mode) + std::string(a));
  };
  const std::string h =
      R"("header":{"cluster_id":"324952591200643719","member_id":)"
      R"("3319814642761637952","revision":"6","raft_term":"2"})";
  answer("grant", 0, "{" + h + R"(,"ID":"2324035739468170246","TTL":"2"})");
  answer("keepalive", 1,
         R"({"result":{)" + h + R"(,"ID":"2324035739468170246","TTL":"2"}})");
  answer("keepalive_expired", 1, R"({"result":{)" + h + R"(,"ID":"12345"}})");
  answer("put", 2, "{" + h + "}");
  answer("range", 3,
         "{" + h +
             R"(,"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":)"
             R"("2","version":"1","value":"YmFy","lease":"7"}],"count":"1"})");
  answer("range_empty_value", 3,
         "{" + h +
             R"(,"kvs":[{"key":"Zm9v","create_revision":"6","mod_revision":)"
             R"("6","version":"1"}],"count":"1","more":true})");
  answer("delete", 4, "{" + h + R"(,"deleted":"1","prev_kvs":[]})");
  answer("txn_failed", 5,
         "{" + h +
             R"(,"responses":[{"response_range":{"header":{"revision":"2"},)"
             R"("kvs":[{"key":"Zm9v","mod_revision":"2","value":"YmFy"}],)"
             R"("count":"1"}}]})");
  answer(
      "txn_succeeded", 5,
      "{" + h +
          R"(,"succeeded":true,"responses":[{"response_put":{"header":)"
          R"({"revision":"3"}}},{"response_delete_range":{"deleted":"1"}}]})");
  answer("watch_created", 6, R"({"result":{)" + h + R"(,"created":true}})");
  answer("watch_events", 6,
         R"({"result":{)" + h +
             R"(,"events":[{"kv":{"key":"Zm9v","create_revision":"2",)"
             R"("mod_revision":"2","version":"1","value":"YmFy"}},)"
             R"({"type":"DELETE","kv":{"key":"Zm9v","mod_revision":"5"}}]}})");
  answer("watch_compacted", 6,
         R"({"result":{"header":{"raft_term":"2"},"canceled":true,)"
         R"("compact_revision":"5"}})");
  answer("watch_error", 6,
         R"({"error":{"grpc_code":14,"http_code":503,"message":"no leader"}})");
  answer("error_lease", 7,
         R"({"error":"etcdserver: requested lease not found","message":)"
         R"("etcdserver: requested lease not found","code":5})");
  answer("base64", 8, "Zm9vYmE=");
  answer("prefix", 9, "sb/nodes/\xff");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  seed_writer seed{fs::path(argv[1])};
  frames(seed);
  tokens(seed);
  http_requests(seed);
  records(seed);
  message_records(seed);
  record_keys(seed);
  etcd_answers(seed);
  return 0;
}
