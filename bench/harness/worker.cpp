#include "bench/harness/worker.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <cstdlib>

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

// `s` as a JSON string literal, quotes included.
std::string quoted(std::string_view s) {
  return json::serialize(json::string_view(s.data(), s.size()));
}

// The number after the last '-' of a client_msg_id or rid ("bench-7-42").
std::uint64_t seq_of(std::string_view id) {
  auto dash = id.rfind('-');
  if (dash == std::string_view::npos) return 0;
  return std::strtoull(std::string(id.substr(dash + 1)).c_str(), nullptr, 10);
}

}  // namespace

worker::worker(const options& o, int first_user, int users, double rate)
    : o_(o), rate_(rate), timer_(ioc_), ticker_(ioc_) {
  r_.scenario = o.scenario;
  int size = direct() ? 2 : channel() ? o.online : o.group_size;
  std::vector<std::vector<std::size_t>> members(
      static_cast<std::size_t>((users + size - 1) / size));
  for (int i = 0; i < users; ++i) {
    user u;
    u.id = "bench-" + std::to_string(first_user + i);
    u.token = make_token(o, u.id);  // here: a failing command throws
    u.node = &node_of(o, first_user + i);
    u.conv = static_cast<std::size_t>(i / size);
    members[u.conv].push_back(users_.size());
    users_.push_back(std::move(u));
  }
  convs_.resize(members.size());
  for (std::size_t c = 0; c < members.size(); ++c)
    convs_[c].members = members[c];
  ledger_.emplace(users_.size(), std::move(members), direct(), r_);
}

void worker::run() {
  connect_all();
  ioc_.run();
}

