#include "storage/store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <limits>

#include "storage/keys.hpp"

namespace switchboard::storage {

namespace {

// Extracts a key's first component (length byte + id), so that prefix bloom
// filters and prefix iterators work per conversation or per user.
class first_component_transform : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "switchboard.first_component.1"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return {key.data(), keys::first_component_size(key.ToStringView())};
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return keys::first_component_size(key.ToStringView()) != 0;
  }
};

error to_error(const rocksdb::Status& s) {
  errc code = s.IsCorruption() ? errc::corruption : errc::io_error;
  return error{code, s.ToString()};
}

bool starts_with(const rocksdb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::string_view(s.data(), prefix.size()) == prefix;
}

std::uint64_t read_be64(std::string_view v) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < 8 && i < v.size(); ++i)
    x = (x << 8) | static_cast<unsigned char>(v[i]);
  return x;
}

rocksdb::ColumnFamilyOptions cf_options(column_family cf) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  if (cf != column_family::push_outbox) {
    o.prefix_extractor = std::make_shared<first_component_transform>();
    // Messages are always read where they were just written, so a memtable
    // bloom filter would cost every append and save no read.
    if (cf != column_family::messages)
      o.memtable_prefix_bloom_size_ratio = 0.05;
    // Almost every send asks for an idempotency key that does not exist
    // (probe_idempotent): a bloom filter of whole keys answers that without
    // a skiplist search. The conversation prefix alone would not: every
    // key of an active conversation shares it.
    if (cf == column_family::idempotency) o.memtable_whole_key_filtering = true;
    // Each conversation's keys arrive in increasing order: remembering the
    // last insert position per prefix turns the memtable's skiplist search
    // into an append (measured: see docs/benchmarks-storage.md).
    o.memtable_insert_with_hint_prefix_extractor = o.prefix_extractor;
    // Messages are read by range, never by whole key.
    t.whole_key_filtering = cf != column_family::messages;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

}  // namespace

struct store::impl {
  store_options options;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // [0] is "default"
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;      // by column_family
  std::unique_ptr<group_commit> writer;
  std::atomic<std::uint64_t> next_push_seq{1};

  rocksdb::ColumnFamilyHandle* cf(column_family c) const {
    return cfs[static_cast<std::size_t>(c)];
  }

  std::unique_ptr<rocksdb::Iterator> iter(column_family c,
                                          bool prefix = true) const {
    rocksdb::ReadOptions ro;
    ro.prefix_same_as_start = prefix;
    return std::unique_ptr<rocksdb::Iterator>(db->NewIterator(ro, cf(c)));
  }

  result<std::optional<std::string>> get(column_family c,
                                         const std::string& key) const {
    std::string value;
    auto s = db->Get(rocksdb::ReadOptions(), cf(c), key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return to_error(s);
    return std::optional<std::string>(std::move(value));
  }

  ~impl() {
    if (writer) writer->stop();
    if (db) {
      // A flushed memtable makes the next open replay no WAL.
      (void)db->Flush(rocksdb::FlushOptions(), cfs);  // best effort on close
      for (auto* h : handles) (void)db->DestroyColumnFamilyHandle(h);
      (void)db->Close();  // nothing left to do if closing fails
    }
  }
};

result<std::unique_ptr<store>> store::open(const store_options& options) {
  auto p = std::make_unique<impl>();
  p->options = options;

  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.max_open_files = 512;  // sockets need the process's descriptors
  db_opts.keep_log_file_num = 5;
  db_opts.IncreaseParallelism(2);

  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName,
                     rocksdb::ColumnFamilyOptions());
  for (std::size_t i = 0; i < column_family_count; ++i)
    descs.emplace_back(std::string(column_family_names[i]),
                       cf_options(static_cast<column_family>(i)));

  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_opts, options.path, descs, &p->handles, &raw);
  if (!s.ok()) return error{errc::open_failed, s.ToString()};
  p->db.reset(raw);
  p->cfs.assign(p->handles.begin() + 1, p->handles.end());

  auto it = p->iter(column_family::push_outbox, false);
  it->SeekToLast();
  if (it->Valid()) p->next_push_seq = read_be64(it->key().ToStringView()) + 1;
  if (!it->status().ok()) return to_error(it->status());
  it.reset();

  p->writer = std::make_unique<group_commit>(
      p->db.get(), p->cfs, options.durability, options.on_commit);
  return std::unique_ptr<store>(new store(std::move(p)));
}

store::store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
store::~store() = default;

void store::commit(batch b, completion done) {
  impl_->writer->submit(std::move(b), std::move(done));
}

status store::commit_and_wait(batch b) {
  // The promise is shared with the completion: set_value may still be
  // finishing on the writer thread when get() returns here.
  auto promise = std::make_shared<std::promise<status>>();
  auto fut = promise->get_future();
  commit(std::move(b), [promise](const status& st) { promise->set_value(st); });
  return fut.get();
}

