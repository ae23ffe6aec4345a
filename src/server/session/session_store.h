// Named sessions: a DuckDB connection (settings, temporary tables, current catalog and schema,
// open transaction) shared by the calls of one client, keyed by (user, session id), expiring
// after its timeout without use.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>

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
  // `max_sessions`: open sessions across all users, 0 = unlimited.
  SessionStore(std::shared_ptr<engine::Database> database, const Clock& clock,
               std::chrono::seconds default_timeout, std::chrono::seconds max_timeout,
               int64_t max_sessions)
      : database_(std::move(database)),
        clock_(clock),
        default_timeout_(default_timeout),
        max_timeout_(max_timeout),
        max_sessions_(max_sessions) {}

  // The session (user, id), created unless `must_exist` (then Invalid "Session <id> not found").
  // `timeout_seconds` 0 or absent means the default; above the maximum is Invalid. Each call
  // refreshes the session's expiry. A new session beyond `max_sessions` is refused (Flight
  // "Unavailable", gRPC UNAVAILABLE) until one closes or expires.
  arrow::Result<std::shared_ptr<Session>> Acquire(const std::string& user, const std::string& id,
                                                  std::optional<int64_t> timeout_seconds,
                                                  bool must_exist);
  // Forgets the session; its connection closes (rolling back an open transaction) once the
  // last call using it ends. False when there was no such session.
  bool Close(const std::string& user, const std::string& id);
  // Forgets every session (at shutdown: their open transactions roll back once the calls using
  // them end, so that the database can be checkpointed).
  void CloseAll();
  size_t size();

 private:
  using Key = std::pair<std::string, std::string>;  // (user, id)
  void PurgeExpiredLocked(TimePoint now);
  // Unavailable when `max_sessions` sessions are open.
  arrow::Status CheckRoomLocked() const;

  std::shared_ptr<engine::Database> database_;
  const Clock& clock_;
  const std::chrono::seconds default_timeout_;
  const std::chrono::seconds max_timeout_;
  const int64_t max_sessions_;
  std::mutex mutex_;
  std::map<Key, std::shared_ptr<Session>> sessions_;
};

}  // namespace quiver::session
