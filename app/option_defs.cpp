#include "app/option_defs.hpp"

#include <array>
#include <chrono>
#include <stdexcept>

namespace switchboard::app {

namespace {

double to_double(const std::string& v, double min) {
  std::size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || x < min)
    throw std::invalid_argument("expected a number >= " + std::to_string(min) +
                                ", got '" + v + "'");
  return x;
}

}  // namespace

long long parse_int(const std::string& v, long long min, long long max) {
  std::size_t used = 0;
  long long x = 0;
  try {
    x = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || x < min || x > max)
    throw std::invalid_argument("expected an integer in " +
                                std::to_string(min) + ".." +
                                std::to_string(max) + ", got '" + v + "'");
  return x;
}

bool parse_bool(const std::string& v) {
  if (v != "true" && v != "false")
    throw std::invalid_argument("expected true or false, got '" + v + "'");
  return v == "true";
}

option_def bool_option(const char* name, const char* help,
                       bool config::*field) {
  return {
      name, help,
      [field](const config& c) {
        return std::string(c.*field ? "true" : "false");
      },
      [field](config& c, const std::string& v) { c.*field = parse_bool(v); }};
}

#define SB_INT_OPTION(NAME, HELP, FIELD, MIN, MAX)                          \
  option_def {                                                              \
    NAME, HELP, [](const config& c) { return std::to_string(c.FIELD); },    \
        [](config& c, const std::string& v) {                               \
          c.FIELD = static_cast<decltype(c.FIELD)>(parse_int(v, MIN, MAX)); \
        }                                                                   \
  }

namespace {

// "RATE/BURST", e.g. "50/200".
actors::rate_budget to_budget(const std::string& v) {
  auto slash = v.find('/');
  if (slash == std::string::npos)
    throw std::invalid_argument("expected RATE/BURST (e.g. 50/200), got '" + v +
                                "'");
  return {to_double(v.substr(0, slash), 0.001),
          to_double(v.substr(slash + 1), 1)};
}

std::string budget_text(const actors::rate_budget& b) {
  auto num = [](double x) {
    auto s = std::to_string(x);
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
    return s;
  };
  return num(b.rate) + "/" + num(b.burst);
}

// One rate-KIND option per request kind with a budget.
void add_budget_options(std::vector<option_def>& d) {
  static std::array<std::string, actors::request_kind_count> names, helps;
  for (std::size_t i = 0; i < actors::request_kind_count; ++i) {
    auto kind = std::string(actors::request_kind_names[i]);
    names[i] = "rate-" + kind;
    helps[i] = "budget of " + kind +
               " requests per user, RATE/BURST (per second / bucket)";
    d.push_back(option_def{
        names[i].c_str(), helps[i].c_str(),
        [i](const config& c) { return budget_text(c.lim.budgets[i]); },
        [i](config& c, const std::string& v) {
          c.lim.budgets[i] = to_budget(v);
        }});
  }
}

}  // namespace

