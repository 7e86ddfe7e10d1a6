#pragma once

#include <caf/all.hpp>
#include <memory>
#include <utility>

#include "actors/io_pool.hpp"
#include "actors/messages.hpp"

namespace switchboard::actors {

// Runs `work` (a blocking call) on the I/O pool, then `then(result)` inside
// the actor `self`, as a `continue` message. The actor stays alive until
// then. `then` may capture `self`: it runs in the actor's context.
template <class Self, class Work, class Then>
void run_blocking(Self* self, io_pool& pool, Work work, Then then) {
  auto handle = caf::actor_cast<caf::actor>(self);
  pool.post([handle = std::move(handle), work = std::move(work),
             then = std::move(then)]() mutable {
    auto result = std::make_shared<decltype(work())>(work());
    caf::anon_send(handle, continue_atom::value,
                   continuation{[result, then = std::move(then)]() mutable {
                     then(std::move(*result));
                   }});
  });
}

// Posts `fn` to run inside the actor `handle` from any thread.
template <class Handle, class Fn>
void post_to(const Handle& handle, Fn fn) {
  caf::anon_send(caf::actor_cast<caf::actor>(handle), continue_atom::value,
                 continuation{std::move(fn)});
}

}  // namespace switchboard::actors
