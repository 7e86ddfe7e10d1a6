#include "actors/presence_watch.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

using switchboard::actors::presence_watch;

TEST_CASE("only the latest check of a user decides for it",
          "[actors][presence]") {
  presence_watch w;
  auto first = w.begin_check({"bob", "carol"});
  auto second = w.begin_check({"bob"});
  // The first check ends last: stale for bob, still carol's.
  CHECK(w.decide("bob", second, false));
  CHECK_FALSE(w.decide("bob", first, true));
  CHECK(w.decide("carol", first, true));
  CHECK_FALSE(w.decide("dave", first, true));  // never checked
}

TEST_CASE(
    "a subscription answered after a later check hid the user is "
    "not kept",
    "[actors][presence]") {
  presence_watch w;
  auto made = w.begin_check({"bob"});
  REQUIRE(w.decide("bob", made, true));
  CHECK(w.may_keep("bob", made));
  // A later check, still running: the answer is kept for now (that check
  // unwatches it if it hides bob).
  auto later = w.begin_check({"bob"});
  CHECK(w.may_keep("bob", made));
  REQUIRE(w.decide("bob", later, false));
  CHECK_FALSE(w.may_keep("bob", made));
  // Shown again by a yet later one: a subscription made on it is kept.
  auto again = w.begin_check({"bob"});
  REQUIRE(w.decide("bob", again, true));
  CHECK(w.may_keep("bob", made));
  CHECK(w.may_keep("bob", again));
}

TEST_CASE("the watched actors are found by user and by address",
          "[actors][presence]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto spawn = [&] {
    return sys.spawn([] { return caf::behavior{[](int) {}}; }).address();
  };
  auto old_actor = spawn(), new_actor = spawn();
  presence_watch w;
  CHECK_FALSE(w.watching("bob"));
  CHECK_FALSE(w.unwatch("bob"));
  CHECK_FALSE(w.gone(old_actor));
  CHECK(w.watch(old_actor, "bob"));
  CHECK_FALSE(w.watch(old_actor, "bob"));  // kept already
  // bob's actor moved: the new one has the subscription, the old is done.
  CHECK(w.watch(new_actor, "bob"));
  CHECK_FALSE(w.gone(old_actor));
  CHECK(w.watching("bob"));
  CHECK(w.gone(new_actor) == std::optional<std::string>("bob"));
  CHECK_FALSE(w.watching("bob"));
  CHECK(w.watch(old_actor, "carol"));
  CHECK(w.unwatch("carol") == old_actor);
  CHECK_FALSE(w.watching("carol"));
  CHECK_FALSE(w.gone(old_actor));
  caf::anon_send_exit(old_actor, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(new_actor, caf::exit_reason::user_shutdown);
}

TEST_CASE("a status the client has is not told again", "[actors][presence]") {
  presence_watch w;
  CHECK(w.told("bob", false, 0));
  CHECK_FALSE(w.told("bob", false, 0));
  CHECK(w.told("bob", true, 100));
  CHECK_FALSE(w.told("bob", true, 200));  // online: last_seen is "now"
  CHECK(w.told("bob", false, 300));
  w.forget_told("bob");
  CHECK(w.told("bob", false, 300));
}
