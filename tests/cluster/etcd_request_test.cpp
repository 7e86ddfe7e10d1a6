#include "cluster/etcd_request.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::cluster;
namespace er = switchboard::cluster::etcd_request;

TEST_CASE("requests carry base64 keys and numbers as strings",
          "[etcd_request]") {
  CHECK(er::lease_grant(5) == R"({"TTL":"5"})");
  CHECK(er::lease_id(7587862340939213067) == R"({"ID":"7587862340939213067"})");
  CHECK(er::put("foo", "bar", 0) == R"({"key":"Zm9v","value":"YmFy"})");
  CHECK(er::put("foo", "", 12) == R"({"key":"Zm9v","value":"","lease":"12"})");
  CHECK(er::range("foo", "") == R"({"key":"Zm9v"})");
  CHECK(er::range("a/", "a0") == R"({"key":"YS8=","range_end":"YTA="})");
  CHECK(er::watch_create("a/", "a0", 9) ==
        R"({"create_request":{"key":"YS8=","range_end":"YTA=",)"
        R"("start_revision":"9"}})");
  CHECK(er::watch_create("a", "", 0) == R"({"create_request":{"key":"YQ=="}})");
}

TEST_CASE("a create-if-absent txn sends its zero create_revision",
          "[etcd_request]") {
  auto body = er::txn({compare::create_revision("k", compare::op::equal, 0)},
                      {txn_op::put("k", "v", 3)}, {txn_op::range("k")});
  CHECK(body ==
        R"({"compare":[{"target":"CREATE","result":"EQUAL","key":"aw==",)"
        R"("create_revision":"0"}],"success":[{"request_put":{"key":"aw==",)"
        R"("value":"dg==","lease":"3"}}],"failure":[{"request_range":)"
        R"({"key":"aw=="}}]})");
}

TEST_CASE("each compare target writes its own field", "[etcd_request]") {
  auto body = er::txn({compare::mod_revision("k", compare::op::less, 4),
                       compare::version("k", compare::op::greater, 1),
                       compare::value_is("k", compare::op::not_equal, "x")},
                      {txn_op::delete_range("a", "b")}, {});
  CHECK(body ==
        R"({"compare":[{"target":"MOD","result":"LESS","key":"aw==",)"
        R"("mod_revision":"4"},{"target":"VERSION","result":"GREATER",)"
        R"("key":"aw==","version":"1"},{"target":"VALUE","result":)"
        R"("NOT_EQUAL","key":"aw==","value":"eA=="}],"success":)"
        R"([{"request_delete_range":{"key":"YQ==","range_end":"Yg=="}}],)"
        R"("failure":[]})");
}
