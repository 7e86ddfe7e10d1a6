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

TEST_CASE("a shard record round-trips its replicas and isr in order",
          "[cluster_records]") {
  shard_record s;
  s.owner = "b";
  s.replicas = {"b", "a", "c"};
  s.isr = {"b", "c"};
  auto text = encode_shard(s);
  CHECK(text.find(R"("replicas":["b","a","c"])") != std::string::npos);
  CHECK(text.find(R"("isr":["b","c"])") != std::string::npos);
  auto back = decode_shard(text);
  REQUIRE(back);
  CHECK(back->replicas == std::vector<std::string>{"b", "a", "c"});
  CHECK(back->isr == std::vector<std::string>{"b", "c"});
  CHECK(in_isr(*back, "c"));
  CHECK_FALSE(in_isr(*back, "a"));
  CHECK(is_replica(*back, "a"));
  CHECK_FALSE(is_replica(*back, "d"));
}

TEST_CASE("a shard record from before replication has the owner as its copy",
          "[cluster_records]") {
  auto old = decode_shard(R"({"owner":"a","epoch":2,"state":"owned"})");
  REQUIRE(old);
  CHECK(old->replicas == std::vector<std::string>{"a"});
  CHECK(old->isr == std::vector<std::string>{"a"});
  shard_record bare;  // made in code without replicas
  bare.owner = "z";
  CHECK(encode_shard(bare).find(R"("replicas":["z"],"isr":["z"])") !=
        std::string::npos);
  CHECK(decode_shard(encode_shard(bare))->isr == std::vector<std::string>{"z"});
}

TEST_CASE("replicas and isr that break the rules are errors naming the field",
          "[cluster_records]") {
  const std::pair<const char*, const char*> bad[] = {
      {R"("replicas":["a","b"],"isr":["b"])", "isr: does not hold the owner a"},
      {R"("replicas":["a"],"isr":["a","b"])", "isr: node b is not a replica"},
      {R"("replicas":["a","b","a"],"isr":["a"])", "replicas: node a twice"},
      {R"("replicas":["a","b"],"isr":["a","a"])", "isr: node a twice"},
      {R"("replicas":["a",""],"isr":["a"])", "replicas: an empty node id"},
      {R"("replicas":["a","b","c","d","e","f"],"isr":["a"])",
       "replicas: more than 5"},
      {R"("replicas":["a"])", "isr: missing while replicas is present"},
      {R"("isr":["a"])", "replicas: missing while isr is present"},
      {R"("replicas":["a",1],"isr":["a"])",
       "replicas: an element is not a string"},
      {R"("replicas":"a","isr":["a"])", "replicas: not an array"},
  };
  for (auto& [fields, message] : bad) {
    auto text = std::string(R"({"owner":"a","epoch":1,"state":"owned",)") +
                fields + "}";
    INFO(text);
    auto r = decode_shard(text);
    REQUIRE_FALSE(r);
    CHECK(r.err().code == errc::bad_response);
    CHECK(r.err().message == std::string("shard record: ") + message);
  }
  auto five =
      decode_shard(R"({"owner":"a","epoch":1,"state":"owned",)"
                   R"("replicas":["a","b","c","d","e"],"isr":["a","e"]})");
  CHECK(five);
}

TEST_CASE("cluster meta keeps replicas and min_insync, one copy when absent",
          "[cluster_records]") {
  cluster_meta m;
  m.shards = 16;
  m.replicas = 5;
  m.min_insync = 3;
  auto back = decode_meta(encode_meta(m));
  REQUIRE(back);
  CHECK(back->replicas == 5);
  CHECK(back->min_insync == 3);
  CHECK(back->format == 2);
  auto old = decode_meta(R"({"shards":16,"format":2})");
  REQUIRE(old);
  CHECK(old->replicas == 1);
  CHECK(old->min_insync == 1);
  for (const char* bad :
       {R"({"shards":16,"replicas":0})", R"({"shards":16,"replicas":6})",
        R"({"shards":16,"replicas":3,"min_insync":0})",
        R"({"shards":16,"replicas":3,"min_insync":4})",
        R"({"shards":16,"min_insync":2})", R"({"shards":16,"replicas":"x"})"}) {
    auto r = decode_meta(bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.err().code == errc::bad_response);
  }
}