const std::vector<option_def>& option_defs() {
  static const std::vector<option_def> d = [] {
    std::vector<option_def> d = {
        {"listen", "address of the client port, HOST:PORT",
         [](const config& c) { return c.listen; },
         [](config& c, const std::string& v) { c.listen = v; }},
        {"data-dir", "where the node keeps its data",
         [](const config& c) { return c.data_dir; },
         [](config& c, const std::string& v) { c.data_dir = v; }},
        {"durability",
         "sync: fsync the WAL before acknowledging; async: survive a process "
         "crash, not a power loss",
         [](const config& c) { return c.durability; },
         [](config& c, const std::string& v) {
           if (v != "sync" && v != "async")
             throw std::invalid_argument("expected sync or async, got '" + v +
                                         "'");
           c.durability = v;
         }},
        {"jwt-secret",
         "HS256 secret of client tokens (default: DATA_DIR/jwt_secret)",
         [](const config&) { return std::string(); },
         [](config& c, const std::string& v) { c.jwt_secret = v; }},
        {"admin-listen", "address of the admin API, HOST:PORT (empty: none)",
         [](const config& c) { return c.admin_listen; },
         [](config& c, const std::string& v) { c.admin_listen = v; }},
        {"admin-token",
         "token of the admin API (default: DATA_DIR/admin_token)",
         [](const config&) { return std::string(); },
         [](config& c, const std::string& v) { c.admin_token = v; }},
        {"node-id", "this node's name, sent in welcome",
         [](const config& c) { return c.node_id; },
         [](config& c, const std::string& v) {
           if (v.empty()) throw std::invalid_argument("must not be empty");
           c.node_id = v;
         }},
        {"log-level", "least level logged: debug, info, warn or error",
         [](const config& c) { return c.log_level; },
         [](config& c, const std::string& v) {
           if (v != "debug" && v != "info" && v != "warn" && v != "error")
             throw std::invalid_argument(
                 "expected debug, info, warn or error, got '" + v + "'");
           c.log_level = v;
         }},
        bool_option(
            "dev-login",
            "let anyone sign in by user name alone (POST /v1/dev/login), for "
            "trying the node out; loopback --listen only",
            &config::dev_login),
        {"web-root",
         "folder of the browser client served at / (default: the installed "
         "or built one)",
         [](const config& c) { return c.web_root; },
         [](config& c, const std::string& v) { c.web_root = v; }},
        SB_INT_OPTION("shutdown-timeout-s",
                      "longest a SIGTERM drain may take, seconds",
                      shutdown_timeout_s, 1, 3600),
        SB_INT_OPTION("max-connections",
                      "client TCP connections of the node (past it: 503); 0: "
                      "as many as the descriptor limit leaves after the store",
                      max_connections, 0, 10000000),
        SB_INT_OPTION("max-connections-per-address",
                      "client TCP connections from one IP address (past it: "
                      "429); 0: no cap",
                      max_connections_per_address, 0, 10000000),
        SB_INT_OPTION("max-connections-per-user",
                      "WebSocket connections of one user (past it: 429); 0: "
                      "no cap",
                      max_connections_per_user, 0, 10000000),
        SB_INT_OPTION("http-timeout-s",
                      "longest a client may take to send a request's headers "
                      "and body, seconds",
                      http_timeout_s, 1, 3600),
        SB_INT_OPTION("token-leeway-s",
                      "clock skew allowed when checking a token's exp, nbf "
                      "and iat, seconds",
                      token_leeway_s, 0, 3600),
        SB_INT_OPTION("token-max-lifetime-s",
                      "longest a client token may live (exp - iat), seconds; "
                      "0: no limit",
                      token_max_lifetime_s, 0, 100LL * 365 * 86400),
        SB_INT_OPTION("scheduler-threads", "CAF scheduler threads",
                      scheduler_threads, 1, 64),
        SB_INT_OPTION("io-threads", "threads for blocking store reads",
                      io_threads, 1, 64),
        SB_INT_OPTION("net-threads", "Asio threads serving the client port",
                      net_threads, 1, 64),
        SB_INT_OPTION("max-body", "largest message body, bytes", lim.max_body,
                      1, 1 << 24),
        SB_INT_OPTION("max-frame", "largest client frame or REST body, bytes",
                      lim.max_frame, 256, 1 << 26),
        SB_INT_OPTION("history-page", "most messages per sync page",
                      lim.history_page, 1, 10000),
        SB_INT_OPTION("max-members", "most members per conversation",
                      lim.max_members, 2, 1000000),
        SB_INT_OPTION("fanout-threshold",
                      "members above which a conversation is a channel",
                      lim.fanout_threshold, 1, 1000000),
        {"send-rate", "sends per second per user",
         [](const config& c) { return std::to_string(c.lim.send_rate); },
         [](config& c, const std::string& v) {
           c.lim.send_rate = to_double(v, 0.001);
         }},
        {"send-burst", "send bucket size per user",
         [](const config& c) { return std::to_string(c.lim.send_burst); },
         [](config& c, const std::string& v) {
           c.lim.send_burst = to_double(v, 1);
         }},
        SB_INT_OPTION(
            "heartbeat-s",
            "client heartbeat interval, seconds (silence for twice it closes)",
            lim.heartbeat_s, 1, 3600),
        SB_INT_OPTION(
            "max-queue",
            "outgoing frames queued per connection before it is dropped",
            lim.max_queue, 1, 1 << 20),
        {"presence-policy",
         "shared: a user sees the presence of users it shares a conversation "
         "with, others look offline; all: everyone's (a directory)",
         [](const config& c) {
           return std::string(c.lim.presence_all ? "all" : "shared");
         },
         [](config& c, const std::string& v) {
           if (v != "shared" && v != "all")
             throw std::invalid_argument("expected shared or all, got '" + v +
                                         "'");
           c.lim.presence_all = v == "all";
         }},
        SB_INT_OPTION("max-presence-subscriptions",
                      "users one connection may watch the presence of",
                      lim.max_presence_subscriptions, 1, 1000000),
        SB_INT_OPTION("max-queue-bytes",
                      "outgoing bytes queued per connection before it is "
                      "closed (1008); history pages count before they are "
                      "built",
                      lim.max_queue_bytes, 65536, 1LL << 32),
        SB_INT_OPTION("max-in-flight",
                      "requests of one connection in flight; past it the node "
                      "stops reading that connection until answers go out",
                      lim.max_in_flight, 1, 1 << 16),
        {"idle-actor-ms",
         "an idle conversation or user actor passivates after this",
         [](const config& c) {
           return std::to_string(c.lim.idle_actor.count());
         },
         [](config& c, const std::string& v) {
           c.lim.idle_actor =
               std::chrono::milliseconds(parse_int(v, 10, 86400000));
         }},
        {"cursor-linger-ms",
         "an ack's or read's cursor write may wait this long for a message "
         "write to share its fsync (0: never)",
         [](const config& c) {
           return std::to_string(c.lim.cursor_linger.count());
         },
         [](config& c, const std::string& v) {
           c.lim.cursor_linger =
               std::chrono::milliseconds(parse_int(v, 0, 1000));
         }},
        SB_INT_OPTION("typing-interval-ms",
                      "one typing event per user and conversation per this",
                      lim.typing_interval_ms, 0, 60000),
        SB_INT_OPTION("max-members-per-request",
                      "users one members request may add and remove",
                      lim.max_members_per_request, 1, 1000000),
        SB_INT_OPTION("max-devices-per-user",
                      "push devices one user keeps; a new one replaces the "
                      "oldest",
                      lim.max_devices_per_user, 1, 10000),
        SB_INT_OPTION("inbox-page",
                      "conversations one inbox answer lists at most",
                      lim.inbox_page, 1, 1000000),
        SB_INT_OPTION("inbox-page-members",
                      "members one inbox answer lists at most, past its "
                      "first conversation",
                      lim.inbox_page_members, 1, 100000000),
    };
    add_budget_options(d);
    add_cluster_options(d);
    add_push_options(d);
    return d;
  }();
  return d;
}

}  // namespace switchboard::app
