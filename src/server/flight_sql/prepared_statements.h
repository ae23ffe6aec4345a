// Prepared statements created by CreatePreparedStatement: owned by the user who created them,
// limited per user, optionally expiring.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "common/clock.h"
#include "engine/prepared.h"
#include "server/session/session_store.h"

namespace quiver::flight_sql {

struct PreparedStatementEntry {
  std::string user;
  std::string sql;
  std::optional<std::string> transaction_id;  // runs on that transaction's connection
  std::shared_ptr<session::Session> session;  // runs on that session's connection, dies with it
  std::unique_ptr<engine::PreparedQuery> query;
  // The parameter rows bound by the last DoPut (nullptr when nothing was bound).
  std::shared_ptr<arrow::RecordBatch> parameters;
  std::mutex mutex;  // one execution or bind at a time
};

class PreparedStatementStore {
 public:
  // `max_per_user` 0 = unlimited; `lifetime` 0 = statements never expire, otherwise they expire
  // `lifetime` after their last use.
  PreparedStatementStore(const Clock& clock, size_t max_per_user, std::chrono::seconds lifetime)
      : clock_(clock), max_per_user_(max_per_user), lifetime_(lifetime) {}

  // Stores a statement; fails with "Too many prepared statements" at the per-user limit.
  arrow::Result<std::string> Add(std::shared_ptr<PreparedStatementEntry> entry);
  // The caller's statement (refreshing its lifetime); NOT_FOUND "Prepared statement handle not
  // found" for unknown, expired or another user's handles.
  arrow::Result<std::shared_ptr<PreparedStatementEntry>> Find(const std::string& handle,
                                                              const std::string& user);
  // Closes the caller's statement `handle` (another user's handle is left alone). An empty handle
  // closes all of the caller's statements of `session_id`, or all session-less ones without it.
  void Close(const std::string& handle, const std::string& user,
             const std::optional<std::string>& session_id);
  size_t size();

 private:
  struct Slot {
    std::shared_ptr<PreparedStatementEntry> entry;
    TimePoint last_used;
  };
  void PurgeExpiredLocked(TimePoint now);

  const Clock& clock_;
  const size_t max_per_user_;
  const std::chrono::seconds lifetime_;
  std::mutex mutex_;
  std::unordered_map<std::string, Slot> slots_;
};

}  // namespace quiver::flight_sql
