#include "bench/harness/messaging.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <unordered_map>

#include "bench/harness/connection.hpp"
#include "bench/harness/schedule.hpp"
#include "bench/harness/tokens.hpp"

namespace switchboard::bench {

namespace asio = boost::asio;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

namespace {

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          clock_type::now().time_since_epoch())
          .count());
}

struct user {
  std::string id;
  std::shared_ptr<connection> conn;
  std::size_t group = 0;  // index of its conversation in worker::convs
  bool welcomed = false;
  int in_flight = 0;
  std::uint64_t seq = 0;
  std::unordered_map<std::string, std::uint64_t>
      pending;                                         // cmid -> scheduled ns
  std::map<std::uint64_t, std::uint64_t> undelivered;  // msg_id -> scheduled ns
  std::uint64_t last_received = 0;
  std::vector<std::uint64_t> received_ids;
};

struct conversation {
  std::string conv_id;
  std::vector<std::size_t> members;           // indices into worker::users
  std::map<std::uint64_t, std::size_t> sent;  // msg_id -> sender index
};

// The users, pairs or groups of one I/O thread.
class worker {
 public:
  worker(const options& o, int first_user, int users, double rate)
      : o_(o), rate_(rate), timer_(ioc_), ticker_(ioc_) {
    r_.scenario = o.scenario;
    bool direct = o.scenario == "direct";
    int size = direct ? 2 : o.group_size;
    for (int i = 0; i < users; ++i) {
      user u;
      u.id = "bench-" + std::to_string(first_user + i);
      u.group = static_cast<std::size_t>(i / size);
      users_.push_back(std::move(u));
    }
    convs_.resize((users_.size() + size - 1) / size);
    for (std::size_t i = 0; i < users_.size(); ++i)
      convs_[users_[i].group].members.push_back(i);
  }

  void run() {
    connect_all();
    ioc_.run();
  }

  results& result() { return r_; }
  std::uint64_t sent() const { return sent_.load(); }
  std::uint64_t acked() const { return acked_.load(); }
  std::uint64_t received() const { return received_.load(); }

 private:
  bool direct() const { return o_.scenario == "direct"; }

  void connect_all() {
    for (std::size_t i = 0; i < users_.size(); ++i) {
      auto& u = users_[i];
      u.conn = connection::create(ioc_);
      u.conn->open(
          o_.host, o_.port, make_token(o_.jwt_secret, u.id),
          [this](bool ok, const std::string& err) {
            if (!ok) {
              ++r_.errors["connect"];
              std::fprintf(stderr, "connect failed: %s\n", err.c_str());
              ++failed_;
            }
          },
          [this, i](std::string_view text) { on_frame(i, text); });
    }
  }

  void on_welcome() {
    if (++welcomed_ + failed_ < static_cast<int>(users_.size())) return;
    // Every member's first: create the conversations.
    for (std::size_t c = 0; c < convs_.size(); ++c) {
      auto& conv = convs_[c];
      auto& creator = users_[conv.members[0]];
      json::array others;
      for (std::size_t k = 1; k < conv.members.size(); ++k)
        others.emplace_back(users_[conv.members[k]].id);
      if (direct() && others.size() != 1) continue;  // an odd user out
      json::object f{{"type", "create"},
                     {"rid", "create-" + std::to_string(c)},
                     {"kind", direct() ? "direct" : "group"},
                     {"members", std::move(others)}};
      creator.conn->send(json::serialize(f));
      ++creating_;
    }
    if (creating_ == 0) start_load();
  }

