#include "bench/harness/ledger.hpp"

#include <algorithm>

namespace switchboard::bench {

namespace {

std::uint64_t since(std::uint64_t now, std::uint64_t then) {
  return now - std::min(now, then);
}

}  // namespace

ledger::ledger(std::size_t users, std::vector<std::vector<std::size_t>> members,
               bool track_delivery, results& r)
    : users_(users), track_delivery_(track_delivery), r_(r) {
  convs_.resize(members.size());
  for (std::size_t c = 0; c < members.size(); ++c) {
    for (auto u : members[c]) users_[u].conv = c;
    convs_[c].members = std::move(members[c]);
    convs_[c].sender_of.assign(1, -1);  // msg_ids start at 1
  }
}

void ledger::sending(std::size_t u, std::uint64_t seq, std::uint64_t due_ns) {
  users_[u].pending.emplace(seq, due_ns);
}

bool ledger::acknowledged(std::size_t u, std::uint64_t seq,
                          std::uint64_t msg_id, bool duplicate,
                          std::uint64_t now) {
  auto& us = users_[u];
  auto it = us.pending.find(seq);
  if (it == us.pending.end()) {
    r_.violation("user " + std::to_string(u) + ": send " + std::to_string(seq) +
                 " acknowledged twice or never sent");
    return false;
  }
  auto due = it->second;
  us.pending.erase(it);
  if (duplicate)
    r_.violation("user " + std::to_string(u) + ": send " + std::to_string(seq) +
                 " answered as a duplicate the first time");
  r_.send_to_sent.record(since(now, due));
  auto& conv = convs_[us.conv];
  if (msg_id == 0 || msg_id > (std::uint64_t{1} << 32)) {
    r_.violation("msg_id " + std::to_string(msg_id) + " out of range");
    return false;
  }
  if (conv.sender_of.size() <= msg_id) conv.sender_of.resize(msg_id + 1, -1);
  if (conv.sender_of[msg_id] != -1) {
    r_.violation("conversation " + std::to_string(us.conv) + ": msg_id " +
                 std::to_string(msg_id) + " acknowledged twice");
    return false;
  }
  conv.sender_of[msg_id] = static_cast<long>(u);
  ++conv.acked;
  ++acked_;
  if (track_delivery_) {
    if (msg_id <= us.delivered_upto)
      r_.send_to_delivered.record(since(now, due));
    else
      us.undelivered.emplace(msg_id, due);
  }
  return true;
}

void ledger::failed(std::size_t u, std::uint64_t seq) {
  users_[u].pending.erase(seq);
}

std::optional<std::uint64_t> ledger::pending_due(std::size_t u,
                                                 std::uint64_t seq) const {
  auto& pending = users_[u].pending;
  auto it = pending.find(seq);
  if (it == pending.end()) return std::nullopt;
  return it->second;
}

void ledger::received(std::size_t u, std::uint64_t msg_id, std::uint64_t due_ns,
                      std::uint64_t now) {
  auto& us = users_[u];
  ++received_;
  r_.send_to_received.record(since(now, due_ns));
  if (msg_id <= us.last_received)
    r_.violation("user " + std::to_string(u) + ": msg_id " +
                 std::to_string(msg_id) + " after " +
                 std::to_string(us.last_received));
  us.last_received = std::max(us.last_received, msg_id);
  us.received_ids.push_back(msg_id);
}

void ledger::delivered_upto(std::size_t u, std::uint64_t msg_id,
                            std::uint64_t now) {
  auto& us = users_[u];
  us.delivered_upto = std::max(us.delivered_upto, msg_id);
  auto& pending = us.undelivered;
  auto end = pending.upper_bound(msg_id);
  for (auto it = pending.begin(); it != end; ++it)
    r_.send_to_delivered.record(since(now, it->second));
  pending.erase(pending.begin(), end);
}

bool ledger::drained() const {
  std::uint64_t expected = 0;
  for (auto& c : convs_) expected += c.acked * (c.members.size() - 1);
  if (received_ < expected) return false;
  for (auto& us : users_)
    if (!us.pending.empty() || (track_delivery_ && !us.undelivered.empty()))
      return false;
  return true;
}

void ledger::finish(const std::vector<std::string>& user_ids,
                    const std::vector<std::string>& conv_ids) {
  for (std::size_t u = 0; u < users_.size(); ++u) {
    auto& us = users_[u];
    if (!us.pending.empty())
      r_.violation(user_ids[u] + ": " + std::to_string(us.pending.size()) +
                   " sends never acknowledged");
    if (track_delivery_ && !us.undelivered.empty())
      r_.violation(user_ids[u] + ": " + std::to_string(us.undelivered.size()) +
                   " messages never delivered");
  }
  for (std::size_t c = 0; c < convs_.size(); ++c) {
    auto& conv = convs_[c];
    auto& sender_of = conv.sender_of;
    auto gap = std::find(sender_of.begin() + 1, sender_of.end(), -1);
    if (gap != sender_of.end())
      r_.violation(conv_ids[c] + ": gap at msg_id " +
                   std::to_string(gap - sender_of.begin()));
    // Each member gets every message of the others exactly once, and none
    // of its own (it has one connection, which got `sent` instead).
    for (auto m : conv.members) {
      auto got = users_[m].received_ids;
      std::sort(got.begin(), got.end());
      std::size_t i = 0;
      for (std::uint64_t id = 1; id < sender_of.size(); ++id) {
        bool want =
            sender_of[id] != -1 && static_cast<std::size_t>(sender_of[id]) != m;
        std::size_t n = 0;
        while (i < got.size() && got[i] == id) ++i, ++n;
        if (n != (want ? 1u : 0u))
          r_.violation(user_ids[m] + " got msg_id " + std::to_string(id) + " " +
                       std::to_string(n) + " times in " + conv_ids[c]);
      }
      if (i < got.size())
        r_.violation(user_ids[m] + " got msg_id " + std::to_string(got[i]) +
                     ", never acknowledged, in " + conv_ids[c]);
    }
  }
}

}  // namespace switchboard::bench
