#include "cluster/etcd_types.hpp"

#include <utility>

namespace switchboard::cluster {

namespace {

compare numeric(std::string key, compare::target what, compare::op relation,
                std::int64_t n) {
  compare c;
  c.key = std::move(key);
  c.what = what;
  c.relation = relation;
  c.number = n;
  return c;
}

txn_op make_op(txn_op::kind what, std::string key, std::string value,
               std::string range_end, std::int64_t lease) {
  txn_op o;
  o.what = what;
  o.key = std::move(key);
  o.value = std::move(value);
  o.range_end = std::move(range_end);
  o.lease = lease;
  return o;
}

}  // namespace

compare compare::create_revision(std::string key, op relation, std::int64_t n) {
  return numeric(std::move(key), target::create_revision, relation, n);
}

compare compare::mod_revision(std::string key, op relation, std::int64_t n) {
  return numeric(std::move(key), target::mod_revision, relation, n);
}

compare compare::version(std::string key, op relation, std::int64_t n) {
  return numeric(std::move(key), target::version, relation, n);
}

compare compare::value_is(std::string key, op relation, std::string value) {
  compare c = numeric(std::move(key), target::value, relation, 0);
  c.value = std::move(value);
  return c;
}

txn_op txn_op::put(std::string key, std::string value, std::int64_t lease) {
  return make_op(kind::put, std::move(key), std::move(value), {}, lease);
}

txn_op txn_op::range(std::string key, std::string range_end) {
  return make_op(kind::range, std::move(key), {}, std::move(range_end), 0);
}

txn_op txn_op::delete_range(std::string key, std::string range_end) {
  return make_op(kind::delete_range, std::move(key), {}, std::move(range_end),
                 0);
}

}  // namespace switchboard::cluster