  void start_load() {
    start_ = clock_type::now();
    start_ns_ = now_ns();
    running_ = true;
    if (rate_ > 0) {
      tick();
    } else {
      for (std::size_t i = 0; i < users_.size(); ++i)
        for (int k = 0; k < o_.window; ++k) send_from(i, now_ns());
    }
    timer_.expires_after(std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double>(o_.duration_s)));
    timer_.async_wait([this](boost::system::error_code) { stop_load(); });
  }

  // Open loop: every millisecond, send what is due by the schedule; latency
  // counts from the scheduled time, so a stall is not hidden.
  void tick() {
    if (!running_) return;
    auto elapsed =
        std::chrono::duration<double>(clock_type::now() - start_).count();
    auto due = messages_due(elapsed, rate_);
    std::size_t n = senders();
    while (issued_ < due && n > 0) {
      std::uint64_t sched = start_ns_ + due_ns(issued_, rate_);
      send_from(next_sender_++ % n, sched);
      ++issued_;
    }
    ticker_.expires_after(std::chrono::milliseconds(1));
    ticker_.async_wait([this](boost::system::error_code ec) {
      if (!ec) tick();
    });
  }

  std::size_t senders() const {
    return users_.size() - (direct() ? users_.size() % 2 : 0);
  }

  void send_from(std::size_t i, std::uint64_t sched) {
    auto& u = users_[i];
    auto& conv = convs_[u.group];
    if (conv.conv_id.empty()) return;
    auto cmid = u.id + "-" + std::to_string(++u.seq);
    std::string body = std::to_string(sched) + " ";
    if (static_cast<int>(body.size()) < o_.body_size)
      body.append(o_.body_size - body.size(), 'x');
    json::object f{{"type", "send"},
                   {"rid", cmid},
                   {"conv_id", conv.conv_id},
                   {"client_msg_id", cmid},
                   {"body", body}};
    u.pending.emplace(cmid, sched);
    ++u.in_flight;
    ++sent_;
    u.conn->send(json::serialize(f));
  }

  void stop_load() {
    running_ = false;
    r_.seconds =
        std::chrono::duration<double>(clock_type::now() - start_).count();
    drain_deadline_ = clock_type::now() + std::chrono::seconds(10);
    wait_drained();
  }

  bool drained() const {
    for (auto& u : users_)
      if (!u.pending.empty() || (direct() && !u.undelivered.empty()))
        return false;
    std::uint64_t expected = 0;
    for (auto& c : convs_) expected += c.sent.size() * (c.members.size() - 1);
    return received_.load() >= expected;
  }

  void wait_drained() {
    if (drained() || clock_type::now() > drain_deadline_) return finish();
    ticker_.expires_after(std::chrono::milliseconds(10));
    ticker_.async_wait([this](boost::system::error_code) { wait_drained(); });
  }

  void finish() {
    for (auto& u : users_) {
      if (!u.pending.empty())
        r_.violation(u.id + ": " + std::to_string(u.pending.size()) +
                     " sends never acknowledged");
      if (direct() && !u.undelivered.empty())
        r_.violation(u.id + ": " + std::to_string(u.undelivered.size()) +
                     " messages never delivered");
    }
    for (auto& c : convs_) {
      std::uint64_t expect = 1;
      for (auto& [id, sender] : c.sent) {
        if (id != expect) {
          r_.violation(c.conv_id + ": gap before msg_id " + std::to_string(id));
          break;
        }
        ++expect;
      }
      for (auto m : c.members) {
        auto& got = users_[m].received_ids;
        std::set<std::uint64_t> want;
        for (auto& [id, sender] : c.sent)
          if (sender != m) want.insert(id);
        std::multiset<std::uint64_t> have(got.begin(), got.end());
        for (auto id : want)
          if (have.count(id) != 1)
            r_.violation(users_[m].id + " got msg_id " + std::to_string(id) +
                         " " + std::to_string(have.count(id)) + " times in " +
                         c.conv_id);
      }
    }
    r_.sent = sent_;
    r_.acked = acked_;
    r_.received = received_;
    for (auto& u : users_) u.conn->close();
    ioc_.stop();
  }

  void on_frame(std::size_t i, std::string_view text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object())
      return r_.violation("a frame that is not a JSON object");
    auto& o = v.as_object();
    auto type = o["type"].as_string();
    auto& u = users_[i];
    if (type == "message") return on_message(i, o);
    if (type == "sent") return on_sent(i, o);
    if (type == "receipt") return on_receipt(u, o);
    if (type == "welcome") {
      u.welcomed = true;
      return on_welcome();
    }
    if (type == "created") {
      std::string rid(o["rid"].as_string());
      auto c = std::stoul(rid.substr(7));
      convs_[c].conv_id = std::string(o["conv_id"].as_string());
      if (--creating_ == 0) start_load();
      return;
    }
    if (type == "error") {
      ++r_.errors[std::string(o["code"].as_string())];
      if (auto* rid = o.if_contains("rid"); rid && rid->is_string()) {
        auto it = u.pending.find(std::string(rid->as_string()));
        if (it != u.pending.end()) {
          u.pending.erase(it);
          --u.in_flight;
        }
      }
    }
  }

  void on_sent(std::size_t i, json::object& o) {
    auto& u = users_[i];
    auto cmid = std::string(o["client_msg_id"].as_string());
    auto it = u.pending.find(cmid);
    if (it == u.pending.end())
      return r_.violation(u.id + ": sent twice or unasked for " + cmid);
    if (o["duplicate"].as_bool())
      r_.violation(u.id + ": a first send answered as duplicate");
    auto id = o["msg_id"].to_number<std::uint64_t>();
    auto now = now_ns();
    r_.send_to_sent.record(now - std::min(now, it->second));
    auto& conv = convs_[u.group];
    if (!conv.sent.emplace(id, i).second)
      r_.violation(conv.conv_id + ": msg_id " + std::to_string(id) +
                   " acknowledged twice");
    if (direct()) u.undelivered.emplace(id, it->second);
    u.pending.erase(it);
    --u.in_flight;
    ++acked_;
    if (running_ && rate_ <= 0) send_from(i, now_ns());
  }

  void on_message(std::size_t i, json::object& o) {
    auto& u = users_[i];
    auto id = o["msg_id"].to_number<std::uint64_t>();
    ++received_;
    auto body = o["body"].as_string();
    std::uint64_t sched = std::strtoull(body.c_str(), nullptr, 10);
    auto now = now_ns();
    r_.send_to_received.record(now - std::min(now, sched));
    if (id <= u.last_received)
      r_.violation(u.id + ": msg_id " + std::to_string(id) + " after " +
                   std::to_string(u.last_received));
    u.last_received = std::max(u.last_received, id);
    u.received_ids.push_back(id);
    if (direct()) {
      json::object ack{
          {"type", "ack"}, {"conv_id", o["conv_id"]}, {"msg_id", id}};
      u.conn->send(json::serialize(ack));
    }
  }

  void on_receipt(user& u, json::object& o) {
    if (o["state"].as_string() != "delivered") return;
    if (o["user_id"].as_string() == u.id) return;  // our own other device
    auto upto = o["msg_id"].to_number<std::uint64_t>();
    auto now = now_ns();
    for (auto it = u.undelivered.begin();
         it != u.undelivered.end() && it->first <= upto;) {
      r_.send_to_delivered.record(now - std::min(now, it->second));
      it = u.undelivered.erase(it);
    }
  }

  const options& o_;
  double rate_;
  asio::io_context ioc_;
  asio::steady_timer timer_, ticker_;
  std::vector<user> users_;
  std::vector<conversation> convs_;
  results r_;
  int welcomed_ = 0, failed_ = 0, creating_ = 0;
  bool running_ = false;
  clock_type::time_point start_, drain_deadline_;
  std::uint64_t start_ns_ = 0, issued_ = 0;
  std::size_t next_sender_ = 0;
  std::atomic<std::uint64_t> sent_{0}, acked_{0}, received_{0};
};

}  // namespace

