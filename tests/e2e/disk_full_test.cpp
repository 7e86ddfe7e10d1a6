#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;
using namespace std::chrono_literals;

namespace {

// A small tmpfs of its own, unmounted when this object dies. Mounting
// needs root (CAP_SYS_ADMIN); `mounted` says whether it worked.
struct small_tmpfs {
  temp_dir dir;
  bool mounted = false;
  std::string error;

  explicit small_tmpfs(const std::string& size) {
    auto opts = "size=" + size;
    mounted =
        ::mount("tmpfs", dir.str().c_str(), "tmpfs", 0, opts.c_str()) == 0;
    if (!mounted) error = std::strerror(errno);
  }
  ~small_tmpfs() {
    if (mounted) ::umount2(dir.str().c_str(), MNT_DETACH);
  }
  std::string path(const std::string& name) const {
    return (dir.path() / name).string();
  }
};

// Writes `path` until the file system is full; returns the bytes written.
std::size_t fill(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  std::string chunk(1 << 16, 'x');
  std::size_t total = 0;
  for (;;) {
    auto n = ::write(fd, chunk.data(), chunk.size());
    if (n <= 0) break;
    total += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return total;
}

double metric(const std::string& scrape, const std::string& sample) {
  auto pos = scrape.find("\n" + sample + " ");
  if (pos == std::string::npos) FAIL("no sample " << sample);
  return std::stod(scrape.substr(pos + sample.size() + 2));
}

// Polls `/readyz` until it answers `status`, or fails the test.
void wait_ready_status(std::uint16_t port, int status) {
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (http_request(port, "GET", "/readyz").status != status) {
    if (std::chrono::steady_clock::now() > deadline)
      FAIL("/readyz did not answer " << status << " within 30 s");
    std::this_thread::sleep_for(20ms);  // a poll interval, not a wait
  }
}

// Sends until the store notices the disk is full, checking every answer:
// `sent` with the next id (appended to `acked`) until the first
// `unavailable`, then only `unavailable`, `n` of them.
void send_until_unavailable(ws_client& c, const std::string& conv,
                            std::vector<std::uint64_t>& acked, int n) {
  int unavailable = 0;
  for (int i = 0; i < 5000 && unavailable < n; ++i) {
    auto r = e2e_fixture::send(c, conv, std::string(512, 'f'),
                               "f" + std::to_string(i));
    if (r["type"] == "sent") {
      REQUIRE(unavailable == 0);  // nothing is sent once it failed
      REQUIRE(e2e_fixture::u64(r["msg_id"]) == acked.back() + 1);
      acked.push_back(e2e_fixture::u64(r["msg_id"]));
      continue;
    }
    REQUIRE(r["type"] == "error");
    REQUIRE(r["code"] == "unavailable");
    CHECK(r["retry_after_ms"].as_int64() > 0);
    ++unavailable;
  }
  REQUIRE(unavailable == n);
}

}  // namespace

TEST_CASE(
    "on a full disk sends are unavailable, never sent, and the node "
    "recovers without a restart once space is freed",
    "[e2e][disk_full]") {
  small_tmpfs fs("48m");
  if (!fs.mounted) {
    WARN("SKIPPED: cannot mount a tmpfs (" << fs.error
                                           << "); run as root to test a "
                                              "full disk");
    return;
  }
  auto node = std::make_unique<node_process>(std::vector<std::string>{
      "--data-dir", fs.path("data"), "--send-burst", "100000"});
  std::vector<std::uint64_t> acked;
  std::string conv;
  {
    ws_client alice(node->port(), node->token("alice"));
    conv = e2e_fixture::create(alice, "direct", {"bob"});
    for (int i = 1; i <= 3; ++i) {
      auto r =
          e2e_fixture::send(alice, conv, "before", "b" + std::to_string(i));
      REQUIRE(r["type"] == "sent");
      acked.push_back(e2e_fixture::u64(r["msg_id"]));
    }
    REQUIRE(fill(fs.path("filler")) > 0);

    // A few sends may still fit in the last pages; never a silence.
    send_until_unavailable(alice, conv, acked, 20);
    auto ready = http_request(node->port(), "GET", "/readyz");
    CHECK(ready.status == 503);
    CHECK(ready.body.find("not writable") != std::string::npos);
    auto scrape = http_request(node->port(), "GET", "/metrics").body;
    CHECK(metric(scrape, "switchboard_store_writable") == 0);
    CHECK(metric(scrape, "switchboard_store_unwritable_total") >= 1);
    CHECK(metric(scrape, "switchboard_store_write_failures_total") >= 1);
    // REST writes say the same: unavailable, retry, not internal.
    auto device = http_request(node->port(), "POST", "/v1/devices",
                               R"({"platform":"fcm","token":"t1"})",
                               "Bearer " + node->token("alice"));
    CHECK(device.status == 503);
    CHECK(device.headers.count("retry-after") == 1);

    // Space again: the same process takes writes, ids without a gap.
    std::filesystem::remove(fs.path("filler"));
    wait_ready_status(node->port(), 200);
    for (int i = 1; i <= 3; ++i) {
      auto r = e2e_fixture::send(alice, conv, "after", "a" + std::to_string(i));
      REQUIRE(r["type"] == "sent");
      REQUIRE(e2e_fixture::u64(r["msg_id"]) == acked.back() + 1);
      acked.push_back(e2e_fixture::u64(r["msg_id"]));
    }
    // History holds exactly the acknowledged messages.
    CHECK(e2e_fixture::history_ids(alice, conv) == acked);
    scrape = http_request(node->port(), "GET", "/metrics").body;
    CHECK(metric(scrape, "switchboard_store_writable") == 1);
  }
  CHECK(node->stop() == 0);
  // And so does the store after a restart.
  node->start();
  ws_client bob(node->port(), node->token("bob"));
  CHECK(e2e_fixture::history_ids(bob, conv) == acked);
  CHECK(node->stop() == 0);
}

TEST_CASE(
    "a node stopped while its disk is full exits cleanly and loses "
    "nothing it acknowledged",
    "[e2e][disk_full]") {
  small_tmpfs fs("48m");
  if (!fs.mounted) {
    WARN("SKIPPED: cannot mount a tmpfs (" << fs.error << ")");
    return;
  }
  auto node = std::make_unique<node_process>(std::vector<std::string>{
      "--data-dir", fs.path("data"), "--send-burst", "100000"});
  std::vector<std::uint64_t> acked;
  std::string conv;
  {
    ws_client alice(node->port(), node->token("alice"));
    conv = e2e_fixture::create(alice, "group", {"bob"});
    auto r = e2e_fixture::send(alice, conv, "before", "b1");
    REQUIRE(r["type"] == "sent");
    acked.push_back(e2e_fixture::u64(r["msg_id"]));
    REQUIRE(fill(fs.path("filler")) > 0);
    send_until_unavailable(alice, conv, acked, 3);
  }
  CHECK(node->stop() == 0);  // no abort in RocksDB on the way out
  std::filesystem::remove(fs.path("filler"));
  node->start();
  ws_client bob(node->port(), node->token("bob"));
  CHECK(e2e_fixture::history_ids(bob, conv) == acked);
  CHECK(node->stop() == 0);
}
