#include "tests/support/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace switchboard::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
namespace json = boost::json;
using tcp = asio::ip::tcp;

struct ws_client::impl {
  asio::io_context ioc;
  // Keeps the I/O thread alive while no read is pending (stop_reading).
  asio::executor_work_guard<asio::io_context::executor_type> work{
      ioc.get_executor()};
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::thread thread;
  std::mutex mtx;
  std::condition_variable cv;
  std::deque<json::object> frames;
  bool closed = false;
  std::optional<int> close_code;
  bool reading = true;  // I/O thread only
  bool read_pending = false;
  std::deque<std::pair<std::string, bool>> out;  // (payload, binary)
  bool writing = false;
  int next_rid = 0;

  void do_read() {
    read_pending = true;
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      read_pending = false;
      if (ec) {
        std::lock_guard<std::mutex> lock(mtx);
        closed = true;
        if (ws.reason().code != websocket::close_code::none)
          close_code = static_cast<int>(ws.reason().code);
        else
          close_code = 1006;
        cv.notify_all();
        return;
      }
      auto text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      boost::system::error_code jec;
      auto v = json::parse(text, jec);
      {
        std::lock_guard<std::mutex> lock(mtx);
        if (!jec && v.is_object())
          frames.push_back(v.as_object());
        else
          frames.push_back(
              json::object{{"type", "<not json>"}, {"text", text}});
        cv.notify_all();
      }
      if (reading) do_read();
    });
  }

  void do_write() {
    writing = true;
    ws.binary(out.front().second);
    ws.async_write(asio::buffer(out.front().first),
                   [this](beast::error_code ec, std::size_t) {
                     writing = false;
                     if (ec) return;
                     out.pop_front();
                     if (!out.empty()) do_write();
                   });
  }

  std::optional<json::object> take(
      const std::function<bool(const json::object&)>& match,
      std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mtx);
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      for (auto it = frames.begin(); it != frames.end(); ++it) {
        if (match(*it)) {
          auto f = std::move(*it);
          frames.erase(it);
          return f;
        }
      }
      if (closed) return std::nullopt;
      if (cv.wait_until(lock, deadline) == std::cv_status::timeout) {
        for (auto it = frames.begin(); it != frames.end(); ++it)
          if (match(*it)) {
            auto f = std::move(*it);
            frames.erase(it);
            return f;
          }
        return std::nullopt;
      }
    }
  }
};

ws_client::ws_client(std::uint16_t port, const std::string& token, bool header)
    : ws_client(port, token, header, nullptr) {}

std::unique_ptr<ws_client> ws_client::connect_retrying(
    std::uint16_t port, const std::string& token,
    std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    bool ok = false;
    std::unique_ptr<ws_client> c(new ws_client(port, token, false, &ok));
    if (ok) return c;
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("no welcome from 127.0.0.1:" +
                               std::to_string(port) + " within the wait");
    std::this_thread::sleep_for(50ms);  // a reconnecting client's pause
  }
}

ws_client::ws_client(std::uint16_t port, const std::string& token, bool header,
                     bool* welcomed)
    : impl_(std::make_unique<impl>()) {
  auto& ws = impl_->ws;
  beast::get_lowest_layer(ws).connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::string target = "/v1/ws";
  if (header) {
    ws.set_option(websocket::stream_base::decorator(
        [token](websocket::request_type& req) {
          req.set(http::field::authorization, "Bearer " + token);
        }));
  } else {
    target += "?token=" + token;
  }
  beast::error_code ec;
  ws.handshake("127.0.0.1:" + std::to_string(port), target, ec);
  if (ec) throw std::runtime_error("handshake failed: " + ec.message());
  impl_->do_read();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
  if (welcomed) {
    auto w = wait_for("welcome", 5s);
    *welcomed = w.has_value();
    if (!w) return;
    welcome = std::move(*w);
  } else {
    welcome = expect("welcome");
  }
  session_id = std::string(welcome["session_id"].as_string());
}

ws_client::~ws_client() {
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    beast::get_lowest_layer(impl_->ws).socket().shutdown(
        tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(impl_->ws).close();
    impl_->work.reset();
  });
  impl_->thread.join();
}

