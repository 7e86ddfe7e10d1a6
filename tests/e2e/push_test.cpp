#include <fstream>
#include <mutex>

#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/fake_apns.hpp"
#include "tests/support/fake_fcm.hpp"
#include "tests/support/fake_gateway.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_webpush.hpp"
#include "tests/support/temp_dir.hpp"

// Push notifications through a Matrix push gateway (docs/push.md), against a
// local fake gateway: who gets a push, how often, and what survives a
// provider's outage and a crash.
using namespace switchboard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

using gateway = fake_gateway;

std::vector<std::string> args(gateway& gw, int grace_ms) {
  return {"--push-grace-ms",       std::to_string(grace_ms),
          "--push-gateway-url",    gw.server.url(),
          "--push-gateway-app-id", "org.example.chat",
          "--send-rate",           "1000000",
          "--send-burst",          "1000000"};
}

void add_device(node_process& n, const std::string& user,
                const std::string& token,
                const std::string& platform = "gateway") {
  auto r = http_request(
      n.port(), "POST", "/v1/devices",
      json::serialize(json::object{{"platform", platform}, {"token", token}}),
      "Bearer " + n.token(user));
  REQUIRE(r.status == 204);
}

// A node that sends to `apple` (its key written into `dir`).
std::vector<std::string> apns_args(const fake_apns& apple, const temp_dir& dir,
                                   int grace_ms) {
  auto key = (dir.path() / "AuthKey.p8").string();
  std::ofstream(key) << apple.key_pem();
  return {"--push-grace-ms", std::to_string(grace_ms),
          "--apns-key",      key,
          "--apns-key-id",   fake_apns::key_id,
          "--apns-team-id",  fake_apns::team_id,
          "--apns-topic",    fake_apns::topic,
          "--apns-url",      apple.url(),
          "--push-ca-file",  apple.ca_file()};
}

// A fresh VAPID key (a P-256 private key in PEM) in `dir`; its file.
std::string vapid_key(const temp_dir& dir) {
  auto key = (dir.path() / "vapid.pem").string();
  auto* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  auto* bio = BIO_new_file(key.c_str(), "w");
  PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
  BIO_free(bio);
  EVP_PKEY_free(k);
  return key;
}

// Waits until `bursts` bursts were handed over, `jobs` members' jobs made
// of them, and every job is settled.
void wait_settled(node_process& n, double bursts, double jobs = 0) {
  wait_metric(n, "switchboard_push_bursts_total", bursts);
  wait_metric(n, "switchboard_push_jobs_total", jobs);
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (metric(n.port(), "switchboard_push_backlog") != 0) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace

TEST_CASE(
    "an offline member gets one push per burst with the ids and the badge, "
    "the sender none",
    "[e2e][push]") {
  gateway gw;
  e2e_fixture f(args(gw, 800));
  add_device(f.node, "alice", "pk-alice");
  add_device(f.node, "bob", "pk-bob");
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  for (int i = 1; i <= 3; ++i)
    REQUIRE(e2e_fixture::send(*alice, conv, "secret " + std::to_string(i),
                              "m" + std::to_string(i))["type"] == "sent");
  REQUIRE(gw.server.wait_for(1, 20s));
  wait_settled(f.node, 1);
  auto sent = gw.notifications();
  REQUIRE(sent.size() == 1);
  auto& n = sent[0];
  CHECK(n.at("event_id") == json::value(conv + ":3"));
  CHECK(n.at("room_id") == json::value(conv));
  CHECK(n.at("sender") == "alice");
  CHECK(n.at("counts").at("unread") == 1);
  CHECK_FALSE(n.contains("content"));  // no body without a preview
  auto& d = n.at("devices").as_array().at(0).as_object();
  CHECK(d.at("pushkey") == "pk-bob");
  CHECK(d.at("app_id") == "org.example.chat");
  CHECK(metric(f.node.port(), "switchboard_push_jobs_total") == 1);
  CHECK(metric(f.node.port(), "switchboard_push_sent_total") == 1);
  CHECK(metric(f.node.port(),
               "switchboard_push_sends_total{provider="
               "\"gateway\",outcome=\"sent\"}") == 1);

  // The next message is a new burst: one more push.
  REQUIRE(e2e_fixture::send(*alice, conv, "again", "m4")["type"] == "sent");
  REQUIRE(gw.server.wait_for(2, 20s));
  wait_settled(f.node, 2);
  CHECK(gw.notifications().size() == 2);
}

TEST_CASE(
    "a member who acks on any device within the grace gets no push, one "
    "offline does",
    "[e2e][push]") {
  gateway gw;
  e2e_fixture f(args(gw, 3000));
  add_device(f.node, "bob", "pk-bob");
  add_device(f.node, "carol", "pk-carol");
  auto alice = f.connect("alice");
  auto bob = f.connect("bob");
  auto conv = e2e_fixture::create(*alice, "group", {"bob", "carol"});
  REQUIRE(e2e_fixture::send(*alice, conv, "hi", "m1")["type"] == "sent");
  auto m = bob->expect("message");
  bob->send(json::object{{"type", "ack"}, {"conv_id", conv}, {"msg_id", 1}});
  alice->expect("receipt");  // bob's ack is in
  REQUIRE(gw.server.wait_for(1, 20s));
  wait_settled(f.node, 1);
  auto sent = gw.notifications();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].at("devices").as_array().at(0).at("pushkey") == "pk-carol");
}

