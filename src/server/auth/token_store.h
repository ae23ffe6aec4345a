// Bearer tokens issued on Basic authentication (or a Handshake), with a sliding idle timeout;
// and permanent tokens from the configuration (`tokens:`), kept as SHA-256 digests.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace quiver::auth {

class TokenStore {
 public:
  TokenStore(const Clock& clock, std::chrono::seconds idle_timeout)
      : clock_(clock), idle_timeout_(idle_timeout) {}

  // A new random token for `user`.
  std::string Issue(const std::string& user);
  // The user of a live token, extending its life; nullopt when unknown or expired. Permanent
  // tokens are accepted too.
  std::optional<std::string> Use(const std::string& token);
  // Registers a configured token by its digest.
  void AddPermanent(const std::string& token_sha256, const std::string& user);
  // The user of a configured token; nullopt when `token` is not one.
  std::optional<std::string> PermanentUser(const std::string& token) const;
  size_t size();

 private:
  struct Entry {
    std::string user;
    TimePoint expires;
  };
  void PurgeExpiredLocked(TimePoint now);

  const Clock& clock_;
  const std::chrono::seconds idle_timeout_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> tokens_;
  std::unordered_map<std::string, std::string> permanent_;  // SHA-256 hex -> user
  TimePoint next_purge_{};
};

}  // namespace quiver::auth
