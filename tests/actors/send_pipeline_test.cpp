// The conversation's send pipeline (actors/send_pipeline.hpp) without its
// actor: the order in which sends are handed out, and when a duplicate may
// be answered.
#include "actors/send_pipeline.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using switchboard::actors::duplicate_holds;
using switchboard::actors::send_queue;
using switchboard::actors::sent_id;

TEST_CASE("sends that come during a lookup wait for it, in arrival order",
          "[send_pipeline]") {
  send_queue<int> q;
  CHECK(q.take().empty());
  q.push(1);
  q.push(2);
  auto first = q.take();
  CHECK(first == std::vector<int>{1, 2});
  CHECK(q.empty());
  q.lookup_started();  // the batch {1, 2} needs the store
  q.push(3);
  q.push(4);
  CHECK(q.take().empty());  // 3 and 4 must not overtake 1 and 2
  CHECK_FALSE(q.empty());
  CHECK(q.looking_up());
  q.lookup_done();
  CHECK(q.take() == std::vector<int>{3, 4});
  q.push(5);
  CHECK(q.drop() == std::vector<int>{5});
  CHECK(q.empty());
}

TEST_CASE("a duplicate is answered once its original is durable",
          "[send_pipeline]") {
  duplicate_holds<std::string> d;
  // The original is durable and confirmed: answered at once.
  auto now = d.hold("a", sent_id{3, 30}, 5, true);
  REQUIRE(now);
  CHECK(*now == "a");
  CHECK(d.empty());
  // Still being written: held until it is.
  CHECK_FALSE(d.hold("b", sent_id{7, 70}, 5, true));
  CHECK_FALSE(d.hold("c", sent_id{6, 60}, 5, true));
  CHECK_FALSE(d.hold("d", sent_id{9, 90}, 5, true));
  CHECK(d.durable(5).empty());
  auto upto7 = d.durable(7);
  REQUIRE(upto7.size() == 2);
  CHECK(upto7[0].first == "c");  // in msg_id order
  CHECK(upto7[0].second.msg_id == 6);
  CHECK(upto7[0].second.ts == 60);
  CHECK(upto7[1].first == "b");
  CHECK_FALSE(d.empty());
  // The write of 8..9 failed: its duplicates are refused, not answered.
  CHECK(d.failed(9) == std::vector<std::string>{"d"});
  CHECK(d.empty());
}

TEST_CASE(
    "with copies a duplicate of a stored message waits for a confirming "
    "write",
    "[send_pipeline]") {
  duplicate_holds<std::string> d;
  CHECK_FALSE(d.hold("a", sent_id{2, 20}, 5, false));
  CHECK(d.awaiting_confirmation());
  // Durability alone does not answer it, nor does a failed write refuse it.
  CHECK(d.durable(5).empty());
  CHECK(d.failed(5).empty());
  auto c = d.confirm();
  REQUIRE(c.size() == 1);
  CHECK(c[0].first == "a");
  CHECK(c[0].second.msg_id == 2);
  CHECK_FALSE(d.awaiting_confirmation());
  CHECK(d.empty());
  // A reload refuses everything held, of both kinds.
  CHECK_FALSE(d.hold("b", sent_id{2, 20}, 5, false));
  CHECK_FALSE(d.hold("c", sent_id{8, 80}, 5, false));
  CHECK(d.drop().size() == 2);
  CHECK(d.empty());
}
