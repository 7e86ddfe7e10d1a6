// The gateway's answers, as etcd 3.4.23 sent them on this machine (the
// headers shortened), and ways they can be wrong.
#include "cluster/etcd_json.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace switchboard::cluster;
namespace ej = switchboard::cluster::etcd_json;

namespace {

const std::string header =
    R"("header":{"cluster_id":"324952591200643719","member_id":)"
    R"("3319814642761637952","revision":"6","raft_term":"2"})";

}  // namespace

TEST_CASE("every 64-bit number of an answer is read from its string",
          "[etcd_json]") {
  auto r = ej::parse_lease_grant("{" + header +
                                 R"(,"ID":"9223372036854775807","TTL":"2"})");
  REQUIRE(r);
  CHECK(r->id == 9223372036854775807);
  CHECK(r->ttl == 2);
  CHECK(r->header.cluster_id == 324952591200643719u);
  CHECK(r->header.member_id == 3319814642761637952u);
  CHECK(r->header.revision == 6);
  CHECK(r->header.raft_term == 2);
}

TEST_CASE("a number out of int64's range or not decimal is a bad response",
          "[etcd_json]") {
  for (const char* ttl :
       {R"("9223372036854775808")", R"("")", R"("12a")", R"(" 12")", R"("+12")",
        R"("1e3")", "1.5", "18446744073709551615", "true"}) {
    INFO(ttl);
    auto r =
        ej::parse_lease_grant(std::string(R"({"ID":"7","TTL":)") + ttl + "}");
    REQUIRE_FALSE(r);
    CHECK(r.err().code == errc::bad_response);
    CHECK(r.err().message.find("TTL") != std::string::npos);
  }
  auto as_number = ej::parse_lease_grant(R"({"ID":7,"TTL":3})");
  REQUIRE(as_number);
  CHECK(as_number->ttl == 3);
}

TEST_CASE("a range answer decodes keys and values from base64", "[etcd_json]") {
  auto r = ej::parse_range(
      "{" + header +
      R"(,"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"5",)"
      R"("version":"3","value":"YmFy","lease":"77"}],"count":"1"})");
  REQUIRE(r);
  REQUIRE(r->kvs.size() == 1);
  const auto& kv = r->kvs[0];
  CHECK(kv.key == "foo");
  CHECK(kv.value == "bar");
  CHECK(kv.create_revision == 2);
  CHECK(kv.mod_revision == 5);
  CHECK(kv.version == 3);
  CHECK(kv.lease == 77);
  CHECK(r->count == 1);
  CHECK_FALSE(r->more);
}

TEST_CASE("omitted zero fields read as zero, false or empty", "[etcd_json]") {
  SECTION("an empty range has no kvs and no count") {
    auto r = ej::parse_range("{" + header + "}");
    REQUIRE(r);
    CHECK(r->kvs.empty());
    CHECK(r->count == 0);
  }
  SECTION("a key with an empty value and no lease") {
    auto r = ej::parse_range(
        "{" + header +
        R"(,"kvs":[{"key":"Zm9v","create_revision":"6","mod_revision":"6",)"
        R"("version":"1"}],"count":"1"})");
    REQUIRE(r);
    CHECK(r->kvs[0].value.empty());
    CHECK(r->kvs[0].lease == 0);
  }
  SECTION("a txn whose compare failed has no succeeded") {
    auto r = ej::parse_txn(
        "{" + header +
        R"(,"responses":[{"response_range":{"header":{"revision":"2"},)"
        R"("kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2",)"
        R"("version":"1","value":"YmFy"}],"count":"1"}}]})");
    REQUIRE(r);
    CHECK_FALSE(r->succeeded);
    REQUIRE(r->responses.size() == 1);
    CHECK(r->responses[0].what == txn_op::kind::range);
    CHECK(r->responses[0].kvs.at(0).value == "bar");
  }
  SECTION("an expired lease's keepalive has no TTL: lease_not_found") {
    auto r = ej::parse_lease_keepalive(R"({"result":{)" + header +
                                       R"(,"ID":"12345"}})");
    REQUIRE_FALSE(r);
    CHECK(r.err().code == errc::lease_not_found);
  }
  SECTION("a delete of nothing has no deleted") {
    auto r = ej::parse_delete_range("{" + header + "}");
    REQUIRE(r);
    CHECK(r->deleted == 0);
  }
}

TEST_CASE("a live lease's keepalive gives its TTL", "[etcd_json]") {
  auto r = ej::parse_lease_keepalive(R"({"result":{)" + header +
                                     R"(,"ID":"12345","TTL":"5"}})");
  REQUIRE(r);
  CHECK(r->id == 12345);
  CHECK(r->ttl == 5);
}

