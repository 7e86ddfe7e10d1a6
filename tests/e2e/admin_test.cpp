#include <atomic>
#include <fstream>
#include <thread>

#include "auth/token_verifier.hpp"
#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

namespace {

struct admin_fixture : e2e_fixture {
  std::string admin_token() const {
    std::ifstream in(node.data_dir() + "/admin_token");
    std::string t;
    std::getline(in, t);
    return t;
  }
  std::vector<std::string> base() const {
    return {"admin", "--node", "127.0.0.1:" + std::to_string(node.admin_port()),
            "--token", admin_token()};
  }
  command_result admin(const std::string& command, bool as_json = false) {
    auto args = base();
    if (as_json) args.push_back("--json");
    args.push_back("-c");
    args.push_back(command);
    return run_switchboard(args);
  }
  json::object admin_json(const std::string& command) {
    auto r = admin(command, true);
    INFO(command << ": " << r.output);
    REQUIRE(r.status == 0);
    return json::parse(r.output).as_object();
  }
};

}  // namespace

TEST_CASE_METHOD(admin_fixture, "status, users, user, conv, tail and metrics",
                 "[e2e][admin]") {
  auto alice = connect("alice");
  auto conv = create(*alice, "group", {"bob"}, "Team");
  send(*alice, conv, "first", "1");
  send(*alice, conv, "second", "2");

  auto st = admin_json("status");
  CHECK(st["node_id"] == "n1");
  CHECK(st["connections"] == 1);
  CHECK(st["users_online"] == 1);
  CHECK(st["durability"] == "sync");
  // No push provider configured: the shell says each is off.
  CHECK(st["push_providers_off"] == "apns, fcm, gateway, webpush");
  CHECK(st["store_bytes"].to_number<std::int64_t>() > 0);
  auto plain = admin("status");
  CHECK(plain.status == 0);
  CHECK(plain.output.find("node_id: n1") != std::string::npos);

  CHECK(admin_json("users")["users"] == json::array{"alice"});
  CHECK(admin_json("users b")["users"].as_array().empty());
  auto u = admin_json("user alice");
  CHECK(u["online"] == true);
  CHECK(u["conversations"] == 1);
  CHECK(u["connections"].as_array().size() == 1);
  CHECK(u["connections"].as_array()[0].as_object()["remote"].as_string().find(
            "127.0.0.1") == 0);

  auto c = admin_json("conv " + conv);
  CHECK(c["kind"] == "group");
  CHECK(c["title"] == "Team");
  CHECK(c["last_msg_id"] == 2);
  CHECK(c["active"] == true);
  CHECK(c["members"].as_array().size() == 2);

  auto t = admin_json("tail " + conv + " 1");
  REQUIRE(t["messages"].as_array().size() == 1);
  CHECK(t["messages"].as_array()[0].as_object()["body"] == "second");
  CHECK(admin("tail " + conv).output.find("#1 ") != std::string::npos);

  auto m = admin_json("metrics");
  CHECK(m["messages_accepted"] == 2);
  CHECK(admin("help").output.find("checkpoint DIR") != std::string::npos);
  CHECK(admin("help kick").output.find("1008") != std::string::npos);
}

TEST_CASE_METHOD(admin_fixture, "kick, members, token, log and compact",
                 "[e2e][admin]") {
  auto alice = connect("alice");
  auto conv = create(*alice, "group", {"bob"});
  auto kicked = admin("kick alice spamming");
  CHECK(kicked.status == 0);
  CHECK(alice->wait_closed(5s) == 1008);

  CHECK(admin("members " + conv + " add carol dave").status == 0);
  CHECK(admin_json("conv " + conv)["members"].as_array().size() == 4);
  CHECK(admin("members " + conv + " remove alice").status == 0);
  CHECK(admin_json("conv " + conv)["members"].as_array().size() == 3);

  auto tok = admin("token zoe 600");
  REQUIRE(tok.status == 0);
  auto token = tok.output.substr(0, tok.output.find('\n'));
  ws_client zoe(node.port(),
                token);  // the minted token works on the client port
  CHECK(zoe.welcome["user_id"] == "zoe");

  CHECK(admin("log debug").status == 0);
  CHECK(admin("log loud").status != 0);
  CHECK(admin("compact").status == 0);
}

