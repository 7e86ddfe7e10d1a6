// The docs' lists of error codes and statuses against the one table
// (common/proto_errors.hpp): PROTOCOL.md "Errors" names every code, its
// REST section every status, and openapi.yaml's Error schema lists exactly
// the table's codes.
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "common/proto_errors.hpp"

using switchboard::common::proto_codes;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The text from the heading `from` to the next heading of its level.
std::string section(const std::string& doc, const std::string& from) {
  auto at = doc.find("\n" + from + "\n");
  REQUIRE(at != std::string::npos);
  auto end = doc.find("\n## ", at + from.size() + 1);
  return doc.substr(at, end == std::string::npos ? end : end - at);
}

}  // namespace

TEST_CASE("PROTOCOL.md names every error code and every HTTP status",
          "[errors][docs]") {
  auto doc = read(SWITCHBOARD_SOURCE_DIR "/docs/PROTOCOL.md");
  auto errors = section(doc, "## Errors");
  for (auto& row : proto_codes) {
    INFO(row.wire);
    CHECK(errors.find("`" + std::string(row.wire) + "`") != std::string::npos);
  }
  // "Errors: HTTP 400/401/.../500 with body ..." in the REST section.
  auto rest = section(doc,
                      "## REST (HTTP/1.1, JSON, same port, same token in "
                      "`Authorization: Bearer`)");
  auto at = rest.find("Errors: HTTP ");
  REQUIRE(at != std::string::npos);
  std::set<int> documented;
  std::istringstream list(
      rest.substr(at + 13, rest.find(' ', at + 13) - at - 13));
  for (std::string n; std::getline(list, n, '/');)
    documented.insert(std::stoi(n));
  std::set<int> table;
  for (auto& row : proto_codes) table.insert(row.http_status);
  CHECK(documented == table);
}

TEST_CASE("openapi.yaml's Error schema lists exactly the table's codes",
          "[errors][docs]") {
  auto spec = read(SWITCHBOARD_SOURCE_DIR "/docs/openapi.yaml");
  auto schema = spec.find("\n    Error:\n");
  REQUIRE(schema != std::string::npos);
  auto at = spec.find("enum: [", schema);
  REQUIRE(at != std::string::npos);
  auto end = spec.find(']', at);
  std::set<std::string> documented;
  std::istringstream list(spec.substr(at + 7, end - at - 7));
  for (std::string code; std::getline(list, code, ',');) {
    auto b = code.find_first_not_of(' ');
    documented.insert(code.substr(b, code.find_last_not_of(' ') + 1 - b));
  }
  std::set<std::string> table;
  for (auto& row : proto_codes) table.emplace(row.wire);
  CHECK(documented == table);
}

TEST_CASE("an error without a message says what its code means", "[errors]") {
  using switchboard::common::default_message;
  using switchboard::common::proto_code;
  CHECK(default_message(proto_code::forbidden, "") ==
        "not a member of that conversation, or no such conversation");
  CHECK(default_message(proto_code::forbidden, "why") == "why");
  CHECK(default_message(proto_code::none, "").empty());
}
