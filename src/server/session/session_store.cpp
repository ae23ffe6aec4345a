#include "server/session/session_store.h"

#include <arrow/flight/types.h>

namespace quiver::session {

arrow::Result<std::shared_ptr<Session>> SessionStore::Acquire(
    const std::string& user, const std::string& id, std::optional<int64_t> timeout_seconds,
    bool must_exist) {
  std::chrono::seconds timeout = default_timeout_;
  if (timeout_seconds && *timeout_seconds > 0) {
    if (*timeout_seconds > max_timeout_.count()) {
      return arrow::Status::Invalid("Session timeout '", *timeout_seconds,
                                    "' is larger than max_session_timeout: ",
                                    max_timeout_.count(), ".");
    }
    timeout = std::chrono::seconds(*timeout_seconds);
  }
  const TimePoint now = clock_.Now();
  std::unique_lock lock(mutex_);
  PurgeExpiredLocked(now);
  auto it = sessions_.find({user, id});
  if (it != sessions_.end()) {
    it->second->last_used = now;
    if (timeout_seconds && *timeout_seconds > 0) it->second->timeout = timeout;
    return it->second;
  }
  if (must_exist) return arrow::Status::Invalid("Session ", id, " not found");
  ARROW_RETURN_NOT_OK(CheckRoomLocked());
  lock.unlock();
  ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
  auto session = std::make_shared<Session>();
  session->user = user;
  session->id = id;
  session->connection = std::move(connection);
  session->timeout = timeout;
  session->last_used = now;
  lock.lock();
  // Another call may have created it meanwhile: keep the first one.
  if (auto existing = sessions_.find({user, id}); existing != sessions_.end()) {
    return existing->second;
  }
  ARROW_RETURN_NOT_OK(CheckRoomLocked());
  sessions_.emplace(Key{user, id}, session);
  return session;
}

arrow::Status SessionStore::CheckRoomLocked() const {
  if (max_sessions_ <= 0 || static_cast<int64_t>(sessions_.size()) < max_sessions_) {
    return arrow::Status::OK();
  }
  return arrow::flight::MakeFlightError(
      arrow::flight::FlightStatusCode::Unavailable,
      "Too many open sessions (max_sessions = " + std::to_string(max_sessions_) +
          "); close a session or wait until one expires");
}

bool SessionStore::Close(const std::string& user, const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find({user, id});
  if (it == sessions_.end()) return false;
  it->second->closed = true;
  sessions_.erase(it);
  return true;
}

void SessionStore::CloseAll() {
  std::map<Key, std::shared_ptr<Session>> closing;
  {
    std::lock_guard lock(mutex_);
    closing.swap(sessions_);
  }
  // The connections close here, outside the lock, unless a call still holds one.
  for (auto& [key, session] : closing) session->closed = true;
}

size_t SessionStore::size() {
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(clock_.Now());
  return sessions_.size();
}

void SessionStore::PurgeExpiredLocked(TimePoint now) {
  std::erase_if(sessions_, [now](const auto& item) {
    const bool expired = item.second->last_used + item.second->timeout <= now;
    if (expired) item.second->closed = true;
    return expired;
  });
}

}  // namespace quiver::session