TEST_CASE_METHOD(admin_fixture, "bad commands fail with one clear line",
                 "[e2e][admin]") {
  auto r = admin("stauts");
  CHECK(r.status == 1);
  CHECK(r.output.find("did you mean 'status'") != std::string::npos);
  r = admin("user");
  CHECK(r.status == 1);
  CHECK(r.output.find("usage: user USER") != std::string::npos);
  r = admin("conv gnope");
  CHECK(r.status == 1);
  CHECK(r.output.find("not_found") != std::string::npos);
  r = admin("user nobody");
  CHECK(r.status == 1);
  r = run_switchboard(
      {"admin", "--node", "127.0.0.1:1", "--token", "x", "-c", "status"});
  CHECK(r.status == 1);
  CHECK(r.output.find("cannot reach") != std::string::npos);
}

TEST_CASE_METHOD(admin_fixture, "admin and client tokens never cross ports",
                 "[e2e][admin]") {
  auto wrong = run_switchboard(
      {"admin", "--node", "127.0.0.1:" + std::to_string(node.admin_port()),
       "--token", node.token("alice"), "-c", "status"});
  CHECK(wrong.status == 1);
  CHECK(wrong.output.find("unauthorized") != std::string::npos);
  CHECK(http_request(node.admin_port(), "GET", "/admin/v1/status").status ==
        401);
  CHECK(http_request(node.admin_port(), "GET", "/admin/v1/status", {},
                     "Bearer " + admin_token())
            .status == 200);
  // The scheme in any case (RFC 7235), as on the client port.
  CHECK(http_request(node.admin_port(), "GET", "/admin/v1/status", {},
                     "bearer " + admin_token())
            .status == 200);
  CHECK(http_request(node.admin_port(), "GET", "/admin/v1/status", {},
                     "Bearer " + admin_token() + "x")
            .status == 401);
  CHECK(
      http_request(node.admin_port(), "GET", "/admin/v1/status", {}, "Bearer ")
          .status == 401);
  // The admin token is no client token.
  CHECK(http_request(node.port(), "GET", "/v1/conversations", {},
                     "Bearer " + admin_token())
            .status == 401);
  CHECK(http_request(node.port(), "GET", "/v1/ws?token=" + admin_token(), {},
                     {}, true)
            .status == 401);
}

TEST_CASE("the admin API refuses a public address without an explicit token",
          "[e2e][admin]") {
  temp_dir dir;
  auto r = run_switchboard({"serve", "--data-dir", dir.str(), "--listen",
                            "127.0.0.1:0", "--admin-listen", "0.0.0.0:0"});
  CHECK(r.status == 2);
  CHECK(r.output.find("--admin-token") != std::string::npos);
}

TEST_CASE_METHOD(admin_fixture,
                 "a checkpoint serves on a second node with the same history",
                 "[e2e][admin]") {
  auto alice = connect("alice");
  auto conv = create(*alice, "direct", {"bob"});
  for (int i = 1; i <= 5; ++i)
    send(*alice, conv, "m" + std::to_string(i), std::to_string(i));
  temp_dir dir;
  auto copy = (dir.path() / "backup").string();
  REQUIRE(admin("checkpoint " + copy).status == 0);
  CHECK(admin("checkpoint " + copy).status == 1);  // it exists now
  auto original =
      alice->request({{"type", "sync"}, {"conv_id", conv}, {"after", 0}});
  alice.reset();
  node.stop();
  // The checkpoint is a data directory.
  auto r = run_switchboard({"token", "bob", "--data-dir", copy, "--jwt-secret",
                            node_process::secret});
  REQUIRE(r.status == 0);
  node_process second({"--data-dir", copy});
  ws_client bob(second.port(), second.token("bob"));
  auto restored =
      bob.request({{"type", "sync"}, {"conv_id", conv}, {"after", 0}});
  CHECK(restored["messages"] == original["messages"]);
}

TEST_CASE_METHOD(admin_fixture, "drain stops the node cleanly",
                 "[e2e][admin]") {
  auto alice = connect("alice");
  CHECK(admin("drain").status == 0);
  CHECK(alice->wait_closed(10s) == 1001);
  CHECK(node.stop() == 0);
}

TEST_CASE_METHOD(admin_fixture,
                 "an interactive session completes commands with tab",
                 "[e2e][admin]") {
  auto alice = connect("alice");
  temp_dir dir;
  auto input = (dir.path() / "keys").string();
  std::ofstream(input) << "stat\t\nuser ali\t\nquit\n";
  std::string cmd;
  for (auto& a : base()) cmd += "'" + a + "' ";
  auto shell = "TERM=xterm HOME=" + dir.str() + " script -q -c \"" +
               std::string(SWITCHBOARD_BIN) + " " + cmd + "\" /dev/null < " +
               input + " > " + (dir.path() / "out").string() + " 2>&1";
  REQUIRE(std::system(shell.c_str()) == 0);
  std::ifstream out((dir.path() / "out").string());
  std::string text((std::istreambuf_iterator<char>(out)),
                   std::istreambuf_iterator<char>());
  INFO(text);
  CHECK(text.find("node_id: n1") !=
        std::string::npos);  // "stat<TAB>" ran status
  CHECK(text.find("online: true") !=
        std::string::npos);  // "user ali<TAB>" ran user alice
}

