// The users allowed to connect, with SHA-256 password digests from the configuration.
#pragma once

#include <arrow/status.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "common/config.h"

namespace quiver::auth {

class UserStore {
 public:
  // With no users configured, the single user `default` with an empty password exists
  // (anonymous access, as in ClickHouse's default configuration).
  explicit UserStore(const std::vector<UserConfig>& users);

  // OK when the password is right; otherwise an Invalid status with ClickHouse's text
  // "<user>: Authentication failed: password is incorrect, or there is no user with such name."
  arrow::Status Authenticate(const std::string& user, const std::string& password) const;

  static constexpr const char* kAnonymousUser = "default";

 private:
  std::unordered_map<std::string, std::string> digests_;  // user -> hex SHA-256
};

}  // namespace quiver::auth
