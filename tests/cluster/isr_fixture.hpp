#pragma once

// The fixture of the replication txns' tests: records written straight to
// etcd, as another writer would, and waited for in the coordinators' copies.
#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>
#include <vector>

#include "cluster/coordinator.hpp"
#include "cluster/shard_record.hpp"
#include "tests/cluster/coordinator_fixture.hpp"

namespace switchboard::testing {

using names = std::vector<std::string>;

struct isr_fixture : coordinator_fixture {
  static cluster::shard_record record(std::string owner, names replicas,
                                      names isr, std::int64_t epoch = 1) {
    cluster::shard_record r;
    r.owner = std::move(owner);
    r.epoch = epoch;
    r.replicas = std::move(replicas);
    r.isr = std::move(isr);
    return r;
  }

  // Puts `rec` as shard n's record and waits until every one of `seen_by`
  // has it in its copy; the key's mod_revision.
  std::int64_t put_record(
      std::uint32_t n, const cluster::shard_record& rec,
      std::initializer_list<cluster::coordinator*> seen_by) {
    auto put = client.put(key(n), cluster::encode_shard(rec));
    REQUIRE(put);
    auto revision = put->header.revision;
    for (auto* c : seen_by)
      REQUIRE(events.eventually([&] {
        auto s = c->shard(n);
        return s && s->mod_revision == revision;
      }));
    return revision;
  }

  // The mod_revision of shard n's key in etcd (0: absent).
  std::int64_t stored_revision(std::uint32_t n) {
    auto got = client.range(key(n));
    REQUIRE(got);
    return got->kvs.empty() ? 0 : got->kvs[0].mod_revision;
  }

  cluster::shard_record stored(std::uint32_t n) {
    auto got = client.range(key(n));
    REQUIRE(got);
    REQUIRE(got->kvs.size() == 1);
    auto rec = cluster::decode_shard(got->kvs[0].value);
    INFO((rec ? "" : rec.err().message));
    REQUIRE(rec);
    return *rec;
  }

  static std::string key(std::uint32_t n) {
    return "/sb/shards/" + std::to_string(n);
  }
};

// The error code of a failed result (a success fails the check).
template <class R>
cluster::errc code_of(const R& r) {
  INFO((r ? "succeeded" : r.err().message));
  REQUIRE_FALSE(r);
  return r.err().code;
}

}  // namespace switchboard::testing
