#include <boost/algorithm/string/replace.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

namespace {

const std::string tools = OPENAPI_TOOLS_DIR;
const std::string spec = OPENAPI_SPEC;

int run(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str());
}

json::object bundled_spec(const temp_dir& dir) {
  auto out = (dir.path() / "openapi.json").string();
  REQUIRE(run(tools + "/node_modules/.bin/redocly bundle " + spec +
              " --ext json -o " + out) == 0);
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

}  // namespace

TEST_CASE("docs/openapi.yaml passes the OpenAPI 3.1 linter", "[openapi]") {
  INFO("the linter is installed by scripts/deps.sh into " << tools);
  REQUIRE(run("test -x " + tools + "/node_modules/.bin/redocly") == 0);
  CHECK(run(tools + "/node_modules/.bin/redocly lint " + spec) == 0);
}

TEST_CASE_METHOD(
    e2e_fixture,
    "docs/openapi.yaml describes exactly the implemented operations",
    "[openapi][e2e]") {
  temp_dir dir;
  auto doc = bundled_spec(dir);
  auto alice = connect("alice");
  auto conv = create(*alice, "group", {"bob"});
  auto auth = "Bearer " + node.token("alice");
  for (auto& [path, item] : doc["paths"].as_object()) {
    std::string concrete(path);
    boost::replace_all(concrete, "{conv_id}", conv);
    boost::replace_all(concrete, "{token}", "tok");
    for (std::string method : {"get", "post", "put", "delete", "patch"}) {
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(c));
      bool documented = item.as_object().contains(method);
      auto r = http_request(node.port(), upper, concrete, "{}", auth);
      INFO(upper << " " << concrete << " -> " << r.status << " " << r.body);
      if (documented) {
        CHECK(r.status != 405);
        CHECK(r.body.find("no such path") == std::string::npos);
        auto& responses =
            item.as_object().at(method).as_object().at("responses").as_object();
        CHECK(responses.contains(std::to_string(r.status)));
      } else {
        CHECK(r.status == 405);
      }
    }
  }
}
