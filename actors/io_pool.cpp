#include "actors/io_pool.hpp"

#include "common/thread_name.hpp"

namespace switchboard::actors {

io_pool::io_pool(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i)
    threads_.emplace_back([this] {
      name_thread("sb-pool");
      run();
    });
}

io_pool::~io_pool() {
  {
    std::lock_guard<std::mutex> lock(mtx_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void io_pool::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mtx_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void io_pool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mtx_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace switchboard::actors