TEST_CASE(
    "a gateway that answers 503 gets the job again after its Retry-After, "
    "once, and a rejected pushkey removes its device",
    "[e2e][push]") {
  gateway gw;
  gw.answer(503, "{}", {{"retry-after", "1"}});
  e2e_fixture f(args(gw, 0));
  add_device(f.node, "bob", "pk-bob");
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  REQUIRE(e2e_fixture::send(*alice, conv, "hi", "m1")["type"] == "sent");
  REQUIRE(gw.server.wait_for(1, 20s));
  gw.answer(200, R"({"rejected":[]})");
  REQUIRE(gw.server.wait_for(2, 20s));
  wait_settled(f.node, 1);
  CHECK(gw.server.requests().size() == 2);
  CHECK(metric(f.node.port(), "switchboard_push_retried_total") == 1);
  CHECK(metric(f.node.port(), "switchboard_push_sent_total") == 1);
  CHECK(metric(f.node.port(),
               "switchboard_push_sends_total{provider="
               "\"gateway\",outcome=\"retry\"}") == 1);
  CHECK(metric(f.node.port(),
               "switchboard_push_failures_total{provider="
               "\"gateway\",reason=\"http_503\"}") == 1);

  gw.answer(200, R"({"rejected":["pk-bob"]})");
  REQUIRE(e2e_fixture::send(*alice, conv, "again", "m2")["type"] == "sent");
  REQUIRE(gw.server.wait_for(3, 20s));
  wait_metric(f.node, "switchboard_push_devices_removed_total", 1);
  wait_settled(f.node, 2);
  // Bob has no device now: a third burst's job sends nothing.
  REQUIRE(e2e_fixture::send(*alice, conv, "third", "m3")["type"] == "sent");
  wait_settled(f.node, 3, 3);
  CHECK(gw.server.requests().size() == 3);
}

TEST_CASE("a read on any device clears the pushed conversation and its badge",
          "[e2e][push]") {
  gateway gw;
  e2e_fixture f(args(gw, 0));
  add_device(f.node, "bob", "pk-bob");
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  REQUIRE(e2e_fixture::send(*alice, conv, "hi", "m1")["type"] == "sent");
  REQUIRE(gw.server.wait_for(1, 20s));
  wait_settled(f.node, 1);
  auto bob = f.connect("bob");
  bob->send(json::object{{"type", "read"}, {"conv_id", conv}, {"msg_id", 1}});
  REQUIRE(gw.server.wait_for(2, 20s));
  auto sent = gw.notifications();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].at("counts").at("unread") == 1);
  CHECK_FALSE(sent[1].contains("event_id"));  // counts only: a silent update
  CHECK(sent[1].at("prio") == "low");
  CHECK(sent[1].at("counts").at("unread") == 0);
}

