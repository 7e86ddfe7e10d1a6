#include "actors/device_cap.hpp"

#include <algorithm>

#include "actors/directory.hpp"
#include "actors/io_pool.hpp"
#include "metrics/log_sink.hpp"
#include "storage/store.hpp"

namespace switchboard::actors {

void trim_devices(node_context& ctx, const std::string& user) {
  if (!ctx.dir->is_local(user)) return;
  ctx.pool->post([&ctx, user] {
    auto fail = [&ctx, user](const std::string& why) {
      metrics::emit(ctx.log, "warn", "devices_not_trimmed",
                    {{"user_id", user}, {"error", why}});
    };
    auto devices = ctx.store->devices(user);
    if (!devices) return fail(devices.err().message);
    auto cap = ctx.lim.max_devices_per_user;
    if (devices->size() <= cap) return;
    // Oldest first; the token breaks ties, so that every node drops the same.
    std::sort(devices->begin(), devices->end(),
              [](const storage::device& a, const storage::device& b) {
                return a.registered_ms != b.registered_ms
                           ? a.registered_ms < b.registered_ms
                           : a.token < b.token;
              });
    storage::batch b;
    for (std::size_t i = 0; i + cap < devices->size(); ++i)
      b.erase_device(user, (*devices)[i].token);
    if (!ctx.dir->enter_writes({user}))
      return fail("the user's shard is moving; the next registration trims");
    ctx.store->commit(std::move(b),
                      [&ctx, user, fail](const storage::status& s) {
                        ctx.dir->leave_writes({user});
                        if (!s) fail(s.err().message);
                      });
  });
}

}  // namespace switchboard::actors
