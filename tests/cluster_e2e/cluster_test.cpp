#include <atomic>
#include <chrono>
#include <set>

#include "cluster/etcd_client.hpp"
#include "cluster/placement.hpp"
#include "tests/cluster_e2e/cluster_fixture.hpp"
#include "tests/support/tcp_proxy.hpp"

using namespace switchboard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// Every message of `conv` as (client_msg_id, msg_id), oldest first, read
// page by page with sync.
}  // namespace

TEST_CASE("three nodes: users on two nodes, their conversation on the third",
          "[cluster][e2e]") {
  cluster_fixture cl(3);
  REQUIRE(cl.rebalance() > 0);
  // Every node owns shards now.
  auto nodes = cl.admin_json(2, "nodes");
  for (auto& n : nodes["nodes"].as_array())
    CHECK(n.as_object().at("shards").as_int64() > 0);

  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob_id = user_homed_on(cl, "n2", "bob");
  // alice connects to n2, bob to n3: neither is on its home node.
  auto alice = cl.connect(2, alice_id);
  auto bob = cl.connect(3, bob_id);
  auto conv = group_on(cl, *alice, "n3", {alice_id, bob_id});

  auto sent = e2e_fixture::send(*alice, conv, "hello across nodes", "m1");
  REQUIRE(sent["type"] == "sent");
  auto ev = bob->expect("message");
  CHECK(ev["body"] == "hello across nodes");
  CHECK(str(ev["sender"]) == alice_id);
  CHECK(ev["msg_id"] == sent["msg_id"]);

  // Idempotent: the same client_msg_id gets the same msg_id.
  auto again = e2e_fixture::send(*alice, conv, "hello across nodes", "m1");
  CHECK(again["msg_id"] == sent["msg_id"]);

  // Receipts and typing go back the other way.
  bob->send(json::object{
      {"type", "read"}, {"conv_id", conv}, {"msg_id", sent["msg_id"]}});
  auto receipt = alice->expect("receipt");
  CHECK(str(receipt["user_id"]) == bob_id);
  bob->send(json::object{{"type", "typing"}, {"conv_id", conv}});
  CHECK(str(alice->expect("typing")["user_id"]) == bob_id);

  // History from either side, gap-free.
  for (int i = 2; i <= 20; ++i)
    REQUIRE(e2e_fixture::send(*bob, conv, "m" + std::to_string(i),
                              "b" + std::to_string(i))["type"] == "sent");
  auto ids = e2e_fixture::history_ids(*alice, conv);
  REQUIRE(ids.size() == 20);
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == i + 1);

  // A member added from a third node hears of it, and of what follows.
  auto carol_id = user_homed_on(cl, "n3", "carol");
  auto carol = cl.connect(1, carol_id);
  auto added = alice->request(json::object{
      {"type", "members"}, {"conv_id", conv}, {"add", json::array{carol_id}}});
  REQUIRE(added["type"] == "ok");
  REQUIRE(e2e_fixture::send(*alice, conv, "welcome carol", "m21")["type"] ==
          "sent");
  CHECK(carol->expect("message")["body"] == "welcome carol");

  // Metrics: alice's node asked n3 for each send; the shards add up.
  CHECK(metric(cl.node(2).port(),
               "switchboard_cluster_requests_total{kind=\"send\",outcome="
               "\"ok\"}") >= 2);
  double owned = 0;
  for (int i = 1; i <= 3; ++i)
    owned += metric(cl.node(i).port(), "switchboard_cluster_shards_owned");
  CHECK(owned == cluster_fixture::shards);

  // A second device of bob on another node gets what the first does.
  auto bob2 = cl.connect(1, bob_id);
  bob->clear();
  REQUIRE(e2e_fixture::send(*alice, conv, "both devices", "m22")["type"] ==
          "sent");
  CHECK(bob->expect("message")["body"] == "both devices");
  CHECK(bob2->expect("message")["body"] == "both devices");
}

