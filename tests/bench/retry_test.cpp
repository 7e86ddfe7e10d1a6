// The harness answers `unavailable` as a client does: the same send again,
// the ack again. Run against a fake node that refuses the first attempt of
// every send and the first ack, so that a harness that gave up on them
// would stall its window or never see a message delivered.

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/temp_dir.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using ws_stream = beast::websocket::stream<tcp::socket>;

// One direct conversation ("c1") of the users who connect, held by a thread
// per connection. Sends and acks are refused once each; a frame it does not
// know is ignored.
class refusing_node {
 public:
  refusing_node()
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept(); });
  }
  ~refusing_node() {
    boost::system::error_code ec;
    stopping_ = true;
    {  // wakes the blocking accept, which then sees stopping_
      tcp::socket wake(ioc_);
      wake.connect(acceptor_.local_endpoint(), ec);
    }
    accept_thread_.join();
    {
      std::lock_guard<std::mutex> lock(m_);
      for (auto* s : streams_)
        beast::get_lowest_layer(*s).shutdown(tcp::socket::shutdown_both, ec);
    }
    for (auto& t : sessions_) t.join();
  }

  std::uint16_t port() const { return port_; }
  int refused() {
    std::lock_guard<std::mutex> lock(m_);
    return refused_;
  }

 private:
  void accept() {
    for (;;) {
      tcp::socket s(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stopping_) return;
      sessions_.emplace_back(
          [this, s = std::move(s)]() mutable { serve(std::move(s)); });
    }
  }

  void say(ws_stream& to, const json::object& f) {
    boost::system::error_code ec;
    to.write(asio::buffer(json::serialize(f)), ec);
  }

  void serve(tcp::socket s) {
    ws_stream ws(std::move(s));
    boost::system::error_code ec;
    ws.accept(ec);
    if (ec) return;
    ws.text(true);
    std::string user = "u" + std::to_string(port_);
    {
      std::lock_guard<std::mutex> lock(m_);
      streams_.insert(&ws);
      user += std::to_string(streams_.size());
      say(ws, {{"type", "welcome"},
               {"user_id", user},
               {"session_id", "s"},
               {"node", "fake"},
               {"heartbeat_s", 15}});
    }
    for (;;) {
      beast::flat_buffer b;
      ws.read(b, ec);
      if (ec) break;
      auto v = json::parse(beast::buffers_to_string(b.data()), ec);
      if (ec || !v.is_object()) continue;
      handle(ws, v.as_object());
    }
    std::lock_guard<std::mutex> lock(m_);
    streams_.erase(&ws);
  }

  void handle(ws_stream& from, const json::object& f) {
    std::lock_guard<std::mutex> lock(m_);
    auto type = f.at("type").as_string();
    if (type == "create") {
      say(from, {{"type", "created"},
                 {"rid", f.at("rid")},
                 {"conv_id", "c1"},
                 {"kind", "direct"},
                 {"existed", false}});
    } else if (type == "send") {
      std::string cmid(f.at("client_msg_id").as_string());
      if (tried_.insert(cmid).second) {
        ++refused_;
        return say(from, {{"type", "error"},
                          {"rid", f.at("rid")},
                          {"code", "unavailable"},
                          {"retry_after_ms", 10}});
      }
      auto id = ++last_msg_id_;
      sender_of_[id] = &from;
      say(from, {{"type", "sent"},
                 {"rid", f.at("rid")},
                 {"conv_id", "c1"},
                 {"msg_id", id},
                 {"client_msg_id", cmid},
                 {"ts", 1},
                 {"duplicate", false}});
      for (auto* s : streams_)
        if (s != &from)
          say(*s, {{"type", "message"},
                   {"conv_id", "c1"},
                   {"msg_id", id},
                   {"sender", "x"},
                   {"body", f.at("body")},
                   {"ts", 1},
                   {"client_msg_id", cmid}});
    } else if (type == "ack") {
      if (!refused_ack_) {
        refused_ack_ = true;
        ++refused_;
        return say(from, {{"type", "error"},
                          {"code", "unavailable"},
                          {"retry_after_ms", 10}});
      }
      auto upto = f.at("msg_id").to_number<std::int64_t>();
      for (auto it = sender_of_.begin();
           it != sender_of_.end() && it->first <= upto;) {
        say(*it->second, {{"type", "receipt"},
                          {"conv_id", "c1"},
                          {"user_id", "y"},
                          {"state", "delivered"},
                          {"msg_id", it->first}});
        it = sender_of_.erase(it);
      }
    }
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::vector<std::thread> sessions_;
  std::mutex m_;
  std::set<ws_stream*> streams_;
  std::set<std::string> tried_;
  std::map<std::int64_t, ws_stream*> sender_of_;
  std::int64_t last_msg_id_ = 0;
  bool refused_ack_ = false;
  int refused_ = 0;
};

}  // namespace

TEST_CASE(
    "the harness sends again a send and an ack answered unavailable, as a "
    "client does",
    "[bench]") {
  refusing_node node;
  switchboard::testing::temp_dir dir;
  auto out = (dir.path() / "out.json").string();
  // One pair, window 1: a send given up on would stop its sender.
  std::string cmd = std::string(SWITCHBOARD_BENCH_BIN) +
                    " direct --host 127.0.0.1 --port " +
                    std::to_string(node.port()) +
                    " --jwt-secret s --connections 2 --window 1 --duration 1"
                    " --quiet --json " +
                    out + " > " + (dir.path() / "log").string() + " 2>&1";
  int status = std::system(cmd.c_str());
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto v = json::parse(text.str(), ec);
  REQUIRE_FALSE(ec);
  auto& r = v.as_object();
  CHECK(status == 0);
  CHECK(r["violations"] == 0);
  auto acked = r["send_to_sent"].as_object()["count"].to_number<int>();
  CHECK(acked > 10);  // every send was refused once, and went on
  CHECK(r["send_to_delivered"].as_object()["count"].to_number<int>() == acked);
  CHECK(node.refused() > acked);
}
