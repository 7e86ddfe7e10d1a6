#include "push/fcm_provider.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <mutex>
#include <stdexcept>

#include "common/clock.hpp"
#include "push/gateway_provider.hpp"
#include "push/jwt_signer.hpp"

namespace switchboard::push {

namespace json = boost::json;

namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* scope =
    "https://www.googleapis.com/auth/firebase.messaging";
// A token is renewed this long before it expires.
constexpr auto renew_before = 60s;
// QUOTA_EXCEEDED: FCM asks for at least this much.
constexpr auto quota_wait = 60s;

std::string field(const json::object& o, const char* name) {
  auto* v = o.if_contains(name);
  if (!v || !v->is_string() || v->as_string().empty())
    throw std::invalid_argument(std::string("the FCM credentials have no ") +
                                name);
  return std::string(v->as_string());
}

// FCM's errorCode in an error answer, if any.
std::string error_code(const json::value& v) {
  auto* e = v.is_object() ? v.as_object().if_contains("error") : nullptr;
  if (!e || !e->is_object()) return {};
  if (auto* d = e->as_object().if_contains("details"); d && d->is_array())
    for (auto& x : d->as_array())
      if (x.is_object())
        if (auto* c = x.as_object().if_contains("errorCode");
            c && c->is_string())
          return std::string(c->as_string());
  if (auto* s = e->as_object().if_contains("status"); s && s->is_string())
    return std::string(s->as_string());
  return {};
}

std::string error_message(const json::value& v) {
  auto* e = v.is_object() ? v.as_object().if_contains("error") : nullptr;
  if (!e || !e->is_object()) return {};
  auto* m = e->as_object().if_contains("message");
  return m && m->is_string() ? std::string(m->as_string()) : std::string();
}

}  // namespace

struct fcm_provider::state : std::enable_shared_from_this<state> {
  // Weak: the client's requests hold this state (their callbacks), and the
  // client must go when its owner drops it.
  std::weak_ptr<http_client> http;
  std::string project, email, token_uri, send_url;
  std::unique_ptr<jwt_signer> signer;  // RS256
  metrics::log_sink log;

  std::mutex m;
  std::string token;  // the access token, valid until `expires`
  clock::time_point expires{};
  bool fetching = false;
  struct waiting {
    target to;
    std::string body;
    std::function<void(outcome)> done;
  };
  std::deque<waiting> queue;  // sends waiting for a token

  void fetch() {
    auto now = common::unix_s();
    json::object claims{{"iss", email},
                        {"scope", scope},
                        {"aud", token_uri},
                        {"iat", now},
                        {"exp", now + 3600}};
    http_client::request r;
    r.url = token_uri;
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    try {
      r.body =
          "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&"
          "assertion=" +
          signer->jwt(json::serialize(claims));
    } catch (const std::exception& e) {
      http_client::response failed;
      failed.error = e.what();
      return fetched(failed);
    }
    auto client = http.lock();
    if (!client) {
      http_client::response gone;
      gone.error = "the node is shutting down";
      return fetched(gone);
    }
    client->send(std::move(r),
                 [self = shared_from_this()](http_client::response res) {
                   self->fetched(res);
                 });
  }

  void fetched(const http_client::response& res) {
    std::string tok;
    std::int64_t ttl = 0;
    boost::system::error_code ec;
    auto v = json::parse(res.body, ec);
    if (!ec && res.status == 200 && v.is_object()) {
      auto& o = v.as_object();
      if (auto* t = o.if_contains("access_token"); t && t->is_string())
        tok = std::string(t->as_string());
      if (auto* e = o.if_contains("expires_in"); e && e->is_int64())
        ttl = e->as_int64();
    }
    std::deque<waiting> ready;
    {
      std::lock_guard<std::mutex> l(m);
      fetching = false;
      ready.swap(queue);
      if (!tok.empty()) {
        token = tok;
        expires = clock::now() +
                  std::chrono::seconds(std::max<std::int64_t>(ttl, 120)) -
                  renew_before;
      }
    }
    if (tok.empty()) {
      outcome o;
      // Refused credentials (or a clock the token endpoint disagrees with)
      // are for an operator to fix; the jobs wait, a minute at least.
      bool refused = res.status >= 400 && res.status < 500 && res.status != 429;
      o.what = outcome::kind::retry;
      o.reason = refused ? "credentials_refused" : "token_unavailable";
      if (refused) o.retry_after = quota_wait;
      metrics::emit(
          log, "warn", "fcm_token_failed",
          {{"status", std::to_string(res.status)},
           {"error", res.error.empty() ? res.body.substr(0, 200) : res.error}});
      for (auto& w : ready) w.done(o);
      return;
    }
    for (auto& w : ready) post(tok, std::move(w));
  }

