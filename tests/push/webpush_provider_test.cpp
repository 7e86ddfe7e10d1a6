#include "push/webpush_provider.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>

#include "push/webpush_subscription.hpp"
#include "tests/push/send_one.hpp"
#include "tests/support/fake_webpush.hpp"

// Web Push against a local push service that verifies the VAPID
// authorization and decrypts the payload with the subscription's keys, as
// a browser does.
using namespace switchboard::push;
using switchboard::testing::fake_webpush;
using namespace std::chrono_literals;
using switchboard::testing::send_one;

namespace {

std::string p256_pem() {
  auto* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  auto* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(k);
  return pem;
}

notification message() { return switchboard::testing::alice_to_bob(7, 4); }

}  // namespace

TEST_CASE(
    "a Web Push is encrypted for its subscription and authorized by "
    "VAPID, with a topic per conversation",
    "[push][webpush]") {
  fake_webpush service;
  auto http = std::make_shared<http_client>();
  webpush_provider p(http, p256_pem(), "mailto:ops@example.org", true);
  target browser{"webpush", service.subscription(), 0};
  CHECK(send_one(p, browser, message()).what == outcome::kind::sent);
  INFO(service.problem());
  CHECK(service.problem().empty());
  auto got = service.payloads();
  REQUIRE(got.size() == 1);
  CHECK(got[0].at("conv_id") == "c-1");
  CHECK(got[0].at("msg_id") == 7);
  CHECK(got[0].at("sender") == "alice");
  CHECK(got[0].at("badge") == 4);
  CHECK_FALSE(got[0].contains("preview"));
  auto second = message();
  second.msg_id = 8;
  send_one(p, browser, second);
  auto reqs = service.requests();
  REQUIRE(reqs.size() == 2);
  // The same conversation, the same Topic: the newer replaces the older.
  CHECK(reqs[0].headers.at("topic") == reqs[1].headers.at("topic"));
  CHECK(reqs[0].headers.at("urgency") == "high");
  CHECK(reqs[0].body != reqs[1].body);
}

TEST_CASE(
    "a 410, or a token that is not a subscription, is a device to "
    "remove",
    "[push][webpush]") {
  fake_webpush service;
  auto http = std::make_shared<http_client>();
  webpush_provider p(http, p256_pem(), "https://example.org/contact", true);
  service.answer(410);
  auto o = send_one(p, target{"webpush", service.subscription(), 0}, message());
  CHECK(o.what == outcome::kind::gone);
  o = send_one(p, target{"webpush", "not json", 0}, message());
  CHECK(o.what == outcome::kind::gone);
  CHECK(o.reason == "not_a_subscription");
  o = send_one(p,
               target{"webpush",
                      R"({"endpoint":"https://x/y","keys":{"p256dh":"AAAA",)"
                      R"("auth":"AAAAAAAAAAAAAAAAAAAAAA"}})",
                      0},
               message());
  CHECK(o.what == outcome::kind::gone);  // not a P-256 key
  // An endpoint that is no http(s) URL with a host is no subscription.
  for (const char* endpoint :
       {"ftp://x/y", "https:///y", "https://ex ample/y", "/push/sub-1"}) {
    INFO(endpoint);
    o = send_one(p,
                 target{"webpush",
                        std::string(R"({"endpoint":")") + endpoint +
                            R"(","keys":{"p256dh":"AAAA",)"
                            R"("auth":"AAAAAAAAAAAAAAAAAAAAAA"}})",
                        0},
                 message());
    CHECK(o.what == outcome::kind::gone);
    CHECK(o.reason == "not_a_subscription");
  }
}

TEST_CASE(
    "a VAPID key that is not P-256, or a subject that is no URL, is "
    "refused",
    "[push][webpush]") {
  auto http = std::make_shared<http_client>();
  CHECK_THROWS_WITH(webpush_provider(http, "junk", "mailto:a@b"),
                    "not a P-256 private key in PEM");
  CHECK_THROWS_AS(webpush_provider(http, p256_pem(), "ops@example.org"),
                  std::invalid_argument);
}

TEST_CASE(
    "a VAPID audience is the endpoint's origin: lower case, no default "
    "port",
    "[push][webpush]") {
  using switchboard::push::vapid_audience;
  CHECK(vapid_audience("https://fcm.googleapis.com/fcm/send/abc?x=1#f") ==
        std::optional<std::string>("https://fcm.googleapis.com"));
  CHECK(vapid_audience("HTTPS://Push.Example:443/x") ==
        std::optional<std::string>("https://push.example"));
  CHECK(vapid_audience("https://push.example:8443/x") ==
        std::optional<std::string>("https://push.example:8443"));
  CHECK(vapid_audience("http://127.0.0.1:80/x") ==
        std::optional<std::string>("http://127.0.0.1"));
  CHECK(vapid_audience("https://h:/x") ==
        std::optional<std::string>("https://h"));
  CHECK(vapid_audience("https://user:pw@[::1]:9000/x") ==
        std::optional<std::string>("https://[::1]:9000"));
  CHECK_FALSE(vapid_audience("ftp://push.example/x"));
  CHECK_FALSE(vapid_audience("push.example/x"));
  CHECK_FALSE(vapid_audience("https:///x"));
}

