#include "actors/shard_positions.hpp"

#include <algorithm>

namespace switchboard::actors {

shard_positions::shard_positions(std::uint32_t shards) : slots_(shards) {}

void shard_positions::load(
    const std::vector<std::pair<std::uint16_t, storage::shard_position>>&
        stored) {
  std::lock_guard<std::mutex> lock(mtx_);
  for (auto& [shard, p] : stored) {
    if (shard >= slots_.size()) continue;
    slots_[shard].at = p;
    slots_[shard].highest_epoch =
        std::max(slots_[shard].highest_epoch, p.epoch);
  }
}

storage::shard_position shard_positions::at(std::uint32_t shard) const {
  std::lock_guard<std::mutex> lock(mtx_);
  return shard < slots_.size() ? slots_[shard].at : storage::shard_position{};
}

void shard_positions::reset(std::uint32_t shard, storage::shard_position p) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (shard >= slots_.size()) return;
  slots_[shard].at = p;
  slots_[shard].highest_epoch = std::max(slots_[shard].highest_epoch, p.epoch);
}

void shard_positions::reset_pending(std::uint32_t shard,
                                    storage::shard_position p) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (shard >= slots_.size()) return;
  slots_[shard].at = p;
  slots_[shard].highest_epoch = std::max(slots_[shard].highest_epoch, p.epoch);
  ++slots_[shard].pending;
}

void shard_positions::lead(std::uint32_t shard, std::int64_t epoch) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (shard >= slots_.size()) return;
  auto& s = slots_[shard];
  s.leading = epoch;
  s.highest_epoch = std::max(s.highest_epoch, epoch);
}

std::int64_t shard_positions::leading(std::uint32_t shard) const {
  std::lock_guard<std::mutex> lock(mtx_);
  return shard < slots_.size() ? slots_[shard].leading : 0;
}

namespace {
// A diverged copy's position: no leader has it, and no seq follows it.
constexpr storage::shard_position diverged{-1, ~std::uint64_t{0} - 1};
}  // namespace

std::optional<storage::shard_step> shard_positions::next(std::uint32_t shard) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (shard >= slots_.size() || slots_[shard].leading == 0) return std::nullopt;
  auto& s = slots_[shard];
  if (s.at == diverged) return std::nullopt;  // not a log anybody may extend
  storage::shard_step step{s.at, {s.leading, s.at.seq + 1}};
  s.at = step.at;
  return step;
}

void shard_positions::give_back(std::uint32_t shard,
                                const storage::shard_step& step) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (shard >= slots_.size()) return;
  auto& s = slots_[shard];
  // Only the latest can go back (one writer thread takes them all).
  if (s.at == step.at) s.at = step.prev;
}

void shard_positions::diverge(std::uint32_t shard) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (shard < slots_.size()) slots_[shard].at = diverged;
}

std::string shard_positions::check(std::uint32_t shard,
                                   const storage::shard_step& step,
                                   std::int64_t map_epoch,
                                   bool* mismatch) const {
  std::lock_guard<std::mutex> lock(mtx_);
  if (shard >= slots_.size()) return "no such shard";
  const auto& s = slots_[shard];
  auto n = std::to_string(shard);
  if (s.leading != 0) return "shard " + n + " is led here";
  if (s.at == diverged)
    return "shard " + n + ": this copy diverged; it needs a copy";
  auto floor = std::max(s.highest_epoch, map_epoch);
  if (step.at.epoch < floor)
    return "shard " + n + ": epoch " + std::to_string(step.at.epoch) +
           " is below " + std::to_string(floor);
  if (s.at != step.prev || step.at.seq != step.prev.seq + 1) {
    if (mismatch) *mismatch = true;
    return "shard " + n + ": the append follows " +
           std::to_string(step.prev.epoch) + "/" +
           std::to_string(step.prev.seq) + ", this copy is at " +
           std::to_string(s.at.epoch) + "/" + std::to_string(s.at.seq);
  }
  return "";
}

std::string shard_positions::accept(std::uint32_t shard,
                                    const storage::shard_step& step,
                                    std::int64_t map_epoch) {
  if (auto why = check(shard, step, map_epoch); !why.empty()) return why;
  std::lock_guard<std::mutex> lock(mtx_);
  auto& s = slots_[shard];
  s.at = step.at;
  s.highest_epoch = step.at.epoch;
  ++s.pending;
  return "";
}

void shard_positions::settled(std::uint32_t shard) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (shard < slots_.size() && slots_[shard].pending > 0)
    --slots_[shard].pending;
}

std::optional<storage::shard_position> shard_positions::settled_at(
    std::uint32_t shard) const {
  std::lock_guard<std::mutex> lock(mtx_);
  if (shard >= slots_.size()) return storage::shard_position{};
  if (slots_[shard].pending > 0) return std::nullopt;
  return slots_[shard].at;
}

}  // namespace switchboard::actors
