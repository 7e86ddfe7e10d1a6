// The conversation list in pages: bounded in conversations and in members
// listed, however many conversations a user is in; and what a create
// charges for the users it adds.
#include <algorithm>
#include <map>

#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

namespace {

// Every page of `c`'s inbox, `limit` at a time (0: the node's page), asked
// for over WebSocket; each page's conversations in order.
std::vector<std::vector<std::string>> pages_of(ws_client& c, int limit) {
  std::vector<std::vector<std::string>> pages;
  std::string after;
  for (;;) {
    REQUIRE(pages.size() < 50);
    json::object ask{{"type", "conversations"}};
    if (limit > 0) ask["limit"] = limit;
    if (!after.empty()) ask["after"] = after;
    auto page = c.request(ask);
    INFO(json::serialize(page));
    REQUIRE(page["type"] == "inbox");
    pages.emplace_back();
    for (auto& v : page["conversations"].as_array())
      pages.back().push_back(str(v.as_object().at("conv_id")));
    if (page["has_more"] != true) {
      CHECK_FALSE(page.contains("next_after"));
      return pages;
    }
    after = str(page["next_after"]);
  }
}

std::vector<std::string> flat(const std::vector<std::vector<std::string>>& p) {
  std::vector<std::string> out;
  for (auto& page : p) out.insert(out.end(), page.begin(), page.end());
  return out;
}

}  // namespace

TEST_CASE(
    "the inbox comes in pages bounded by conversations and by members "
    "listed, each conversation once, in id order",
    "[e2e][inbox]") {
  e2e_fixture f({"--inbox-page", "4", "--inbox-page-members", "6",
                 "--rate-conversations", "1000/1000"});
  auto alice = f.connect("alice");
  std::map<std::string, std::size_t> members;  // of each conversation
  for (int i = 0; i < 5; ++i)
    members[e2e_fixture::create(*alice, "group", {"bob"})] = 2;
  // Seven members: over the budget alone, so it is listed first on a page
  // of its own rather than never.
  members[e2e_fixture::create(*alice, "group",
                              {"b1", "b2", "b3", "b4", "b5", "b6"})] = 7;
  members[e2e_fixture::create(*alice, "direct", {"carol"})] = 2;
  std::vector<std::string> convs;
  for (auto& [c, n] : members) convs.push_back(c);

  for (std::size_t limit : {0, 1, 2, 4}) {
    INFO("limit " << limit);
    // A page ends at `limit` conversations (the node's 4 when none is
    // asked) or before the one that would list more than 6 members.
    std::vector<std::vector<std::string>> expected;
    std::size_t listed = 0;
    for (auto& c : convs) {
      if (expected.empty() ||
          expected.back().size() == (limit > 0 ? limit : 4) ||
          listed + members[c] > 6) {
        expected.emplace_back();
        listed = 0;
      }
      expected.back().push_back(c);
      listed += members[c];
    }
    auto pages = pages_of(*alice, static_cast<int>(limit));
    CHECK(pages == expected);
    CHECK(flat(pages) == convs);
  }
  auto first = alice->request({{"type", "conversations"}});
  CHECK(first["has_more"] == true);
  CHECK(first["next_after"] ==
        first["conversations"].as_array().back().as_object().at("conv_id"));
  // Past the last conversation: an empty page, and no more.
  auto end =
      alice->request({{"type", "conversations"}, {"after", convs.back()}});
  CHECK(end["conversations"].as_array().empty());
  CHECK(end["has_more"] == false);

  // Bad paging gets bad_request, never a partial answer.
  for (auto bad : {json::object{{"type", "conversations"}, {"limit", 0}},
                   json::object{{"type", "conversations"}, {"limit", 5}},
                   json::object{{"type", "conversations"}, {"limit", "2"}},
                   json::object{{"type", "conversations"}, {"after", ""}},
                   json::object{{"type", "conversations"}, {"after", 7}}}) {
    INFO(json::serialize(bad));
    auto r = alice->request(bad);
    CHECK(r["type"] == "error");
    CHECK(r["code"] == "bad_request");
  }

  // REST pages the same way.
  auto token = "Bearer " + f.node.token("alice");
  auto r = http_request(f.node.port(), "GET", "/v1/conversations?limit=1", "",
                        token);
  REQUIRE(r.status == 200);
  auto body = r.json();
  REQUIRE(body["conversations"].as_array().size() == 1);
  CHECK(body["has_more"] == true);
  auto next = str(body["next_after"]);
  CHECK(next == convs[0]);
  r = http_request(f.node.port(), "GET",
                   "/v1/conversations?limit=1&after=" + next, "", token);
  REQUIRE(r.status == 200);
  CHECK(str(r.json()["conversations"].as_array().at(0).as_object().at(
            "conv_id")) == convs[1]);
  CHECK(
      http_request(f.node.port(), "GET", "/v1/conversations?limit=x", "", token)
          .status == 400);
}

TEST_CASE("a group's create takes a members token for each user it adds",
          "[e2e][inbox][limits]") {
  e2e_fixture f({"--rate-members", "1/10", "--rate-create", "100/100"});
  auto alice = f.connect("alice");
  // Ten users added: the whole bucket.
  e2e_fixture::create(
      *alice, "group",
      {"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9", "u10"});
  auto r = alice->request(
      {{"type", "create"}, {"kind", "group"}, {"members", {"u11"}}});
  CHECK(r["type"] == "error");
  CHECK(r["code"] == "rate_limited");
  CHECK(json::value_to<std::int64_t>(r["retry_after_ms"]) > 0);
  // Nobody was added to anything by the refused create.
  auto u11 = f.connect("u11");
  CHECK(u11->request({{"type", "conversations"}})["conversations"]
            .as_array()
            .empty());
  // A direct conversation adds no one past its two users' own: not charged.
  CHECK(alice->request({{"type", "create"},
                        {"kind", "direct"},
                        {"members", {"bob"}}})["type"] == "created");
}
