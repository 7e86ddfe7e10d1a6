#include "push/service.hpp"

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "metrics/metrics.hpp"
#include "storage/shard.hpp"
#include "storage/store.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/temp_dir.hpp"

// The push service on its own (a store, a fake gateway): what it does with
// jobs handed to it more than once, as a conversation whose hand-over
// failed half-way, or an outbox read again after a failover, hands them.
using namespace switchboard;
using namespace std::chrono_literals;

namespace {

// Polls `done` (the service's state or the outbox: there is nothing to
// wait on) until it holds, for up to 10 s.
template <class Done>
void wait_until(Done done) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(5ms);
  }
}

storage::push_entry job(storage::store& db, const std::string& user,
                        std::uint64_t msg) {
  storage::push_entry e;
  e.seq = db.next_push_seq();
  e.job = storage::push_job{user, "c-1", msg, "alice", "", 0, 0};
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  e.job.created_ms = now;
  storage::batch b;
  b.put_push_job(e.seq, e.job);
  REQUIRE(db.commit_and_wait(std::move(b)).has_value());
  return e;
}

// A store in `dir` where bob has one device, on the push gateway.
std::unique_ptr<storage::store> store_with_bob(const testing::temp_dir& dir) {
  auto db = storage::store::open(
      storage::store_options{dir.str(), storage::durability::sync, {}});
  REQUIRE(db.has_value());
  storage::batch dev;
  dev.put_device("bob", storage::device{"gateway", "pk-bob", 1});
  REQUIRE((*db)->commit_and_wait(std::move(dev)).has_value());
  return std::move(*db);
}

push::service_options gateway_at(const std::string& url) {
  push::service_options o;
  o.gateway_url = url;
  o.gateway_app_id = "org.example.chat";
  return o;
}

}  // namespace

TEST_CASE(
    "a job handed again for a message already pushed is dropped, a newer "
    "message's is sent",
    "[push][service]") {
  testing::temp_dir dir;
  auto db = store_with_bob(dir);
  auto& store = *db;
  testing::fake_http_server gw([](const testing::fake_http_server::request&) {
    return testing::fake_http_server::response{200, {}, R"({"rejected":[]})"};
  });
  metrics::node_metrics m;
  push::service s(store, gateway_at(gw.url()), {}, &m);
  s.start([](storage::push_entry) {});

  s.handed({job(store, "bob", 5)});
  REQUIRE(gw.wait_for(1, 10s));
  auto settled = [&] {
    wait_until([&] {
      return s.pending_for("bob") == 0 && store.push_jobs(10)->empty();
    });
  };
  settled();
  // The same message again, under a new seq: nothing more is sent, and
  // its outbox entry goes.
  s.handed({job(store, "bob", 5)});
  settled();
  // A newer message is a new push.
  s.handed({job(store, "bob", 6)});
  REQUIRE(gw.wait_for(2, 10s));
  settled();
  CHECK(gw.requests().size() == 2);
  CHECK(m.push_created.value() == 2);
  s.stop();
}