TEST_CASE(
    "kill -9 within the grace, or with a job the gateway has not taken: "
    "after the restart each push is sent once",
    "[e2e][push]") {
  gateway gw;
  e2e_fixture f(args(gw, 5000));
  add_device(f.node, "bob", "pk-bob");
  add_device(f.node, "carol", "pk-carol");
  std::string conv;
  {
    auto alice = f.connect("alice");
    conv = e2e_fixture::create(*alice, "group", {"bob"});
    // Acknowledged: the burst's job is durable with the message.
    REQUIRE(e2e_fixture::send(*alice, conv, "hi", "m1")["type"] == "sent");
  }
  f.node.kill();  // within the grace: nothing was pushed
  CHECK(gw.server.requests().empty());
  f.node.start();
  REQUIRE(gw.server.wait_for(1, 20s));
  wait_settled(f.node, 1);
  CHECK(gw.server.requests().size() == 1);

  // A member's job the gateway refuses for now, then a crash.
  gw.answer(503, "{}", {{"retry-after", "30"}});
  {
    auto alice = f.connect("alice");
    auto other = e2e_fixture::create(*alice, "group", {"carol"});
    REQUIRE(e2e_fixture::send(*alice, other, "hi", "c1")["type"] == "sent");
  }
  REQUIRE(gw.server.wait_for(2, 20s));
  wait_metric(f.node, "switchboard_push_retried_total", 1);
  f.node.kill();
  gw.answer(200, R"({"rejected":[]})");
  f.node.start();
  REQUIRE(gw.server.wait_for(3, 20s));
  wait_metric(f.node, "switchboard_push_sent_total", 1);
  wait_settled(f.node, 0);
  auto sent = gw.notifications();
  REQUIRE(sent.size() == 3);
  CHECK(sent[2].at("devices").as_array().at(0).at("pushkey") == "pk-carol");
}

TEST_CASE(
    "the admin shell lists a user's devices and pending pushes, and push "
    "test sends one now",
    "[e2e][push][admin]") {
  gateway gw;
  gw.answer(503, "{}", {{"retry-after", "30"}});
  e2e_fixture f(args(gw, 0));
  add_device(f.node, "bob", "pk-bob-123456789");
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  REQUIRE(e2e_fixture::send(*alice, conv, "hi", "m1")["type"] == "sent");
  wait_metric(f.node, "switchboard_push_retried_total", 1);
  auto shell = [&](const std::string& command, bool as_json) {
    std::ifstream in(f.node.data_dir() + "/admin_token");
    std::string token;
    std::getline(in, token);
    std::vector<std::string> a{
        "admin", "--node", "127.0.0.1:" + std::to_string(f.node.admin_port()),
        "--token", token};
    if (as_json) a.push_back("--json");
    a.push_back("-c");
    a.push_back(command);
    auto r = run_switchboard(a);
    INFO(command << ": " << r.output);
    REQUIRE(r.status == 0);
    return r.output;
  };
  // The gateway is configured; the others are off, and the shell says so.
  auto st = json::parse(shell("status", true)).as_object();
  CHECK(st.at("push_providers_off") == "apns, fcm, webpush");
  CHECK(st.at("push_backlog") == 1);
  auto listed = shell("devices bob", false);
  CHECK(listed.find("gateway ...456789 registered") != std::string::npos);
  CHECK(listed.find("pending pushes: 1") != std::string::npos);
  CHECK(listed.find("pk-bob-123") == std::string::npos);  // not the token

  gw.answer(200, R"({"rejected":[]})");
  auto before = gw.server.requests().size();
  auto tested = json::parse(shell("push test bob", true)).as_object();
  auto& d = tested.at("devices").as_array().at(0).as_object();
  CHECK(d.at("device") == "...456789");
  CHECK(d.at("outcome") == "sent");
  auto sent = gw.notifications();
  REQUIRE(sent.size() == before + 1);
  CHECK(sent.back().at("event_id") == "switchboard-test:0");
}

