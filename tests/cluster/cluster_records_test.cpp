// The values the coordinator stores in etcd (node_record, shard_record,
// cluster_meta) and the names of its keys.
#include <catch2/catch.hpp>
#include <limits>

#include "cluster/cluster_keys.hpp"
#include "cluster/cluster_meta.hpp"
#include "cluster/node_record.hpp"
#include "cluster/shard_record.hpp"

using namespace switchboard::cluster;

TEST_CASE("a node record round-trips, its int64 fields exactly",
          "[cluster_records]") {
  node_record n;
  n.id = "node-a";
  n.cluster_addr = "10.0.0.1:7071";
  n.client_addr = "10.0.0.1:7070";
  n.admin_addr = "127.0.0.1:7072";
  n.incarnation = std::numeric_limits<std::int64_t>::max();  // above 2^53
  n.version = "0.3.0 \"dev\"";
  n.started_ms = 1764590000123;
  auto back = decode_node(encode_node(n));
  REQUIRE(back);
  CHECK(back->id == n.id);
  CHECK(back->cluster_addr == n.cluster_addr);
  CHECK(back->client_addr == n.client_addr);
  CHECK(back->admin_addr == n.admin_addr);
  CHECK(back->incarnation == n.incarnation);
  CHECK(back->version == n.version);
  CHECK(back->started_ms == n.started_ms);

  n.incarnation = 7587869434236475654;  // a lease id etcd handed out
  CHECK(decode_node(encode_node(n))->incarnation == 7587869434236475654);
}

TEST_CASE("a shard record round-trips owned and moving", "[cluster_records]") {
  shard_record s;
  s.owner = "a";
  s.epoch = std::numeric_limits<std::int64_t>::max();
  s.mod_revision = 99;  // not stored
  auto owned = decode_shard(encode_shard(s));
  REQUIRE(owned);
  CHECK(owned->owner == "a");
  CHECK(owned->epoch == s.epoch);
  CHECK(owned->state == shard_record::state_kind::owned);
  CHECK(owned->target.empty());
  CHECK(owned->mod_revision == 0);

  s.state = shard_record::state_kind::moving;
  s.target = "b";
  auto moving = decode_shard(encode_shard(s));
  REQUIRE(moving);
  CHECK(moving->state == shard_record::state_kind::moving);
  CHECK(moving->target == "b");
  CHECK(encode_shard(s).find("\"state\":\"moving\"") != std::string::npos);
}

TEST_CASE("cluster meta round-trips", "[cluster_records]") {
  cluster_meta m;
  m.shards = 65536;
  m.created_ms = 1764590000123;
  m.version = "0.3.0";
  auto back = decode_meta(encode_meta(m));
  REQUIRE(back);
  CHECK(back->shards == 65536);
  CHECK(back->format == cluster_meta::current_format);
  CHECK(back->created_ms == m.created_ms);
  CHECK(back->version == "0.3.0");
}

TEST_CASE("numbers written as strings of digits are read too",
          "[cluster_records]") {
  auto n = decode_node(R"({"id":"a","incarnation":"9223372036854775807"})");
  REQUIRE(n);
  CHECK(n->incarnation == std::numeric_limits<std::int64_t>::max());
  auto s = decode_shard(R"({"owner":"a","epoch":"3","state":"owned"})");
  REQUIRE(s);
  CHECK(s->epoch == 3);
}

TEST_CASE("a malformed record is an error naming the field, not a crash",
          "[cluster_records]") {
  for (const char* bad : {"", "not json", "[1]", "{\"id\":", "{}",
                          R"({"id":7})", R"({"id":"a","incarnation":1.5})",
                          R"({"id":"a","started_ms":"12x"})"}) {
    auto r = decode_node(bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.err().code == errc::bad_response);
    CHECK(r.err().message.rfind("node record: ", 0) == 0);
  }
  for (const char* bad :
       {"", R"({"epoch":1,"state":"owned"})",
        R"({"owner":"a","epoch":0,"state":"owned"})",
        R"({"owner":"a","epoch":1,"state":"gone"})",
        R"({"owner":"a","epoch":1,"state":"moving"})",
        R"({"owner":"a","epoch":"x","state":"owned"})",
        R"({"owner":"a","epoch":99999999999999999999,"state":"owned"})"}) {
    auto r = decode_shard(bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.err().code == errc::bad_response);
  }
  for (const char* bad : {"", R"({"shards":0})", R"({"shards":65537})",
                          R"({"shards":-1})", R"({"shards":"16x"})"}) {
    auto r = decode_meta(bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.err().code == errc::bad_response);
  }
  auto missing = decode_node(R"({"cluster_addr":"h:1"})");
  REQUIRE_FALSE(missing);
  CHECK(missing.err().message == "node record: id: missing");
}

TEST_CASE("cluster keys name and parse nodes and shards", "[cluster_records]") {
  cluster_keys k("sb");
  CHECK(k.meta() == "/sb/meta");
  CHECK(k.node("a") == "/sb/nodes/a");
  CHECK(k.shard(17) == "/sb/shards/17");
  CHECK(k.node_id("/sb/nodes/a") == "a");
  CHECK_FALSE(k.node_id("/sb/nodes/"));
  CHECK_FALSE(k.node_id("/sbx/nodes/a"));
  CHECK(k.shard_number("/sb/shards/17") == 17u);
  CHECK(k.shard_number("/sb/shards/0") == 0u);
  CHECK_FALSE(k.shard_number("/sb/shards/017"));
  CHECK_FALSE(k.shard_number("/sb/shards/1a"));
  CHECK_FALSE(k.shard_number("/sb/shards/-1"));
  CHECK_FALSE(k.shard_number("/sb/meta"));
}
