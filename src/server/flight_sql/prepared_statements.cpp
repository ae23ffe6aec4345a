#include "server/flight_sql/prepared_statements.h"

#include "common/random_id.h"

namespace quiver::flight_sql {

arrow::Result<std::string> PreparedStatementStore::Add(
    std::shared_ptr<PreparedStatementEntry> entry) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(now);
  if (max_per_user_ > 0) {
    size_t owned = 0;
    for (const auto& [handle, slot] : slots_) owned += slot.entry->user == entry->user;
    if (owned >= max_per_user_) {
      return arrow::Status::ExecutionError("Too many prepared statements for user '", entry->user,
                                           "' (the limit is ", max_per_user_, ")");
    }
  }
  std::string handle = "~PREP-" + RandomUuid();
  slots_[handle] = Slot{std::move(entry), now};
  return handle;
}

arrow::Result<std::shared_ptr<PreparedStatementEntry>> PreparedStatementStore::Find(
    const std::string& handle, const std::string& user) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(now);
  auto it = slots_.find(handle);
  if (it == slots_.end() || it->second.entry->user != user) {
    return arrow::Status::KeyError("Prepared statement handle not found");
  }
  it->second.last_used = now;
  return it->second.entry;
}

void PreparedStatementStore::Close(const std::string& handle, const std::string& user,
                                   const std::optional<std::string>& session_id) {
  std::lock_guard lock(mutex_);
  if (handle.empty()) {
    std::erase_if(slots_, [&](const auto& item) {
      const auto& entry = *item.second.entry;
      const bool same_session = session_id ? entry.session && entry.session->id == *session_id
                                           : entry.session == nullptr;
      return entry.user == user && same_session;
    });
    return;
  }
  auto it = slots_.find(handle);
  if (it != slots_.end() && it->second.entry->user == user) slots_.erase(it);
}

size_t PreparedStatementStore::size() {
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(clock_.Now());
  return slots_.size();
}

void PreparedStatementStore::PurgeExpiredLocked(TimePoint now) {
  std::erase_if(slots_, [&](const auto& item) {
    const auto& entry = *item.second.entry;
    if (entry.session && entry.session->closed) return true;  // closed with its session
    return lifetime_.count() > 0 && item.second.last_used + lifetime_ <= now;
  });
}

}  // namespace quiver::flight_sql