void ws_client::send(const std::string& text) {
  asio::post(impl_->ioc, [this, text] {
    impl_->out.emplace_back(text, false);
    if (!impl_->writing) impl_->do_write();
  });
}

void ws_client::send_binary(const std::string& bytes) {
  asio::post(impl_->ioc, [this, bytes] {
    impl_->out.emplace_back(bytes, true);
    if (!impl_->writing) impl_->do_write();
  });
}

void ws_client::send(const json::object& frame) {
  send(json::serialize(frame));
}

void ws_client::ping() {
  asio::post(impl_->ioc,
             [this] { impl_->ws.async_ping({}, [](beast::error_code) {}); });
}

json::object ws_client::request(json::object frame,
                                std::chrono::milliseconds wait) {
  std::string rid = "r" + std::to_string(++impl_->next_rid);
  frame["rid"] = rid;
  send(frame);
  auto f = impl_->take(
      [&](const json::object& o) {
        auto* r = o.if_contains("rid");
        return r && r->is_string() && r->as_string() == rid;
      },
      wait);
  if (!f) FAIL("no answer to " << json::serialize(frame));
  return *f;
}

json::object ws_client::expect(const std::string& type,
                               std::chrono::milliseconds wait) {
  auto f = wait_for(type, wait);
  if (!f) FAIL("no '" << type << "' frame");
  return *f;
}

std::optional<json::object> ws_client::wait_for(
    const std::string& type, std::chrono::milliseconds wait) {
  return impl_->take(
      [&](const json::object& o) {
        auto* t = o.if_contains("type");
        return t && t->is_string() && t->as_string() == type;
      },
      wait);
}

bool ws_client::has(const std::string& type) {
  return impl_
      ->take(
          [&](const json::object& o) {
            auto* t = o.if_contains("type");
            return t && t->is_string() && t->as_string() == type;
          },
          std::chrono::milliseconds(0))
      .has_value();
}

void ws_client::clear() {
  std::lock_guard<std::mutex> lock(impl_->mtx);
  impl_->frames.clear();
}

std::optional<int> ws_client::wait_closed(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(impl_->mtx);
  if (!impl_->cv.wait_for(lock, wait, [this] { return impl_->closed; }))
    return std::nullopt;
  return impl_->close_code;
}

void ws_client::stop_reading() {
  asio::post(impl_->ioc, [this] { impl_->reading = false; });
}

void ws_client::resume_reading() {
  asio::post(impl_->ioc, [this] {
    impl_->reading = true;
    if (!impl_->read_pending) impl_->do_read();
  });
}

void ws_client::close() {
  asio::post(impl_->ioc, [this] {
    impl_->ws.async_close(websocket::close_code::normal,
                          [](beast::error_code) {});
  });
}

http_result http_request(
    std::uint16_t port, const std::string& method, const std::string& target,
    const std::string& body, const std::string& authorization,
    bool websocket_upgrade, const std::string& content_type,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req(http::string_to_verb(method), target,
                                       11);
  req.set(http::field::host, "127.0.0.1");
  if (!authorization.empty())
    req.set(http::field::authorization, authorization);
  if (websocket_upgrade) {
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::sec_websocket_version, "13");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  }
  if (!body.empty()) {
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  for (auto& [name, value] : headers) req.set(name, value);
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  http_result out{static_cast<int>(res.result_int()), res.body(), {}};
  for (auto& h : res) {
    std::string name(h.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(c));
    out.headers[name] = std::string(h.value());
  }
  return out;
}

struct silent_client::impl {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
};

silent_client::silent_client(std::uint16_t port, const std::string& token)
    : impl_(std::make_unique<impl>()) {
  impl_->stream.connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req(http::verb::get, "/v1/ws?token=" + token,
                                      11);
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::sec_websocket_version, "13");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  http::write(impl_->stream, req);
  beast::flat_buffer buf;
  http::response_parser<http::empty_body> p;
  p.skip(true);  // a 101 has no body; the frames after it stay unread
  http::read_header(impl_->stream, buf, p);
  status_ = static_cast<int>(p.get().result_int());
}

silent_client::~silent_client() = default;

json::object http_result::json() const {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) FAIL("not a JSON object: " << body);
  return v.as_object();
}

}  // namespace switchboard::testing
