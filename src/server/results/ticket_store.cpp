#include "server/results/ticket_store.h"

#include "common/random_id.h"
#include "server/protocol/descriptor.h"

namespace quiver::results {

std::optional<TimePoint> TicketStore::ExpiryFrom(TimePoint now) const {
  if (lifetime_.count() == 0) return std::nullopt;
  // Whole microseconds: clients (pyarrow without pandas) cannot show finer timestamps.
  return std::chrono::floor<std::chrono::microseconds>(now + lifetime_);
}

TicketStore::Issued TicketStore::Add(std::shared_ptr<const StoredResult> result) {
  Issued issued{std::string(protocol::kTicketPrefix) + RandomUuid(), std::nullopt};
  const TimePoint now = clock_.Now();
  issued.expires = ExpiryFrom(now);
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(now);
  bytes_ += result->bytes;
  entries_[issued.ticket] = Entry{std::move(result), issued.expires};
  return issued;
}

std::shared_ptr<const StoredResult> TicketStore::Find(const std::string& ticket) {
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(clock_.Now());
  auto it = entries_.find(ticket);
  return it == entries_.end() ? nullptr : it->second.result;
}

void TicketStore::Remove(const std::string& ticket) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(ticket);
  if (it == entries_.end()) return;
  bytes_ -= it->second.result->bytes;
  entries_.erase(it);
}

std::optional<std::optional<TimePoint>> TicketStore::Renew(const std::string& ticket) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(now);
  auto it = entries_.find(ticket);
  if (it == entries_.end()) return std::nullopt;
  it->second.expires = ExpiryFrom(now);
  return it->second.expires;
}

size_t TicketStore::size() {
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(clock_.Now());
  return entries_.size();
}

int64_t TicketStore::bytes() {
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(clock_.Now());
  return bytes_;
}

void TicketStore::PurgeExpiredLocked(TimePoint now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires && *it->second.expires <= now) {
      bytes_ -= it->second.result->bytes;
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace quiver::results
