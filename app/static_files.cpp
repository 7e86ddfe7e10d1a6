#include "app/static_files.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "rest/http_errors.hpp"

namespace switchboard::app {

using common::proto_code;

namespace fs = std::filesystem;

namespace {

const char* content_type_of(const std::string& ext) {
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json") return "application/json";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return nullptr;
}

// "/app/main.js" -> "app/main.js"; empty when the path is not a plain,
// relative file name.
std::string safe_relative(const std::string& path) {
  if (path == "/") return "index.html";
  if (path.empty() || path[0] != '/') return {};
  std::string rel = path.substr(1);
  std::size_t start = 0;
  while (start <= rel.size()) {
    auto end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    if (end == start || rel[start] == '.') return {};
    for (std::size_t i = start; i < end; ++i) {
      char c = rel[i];
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
      if (!ok) return {};
    }
    start = end + 1;
  }
  return rel;
}

}  // namespace

void static_files::add(const std::string& path, std::string content_type,
                       std::string body) {
  made_[path] = {std::move(content_type), std::move(body)};
}

bool static_files::handle(const net::http_request& req,
                          const net::http_reply& reply) const {
  auto path = req.target.substr(0, req.target.find('?'));
  if (auto it = made_.find(path); it != made_.end()) {
    answer(req, reply, it->second.first.c_str(), it->second.second);
    return true;
  }
  auto rel = safe_relative(path);
  if (rel.empty() || root_.empty()) return false;
  fs::path file = fs::path(root_) / rel;
  const char* type = content_type_of(file.extension().string());
  std::error_code ec;
  if (!type || !fs::is_regular_file(file, ec)) return false;
  if (req.method != "GET" && req.method != "HEAD") {
    answer(req, reply, type, {});
    return true;
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    reply(rest::error_response(proto_code::internal, "cannot read file"));
    return true;
  }
  answer(req, reply, type, text.str());
  return true;
}

void static_files::answer(const net::http_request& req,
                          const net::http_reply& reply, const char* type,
                          std::string body) const {
  net::http_response res;
  if (req.method != "GET" && req.method != "HEAD") {
    res = rest::error_response(proto_code::method_not_allowed, "use GET");
    res.headers.emplace_back("Allow", "GET, HEAD");
    return reply(std::move(res));
  }
  res.content_type = type;
  res.body = std::move(body);
  res.headers = {
      {"Cache-Control", "no-cache"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Content-Security-Policy",
       "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"},
  };
  reply(std::move(res));
}

std::string default_web_root() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) {
    fs::path installed =
        fs::path(std::string(buf, static_cast<std::size_t>(n))).parent_path() /
        ".." / "share" / "switchboard" / "web";
    std::error_code ec;
    if (fs::is_regular_file(installed / "index.html", ec))
      return fs::weakly_canonical(installed, ec).string();
  }
  return SWITCHBOARD_SOURCE_WEB_DIR;
}

}  // namespace switchboard::app
