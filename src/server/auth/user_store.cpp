#include "server/auth/user_store.h"

#include <openssl/crypto.h>

namespace quiver::auth {

UserStore::UserStore(const std::vector<UserConfig>& users) {
  if (users.empty()) digests_[kAnonymousUser] = Sha256Hex("");
  for (const auto& user : users) digests_[user.name] = user.password_sha256;
}

arrow::Status UserStore::Authenticate(const std::string& user, const std::string& password) const {
  // Hash first so that the time taken does not tell whether the user exists.
  const std::string digest = Sha256Hex(password);
  auto it = digests_.find(user);
  const bool match = it != digests_.end() && it->second.size() == digest.size() &&
                     CRYPTO_memcmp(it->second.data(), digest.data(), digest.size()) == 0;
  if (!match) {
    return arrow::Status::Invalid(
        user,
        ": Authentication failed: password is incorrect, or there is no user with such name.");
  }
  return arrow::Status::OK();
}

}  // namespace quiver::auth
