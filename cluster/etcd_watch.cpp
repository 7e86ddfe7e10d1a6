#include "cluster/etcd_watch.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <cstring>
#include <future>
#include <limits>
#include <optional>

#include "cluster/etcd_json.hpp"
#include "cluster/gateway_connection.hpp"

namespace switchboard::cluster {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Everything the watch's thread touches. Only that thread reads or writes
// it, but for `stopping` and the posted close; it lives as long as the
// thread or the etcd_watch, whichever is last.
struct etcd_watch::stream : std::enable_shared_from_this<etcd_watch::stream> {
  stream(const endpoint_list& eps, const etcd_options& opts, watch_callback cb)
      : endpoints(eps.all(), eps.preferred()),
        options(opts),
        callback(std::move(cb)) {}

  void run(std::string body);
  void do_read();
  void on_read(beast::error_code ec);
  // Handles the complete lines in `pending`; false once the watch is over.
  bool take_lines();
  bool take_line(std::string_view line);
  // The watch is over with `e`: tells whoever waits (the opener, or the
  // callback once created) and reads no more.
  void finish(error e);
  // Turns on TCP keepalive probes, so that a peer gone without a word (a
  // host down, a network cut) ends the read within watch_dead_after
  // rather than never. The error, if the socket refused an option.
  std::optional<error> probe_peer();

  endpoint_list endpoints;
  etcd_options options;
  watch_callback callback;
  asio::io_context ioc;
  beast::tcp_stream tcp{ioc};
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  std::array<char, 16384> chunk{};
  std::string pending;  // read, not yet a whole line
  const endpoint* peer = nullptr;
  bool created = false;
  bool over = false;
  unsigned error_status = 0;  // a non-200 answer to the create request
  std::promise<result<watch_response>> creation;
  std::atomic<bool> stopping{false};
};

void etcd_watch::stream::run(std::string body) {
  auto deadline = gateway_clock::now() + options.request_timeout;
  auto index = connect_any(ioc, tcp, endpoints, options, deadline);
  if (!index) return finish(index.err());
  peer = &endpoints.all()[*index];
  auto req = make_post(*peer, "/v3/watch", std::move(body));
  beast::error_code ec;
  tcp.expires_at(deadline);  // until "created"; a watch then has no end
  http::async_write(tcp, req,
                    [&](beast::error_code e, std::size_t) { ec = e; });
  run_all(ioc);
  if (ec) return finish(stream_failure(ec, *peer, "/v3/watch", "send"));
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  http::async_read_header(tcp, buffer, parser,
                          [&](beast::error_code e, std::size_t) { ec = e; });
  run_all(ioc);
  if (ec) return finish(stream_failure(ec, *peer, "/v3/watch", "answer"));
  if (parser.get().result_int() != 200)
    error_status = parser.get().result_int();
  do_read();
  run_all(ioc);
}

void etcd_watch::stream::do_read() {
  auto& b = parser.get().body();
  b.data = chunk.data();
  b.size = chunk.size();
  http::async_read_some(
      tcp, buffer, parser,
      [self = shared_from_this()](beast::error_code ec, std::size_t) {
        self->on_read(ec);
      });
}

void etcd_watch::stream::on_read(beast::error_code ec) {
  if (stopping.load()) return;
  if (ec == http::error::need_buffer) ec = {};
  if (ec && ec != http::error::end_of_stream)
    return finish(stream_failure(ec, *peer, "/v3/watch", "stream"));
  pending.append(chunk.data(), chunk.size() - parser.get().body().size);
  if (error_status != 0) {
    // Gather the error's body, which is small, then report it.
    if (parser.is_done() || ec || pending.size() > 65536)
      return finish(etcd_json::parse_error(error_status, pending));
    return do_read();
  }
  if (!take_lines()) return;
  if (pending.size() > options.max_response_bytes)
    return finish({errc::bad_response, "etcd watch: a line over the limit"});
  if (parser.is_done() || ec)
    return finish({errc::io_error, "etcd closed the watch stream"});
  do_read();
}

bool etcd_watch::stream::take_lines() {
  std::size_t start = 0;
  for (;;) {
    auto nl = pending.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(pending.data() + start, nl - start);
    start = nl + 1;
    if (!take_line(line)) return false;
  }
  pending.erase(0, start);
  return true;
}

bool etcd_watch::stream::take_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.remove_suffix(1);
  if (line.empty()) return true;
  auto r = etcd_json::parse_watch_line(line);
  if (!r) {
    finish(r.err());
    return false;
  }
  if (r->canceled) {
    if (r->compact_revision > 0)
      finish({errc::compacted, "etcd watch: compacted up to revision " +
                                   std::to_string(r->compact_revision)});
    else
      finish(
          {errc::server_error, "etcd canceled the watch: " + r->cancel_reason});
    return false;
  }
  if (!created) {
    if (!r->created) {
      finish({errc::bad_response, "etcd watch: no \"created\" answer"});
      return false;
    }
    created = true;
    tcp.expires_never();
    if (auto e = probe_peer()) {
      finish(std::move(*e));
      return false;
    }
    creation.set_value(std::move(*r));
    return !stopping.load();
  }
  if (r->events.empty()) return true;  // a progress notice
  callback(std::move(*r));
  return !stopping.load();
}