TEST_CASE("a dead node costs only its shards, and returns with all it acked",
          "[cluster][e2e]") {
  cluster_fixture cl(3);
  cl.rebalance();
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob_id = user_homed_on(cl, "n1", "bob");
  auto alice = cl.connect(1, alice_id);
  auto bob = cl.connect(1, bob_id);
  auto on3 = group_on(cl, *alice, "n3", {alice_id, bob_id});
  auto on2 = group_on(cl, *alice, "n2", {alice_id, bob_id});
  for (int i = 1; i <= 10; ++i)
    REQUIRE(e2e_fixture::send(*alice, on3, "x",
                              "a" + std::to_string(i))["type"] == "sent");

  // A device is stored with its user's shard, wherever it is asked.
  auto carol_id = user_homed_on(cl, "n3", "carol");
  auto device = [&](int via, const std::string& user, const char* method,
                    const std::string& target) {
    return http_request(cl.node(via).port(), method, target,
                        json::serialize(json::object{{"platform", "fcm"},
                                                     {"token", "tok-" + user}}),
                        "Bearer " + cl.node(via).token(user));
  };
  CHECK(device(1, carol_id, "POST", "/v1/devices").status == 204);
  CHECK(device(2, carol_id, "DELETE", "/v1/devices/tok-" + carol_id).status ==
        204);

  auto epoch_before = cl.admin_json(3, "where " + on3)["epoch"].as_int64();
  cl.node(3).kill();
  // Nor can a device of a user of its shards be stored elsewhere.
  auto refused = device(1, carol_id, "POST", "/v1/devices");
  CHECK(refused.status == 503);
  CHECK(device(1, alice_id, "POST", "/v1/devices").status == 204);
  // The dead node's conversation: unavailable, fast, never a hang.
  auto start = std::chrono::steady_clock::now();
  auto r = e2e_fixture::send(*alice, on3, "y", "a11");
  CHECK(r["type"] == "error");
  CHECK(r["code"] == "unavailable");
  CHECK(r["retry_after_ms"].as_int64() > 0);
  CHECK(std::chrono::steady_clock::now() - start < 2500ms);
  // Everything else keeps working.
  for (int i = 1; i <= 10; ++i)
    REQUIRE(e2e_fixture::send(*alice, on2, "z",
                              "b" + std::to_string(i))["type"] == "sent");

  cl.node(3).start();
  // Back with everything it acknowledged, and writable again.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  json::object back;
  do {
    back = e2e_fixture::send(*alice, on3, "y", "a11");
    if (back["type"] == "sent") break;
    REQUIRE(back["code"] == "unavailable");
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  } while (true);
  CHECK(back["msg_id"] == 11);
  // It leads its shard again only at a new epoch: its own log may have lost
  // a tail a copy holds, so the seqs of the old epoch are never reused.
  CHECK(cl.admin_json(3, "where " + on3)["epoch"].as_int64() > epoch_before);
  auto ids = e2e_fixture::history_ids(*bob, on3);
  REQUIRE(ids.size() == 11);
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == i + 1);
}

