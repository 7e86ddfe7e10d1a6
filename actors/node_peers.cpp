#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <cerrno>
#include <cstring>

#include "actors/http_error.hpp"
#include "actors/node.hpp"
#include "actors/node_impl.hpp"

// A node's side of its cluster (node.hpp): reaching peers' registries and
// asking them, and the handlers app/cluster_node sets for the registry.
namespace switchboard::actors {

namespace {

// "" when host:port (a numeric IPv4 or IPv6 address, or a name) accepts a
// TCP connection within `timeout`; why not otherwise.
std::string tcp_reachable(const std::string& host, std::uint16_t port,
                          std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
      rc != 0)
    return "cannot resolve " + host + ": " + ::gai_strerror(rc);
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, ::freeaddrinfo);
  int fd =
      ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  std::string why;
  if (::connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      why = std::strerror(errno);
    } else {
      pollfd p{fd, POLLOUT, 0};
      int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
      int err = 0;
      socklen_t len = sizeof err;
      if (n == 0)
        why = "no answer within " + std::to_string(timeout.count()) + " ms";
      else if (n < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        why = std::strerror(errno);
      else if (err != 0)
        why = std::strerror(err);
    }
  }
  ::close(fd);
  return why.empty() ? why
                     : "cannot connect to " + host + ":" + service + ": " + why;
}

}  // namespace

node::peer node::connect_peer(const std::string& host, std::uint16_t port,
                              std::chrono::milliseconds timeout) {
  peer out;
  if (!impl_->registry) {
    out.error = "this node has no cluster port";
    return out;
  }
  // CAF's middleman connects with a blocking connect(2), which waits out
  // the kernel's SYN retries (minutes) for a host that drops packets, and
  // every other connection of the node waits behind it: a peer is tried
  // only once it accepts a TCP connection within the timeout.
  if (auto why = tcp_reachable(host, port, timeout); !why.empty()) {
    out.error = why;
    return out;
  }
  // The middleman's actor, not middleman::remote_actor: that one waits
  // forever for a peer that accepts and never completes the handshake.
  caf::scoped_actor self{impl_->sys};
  self->request(impl_->sys.middleman().actor_handle(), timeout,
                caf::connect_atom::value, host, port)
      .receive(
          [&](const caf::node_id&, caf::strong_actor_ptr& p,
              const std::set<std::string>&) {
            if (!p)
              out.error = "no actor is published at " + host + ":" +
                          std::to_string(port);
            else
              out.registry = caf::actor_cast<caf::actor>(std::move(p));
          },
          [&](caf::error& e) { out.error = impl_->sys.render(e); });
  return out;
}

std::string node::ask(const caf::actor& dest, caf::message m,
                      std::chrono::milliseconds timeout) {
  if (!dest) return "no such actor";
  std::string out;
  caf::scoped_actor self{impl_->sys};
  self->request(dest, timeout, std::move(m))
      .receive(
          [&](std::string& why) { out = std::move(why); },
          [&](caf::error& e) { out = "no answer: " + impl_->sys.render(e); });
  return out;
}

std::optional<std::pair<std::int64_t, std::uint64_t>> node::ask_position(
    const caf::actor& registry, std::uint32_t shard,
    std::chrono::milliseconds timeout, std::string* why) {
  std::optional<std::pair<std::int64_t, std::uint64_t>> out;
  if (!registry) return out;
  caf::scoped_actor self{impl_->sys};
  self->request(registry, timeout, position_atom::value, shard)
      .receive(
          [&](const std::vector<std::int64_t>& p) {
            if (p.size() == 2)
              out.emplace(p[0], static_cast<std::uint64_t>(p[1]));
            else if (why)
              *why = "a write of the shard is not yet durable there";
          },
          [&](caf::error& e) {
            if (why) *why = impl_->sys.render(e);
          });
  return out;
}

std::optional<std::vector<std::int64_t>> node::ask_journal(
    const caf::actor& registry, std::uint32_t shard,
    std::chrono::milliseconds timeout, std::string* why) {
  std::optional<std::vector<std::int64_t>> out;
  if (!registry) return out;
  caf::scoped_actor self{impl_->sys};
  self->request(registry, timeout, journal_atom::value, shard)
      .receive([&](std::vector<std::int64_t>& v) { out = std::move(v); },
               [&](caf::error& e) {
                 if (why) *why = impl_->sys.render(e);
               });
  return out;
}

std::optional<std::vector<repl_op>> node::ask_journal_keys(
    const caf::actor& registry, std::uint32_t shard, std::uint64_t after,
    std::chrono::milliseconds timeout, std::string* why) {
  std::optional<std::vector<repl_op>> out;
  if (!registry) return out;
  caf::scoped_actor self{impl_->sys};
  self->request(registry, timeout, journal_atom::value, shard, after)
      .receive([&](std::vector<repl_op>& v) { out = std::move(v); },
               [&](caf::error& e) {
                 if (why) *why = impl_->sys.render(e);
               });
  return out;
}

