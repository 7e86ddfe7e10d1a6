#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

TEST_CASE_METHOD(e2e_fixture, "a direct message reaches the peer and the sender's other devices",
                 "[e2e][messaging]") {
  auto alice = connect("alice");
  auto alice2 = connect("alice");
  auto bob = connect("bob");
  auto conv = create(*alice, "direct", {"bob"});
  auto sent = send(*alice, conv, "hello bob", "c1");
  REQUIRE(sent["type"] == "sent");
  CHECK(u64(sent["msg_id"]) == 1);
  CHECK(sent["duplicate"] == false);
  CHECK(sent["client_msg_id"] == "c1");
  auto m = bob->expect("message");
  CHECK(m["conv_id"] == conv.c_str());
  CHECK(u64(m["msg_id"]) == 1);
  CHECK(m["sender"] == "alice");
  CHECK(m["body"] == "hello bob");
  CHECK(m["client_msg_id"] == "c1");
  CHECK(m["ts"] == sent["ts"]);
  auto m2 = alice2->expect("message");
  CHECK(m2["body"] == "hello bob");
  // The sending connection got `sent`, not the message: the first message
  // it sees is bob's reply, which the conversation fanned out after msg 1.
  send(*bob, conv, "hi alice", "b1");
  CHECK(u64(alice->expect("message")["msg_id"]) == 2);
}