result<std::uint64_t> store::last_msg_id(std::string_view conv) const {
  if (!keys::valid_id(conv)) return error{errc::invalid_argument, "conv_id"};
  auto it = impl_->iter(column_family::messages);
  it->SeekForPrev(
      keys::message_key(conv, std::numeric_limits<std::uint64_t>::max()));
  if (!it->status().ok()) return to_error(it->status());
  if (!it->Valid()) return std::uint64_t{0};
  auto id = keys::message_id(it->key().ToStringView());
  if (!id) return error{errc::corruption, "malformed message key"};
  return *id;
}

namespace {

// Reads up to `limit` messages of `conv` from where `it` stands, moving it
// forward or backward; one extra step tells has_more.
result<page> collect(rocksdb::Iterator& it, std::string_view conv,
                     std::size_t limit, bool forward) {
  std::string prefix = keys::component_key(conv);
  page pg;
  for (; it.Valid() && starts_with(it.key(), prefix);
       forward ? it.Next() : it.Prev()) {
    if (pg.messages.size() == limit) {
      pg.has_more = true;
      break;
    }
    auto id = keys::message_id(it.key().ToStringView());
    if (!id) return error{errc::corruption, "malformed message key"};
    auto m = decode_message(*id, it.value().ToStringView());
    if (!m) return m.err();
    pg.messages.push_back(std::move(*m));
  }
  if (!it.status().ok()) return to_error(it.status());
  return pg;
}

}  // namespace

result<page> store::read_after(std::string_view conv, std::uint64_t after,
                               std::size_t limit) const {
  if (!keys::valid_id(conv)) return error{errc::invalid_argument, "conv_id"};
  if (limit == 0)
    return error{errc::invalid_argument, "limit must be positive"};
  if (after == std::numeric_limits<std::uint64_t>::max()) return page{};
  auto it = impl_->iter(column_family::messages);
  it->Seek(keys::message_key(conv, after + 1));
  return collect(*it, conv, limit, true);
}

result<page> store::read_before(std::string_view conv, std::uint64_t before,
                                std::size_t limit) const {
  if (!keys::valid_id(conv)) return error{errc::invalid_argument, "conv_id"};
  if (limit == 0)
    return error{errc::invalid_argument, "limit must be positive"};
  if (before <= 1) return page{};
  auto it = impl_->iter(column_family::messages);
  it->SeekForPrev(keys::message_key(conv, before - 1));
  return collect(*it, conv, limit, false);
}

result<page> store::read_newest(std::string_view conv,
                                std::size_t limit) const {
  return read_before(conv, std::numeric_limits<std::uint64_t>::max(), limit);
}

result<std::uint64_t> store::count_from_others(std::string_view conv,
                                               std::uint64_t after,
                                               std::string_view user) const {
  if (!keys::valid_id(conv)) return error{errc::invalid_argument, "conv_id"};
  std::uint64_t n = 0;
  if (after == std::numeric_limits<std::uint64_t>::max()) return n;
  std::string prefix = keys::component_key(conv);
  auto it = impl_->iter(column_family::messages);
  for (it->Seek(keys::message_key(conv, after + 1));
       it->Valid() && starts_with(it->key(), prefix); it->Next()) {
    auto id = keys::message_id(it->key().ToStringView());
    if (!id) return error{errc::corruption, "malformed message key"};
    auto m = decode_message(*id, it->value().ToStringView());
    if (!m) return m.err();
    if (m->sender != user) ++n;
  }
  if (!it->status().ok()) return to_error(it->status());
  return n;
}

result<std::optional<std::uint64_t>> store::find_idempotent(
    std::string_view conv, std::string_view sender,
    std::string_view client_msg_id) const {
  auto v = impl_->get(column_family::idempotency,
                      keys::component_key(conv, sender, client_msg_id));
  if (!v) return v.err();
  if (!*v) return std::optional<std::uint64_t>();
  if ((*v)->size() != 8) return error{errc::corruption, "idempotency record"};
  return std::optional<std::uint64_t>(read_be64(**v));
}

store::probe store::probe_idempotent(std::string_view conv,
                                     std::string_view sender,
                                     std::string_view client_msg_id) const {
  rocksdb::ReadOptions ro;
  ro.read_tier = rocksdb::kBlockCacheTier;  // Incomplete rather than I/O
  rocksdb::PinnableSlice value;
  auto s =
      impl_->db->Get(ro, impl_->cf(column_family::idempotency),
                     keys::component_key(conv, sender, client_msg_id), &value);
  if (s.IsNotFound()) return probe::absent;
  if (s.ok()) return probe::present;
  return probe::unknown;
}

result<std::optional<conversation_meta>> store::conversation(
    std::string_view conv) const {
  auto v = impl_->get(column_family::conversations, keys::component_key(conv));
  if (!v) return v.err();
  if (!*v) return std::optional<conversation_meta>();
  auto meta = decode_conversation_meta(**v);
  if (!meta) return meta.err();
  return std::optional<conversation_meta>(std::move(*meta));
}

result<std::optional<std::string>> store::find_direct(
    std::string_view a, std::string_view b) const {
  if (b < a) std::swap(a, b);
  return impl_->get(column_family::directs, keys::component_key(a, b));
}

