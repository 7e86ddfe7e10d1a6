#pragma once

// Frames asked of a node's actor runtime as REST asks them (node::request),
// for the tests that run the actors without sockets; answers are awaited
// with a deadline.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "actors/frame.hpp"
#include "actors/node.hpp"

namespace switchboard::testing {

// A node's options without a send rate limit: the tests send bursts.
inline actors::node_options unthrottled() {
  actors::node_options o;
  o.lim.send_burst = 1e6;
  o.lim.send_rate = 1e6;
  return o;
}

// Starts `frame` as `user` and returns the future of its answer's text.
inline std::future<std::string> request_frame(actors::node& rt,
                                              const std::string& user,
                                              const std::string& frame) {
  auto parsed = actors::parse_frame(frame, user, rt.lim());
  REQUIRE(parsed.frame);
  auto answer = std::make_shared<std::promise<std::string>>();
  auto got = answer->get_future();
  rt.request(user, *parsed.frame,
             [answer](std::string a) { answer->set_value(std::move(a)); });
  return got;
}

// The answer to a request started by request_frame, within 10 s; "ok" for
// a request answered with nothing.
inline boost::json::object answer_of(std::future<std::string>& got) {
  REQUIRE(got.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto text = got.get();
  if (text.empty()) return {{"type", "ok"}};
  return boost::json::parse(text).as_object();
}

inline boost::json::object ask_frame(actors::node& rt, const std::string& user,
                                     const std::string& frame) {
  auto got = request_frame(rt, user, frame);
  return answer_of(got);
}

inline std::string send_frame(const std::string& conv,
                              const std::string& cmid) {
  return R"({"type":"send","conv_id":")" + conv + R"(","client_msg_id":")" +
         cmid + R"(","body":"hi"})";
}

inline std::string sync_frame(const std::string& conv) {
  return R"({"type":"sync","conv_id":")" + conv + R"(","after":0})";
}

}  // namespace switchboard::testing
