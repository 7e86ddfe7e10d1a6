#include "push/http_client.hpp"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "common/thread_name.hpp"
#include "push/public_address.hpp"

namespace switchboard::push {

namespace {

std::once_flag curl_once;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' ||
                        s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::optional<std::string> http_client::response::header(
    std::string_view name) const {
  for (auto& [k, v] : headers)
    if (k == name) return v;
  return std::nullopt;
}

struct http_client::impl {
  struct transfer {
    request req;
    callback done;
    response res;
    curl_slist* headers = nullptr;
    CURL* easy = nullptr;
    std::size_t max_body = 0;
    bool public_only = false;
    bool refused_address = false;  // an address was not public
    bool tried_public = false;     // and one was
    ~transfer() {
      if (headers) curl_slist_free_all(headers);
      if (easy) curl_easy_cleanup(easy);
    }
  };

  std::size_t max_body;
  std::string ca_file;
  reach where = reach::any;
  CURLM* multi = nullptr;
  std::mutex mtx;
  std::deque<std::unique_ptr<transfer>> queue;  // under mtx
  bool stopping = false;                        // under mtx
  std::atomic<std::size_t> in_flight{0};
  std::map<CURL*, std::unique_ptr<transfer>> running;  // the thread's
  std::thread thread;

  // Last of all: on the client's thread when the client was released from
  // one of its own callbacks (the thread holds the impl until it ends).
  ~impl() {
    if (multi) curl_multi_cleanup(multi);
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t n,
                             void* user) {
    auto* t = static_cast<transfer*>(user);
    auto bytes = size * n;
    auto room = t->max_body - std::min(t->max_body, t->res.body.size());
    t->res.body.append(data, std::min(bytes, room));
    return bytes;  // a longer body is read and cut, not failed
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t n,
                               void* user) {
    auto* t = static_cast<transfer*>(user);
    std::string_view line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) {
      t->res.headers.clear();  // a new response (after 100 Continue)
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
      if (t->res.headers.size() < 100)
        t->res.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                    trim(line.substr(colon + 1)));
    }
    return size * n;
  }

  // libcurl's socket for each address it tries: none for one that is not
  // public when the transfer must not reach it (libcurl tries the host's
  // next address, or fails with "couldn't connect").
  static curl_socket_t open_socket(void* user, curlsocktype, curl_sockaddr* a) {
    auto* t = static_cast<transfer*>(user);
    if (t->public_only && !is_public_address(&a->addr)) {
      t->refused_address = true;
      return CURL_SOCKET_BAD;
    }
    t->tried_public = true;
    return ::socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  }

