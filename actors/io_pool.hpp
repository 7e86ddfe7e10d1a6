#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace switchboard::actors {

// Threads for blocking calls (RocksDB reads), so that no CAF scheduler or
// Asio thread ever blocks (DESIGN §3, §4). Tasks run in FIFO order on any
// of the threads. Thread-safe.
class io_pool {
 public:
  explicit io_pool(int threads);
  ~io_pool();  // runs what is queued, then joins
  io_pool(const io_pool&) = delete;
  io_pool& operator=(const io_pool&) = delete;

  void post(std::function<void()> task);

 private:
  void run();

  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace switchboard::actors
