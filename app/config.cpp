#include "app/config.hpp"

#include <cpptoml.h>

#include <cstdlib>
#include <functional>
#include <stdexcept>

extern char** environ;

namespace switchboard::app {

namespace {

struct option_def {
  const char* name;
  const char* help;
  std::function<std::string(const config&)> get;
  std::function<void(config&, const std::string&)> set;
};

long long to_int(const std::string& v, long long min, long long max) {
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

#define SB_INT_OPTION(NAME, HELP, FIELD, MIN, MAX)                       \
  option_def {                                                           \
    NAME, HELP, [](const config& c) { return std::to_string(c.FIELD); }, \
        [](config& c, const std::string& v) {                            \
          c.FIELD = static_cast<decltype(c.FIELD)>(to_int(v, MIN, MAX)); \
        }                                                                \
  }

const std::vector<option_def>& defs() {
  static const std::vector<option_def> d = {
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
      {"admin-token", "token of the admin API (default: DATA_DIR/admin_token)",
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
      {"dev-login",
       "let anyone sign in by user name alone (POST /v1/dev/login), for "
       "trying the node out; loopback --listen only",
       [](const config& c) {
         return std::string(c.dev_login ? "true" : "false");
       },
       [](config& c, const std::string& v) {
         if (v != "true" && v != "false")
           throw std::invalid_argument("expected true or false, got '" + v +
                                       "'");
         c.dev_login = v == "true";
       }},
      {"web-root",
       "folder of the browser client served at / (default: the installed "
       "or built one)",
       [](const config& c) { return c.web_root; },
       [](config& c, const std::string& v) { c.web_root = v; }},
      SB_INT_OPTION("shutdown-timeout-s",
                    "longest a SIGTERM drain may take, seconds",
                    shutdown_timeout_s, 1, 3600),
      SB_INT_OPTION("scheduler-threads", "CAF scheduler threads",
                    scheduler_threads, 1, 64),
      SB_INT_OPTION("io-threads", "threads for blocking store reads",
                    io_threads, 1, 64),
      SB_INT_OPTION("net-threads", "Asio threads serving the client port",
                    net_threads, 1, 64),
      SB_INT_OPTION("max-body", "largest message body, bytes", lim.max_body, 1,
                    1 << 24),
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
      {"idle-actor-ms",
       "an idle conversation or user actor passivates after this",
       [](const config& c) { return std::to_string(c.lim.idle_actor.count()); },
       [](config& c, const std::string& v) {
         c.lim.idle_actor = std::chrono::milliseconds(to_int(v, 10, 86400000));
       }},
  };
  return d;
}

}  // namespace

std::string env_name(const std::string& option) {
  std::string out = "SWITCHBOARD_";
  for (char ch : option)
    out.push_back(ch == '-' ? '_' : static_cast<char>(std::toupper(ch)));
  return out;
}

std::vector<option_info> options_table() {
  config c;
  std::vector<option_info> out;
  out.push_back(
      {"config",
       "a TOML file of options (keys as the flags, with _: max_body = 4096)",
       ""});
  for (auto& d : defs()) out.push_back({d.name, d.help, d.get(c)});
  return out;
}

namespace {

const option_def* find_def(const std::string& name) {
  for (auto& d : defs())
    if (name == d.name) return &d;
  return nullptr;
}

void apply(config& c, const option_def& d, const std::string& value,
           const std::string& where) {
  try {
    d.set(c, value);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(where + ": " + e.what());
  }
}

// "max_body" -> "max-body"
std::string option_of_key(std::string key) {
  for (auto& ch : key)
    if (ch == '_') ch = '-';
  return key;
}

void apply_file(config& c, const std::string& path) {
  std::shared_ptr<cpptoml::table> t;
  try {
    t = cpptoml::parse_file(path);
  } catch (const cpptoml::parse_exception& e) {
    throw std::invalid_argument("config file " + path + ": " + e.what());
  }
  for (auto& [key, value] : *t) {
    auto where = "config file " + path + ": key '" + key + "'";
    const option_def* d = key.find('-') == std::string::npos
                              ? find_def(option_of_key(key))
                              : nullptr;
    if (!d || key == "config")
      throw std::invalid_argument(where + ": unknown key");
    std::string text;
    if (auto s = value->as<std::string>())
      text = s->get();
    else if (auto i = value->as<std::int64_t>())
      text = std::to_string(i->get());
    else if (auto f = value->as<double>())
      text = std::to_string(f->get());
    else if (auto b = value->as<bool>())
      text = b->get() ? "true" : "false";
    else
      throw std::invalid_argument(where +
                                  ": expected a string, number or boolean");
    apply(c, *d, text, where);
  }
}

}  // namespace

config load_config(const std::map<std::string, std::string>& flags,
                   const std::map<std::string, std::string>& env) {
  config c;
  // A file, then the environment over it, then flags over both.
  std::string file;
  if (auto it = env.find("SWITCHBOARD_CONFIG"); it != env.end())
    file = it->second;
  if (auto it = flags.find("config"); it != flags.end()) file = it->second;
  if (!file.empty()) apply_file(c, file);
  for (auto& [name, value] : env) {
    if (name == "SWITCHBOARD_CONFIG") continue;
    const option_def* match = nullptr;
    for (auto& d : defs())
      if (env_name(d.name) == name) match = &d;
    if (!match)
      throw std::invalid_argument("environment: unknown variable " + name);
    apply(c, *match, value, "environment: " + name);
  }
  for (auto& [name, value] : flags) {
    if (name == "config") continue;
    const option_def* d = find_def(name);
    if (!d) throw std::invalid_argument("unknown option --" + name);
    apply(c, *d, value, "--" + name);
  }
  return c;
}

std::map<std::string, std::string> switchboard_env() {
  std::map<std::string, std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (kv.rfind("SWITCHBOARD_", 0) != 0) continue;
    auto eq = kv.find('=');
    if (eq != std::string::npos) out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

net::server_options config::server_options() const {
  net::server_options o;
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    throw std::invalid_argument("--listen: expected HOST:PORT, got '" + listen +
                                "'");
  o.host = listen.substr(0, colon);
  if (o.host.size() > 1 && o.host.front() == '[' && o.host.back() == ']')
    o.host = o.host.substr(1, o.host.size() - 2);
  o.port =
      static_cast<std::uint16_t>(to_int(listen.substr(colon + 1), 0, 65535));
  o.max_request_body = lim.max_frame;
  o.max_frame = lim.max_frame;
  o.ws_idle_timeout_s = 2 * lim.heartbeat_s;
  o.max_queue = lim.max_queue;
  o.threads = net_threads;
  return o;
}

net::server_options config::admin_server_options() const {
  config c = *this;
  c.listen = admin_listen;
  try {
    auto o = c.server_options();
    o.max_request_body = 65536;
    return o;
  } catch (const std::invalid_argument& e) {
    std::string what = e.what();
    throw std::invalid_argument("--admin-" + what.substr(2));
  }
}

storage::store_options config::store_options() const {
  storage::store_options o;
  o.path = data_dir;
  o.durability = durability == "async" ? storage::durability::async
                                       : storage::durability::sync;
  return o;
}

}  // namespace switchboard::app
