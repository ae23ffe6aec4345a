#include "server/auth/token_store.h"

#include "common/config.h"
#include "common/random_id.h"

namespace quiver::auth {

std::string TokenStore::Issue(const std::string& user) {
  std::string token = RandomUuid();
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(now);
  tokens_[token] = Entry{user, now + idle_timeout_};
  return token;
}

std::optional<std::string> TokenStore::Use(const std::string& token) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(now);
  auto it = tokens_.find(token);
  if (it == tokens_.end() || it->second.expires <= now) {
    auto permanent = permanent_.find(Sha256Hex(token));
    if (permanent != permanent_.end()) return permanent->second;
    return std::nullopt;
  }
  it->second.expires = now + idle_timeout_;
  return it->second.user;
}

void TokenStore::AddPermanent(const std::string& token_sha256, const std::string& user) {
  std::lock_guard lock(mutex_);
  permanent_[token_sha256] = user;
}

std::optional<std::string> TokenStore::PermanentUser(const std::string& token) const {
  const std::string digest = Sha256Hex(token);
  std::lock_guard lock(mutex_);
  auto it = permanent_.find(digest);
  if (it == permanent_.end()) return std::nullopt;
  return it->second;
}

size_t TokenStore::size() {
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(clock_.Now());
  return tokens_.size();
}

void TokenStore::PurgeExpiredLocked(TimePoint now) {
  // A full sweep at most once per second keeps lookups O(1) on average.
  if (now < next_purge_) return;
  next_purge_ = now + std::chrono::seconds(1);
  std::erase_if(tokens_, [now](const auto& entry) { return entry.second.expires <= now; });
}

}  // namespace quiver::auth