  void start(std::unique_ptr<transfer> t) {
    auto* e = curl_easy_init();
    if (!e) {
      t->res.error = "cannot make a request (libcurl)";
      return finish(std::move(t));
    }
    t->easy = e;
    t->max_body = max_body;
    auto& r = t->req;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    t->public_only = where == reach::public_only;
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
                     t->public_only ? "https" : "http,https");
    if (t->public_only) {
      curl_easy_setopt(e, CURLOPT_PROXY, "");
      curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &impl::open_socket);
      curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get());
    }
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(r.timeout.count()));
    curl_easy_setopt(
        e, CURLOPT_CONNECTTIMEOUT_MS,
        static_cast<long>(std::min<std::int64_t>(r.timeout.count(), 5000)));
    // Wait for a connection that can take another stream rather than open
    // one more to the same host.
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    if (!ca_file.empty()) {
      // Only this bundle: not libcurl's built-in CA directory besides.
      curl_easy_setopt(e, CURLOPT_CAINFO, ca_file.c_str());
      curl_easy_setopt(e, CURLOPT_CAPATH, nullptr);
    }
    bool plain = r.url.rfind("http://", 0) == 0;
    long v = CURL_HTTP_VERSION_2TLS;
    if (r.http == version::http2_only)
      v = plain ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : CURL_HTTP_VERSION_2_0;
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, v);
    if (r.method == "POST" || !r.body.empty()) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(r.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
    }
    if (r.method != "POST" && r.method != "GET")
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    for (auto& [k, val] : r.headers)
      t->headers = curl_slist_append(t->headers, (k + ": " + val).c_str());
    // No "Expect: 100-continue" round trip before a body.
    t->headers = curl_slist_append(t->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &impl::on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &impl::on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    if (auto rc = curl_multi_add_handle(multi, e); rc != CURLM_OK) {
      t->res.error = curl_multi_strerror(rc);
      return finish(std::move(t));
    }
    running.emplace(e, std::move(t));
  }

  void finish(std::unique_ptr<transfer> t) {
    auto done = std::move(t->done);
    auto res = std::move(t->res);
    if (t->easy) curl_multi_remove_handle(multi, t->easy);
    t.reset();
    in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (done) done(std::move(res));
  }

  void completed(CURL* e, CURLcode rc) {
    auto it = running.find(e);
    if (it == running.end()) return;
    auto t = std::move(it->second);
    running.erase(it);
    if (rc != CURLE_OK) {
      t->res.status = 0;
      t->res.error = curl_easy_strerror(rc);
      if (t->refused_address && !t->tried_public &&
          rc == CURLE_COULDNT_CONNECT) {
        t->res.not_public = true;
        t->res.error =
            "the host's addresses are not public (loopback, private, "
            "link-local or reserved)";
      }
    } else {
      long status = 0, ver = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
      curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &ver);
      t->res.status = status;
      t->res.http_version = ver == CURL_HTTP_VERSION_2_0   ? 2
                            : ver == CURL_HTTP_VERSION_1_1 ? 11
                            : ver == CURL_HTTP_VERSION_1_0 ? 10
                                                           : ver;
      if (t->req.http == version::http2_only && t->res.http_version != 2) {
        t->res.status = 0;
        t->res.error = "the server did not answer over HTTP/2";
      }
    }
    finish(std::move(t));
  }

  void run() {
    for (;;) {
      std::deque<std::unique_ptr<transfer>> fresh;
      bool stop = false;
      {
        std::lock_guard<std::mutex> l(mtx);
        fresh.swap(queue);
        stop = stopping;
      }
      if (stop) {
        for (auto& t : fresh) {
          t->res.error = "the node is shutting down";
          finish(std::move(t));
        }
        while (!running.empty()) {
          auto t = std::move(running.begin()->second);
          running.erase(running.begin());
          t->res.error = "the node is shutting down";
          finish(std::move(t));
        }
        return;
      }
      for (auto& t : fresh) start(std::move(t));
      int still = 0;
      curl_multi_perform(multi, &still);
      int left = 0;
      while (auto* m = curl_multi_info_read(multi, &left))
        if (m->msg == CURLMSG_DONE) completed(m->easy_handle, m->data.result);
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
  }
};

http_client::http_client(std::size_t max_body, std::string ca_file, reach where)
    : impl_(std::make_shared<impl>()) {
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->max_body = max_body;
  impl_->ca_file = std::move(ca_file);
  impl_->where = where;
  impl_->multi = curl_multi_init();
  curl_multi_setopt(impl_->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  // A provider without HTTP/2 gets at most this many connections; more
  // requests wait for one (HTTP/2 multiplexes them on one).
  curl_multi_setopt(impl_->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
  // The thread keeps the impl: a client released from its own callback
  // returns to a loop whose state is still there.
  impl_->thread = std::thread([p = impl_] {
    name_thread("sb-push-http");
    p->run();
  });
}

http_client::~http_client() { shutdown(); }

void http_client::shutdown() {
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    impl_->stopping = true;
    curl_multi_wakeup(impl_->multi);
  }
  if (!impl_->thread.joinable()) return;
  if (impl_->thread.get_id() == std::this_thread::get_id()) {
    // Dropped from a callback of its own: it cannot wait for itself. The
    // loop fails what is left once the callback returns, then ends, and
    // the last reference to the impl, the thread's, cleans up.
    impl_->thread.detach();
    return;
  }
  impl_->thread.join();
}

void http_client::send(request r, callback done) {
  auto t = std::make_unique<impl::transfer>();
  t->req = std::move(r);
  t->done = std::move(done);
  impl_->in_flight.fetch_add(1, std::memory_order_relaxed);
  bool refused = false, wake = false;
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    if (impl_->stopping) {
      refused = true;
    } else {
      // The thread takes the whole queue when it wakes: one wake-up for
      // the requests queued before it does, not one each.
      wake = impl_->queue.empty();
      impl_->queue.push_back(std::move(t));
    }
  }
  if (refused) {
    impl_->in_flight.fetch_sub(1, std::memory_order_relaxed);
    response res;
    res.error = "the node is shutting down";
    if (t->done) t->done(std::move(res));
    return;
  }
  if (!wake) return;
  std::lock_guard<std::mutex> l(impl_->mtx);
  if (!impl_->stopping) curl_multi_wakeup(impl_->multi);
}

std::size_t http_client::in_flight() const {
  return impl_->in_flight.load(std::memory_order_relaxed);
}

}  // namespace switchboard::push