void worker::connect_all() {
  for (std::size_t i = 0; i < users_.size(); ++i) {
    auto& u = users_[i];
    u.conn = connection::create(ioc_);
    u.conn->open(
        u.node->host, u.node->port, u.token,
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

void worker::on_welcome() {
  if (++welcomed_ + failed_ < static_cast<int>(users_.size())) return;
  // Every member's first: create the conversations.
  for (std::size_t c = 0; c < convs_.size(); ++c)
    if (send_create(c)) ++creating_;
  if (creating_ == 0) start_load();
}

bool worker::send_create(std::size_t c) {
  auto& conv = convs_[c];
  auto& creator = users_[conv.members[0]];
  json::array others;
  for (std::size_t k = 1; k < conv.members.size(); ++k)
    others.emplace_back(users_[conv.members[k]].id);
  if (direct() && others.size() != 1) return false;  // an odd user out
  json::object f{{"type", "create"},
                 {"rid", "create-" + std::to_string(c)},
                 {"kind", direct() ? "direct" : "group"},
                 {"members", std::move(others)}};
  creator.conn->send(json::serialize(f));
  return true;
}

void worker::on_create_failed(const frame_fields& f) {
  // A client retries what the node could not do now (unavailable, as
  // right after a cluster formed); anything else, or too many tries, is a
  // finding, and the run goes on without that conversation.
  auto c = seq_of(f.rid);
  if (c >= convs_.size()) return;
  auto& tries = create_tries_[c];
  std::fprintf(stderr, "create %zu answered %s\n", static_cast<std::size_t>(c),
               f.code.c_str());
  if (f.code == "unavailable" && ++tries < 20) {
    auto t = std::make_shared<asio::steady_timer>(ioc_);
    t->expires_after(std::chrono::milliseconds(100 * tries));
    t->async_wait([this, t, c](boost::system::error_code ec) {
      if (!ec) send_create(c);
    });
    return;
  }
  r_.violation("create " + std::to_string(c) + " failed: " + f.code);
  if (--creating_ == 0) start_load();
}

bool worker::add_offline_members() {
  // A channel's members who never connect, added a request at a time (a
  // create or members frame holds at most max_frame bytes).
  constexpr int per_request = 1000;
  int offline = o_.members - o_.online;
  if (added_offline_ >= offline || convs_.empty() || convs_[0].conv_id.empty())
    return false;
  json::array add;
  for (int k = added_offline_; k < offline && k < added_offline_ + per_request;
       ++k)
    add.emplace_back("bench-off-" + std::to_string(k));
  added_offline_ += static_cast<int>(add.size());
  json::object f{{"type", "members"},
                 {"rid", "members-" + std::to_string(added_offline_)},
                 {"conv_id", convs_[0].conv_id},
                 {"add", std::move(add)}};
  users_[convs_[0].members[0]].conn->send(json::serialize(f));
  return true;
}

void worker::start_load() {
  start_ = clock_type::now();
  start_ns_ = now_ns();
  running_ = true;
  if (rate_ > 0) {
    tick();
  } else {
    for (std::size_t i = 0; i < senders(); ++i)
      for (int k = 0; k < o_.window; ++k) send_from(i, now_ns());
  }
  timer_.expires_after(std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(o_.duration_s)));
  timer_.async_wait([this](boost::system::error_code) { stop_load(); });
}

void worker::tick() {
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

std::size_t worker::senders() const {
  if (channel())
    return std::min(users_.size(), static_cast<std::size_t>(o_.senders));
  return users_.size() - (direct() ? users_.size() % 2 : 0);
}

void worker::send_from(std::size_t i, std::uint64_t sched) {
  auto& u = users_[i];
  auto& conv = convs_[u.conv];
  if (conv.conv_id.empty()) return;
  auto seq = ++u.seq;
  ledger_->sending(i, seq, sched);
  ++sent_;
  send_frame(i, seq, sched);
}

void worker::send_frame(std::size_t i, std::uint64_t seq, std::uint64_t sched) {
  auto& u = users_[i];
  auto& conv = convs_[u.conv];
  auto cmid = u.id + "-" + std::to_string(seq);
  std::string body = std::to_string(sched) + " ";
  if (static_cast<int>(body.size()) < o_.body_size)
    body.append(o_.body_size - body.size(), 'x');
  std::string f;
  f.reserve(96 + 2 * cmid.size() + conv.quoted_id.size() + body.size());
  f.append(R"({"type":"send","rid":")").append(cmid);
  f.append(R"(","conv_id":)").append(conv.quoted_id);
  f.append(R"(,"client_msg_id":")").append(cmid);
  f.append(R"(","body":")").append(body).append("\"}");
  u.conn->send(std::move(f));
}

void worker::after(std::chrono::milliseconds wait, std::function<void()> fn) {
  auto t = std::make_shared<asio::steady_timer>(ioc_);
  t->expires_after(wait);
  t->async_wait([t, fn = std::move(fn)](boost::system::error_code ec) {
    if (!ec) fn();
  });
}

void worker::on_error(std::size_t i, const frame_fields& f) {
  ++r_.errors[f.code];
  auto& u = users_[i];
  constexpr int max_tries = 50;  // 100 ms apart: a failover's few seconds
  constexpr auto pause = std::chrono::milliseconds(100);
  if (f.rid.empty()) {  // an ack's (the only request sent without one)
    if (f.code != "unavailable" || !direct() || u.ack_owed) return;
    u.ack_owed = true;
    return after(pause, [this, i] {
      users_[i].ack_owed = false;
      send_ack(i, ledger_->last_received(i));
    });
  }
  auto seq = seq_of(f.rid);
  auto due = ledger_->pending_due(i, seq);
  if (due && f.code == "unavailable" && ++u.tries[seq] < max_tries)
    return after(pause, [this, i, seq, sched = *due] {
      if (ledger_->pending_due(i, seq)) send_frame(i, seq, sched);
    });
  u.tries.erase(seq);
  ledger_->failed(i, seq);
  // A closed loop keeps its window: a send that failed for good is
  // replaced, or a sender whose window failed would stop for the run.
  if (due && running_ && rate_ <= 0) send_from(i, now_ns());
}

void worker::stop_load() {
  running_ = false;
  r_.seconds =
      std::chrono::duration<double>(clock_type::now() - start_).count();
  drain_deadline_ = clock_type::now() + std::chrono::seconds(10);
  wait_drained();
}

void worker::wait_drained() {
  if (ledger_->drained() || clock_type::now() > drain_deadline_)
    return finish();
  ticker_.expires_after(std::chrono::milliseconds(10));
  ticker_.async_wait([this](boost::system::error_code) { wait_drained(); });
}

void worker::finish() {
  std::vector<std::string> user_ids, conv_ids;
  for (auto& u : users_) user_ids.push_back(u.id);
  for (auto& c : convs_) conv_ids.push_back(c.conv_id);
  ledger_->finish(user_ids, conv_ids);
  r_.sent = sent_;
  r_.acked = acked_;
  r_.received = received_;
  for (auto& u : users_) u.conn->close();
  ioc_.stop();
}

void worker::on_frame(std::size_t i, std::string_view text) {
  auto& f = fields_;
  if (!reader_.read(text, f))
    return r_.violation("a frame that is not a JSON object");
  if (f.type == "message") return on_message(i, f);
  if (f.type == "sent") return on_sent(i, f);
  if (f.type == "receipt") return on_receipt(i, f);
  if (f.type == "welcome") return on_welcome();
  if (f.type == "created") {
    auto& conv = convs_.at(seq_of(f.rid));
    conv.conv_id = f.conv_id;
    conv.quoted_id = quoted(conv.conv_id);
    if (channel() && add_offline_members()) return;
    if (--creating_ == 0) start_load();
    return;
  }
  if (f.rid.rfind("members-", 0) == 0) {
    if (f.type == "error") {
      ++r_.errors[f.code];
      r_.violation("adding the channel's offline members failed: " + f.code);
    } else if (add_offline_members()) {
      return;
    }
    if (--creating_ == 0) start_load();
    return;
  }
  if (f.type == "error" && f.rid.rfind("create-", 0) == 0) {
    ++r_.errors[f.code];
    return on_create_failed(f);
  }
  if (f.type == "error") return on_error(i, f);
  if (f.type.empty()) r_.violation("a frame without a string type");
}

void worker::on_sent(std::size_t i, const frame_fields& f) {
  auto seq = seq_of(f.client_msg_id);
  // A send retried after `unavailable` may have been stored the first time
  // (the answer was lost, not the message): then it is a duplicate.
  bool retried = users_[i].tries.erase(seq) > 0;
  if (ledger_->acknowledged(i, seq, f.msg_id, f.duplicate && !retried,
                            now_ns()))
    acked_ = ledger_->acked();
  if (running_ && rate_ <= 0) send_from(i, now_ns());
}

void worker::on_message(std::size_t i, const frame_fields& f) {
  std::uint64_t sched = std::strtoull(f.body_head.c_str(), nullptr, 10);
  ledger_->received(i, f.msg_id, sched, now_ns());
  received_ = ledger_->received_count();
  if (direct()) send_ack(i, f.msg_id);
}

void worker::send_ack(std::size_t i, std::uint64_t msg_id) {
  auto& u = users_[i];
  std::string ack;
  ack.reserve(64 + convs_[u.conv].quoted_id.size());
  ack.append(R"({"type":"ack","conv_id":)")
      .append(convs_[u.conv].quoted_id)
      .append(R"(,"msg_id":)")
      .append(std::to_string(msg_id))
      .append("}");
  u.conn->send(std::move(ack));
}

void worker::on_receipt(std::size_t i, const frame_fields& f) {
  if (f.state != "delivered") return;
  if (f.user_id == users_[i].id) return;  // our other device
  ledger_->delivered_upto(i, f.msg_id, now_ns());
}

}  // namespace switchboard::bench
