#include <catch2/catch.hpp>

#include "cluster/etcd_client.hpp"
#include "tests/cluster/etcd_fixture.hpp"

using namespace switchboard::cluster;
using switchboard::testing::etcd_fixture;
using switchboard::testing::watch_log;

TEST_CASE_METHOD(etcd_fixture,
                 "a key under a kept-alive lease stays until the revoke",
                 "[etcd_lease]") {
  auto lease = client.lease_grant(2);
  REQUIRE(lease);
  CHECK(lease->ttl == 2);
  REQUIRE(client.put("sb/nodes/a", "addr", lease->id));
  auto kept = client.lease_keepalive(lease->id);
  REQUIRE(kept);
  CHECK(kept->id == lease->id);
  CHECK(kept->ttl == 2);
  CHECK(client.range("sb/nodes/a")->kvs.at(0).lease == lease->id);

  REQUIRE(client.lease_revoke(lease->id));
  CHECK(client.range("sb/nodes/a")->kvs.empty());
  auto again = client.lease_revoke(lease->id);
  REQUIRE_FALSE(again);
  CHECK(again.err().code == errc::lease_not_found);
}

TEST_CASE_METHOD(etcd_fixture,
                 "a key under a lease not kept alive disappears after its TTL",
                 "[etcd_lease]") {
  auto lease = client.lease_grant(1);  // etcd grants its minimum, 2 s
  REQUIRE(lease);
  CHECK(lease->ttl >= 2);
  auto put = client.put("sb/nodes/b", "addr", lease->id);
  REQUIRE(put);
  watch_log log;
  auto w =
      client.watch("sb/nodes/b", "", put->header.revision + 1, log.callback());
  REQUIRE(w);
  // The expiry deletes the key: wait for that event, not for a time.
  REQUIRE(log.wait_events(1, std::chrono::seconds(15)));
  CHECK(log.events()[0].what == watch_event::kind::del);
  CHECK(client.range("sb/nodes/b")->kvs.empty());
  auto late = client.lease_keepalive(lease->id);
  REQUIRE_FALSE(late);
  CHECK(late.err().code == errc::lease_not_found);
}

TEST_CASE_METHOD(etcd_fixture, "a put under a lease that does not exist fails",
                 "[etcd_lease]") {
  auto r = client.put("k", "v", 424242);
  REQUIRE_FALSE(r);
  CHECK(r.err().code == errc::lease_not_found);
  auto bad = client.lease_grant(0);
  REQUIRE_FALSE(bad);
  CHECK(bad.err().code == errc::invalid_argument);
}
