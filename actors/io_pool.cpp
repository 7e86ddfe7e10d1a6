#include "actors/io_pool.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <mutex>

#include "common/thread_name.hpp"

namespace switchboard::actors {

struct io_pool::impl {
  explicit impl(int threads) : pool(static_cast<std::size_t>(threads)) {}
  boost::asio::thread_pool pool;
};

io_pool::io_pool(int threads) {
  int n = std::max(1, threads);
  impl_ = std::make_unique<impl>(n);
  // Each thread takes one naming task and waits in it until all have one,
  // so that none takes two: every thread gets its name before any work.
  // (Shared: a task may still unlock after the constructor returned.)
  struct start {
    std::mutex m;
    std::condition_variable cv;
    int waiting;
  };
  auto s = std::make_shared<start>();
  s->waiting = n;
  for (int i = 0; i < n; ++i)
    boost::asio::post(impl_->pool, [s] {
      name_thread("sb-pool");
      std::unique_lock<std::mutex> l(s->m);
      if (--s->waiting == 0) s->cv.notify_all();
      s->cv.wait(l, [&] { return s->waiting == 0; });
    });
  std::unique_lock<std::mutex> l(s->m);
  s->cv.wait(l, [&] { return s->waiting == 0; });
}

io_pool::~io_pool() {
  // Without stop(), join() waits until the queued tasks have run.
  impl_->pool.join();
}

void io_pool::post(std::function<void()> task) {
  boost::asio::post(impl_->pool, std::move(task));
}

}  // namespace switchboard::actors