TEST_CASE(
    "an offline member's FCM device gets the push through FCM, with "
    "the token exchange FCM checks",
    "[e2e][push][fcm]") {
  fake_fcm fcm;
  temp_dir dir;
  auto key = (dir.path() / "service-account.json").string();
  std::ofstream(key) << fcm.credentials();
  e2e_fixture f({"--push-grace-ms", "0", "--fcm-credentials", key, "--fcm-url",
                 fcm.url()});
  auto r = http_request(f.node.port(), "POST", "/v1/devices",
                        R"({"platform":"fcm","token":"fcm-bob"})",
                        "Bearer " + f.node.token("bob"));
  REQUIRE(r.status == 204);
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  REQUIRE(e2e_fixture::send(*alice, conv, "hi", "m1")["type"] == "sent");
  wait_metric(f.node, "switchboard_push_sent_total", 1);
  INFO(fcm.problem());
  CHECK(fcm.problem().empty());
  auto sent = fcm.messages();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].at("token") == "fcm-bob");
  CHECK(metric(f.node.port(),
               "switchboard_push_sends_total{provider="
               "\"fcm\",outcome=\"sent\"}") == 1);
  CHECK(sent[0].at("data").at("conv_id") == json::value(conv));
}

TEST_CASE(
    "with --push-preview a push carries the start of the message, cut "
    "on a character",
    "[e2e][push]") {
  gateway gw;
  auto a = args(gw, 0);
  a.insert(a.end(), {"--push-preview", "true"});
  e2e_fixture f(a);
  add_device(f.node, "bob", "pk-bob");
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  // "x", then é (2 bytes) 150 times: byte 200 is inside a character.
  std::string body = "x";
  for (int i = 0; i < 150; ++i) body += "\xC3\xA9";
  REQUIRE(e2e_fixture::send(*alice, conv, body, "m1")["type"] == "sent");
  REQUIRE(gw.server.wait_for(1, 20s));
  auto n = gw.notifications().at(0);
  auto preview = std::string(n.at("content").at("body").as_string());
  CHECK(preview.size() == 199);
  CHECK(preview == body.substr(0, 199));
}

TEST_CASE(
    "an offline member's browser gets the push through its push "
    "service: VAPID-authorized, decrypted with the subscription's keys",
    "[e2e][push][webpush]") {
  fake_webpush service;
  temp_dir dir;
  auto key = vapid_key(dir);
  e2e_fixture f({"--push-grace-ms", "0", "--webpush-vapid-key", key,
                 "--webpush-subject", "mailto:ops@example.org",
                 "--webpush-allow-private", "true"});  // the fake's http:
  // The browser's subscription, longer than any provider's device token.
  auto sub = service.subscription();
  CHECK(sub.size() > 100);
  auto r = http_request(
      f.node.port(), "POST", "/v1/devices",
      json::serialize(json::object{{"platform", "webpush"}, {"token", sub}}),
      "Bearer " + f.node.token("bob"));
  REQUIRE(r.status == 204);
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  REQUIRE(e2e_fixture::send(*alice, conv, "hi", "m1")["type"] == "sent");
  wait_metric(f.node, "switchboard_push_sent_total", 1);
  INFO(service.problem());
  CHECK(service.problem().empty());
  auto got = service.payloads();
  REQUIRE(got.size() == 1);
  CHECK(got[0].at("conv_id") == json::value(conv));
  CHECK(got[0].at("msg_id") == 1);
  CHECK(got[0].at("sender") == "alice");
  CHECK(service.subject() == "mailto:ops@example.org");  // --webpush-subject
}

