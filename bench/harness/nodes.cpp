#include <stdexcept>

#include "bench/harness/options.hpp"

namespace switchboard::bench {

std::vector<endpoint> parse_nodes(const std::string& list) {
  std::vector<endpoint> out;
  std::size_t from = 0;
  for (;;) {
    auto comma = list.find(',', from);
    auto item = list.substr(
        from, comma == std::string::npos ? std::string::npos : comma - from);
    auto colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size())
      throw std::invalid_argument("--nodes: `" + item + "` is not HOST:PORT");
    int port = 0;
    try {
      std::size_t used = 0;
      port = std::stoi(item.substr(colon + 1), &used);
      if (used != item.size() - colon - 1) port = 0;
    } catch (const std::exception&) {
    }
    if (port < 1 || port > 65535)
      throw std::invalid_argument("--nodes: bad port in `" + item + "`");
    out.push_back({item.substr(0, colon), static_cast<std::uint16_t>(port)});
    if (comma == std::string::npos) return out;
    from = comma + 1;
  }
}

const endpoint& node_of(const options& o, int g) {
  auto n = o.nodes.size();
  auto i = static_cast<std::size_t>(g);
  if (o.scenario == "direct") return o.nodes[(i / 2 + i % 2) % n];
  return o.nodes[i % n];
}

}  // namespace switchboard::bench
