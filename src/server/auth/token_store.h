// Bearer tokens issued on Basic authentication, with a sliding idle timeout.
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
  // The user of a live token, extending its life; nullopt when unknown or expired.
  std::optional<std::string> Use(const std::string& token);
  size_t size();

 private:
  struct Entry {
    std::string user;
    TimePoint expires;
  };
  void PurgeExpiredLocked(TimePoint now);

  const Clock& clock_;
  const std::chrono::seconds idle_timeout_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> tokens_;
  TimePoint next_purge_{};
};

}  // namespace quiver::auth