TEST_CASE_METHOD(admin_fixture, "every command answers JSON with --json",
                 "[e2e][admin]") {
  auto alice = connect("alice");
  auto conv = create(*alice, "group", {"bob"});
  temp_dir dir;
  for (std::string cmd : std::vector<std::string>{
           "status", "users", "user alice", "conv " + conv,
           "tail " + conv + " 3", "members " + conv + " add carol",
           "token carol 60", "log info", "compact", "metrics",
           "checkpoint " + (dir.path() / "cp").string(), "kick alice"}) {
    auto r = admin(cmd, true);
    INFO(cmd << ": " << r.output);
    CHECK(r.status == 0);
    boost::system::error_code ec;
    auto v = json::parse(r.output, ec);
    CHECK((!ec && v.is_object()));
  }
  auto bad = admin("conv gnope", true);
  CHECK(bad.status == 1);
  CHECK(json::parse(bad.output).as_object().contains("error"));
}

TEST_CASE_METHOD(admin_fixture,
                 "a revoked user's old tokens are refused, also after a "
                 "restart, and its connections close",
                 "[e2e][admin][auth]") {
  auto old_token = [&] {
    auto now = switchboard::auth::now_s();
    switchboard::auth::claims c{"alice", now + 3600};
    c.iat = now - 5;
    return switchboard::auth::sign_token(node_process::secret, c);
  }();
  ws_client alice(node.port(), old_token);
  auto bob = connect("bob");
  auto out = admin_json("revoke alice");
  CHECK(out["user_id"] == "alice");
  CHECK(out["closed"] == 1);
  CHECK(alice.wait_closed().has_value());
  auto refused = http_request(node.port(), "GET", "/v1/conversations", {},
                              "Bearer " + old_token);
  CHECK(refused.status == 401);
  CHECK(str(refused.json()["error"].as_object()["message"]) == "token revoked");
  CHECK(http_request(node.port(), "GET", "/v1/ws?token=" + old_token, {}, {},
                     true)
            .status == 401);
  // Bob's tokens and a token of alice's minted now work.
  CHECK(bob->request({{"type", "ping"}})["type"] == "pong");
  auto fresh = run_switchboard({"token", "alice", "--data-dir", node.data_dir(),
                                "--jwt-secret", node_process::secret});
  REQUIRE(fresh.status == 0);
  auto fresh_token = fresh.output.substr(0, fresh.output.find('\n'));
  CHECK(http_request(node.port(), "GET", "/v1/conversations", {},
                     "Bearer " + fresh_token)
            .status == 200);
  // The revocation is durable.
  bob.reset();
  node.stop();
  node.start();
  CHECK(http_request(node.port(), "GET", "/v1/conversations", {},
                     "Bearer " + old_token)
            .status == 401);
  CHECK(http_request(node.port(), "GET", "/v1/conversations", {},
                     "Bearer " + fresh_token)
            .status == 200);
}

TEST_CASE_METHOD(admin_fixture,
                 "top shows each second's messages, latency and slowest "
                 "conversations",
                 "[e2e][admin]") {
  auto alice = connect("alice");
  auto conv = create(*alice, "group", {"bob"});
  // Sends go on while top samples: each of its seconds has some.
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    for (int i = 0; !stop; ++i)
      send(*alice, conv, "m", "t" + std::to_string(i));
  });
  auto r = admin("top 2", true);
  stop = true;
  sender.join();
  INFO(r.output);
  REQUIRE(r.status == 0);
  std::istringstream lines(r.output);
  std::string line;
  int n = 0;
  bool slowest_named = false;
  while (std::getline(lines, line)) {
    auto o = json::parse(line).as_object();
    ++n;
    CHECK(o.at("messages_in_per_s").as_int64() > 0);
    CHECK(o.at("connections").as_int64() == 1);
    CHECK(o.at("send_p99_ms").as_double() > 0);
    for (auto& s : o.at("slowest").as_array())
      slowest_named = slowest_named || s.at("conv_id") == json::value(conv);
  }
  CHECK(n == 2);
  CHECK(slowest_named);
  auto plain = admin("top 1");
  REQUIRE(plain.status == 0);
  CHECK(plain.output.find("p99 ms") != std::string::npos);
}
