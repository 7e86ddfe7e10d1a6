#pragma once

#include <cstdint>
#include <string>
#include <vector>

// The values of etcd v3's KV, lease and watch APIs, as the client hands them
// out: keys and values as raw bytes (the gateway's base64 is undone), every
// number as int64, and a field the gateway omitted (its zero value) as 0,
// false or empty. Plain data; no behaviour beyond the factories.
namespace switchboard::cluster {

// The header of every answer. `revision` is the store's revision when the
// request was served (0 where etcd leaves it out, as on a canceled watch).
struct response_header {
  std::uint64_t cluster_id = 0;
  std::uint64_t member_id = 0;
  std::int64_t revision = 0;
  std::uint64_t raft_term = 0;
};

// One key with its metadata. `lease` is 0 when the key has none. A deleted
// key seen by a watch has only `key` and `mod_revision` (the deletion's).
struct key_value {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t version = 0;
  std::int64_t lease = 0;
};

struct lease_grant_result {
  response_header header;
  std::int64_t id = 0;
  std::int64_t ttl = 0;  // seconds granted; etcd raises small TTLs (to 2 s)
};

struct lease_keepalive_result {
  response_header header;
  std::int64_t id = 0;
  std::int64_t ttl = 0;  // seconds left after the refresh; > 0
};

struct put_result {
  response_header header;
};

struct range_result {
  response_header header;
  std::vector<key_value> kvs;  // in key order
  std::int64_t count = 0;      // keys in the range (may exceed kvs.size())
  bool more = false;           // a limit cut the answer short
};

struct delete_result {
  response_header header;
  std::int64_t deleted = 0;
};

// A condition of a txn on one key. A key that does not exist has
// create_revision, mod_revision and version 0 and an empty value, so
// `create_revision(k, equal, 0)` means "k is absent".
struct compare {
  enum class target { create_revision, mod_revision, value, version };
  enum class op { equal, not_equal, greater, less };

  std::string key;
  target what = target::create_revision;
  op relation = op::equal;
  std::int64_t number = 0;  // for the revisions and the version
  std::string value;        // for target::value

  static compare create_revision(std::string key, op relation, std::int64_t n);
  static compare mod_revision(std::string key, op relation, std::int64_t n);
  static compare version(std::string key, op relation, std::int64_t n);
  static compare value_is(std::string key, op relation, std::string value);
};

// One operation of a txn's success or failure branch.
struct txn_op {
  enum class kind { put, range, delete_range };

  kind what = kind::put;
  std::string key;
  std::string value;       // put only
  std::string range_end;   // range and delete_range; empty: the key alone
  std::int64_t lease = 0;  // put only; 0: no lease

  static txn_op put(std::string key, std::string value, std::int64_t lease = 0);
  static txn_op range(std::string key, std::string range_end = {});
  static txn_op delete_range(std::string key, std::string range_end = {});
};

// The answer to one txn_op, in the order of the branch that ran.
struct txn_op_result {
  txn_op::kind what = txn_op::kind::put;
  std::vector<key_value> kvs;  // range only
  std::int64_t count = 0;      // range only
  std::int64_t deleted = 0;    // delete_range only
};

struct txn_result {
  response_header header;
  bool succeeded = false;  // every compare held, so the success branch ran
  std::vector<txn_op_result> responses;
};

struct watch_event {
  enum class kind { put, del };
  kind what = kind::put;
  key_value kv;
};

// One line of a watch stream.
struct watch_response {
  response_header header;
  std::int64_t watch_id = 0;
  bool created = false;
  bool canceled = false;
  std::int64_t compact_revision = 0;  // set when canceled by a compaction
  std::string cancel_reason;
  std::vector<watch_event> events;  // in revision order
};

}  // namespace switchboard::cluster
