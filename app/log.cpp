#include "app/log.hpp"

#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>

namespace switchboard::app {

void log(std::string_view level, std::string_view event,
         std::initializer_list<std::pair<std::string_view, std::string_view>>
             fields) {
  boost::json::object o;
  o["ts"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  o["level"] = level;
  o["event"] = event;
  for (auto& [k, v] : fields) o[k] = v;
  std::string line = boost::json::serialize(o);
  line.push_back('\n');
  // One write per line keeps lines whole across threads.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace switchboard::app
