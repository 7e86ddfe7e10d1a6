#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>

#include "cluster/etcd_client.hpp"
#include "tests/cluster/etcd_fixture.hpp"
#include "tests/support/port_cut.hpp"

using namespace switchboard::cluster;
using switchboard::testing::etcd_fixture;
using switchboard::testing::watch_log;

TEST_CASE_METHOD(etcd_fixture,
                 "a watch from a start revision sees PUT and DELETE in order",
                 "[etcd_watch]") {
  auto first = client.put("sb/shards/1", "a");
  REQUIRE(first);
  REQUIRE(client.put("sb/other", "not watched"));
  REQUIRE(client.put("sb/shards/2", "b"));
  REQUIRE(client.delete_range("sb/shards/1"));

  watch_log log;
  auto w =
      client.watch_prefix("sb/shards/", first->header.revision, log.callback());
  REQUIRE(w);
  CHECK((*w)->created_revision() >= first->header.revision + 3);
  REQUIRE(client.put("sb/shards/3", "c"));  // after the watch was created

  REQUIRE(log.wait_events(4));
  auto events = log.events();
  REQUIRE(events.size() == 4);
  CHECK(events[0].what == watch_event::kind::put);
  CHECK(events[0].kv.key == "sb/shards/1");
  CHECK(events[0].kv.value == "a");
  CHECK(events[1].kv.key == "sb/shards/2");
  CHECK(events[2].what == watch_event::kind::del);
  CHECK(events[2].kv.key == "sb/shards/1");
  CHECK(events[3].what == watch_event::kind::put);
  CHECK(events[3].kv.value == "c");
  for (std::size_t i = 1; i < events.size(); ++i)
    CHECK(events[i].kv.mod_revision > events[i - 1].kv.mod_revision);
}

TEST_CASE_METHOD(etcd_fixture, "a watch ends with an error when etcd dies",
                 "[etcd_watch]") {
  watch_log log;
  auto w = client.watch_prefix("sb/", 0, log.callback());
  REQUIRE(w);
  etcd.kill();
  auto end = log.wait_end();
  REQUIRE(end);
  CHECK(end->code == errc::io_error);
}

TEST_CASE_METHOD(etcd_fixture,
                 "a watch whose etcd stops answering without a word (packets "
                 "dropped) ends within seconds, not never",
                 "[etcd_watch]") {
  if (auto why = switchboard::testing::no_iptables(); !why.empty()) {
    WARN("skipped: " << why);
    return;
  }
  watch_log log;
  auto w = client.watch_prefix("sb/", 0, log.callback());
  REQUIRE(w);
  // Nothing closes the connection: only the keepalive probes can tell that
  // nobody answers any more (etcd_options::watch_dead_after, 5 s).
  switchboard::testing::port_cut cut{std::to_string(etcd.client_port())};
  cut.cut();
  auto end = log.wait_end(std::chrono::seconds(15));
  REQUIRE(end);
  CHECK(end->code == errc::io_error);
}

TEST_CASE_METHOD(etcd_fixture,
                 "a watch may be destroyed from inside its callback",
                 "[etcd_watch]") {
  watch_log log;
  std::unique_ptr<etcd_watch> w;
  std::mutex m;
  auto inner = log.callback();
  auto created = client.watch("k", "", 0, [&](result<watch_response> r) {
    {
      std::lock_guard<std::mutex> lock(m);
      w.reset();  // cancels the watch on its own thread
    }
    // Logged after the reset, so that the test, woken by the log, finds
    // the watch gone.
    inner(std::move(r));
  });
  REQUIRE(created);
  {
    std::lock_guard<std::mutex> lock(m);
    w = std::move(*created);
  }
  REQUIRE(client.put("k", "1"));
  REQUIRE(log.wait_events(1));
  std::lock_guard<std::mutex> lock(m);
  CHECK(w == nullptr);
}

TEST_CASE_METHOD(etcd_fixture, "destroying a watch returns promptly",
                 "[etcd_watch]") {
  watch_log log;
  auto w = client.watch_prefix("sb/", 0, log.callback());
  REQUIRE(w);
  auto start = std::chrono::steady_clock::now();
  w->reset();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  CHECK_FALSE(log.wait_end(std::chrono::milliseconds(0)));  // no callback
}
