#include "push/backoff.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <string>

namespace switchboard::push {

std::chrono::milliseconds backoff_delay(std::uint32_t attempt,
                                        std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap,
                                        double unit) {
  auto d = base.count();
  for (std::uint32_t i = 1; i < attempt && d < cap.count(); ++i) d *= 2;
  d = std::min<std::int64_t>(d, cap.count());
  unit = std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(d) * (0.5 + 0.5 * unit)));
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::int64_t now_s) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](unsigned char c) { return std::isdigit(c); })) {
    if (value.size() > 9) return std::nullopt;  // beyond any sane wait
    return std::chrono::seconds(std::stoll(std::string(value)));
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  std::string s(value);
  auto* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  auto at = static_cast<std::int64_t>(timegm(&tm));
  return std::chrono::seconds(std::max<std::int64_t>(0, at - now_s));
}

}  // namespace switchboard::push