TEST_CASE(
    "a Web Push endpoint must be an https: URL on the public internet: a "
    "client cannot make the node call into its own network",
    "[e2e][push][webpush]") {
  fake_webpush service;  // on http://127.0.0.1
  temp_dir dir;
  e2e_fixture f({"--push-grace-ms", "0", "--webpush-vapid-key", vapid_key(dir),
                 "--webpush-subject", "mailto:ops@example.org"});
  auto sub = json::parse(service.subscription()).as_object();
  const std::string plain(
      sub["endpoint"].as_string());  // http://127.0.0.1:P/..
  auto call = [&](const std::string& method, const json::object& body = {}) {
    return http_request(f.node.port(), method, "/v1/devices",
                        body.empty() ? "" : json::serialize(body),
                        "Bearer " + f.node.token("bob"));
  };
  auto register_endpoint = [&](const std::string& endpoint) {
    sub["endpoint"] = endpoint;
    return call("POST", json::object{{"platform", "webpush"},
                                     {"token", json::serialize(sub)}});
  };
  // Refused when registered: plain http:, and no subscription at all.
  auto r = register_endpoint(plain);
  CHECK(r.status == 400);
  CHECK(r.json().at("error").at("message") ==
        "a webpush endpoint is an https: URL");
  r = call("POST", json::object{{"platform", "webpush"}, {"token", "a-token"}});
  CHECK(r.status == 400);
  CHECK(r.json().at("error").at("code") == "bad_request");
  // So is an https: URL whose host is an address of this machine.
  const auto port_and_path = plain.substr(plain.rfind(':'));
  r = register_endpoint("https://127.0.0.1" + port_and_path);
  CHECK(r.status == 400);
  CHECK(r.json().at("error").at("message") ==
        "a webpush endpoint's host is not a public address");
  // A name that points here is taken (where a name points is known only
  // when connecting); its push opens no connection and waits, and the
  // device is kept (this network's DNS may be what is wrong).
  REQUIRE(register_endpoint("https://localhost" + port_and_path).status == 204);
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  REQUIRE(e2e_fixture::send(*alice, conv, "hi", "m1")["type"] == "sent");
  wait_metric(f.node,
              "switchboard_push_failures_total{provider="
              "\"webpush\",reason=\"endpoint_not_public\"}",
              1);
  CHECK(metric(f.node.port(),
               "switchboard_push_sends_total{provider="
               "\"webpush\",outcome=\"retry\"}") == 1);
  CHECK(metric(f.node.port(), "switchboard_push_devices_removed_total") == 0);
  CHECK(metric(f.node.port(), "switchboard_push_backlog") == 1);
  auto listed = call("GET").json();
  CHECK(listed.at("devices").as_array().size() == 1);
  CHECK(service.requests().empty());
}

TEST_CASE(
    "an offline member's iPhone gets one APNs alert per burst over HTTP/2, "
    "and a background push clears it when read elsewhere",
    "[e2e][push][apns]") {
  fake_apns apple;
  temp_dir dir;
  e2e_fixture f(apns_args(apple, dir, 300));
  const std::string phone = "0123456789abcdef0123456789abcdef";
  add_device(f.node, "bob", phone, "apns");
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  for (int i = 1; i <= 3; ++i)
    REQUIRE(e2e_fixture::send(*alice, conv, "m",
                              "m" + std::to_string(i))["type"] == "sent");
  wait_settled(f.node, 1, 1);
  wait_metric(f.node, "switchboard_push_sent_total", 1);
  INFO(apple.problem());
  CHECK(apple.problem().empty());
  auto got = apple.pushes();
  REQUIRE(got.size() == 1);
  CHECK(got[0].token == phone);
  CHECK(got[0].headers.at("apns-push-type") == "alert");
  CHECK(got[0].headers.at("apns-collapse-id") == conv);
  CHECK(got[0].payload.at("msg_id") == 3);
  CHECK(got[0].payload.at("aps").at("badge") == 1);
  CHECK(metric(f.node.port(),
               "switchboard_push_sends_total{provider="
               "\"apns\",outcome=\"sent\"}") == 1);

  auto bob = f.connect("bob");
  bob->send(json::object{{"type", "read"}, {"conv_id", conv}, {"msg_id", 3}});
  REQUIRE(apple.wait_for(2, 20s));
  got = apple.pushes();
  REQUIRE(got.size() == 2);
  CHECK(got[1].headers.at("apns-push-type") == "background");
  CHECK(got[1].payload.at("clear") == true);
  CHECK(got[1].payload.at("badge") == 0);
  CHECK(apple.connections() == 1);
}

