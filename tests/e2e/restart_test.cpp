#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

TEST_CASE_METHOD(e2e_fixture,
                 "after a restart ids continue without a gap and dedup holds",
                 "[e2e][restart]") {
  std::string conv;
  {
    auto alice = connect("alice");
    conv = create(*alice, "direct", {"bob"});
    for (int i = 1; i <= 3; ++i)
      send(*alice, conv, "m" + std::to_string(i), "c" + std::to_string(i));
  }
  REQUIRE(node.stop() == 0);
  node.start();
  auto alice = connect("alice");
  auto dup = send(*alice, conv, "m2", "c2");
  CHECK(dup["duplicate"] == true);
  CHECK(dup["msg_id"] == 2);
  auto next = send(*alice, conv, "m4", "c4");
  CHECK(next["msg_id"] == 4);
  CHECK(next["duplicate"] == false);
  auto h = alice->request({{"type", "sync"}, {"conv_id", conv}, {"after", 0}});
  CHECK(h["messages"].as_array().size() == 4);
  // The direct conversation is still the same one.
  auto again = alice->request(
      {{"type", "create"}, {"kind", "direct"}, {"members", {"bob"}}});
  CHECK(again["existed"] == true);
  CHECK(again["conv_id"] == conv.c_str());
}

TEST_CASE_METHOD(e2e_fixture,
                 "acknowledged messages survive SIGKILL of the node",
                 "[e2e][restart]") {
  std::string conv;
  {
    auto alice = connect("alice");
    conv = create(*alice, "group", {"bob"});
    for (int i = 1; i <= 20; ++i) send(*alice, conv, "m", std::to_string(i));
  }
  node.kill();
  node.start();
  auto bob = connect("bob");
  auto h = bob->request(
      {{"type", "sync"}, {"conv_id", conv}, {"after", 0}, {"limit", 200}});
  CHECK(h["messages"].as_array().size() == 20);
}
