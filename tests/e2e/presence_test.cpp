#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

namespace {
json::object status_of(json::object frame, const std::string& user) {
  for (auto& s : frame["statuses"].as_array())
    if (s.as_object().at("user_id") == user.c_str()) return s.as_object();
  FAIL("no status for " << user);
  return {};
}
}  // namespace

TEST_CASE_METHOD(e2e_fixture,
                 "presence tells who is online and when others were last seen",
                 "[e2e][presence]") {
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto p =
      alice->request({{"type", "presence"}, {"user_ids", {"bob", "carol"}}});
  REQUIRE(p["type"] == "presence");
  CHECK(status_of(p, "bob")["online"] == true);
  CHECK(status_of(p, "carol")["online"] == false);
  CHECK(status_of(p, "carol")["last_seen"].is_null());
}

TEST_CASE_METHOD(e2e_fixture, "a subscriber hears when a user comes and goes",
                 "[e2e][presence]") {
  auto alice = connect("alice");
  auto sub = alice->request(
      {{"type", "presence"}, {"user_ids", {"bob"}}, {"subscribe", true}});
  CHECK(status_of(sub, "bob")["online"] == false);
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  {
    auto bob = connect("bob");
    auto on = alice->expect("presence");
    CHECK(status_of(on, "bob")["online"] == true);
    auto bob2 = connect("bob");  // a second device changes nothing
  }
  // Both of bob's connections closed: offline, with last_seen.
  auto off = alice->expect("presence");
  while (status_of(off, "bob")["online"] == true)
    off = alice->expect("presence");
  auto st = status_of(off, "bob");
  CHECK(st["online"] == false);
  CHECK(json::value_to<std::int64_t>(st["last_seen"]) >= before);
  auto q = alice->request({{"type", "presence"}, {"user_ids", {"bob"}}});
  CHECK(status_of(q, "bob")["last_seen"] == st["last_seen"]);
}

TEST_CASE_METHOD(e2e_fixture, "typing reaches the other members only",
                 "[e2e][presence]") {
  auto alice = connect("alice");
  auto alice2 = connect("alice");
  auto bob = connect("bob");
  auto conv = create(*alice, "direct", {"bob"});
  alice->send(json::object{{"type", "typing"}, {"conv_id", conv}});
  auto t = bob->expect("typing");
  CHECK(t["conv_id"] == conv.c_str());
  CHECK(t["user_id"] == "alice");
  // alice's other device does not see her own typing: the first typing it
  // sees is bob's, sent after hers.
  bob->send(json::object{{"type", "typing"}, {"conv_id", conv}});
  CHECK(alice2->expect("typing")["user_id"] == "bob");
  auto mallory = connect("mallory");
  CHECK(mallory->request({{"type", "typing"}, {"conv_id", conv}})["code"] ==
        "forbidden");
}
