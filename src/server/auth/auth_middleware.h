// Authenticates every call, Handshake included: Basic credentials earn a Bearer token returned in
// the `authorization` response header; Bearer tokens are checked and refreshed. Without an
// `authorization` header, an `auth-token-bin` token (configured, or issued by a Handshake; see
// handshake_auth.h) authenticates too.
#pragma once

#include <arrow/flight/server_middleware.h>

#include <memory>
#include <string>

#include "server/auth/token_store.h"
#include "server/auth/user_store.h"

namespace quiver::auth {

class AuthMiddleware : public arrow::flight::ServerMiddleware {
 public:
  static constexpr const char* kName = "quiver-auth";
  AuthMiddleware(std::string user, std::string issued_token)
      : user_(std::move(user)), issued_token_(std::move(issued_token)) {}

  std::string name() const override { return kName; }
  void SendingHeaders(arrow::flight::AddCallHeaders* outgoing_headers) override;
  void CallCompleted(const arrow::Status&) override {}

  const std::string& user() const { return user_; }

 private:
  std::string user_;
  std::string issued_token_;  // empty unless the call used Basic credentials
};

class AuthMiddlewareFactory : public arrow::flight::ServerMiddlewareFactory {
 public:
  AuthMiddlewareFactory(std::shared_ptr<UserStore> users, std::shared_ptr<TokenStore> tokens)
      : users_(std::move(users)), tokens_(std::move(tokens)) {}

  arrow::Status StartCall(const arrow::flight::CallInfo& info,
                          const arrow::flight::ServerCallContext& context,
                          std::shared_ptr<arrow::flight::ServerMiddleware>* middleware) override;

 private:
  std::shared_ptr<UserStore> users_;
  std::shared_ptr<TokenStore> tokens_;
};

// The authenticated user of a call.
const std::string& CallUser(const arrow::flight::ServerCallContext& context);

}  // namespace quiver::auth
