// The client against a real etcd started by the test (tests/support/
// etcd_process.hpp).
#include "cluster/etcd_client.hpp"

#include <catch2/catch.hpp>

#include "tests/cluster/etcd_fixture.hpp"

using namespace switchboard::cluster;
using switchboard::testing::etcd_fixture;

TEST_CASE_METHOD(etcd_fixture, "a put is read back with its revisions",
                 "[etcd_client]") {
  auto put = client.put("sb/meta", std::string("\x00\xff shards", 9));
  REQUIRE(put);
  auto got = client.range("sb/meta");
  REQUIRE(got);
  REQUIRE(got->kvs.size() == 1);
  CHECK(got->kvs[0].value == std::string("\x00\xff shards", 9));
  CHECK(got->kvs[0].create_revision == put->header.revision);
  CHECK(got->kvs[0].mod_revision == put->header.revision);
  CHECK(got->kvs[0].version == 1);
  CHECK(got->count == 1);
  auto none = client.range("sb/absent");
  REQUIRE(none);
  CHECK(none->kvs.empty());
  CHECK(none->count == 0);
}

TEST_CASE_METHOD(etcd_fixture,
                 "a prefix range returns the keys under it in key order",
                 "[etcd_client]") {
  for (const char* k :
       {"sb/nodes/b", "sb/nodes/a", "sb/nodes0", "sb/node", "sb/nodes/c"})
    REQUIRE(client.put(k, k));
  auto got = client.range_prefix("sb/nodes/");
  REQUIRE(got);
  REQUIRE(got->kvs.size() == 3);
  CHECK(got->kvs[0].key == "sb/nodes/a");
  CHECK(got->kvs[1].key == "sb/nodes/b");
  CHECK(got->kvs[2].key == "sb/nodes/c");

  auto deleted = client.delete_prefix("sb/nodes/");
  REQUIRE(deleted);
  CHECK(deleted->deleted == 3);
  auto rest = client.range_prefix("sb/");
  REQUIRE(rest);
  CHECK(rest->kvs.size() == 2);
}

TEST_CASE_METHOD(etcd_fixture,
                 "a create-if-absent txn succeeds once and the second fails",
                 "[etcd_client]") {
  auto create = [&](const std::string& owner) {
    return client.txn(
        {compare::create_revision("sb/shards/7", compare::op::equal, 0)},
        {txn_op::put("sb/shards/7", owner)}, {txn_op::range("sb/shards/7")});
  };
  auto first = create("node-a");
  REQUIRE(first);
  CHECK(first->succeeded);
  REQUIRE(first->responses.size() == 1);
  CHECK(first->responses[0].what == txn_op::kind::put);

  auto second = create("node-b");
  REQUIRE(second);
  CHECK_FALSE(second->succeeded);
  REQUIRE(second->responses.size() == 1);
  CHECK(second->responses[0].what == txn_op::kind::range);
  REQUIRE(second->responses[0].kvs.size() == 1);
  CHECK(second->responses[0].kvs[0].value == "node-a");
}

TEST_CASE_METHOD(etcd_fixture,
                 "a txn on mod_revision fails once the key has changed",
                 "[etcd_client]") {
  REQUIRE(client.put("sb/shards/1", "epoch 1"));
  auto read = client.range("sb/shards/1");
  REQUIRE(read);
  auto rev = read->kvs.at(0).mod_revision;
  auto move = [&](const std::string& value) {
    return client.txn(
        {compare::mod_revision("sb/shards/1", compare::op::equal, rev)},
        {txn_op::put("sb/shards/1", value)});
  };
  auto won = move("epoch 2");
  REQUIRE(won);
  CHECK(won->succeeded);
  auto lost = move("epoch 2 again");  // read before the first move
  REQUIRE(lost);
  CHECK_FALSE(lost->succeeded);
  CHECK(lost->responses.empty());
  CHECK(client.range("sb/shards/1")->kvs.at(0).value == "epoch 2");
}

TEST_CASE_METHOD(etcd_fixture, "value and version compares", "[etcd_client]") {
  REQUIRE(client.put("k", "v1"));
  REQUIRE(client.put("k", "v2"));
  auto t = client.txn({compare::value_is("k", compare::op::equal, "v2"),
                       compare::version("k", compare::op::equal, 2)},
                      {txn_op::delete_range("k")});
  REQUIRE(t);
  CHECK(t->succeeded);
  CHECK(t->responses.at(0).deleted == 1);
  auto f = client.txn({compare::version("k", compare::op::greater, 0)}, {});
  REQUIRE(f);
  CHECK_FALSE(f->succeeded);
}

TEST_CASE_METHOD(etcd_fixture, "an empty key is refused before sending",
                 "[etcd_client]") {
  auto r = client.put("", "v");
  REQUIRE_FALSE(r);
  CHECK(r.err().code == errc::invalid_argument);
  CHECK(client.txn({}, {txn_op::put("", "v")}).err().code ==
        errc::invalid_argument);
}
