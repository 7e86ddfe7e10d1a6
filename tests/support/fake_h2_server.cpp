#include "tests/support/fake_h2_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "tests/support/temp_dir.hpp"

namespace switchboard::testing {

namespace {

// A key and a self-signed certificate for 127.0.0.1, valid for a day.
void make_certificate(SSL_CTX* ctx, const std::string& pem_file) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  auto* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] :
       {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
        std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    auto* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  FILE* f = std::fopen(pem_file.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + pem_file);
  PEM_write_X509(f, cert);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
}

// Only "h2": a client that offers no HTTP/2 fails the handshake.
int select_h2(SSL*, const unsigned char** out, unsigned char* outlen,
              const unsigned char* in, unsigned int inlen, void*) {
  unsigned char* sel = nullptr;
  if (nghttp2_select_next_protocol(&sel, outlen, in, inlen) != 1)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

struct fake_h2_server::impl {
  temp_dir dir;
  SSL_CTX* ctx = nullptr;
  int listener = -1;
  mutable std::mutex m;
  mutable std::condition_variable cv;
  std::vector<request> seen;
  handler h;
  std::size_t handshakes = 0;
  std::atomic<bool> stopping{false};
  std::thread acceptor;
  std::list<std::thread> threads;
  std::list<int> fds;

  // One connection: its streams' requests as they come, and the answers'
  // bodies until nghttp2 has sent them.
  struct connection {
    impl* server;
    SSL* ssl;
    std::map<std::int32_t, request> streams;
    std::map<std::int32_t, std::string> out;  // unsent answer bodies
  };

  static ssize_t on_send(nghttp2_session*, const std::uint8_t* data,
                         std::size_t length, int, void* user) {
    auto* c = static_cast<connection*>(user);
    int n = SSL_write(c->ssl, data, static_cast<int>(length));
    return n > 0 ? n : NGHTTP2_ERR_CALLBACK_FAILURE;
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* f,
                              void* user) {
    if (f->hd.type == NGHTTP2_HEADERS)
      static_cast<connection*>(user)->streams[f->hd.stream_id];
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* f,
                       const std::uint8_t* name, std::size_t namelen,
                       const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t, void* user) {
    auto& r = static_cast<connection*>(user)->streams[f->hd.stream_id];
    std::string k(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    if (k == ":method")
      r.method = v;
    else if (k == ":path")
      r.target = v;
    else
      r.headers[k] = v;  // HTTP/2 header names are lower case already
    return 0;
  }

  static int on_data(nghttp2_session*, std::uint8_t, std::int32_t stream,
                     const std::uint8_t* data, std::size_t len, void* user) {
    static_cast<connection*>(user)->streams[stream].body.append(
        reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static ssize_t read_body(nghttp2_session*, std::int32_t stream,
                           std::uint8_t* buf, std::size_t length,
                           std::uint32_t* flags, nghttp2_data_source*,
                           void* user) {
    auto& body = static_cast<connection*>(user)->out[stream];
    auto n = std::min(length, body.size());
    std::copy_n(body.data(), n, buf);
    body.erase(0, n);
    if (body.empty()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int on_frame(nghttp2_session* s, const nghttp2_frame* f, void* user) {
    auto* c = static_cast<connection*>(user);
    if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
        !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
      return 0;
    auto id = f->hd.stream_id;
    auto r = std::move(c->streams[id]);
    c->streams.erase(id);
    handler now;
    {
      std::lock_guard<std::mutex> l(c->server->m);
      now = c->server->h;
    }
    auto answer = now(r);
    {
      std::lock_guard<std::mutex> l(c->server->m);
      c->server->seen.push_back(r);
    }
    c->server->cv.notify_all();
    std::vector<std::string> kept;  // the nv entries point into these
    kept.push_back(std::to_string(answer.status));
    std::vector<std::pair<std::string, std::string>> hs{
        {":status", kept.back()}};
    for (auto& [k, v] : answer.headers) hs.emplace_back(k, v);
    std::vector<nghttp2_nv> nva;
    for (auto& [k, v] : hs)
      nva.push_back({reinterpret_cast<std::uint8_t*>(k.data()),
                     reinterpret_cast<std::uint8_t*>(v.data()), k.size(),
                     v.size(), NGHTTP2_NV_FLAG_NONE});
    c->out[id] = answer.body;
    nghttp2_data_provider body{};
    body.read_callback = &impl::read_body;
    nghttp2_submit_response(s, id, nva.data(), nva.size(),
                            answer.body.empty() ? nullptr : &body);
    return 0;
  }

  void serve(int fd) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    const unsigned char* alpn = nullptr;
    unsigned int alpn_len = 0;
    if (SSL_accept(ssl) != 1) return SSL_free(ssl);
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
    if (alpn_len != 2 ||
        std::string(reinterpret_cast<const char*>(alpn), 2) != "h2") {
      SSL_free(ssl);
      return;
    }
    {
      std::lock_guard<std::mutex> l(m);
      ++handshakes;
    }
    connection c{this, ssl, {}, {}};
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_send_callback(cbs, &impl::on_send);
    nghttp2_session_callbacks_set_on_begin_headers_callback(
        cbs, &impl::on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &impl::on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
                                                              &impl::on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &impl::on_frame);
    nghttp2_session* session = nullptr;
    nghttp2_session_server_new(&session, cbs, &c);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_settings_entry settings{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
                                    100};
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, &settings, 1);
    unsigned char buf[16384];
    while (!stopping && nghttp2_session_send(session) == 0) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0 || nghttp2_session_mem_recv(session, buf,
                                             static_cast<std::size_t>(n)) < 0)
        break;
    }
    nghttp2_session_del(session);
    SSL_free(ssl);
  }
};

fake_h2_server::fake_h2_server(handler h) : impl_(std::make_unique<impl>()) {
  // SSL_write to a client that closed its end raises SIGPIPE, which would
  // end the test process: the write fails instead.
  ::signal(SIGPIPE, SIG_IGN);
  auto& p = *impl_;
  p.h = std::move(h);
  p.ctx = SSL_CTX_new(TLS_server_method());
  ca_file_ = (p.dir.path() / "ca.pem").string();
  make_certificate(p.ctx, ca_file_);
  SSL_CTX_set_alpn_select_cb(p.ctx, &select_h2, nullptr);
  p.listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(p.listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(p.listener, 16) != 0 ||
      ::getsockname(p.listener, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("fake_h2_server: cannot listen");
  port_ = ntohs(a.sin_port);
  p.acceptor = std::thread([s = impl_.get()] {
    for (;;) {
      int fd = ::accept(s->listener, nullptr, nullptr);
      if (fd < 0 || s->stopping) {
        if (fd >= 0) ::close(fd);
        return;
      }
      std::lock_guard<std::mutex> l(s->m);
      s->fds.push_back(fd);
      s->threads.emplace_back([s, fd] { s->serve(fd); });
    }
  });
}

fake_h2_server::~fake_h2_server() {
  auto& p = *impl_;
  p.stopping = true;
  ::shutdown(p.listener, SHUT_RDWR);  // wakes accept()
  p.acceptor.join();
  ::close(p.listener);
  std::list<std::thread> threads;
  {
    std::lock_guard<std::mutex> l(p.m);
    for (int fd : p.fds) ::shutdown(fd, SHUT_RDWR);  // wakes SSL_read
    threads.swap(p.threads);
  }
  for (auto& t : threads) t.join();
  for (int fd : p.fds) ::close(fd);
  SSL_CTX_free(p.ctx);
}

std::vector<fake_h2_server::request> fake_h2_server::requests() const {
  std::lock_guard<std::mutex> l(impl_->m);
  return impl_->seen;
}

bool fake_h2_server::wait_for(std::size_t n,
                              std::chrono::milliseconds deadline) const {
  std::unique_lock<std::mutex> l(impl_->m);
  return impl_->cv.wait_for(l, deadline,
                            [&] { return impl_->seen.size() >= n; });
}

void fake_h2_server::set_handler(handler h) {
  std::lock_guard<std::mutex> l(impl_->m);
  impl_->h = std::move(h);
}

std::size_t fake_h2_server::connections() const {
  std::lock_guard<std::mutex> l(impl_->m);
  return impl_->handshakes;
}

}  // namespace switchboard::testing