TEST_CASE("the conversation list and presence are gathered across nodes",
          "[cluster][e2e]") {
  // A page lists at most 4 members past its first conversation.
  cluster_fixture cl(
      3, {"--inbox-page-members", "4", "--rate-conversations", "1000/1000"});
  cl.rebalance();
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob_id = user_homed_on(cl, "n3", "bob");
  auto dave_id = user_homed_on(cl, "n2", "dave");
  auto alice = cl.connect(2, alice_id);
  auto bob = cl.connect(1, bob_id);
  // Conversations on each of the three nodes, and a direct one.
  std::vector<std::string> convs;
  for (auto n : {"n1", "n2", "n3"})
    convs.push_back(group_on(cl, *alice, n, {alice_id, bob_id}));
  convs.push_back(e2e_fixture::create(*alice, "direct", {bob_id}));
  for (std::size_t i = 0; i < convs.size(); ++i)
    for (std::size_t k = 0; k <= i; ++k)
      REQUIRE(e2e_fixture::send(*bob, convs[i], "hi",
                                "c" + std::to_string(i) + "-" +
                                    std::to_string(k))["type"] == "sent");

  // The whole list, a page at a time: pages end at `limit` conversations
  // (0: none asked) or at 4 members, wherever their conversations live.
  auto all_pages = [&](int limit, ws_client& c) {
    json::array all;
    json::object page{{"has_more", true}};
    std::string after;
    // group_on makes as many groups as it takes to land one on each node,
    // so the pages are not counted; each must move on past the last.
    while (page["has_more"] == true) {
      json::object ask{{"type", "conversations"}};
      if (limit > 0) ask["limit"] = limit;
      if (!after.empty()) ask["after"] = after;
      page = c.request(ask);
      REQUIRE(page["type"] == "inbox");
      auto& l = page["conversations"].as_array();
      CHECK(l.size() <=
            static_cast<std::size_t>(std::min(limit > 0 ? limit : 1000, 2)));
      for (auto& v : l) all.push_back(v);
      if (page["has_more"] == true) {
        auto next = str(page["next_after"]);
        REQUIRE(next > after);
        after = next;
      }
    }
    return all;
  };
  auto list = all_pages(0, *alice);
  // (group_on may have created more groups, which are listed too.)
  REQUIRE(list.size() >= convs.size());
  for (std::size_t i = 0; i < convs.size(); ++i) {
    const json::object* e = nullptr;
    for (auto& v : list)
      if (v.as_object().at("conv_id") == convs[i].c_str()) e = &v.as_object();
    REQUIRE(e != nullptr);
    CHECK(e->at("unread").as_int64() == static_cast<std::int64_t>(i + 1));
    CHECK(e->at("last_msg_id").as_int64() == static_cast<std::int64_t>(i + 1));
    CHECK(e->at("members").as_array().size() == 2);
  }
  // However it is paged, each conversation comes once, in id order.
  for (auto limit : {0, 1, 3}) {
    std::vector<std::string> paged;
    for (auto& v : all_pages(limit, *alice))
      paged.push_back(str(v.as_object().at("conv_id")));
    INFO("limit " << limit);
    CHECK(std::is_sorted(paged.begin(), paged.end()));
    CHECK(std::set<std::string>(paged.begin(), paged.end()).size() ==
          paged.size());
    for (auto& c : convs) CHECK(std::count(paged.begin(), paged.end(), c) == 1);
  }
  // Removed from one: gone from the list, on whichever node it lives.
  auto removed = alice->request(json::object{{"type", "members"},
                                             {"conv_id", convs[2]},
                                             {"remove", json::array{bob_id}}});
  REQUIRE(removed["type"] == "ok");
  std::set<std::string> listed;
  for (auto& v : all_pages(0, *bob))
    listed.insert(str(v.as_object().at("conv_id")));
  CHECK(listed.count(convs[0]) == 1);
  CHECK(listed.count(convs[1]) == 1);
  CHECK(listed.count(convs[2]) == 0);
  CHECK(listed.count(convs[3]) == 1);

  // Presence: bob (homed on n3, connected to n1) watches alice (homed on
  // n1, connected to n2).
  auto sub = bob->request(json::object{{"type", "presence"},
                                       {"user_ids", json::array{alice_id}},
                                       {"subscribe", true}});
  CHECK(status_of(sub, alice_id)["online"] == true);
  // A stranger learns nothing, from any node.
  auto dave = cl.connect(3, dave_id);
  auto p = dave->request(
      json::object{{"type", "presence"}, {"user_ids", json::array{alice_id}}});
  CHECK(status_of(p, alice_id)["online"] == false);
  CHECK(status_of(p, alice_id)["last_seen"].is_null());
  alice->close();
  auto off = bob->expect("presence");
  CHECK(status_of(off, alice_id)["online"] == false);
}

