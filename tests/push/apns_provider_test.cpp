#include "push/apns_provider.hpp"

#include <catch2/catch.hpp>
#include <future>
#include <vector>

#include "tests/push/send_one.hpp"
#include "tests/support/fake_apns.hpp"

// APNs against a local fake that speaks only HTTP/2 over TLS and checks
// the provider token and the headers as APNs does.
using namespace switchboard::push;
using switchboard::testing::fake_apns;
using switchboard::testing::send_one;
using namespace std::chrono_literals;

namespace {

const std::string device = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

apns_options options(const fake_apns& apple) {
  return {apple.key_pem(), fake_apns::key_id, fake_apns::team_id,
          fake_apns::topic, apple.url()};
}

std::shared_ptr<http_client> client(const fake_apns& apple) {
  return std::make_shared<http_client>(64 * 1024, apple.ca_file());
}

// A fake APNs and a provider that sends to it.
struct apns_fixture {
  fake_apns apple;
  std::shared_ptr<http_client> http = client(apple);
  apns_provider p{http, options(apple)};
};

notification message(std::uint64_t msg = 7) {
  return switchboard::testing::alice_to_bob(msg, 3);
}

}  // namespace

TEST_CASE_METHOD(
    apns_fixture,
    "an APNs push is an alert over HTTP/2 with TLS, with an ES256 provider "
    "token, its topic, priority, expiration and a collapse id per "
    "conversation",
    "[push][apns]") {
  auto o = send_one(p, {"apns", device, 0}, message());
  INFO(apple.problem() << " " << o.reason);
  CHECK(o.what == outcome::kind::sent);
  auto got = apple.pushes();
  REQUIRE(got.size() == 1);
  CHECK(got[0].token == device);
  CHECK(got[0].headers.at("apns-push-type") == "alert");
  CHECK(got[0].headers.at("apns-priority") == "10");
  CHECK(got[0].headers.at("apns-collapse-id") == "c-1");
  auto& aps = got[0].payload.at("aps").as_object();
  CHECK(aps.at("badge") == 3);
  CHECK(aps.at("alert").at("title") == "alice");
  CHECK(aps.at("thread-id") == "c-1");
  CHECK(got[0].payload.at("msg_id") == 7);
  CHECK(got[0].payload.at("conv_id") == "c-1");
}

TEST_CASE_METHOD(
    apns_fixture,
    "APNs sends share one HTTP/2 connection and one provider token",
    "[push][apns]") {
  constexpr int n = 40;
  std::vector<std::promise<outcome>> done(n);
  for (int i = 0; i < n; ++i)
    p.send({"apns", device, 0}, message(static_cast<std::uint64_t>(i + 1)),
           [&done, i](outcome o) { done[i].set_value(std::move(o)); });
  for (auto& d : done) {
    auto f = d.get_future();
    REQUIRE(f.wait_for(15s) == std::future_status::ready);
    CHECK(f.get().what == outcome::kind::sent);
  }
  INFO(apple.problem());
  auto got = apple.pushes();
  REQUIRE(got.size() == n);
  CHECK(apple.connections() == 1);
  for (auto& g : got) CHECK(g.jwt == got[0].jwt);
}

TEST_CASE_METHOD(
    apns_fixture,
    "a read elsewhere is a background APNs push at priority 5 that carries "
    "the badge outside aps",
    "[push][apns]") {
  auto n = message();
  n.clear = true;
  n.badge = 1;
  auto o = send_one(p, {"apns", device, 0}, n);
  INFO(apple.problem());
  CHECK(o.what == outcome::kind::sent);
  auto got = apple.pushes();
  REQUIRE(got.size() == 1);
  CHECK(got[0].headers.at("apns-push-type") == "background");
  CHECK(got[0].headers.at("apns-priority") == "5");
  CHECK(got[0].payload.at("aps").at("content-available") == 1);
  CHECK(got[0].payload.at("clear") == true);
  CHECK(got[0].payload.at("badge") == 1);
}

TEST_CASE_METHOD(
    apns_fixture,
    "APNs 410 removes a device registered before its timestamp and keeps "
    "one registered again after it",
    "[push][apns]") {
  apple.unregister(device, 1'000'000);
  auto old_one = send_one(p, {"apns", device, 999'000}, message());
  CHECK(old_one.what == outcome::kind::gone);
  CHECK(old_one.reason == "Unregistered");
  auto again = send_one(p, {"apns", device, 1'001'000}, message());
  CHECK(again.what == outcome::kind::failed);
  CHECK(again.reason == "Unregistered");
}

TEST_CASE_METHOD(apns_fixture,
                 "APNs BadDeviceToken removes the device, 429 and 503 retry, "
                 "InvalidProviderToken fails",
                 "[push][apns]") {
  apple.answer(400, "BadDeviceToken");
  CHECK(send_one(p, {"apns", device, 0}, message()).what ==
        outcome::kind::gone);
  apple.answer(429, "TooManyRequests");
  CHECK(send_one(p, {"apns", device, 0}, message()).what ==
        outcome::kind::retry);
  apple.answer(503, "ServiceUnavailable");
  CHECK(send_one(p, {"apns", device, 0}, message()).what ==
        outcome::kind::retry);
  apple.answer(403, "InvalidProviderToken");
  auto o = send_one(p, {"apns", device, 0}, message());
  CHECK(o.what == outcome::kind::failed);
  CHECK(o.reason == "InvalidProviderToken");
}

TEST_CASE_METHOD(
    apns_fixture,
    "an expired APNs provider token is replaced: the send is retried with "
    "a new one",
    "[push][apns]") {
  REQUIRE(send_one(p, {"apns", device, 0}, message()).what ==
          outcome::kind::sent);
  apple.expire_tokens();
  auto o = send_one(p, {"apns", device, 0}, message(8));
  CHECK(o.what == outcome::kind::retry);
  CHECK(o.reason == "ExpiredProviderToken");
  CHECK(send_one(p, {"apns", device, 0}, message(9)).what ==
        outcome::kind::sent);
  auto got = apple.pushes();
  REQUIRE(got.size() == 2);
  CHECK(got[0].jwt != got[1].jwt);
}

TEST_CASE(
    "APNs refuses to start without its ids or with a key that is not P-256",
    "[push][apns]") {
  fake_apns apple;
  auto http = client(apple);
  auto o = options(apple);
  o.team_id.clear();
  CHECK_THROWS_AS(apns_provider(http, o), std::invalid_argument);
  o = options(apple);
  o.key_pem = "not a key";
  CHECK_THROWS_AS(apns_provider(http, o), std::invalid_argument);
  o = options(apple);
  o.url = "http://127.0.0.1:1";
  CHECK_THROWS_AS(apns_provider(http, o), std::invalid_argument);
}

TEST_CASE(
    "the HTTP client trusts only the authorities it is told to: the fake "
    "APNs' certificate fails without its CA file",
    "[push][apns]") {
  fake_apns apple;
  auto http = std::make_shared<http_client>();  // the system's authorities
  apns_provider p(http, options(apple));
  auto o = send_one(p, {"apns", device, 0}, message());
  CHECK(o.what == outcome::kind::retry);
  CHECK(apple.requests().empty());
}

TEST_CASE_METHOD(apns_fixture,
                 "an APNs token that is not hex is a device to remove, never "
                 "part of a request's path",
                 "[push][apns]") {
  auto o = send_one(p, {"apns", "../3/device/x?y", 0}, message());
  CHECK(o.what == outcome::kind::gone);
  CHECK(o.reason == "BadDeviceToken");
  CHECK(apple.requests().empty());
}
