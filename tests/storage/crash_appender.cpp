// Helper of crash_test.cpp: appends to `conversations` logs of the store in
// DIR through the group-commit writer, forever, and prints "conv msg_id" on
// stdout for every acknowledged message. The test kills it with SIGKILL.
//
// usage: crash_appender DIR CONVERSATIONS
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/conversation_log.hpp"
#include "storage/store.hpp"

using namespace switchboard::storage;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  int conversations = std::atoi(argv[2]);
  auto s = store::open(store_options{argv[1], durability::sync, {}});
  if (!s) {
    std::fprintf(stderr, "open: %s\n", s.err().message.c_str());
    return 1;
  }
  std::vector<std::unique_ptr<conversation_log>> logs;
  for (int c = 0; c < conversations; ++c) {
    auto log = conversation_log::open(**s, "conv" + std::to_string(c));
    if (!log) return 1;
    logs.push_back(std::make_unique<conversation_log>(std::move(*log)));
  }
  std::mutex mtx;
  std::condition_variable cv;
  int in_flight = 0;
  constexpr int window = 256;
  for (std::uint64_t n = 0;; ++n) {
    auto& log = *logs[n % logs.size()];
    {
      std::unique_lock<std::mutex> lock(mtx);
      cv.wait(lock, [&] { return in_flight < window; });
      ++in_flight;
    }
    auto next = log.last_msg_id() + 1;
    message m{0, "u", log.conv_id() + "#" + std::to_string(next), 1,
              "k" + std::to_string(next)};
    auto conv = log.conv_id();
    auto r = log.append(std::move(m), [&, conv, next](const status& st) {
      if (!st) {
        std::fprintf(stderr, "write failed: %s\n", st.err().message.c_str());
        std::_Exit(1);
      }
      std::string line = conv + " " + std::to_string(next) + "\n";
      (void)!::write(STDOUT_FILENO, line.data(), line.size());
      std::lock_guard<std::mutex> lock(mtx);
      --in_flight;
      cv.notify_one();
    });
    if (!r) return 1;
  }
}
