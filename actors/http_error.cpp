#include "actors/http_error.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace switchboard::actors {

std::string http_error(common::proto_code code, std::string_view message,
                       std::int64_t retry_after_ms) {
  boost::json::object e{
      {"code", common::wire(code)},
      {"message", common::default_message(code, std::string(message))}};
  if (retry_after_ms >= 0) e["retry_after_ms"] = retry_after_ms;
  return boost::json::serialize(boost::json::object{{"error", std::move(e)}});
}

}  // namespace switchboard::actors