result<std::optional<member_state>> store::member(std::string_view conv,
                                                  std::string_view user) const {
  auto v = impl_->get(column_family::members, keys::component_key(conv, user));
  if (!v) return v.err();
  if (!*v) return std::optional<member_state>();
  auto st = decode_member_state(**v);
  if (!st) return st.err();
  return std::optional<member_state>(*st);
}

namespace {

// Calls f(second component, value) for every key under `first`.
template <class F>
status scan_second(rocksdb::Iterator& it, std::string_view first, F&& f) {
  std::string prefix = keys::component_key(first);
  for (it.Seek(prefix); it.Valid() && starts_with(it.key(), prefix);
       it.Next()) {
    auto parts = keys::split(it.key().ToStringView());
    if (!parts || parts->size() != 2)
      return error{errc::corruption, "malformed key"};
    status st = f((*parts)[1], it.value().ToStringView());
    if (!st) return st;
  }
  if (!it.status().ok()) return to_error(it.status());
  return ok;
}

}  // namespace

result<std::vector<member_entry>> store::members(std::string_view conv) const {
  std::vector<member_entry> out;
  auto it = impl_->iter(column_family::members);
  status st = scan_second(
      *it, conv, [&](std::string_view user, std::string_view value) -> status {
        auto m = decode_member_state(value);
        if (!m) return m.err();
        out.push_back(member_entry{std::string(user), *m});
        return ok;
      });
  if (!st) return st.err();
  // Keys order by id length first; callers are promised id order.
  std::sort(out.begin(), out.end(),
            [](const member_entry& a, const member_entry& b) {
              return a.user_id < b.user_id;
            });
  return out;
}

result<std::vector<std::string>> store::inbox(std::string_view user) const {
  std::vector<std::string> out;
  auto it = impl_->iter(column_family::inbox);
  status st = scan_second(
      *it, user, [&](std::string_view conv, std::string_view) -> status {
        out.emplace_back(conv);
        return ok;
      });
  if (!st) return st.err();
  std::sort(out.begin(), out.end());
  return out;
}

result<std::vector<device>> store::devices(std::string_view user) const {
  std::vector<device> out;
  auto it = impl_->iter(column_family::devices);
  status st = scan_second(
      *it, user, [&](std::string_view, std::string_view value) -> status {
        auto d = decode_device(value);
        if (!d) return d.err();
        out.push_back(std::move(*d));
        return ok;
      });
  if (!st) return st.err();
  return out;
}

result<std::optional<std::int64_t>> store::last_seen(
    std::string_view user) const {
  auto v = impl_->get(column_family::last_seen, keys::component_key(user));
  if (!v) return v.err();
  if (!*v) return std::optional<std::int64_t>();
  if ((*v)->size() != 8) return error{errc::corruption, "last_seen record"};
  return std::optional<std::int64_t>(static_cast<std::int64_t>(read_be64(**v)));
}

result<std::vector<push_entry>> store::push_jobs(std::size_t limit) const {
  std::vector<push_entry> out;
  auto it = impl_->iter(column_family::push_outbox, false);
  for (it->SeekToFirst(); it->Valid() && out.size() < limit; it->Next()) {
    auto job = decode_push_job(it->value().ToStringView());
    if (!job) return job.err();
    out.push_back(
        push_entry{read_be64(it->key().ToStringView()), std::move(*job)});
  }
  if (!it->status().ok()) return to_error(it->status());
  return out;
}

std::uint64_t store::next_push_seq() { return impl_->next_push_seq++; }

result<std::vector<std::string>> store::conversations(std::string_view prefix,
                                                      std::size_t limit) const {
  std::vector<std::string> out;
  auto it = impl_->iter(column_family::conversations, false);
  for (it->SeekToFirst(); it->Valid() && out.size() < limit; it->Next()) {
    auto parts = keys::split(it->key().ToStringView());
    if (!parts || parts->size() != 1)
      return error{errc::corruption, "malformed key"};
    if ((*parts)[0].substr(0, prefix.size()) == prefix)
      out.emplace_back((*parts)[0]);
  }
  if (!it->status().ok()) return to_error(it->status());
  return out;
}

status store::checkpoint(const std::string& dir) {
  // Everything acknowledged so far is in the WAL; the checkpoint copies it.
  (void)commit_and_wait(
      batch{});  // orders the checkpoint after pending commits
  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(impl_->db.get(), &raw);
  if (!s.ok()) return to_error(s);
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  s = cp->CreateCheckpoint(dir);
  if (!s.ok()) return error{errc::io_error, s.ToString()};
  return ok;
}

status store::compact() {
  rocksdb::CompactRangeOptions o;
  for (auto* cf : impl_->cfs) {
    auto s = impl_->db->CompactRange(o, cf, nullptr, nullptr);
    if (!s.ok()) return to_error(s);
  }
  return ok;
}

std::uint64_t store::disk_size() const {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto& e :
       std::filesystem::recursive_directory_iterator(impl_->options.path, ec))
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  return total;
}

commit_stats store::stats() const { return impl_->writer->stats(); }

const store_options& store::options() const noexcept { return impl_->options; }

}  // namespace switchboard::storage
