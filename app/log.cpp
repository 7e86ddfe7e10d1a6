#include "app/log.hpp"

#include <unistd.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>

#include "common/clock.hpp"

namespace switchboard::app {

namespace {

int rank(std::string_view level) {
  if (level == "debug") return 0;
  if (level == "info") return 1;
  if (level == "warn") return 2;
  return 3;
}

std::atomic<int> min_rank{1};

}  // namespace

void set_log_level(std::string_view level) { min_rank = rank(level); }

void log(std::string_view level, std::string_view event,
         std::initializer_list<std::pair<std::string_view, std::string_view>>
             fields) {
  if (rank(level) < min_rank) return;
  boost::json::object o;
  o["ts"] = common::unix_ms();
  o["level"] = level;
  o["event"] = event;
  for (auto& [k, v] : fields) o[k] = v;
  std::string line = boost::json::serialize(o);
  line.push_back('\n');
  // One write per line keeps lines whole across threads.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

metrics::log_sink log_sink() {
  return [](std::string_view level, std::string_view event,
            std::initializer_list<metrics::log_field> fields) {
    log(level, event, fields);
  };
}

}  // namespace switchboard::app
