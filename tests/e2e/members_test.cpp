#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

namespace {
json::object members_frame(const std::string& conv,
                           std::vector<std::string> add,
                           std::vector<std::string> remove) {
  json::object f{{"type", "members"}, {"conv_id", conv}};
  if (!add.empty()) f["add"] = json::value_from(add);
  if (!remove.empty()) f["remove"] = json::value_from(remove);
  return f;
}
}  // namespace

TEST_CASE_METHOD(e2e_fixture,
                 "any member adds, old, new and removed members hear of it",
                 "[e2e][members]") {
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto conv = create(*alice, "group", {"bob"});
  bob->expect("members");  // the creation
  auto ok = bob->request(members_frame(conv, {"carol"}, {}));
  CHECK(ok["type"] == "ok");
  auto ev = alice->expect("members");
  CHECK(ev["added"] == json::array{"carol"});
  CHECK(ev["removed"].as_array().empty());
  CHECK(bob->expect("members")["added"] == json::array{"carol"});
  // carol was offline: her inbox has the conversation, and she may send.
  auto carol = connect("carol");
  CHECK(carol->request({{"type", "conversations"}})["conversations"]
            .as_array()
            .size() == 1);
  CHECK(send(*carol, conv, "hi", "c1")["type"] == "sent");
  // Adding a member again changes nothing: ok, and no event.
  CHECK(alice->request(members_frame(conv, {"carol"}, {}))["type"] == "ok");
}

TEST_CASE_METHOD(e2e_fixture,
                 "only the creator removes others, anyone may leave",
                 "[e2e][members]") {
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto carol = connect("carol");
  auto conv = create(*alice, "group", {"bob", "carol"});
  auto no = bob->request(members_frame(conv, {}, {"carol"}));
  CHECK(no["type"] == "error");
  CHECK(no["code"] == "forbidden");
  auto leave = bob->request(members_frame(conv, {}, {"bob"}));
  CHECK(leave["type"] == "ok");
  auto ev = carol->expect("members");  // creation
  ev = carol->expect("members");
  CHECK(ev["removed"] == json::array{"bob"});
  // bob's devices learn it too, and bob is no longer a member.
  auto bob_ev = bob->wait_for("members", 5s);
  while (bob_ev && (*bob_ev)["removed"].as_array().empty())
    bob_ev = bob->wait_for("members", 5s);
  REQUIRE(bob_ev);
  auto after = send(*bob, conv, "still here?", "x");
  CHECK(after["code"] == "forbidden");
  CHECK(alice->request(members_frame(conv, {}, {"carol"}))["type"] == "ok");
}

TEST_CASE_METHOD(e2e_fixture, "direct conversations have fixed members",
                 "[e2e][members]") {
  auto alice = connect("alice");
  auto conv = create(*alice, "direct", {"bob"});
  auto r = alice->request(members_frame(conv, {"carol"}, {}));
  CHECK(r["code"] == "bad_request");
}

TEST_CASE_METHOD(e2e_fixture, "non-members cannot change members",
                 "[e2e][members]") {
  auto alice = connect("alice");
  auto mallory = connect("mallory");
  auto conv = create(*alice, "group", {"bob"});
  CHECK(mallory->request(members_frame(conv, {"mallory"}, {}))["code"] ==
        "forbidden");
  CHECK(mallory->request(members_frame("gnope", {"mallory"}, {}))["code"] ==
        "forbidden");
  CHECK(alice->request({{"type", "members"}, {"conv_id", conv}})["code"] ==
        "bad_request");
}

TEST_CASE("in a channel a receipt goes to the reader's own devices only",
          "[e2e][members][channel]") {
  e2e_fixture f({"--fanout-threshold", "2"});
  auto alice = f.connect("alice");
  auto bob = f.connect("bob");
  auto bob2 = f.connect("bob");
  auto conv = e2e_fixture::create(*alice, "group", {"bob", "carol"});
  auto sent = e2e_fixture::send(*alice, conv, "to the channel", "1");
  bob->send(json::object{
      {"type", "read"}, {"conv_id", conv}, {"msg_id", sent["msg_id"]}});
  // Bob's other device learns it.
  auto r = bob2->expect("receipt");
  CHECK(r["user_id"] == "bob");
  // Alice does not: bob's typing, sent by the conversation after the
  // receipt, reaches her first.
  bob->send(json::object{{"type", "typing"}, {"conv_id", conv}});
  alice->expect("typing");
  CHECK_FALSE(alice->has("receipt"));
}

TEST_CASE("max-members-per-request bounds one members request",
          "[e2e][members]") {
  e2e_fixture f({"--max-members-per-request", "2"});
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  CHECK(alice->request(members_frame(conv, {"c1", "c2", "c3"}, {}))["code"] ==
        "bad_request");
  CHECK(alice->request(members_frame(conv, {"c1", "c2"}, {}))["type"] == "ok");
}

TEST_CASE("typing-interval-ms drops typing repeated within it",
          "[e2e][members]") {
  for (bool throttled : {true, false}) {
    INFO("throttled: " << throttled);
    e2e_fixture f({"--typing-interval-ms", throttled ? "60000" : "0"});
    auto alice = f.connect("alice");
    auto bob = f.connect("bob");
    auto conv = e2e_fixture::create(*alice, "direct", {"bob"});
    for (int i = 0; i < 2; ++i)
      alice->send(json::object{{"type", "typing"}, {"conv_id", conv}});
    // A message from alice after both: whatever typing reached bob did so
    // before it (one conversation actor, one user actor, in order).
    e2e_fixture::send(*alice, conv, "marker", "m");
    bob->expect("message");
    int typings = 0;
    while (bob->has("typing")) ++typings;  // has() takes the frame
    CHECK(typings == (throttled ? 1 : 2));
  }
}