TEST_CASE("a shard moves under load: nothing acknowledged is lost or doubled",
          "[cluster][e2e]") {
  cluster_fixture cl(1, {"--send-rate", "100000", "--send-burst", "100000"});
  auto alice = cl.connect(1, "alice");
  // A group whose shard rendezvous gives to n2 once n2 joins.
  std::string conv;
  for (int i = 0; i < 64 && conv.empty(); ++i) {
    auto c = e2e_fixture::create(*alice, "group", {"alice", "bob"}, "load");
    auto shard = switchboard::storage::shard_of(c, cluster_fixture::shards);
    if (switchboard::cluster::place_shard(shard, {"n1", "n2"}) == "n2")
      conv = c;
  }
  REQUIRE(!conv.empty());

  // A sender that retries `unavailable` with the same client_msg_id, as
  // PROTOCOL.md tells clients to.
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0};
  std::vector<std::pair<std::string, std::uint64_t>> sent;  // cmid, msg_id
  std::atomic<int> unavailable{0};
  std::string failure;
  std::thread sender([&] {
    try {
      ws_client c(cl.node(1).port(), cl.node(1).token("alice"));
      for (int i = 0; !stop || i < 20; ++i) {
        auto cmid = "load-" + std::to_string(i);
        for (;;) {
          auto r = e2e_fixture::send(c, conv, "x", cmid);
          if (r["type"] == "sent") {
            sent.emplace_back(cmid, e2e_fixture::u64(r["msg_id"]));
            ++acked;
            break;
          }
          if (r["code"] != "unavailable") {
            failure = json::serialize(r);
            return;
          }
          ++unavailable;
          std::this_thread::yield();
        }
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  auto wait_acked = [&](int n) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (acked < n && failure.empty()) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::yield();
    }
  };
  wait_acked(20);
  cl.add_node({"--send-rate", "100000", "--send-burst", "100000"});
  auto moved = cl.rebalance();
  wait_acked(acked + 20);
  stop = true;
  sender.join();
  INFO(failure);
  REQUIRE(failure.empty());
  CHECK(moved > 0);
  CHECK(cl.owner_of(conv) == "n2");

  // Every acknowledged message is there once, in order, with no gap.
  auto bob = cl.connect(2, "bob");
  auto history = history_of(*bob, conv);
  REQUIRE(history == sent);
  for (std::size_t i = 0; i < history.size(); ++i)
    CHECK(history[i].second == i + 1);
}

TEST_CASE(
    "refused at start: a live node id, an unreachable etcd, another "
    "shard count",
    "[cluster][e2e]") {
  cluster_fixture cl(1);
  auto base = [&](const std::string& id, const std::string& etcd,
                  const std::string& shards) {
    temp_dir dir;
    return run_switchboard(
        {"serve", "--listen", "127.0.0.1:0", "--admin-listen", "", "--data-dir",
         dir.str(), "--jwt-secret", node_process::secret, "--etcd", etcd,
         "--node-id", id, "--cluster-listen", "127.0.0.1:0", "--shards", shards,
         "--lease-ttl-s", "2"});
  };
  auto dup = base("n1", cl.etcd.url(), "16");
  CHECK(dup.status == 1);
  CHECK(dup.output.find("already") != std::string::npos);
  CHECK(dup.output.find("n1") != std::string::npos);

  auto port = free_loopback_port();
  auto lost = base("n9", "http://127.0.0.1:" + std::to_string(port), "16");
  CHECK(lost.status == 1);
  CHECK(lost.output.find("cannot reach etcd") != std::string::npos);

  auto other = base("n9", cl.etcd.url(), "8");
  CHECK(other.status == 1);
  CHECK(other.output.find("16") != std::string::npos);
  // The cluster was not touched.
  CHECK(cl.admin_json(1, "nodes")["nodes"].as_array().size() == 1);
}

TEST_CASE(
    "a node cut off etcd stops taking writes at its lease's end, and "
    "serves again when etcd is back",
    "[cluster][e2e]") {
  cluster_fixture cl(0);
  tcp_proxy proxy(cl.etcd.client_port());
  cl.add_node({}, proxy.url());  // n1 reaches etcd through the proxy
  cl.add_node();
  cl.rebalance();
  auto alice_id = user_homed_on(cl, "n2", "alice");
  auto alice = cl.connect(2, alice_id);
  auto on1 = group_on(cl, *alice, "n1", {alice_id});
  auto on2 = group_on(cl, *alice, "n2", {alice_id});
  REQUIRE(e2e_fixture::send(*alice, on1, "before", "x1")["type"] == "sent");
  auto ready = [&](int i) {
    return http_request(cl.node(i).port(), "GET", "/readyz").status;
  };
  REQUIRE(ready(1) == 200);

  proxy.cut();
  // Within the lease's TTL (2 s) n1 gives up its shards' writes.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (ready(1) != 503) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::yield();
  }
  auto r = e2e_fixture::send(*alice, on1, "during", "x2");
  CHECK(r["code"] == "unavailable");
  CHECK(r["retry_after_ms"].as_int64() > 0);
  // The rest of the cluster goes on.
  CHECK(e2e_fixture::send(*alice, on2, "elsewhere", "y1")["type"] == "sent");
  CHECK(ready(2) == 200);

  proxy.restore();
  deadline = std::chrono::steady_clock::now() + 20s;
  json::object back;
  for (;;) {
    back = e2e_fixture::send(*alice, on1, "during", "x2");
    if (back["type"] == "sent") break;
    REQUIRE(back["code"] == "unavailable");
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  }
  CHECK(back["msg_id"] == 2);
  CHECK(ready(1) == 200);
  auto ids = e2e_fixture::history_ids(*alice, on1);
  CHECK(ids == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE(
    "kill -9 of a node under load: its shards answer unavailable, the "
    "others no error, after its restart every acked message is there once",
    "[cluster][e2e]") {
  std::vector<std::string> fast = {"--send-rate", "100000", "--send-burst",
                                   "100000"};
  cluster_fixture cl(3, fast);
  cl.rebalance();
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto setup = cl.connect(1, alice_id);
  auto on3 = group_on(cl, *setup, "n3", {alice_id});
  auto on2 = group_on(cl, *setup, "n2", {alice_id});

  // Two senders from n1: one to the conversation of the node that dies,
  // one to another; each retries `unavailable` with the same client_msg_id.
  struct sender {
    std::string conv{};
    std::vector<std::pair<std::string, std::uint64_t>> acked{};
    std::atomic<int> acked_n{0};  // acked.size(), for the main thread
    int unavailable = 0;
    std::string failure{};
  };
  std::atomic<bool> stop{false};
  std::atomic<int> progress{0};
  auto run = [&](sender& s) {
    try {
      ws_client c(cl.node(1).port(), cl.node(1).token(alice_id));
      for (int i = 0; !stop; ++i) {
        auto cmid = "k-" + std::to_string(i);
        for (;;) {
          auto r = e2e_fixture::send(c, s.conv, "x", cmid);
          if (r["type"] == "sent") {
            s.acked.emplace_back(cmid, e2e_fixture::u64(r["msg_id"]));
            ++s.acked_n;
            ++progress;
            break;
          }
          if (r["code"] != "unavailable") {
            s.failure = json::serialize(r);
            return;
          }
          ++s.unavailable;
          if (stop) return;
        }
      }
    } catch (const std::exception& e) {
      s.failure = e.what();
    }
  };
  sender dying, living;
  dying.conv = on3;
  living.conv = on2;
  std::thread t1([&] { run(dying); });
  std::thread t2([&] { run(living); });
  auto wait_progress = [&](int more) {
    int target = progress + more;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (progress < target) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::yield();
    }
  };
  wait_progress(50);
  cl.node(3).kill();
  wait_progress(50);  // the living conversation goes on
  cl.node(3).start();
  auto deadline = std::chrono::steady_clock::now() + 30s;
  auto before = dying.acked_n.load();
  while (dying.acked_n < before + 10) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::yield();
  }
  stop = true;
  t1.join();
  t2.join();
  INFO(dying.failure << living.failure);
  REQUIRE(dying.failure.empty());
  REQUIRE(living.failure.empty());
  CHECK(living.unavailable == 0);
  CHECK(dying.unavailable > 0);

  auto reader = cl.connect(2, alice_id);
  for (auto* s : {&dying, &living}) {
    auto history = history_of(*reader, s->conv);
    // Every acknowledged message once, in order, gap-free; at most the one
    // unanswered when the node died may be there without an ack (it was
    // durable, and its retry got the same msg_id).
    CHECK(history == s->acked);
    for (std::size_t i = 0; i < history.size(); ++i)
      CHECK(history[i].second == i + 1);
  }
}

