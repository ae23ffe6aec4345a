// Named sessions: a DuckDB connection (settings, temporary tables, current catalog and schema,
// open transaction) shared by the calls of one client, keyed by (user, session id), expiring
// after its timeout without use.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <semaphore>
#include <optional>
#include <string>
#include <map>

#include <arrow/result.h>

#include "common/clock.h"
#include "engine/database.h"

namespace quiver::session {

struct Session {
  std::string user;
  std::string id;
  std::shared_ptr<engine::Connection> connection;
  // Held by a call while it uses the connection: one statement at a time per session. A
  // semaphore rather than a mutex because a DoGet stream may release it on another thread.
  std::binary_semaphore busy{1};
  std::chrono::seconds timeout{0};
  TimePoint last_used{};
  // Set when the session is closed or expires; what was bound to it (prepared statements) dies.
  std::atomic<bool> closed{false};
};

class SessionStore {
 public:
  SessionStore(std::shared_ptr<engine::Database> database, const Clock& clock,
               std::chrono::seconds default_timeout, std::chrono::seconds max_timeout)
      : database_(std::move(database)),
        clock_(clock),
        default_timeout_(default_timeout),
        max_timeout_(max_timeout) {}

  // The session (user, id), created unless `must_exist` (then Invalid "Session <id> not found").
  // `timeout_seconds` 0 or absent means the default; above the maximum is Invalid. Each call
  // refreshes the session's expiry.
  arrow::Result<std::shared_ptr<Session>> Acquire(const std::string& user, const std::string& id,
                                                  std::optional<int64_t> timeout_seconds,
                                                  bool must_exist);
  // Forgets the session; its connection closes (rolling back an open transaction) once the
  // last call using it ends. False when there was no such session.
  bool Close(const std::string& user, const std::string& id);
  size_t size();

 private:
  using Key = std::pair<std::string, std::string>;  // (user, id)
  void PurgeExpiredLocked(TimePoint now);

  std::shared_ptr<engine::Database> database_;
  const Clock& clock_;
  const std::chrono::seconds default_timeout_;
  const std::chrono::seconds max_timeout_;
  std::mutex mutex_;
  std::map<Key, std::shared_ptr<Session>> sessions_;
};

}  // namespace quiver::session
