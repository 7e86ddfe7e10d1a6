#include "actors/io_pool.hpp"

#include <pthread.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <vector>

// The I/O pool (actors/io_pool.hpp): FIFO on one thread, named threads,
// and what is queued runs before the pool is gone.
using switchboard::actors::io_pool;

TEST_CASE(
    "the pool runs every queued task before it is gone, in order on "
    "one thread, on threads named sb-pool",
    "[io_pool]") {
  std::vector<int> order;
  std::vector<std::string> names;
  std::mutex m;
  {
    io_pool pool(1);
    for (int i = 0; i < 100; ++i)
      pool.post([&, i] {
        char name[16] = {};
        pthread_getname_np(pthread_self(), name, sizeof name);
        std::lock_guard<std::mutex> l(m);
        order.push_back(i);
        names.emplace_back(name);
      });
  }  // the destructor waits for the queue
  REQUIRE(order.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(order[i] == i);
  for (auto& n : names) CHECK(n == "sb-pool");
}

TEST_CASE("every thread of a larger pool is named before it takes work",
          "[io_pool]") {
  std::atomic<int> unnamed{0};
  std::atomic<int> ran{0};
  {
    io_pool pool(4);
    for (int i = 0; i < 64; ++i)
      pool.post([&] {
        char name[16] = {};
        pthread_getname_np(pthread_self(), name, sizeof name);
        if (std::string(name) != "sb-pool") ++unnamed;
        ++ran;
      });
  }
  CHECK(ran == 64);
  CHECK(unnamed == 0);
}