TEST_CASE("a succeeded txn lists the answer of each operation", "[etcd_json]") {
  auto r = ej::parse_txn(
      "{" + header +
      R"(,"succeeded":true,"responses":[{"response_put":{"header":)"
      R"({"revision":"3"}}},{"response_delete_range":{"header":{},)"
      R"("deleted":"2"}}]})");
  REQUIRE(r);
  CHECK(r->succeeded);
  REQUIRE(r->responses.size() == 2);
  CHECK(r->responses[0].what == txn_op::kind::put);
  CHECK(r->responses[1].what == txn_op::kind::delete_range);
  CHECK(r->responses[1].deleted == 2);
}

TEST_CASE("watch lines: created, a PUT without type, a DELETE, canceled",
          "[etcd_json]") {
  auto created =
      ej::parse_watch_line(R"({"result":{)" + header + R"(,"created":true}})");
  REQUIRE(created);
  CHECK(created->created);
  CHECK(created->events.empty());

  auto events = ej::parse_watch_line(
      R"({"result":{)" + header +
      R"(,"events":[{"kv":{"key":"Zm9v","create_revision":"2",)"
      R"("mod_revision":"2","version":"1","value":"YmFy"}},)"
      R"({"type":"DELETE","kv":{"key":"Zm9v","mod_revision":"5"}}]}})");
  REQUIRE(events);
  REQUIRE(events->events.size() == 2);
  CHECK(events->events[0].what == watch_event::kind::put);
  CHECK(events->events[0].kv.value == "bar");
  CHECK(events->events[1].what == watch_event::kind::del);
  CHECK(events->events[1].kv.key == "foo");
  CHECK(events->events[1].kv.mod_revision == 5);

  auto canceled = ej::parse_watch_line(
      R"({"result":{"header":{"cluster_id":"1","raft_term":"2"},)"
      R"("canceled":true,"compact_revision":"5"}})");
  REQUIRE(canceled);
  CHECK(canceled->canceled);
  CHECK(canceled->compact_revision == 5);
  CHECK(canceled->header.revision == 0);

  auto failed = ej::parse_watch_line(
      R"({"error":{"grpc_code":14,"http_code":503,"message":"no leader"}})");
  REQUIRE_FALSE(failed);
  CHECK(failed.err().code == errc::server_error);
  CHECK(failed.err().message.find("no leader") != std::string::npos);
}

TEST_CASE("an unknown event type or a line without result is bad",
          "[etcd_json]") {
  CHECK_FALSE(ej::parse_watch_line(
      R"({"result":{"events":[{"type":"MOVE","kv":{"key":"Zm9v"}}]}})"));
  CHECK_FALSE(ej::parse_watch_line(R"({"header":{}})"));
  CHECK_FALSE(ej::parse_watch_line(R"({"result":{"events":{}}})"));
  CHECK_FALSE(ej::parse_watch_line(R"({"result":{"events":[3]}})"));
}

TEST_CASE("malformed answers are bad responses, not crashes", "[etcd_json]") {
  for (const char* body :
       {"", "not json", "[]", "null", "\"text\"", "{", R"({"header":[]})",
        R"({"header":{"revision":{}}})", R"({"kvs":"x"})",
        R"({"kvs":[{"key":"Zm9"}]})", R"({"kvs":[{"key":7}]})",
        R"({"kvs":[{"value":"!!!!"}]})", R"({"more":"yes"})",
        "{\"kvs\":[{\"key\":\"Zm9v\"}]}\x01"}) {
    INFO(body);
    auto r = ej::parse_range(body);
    REQUIRE_FALSE(r);
    CHECK(r.err().code == errc::bad_response);
  }
  CHECK_FALSE(ej::parse_txn(R"({"responses":[{"response_other":{}}]})"));
  CHECK_FALSE(ej::parse_txn(R"({"succeeded":1})"));
  CHECK_FALSE(ej::parse_lease_grant(R"({"ID":"0","TTL":"5"})"));
  CHECK_FALSE(ej::parse_lease_keepalive(R"({"result":[]})"));
}

TEST_CASE(
    "an error answer names etcd's message, a missing lease is its own "
    "error",
    "[etcd_json]") {
  auto lease = ej::parse_error(
      404, R"({"error":"etcdserver: requested lease not found","message":)"
           R"("etcdserver: requested lease not found","code":5})");
  CHECK(lease.code == errc::lease_not_found);
  auto bad = ej::parse_error(
      400, R"({"error":"illegal base64 data at input byte 0","message":)"
           R"("illegal base64 data at input byte 0","code":3})");
  CHECK(bad.code == errc::server_error);
  CHECK(bad.message.find("illegal base64") != std::string::npos);
  CHECK(bad.message.find("HTTP 400") != std::string::npos);
  auto text = ej::parse_error(404, "Not Found\n");
  CHECK(text.code == errc::server_error);
  CHECK(text.message.find("Not Found") != std::string::npos);
}
