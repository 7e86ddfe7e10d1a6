#pragma once

// The admin shell's table of commands and the helpers its entries share
// (commands.cpp; the cluster's in cluster_commands.cpp). Internal to admin/.

#include <boost/json/object.hpp>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "admin/client.hpp"
#include "admin/commands.hpp"

namespace switchboard::admin::detail {

using args_t = std::vector<std::string>;

struct command {
  const char* name;
  const char* usage;
  const char* help;
  std::size_t min_args;
  std::size_t max_args;   // SIZE_MAX: any
  const char* arg_kinds;  // per position: u(ser), c(onversation), -(none)
  std::function<outcome(client&, const args_t&, bool)> run;
};

// `s` percent-encoded for a path segment or query value.
std::string encode(const std::string& s);
// A JSON scalar as plain text ("-" for null).
std::string scalar(const boost::json::value& v);
// Calls the API; renders the JSON with `plain` unless json output is asked.
outcome call(client& c, const std::string& method, const std::string& target,
             const boost::json::object& body, bool as_json,
             const std::function<std::string(boost::json::object&)>& plain);
// The object's scalar members, one "key: value" line each.
std::string key_values(boost::json::object& o);
// A line per node in the object's `unanswered` (a cluster's merged answer
// that some nodes are missing from): "node ID DID NOT ANSWER: why".
std::string unanswered_lines(boost::json::object& o);

// `status` as plain text: the node's own lines, then, on a clustered node,
// a table of every node's counts, their totals and who did not answer.
std::string status_text(boost::json::object& o);

// The cluster's commands: nodes, shards, where, rebalance.
std::vector<command> cluster_commands();
// Push notifications' commands: devices, push test (push_commands.cpp).
std::vector<command> push_commands();
// The live view: top (top_command.cpp).
std::vector<command> top_commands();

}  // namespace switchboard::admin::detail
