#pragma once

#include <functional>
#include <memory>

namespace switchboard::actors {

// Threads for blocking calls (RocksDB reads), so that no CAF scheduler or
// Asio thread ever blocks (docs/ARCHITECTURE.md "actors/"). Tasks posted from
// outside the pool run in FIFO order on any of its threads (named "sb-pool");
// with one thread, a task posted by a task of the pool runs once the poster
// returns, after those posted from outside meanwhile (Asio's one-thread
// scheduler keeps it in the thread's own queue). A boost::asio::thread_pool,
// kept out of this header, which every actor's file includes. Thread-safe.
class io_pool {
 public:
  explicit io_pool(int threads);
  ~io_pool();  // runs what is queued, then joins
  io_pool(const io_pool&) = delete;
  io_pool& operator=(const io_pool&) = delete;

  void post(std::function<void()> task);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::actors
