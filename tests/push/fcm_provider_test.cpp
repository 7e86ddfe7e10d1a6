#include "push/fcm_provider.hpp"

#include <catch2/catch.hpp>

#include "tests/push/send_one.hpp"
#include "tests/support/fake_fcm.hpp"

// FCM HTTP v1 against a local FCM that checks the token exchange and the
// bearer: a data message of ids, collapsed per conversation, the token
// fetched once and reused, UNREGISTERED removing the device.
using namespace switchboard::push;
using switchboard::testing::fake_fcm;
using namespace std::chrono_literals;
using switchboard::testing::send_one;

namespace {

notification message() { return switchboard::testing::alice_to_bob(42, 2); }

const target phone{"fcm", "fcm-token-1", 0};

}  // namespace

TEST_CASE(
    "an FCM push is a data message of ids under a token the service "
    "account's assertion got, fetched once",
    "[push][fcm]") {
  fake_fcm fcm;
  auto http = std::make_shared<http_client>();
  fcm_provider p(http, fcm.credentials(), fcm.url(), {});
  CHECK(send_one(p, phone, message()).what == outcome::kind::sent);
  CHECK(send_one(p, phone, message()).what == outcome::kind::sent);
  INFO(fcm.problem());
  CHECK(fcm.problem().empty());
  CHECK(fcm.tokens_issued() == 1);  // cached
  auto sent = fcm.messages();
  REQUIRE(sent.size() == 2);
  auto& m = sent[0];
  CHECK(m.at("token") == "fcm-token-1");
  CHECK(m.at("data").at("conv_id") == "c-1");
  CHECK(m.at("data").at("msg_id") == "42");
  CHECK(m.at("data").at("sender") == "alice");
  CHECK(m.at("data").at("badge") == "2");
  CHECK_FALSE(m.at("data").as_object().contains("preview"));
  CHECK_FALSE(m.contains("notification"));  // no body through FCM
  CHECK(m.at("android").at("collapse_key") == "c-1");
  CHECK(m.at("android").at("priority") == "HIGH");
}

TEST_CASE(
    "FCM's UNREGISTERED removes the device, QUOTA_EXCEEDED waits a "
    "minute, a 503 retries",
    "[push][fcm]") {
  fake_fcm fcm;
  auto http = std::make_shared<http_client>();
  fcm_provider p(http, fcm.credentials(), fcm.url(), {});
  fcm.answer(404, R"({"error":{"code":404,"status":"NOT_FOUND","details":[
      {"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError",
       "errorCode":"UNREGISTERED"}]}})");
  auto o = send_one(p, phone, message());
  CHECK(o.what == outcome::kind::gone);
  CHECK(o.reason == "UNREGISTERED");
  fcm.answer(429, R"({"error":{"code":429,"status":"RESOURCE_EXHAUSTED",
      "details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError",
      "errorCode":"QUOTA_EXCEEDED"}]}})");
  o = send_one(p, phone, message());
  CHECK(o.what == outcome::kind::retry);
  CHECK(o.retry_after >= 60000ms);
  fcm.answer(503, R"({"error":{"code":503,"status":"UNAVAILABLE"}})");
  o = send_one(p, phone, message());
  CHECK(o.what == outcome::kind::retry);
  CHECK(o.reason == "UNAVAILABLE");
}

TEST_CASE(
    "FCM credentials that are not a service account's key are refused "
    "with what is wrong",
    "[push][fcm]") {
  auto http = std::make_shared<http_client>();
  CHECK_THROWS_WITH(fcm_provider(http, "[]", "http://x", {}),
                    "the FCM credentials are not a JSON object");
  CHECK_THROWS_WITH(fcm_provider(http, R"({"project_id":"p"})", "http://x", {}),
                    "the FCM credentials have no client_email");
  CHECK_THROWS_WITH(
      fcm_provider(http,
                   R"({"project_id":"p","client_email":"e","token_uri":"u",
                       "private_key":"not a key"})",
                   "http://x", {}),
      "not an RSA private key in PEM");
}
