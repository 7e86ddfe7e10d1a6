#pragma once

#include <caf/all.hpp>
#include <chrono>
#include <type_traits>
#include <utility>

#include "actors/messages.hpp"
#include "actors/request_timer.hpp"

namespace switchboard::actors {

namespace timed_detail {

// `f`, with its signature kept (CAF reads the handler's argument types),
// after telling the timer that the request was answered.
template <class F,
          class Args = typename caf::detail::get_callable_trait<F>::arg_types>
struct answered_first;

template <class F, class... Args>
struct answered_first<F, caf::detail::type_list<Args...>> {
  F f;
  request_timer* timer;
  caf::message_id id;
  auto operator()(Args... xs) {
    timer->answered(id);
    return f(std::forward<Args>(xs)...);
  }
};

// The timer's tick for `due`, inside the actor (its continue_atom
// handler): each request past its deadline gets sec::request_timeout as
// its answer, as CAF's clock would have sent it, and the next tick is armed.
template <class Self>
void arm(Self* self, request_timer& timer,
         request_timer::clock::time_point due);

template <class Self>
void tick(Self* self, request_timer& timer,
          request_timer::clock::time_point due) {
  std::optional<request_timer::clock::time_point> next;
  for (auto id : timer.expire(due, request_timer::clock::now(), next))
    self->enqueue(
        caf::make_mailbox_element(nullptr, id, {},
                                  caf::make_error(caf::sec::request_timeout)),
        self->context());
  if (next) arm(self, timer, *next);
}

// The handle the tick goes to: a typed actor's own type, so that one
// without a continuation handler does not compile.
template <class Self, class = void>
struct handle_of {
  using type = caf::actor;
};
template <class Self>
struct handle_of<Self, std::void_t<typename Self::actor_hdl>> {
  using type = typename Self::actor_hdl;
};

template <class Self>
void arm(Self* self, request_timer& timer,
         request_timer::clock::time_point due) {
  auto delay = std::max(due - request_timer::clock::now(),
                        request_timer::clock::duration::zero());
  // High priority: a tick behind a long mailbox would delay every timeout
  // (the replicator's lag bound among them) by the backlog. (The errors
  // it enqueues keep their requests' ids, and so their priority.)
  caf::delayed_anon_send<caf::message_priority::high>(
      caf::actor_cast<typename handle_of<Self>::type>(self),
      std::chrono::ceil<std::chrono::microseconds>(delay), continue_atom::value,
      continuation{[self, &timer, due] { tick(self, timer, due); }});
}

}  // namespace timed_detail

// A response handle whose then() tells the timer of the answer.
template <class Handle>
struct timed_handle {
  Handle handle;
  request_timer* timer;  // null: CAF keeps the timeout, or there is none

  template <class F, class OnError>
  void then(F f, OnError g) {
    if (!timer) return handle.then(std::move(f), std::move(g));
    handle.then(
        timed_detail::answered_first<F>{std::move(f), timer, handle.id()},
        timed_detail::answered_first<OnError>{std::move(g), timer,
                                              handle.id()});
  }
};

// self->request(dest, timeout, xs...), with the timeout kept by `timer` (a
// member of the actor's state) instead of CAF's clock thread
// (actors/request_timer.hpp). The actor must run continuations
// (continue_atom), as every actor of the node does. Without a timer, or
// with an infinite timeout, it is CAF's own request. A timeout answers
// sec::request_timeout either way.
template <class Self, class Dest, class... Ts>
auto timed_request(Self* self, request_timer* timer, const Dest& dest,
                   caf::duration timeout, Ts&&... xs) {
  using handle_t =
      decltype(self->request(dest, timeout, std::forward<Ts>(xs)...));
  if (!timer || !timeout.valid() || !dest)  // no dest: CAF answers at once
    return timed_handle<handle_t>{
        self->request(dest, timeout, std::forward<Ts>(xs)...), nullptr};
  auto h = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
  auto deadline = request_timer::clock::now();
  deadline += timeout;
  if (auto due = timer->track(h.id(), deadline))
    timed_detail::arm(self, *timer, *due);
  return timed_handle<handle_t>{std::move(h), timer};
}

}  // namespace switchboard::actors