results run_messaging(const options& o) {
  int threads = std::max(1, o.threads);
  int unit = o.scenario == "direct" ? 2 : o.group_size;
  int units = std::max(1, o.connections / unit);
  std::vector<std::unique_ptr<worker>> workers;
  int first = 0;
  for (int t = 0; t < threads; ++t) {
    int my_units = units / threads + (t < units % threads ? 1 : 0);
    if (my_units == 0) continue;
    double share = o.rate * my_units / units;
    workers.push_back(
        std::make_unique<worker>(o, first, my_units * unit, share));
    first += my_units * unit;
  }
  std::vector<std::thread> ts;
  for (auto& w : workers) ts.emplace_back([&w] { w->run(); });
  std::atomic<bool> done{false};
  std::thread progress([&] {
    auto start = clock_type::now();
    while (!done) {
      std::this_thread::sleep_for(
          std::chrono::seconds(1));  // the progress line's pace
      if (done || !o.progress) continue;
      std::uint64_t s = 0, a = 0, r = 0;
      for (auto& w : workers)
        s += w->sent(), a += w->acked(), r += w->received();
      std::fprintf(
          stderr, "[%3.0fs] sent %llu acked %llu received %llu\n",
          std::chrono::duration<double>(clock_type::now() - start).count(),
          static_cast<unsigned long long>(s),
          static_cast<unsigned long long>(a),
          static_cast<unsigned long long>(r));
    }
  });
  for (auto& t : ts) t.join();
  done = true;
  progress.join();
  results out;
  out.scenario = o.scenario;
  out.connections = first;
  for (auto& w : workers) {
    auto& r = w->result();
    out.seconds = std::max(out.seconds, r.seconds);
    out.sent += r.sent;
    out.acked += r.acked;
    out.received += r.received;
    out.send_to_sent.merge(r.send_to_sent);
    out.send_to_received.merge(r.send_to_received);
    out.send_to_delivered.merge(r.send_to_delivered);
    for (auto& [k, v] : r.errors) out.errors[k] += v;
    out.violations += r.violations;
    for (auto& v : r.violation_samples)
      if (out.violation_samples.size() < 10) out.violation_samples.push_back(v);
  }
  return out;
}

}  // namespace switchboard::bench