  void post(const std::string& tok, waiting w) {
    http_client::request r;
    r.url = send_url;
    r.headers = {{"Content-Type", "application/json"},
                 {"Authorization", "Bearer " + tok}};
    r.body = std::move(w.body);
    auto client = http.lock();
    if (!client) {
      outcome o;
      o.what = outcome::kind::retry;
      o.reason = "shutting_down";
      return w.done(o);
    }
    client->send(
        std::move(r),
        [self = shared_from_this(), tok, done = std::move(w.done)](
            http_client::response res) { done(self->outcome_of(res, tok)); });
  }

  // `bearer`: the token the send carried.
  outcome outcome_of(const http_client::response& res,
                     const std::string& bearer) {
    outcome o;
    if (res.status == 200) return o;
    if (res.status == 0) {
      o.what = outcome::kind::retry;
      o.reason = "unreachable";
      return o;
    }
    boost::system::error_code ec;
    auto v = json::parse(res.body, ec);
    auto code = ec ? std::string() : error_code(v);
    o.reason = code.empty() ? "http_" + std::to_string(res.status) : code;
    if (code == "UNREGISTERED" ||
        (code == "INVALID_ARGUMENT" &&
         error_message(v).find("token") != std::string::npos)) {
      o.what = outcome::kind::gone;
    } else if (res.status == 401 || code == "UNAUTHENTICATED") {
      // The token expired or was revoked: the next send fetches another
      // (unless one fetched since replaced it).
      std::lock_guard<std::mutex> l(m);
      if (token == bearer) token.clear();
      o.what = outcome::kind::retry;
    } else if (code == "QUOTA_EXCEEDED" || res.status == 429) {
      o.what = outcome::kind::retry;
      auto after = common_outcome(res).retry_after;  // Retry-After
      o.retry_after =
          code == "QUOTA_EXCEEDED"
              ? std::max<std::chrono::milliseconds>(quota_wait, after)
              : after;
    } else if (res.status >= 500) {
      o.what = outcome::kind::retry;
      o.retry_after = common_outcome(res).retry_after;
    } else {
      o.what = outcome::kind::failed;
    }
    return o;
  }
};

fcm_provider::fcm_provider(std::shared_ptr<http_client> http,
                           const std::string& credentials_json,
                           std::string api_url, metrics::log_sink log)
    : st_(std::make_shared<state>()) {
  boost::system::error_code ec;
  auto v = json::parse(credentials_json, ec);
  if (ec || !v.is_object())
    throw std::invalid_argument("the FCM credentials are not a JSON object");
  auto& o = v.as_object();
  st_->project = field(o, "project_id");
  st_->email = field(o, "client_email");
  st_->token_uri = field(o, "token_uri");
  st_->signer = std::make_unique<jwt_signer>(field(o, "private_key"),
                                             jwt_signer::alg::rs256);
  while (!api_url.empty() && api_url.back() == '/') api_url.pop_back();
  st_->send_url = api_url + "/v1/projects/" + st_->project + "/messages:send";
  st_->http = http;
  st_->log = std::move(log);
}

fcm_provider::~fcm_provider() = default;

std::string fcm_provider::body(const target& to, const notification& n) const {
  json::object data{{"conv_id", n.conv_id}, {"badge", std::to_string(n.badge)}};
  if (n.clear) {
    data["clear"] = "1";
  } else {
    data["msg_id"] = std::to_string(n.msg_id);
    data["sender"] = n.sender;
    if (!n.preview.empty()) data["preview"] = n.preview;
  }
  json::object android{{"collapse_key", n.conv_id},
                       {"priority", n.clear ? "NORMAL" : "HIGH"}};
  return json::serialize(
      json::object{{"message", json::object{{"token", to.token},
                                            {"data", std::move(data)},
                                            {"android", std::move(android)}}}});
}

void fcm_provider::send(const target& to, const notification& n,
                        std::function<void(outcome)> done) {
  state::waiting w{to, body(to, n), std::move(done)};
  std::string tok;
  {
    std::lock_guard<std::mutex> l(st_->m);
    if (!st_->token.empty() && clock::now() < st_->expires) {
      tok = st_->token;
    } else {
      st_->queue.push_back(std::move(w));
      if (st_->fetching) return;
      st_->fetching = true;
    }
  }
  if (!tok.empty()) return st_->post(tok, std::move(w));
  st_->fetch();
}

}  // namespace switchboard::push