std::optional<std::vector<std::int64_t>> node::ask_positions(
    const caf::actor& registry, std::chrono::milliseconds timeout,
    std::string* why) {
  std::optional<std::vector<std::int64_t>> out;
  if (!registry) return out;
  caf::scoped_actor self{impl_->sys};
  self->request(registry, timeout, position_atom::value)
      .receive([&](std::vector<std::int64_t>& p) { out = std::move(p); },
               [&](caf::error& e) {
                 if (why) *why = impl_->sys.render(e);
               });
  return out;
}

std::optional<bool> node::peer_connected(const caf::actor& registry,
                                         std::chrono::milliseconds timeout,
                                         std::string* why) {
  std::optional<bool> out;
  if (!registry) return false;
  caf::scoped_actor self{impl_->sys};
  self->request(impl_->sys.middleman().actor_handle(), timeout,
                caf::get_atom::value, registry.node())
      .receive(
          [&](const caf::node_id&, const std::string&, std::uint16_t port) {
            out = port != 0;  // 0: no direct connection
          },
          [&](caf::error& e) {
            if (why) *why = impl_->sys.render(e);
          });
  return out;
}

std::optional<std::int64_t> node::ask_connections(
    const caf::actor& registry, std::chrono::milliseconds timeout,
    std::string* why) {
  std::optional<std::int64_t> out;
  if (!registry) return out;
  caf::scoped_actor self{impl_->sys};
  self->request(registry, timeout, caf::get_atom::value)
      .receive([&](std::int64_t n) { out = n; },
               [&](caf::error& e) {
                 if (why) *why = impl_->sys.render(e);
               });
  return out;
}

std::optional<std::vector<std::pair<std::string, std::int64_t>>>
node::ask_revocations(const caf::actor& registry,
                      std::chrono::milliseconds timeout, std::string* why) {
  std::optional<std::vector<std::pair<std::string, std::int64_t>>> out;
  if (!registry) return out;
  caf::scoped_actor self{impl_->sys};
  self->request(registry, timeout, revoked_atom::value)
      .receive(
          [&](std::vector<std::string>& users,
              std::vector<std::int64_t>& times) {
            out.emplace();
            for (std::size_t i = 0; i < users.size() && i < times.size(); ++i)
              out->emplace_back(std::move(users[i]), times[i]);
          },
          [&](caf::error& e) {
            if (why) *why = impl_->sys.render(e);
          });
  return out;
}

caf::actor node::registry() const { return impl_->registry; }

void node::set_move_handler(
    std::function<void(std::uint32_t, std::string,
                       std::function<void(std::string)>)>
        fn) {
  impl_->ctx.move_shard = std::move(fn);
}

void node::set_copy_move_handler(
    std::function<void(std::uint32_t, std::string, std::string,
                       std::function<void(std::string)>)>
        fn) {
  impl_->ctx.move_copy = std::move(fn);
}

void node::set_isr_handler(std::function<void(std::uint32_t, std::string,
                                              std::function<void(std::string)>)>
                               fn) {
  impl_->ctx.shrink_isr = std::move(fn);
}

void node::set_hello_handler(
    std::function<void(const std::string&, std::int64_t, const caf::actor&)>
        fn) {
  impl_->ctx.peer_hello = std::move(fn);
}

void node::set_lease_check(std::function<bool()> fn) {
  std::atomic_store(
      &impl_->ctx.lease_check,
      std::shared_ptr<const std::function<bool()>>(
          fn ? std::make_shared<const std::function<bool()>>(std::move(fn))
             : nullptr));
}

shard_positions* node::positions() const { return impl_->positions.get(); }

replicator* node::replication() const { return impl_->repl.get(); }

push::service* node::pushes() const { return impl_->ctx.push; }

void node::set_admin_handler(
    std::function<void(std::string, std::string, std::string,
                       std::function<void(int, std::string)>)>
        fn) {
  impl_->ctx.admin_local = std::move(fn);
}

std::pair<int, std::string> node::ask_admin(const caf::actor& registry,
                                            const std::string& method,
                                            const std::string& target,
                                            const std::string& body,
                                            std::chrono::milliseconds timeout) {
  auto unavailable = [](const std::string& why) {
    return std::pair<int, std::string>{
        common::info(proto_code::unavailable).http_status,
        http_error(proto_code::unavailable, why)};
  };
  if (!registry) return unavailable("no such node");
  std::pair<int, std::string> out;
  caf::scoped_actor self{impl_->sys};
  self->request(registry, timeout, admin_atom::value, method, target, body)
      .receive(
          [&](std::int32_t status, std::string& text) {
            out = {status, std::move(text)};
          },
          [&](caf::error& e) {
            out =
                unavailable("the node did not answer: " + impl_->sys.render(e));
          });
  return out;
}

void node::on_down(const caf::actor& registry,
                   std::function<void(std::string)> fn) {
  auto* sys = &impl_->sys;
  impl_->sys.spawn<caf::hidden>(
      [registry, fn, sys](caf::event_based_actor* self) {
        self->monitor(registry);
        self->set_down_handler([self, fn, sys](caf::down_msg& dm) {
          fn(sys->render(dm.reason));
          self->quit();
        });
        return caf::behavior{[](int) {}};
      });
}
}  // namespace switchboard::actors
