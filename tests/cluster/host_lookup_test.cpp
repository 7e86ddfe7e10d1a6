#include "cluster/host_lookup.hpp"

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>

using namespace switchboard::cluster;
using namespace std::chrono_literals;

TEST_CASE("a name is looked up by the system resolver", "[host_lookup]") {
  host_lookup lookup;
  std::string why;
  auto found = lookup.resolve("localhost", 2379,
                              std::chrono::steady_clock::now() + 10s, why);
  INFO(why);
  REQUIRE_FALSE(found.empty());
  for (auto& e : found) {
    CHECK(e.address().is_loopback());
    CHECK(e.port() == 2379);
  }
  CHECK(why.empty());
  auto none = lookup.resolve("no-such-host.invalid", 2379,
                             std::chrono::steady_clock::now() + 10s, why);
  CHECK(none.empty());
  CHECK(why.rfind("resolve: ", 0) == 0);
}

TEST_CASE(
    "a resolver that does not answer costs the caller its deadline, and one "
    "thread however often it is asked",
    "[host_lookup]") {
  // A getaddrinfo that answers only when the test lets it.
  std::mutex m;
  std::condition_variable cv;
  bool answer = false;
  int calls = 0;
  host_lookup lookup([&](const char* host, const char* service,
                         const addrinfo* hints, addrinfo** res) {
    std::unique_lock<std::mutex> l(m);
    ++calls;
    cv.wait(l, [&] { return answer; });
    l.unlock();
    return ::getaddrinfo(host, service, hints, res);
  });
  std::string why;
  for (int i = 0; i < 3; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto found = lookup.resolve("localhost", 2379, start + 100ms, why);
    CHECK(found.empty());
    CHECK(why.find("timed out") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
  }
  CHECK(lookup.running() == 1);
  {
    std::lock_guard<std::mutex> l(m);
    CHECK(calls == 1);
    answer = true;
  }
  cv.notify_all();
  // The same lookup's answer, to whoever waits for it now.
  auto found = lookup.resolve("localhost", 2379,
                              std::chrono::steady_clock::now() + 10s, why);
  CHECK_FALSE(found.empty());
  // It has ended (its thread erases it before it wakes the waiters).
  CHECK(lookup.running() == 0);
}
