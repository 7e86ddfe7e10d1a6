#include "tests/cluster_e2e/cluster_fixture.hpp"

using namespace switchboard::testing;
namespace json = boost::json;

TEST_CASE("a sender's other device on another node gets its messages",
          "[cluster][e2e]") {
  cluster_fixture cl(2);
  cl.rebalance();
  // alice is homed on n1 and sends from n1 into a conversation of n1; her
  // other device is on n2. Only her user actor (on n1) knows of it.
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob_id = user_homed_on(cl, "n2", "bob");
  auto alice = cl.connect(1, alice_id);
  auto alice2 = cl.connect(2, alice_id);
  auto bob = cl.connect(2, bob_id);
  auto conv = group_on(cl, *alice, "n1", {alice_id, bob_id});
  auto sent = e2e_fixture::send(*alice, conv, "to every device", "m1");
  REQUIRE(sent["type"] == "sent");
  auto mine = alice2->expect("message");
  CHECK(mine["body"] == "to every device");
  CHECK(mine["msg_id"] == sent["msg_id"]);
  CHECK(bob->expect("message")["msg_id"] == sent["msg_id"]);
  // Her read on n1 reaches her device on n2 as a receipt too.
  alice->send(json::object{
      {"type", "read"}, {"conv_id", conv}, {"msg_id", sent["msg_id"]}});
  auto r = alice2->expect("receipt");
  CHECK(str(r["user_id"]) == alice_id);
}
