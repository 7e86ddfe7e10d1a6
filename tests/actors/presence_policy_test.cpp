#include "actors/presence_policy.hpp"

#include <catch2/catch.hpp>

#include "tests/storage/store_fixture.hpp"

// Who may see whose presence: shared conversations by the lists, confirmed
// by the memberships, so that a stray inbox entry (a failure between the
// two writes) shows nobody.
using namespace switchboard::actors;
using switchboard::testing::store_fixture;
namespace storage = switchboard::storage;

namespace {

// `members` in `conv`, each with the entry in its list.
void conversation(storage::store& db, const std::string& conv,
                  const std::vector<std::string>& members) {
  storage::batch b;
  storage::conversation_meta meta;
  meta.kind = "group";
  b.put_conversation(conv, meta);
  for (auto& m : members) {
    b.put_member(conv, m, storage::member_state{});
    b.put_inbox(m, conv);
  }
  REQUIRE(db.commit_and_wait(std::move(b)).has_value());
}

// An inbox entry without its membership.
void stray(storage::store& db, const std::string& user,
           const std::string& conv) {
  storage::batch b;
  b.put_inbox(user, conv);
  REQUIRE(db.commit_and_wait(std::move(b)).has_value());
}

}  // namespace

TEST_CASE_METHOD(store_fixture,
                 "a stray inbox entry shows nobody's presence; a shared "
                 "membership does",
                 "[actors][presence]") {
  conversation(*db, "c-ab", {"alice", "bob"});
  conversation(*db, "c-bc", {"bob", "carol"});
  // Dave was removed from c-ab, and his entry's erase failed.
  stray(*db, "dave", "c-ab");
  // Erin's add to c-bc did not complete: her entry, no membership.
  stray(*db, "erin", "c-bc");
  auto v = presence_visible(*db, "bob",
                            {"alice", "carol", "dave", "erin", "bob", "frank"});
  REQUIRE(v.has_value());
  CHECK(*v == std::vector<bool>{true, true, false, false, true, false});
  // Nor the other way round.
  auto d = presence_visible(*db, "dave", {"alice", "bob"});
  REQUIRE(d.has_value());
  CHECK(*d == std::vector<bool>{false, false});
  // A stray entry first does not hide a real conversation after it.
  stray(*db, "alice", "c-bc");
  conversation(*db, "c-ca", {"carol", "alice"});
  auto a = presence_visible(*db, "carol", {"alice"});
  REQUIRE(a.has_value());
  CHECK(*a == std::vector<bool>{true});
}

TEST_CASE(
    "a cluster's answer: candidates by the lists, shown only by the "
    "members of the viewer's conversations",
    "[actors][presence]") {
  std::vector<std::string> ids{"alice", "dave", "me", "zed"};
  auto candidates =
      shared_by_lists("me", {"c1", "c2", "c3"}, ids,
                      {{"c9", "c1", "c2", "c3"}, {"c2"}, {"c1"}, {"c8"}}, 2);
  CHECK(candidates ==
        std::vector<std::vector<std::string>>{{"c1", "c2"}, {"c2"}, {}, {}});
  conv_summary c1;
  c1.conv_id = "c1";
  c1.members = {"alice", "me"};
  conv_summary c2;  // dave's entry is stray: not a member
  c2.conv_id = "c2";
  c2.members = {"alice", "me"};
  CHECK(shown_by_members("me", ids, candidates, {c1, c2}) ==
        std::vector<bool>{true, false, true, false});
  // Without the summaries (the viewer is a member of none): only itself.
  CHECK(shown_by_members("me", ids, candidates, {}) ==
        std::vector<bool>{false, false, true, false});
}