TEST_CASE(
    "a shard let go of: its push on its way is answered and erased first, "
    "no other is sent, and kept again its jobs go on",
    "[push][service]") {
  testing::temp_dir dir;
  auto db = store_with_bob(dir);
  auto& store = *db;
  // The first push is answered only once the test says so.
  std::promise<void> go;
  auto gate = go.get_future().share();
  auto arrived = std::make_shared<std::promise<void>>();
  auto first_arrived = arrived->get_future();
  auto told = std::make_shared<std::atomic<bool>>(false);
  testing::fake_http_server gw([gate, arrived, told](
                                   const testing::fake_http_server::request&) {
    if (!told->exchange(true)) arrived->set_value();
    gate.wait();
    return testing::fake_http_server::response{200, {}, R"({"rejected":[]})"};
  });
  metrics::node_metrics m;
  push::service s(store, gateway_at(gw.url()), {}, &m);
  // The gate opens whatever happens (a failed check too), or the fake's
  // thread would wait for ever.
  struct opens {
    std::promise<void>& p;
    bool open = false;
    void now() {
      if (!std::exchange(open, true)) p.set_value();
    }
    ~opens() { now(); }
  } gate_guard{go};
  s.start([](storage::push_entry) {});
  auto shard = storage::shard_of("bob", store.shards());

  s.handed({job(store, "bob", 5)});
  REQUIRE(first_arrived.wait_for(10s) == std::future_status::ready);
  auto released =
      std::async(std::launch::async, [&] { return s.release(shard, 10s); });
  // It waits for the answer (a move would copy the job otherwise).
  CHECK(released.wait_for(50ms) == std::future_status::timeout);
  gate_guard.now();
  REQUIRE(released.wait_for(10s) == std::future_status::ready);
  CHECK(released.get());
  // Its erase is durable already: the shard's new leader finds nothing.
  CHECK(store.push_jobs(10)->empty());

  // Let go of: a newer job of the shard is kept in the outbox, not sent.
  s.handed({job(store, "bob", 6)});
  wait_until([&] { return s.pending_for("bob") == 0; });
  CHECK(store.push_jobs(10)->size() == 1);
  CHECK(gw.requests().size() == 1);

  // Kept again (the move failed): read from the outbox and sent.
  s.keep(shard);
  REQUIRE(gw.wait_for(2, 10s));
  wait_until([&] { return store.push_jobs(10)->empty(); });
  s.stop();
}

TEST_CASE(
    "a shard let go of and kept again goes on with its retries where they "
    "were: a device that took the push is not sent it again",
    "[push][service]") {
  testing::temp_dir dir;
  auto db = store_with_bob(dir);
  auto& store = *db;
  storage::batch dev;
  dev.put_device("bob", storage::device{"gateway", "pk-bob-2", 2});
  REQUIRE(store.commit_and_wait(std::move(dev)).has_value());
  // pk-bob takes the push; pk-bob-2 asks for a retry in 1 s, once.
  std::mutex mu;
  std::map<std::string, int> seen;
  std::chrono::steady_clock::time_point refused{}, retried{};
  testing::fake_http_server gw([&](const testing::fake_http_server::request&
                                       r) {
    auto v = boost::json::parse(r.body);
    std::string key(
        v.at("notification").at("devices").at(0).at("pushkey").as_string());
    std::lock_guard<std::mutex> l(mu);
    int n = ++seen[key];
    if (key == "pk-bob-2" && n == 1) {
      refused = std::chrono::steady_clock::now();
      return testing::fake_http_server::response{
          503, {{"Retry-After", "1"}}, ""};
    }
    if (key == "pk-bob-2") retried = std::chrono::steady_clock::now();
    return testing::fake_http_server::response{200, {}, R"({"rejected":[]})"};
  });
  metrics::node_metrics m;
  push::service s(store, gateway_at(gw.url()), {}, &m);
  s.start([](storage::push_entry) {});
  auto shard = storage::shard_of("bob", store.shards());

  s.handed({job(store, "bob", 5)});
  REQUIRE(gw.wait_for(2, 10s));
  wait_until([&] { return m.push_retried.value() >= 1; });
  // The move begins and fails: the shard is kept.
  REQUIRE(s.release(shard, 10s));
  s.keep(shard);
  REQUIRE(gw.wait_for(3, 10s));
  wait_until([&] {
    return s.pending_for("bob") == 0 && store.push_jobs(10)->empty();
  });
  std::lock_guard<std::mutex> l(mu);
  CHECK(seen["pk-bob"] == 1);  // not pushed twice
  CHECK(seen["pk-bob-2"] == 2);
  // Its Retry-After held across the release (not tried again at once).
  CHECK(retried - refused >= 900ms);
  s.stop();
}
