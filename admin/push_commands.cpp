#include <boost/json/value.hpp>

#include "admin/command_table.hpp"

// The admin shell's view of push notifications (docs/push.md): a user's
// devices, and a test push to them.
namespace switchboard::admin::detail {

namespace json = boost::json;

std::vector<command> push_commands() {
  return {
      {"devices", "devices USER",
       "USER's push devices: platform, the end of the token, when "
       "registered; and its pushes not yet sent.",
       1, 1, "u",
       [](client& c, const args_t& a, bool j) {
         return call(
             c, "GET", "/admin/v1/users/" + encode(a[0]), {}, j,
             [](json::object& o) {
               std::string out;
               for (auto& v : o["devices"].as_array()) {
                 auto& d = v.as_object();
                 out += scalar(d["platform"]) + " " + scalar(d["token"]) +
                        " registered " + scalar(d["registered_ms"]) + "\n";
               }
               if (out.empty()) out = "(no devices)\n";
               return out + "pending pushes: " + scalar(o["pending_pushes"]) +
                      "\n";
             });
       }},
      {"push", "push test USER",
       "Sends a test notification to each of USER's devices now and shows "
       "how each ended (a device its provider says is gone is removed).",
       2, 2, "-u",
       [](client& c, const args_t& a, bool j) -> outcome {
         if (a[0] != "test") return {false, "usage: push test USER"};
         return call(c, "POST",
                     "/admin/v1/users/" + encode(a[1]) + "/push-test", {}, j,
                     [](json::object& o) {
                       std::string out;
                       for (auto& v : o["devices"].as_array()) {
                         auto& d = v.as_object();
                         out += scalar(d["device"]) + ": " +
                                scalar(d["outcome"]) + "\n";
                       }
                       return out.empty() ? std::string("(no devices)\n") : out;
                     });
       }},
  };
}

}  // namespace switchboard::admin::detail