std::optional<error> etcd_watch::stream::probe_peer() {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  auto dead =
      std::max(options.watch_dead_after, std::chrono::milliseconds(3000));
  // Idle for a third of the time, then a probe a second, the rest of the
  // time's worth of them; unacknowledged data times out as well.
  int idle = static_cast<int>(duration_cast<seconds>(dead).count() / 3);
  int interval = 1;
  int count = std::max(
      1, static_cast<int>(duration_cast<seconds>(dead).count()) - idle);
  int on = 1;
  unsigned user_timeout = static_cast<unsigned>(dead.count());
  int fd = tcp.socket().native_handle();
  struct opt {
    int level, name;
    const void* value;
    socklen_t size;
    const char* what;
  } opts[] = {
      {SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on, "SO_KEEPALIVE"},
      {IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle, "TCP_KEEPIDLE"},
      {IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval, "TCP_KEEPINTVL"},
      {IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count, "TCP_KEEPCNT"},
      {IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout,
       "TCP_USER_TIMEOUT"},
  };
  for (auto& o : opts)
    if (::setsockopt(fd, o.level, o.name, o.value, o.size) != 0)
      return error{errc::io_error, std::string("etcd watch: setting ") +
                                       o.what + ": " + std::strerror(errno)};
  return std::nullopt;
}

void etcd_watch::stream::finish(error e) {
  if (over) return;
  over = true;
  beast::error_code ignored;
  tcp.socket().close(ignored);
  if (!created)
    creation.set_value(std::move(e));
  else if (!stopping.load())
    callback(std::move(e));
}

result<std::unique_ptr<etcd_watch>> etcd_watch::open(
    const endpoint_list& endpoints, const etcd_options& options,
    std::string create_body, watch_callback callback) {
  auto s = std::make_shared<stream>(endpoints, options, std::move(callback));
  auto created = s->creation.get_future();
  std::thread t([s, body = std::move(create_body)]() mutable {
    s->run(std::move(body));
  });
  // The thread answers within the request's deadline: its connect, write
  // and reads all expire then.
  auto first = created.get();
  if (!first) {
    t.join();
    return first.err();
  }
  return std::unique_ptr<etcd_watch>(new etcd_watch(
      std::move(s), std::move(t), first->watch_id, first->header.revision));
}

etcd_watch::etcd_watch(std::shared_ptr<stream> s, std::thread t,
                       std::int64_t id, std::int64_t revision)
    : stream_(std::move(s)),
      thread_(std::move(t)),
      id_(id),
      created_revision_(revision) {}

etcd_watch::~etcd_watch() {
  stream_->stopping.store(true);
  // Closing the socket on its own thread ends the read in flight; the
  // thread then runs out of work and returns.
  // A raw pointer: a handler that never runs (the thread is already done)
  // must not keep the stream, and with it the io_context, alive.
  asio::post(stream_->ioc, [s = stream_.get()] {
    beast::error_code ignored;
    s->tcp.socket().close(ignored);
  });
  if (thread_.get_id() == std::this_thread::get_id())
    thread_.detach();
  else
    thread_.join();
}

}  // namespace switchboard::cluster
