#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/harness/connection.hpp"
#include "bench/harness/frame_reader.hpp"
#include "bench/harness/ledger.hpp"
#include "bench/harness/options.hpp"
#include "bench/harness/results.hpp"

namespace switchboard::bench {

// The users of one harness thread, in pairs (direct) or groups, each with
// its connection: connects them, creates their conversations, sends on the
// closed- or open-loop schedule, acks what arrives, and keeps the ledger of
// what the node answered. Everything but the counters runs on the worker's
// own io_context thread (run()); sent(), acked() and received() may be read
// from any thread. `o` must outlive the worker.
class worker {
 public:
  worker(const options& o, int first_user, int users, double rate);

  void run();

  results& result() { return r_; }
  std::uint64_t sent() const { return sent_.load(); }
  std::uint64_t acked() const { return acked_.load(); }
  std::uint64_t received() const { return received_.load(); }

 private:
  struct user {
    std::string id;
    std::string token;
    std::shared_ptr<connection> conn;
    const endpoint* node = nullptr;  // where it connects (node_of)
    std::size_t conv = 0;            // index into convs_
    std::uint64_t seq = 0;
    std::map<std::uint64_t, int> tries;  // sends answered unavailable
    bool ack_owed = false;               // an ack is to be said again
  };
  struct conversation {
    std::string conv_id;
    std::string quoted_id;  // conv_id as a JSON string
    std::vector<std::size_t> members;
  };

  bool direct() const { return o_.scenario == "direct"; }
  bool channel() const { return o_.scenario == "channel"; }

  // Set-up: every user connects; once all are welcomed, the first member of
  // each conversation creates it; once all exist, the load starts.
  void connect_all();
  void on_welcome();
  // Sends conversation c's create; false for an odd user out.
  bool send_create(std::size_t c);
  void on_create_failed(const frame_fields& f);
  // channel: sends the next `members` request adding members who never
  // connect; false when all are added.
  bool add_offline_members();
  void start_load();

  // Load: closed loop (a window of sends per user, refilled by each `sent`)
  // or open loop (tick: every millisecond, what the schedule has made due;
  // latency counts from the scheduled time, so a stall is not hidden).
  void tick();
  std::size_t senders() const;
  void send_from(std::size_t i, std::uint64_t sched);
  // The frame of user i's message `seq`, due at `sched`.
  void send_frame(std::size_t i, std::uint64_t seq, std::uint64_t sched);
  void send_ack(std::size_t i, std::uint64_t msg_id);
  // A client's answer to `unavailable` (a shard moving or failing over):
  // the same send again (the same client_msg_id, so at most one message),
  // or the user's ack again (acks carry no rid: the cumulative ack of all
  // it received), after a pause. Anything else fails the send.
  void on_error(std::size_t i, const frame_fields& f);
  void after(std::chrono::milliseconds wait, std::function<void()> fn);

  // The end: stop sending, wait up to 10 s for what is owed, check.
  void stop_load();
  void wait_drained();
  void finish();

  // What user i's connection receives.
  void on_frame(std::size_t i, std::string_view text);
  void on_sent(std::size_t i, const frame_fields& f);
  void on_message(std::size_t i, const frame_fields& f);
  void on_receipt(std::size_t i, const frame_fields& f);

  const options& o_;
  double rate_;
  boost::asio::io_context ioc_;
  boost::asio::steady_timer timer_, ticker_;
  std::vector<user> users_;
  std::vector<conversation> convs_;
  results r_;
  std::optional<ledger> ledger_;
  frame_reader reader_;
  frame_fields fields_;  // on_frame's, reused
  int welcomed_ = 0, failed_ = 0, creating_ = 0, added_offline_ = 0;
  std::map<std::size_t, int> create_tries_;  // failed creates, by conversation
  bool running_ = false;
  std::chrono::steady_clock::time_point start_, drain_deadline_;
  std::uint64_t start_ns_ = 0, issued_ = 0;
  std::size_t next_sender_ = 0;
  std::atomic<std::uint64_t> sent_{0}, acked_{0}, received_{0};
};

}  // namespace switchboard::bench
