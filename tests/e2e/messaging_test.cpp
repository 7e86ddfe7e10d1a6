#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

TEST_CASE_METHOD(
    e2e_fixture,
    "a direct message reaches the peer and the sender's other devices",
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

TEST_CASE_METHOD(e2e_fixture, "a direct conversation is unique per pair",
                 "[e2e][messaging]") {
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto first = alice->request(
      {{"type", "create"}, {"kind", "direct"}, {"members", {"bob"}}});
  CHECK(first["existed"] == false);
  CHECK(first["kind"] == "direct");
  CHECK(first["members"].as_array().size() == 2);
  // bob's device learns of the new conversation.
  auto ev = bob->expect("members");
  CHECK(ev["conv_id"] == first["conv_id"]);
  CHECK(ev["added"].as_array().size() == 2);
  CHECK(ev["removed"].as_array().empty());
  auto again = bob->request(
      {{"type", "create"}, {"kind", "direct"}, {"members", {"alice"}}});
  CHECK(again["existed"] == true);
  CHECK(again["conv_id"] == first["conv_id"]);
}

TEST_CASE_METHOD(e2e_fixture, "a group is created with its title and members",
                 "[e2e][messaging]") {
  auto alice = connect("alice");
  auto carol = connect("carol");
  auto r = alice->request({{"type", "create"},
                           {"kind", "group"},
                           {"members", {"bob", "carol"}},
                           {"title", "Friends"}});
  REQUIRE(r["type"] == "created");
  CHECK(r["existed"] == false);
  CHECK(r["members"].as_array().size() == 3);
  CHECK(carol->expect("members")["conv_id"] == r["conv_id"]);
  auto inbox = carol->request({{"type", "conversations"}});
  REQUIRE(inbox["conversations"].as_array().size() == 1);
  auto& e = inbox["conversations"].as_array()[0].as_object();
  CHECK(e["title"] == "Friends");
  CHECK(e["kind"] == "group");
  CHECK(e["last_msg_id"] == 0);
}

TEST_CASE_METHOD(e2e_fixture,
                 "a repeated client_msg_id returns the original msg_id and is "
                 "delivered once",
                 "[e2e][messaging]") {
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto conv = create(*alice, "direct", {"bob"});
  auto first = send(*alice, conv, "once", "same");
  auto again = send(*alice, conv, "once", "same");
  CHECK(again["type"] == "sent");
  CHECK(again["duplicate"] == true);
  CHECK(again["msg_id"] == first["msg_id"]);
  CHECK(again["ts"] == first["ts"]);
  send(*alice, conv, "next", "other");
  CHECK(u64(bob->expect("message")["msg_id"]) == 1);
  CHECK(u64(bob->expect("message")["msg_id"]) == 2);  // no second copy of 1
}

TEST_CASE_METHOD(unlimited_fixture,
                 "a retry after hundreds of newer messages is still a "
                 "duplicate, with the original's id and ts",
                 "[e2e][messaging]") {
  auto alice = connect("alice");
  auto conv = create(*alice, "direct", {"bob"});
  auto first = send(*alice, conv, "first", "c0");
  // Many sends in flight at once, so they are accepted in batches.
  for (int i = 1; i <= 600; ++i)
    alice->send(json::object{{"type", "send"},
                             {"conv_id", conv},
                             {"client_msg_id", "c" + std::to_string(i)},
                             {"body", "m"}});
  for (int i = 1; i <= 600; ++i)
    CHECK(alice->expect("sent")["duplicate"] == false);
  auto again = send(*alice, conv, "first", "c0");
  CHECK(again["duplicate"] == true);
  CHECK(again["msg_id"] == first["msg_id"]);
  CHECK(again["ts"] == first["ts"]);
  auto mid = send(*alice, conv, "m", "c300");
  CHECK(mid["duplicate"] == true);
  CHECK(u64(mid["msg_id"]) == 301);
  CHECK(history_ids(*alice, conv).size() == 601);
}

TEST_CASE_METHOD(e2e_fixture, "sync pages history in both directions",
                 "[e2e][messaging]") {
  auto alice = connect("alice");
  auto conv = create(*alice, "group", {"bob"});
  for (int i = 1; i <= 5; ++i)
    send(*alice, conv, "m" + std::to_string(i), "c" + std::to_string(i));
  auto ids = [](json::object& h) {
    std::vector<std::uint64_t> v;
    for (auto& m : h["messages"].as_array())
      v.push_back(json::value_to<std::uint64_t>(m.as_object()["msg_id"]));
    return v;
  };
  auto h = alice->request(
      {{"type", "sync"}, {"conv_id", conv}, {"after", 1}, {"limit", 2}});
  CHECK(h["type"] == "history");
  CHECK(ids(h) == std::vector<std::uint64_t>{2, 3});
  CHECK(h["has_more"] == true);
  h = alice->request({{"type", "sync"}, {"conv_id", conv}, {"after", 3}});
  CHECK(ids(h) == std::vector<std::uint64_t>{4, 5});
  CHECK(h["has_more"] == false);
  h = alice->request(
      {{"type", "sync"}, {"conv_id", conv}, {"before", 4}, {"limit", 2}});
  CHECK(ids(h) == std::vector<std::uint64_t>{3, 2});
  CHECK(h["has_more"] == true);
  h = alice->request({{"type", "sync"}, {"conv_id", conv}, {"limit", 3}});
  CHECK(ids(h) == std::vector<std::uint64_t>{5, 4, 3});
  h = alice->request({{"type", "sync"}, {"conv_id", conv}, {"before", 1}});
  CHECK(ids(h).empty());
  CHECK(h["has_more"] == false);
  auto m = h =
      alice->request({{"type", "sync"}, {"conv_id", conv}, {"after", 4}});
  auto& msg = m["messages"].as_array()[0].as_object();
  CHECK(msg["body"] == "m5");
  CHECK(msg["sender"] == "alice");
  CHECK(msg["client_msg_id"] == "c5");
  CHECK(msg["conv_id"] == conv.c_str());
  for (auto limit : {0, 201}) {
    auto e =
        alice->request({{"type", "sync"}, {"conv_id", conv}, {"limit", limit}});
    CHECK(e["type"] == "error");
    CHECK(e["code"] == "bad_request");
  }
  auto both = alice->request(
      {{"type", "sync"}, {"conv_id", conv}, {"after", 1}, {"before", 3}});
  CHECK(both["code"] == "bad_request");
}

TEST_CASE_METHOD(
    e2e_fixture,
    "receipts reach the other members and the reader's other devices",
    "[e2e][messaging]") {
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto bob2 = connect("bob");
  auto conv = create(*alice, "direct", {"bob"});
  send(*alice, conv, "one", "1");
  send(*alice, conv, "two", "2");
  bob->expect("message");
  bob->expect("message");
  bob->send(json::object{{"type", "ack"}, {"conv_id", conv}, {"msg_id", 1}});
  auto r = alice->expect("receipt");
  CHECK(r["state"] == "delivered");
  CHECK(r["user_id"] == "bob");
  CHECK(r["msg_id"] == 1);
  CHECK(bob2->expect("receipt")["msg_id"] == 1);
  // read past the last counts as the last, and moves delivered too.
  bob->send(json::object{{"type", "read"}, {"conv_id", conv}, {"msg_id", 99}});
  auto d = alice->expect("receipt");
  CHECK(d["state"] == "delivered");
  CHECK(d["msg_id"] == 2);
  auto rd = alice->expect("receipt");
  CHECK(rd["state"] == "read");
  CHECK(rd["msg_id"] == 2);
  // The reading connection itself gets no receipt: its first is for alice's
  // ack.
  alice->send(json::object{{"type", "ack"}, {"conv_id", conv}, {"msg_id", 2}});
  auto own = bob->expect("receipt");
  CHECK(own["user_id"] == "alice");
}

TEST_CASE_METHOD(e2e_fixture,
                 "an offline user catches up through the inbox and sync",
                 "[e2e][messaging]") {
  auto alice = connect("alice");
  auto conv = create(*alice, "direct", {"bob"});
  for (int i = 1; i <= 3; ++i)
    send(*alice, conv, "m" + std::to_string(i), std::to_string(i));
  auto bob = connect("bob");
  auto inbox = bob->request({{"type", "conversations"}});
  REQUIRE(inbox["type"] == "inbox");
  auto& list = inbox["conversations"].as_array();
  REQUIRE(list.size() == 1);
  auto& e = list[0].as_object();
  CHECK(e["conv_id"] == conv.c_str());
  CHECK(e["last_msg_id"] == 3);
  CHECK(e["unread"] == 3);
  CHECK(e["read_upto"] == 0);
  CHECK(e["delivered_upto"] == 0);
  auto h = bob->request({{"type", "sync"}, {"conv_id", conv}, {"after", 0}});
  CHECK(h["messages"].as_array().size() == 3);
  bob->send(json::object{{"type", "read"}, {"conv_id", conv}, {"msg_id", 2}});
  alice->expect("receipt");
  inbox = bob->request({{"type", "conversations"}});
  auto& e2 = inbox["conversations"].as_array()[0].as_object();
  CHECK(e2["unread"] == 1);
  CHECK(e2["read_upto"] == 2);
  CHECK(e2["delivered_upto"] == 2);
  // alice's own messages never count as unread for her.
  auto a = alice->request({{"type", "conversations"}});
  CHECK(a["conversations"].as_array()[0].as_object()["unread"] == 0);
}

TEST_CASE_METHOD(e2e_fixture,
                 "frames of every length encoding arrive whole and in order",
                 "[e2e][messaging]") {
  // Server frames are written many per TCP write: short frames (< 126
  // bytes), 16-bit lengths (a 4 KB message) and 64-bit lengths (a history
  // page of 100 KB) back to back must each arrive whole.
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto conv = create(*alice, "direct", {"bob"});
  const int n = 25;
  for (int i = 0; i < n; ++i) {
    std::string body(4000, static_cast<char>('a' + i));
    REQUIRE(send(*alice, conv, body, "c" + std::to_string(i))["type"] ==
            "sent");
  }
  for (int i = 0; i < n; ++i) {
    auto m = bob->expect("message");
    CHECK(u64(m["msg_id"]) == static_cast<std::uint64_t>(i + 1));
    CHECK(str(m["body"]) == std::string(4000, static_cast<char>('a' + i)));
  }
  auto page = bob->request(
      {{"type", "sync"}, {"conv_id", conv}, {"after", 0}, {"limit", 200}});
  REQUIRE(page["messages"].as_array().size() == static_cast<std::size_t>(n));
  CHECK(bob->request({{"type", "ping"}})["type"] == "pong");
}

namespace {

struct three_io_threads : e2e_fixture {
  three_io_threads() : e2e_fixture({"--net-threads", "3"}) {}
};

}  // namespace

TEST_CASE_METHOD(three_io_threads,
                 "with several I/O threads, connections on different threads "
                 "exchange messages, receipts and REST calls",
                 "[e2e][messaging]") {
  // Connections are placed on the I/O threads in turn: these four (and
  // the REST call's) do not all share one.
  auto alice = connect("alice");
  auto alice2 = connect("alice");
  auto bob = connect("bob");
  auto carol = connect("carol");
  auto conv = create(*alice, "group", {"bob", "carol"});
  CHECK(bob->expect("members")["conv_id"] == conv.c_str());
  for (int i = 1; i <= 20; ++i)
    send(*alice, conv, "m" + std::to_string(i), "a" + std::to_string(i));
  for (auto* c : {bob.get(), carol.get(), alice2.get()})
    for (std::uint64_t i = 1; i <= 20; ++i)
      CHECK(u64(c->expect("message")["msg_id"]) == i);
  bob->send(json::object{{"type", "read"}, {"conv_id", conv}, {"msg_id", 20}});
  auto r = alice->expect("receipt");
  CHECK(r["user_id"] == "bob");
  CHECK(u64(r["msg_id"]) == 20);
  auto rest = http_request(node.port(), "GET",
                           "/v1/conversations/" + conv + "/messages?after=0",
                           "", "Bearer " + node.token("carol"));
  CHECK(rest.status == 200);
  CHECK(rest.json()["messages"].as_array().size() == 20);
}

TEST_CASE("an ack's cursor write shares the group commit of the next message",
          "[e2e][cursor]") {
  // A linger far longer than the test: only the message can take it out.
  e2e_fixture f({"--cursor-linger-ms", "1000"});
  auto alice = f.connect("alice");
  auto bob = f.connect("bob");
  auto conv = e2e_fixture::create(*alice, "direct", {"bob"});
  auto m1 = e2e_fixture::send(*alice, conv, "one", "m1");
  bob->expect("message");
  auto groups = [&] {
    return metric(f.node.port(), "switchboard_commit_batch_size_count");
  };
  auto singles = [&] {
    return metric(f.node.port(),
                  "switchboard_commit_batch_size_bucket{le=\"1\"}");
  };
  auto shared_before = groups() - singles();
  // The ack, then a message of the same connection: the conversation
  // submits the cursor's write, then the message's.
  bob->send(json::object{
      {"type", "ack"}, {"conv_id", conv}, {"msg_id", m1["msg_id"]}});
  auto m2 = e2e_fixture::send(*bob, conv, "two", "m2");
  REQUIRE(m2["type"] == "sent");
  auto r = alice->expect("receipt");
  CHECK(r["state"] == "delivered");
  CHECK(r["msg_id"] == m1["msg_id"]);
  CHECK(groups() - singles() == shared_before + 1);
}

TEST_CASE("cursor-linger-ms outside 0..1000 is refused at start",
          "[e2e][cursor]") {
  temp_dir dir;
  auto r = run_switchboard({"serve", "--data-dir", dir.str(), "--listen",
                            "127.0.0.1:0", "--cursor-linger-ms", "1001"});
  CHECK(r.status == 2);
  CHECK(r.output.find("cursor-linger-ms") != std::string::npos);
}
