#include "app/token_cmd.hpp"

#include <chrono>
#include <iostream>

#include "app/args.hpp"
#include "app/config.hpp"
#include "auth/jwt.hpp"
#include "auth/secret.hpp"
#include "auth/token_verifier.hpp"

namespace switchboard::app {

namespace {
constexpr const char* usage =
    "usage: switchboard token USER [--ttl SECONDS] [--data-dir DIR] "
    "[--jwt-secret S]\n"
    "                         [--config FILE]\n"
    "Prints a client token for USER, signed with the secret `serve` uses\n"
    "(SWITCHBOARD_JWT_SECRET, or DATA_DIR/jwt_secret). Default ttl: 86400.\n";
}

int token_main(int argc, char** argv) {
  try {
    auto a = parse_args(argc, argv, 2,
                        {"ttl", "data-dir", "jwt-secret", "config"}, {"help"});
    if (a.has("help")) {
      std::cout << usage;
      return 0;
    }
    if (a.positional.size() != 1)
      throw std::invalid_argument("give exactly one USER");
    const auto& user = a.positional[0];
    if (!auth::valid_user_id(user))
      throw std::invalid_argument(
          "'" + user + "' is not a user id (1..64 of [A-Za-z0-9_.-])");
    std::map<std::string, std::string> flags;
    for (auto k : {"data-dir", "jwt-secret", "config"})
      if (auto v = a.get(k)) flags[k] = *v;
    auto cfg = load_config(flags, switchboard_env());
    long long ttl = 86400;
    if (auto v = a.get("ttl")) {
      std::size_t used = 0;
      try {
        ttl = std::stoll(*v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != v->size() || ttl <= 0)
        throw std::invalid_argument(
            "--ttl: expected a positive number of seconds");
    }
    if (cfg.token_max_lifetime_s > 0 && ttl > cfg.token_max_lifetime_s)
      throw std::invalid_argument(
          "--ttl " + std::to_string(ttl) +
          " is longer than the node accepts (token-max-lifetime-s " +
          std::to_string(cfg.token_max_lifetime_s) + ")");
    auto secret = auth::load_or_create_secret(cfg.jwt_secret, cfg.data_dir);
    auto now = auth::now_s();
    auth::claims c{user, now + ttl};
    c.iat = now;
    std::cout << auth::sign_token(secret, c) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "switchboard token: " << e.what() << "\n" << usage;
    return 2;
  }
}

}  // namespace switchboard::app
