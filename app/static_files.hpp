#pragma once

#include <map>
#include <string>

#include "net/http_types.hpp"

namespace switchboard::app {

// Serves the browser client's files (HTML, CSS, JavaScript modules) from a
// directory: GET or HEAD of "/" is index.html, "/app/main.js" is
// ROOT/app/main.js. Only plain names ([A-Za-z0-9_.-], no segment starting
// with a dot) of known file types are served, with a strict
// Content-Security-Policy: the page may load only its own scripts and talk
// only to its own node.
class static_files {
 public:
  explicit static_files(std::string root) : root_(std::move(root)) {}

  // Answers `req` and returns true when it names a file under the root;
  // returns false (and does not answer) otherwise.
  bool handle(const net::http_request& req, const net::http_reply& reply) const;

  const std::string& root() const noexcept { return root_; }

  // Serves `body` as `path` (e.g. "/push-config.json"): a file the node
  // makes from its configuration, served like those of the root.
  void add(const std::string& path, std::string content_type, std::string body);

 private:
  void answer(const net::http_request& req, const net::http_reply& reply,
              const char* type, std::string body) const;

  std::string root_;
  std::map<std::string, std::pair<std::string, std::string>> made_;
};

// Where the node finds the browser client when --web-root is not given:
// SHARE/switchboard/web next to an installed binary, else the source
// tree's web/ folder the binary was built from.
std::string default_web_root();

}  // namespace switchboard::app