TEST_CASE(
    "a subscription is an https: endpoint with a P-256 key and a 16-byte "
    "auth secret; anything else says what is wrong",
    "[push][webpush]") {
  using switchboard::push::parse_webpush_subscription;
  fake_webpush service;
  auto keys = [&](const std::string& endpoint) {
    auto sub = boost::json::parse(service.subscription()).as_object();
    sub["endpoint"] = endpoint;
    return boost::json::serialize(sub);
  };
  std::string why;
  auto ok =
      parse_webpush_subscription(keys("https://push.example/s/1"), false, &why);
  REQUIRE(ok);
  CHECK(ok->origin == "https://push.example");
  CHECK(ok->p256dh.size() == 65);
  CHECK(ok->auth.size() == 16);
  // http: only where the node allows private endpoints.
  CHECK_FALSE(
      parse_webpush_subscription(keys("http://push.example/s/1"), false, &why));
  CHECK(why == "a webpush endpoint is an https: URL");
  CHECK(parse_webpush_subscription(keys("http://push.example/s/1"), true));
  // An address that can never be a push service's, written as the host.
  for (auto url : {"https://127.0.0.1/s", "https://10.1.2.3:8443/s",
                   "https://169.254.169.254/latest", "https://[::1]/s",
                   "https://[::ffff:192.168.0.1]/s", "https://[fd00::1]/s"}) {
    INFO(url);
    CHECK_FALSE(parse_webpush_subscription(keys(url), false, &why));
    CHECK(why == "a webpush endpoint's host is not a public address");
    CHECK(parse_webpush_subscription(keys(url), true));
  }
  CHECK(parse_webpush_subscription(keys("https://8.8.8.8/s"), false));
  CHECK(parse_webpush_subscription(keys("https://[2001:4860::8888]/s"), false));
  struct bad {
    std::string token, why;
  };
  for (auto& b : std::vector<bad>{
           {"not json", "PushSubscription.toJSON()"},
           {R"({"keys":{}})", "needs an endpoint"},
           {keys("ftp://push.example/x"), "absolute https: URL"},
           {R"({"endpoint":"https://p.example/x"})", "needs keys"},
           {R"({"endpoint":"https://p.example/x","keys":{"p256dh":"AAAA",)"
            R"("auth":"AAAAAAAAAAAAAAAAAAAAAA"}})",
            "keys.p256dh is a P-256 public key"},
           {R"({"endpoint":"https://p.example/x","keys":{"p256dh":")" +
                switchboard::auth::base64url_encode(std::string(65, '\x04')) +
                R"(","auth":"AAAA"}})",
            "keys.auth is 16 bytes"}}) {
    INFO(b.token);
    CHECK_FALSE(parse_webpush_subscription(b.token, true, &why));
    CHECK(why.find(b.why) != std::string::npos);
  }
}

TEST_CASE(
    "a Web Push to an endpoint on a private address is not sent: a name "
    "that resolves there waits, the device is kept; an address is removed",
    "[push][webpush]") {
  fake_webpush service;  // on 127.0.0.1
  auto http = std::make_shared<http_client>(64 * 1024, "",
                                            http_client::reach::public_only);
  webpush_provider p(http, p256_pem(), "mailto:ops@example.org");
  auto sub = boost::json::parse(service.subscription()).as_object();
  std::string endpoint(sub["endpoint"].as_string());
  auto port_and_path = endpoint.substr(endpoint.rfind(':'));
  // A name: this network's DNS may be wrong for a while (a sinkhole, a
  // split horizon), so the push is tried again later.
  sub["endpoint"] = "https://localhost" + port_and_path;
  auto o =
      send_one(p, target{"webpush", boost::json::serialize(sub), 0}, message());
  CHECK(o.what == outcome::kind::retry);
  CHECK(o.reason == "endpoint_not_public");
  CHECK(o.retry_after >= std::chrono::seconds(60));
  // An address that is not public is never a push service.
  sub["endpoint"] = "https://127.0.0.1" + port_and_path;
  o = send_one(p, target{"webpush", boost::json::serialize(sub), 0}, message());
  CHECK(o.what == outcome::kind::gone);
  CHECK(o.reason == "not_a_subscription");
  // An http: endpoint is not a subscription here at all.
  o = send_one(p, target{"webpush", service.subscription(), 0}, message());
  CHECK(o.what == outcome::kind::gone);
  CHECK(o.reason == "not_a_subscription");
  CHECK(service.requests().empty());
}
