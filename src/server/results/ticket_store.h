// Results kept on the server for later DoGet calls, each under a `~TICKET-<uuid>` name that
// expires `tickets_lifetime_seconds` after it was issued (0 = never). Once spilling is enabled,
// at most `tickets_memory_budget_bytes` of them are held in memory; the others live in Arrow IPC
// stream files and are streamed back from there batch by batch. A ticket belongs to the user
// whose query made it: other users are told it does not exist.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "common/clock.h"

namespace quiver::results {

// A piece of a query result, fully materialised.
struct StoredResult {
  std::shared_ptr<arrow::Schema> schema;
  arrow::RecordBatchVector batches;
  int64_t rows = 0;
  int64_t bytes = 0;
};

class TicketStore {
 public:
  // `max_per_user`: live tickets one user may hold (0: no limit).
  TicketStore(const Clock& clock, std::chrono::seconds lifetime, int64_t max_per_user = 0)
      : clock_(clock), lifetime_(lifetime), max_per_user_(max_per_user) {}
  // Stops the sweeper, deletes the spill files and the spill directory.
  ~TicketStore();
  TicketStore(const TicketStore&) = delete;
  TicketStore& operator=(const TicketStore&) = delete;

  // From now on keeps at most `memory_budget_bytes` of results in memory (0: none) and writes
  // the others to a fresh directory `quiver-spill-<pid>-<random>` created inside
  // `parent_directory` (which is created if missing; empty: $TMPDIR, else /tmp). Also starts a
  // thread that purges expired tickets about every second, so that their files leave the disk
  // even when no call comes to purge them. Without this call everything stays in memory. Call
  // once, before the store is used; a directory that cannot be written is an error naming it.
  arrow::Status EnableSpilling(int64_t memory_budget_bytes, const std::string& parent_directory);
  // Where spill files go; empty until EnableSpilling succeeded.
  std::string spill_directory();

  struct Issued {
    std::string ticket;
    std::optional<TimePoint> expires;  // unset when tickets never expire
  };
  // Fails when `owner` already holds max_per_user tickets (Unavailable), or when the result had
  // to be spilled and the file could not be written.
  arrow::Result<Issued> Add(std::shared_ptr<const StoredResult> result, const std::string& owner);
  // A reader of a live ticket's batches, KeyError "Ticket '<t>' not found" when it is unknown,
  // expired or `user`'s not. A spilled ticket is read from its file as the reader is consumed, and stays
  // readable to the end even if the ticket expires or is removed meanwhile.
  arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> Open(const std::string& ticket,
                                                                const std::string& user);
  void Remove(const std::string& ticket);
  // Moves a live ticket of `user` to expire at now + lifetime; nullopt when unknown, expired or
  // another user's.
  std::optional<std::optional<TimePoint>> Renew(const std::string& ticket, const std::string& user);

  size_t size();
  // StoredResult::bytes of the live tickets held in memory, and of those spilled to files.
  int64_t bytes();
  int64_t spilled_bytes();

 private:
  struct Entry {
    std::shared_ptr<const StoredResult> result;  // null when spilled
    std::string spill_file;                      // set when spilled
    int64_t bytes = 0;
    std::optional<TimePoint> expires;
    std::string owner;
  };
  class DoomedFiles;
  using Entries = std::unordered_map<std::string, Entry>;

  std::optional<TimePoint> ExpiryFrom(TimePoint now) const;
  bool FitsInMemoryLocked(int64_t bytes) const;
  Entries::iterator EraseLocked(Entries::iterator it, DoomedFiles& doomed);
  void ForgetOwnerLocked(const std::string& owner);
  void PurgeExpiredLocked(TimePoint now, DoomedFiles& doomed);
  void SweepUntilStopped();

  const Clock& clock_;
  const std::chrono::seconds lifetime_;
  const int64_t max_per_user_;
  std::mutex mutex_;
  Entries entries_;
  std::unordered_map<std::string, int64_t> per_user_;
  int64_t bytes_ = 0;
  int64_t spilled_bytes_ = 0;
  // Unset: no spilling, every result stays in memory.
  std::optional<int64_t> memory_budget_bytes_;
  std::string spill_directory_;
  // Spill files are numbered rather than named after tickets, so that a directory listing never
  // reveals a ticket (which is all a client needs to read the result).
  uint64_t next_spill_file_ = 0;
  bool stopping_ = false;
  std::condition_variable stop_;
  std::thread sweeper_;
};

}  // namespace quiver::results