TEST_CASE(
    "APNs 410 Unregistered removes the iPhone: the next burst is not sent "
    "to it",
    "[e2e][push][apns]") {
  fake_apns apple;
  temp_dir dir;
  e2e_fixture f(apns_args(apple, dir, 0));
  const std::string phone = "fedcba9876543210fedcba9876543210";
  add_device(f.node, "bob", phone, "apns");
  // Unregistered since a moment after the registration.
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  apple.unregister(phone, now_ms + 1000);
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  REQUIRE(e2e_fixture::send(*alice, conv, "hi", "m1")["type"] == "sent");
  REQUIRE(apple.wait_for(1, 20s));
  wait_settled(f.node, 1, 1);
  CHECK(metric(f.node.port(),
               "switchboard_push_sends_total{provider="
               "\"apns\",outcome=\"gone\"}") == 1);
  CHECK(metric(f.node.port(),
               "switchboard_push_failures_total{provider="
               "\"apns\",reason=\"Unregistered\"}") == 1);
  wait_metric(f.node, "switchboard_push_devices_removed_total", 1);
  REQUIRE(e2e_fixture::send(*alice, conv, "again", "m2")["type"] == "sent");
  wait_settled(f.node, 2, 1);
  CHECK(apple.requests().size() == 1);
}

TEST_CASE(
    "a push provider's configuration it cannot use stops the node at "
    "start, saying why",
    "[e2e][push]") {
  temp_dir dir;
  auto garbage = (dir.path() / "garbage").string();
  std::ofstream(garbage) << "not a key";
  auto refused = [&](std::vector<std::string> extra, const std::string& why) {
    std::vector<std::string> a{
        "serve",      "--data-dir",  (dir.path() / "data").string(),
        "--listen",   "127.0.0.1:0", "--admin-listen",
        "127.0.0.1:0"};
    a.insert(a.end(), extra.begin(), extra.end());
    auto r = run_switchboard(a);
    INFO(r.output);
    CHECK(r.status != 0);
    CHECK(r.output.find(why) != std::string::npos);
  };
  refused({"--push-gateway-url", "http://127.0.0.1:9"},
          "--push-gateway-url needs --push-gateway-app-id");
  refused({"--fcm-credentials", (dir.path() / "missing.json").string()},
          "--fcm-credentials: cannot read");
  refused({"--fcm-credentials", garbage},
          "the FCM credentials are not a JSON object");
  refused({"--webpush-vapid-key", garbage, "--webpush-subject", "mailto:a@b"},
          "not a P-256 private key in PEM");
  refused({"--apns-key", garbage, "--apns-key-id", "K", "--apns-team-id", "T",
           "--apns-topic", "org.example.chat"},
          "not a P-256 private key in PEM");
  refused({"--apns-key", garbage}, "--apns-key-id, --apns-team-id");
  refused({"--apns-url", "http://127.0.0.1:9"}, "APNs is HTTP/2 over TLS");
  refused({"--fcm-url", "ftp://127.0.0.1:9"},
          "--fcm-url: expected http(s)://HOST[:PORT]");
  refused(
      {"--push-gateway-url", "ftp://127.0.0.1:9", "--push-gateway-app-id", "a"},
      "--push-gateway-url: expected http://HOST:PORT or https://");
  refused({"--push-ca-file", (dir.path() / "missing.pem").string()},
          "--push-ca-file: cannot read");
  refused({"--webpush-allow-private", "yes"},
          "--webpush-allow-private: expected true or false");
}
