#include "push/gateway_provider.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "push/backoff.hpp"
#include "tests/push/send_one.hpp"
#include "tests/support/fake_http_server.hpp"

// The Matrix push gateway provider against a local gateway: the body the
// specification asks for, `rejected` pushkeys, and the answers that retry.
using namespace switchboard::push;
using switchboard::testing::fake_http_server;
namespace json = boost::json;
using namespace std::chrono_literals;
using switchboard::testing::send_one;

namespace {

const target phone{"gateway", "pk-1", 1700000000123};

notification message() { return switchboard::testing::alice_to_bob(42, 3); }

}  // namespace

TEST_CASE(
    "a gateway push carries the ids, the badge and the pushkey, and no "
    "body unless a preview is asked for",
    "[push][gateway]") {
  fake_http_server gw([](const fake_http_server::request&) {
    return fake_http_server::response{200, {}, R"({"rejected":[]})"};
  });
  auto http = std::make_shared<http_client>();
  gateway_provider g(http, gw.url() + "/", "org.example.chat");
  auto o = send_one(g, phone, message());
  CHECK(o.what == outcome::kind::sent);
  auto reqs = gw.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].target == "/_matrix/push/v1/notify");
  CHECK(reqs[0].headers.at("content-type") == "application/json");
  auto n = json::parse(reqs[0].body).at("notification").as_object();
  CHECK(n.at("event_id") == "c-1:42");
  CHECK(n.at("room_id") == "c-1");
  CHECK(n.at("sender") == "alice");
  CHECK(n.at("prio") == "high");
  CHECK(n.at("counts").at("unread") == 3);
  CHECK_FALSE(n.contains("content"));
  auto& d = n.at("devices").as_array().at(0).as_object();
  CHECK(d.at("app_id") == "org.example.chat");
  CHECK(d.at("pushkey") == "pk-1");
  CHECK(d.at("pushkey_ts") == 1700000000);

  auto with = message();
  with.preview = "hi bob";
  send_one(g, phone, with);
  auto clear = message();
  clear.clear = true;
  clear.badge = 0;
  send_one(g, phone, clear);
  reqs = gw.requests();
  REQUIRE(reqs.size() == 3);
  auto p = json::parse(reqs[1].body).at("notification").as_object();
  CHECK(p.at("content").at("body") == "hi bob");
  // A read elsewhere: counts only, which clears the badge.
  auto c = json::parse(reqs[2].body).at("notification").as_object();
  CHECK_FALSE(c.contains("event_id"));
  CHECK(c.at("prio") == "low");
  CHECK(c.at("counts").at("unread") == 0);
}

TEST_CASE(
    "a pushkey the gateway rejects is a device to remove, a 503 is "
    "retried after its Retry-After, a 400 fails",
    "[push][gateway]") {
  int status = 200;
  std::string body = R"({"rejected":["pk-1"]})";
  std::map<std::string, std::string> headers;
  std::mutex m;
  fake_http_server gw([&](const fake_http_server::request&) {
    std::lock_guard<std::mutex> l(m);
    return fake_http_server::response{status, headers, body};
  });
  auto http = std::make_shared<http_client>();
  gateway_provider g(http, gw.url(), "app");
  auto o = send_one(g, phone, message());
  CHECK(o.what == outcome::kind::gone);
  CHECK(o.reason == "rejected");
  // Another device's rejection is not this one's.
  CHECK(send_one(g, target{"gateway", "pk-2", 0}, message()).what ==
        outcome::kind::sent);
  {
    std::lock_guard<std::mutex> l(m);
    status = 503;
    body = "{}";
    headers = {{"retry-after", "7"}};
  }
  o = send_one(g, phone, message());
  CHECK(o.what == outcome::kind::retry);
  CHECK(o.retry_after == 7000ms);
  CHECK(o.reason == "http_503");
  {
    std::lock_guard<std::mutex> l(m);
    status = 400;
    headers.clear();
  }
  o = send_one(g, phone, message());
  CHECK(o.what == outcome::kind::failed);
  CHECK(o.reason == "http_400");
}

TEST_CASE("a gateway that does not answer is retried", "[push][gateway]") {
  std::uint16_t port = 0;
  {
    fake_http_server gone([](const fake_http_server::request&) {
      return fake_http_server::response{};
    });
    port = gone.port();
  }  // nothing listens there now
  auto http = std::make_shared<http_client>();
  gateway_provider g(http, "http://127.0.0.1:" + std::to_string(port), "app");
  auto o = send_one(g, phone, message());
  CHECK(o.what == outcome::kind::retry);
  CHECK(o.reason == "unreachable");
}

TEST_CASE(
    "backoff doubles up to its cap with jitter, Retry-After reads "
    "seconds and dates",
    "[push][backoff]") {
  CHECK(backoff_delay(1, 1000ms, 60000ms, 1.0) == 1000ms);
  CHECK(backoff_delay(1, 1000ms, 60000ms, 0.0) == 500ms);
  CHECK(backoff_delay(4, 1000ms, 60000ms, 1.0) == 8000ms);
  CHECK(backoff_delay(30, 1000ms, 60000ms, 1.0) == 60000ms);
  CHECK(backoff_delay(30, 1000ms, 60000ms, 0.5) == 45000ms);
  CHECK(parse_retry_after("120", 0) == std::chrono::milliseconds(120000));
  CHECK(parse_retry_after(" 5 ", 0) == std::chrono::milliseconds(5000));
  // Sun, 06 Nov 1994 08:49:37 GMT is 784111777.
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111767) ==
        std::chrono::milliseconds(10000));
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111800) ==
        std::chrono::milliseconds(0));
  CHECK_FALSE(parse_retry_after("soon", 0));
  CHECK_FALSE(parse_retry_after("", 0));
}
