// Classic Arrow Flight authentication, as the CloudQuery arrowflight destination uses it: a
// Handshake whose payload is a credential, answered with a token that the client then sends in
// the `auth-token-bin` header of every call (checked by AuthMiddleware).
#pragma once

#include <arrow/flight/server.h>
#include <arrow/flight/server_auth.h>

#include <memory>

#include "common/config.h"
#include "server/auth/token_store.h"
#include "server/auth/user_store.h"

namespace quiver::auth {

// Handshake payloads:
//  * a configured token (`tokens:`) -> answered with the same token (it does not expire);
//  * `user:password` -> checked like Basic credentials, answered with a new session token that
//    expires after default_session_timeout idle seconds (clients handshake again);
//  * none (pyarrow's authenticate_basic_token) -> the `authorization` header decides, as before.
class HandshakeAuthHandler : public arrow::flight::NoOpAuthHandler {
 public:
  HandshakeAuthHandler(std::shared_ptr<UserStore> users, std::shared_ptr<TokenStore> tokens)
      : users_(std::move(users)), tokens_(std::move(tokens)) {}

  arrow::Status Authenticate(const arrow::flight::ServerCallContext& context,
                             arrow::flight::ServerAuthSender* outgoing,
                             arrow::flight::ServerAuthReader* incoming) override;

 private:
  std::shared_ptr<UserStore> users_;
  std::shared_ptr<TokenStore> tokens_;
};

// Registers the configured tokens and installs the handler on the server options.
void InstallHandshakeAuth(const ServerConfig& config, const std::shared_ptr<UserStore>& users,
                          const std::shared_ptr<TokenStore>& tokens,
                          arrow::flight::FlightServerOptions* options);

}  // namespace quiver::auth
