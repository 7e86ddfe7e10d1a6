#pragma once

#include <string_view>

namespace switchboard::storage {

// Every error the storage layer reports. rocksdb::Status never leaves
// storage/: it is mapped to one of these, with its text kept as the message.
enum class errc {
  // The store could not be opened (missing directory permissions, a lock held
  // by another process, incompatible options).
  open_failed = 1,
  // A read or write failed at the file-system level (disk full, I/O
  // error). After a failed write the store is not writable until it has
  // recovered (see group_commit): later writes get `unavailable`.
  io_error,
  // A stored record could not be decoded: unknown version, truncated or
  // inconsistent lengths. The caller sees it; the process does not crash.
  corruption,
  // The caller passed something the store cannot represent (an empty or
  // over-long id, a zero msg_id, a limit of zero).
  invalid_argument,
  // The store is shutting down or has shut down; nothing was written.
  closed,
  // The store is not writable right now: an earlier write failed and the
  // writer is recovering (store::health says why). Nothing was written;
  // retry later.
  unavailable,
  // A caller's wait for a write ended before the write did (a stuck disk,
  // followers that do not answer): its outcome is unknown, and it may
  // still become durable.
  timed_out,
};

// A short stable name for logs and tests, e.g. "io_error".
std::string_view to_string(errc e) noexcept;

}  // namespace switchboard::storage
