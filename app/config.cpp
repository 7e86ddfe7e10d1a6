#include "app/config.hpp"

#include <toml++/toml.h>

#include <cstdlib>
#include <functional>
#include <stdexcept>

#include "app/option_defs.hpp"

extern char** environ;

namespace switchboard::app {

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
  for (auto& d : option_defs()) out.push_back({d.name, d.help, d.get(c)});
  return out;
}

namespace {

const option_def* find_def(const std::string& name) {
  for (auto& d : option_defs())
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
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    auto at = e.source().begin;
    throw std::invalid_argument(
        "config file " + path + ": " + std::string(e.description()) +
        (at ? " (line " + std::to_string(at.line) + ", column " +
                  std::to_string(at.column) + ")"
            : std::string()));
  }
  for (auto& [k, value] : t) {
    std::string key(k.str());
    auto where = "config file " + path + ": key '" + key + "'";
    const option_def* d = key.find('-') == std::string::npos
                              ? find_def(option_of_key(key))
                              : nullptr;
    if (!d || key == "config")
      throw std::invalid_argument(where + ": unknown key");
    std::string text;
    if (auto s = value.as_string())
      text = s->get();
    else if (auto i = value.as_integer())
      text = std::to_string(i->get());
    else if (auto f = value.as_floating_point())
      text = std::to_string(f->get());
    else if (auto b = value.as_boolean())
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
    for (auto& d : option_defs())
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
      static_cast<std::uint16_t>(parse_int(listen.substr(colon + 1), 0, 65535));
  o.max_request_body = lim.max_frame;
  o.max_frame = lim.max_frame;
  o.ws_idle_timeout_s = 2 * lim.heartbeat_s;
  o.max_queue = lim.max_queue;
  o.max_queue_bytes = lim.max_queue_bytes;
  o.max_in_flight = lim.max_in_flight;
  o.max_connections = max_connections;
  o.max_connections_per_address = max_connections_per_address;
  o.max_connections_per_user = max_connections_per_user;
  o.http_timeout_s = http_timeout_s;
  o.threads = net_threads;
  return o;
}

std::pair<std::string, std::uint16_t> config::cluster_host_port() const {
  config c = *this;
  c.listen = cluster_listen;
  try {
    auto o = c.server_options();
    if (o.host.empty() || o.host == "0.0.0.0" || o.host == "::")
      throw std::invalid_argument(
          "--cluster-listen: peers connect to this address, so it must name "
          "this host (an address or a name), not '" +
          o.host + "'");
    return {o.host, o.port};
  } catch (const std::invalid_argument& e) {
    std::string what = e.what();
    if (what.rfind("--listen", 0) == 0)
      throw std::invalid_argument("--cluster-" + what.substr(2));
    throw;
  }
}

net::server_options config::admin_server_options() const {
  config c = *this;
  c.listen = admin_listen;
  try {
    auto o = c.server_options();
    o.max_request_body = 65536;
    // Operators on loopback: a few connections, no user or address caps.
    o.max_connections = 64;
    o.max_connections_per_address = 0;
    o.max_connections_per_user = 0;
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
  // A new data directory gets the cluster's S; one that has another is
  // refused when it opens (a store's keys hold their shard).
  if (shards != 0) o.shards = shards;
  return o;
}

}  // namespace switchboard::app