TEST_CASE(
    "lease-ttl-s is the node's lease TTL, and a cluster name its own key space",
    "[cluster][e2e]") {
  cluster_fixture cl(1);  // --lease-ttl-s 2, cluster "switchboard"
  auto client = switchboard::cluster::etcd_client::create(cl.etcd.url());
  REQUIRE(client);
  auto key = client->range("/switchboard/nodes/n1");
  REQUIRE(key);
  REQUIRE(key->kvs.size() == 1);
  auto lease = client->lease_keepalive(key->kvs[0].lease);
  REQUIRE(lease);
  CHECK(lease->ttl == 2);

  // A node of another cluster on the same etcd: a cluster of its own, which
  // the first never sees.
  node_process other({"--etcd", cl.etcd.url(), "--cluster", "other",
                      "--node-id", "n1", "--cluster-listen", "127.0.0.1:0",
                      "--shards", "16"});
  CHECK(client->range_prefix("/other/nodes/")->kvs.size() == 1);
  CHECK(client->range_prefix("/other/shards/")->kvs.size() == 16);
  CHECK(cl.admin_json(1, "nodes")["nodes"].as_array().size() == 1);
  auto mine = cl.admin_json(1, "shards");
  for (auto& s : mine["shards"].as_array())
    CHECK(s.as_object().at("owner") == "n1");
}
