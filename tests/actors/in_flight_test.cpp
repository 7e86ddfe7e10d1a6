#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>

#include "actors/frame.hpp"
#include "actors/node.hpp"
#include "storage/store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

// A connection that keeps what the session writes to it.
struct recording_connection : actors::client_connection {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> frames;

  void send_text(std::string text) override {
    std::lock_guard<std::mutex> lock(m);
    frames.push_back(std::move(text));
    cv.notify_all();
  }
  void close(std::uint16_t, std::string) override {}
  std::size_t reserve(std::size_t bytes) override { return bytes; }
  void release(std::size_t) override {}
  void request_done() override {}

  bool wait_for_frames(std::size_t n) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, 10s, [&] { return frames.size() >= n; });
  }
};

// A store whose writes block while `hold` is set: a disk that does not
// answer, so that a request stays in flight as long as the test wants.
struct slow_disk_node {
  testing::temp_dir dir;
  std::mutex m;
  std::condition_variable cv;
  bool hold = false, held = false;
  std::unique_ptr<storage::store> store = open();
  std::unique_ptr<actors::node> rt =
      std::make_unique<actors::node>(*store, actors::node_options{});

  ~slow_disk_node() {
    release();
    rt.reset();
  }

  std::unique_ptr<storage::store> open() {
    storage::store_options o{dir.str(), storage::durability::sync, {}, {}};
    o.write_fault = [this] {
      std::unique_lock<std::mutex> lock(m);
      held = hold;
      cv.notify_all();
      cv.wait(lock, [this] { return !hold; });
      return std::string();
    };
    auto s = storage::store::open(o);
    REQUIRE(s.has_value());
    return std::move(*s);
  }
  void release() {
    std::lock_guard<std::mutex> lock(m);
    hold = false;
    cv.notify_all();
  }
  bool wait_held() {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, 10s, [this] { return held; });
  }

  std::string create_direct() {
    auto parsed = actors::parse_frame(
        R"({"type":"create","kind":"direct","members":["bob"]})", "alice",
        rt->lim());
    REQUIRE(parsed.frame);
    auto answer = std::make_shared<std::promise<std::string>>();
    auto got = answer->get_future();
    rt->request("alice", *parsed.frame,
                [answer](std::string a) { answer->set_value(std::move(a)); });
    REQUIRE(got.wait_for(10s) == std::future_status::ready);
    auto text = got.get();
    auto at = text.find("\"conv_id\":\"");
    REQUIRE(at != std::string::npos);
    at += 11;
    return text.substr(at, text.find('"', at) - at);
  }
};

}  // namespace

TEST_CASE_METHOD(slow_disk_node,
                 "a client that disconnects mid-request leaves no request "
                 "in flight for the shutdown to wait on",
                 "[requests]") {
  auto conv = create_direct();
  auto conn = std::make_shared<recording_connection>();
  auto handler = rt->open_session("alice", conn);
  REQUIRE(conn->wait_for_frames(1));  // welcome
  {
    std::lock_guard<std::mutex> lock(m);
    hold = true;
  }
  handler->on_frame(R"({"type":"send","rid":"r1","conv_id":")" + conv +
                    R"(","client_msg_id":"c1","body":"hi"})");
  REQUIRE(wait_held());  // the send is being written, unanswered
  handler->on_close();   // the client goes away
  release();
  CHECK(rt->wait_idle(5s));
}
