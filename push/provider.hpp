#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace switchboard::push {

// What a push says (docs/push.md): ids only by default, so that message
// bodies need not pass through the providers; `preview` only where the
// node is configured to add one.
struct notification {
  std::string user_id;
  std::string conv_id;
  std::uint64_t msg_id = 0;
  std::string sender;
  std::string preview;      // empty: none
  std::uint32_t badge = 0;  // conversations with unread messages
  // A silent update: the conversation was read elsewhere; it clears what
  // was shown of it and sets the badge.
  bool clear = false;
};

// One registered device (storage::device) as a provider sees it.
struct target {
  std::string platform;  // "fcm", "apns", "webpush", "gateway"
  std::string token;     // the provider's device token, subscription, pushkey
  std::int64_t registered_ms = 0;
};

// How one send ended.
struct outcome {
  enum class kind : std::uint8_t {
    sent,    // the provider took it
    retry,   // later (429, 5xx, no answer): after `retry_after` at least
    gone,    // the device is no longer valid: remove it
    failed,  // refused for good (a malformed request, bad credentials)
  };
  kind what = kind::sent;
  std::chrono::milliseconds retry_after{0};  // the provider's, if it said
  std::string reason;         // a short label for metrics and logs
  const char* provider = "";  // who answered (provider::name())
};

// A push provider (FCM, APNs, Web Push, a Matrix push gateway). send()
// never blocks: `done` runs once, on the provider's I/O thread.
class provider {
 public:
  virtual ~provider() = default;
  virtual const char* name() const = 0;
  virtual void send(const target& to, const notification& n,
                    std::function<void(outcome)> done) = 0;
};

}  // namespace switchboard::push
