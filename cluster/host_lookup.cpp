#include "cluster/host_lookup.hpp"

#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

namespace switchboard::cluster {

using tcp = boost::asio::ip::tcp;

namespace {

struct lookup {
  bool done = false;
  std::string why;
  std::vector<tcp::endpoint> found;
};

}  // namespace

struct host_lookup::state {
  getaddrinfo_fn fn;
  mutable std::mutex m;
  std::condition_variable cv;
  std::map<std::string, std::shared_ptr<lookup>> running;  // by host:port
};

host_lookup::host_lookup(getaddrinfo_fn fn) : st_(std::make_shared<state>()) {
  st_->fn = std::move(fn);
}

std::size_t host_lookup::running() const {
  std::lock_guard<std::mutex> l(st_->m);
  return st_->running.size();
}

std::vector<tcp::endpoint> host_lookup::resolve(
    const std::string& host, std::uint16_t port,
    std::chrono::steady_clock::time_point deadline, std::string& why) {
  auto key = host + ":" + std::to_string(port);
  std::unique_lock<std::mutex> l(st_->m);
  auto& slot = st_->running[key];
  auto mine = slot;
  if (!mine) {
    slot = mine = std::make_shared<lookup>();
    std::thread([st = st_, mine, key, host, port] {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      auto service = std::to_string(port);
      int rc = st->fn(host.c_str(), service.c_str(), &hints, &res);
      std::vector<tcp::endpoint> found;
      std::string why;
      if (rc != 0) {
        why = std::string("resolve: ") + ::gai_strerror(rc);
      } else {
        for (auto* a = res; a; a = a->ai_next) {
          tcp::endpoint e;
          if (a->ai_addrlen <= e.capacity()) {
            std::memcpy(e.data(), a->ai_addr, a->ai_addrlen);
            e.resize(a->ai_addrlen);
            found.push_back(e);
          }
        }
        if (found.empty()) why = "resolve: no address";
      }
      if (res) ::freeaddrinfo(res);
      std::lock_guard<std::mutex> g(st->m);
      mine->done = true;
      mine->why = std::move(why);
      mine->found = std::move(found);
      if (auto it = st->running.find(key);
          it != st->running.end() && it->second == mine)
        st->running.erase(it);
      st->cv.notify_all();
    }).detach();
  }
  if (!st_->cv.wait_until(l, deadline, [&] { return mine->done; })) {
    why = "resolve: timed out (the system resolver of " + host +
          " is still answering)";
    return {};
  }
  why = mine->why;
  return mine->found;
}

}  // namespace switchboard::cluster
